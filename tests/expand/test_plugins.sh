#!/usr/bin/env bash
# End-to-end checks of the built-in plugins syscall, call, cov and regs and
# of every callback kind of the plugin API (test plugin plugin_all), with
# independent oracles:
#   - syscall: `reprise dump`'s syscall events (number, args digest recomputed
#     with libxxhash by args_digest, return value, execution point), the
#     bytes the program printed, the insn trace (an ecall right before);
#   - call: riscv64-linux-gnu-nm (main, fib, op_* addresses), the source's
#     call counts (guest_calls.c, bench_calls.c), the insn trace;
#   - cov: the insn plugin's block executions;
#   - regs: constants in guest_calls.c, the mem plugin (loaded values),
#     link addresses, objdump's `li` immediates, and gdb-multiarch reading
#     the registers through `reprise debug` at sampled points and around
#     every signal (a faulting load must leave no row);
#   - plugin_all: each kind fires; icounts are monotonic per thread, agree
#     with the registers and with each other.
#   test_plugins.sh REPRISE PLUGIN_ALL ARGS_DIGEST GUEST_CALLS HELLO_STATIC BENCH_CALLS
#                   PIPE_THREADS SIGNALS GUEST_WAIT
set -u
reprise=$(realpath "$1") allp=$(realpath "$2") digest=$(realpath "$3")
guest=$(realpath "$4") hello=$(realpath "$5") bcalls=$(realpath "$6")
threaded=$(realpath "$7") signals=$(realpath "$8") waiter=$(realpath "$9")
. "$(dirname "$(realpath "$0")")/lib.sh"
# insn_exec is a view: joined on icount it is scanned per row. Materialize it.
materialize() { q "$1" 'create table ie as select * from insn_exec; create index ie_icount on ie (icount)'; }
replayed() { # recording -> instructions the replay retired
    "$reprise" replay -q "$1" 2>&1 | sed -n 's/.*replayed .*: \([0-9]*\) instructions.*/\1/p'
}
nm_addr() { # executable, symbol -> decimal address
    local a; a=$(riscv64-linux-gnu-nm "$1" | awk -v s="$2" '$3 == s {print $1; exit}')
    [ -n "$a" ] && echo $((16#$a))
}


# ---- listing ----
check "plugins" 0 "$reprise" plugins
for p in syscall call cov regs; do expect_grep "plugins lists $p" "^$p " "$tmp/out"; done
if grep -q "^(" "$tmp/out"; then bad "a plugin cannot be loaded:"; grep "^(" "$tmp/out"; else ok; fi
check "plugins syscall" 0 "$reprise" plugins syscall
expect_grep "syscall arguments" "data=int (default 0)" "$tmp/out"
check "plugins call" 0 "$reprise" plugins call
expect_grep "call arguments" "symbols=bool (default true)" "$tmp/out"

# ---- recordings ----
"$reprise" record -o h.rpr "$hello" > h.out 2>/dev/null || bad "record hello"
"$reprise" record -o g.rpr "$guest" > g.out 2>/dev/null || bad "record guest_calls"
"$reprise" record -o b.rpr "$bcalls" 1 > /dev/null 2>&1 || bad "record bench_calls"
"$reprise" record -o t.rpr "$threaded" > /dev/null 2>&1 || bad "record pipe_threads"
"$reprise" record -o s.rpr "$signals" > /dev/null 2>&1 || bad "record signals"
hn=$(replayed h.rpr) gn=$(replayed g.rpr) tn=$(replayed t.rpr) sn=$(replayed s.rpr)
atleast "hello replays" "$hn" 1000

# ---- cov, against the insn plugin's block executions ----
check "expand cov" 0 "$reprise" expand h.rpr -o cov.db -p insn -p cov
same "cov: instructions = replay's count" "$(q cov.db 'select sum(insns) from cov')" "$hn"
same "cov: pcs = executed block pcs" \
    "$(q cov.db 'select group_concat(pc) from (select pc from cov order by pc)')" \
    "$(q cov.db 'select group_concat(pc) from (select distinct b.pc from block_exec e
                 join block b on b.id = e.block_id order by b.pc)')"
q cov.db "create table x as select b.pc pc, sum(e.first = 0) entries, sum(e.n_insns) insns,
            min(case when e.first = 0 then e.icount end) first_icount,
            sum(e.n_insns = b.n_insns) nfull, count(*) runs,
            max((select sum(size) from block_insn i where i.block_id = b.id)) size,
            max(b.n_insns) n_insns
          from block_exec e join block b on b.id = e.block_id group by b.pc"
same "cov: per pc count, insns, first_icount, size as the insn trace says" \
    "$(q cov.db 'select count(*) from cov c join x on x.pc = c.pc where c.count <> x.entries
                 or c.insns <> x.insns or c.first_icount is not x.first_icount
                 or c.size <> x.size or c.n_insns <> x.n_insns')" "0"
full=$(q cov.db 'select count(*), sum(c.count * c.n_insns), sum(x.insns) from cov c
                 join x on x.pc = c.pc where x.nfull = x.runs')
same "cov: sum(count * n_insns) over fully executed blocks = insn's instructions" \
    "$(echo "$full" | cut -d'|' -f2)" "$(echo "$full" | cut -d'|' -f3)"
atleast "cov: fully executed blocks" "${full%%|*}" 100
check "expand cov window" 0 "$reprise" expand h.rpr -o covw.db --from 1000 --to 5000 -p cov
same "cov window: instructions" "$(q covw.db 'select sum(insns) from cov')" "4000"
same "cov window: first entries inside" \
    "$(q covw.db 'select count(*) from cov where first_icount < 1000 or first_icount >= 5000')" "0"

# ---- syscall, against reprise dump ----
check "expand syscall" 0 "$reprise" expand h.rpr -o sc.db -p insn -p syscall:data=4096
materialize sc.db
# dump: "tid icount nr digest ret" of each recorded system call.
dump_sc() {
    "$reprise" dump "$1" | sed -n 's/.* icount=\([0-9]*\) tid=\([0-9]*\) .* syscall nr=\([0-9]*\) .*args_digest=\(0x[0-9a-f]*\) ret=\(-\{0,1\}[0-9]*\).*/\2 \1 \3 \4 \5/p'
}
# The dump's icount of a call is where it completed (the point after the
# ecall retired): our end_icount, the same as icount unless the call
# blocked. A call that waits (ppoll, futex...) is attempted again each time
# its thread runs, and the dump has one event per attempt: those fall
# within the row's [icount - 1, end_icount] (the first at the ecall).
ours_sc() { # completed rows of ours as "tid icount end_icount nr digest ret"
    q -separator ' ' "$1" 'select id, nr, arg0, arg1, arg2, arg3, arg4, arg5 from syscall order by id' |
        "$digest" > dig.txt
    q -separator ' ' "$1" "select id, thread, icount, end_icount, nr, ret from syscall
                           where end_icount is not null order by id" |
        awk 'NR == FNR { d[$1] = $2; next } { print $2, $3, $4, $5, d[$1], $6 }' dig.txt -
}
unmatched() { # dump file, ours file -> dump events with no row of ours
    awk 'NR == FNR { exact[$1 " " $3 " " $4 " " $5 " " $6] = 1
                     k = $1 " " $4 " " $5; j = ++cnt[k]; lo[k, j] = $2 - 1; hi[k, j] = $3; next }
         !(($1 " " $2 " " $3 " " $4 " " $5) in exact) {
             k = $1 " " $3 " " $4; hit = 0
             for (j = 1; j <= cnt[k] && !hit; j++) hit = lo[k, j] <= $2 + 0 && $2 + 0 <= hi[k, j]
             if (!hit) print
         }' "$2" "$1"
}
dump_sc h.rpr > dump.txt
ours_sc sc.db > ours.txt
atleast "dump has syscalls" "$(wc -l < dump.txt)" 3
same "syscall: every recorded call is in the table (thread, icount, nr, args, ret)" \
    "$(unmatched dump.txt ours.txt | head -3)" ""
same "syscall: enter icount is just after an ecall of the same thread" \
    "$(q sc.db 'select count(*) from syscall s where not exists (select 1 from ie i
                where i.icount = s.icount - 1 and i.thread = s.thread and i.class & 128)')" "0"
same "syscall: the last call is exit_group, without completion" \
    "$(q sc.db 'select name, end_icount is null, ret is null from syscall order by id desc limit 1')" \
    "exit_group|1|1"
same "syscall: completions follow entries" \
    "$(q sc.db 'select count(*) from syscall where end_icount < icount')" "0"
same "syscall: names" "$(q sc.db "select count(*) from syscall where nr = 64 and name = 'write'")" \
    "$(q sc.db 'select count(*) from syscall where nr = 64')"
same "syscall data: write() carries what the program printed" \
    "$(q sc.db "select hex(d.data) from syscall s join syscall_data d on d.syscall_id = s.id
                where s.nr = 64 and s.arg0 = 1 and d.dir = 'in'")" \
    "$(od -An -v -tx1 h.out | tr -d ' \n' | tr a-f A-F)"
# The kernel's writes as the dump shows them (the first 32 bytes, in hex;
# data the dump shows as text, when mostly printable, is left out).
"$reprise" dump h.rpr | sed -n 's/.* icount=\([0-9]*\) .* syscall .* writes=\[0x\([0-9a-f]*\): \([0-9]*\) bytes \([0-9a-f][0-9a-f]*\)[].,].*/\1 \2 \3 \4/p' |
    while read -r ic addr len hx; do
        got=$(q sc.db "select lower(substr(hex(d.data), 1, 64)) from syscall s join syscall_data d
                       on d.syscall_id = s.id where s.end_icount = $ic and d.dir = 'out'
                       and d.addr = $((16#$addr)) and d.len = $len")
        [ "$got" = "$hx" ] && echo ok || echo "bad $ic $addr $len $hx got '$got'"
    done > outs.txt
atleast "syscall data: kernel writes checked" "$(grep -c '^ok' outs.txt)" 2
same "syscall data: kernel writes = dump's" "$(grep -v '^ok' outs.txt | head -3)" ""
# readlinkat("/proc/self/exe"), which reprise answers itself: the program's path.
same "syscall data: readlinkat wrote the program's path" \
    "$(q sc.db "select cast(d.data as text), s.ret from syscall s join syscall_data d
                on d.syscall_id = s.id where s.name = 'readlinkat' and d.dir = 'out'")" \
    "$hello|${#hello}"
check "expand syscall data=8" 0 "$reprise" expand h.rpr -o sc8.db -p syscall:data=8
same "syscall data=8: cut to 8 bytes, full length kept" \
    "$(q sc8.db "select count(*), sum(length(data) = min(len, 8)) from syscall_data")" \
    "$(q sc.db "select count(*), count(*) from syscall_data")"
check "expand syscall no data" 0 "$reprise" expand h.rpr -o sc0.db -p syscall
same "syscall: no syscall_data without data=" \
    "$(q sc0.db "select count(*) from sqlite_master where name = 'syscall_data'")" "0"
check "syscall data=-1 refused" 1 "$reprise" expand h.rpr -o e.db -p syscall:data=-1
# Several threads: each thread's calls as the dump has them.
check "expand syscall threads" 0 "$reprise" expand t.rpr -o tsc.db -p syscall
dump_sc t.rpr > tdump.txt
ours_sc tsc.db > tours.txt
atleast "threads: dump has syscalls" "$(wc -l < tdump.txt)" 100
same "threads: every recorded call is in the table" \
    "$(unmatched tdump.txt tours.txt | head -3)" ""
atleast "threads: calls of several threads" "$(q tsc.db 'select count(distinct thread) from syscall')" 2

# ---- call, against nm and the source ----
check "expand call" 0 "$reprise" expand g.rpr -o call.db -p insn -p call
materialize call.db
main=$(nm_addr "$guest" main) fib=$(nm_addr "$guest" fib) deep=$(nm_addr "$guest" deep)
magic=$(nm_addr "$guest" magic)
same "call: main called exactly once" \
    "$(q call.db "select count(*) from call where callee = $main")" "1"
same "call: fib(15) makes 1973 calls" "$(q call.db "select count(*) from call where callee = $fib")" \
    "1973"
same "call: fib recursion is 15 deep" \
    "$(q call.db "select max(depth) - min(depth) + 1 from call where callee = $fib")" "15"
same "call: fib(15) from main: argument and result" \
    "$(q call.db "select c.arg0, c.ret from call c join call m on m.id = c.parent_id
                  where c.callee = $fib and m.callee = $main")" "15|610"
same "call: magic() returns 0x5eed0fff" \
    "$(q call.db "select ret from call where callee = $magic")" "$((0x5eed0fff))"
# insns: the calling thread's own instructions. With one thread they are
# the elapsed icounts; fib(15)'s count follows from the insn plugin's trace.
same "call: insns = duration with one thread" \
    "$(q call.db 'select count(*) from call where end_icount is not null and insns <> end_icount - icount')" "0"
same "call: insns of fib(15) = its instructions in the trace" \
    "$(q call.db "select c.insns from call c join call m on m.id = c.parent_id where c.callee = $fib and m.callee = $main")" \
    "$(q call.db "select count(*) from insn_exec, (select c.icount a, c.end_icount b from call c join call m on m.id = c.parent_id where c.callee = $fib and m.callee = $main) w where icount >= w.a and icount < w.b")"
check "expand call, threads" 0 "$reprise" expand t.rpr -o tcall.db -p insn -p call
# (icount_id() turns the call's window into a block_run rowid range: a
# run is at most 4096 instructions, without a thread switch)
same "call: insns = the thread's own instructions in the call" \
    "$(rq tcall.db 'select count(*) from call c
       where c.end_icount is not null and c.insns <>
       (select coalesce(sum(max(0, min(e.icount + e.n_insns, c.end_icount)
                                   - max(e.icount, c.icount))), 0)
        from block_exec e where e.block_run_id >= icount_id('"'block_run'"', c.icount - 4096)
        and e.block_run_id < icount_id('"'block_run'"', c.end_icount) and e.thread = c.thread)')" "0"
same "call: parents enclose their children" \
    "$(q call.db 'select count(*) from call c join call p on p.id = c.parent_id
                  where p.depth <> c.depth - 1 or p.thread <> c.thread or c.icount < p.icount
                  or (p.end_icount is not null and (c.icount >= p.end_icount
                      or c.end_icount is null or c.end_icount > p.end_icount))')" "0"
same "call: depth 0 has no parent, others have one" \
    "$(q call.db 'select count(*) from call where (depth = 0) <> (parent_id is null)')" "0"
same "call: the callee runs first at icount" \
    "$(q call.db 'select count(*) from call c where not exists (select 1 from ie i
                  where i.icount = c.icount and i.pc = c.callee)')" "0"
same "call: call_pc is a call instruction executed just before" \
    "$(q call.db 'select count(*) from call c where not exists (select 1 from ie i
                  where i.icount = c.icount - 1 and i.pc = c.call_pc and i.class & 4)')" "0"
same "call: a return ends each returned call" \
    "$(q call.db 'select count(*) from call c where c.ret is not null and not exists
                  (select 1 from ie i where i.icount = c.end_icount - 1 and i.class & 8)')" "0"
# longjmp out of deep(0): deep(5)..deep(0) and longjmp never return; they end
# when main returns (the shadow stack is popped down to main's frame).
same "call: frames a longjmp unwound end with main, without a return value" \
    "$(q call.db "select count(*), sum(c.ret is null), sum(c.end_icount = m.end_icount)
                  from call c, call m where m.callee = $main and c.callee = $deep")" "6|6|6"
same "call: symbols are the callees' names as nm gives them" \
    "$(q call.db "select group_concat(symbol) from (select distinct symbol from call
                  where callee in ($main, $fib, $deep, $magic) order by symbol)")" "deep,fib,magic,main"
same "call: calls('main') has exactly one row" \
    "$("$reprise" query call.db "select count(*) from calls('main')" --format csv | tail -1)" "1"
same "call: calls('fib') sees every fib call" \
    "$("$reprise" query call.db "select count(*), sum(ret is not null) from calls('fib')" --format csv | tail -1)" \
    "1973,1973"
check "expand call symbols=false" 0 "$reprise" expand g.rpr -o calln.db -p call:symbols=false
same "call: symbol NULL with symbols=false" \
    "$(q calln.db 'select count(*), sum(symbol is null) from call')" \
    "$(q call.db 'select count(*), count(*) from call')"
# --pc hides instructions: what is recorded must still be right. fib's
# recursive calls are inside [fib, fib+60), its return is not.
check "expand call --pc" 0 "$reprise" expand g.rpr -o callpc.db --pc "$fib-$((fib + 60))" -p call
same "call --pc: fib's own calls, each as in the full trace" \
    "$(q callpc.db "attach 'call.db' as f; select count(*), sum(x.callee = c.callee and x.call_pc = c.call_pc
                    and x.arg0 = c.arg0) from call c left join f.call x on x.icount = c.icount")" "1972|1972"
# bench_calls 1 (position-independent): find its load base from nm's layout
# of the four op_* functions, then count calls as the source makes them.
check "expand call bench_calls" 0 "$reprise" expand b.rpr -o bc.db -p call
oa=$(nm_addr "$bcalls" op_add) ox=$(nm_addr "$bcalls" op_xor) om=$(nm_addr "$bcalls" op_mul)
orr=$(nm_addr "$bcalls" op_rot) oe=$(nm_addr "$bcalls" expr) omain=$(nm_addr "$bcalls" main)
base=$(q bc.db "select c.callee - $oa from (select distinct callee from call) c
                where exists (select 1 from call where callee = c.callee - $oa + $ox)
                and exists (select 1 from call where callee = c.callee - $oa + $om)
                and exists (select 1 from call where callee = c.callee - $oa + $orr)")
same "bench_calls: main once" "$(q bc.db "select count(*) from call where callee = $base + $omain")" "1"
same "bench_calls: 30000 indirect op calls (scale 1)" \
    "$(q bc.db "select count(*) from call where callee - $base in ($oa, $ox, $om, $orr)")" "30000"
# expr is entered once per evaluation and once per parenthesis: 267 x 3,
# 267 x 6 and 266 x 5 for the three expressions of 800 evaluations.
same "bench_calls: expr calls" "$(q bc.db "select count(*) from call where callee = $base + $oe")" \
    "3733"
same "bench_calls: op calls return and have their arguments" \
    "$(q bc.db "select count(*) from call where callee - $base in ($oa, $ox, $om, $orr)
                and (ret is null or end_icount is null or end_icount - icount > 20)")" "0"

# ---- regs ----
check "expand regs" 0 "$reprise" expand g.rpr -o regs.db -p insn -p mem -p regs
materialize regs.db
at_label() { # label -> "reg|value" written by the instruction there
    q regs.db "select r.reg, r.value from regs r join ie i on i.icount = r.icount
               where i.pc = $(nm_addr "$guest" "$1")"
}
same "regs: lui" "$(at_label known_lui | cut -d'|' -f2)" "$((0x5eed1000))"
same "regs: addiw" "$(at_label known_addiw | cut -d'|' -f2)" "$((0x5eed1234))"
same "regs: addi" "$(at_label known_addi | cut -d'|' -f2)" "$((0x5eed0fff))"
same "regs: fcvt.d.l of 7 (an f register, as raw bits)" \
    "$(at_label known_fcvt | sed 's/^f[a-z]*[0-9]*|/f|/')" "f|$((0x401c000000000000))"
# guest_calls' faulting load (SIGSEGV) has the icount of the handler's first
# instruction, which writes sp: a row for the load would make two.
same "regs: one row per icount at most (the faulting load wrote nothing)" \
    "$(q regs.db 'select count(*) - count(distinct icount) from regs')" "0"
# Loads: the register holds the loaded value, extended as the mnemonic says.
lm=$(q regs.db "with l as (select r.value rv, m.value mv, substr(i.disasm, 1, instr(i.disasm, char(9)) - 1) op
       from regs r join ie i on i.icount = r.icount join mem m on m.icount = r.icount
       where i.class & 16 and not (i.class & 64))
     select count(*), sum(rv <> case op
       when 'ld' then mv when 'lwu' then mv when 'lhu' then mv when 'lbu' then mv
       when 'lr.d' then mv when 'lw' then mv - (mv & 0x80000000) * 2
       when 'lr.w' then mv - (mv & 0x80000000) * 2 when 'lh' then mv - (mv & 0x8000) * 2
       when 'lb' then mv - (mv & 0x80) * 2
       when 'fld' then mv when 'flw' then mv | -4294967296 else rv + 1 end) from l")
atleast "regs: loads checked" "${lm%%|*}" 1000
same "regs: loaded values = mem's" "${lm#*|}" "0"
same "regs: links hold the return address" \
    "$(q regs.db "select count(*) from regs r join ie i on i.icount = r.icount
                  where i.class & 4 and r.value <> i.pc + i.size")" "0"
same "regs: li holds objdump's immediate" \
    "$(q regs.db "select count(*), sum(r.value <> cast(substr(i.disasm, instr(i.disasm, ',') + 1) as integer))
                  from regs r join ie i on i.icount = r.icount where i.disasm like 'li' || char(9) || '%'" |
       awk -F'|' '{print ($1 > 100) "|" $2}')" "1|0"
# A second method for any row: gdb reads the register through reprise debug
# at the point right after the instruction (monitor seek).
gdb_regs() { # recording, executable, picks ("icount reg value" lines) -> values gdb reads
    timeout 150 "$reprise" debug "$1" > dbg.out 2>&1 &
    local dpid=$! port
    for _ in $(seq 100); do grep -q "listening on" dbg.out && break; sleep 0.1; done
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' dbg.out)
    {
        echo "set architecture riscv:rv64"
        echo "target remote :$port"
        while read -r ic reg _; do
            echo "monitor seek $((ic + 1))"
            echo "maint flush register-cache"
            echo "info registers $reg"
        done < "$3"
        echo "kill"
    } > gdb.cmds
    timeout 120 gdb-multiarch -nx -batch -x gdb.cmds "$2" > gdb.out 2>&1
    kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null
    # "a0  0x5eed0fff  1592659967" or "fa0 {float = ..., double = 7} (raw 0x401c...)"
    awk '/^[a-z0-9]+ +0x/ {print $2} /\(raw 0x/ {sub(/.*\(raw /, ""); sub(/\).*/, ""); print}' gdb.out |
        while read -r h; do echo $((h)); done
}
have_gdb=$(command -v gdb-multiarch)
if [ -n "$have_gdb" ]; then
    q -separator ' ' regs.db "select * from (select icount, reg, value from regs
                              where icount % 97 = 0 order by icount limit 40)
                              union all select r.icount, r.reg, r.value from regs r
                              join ie i on i.icount = r.icount
                              where i.pc = $(nm_addr "$guest" known_fcvt)" > pick.txt
    gdb_regs g.rpr "$guest" pick.txt > gdbvals.txt
    awk '{print $3}' pick.txt > ourvals.txt
    atleast "regs vs gdb: points" "$(wc -l < pick.txt)" 20
    same "regs: values = gdb's after the instruction" "$(diff ourvals.txt gdbvals.txt | head -4)" ""
else
    echo "gdb-multiarch not installed: regs vs gdb skipped"
fi
check "regs --pc" 0 "$reprise" expand g.rpr -o regspc.db --pc "$fib-$((fib + 60))" -p regs
same "regs --pc: every row as in the full trace (none read after hidden instructions)" \
    "$(q regspc.db "attach 'regs.db' as f; select count(*) > 1000, sum(x.value is not r.value or x.reg <> r.reg)
                    from regs r left join f.regs x on x.icount = r.icount")" "1|0"
check "regs in a window" 0 "$reprise" expand g.rpr -o regsw.db --from 2000 --to 3000 -p regs
same "regs window: rows inside" \
    "$(q regsw.db 'select count(*) > 100, sum(icount < 2000 or icount >= 3000) from regs')" "1|0"
same "regs window: rows = the full run's" \
    "$(q regsw.db 'select group_concat(icount || reg || value) from (select * from regs order by icount)')" \
    "$(q regs.db 'select group_concat(icount || reg || value) from (select * from regs
                  where icount >= 2000 and icount < 2999 order by icount)')"

# ---- plugin_all: every callback kind ----
check "expand all (threads)" 0 "$reprise" expand t.rpr -o all.db -p "$allp"
kinds=$(q all.db "select group_concat(kind) from (select distinct kind from all_event order by kind)")
same "all: every kind fires" "$kinds" \
    "block,counter,exit,finish,insn,mem,sys_enter,sys_exit,thread,translate"
# An ecall that blocks is attempted again when its thread resumes: each
# attempt gets the instruction callback (and the inline counter), the last
# one retires. Per icount, the callback that retired is the last one.
q all.db "create table ret as select icount, max(seq) seq from all_event where kind = 'insn' group by icount;
          create index ret_icount on ret (icount)"
same "all: counter = insn callbacks; retired ones = block instructions = replay's count" \
    "$(q all.db "select (select a from all_event where kind = 'counter') = count(*),
                        (select count(*) from ret),
                        (select sum(b) from all_event where kind = 'block') from all_event where kind = 'insn'")" \
    "1|$tn|$tn"
same "all: only blocked ecalls get a callback without retiring" \
    "$(q all.db "select count(*) from all_event e where kind = 'insn' and not (b & 128)
                 and seq <> (select seq from ret where ret.icount = e.icount)")" "0"
same "all: retired icounts are 0..n-1" "$(q all.db "select min(icount), max(icount) from ret")" \
    "0|$((tn-1))"
same "all: the pc register = point.pc" \
    "$(q all.db "select count(*) from all_event where kind = 'insn' and a <> pc")" "0"
mono() { # db, kinds, condition on a row (icount, kind, b) and the previous one (p, pk, pb)
    q "$1" "select count(*) from (select icount, kind, b,
              lag(icount) over w p, lag(kind) over w pk, lag(b) over w pb from all_event
            where kind in ($2) window w as (partition by thread order by seq))
            where p is not null and not ($3)"
}
same "all: insn icounts increase per thread in callback order" \
    "$(mono all.db "'insn'" 'icount > p or (icount = p and pb & 128)')" "0"
same "all: runtime events in time order per thread" \
    "$(mono all.db "'insn','mem','sys_enter','sys_exit','thread','exit'" 'icount >= p')" "0"
same "all: block reports in time order per thread" "$(mono all.db "'block'" 'icount > p')" "0"
same "all: block reports have no cpu and fit their translation" \
    "$(q all.db "create table tb as select a id, b n, seq from all_event where kind = 'translate';
                 create index tb_id on tb (id);
                 select count(*) from all_event b left join tb t on t.id = b.c where b.kind = 'block'
                 and (t.id is null or b.d <> 1 or b.b < 1 or b.a + b.b > t.n or t.seq > b.seq)")" "0"
same "all: translation ids unique" \
    "$(q all.db "select count(*) - count(distinct a) from all_event where kind = 'translate'")" "0"
same "all: mem follows its instruction's callback" \
    "$(q all.db "select count(*) from all_event m where m.kind = 'mem' and not exists (select 1
                 from all_event i where i.kind = 'insn' and i.icount = m.icount and i.pc = m.pc
                 and i.thread = m.thread and i.seq < m.seq and i.b & (16 | 32 | 64))")" "0"
# <reprise/plugin.h> puts the entry point just after the ecall; the host
# reports the ecall itself (its pc and icount, not yet retired). Either is
# checked to be exact.
same "all: syscall entry: a7 = nr, at or just after an ecall of the thread" \
    "$(q all.db "select count(*) from all_event s where s.kind = 'sys_enter' and (s.a <> s.b
                 or (not exists (select 1 from all_event i where i.kind = 'insn' and i.b & 128
                       and i.thread = s.thread and i.icount = s.icount and i.pc = s.pc)
                     and not exists (select 1 from all_event i where i.kind = 'insn' and i.b & 128
                       and i.thread = s.thread and i.icount = s.icount - 1 and i.pc = s.pc - 4)))")" "0"
same "all: syscall exit after its entry, a0 = ret" \
    "$(q all.db "select count(*) from all_event x where x.kind = 'sys_exit' and (x.icount < x.c
                 or (x.b not between -516 and -512 and x.b <> x.d)
                 or not exists (select 1 from all_event e where e.kind = 'sys_enter'
                 and e.thread = x.thread and e.icount = x.c and e.a = x.a and e.seq < x.seq))")" "0"
atleast "all: syscall exits" "$(q all.db "select count(*) from all_event where kind = 'sys_exit'")" 100
same "all: write's input buffer readable at entry" \
    "$(q all.db "select count(*) from all_event where kind = 'sys_enter' and a = 64 and d is null")" "0"
same "all: every thread is created once, before its first instruction, where it starts" \
    "$(q all.db "with f as (select thread, min(seq) s from all_event where kind = 'insn' group by thread)
                 select count(*) from f where (select count(*) from all_event c where c.kind = 'thread'
                   and c.a = 1 and c.thread = f.thread and c.seq < f.s and c.pc =
                   (select pc from all_event where seq = f.s)) <> 1")" "0"
atleast "all: threads created by a parent" \
    "$(q all.db "select count(*) from all_event where kind = 'thread' and a = 1 and b <> 0")" 2
atleast "all: thread exits" "$(q all.db "select count(*) from all_event where kind = 'thread' and a = 2")" 2
atleast "all: thread switches" "$(q all.db "select count(*) from all_event where kind = 'thread' and a = 3")" 1
same "all: one exit, status 0, at the end" \
    "$(q all.db "select count(*), a, b, icount from all_event where kind = 'exit'")" "1|0|0|$tn"
same "all: finish last" \
    "$(q all.db "select kind from all_event order by seq desc limit 1")" "finish"
check "expand all (signals)" 0 "$reprise" expand s.rpr -o sig.db -p "$allp:insn=false"
atleast "all: signals delivered" "$(q sig.db "select count(*) from all_event where kind = 'signal'")" 5
same "all: block instructions = replay's count" \
    "$(q sig.db "select sum(b) from all_event where kind = 'block'")" "$sn"
same "all (signals): runtime events in time order per thread" \
    "$(mono sig.db "'sys_enter','sys_exit','signal','thread','exit'" 'icount >= p')" "0"
same "all: a handled signal's handler is the thread's next block" \
    "$(q sig.db "select count(*) from all_event s where s.kind = 'signal' and s.b = 1 and
                 (select b.pc from all_event b where b.kind = 'block' and b.thread = s.thread
                  and b.icount >= s.icount order by b.icount limit 1) is not s.d")" "0"

# regs around signals (faults recovered with siglongjmp, timers): the
# writes just before each signal, against gdb. A faulting
# instruction writes nothing; an asynchronous signal comes between two
# instructions and must not let the handler's registers leak in.
check "expand regs (signals)" 0 "$reprise" expand s.rpr -o sregs.db -p regs
q sig.db "select icount from all_event where kind = 'signal'" > sigs.txt
if [ -n "$have_gdb" ]; then
    q -separator ' ' sregs.db "select icount, reg, value from regs r where exists (select 1 from
        (select value - 0 i from json_each('[$(paste -sd, sigs.txt)]')) s
        where r.icount between s.i - 4 and s.i) order by icount" > spick.txt
    gdb_regs s.rpr "$signals" spick.txt > sgdbvals.txt
    awk '{print $3}' spick.txt > sourvals.txt
    atleast "regs around signals: points" "$(wc -l < spick.txt)" 20
    same "regs around signals = gdb's" "$(diff sourvals.txt sgdbvals.txt | head -4)" ""
fi

# ---- the engine never changes a trace ----
# Expansion compiles hot blocks with their callbacks (docs/jit.md): every
# callback kind, memory access and register write must be the same as with
# the interpreter, on threads, signals and calls.
for r in t s g; do
    win=()
    [ $r = s ] && win=(--to 1500000) # nine signals; the whole run is 10^7 instructions
    for e in interp jit; do
        check "expand $r.rpr --engine $e" 0 "$reprise" expand --engine $e $r.rpr -o eng_${r}_$e.db \
            "${win[@]}" -p "$allp" -p insn -p mem -p call -p regs -p syscall -p cov
        for t in all_event block_exec mem call regs syscall cov signal; do
            q eng_${r}_$e.db "select * from $t order by 1, 2, 3" 2>/dev/null
        done > eng_${r}_$e.txt
    done
    atleast "engines: $r.rpr rows" "$(wc -l < eng_${r}_jit.txt)" 1000
    same "engines: $r.rpr traces equal" "$(cmp eng_${r}_interp.txt eng_${r}_jit.txt 2>&1)" ""
done
check "expand --engine bogus refused" 2 "$reprise" expand --engine bogus t.rpr -o x.db

# ---- a wait completed outside the vm ----
# guest_wait's poll times out while its thread is not running: the
# personality retires the ecall itself (lx_observer.retire). Its
# instruction is still traced: block executions add up to the replay, the
# instruction callbacks that retired too, and the poll returns 0.
"$reprise" record -o w.rpr "$waiter" > w.out 2>/dev/null || bad "record guest_wait"
wn=$(replayed w.rpr)
check "expand guest_wait" 0 "$reprise" expand w.rpr -o wait.db -p insn -p syscall
same "wait: block executions = the replay's instructions" \
    "$(q wait.db 'select sum(n_insns) from block_exec')" "$wn"
same "wait: the poll timed out" "$(q wait.db "select count(*) from syscall where name = 'ppoll' and ret = 0")" "1"
# plugin_all over 200 000 instructions around the poll's completion.
wf=$(($(q wait.db "select end_icount from syscall where name = 'ppoll'") - 100000))
check "expand guest_wait, plugin_all" 0 "$reprise" expand w.rpr -o waitall.db \
    --from $wf --to $((wf + 200000)) -p "$allp"
same "wait: plugin_all's blocks and retired callbacks = the window's instructions" \
    "$(q waitall.db "select (select sum(b) from all_event where kind = 'block'),
                           (select count(distinct icount) from all_event where kind = 'insn')")" \
    "200000|200000"

finish
