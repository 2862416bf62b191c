#!/usr/bin/env bash
# End-to-end checks of `reprise expand` and `reprise plugins`, with the
# sqlite3 shell and binutils as oracles:
#   - the insn trace holds exactly the instructions the replay retired;
#   - the first executed pc is the program's ELF entry;
#   - the stored disassembly agrees with riscv64-linux-gnu-objdump;
#   - the summary gives the replay's count and the index time within the whole;
#   - --from/--to limit the rows to exactly the window;
#   - mem: every read returns the last write to the same bytes;
#   - bad plugin names, arguments and API versions give clear errors, and
#     so does a trace database that cannot be written;
#   - real programs (OpenMP on libgomp, C++ on libstdc++, the index
#     workload) expand cleanly with every built-in plugin.
#   test_expand.sh REPRISE STATIC_SAMPLE BAD_VERSION_PLUGIN THREADED_SAMPLE [SAMPLES_DIR]
set -u
reprise=$(realpath "$1") sample=$(realpath "$2") badver=$(realpath "$3")
threaded=$(realpath "$4") samples_dir=${5:+$(realpath "$5")}
. "$(dirname "$(realpath "$0")")/lib.sh"


check "record" 0 "$reprise" record -o s.rpr "$sample"
check "replay" 0 "$reprise" replay -q s.rpr
replayed=$(sed -n 's/.*replayed s.rpr: \([0-9]*\) instructions.*/\1/p' "$tmp/err")
[ -n "$replayed" ] || bad "replay printed no instruction count"

check "plugins" 0 "$reprise" plugins
expect_grep "plugins lists insn" "^insn " "$tmp/out"
expect_grep "plugins lists mem" "^mem " "$tmp/out"
check "plugins mem" 0 "$reprise" plugins mem
expect_grep "mem arguments" "reads=bool (default true)" "$tmp/out"

check "expand insn+mem" 0 "$reprise" expand s.rpr -o t.db -p insn -p mem
# The summary: the replay's count, and the seconds the indexes took within
# the whole.
summary=$(sed -n 's/^reprise: expanded s.rpr into t.db: \([0-9]*\) instructions replayed, [0-9]* rows, \([0-9.]*\) s (indexes \([0-9.]*\) s)$/\1 \2 \3/p' "$tmp/err")
read -r s_insns s_secs s_index <<< "$summary"
if [ "${s_insns:-}" = "$replayed" ] &&
    awk -v a="${s_secs:-0}" -v b="${s_index:-x}" 'BEGIN { exit !(b != "x" && b + 0 <= a + 0) }'; then ok; else
    bad "expand summary: $(cat "$tmp/err")"; fi
same "instructions = replay's count" "$(q t.db 'select sum(n_insns) from block_exec')" "$replayed"
# Runs: loops make block_run shorter than block_exec; a row of several
# repetitions of a path holds whole ones (from position 0, a multiple of
# the path's size) and at most 4096 instructions; a row of less than its
# path is part of one block; hello's loops include some of several blocks;
# a path's blocks are laid out back to back (offset, sizes); and each
# execution of a run starts where the one before it ended (every
# execution's icount is the end of the one before, in time order: with
# one thread, the whole trace is back to back).
same "block_run: fewer rows than executions" \
    "$(q t.db 'select (select count(*) from block_run) < (select count(*) from block_exec)')" "1"
same "block_run: runs of whole repetitions, at most 4096 instructions" \
    "$(q t.db 'select count(*) from block_run r join path p on p.id = r.path_id
               where (r.n_insns >= p.n_insns and (r.first <> 0 or r.n_insns % p.n_insns <> 0))
               or (r.n_insns > p.n_insns and r.n_insns > 4096)
               or (r.n_insns < p.n_insns and p.n_blocks > 1)')" "0"
same "block_run: some runs repeat a path of several blocks" \
    "$(q t.db 'select count(*) > 0 from block_run r join path p on p.id = r.path_id
               where p.n_blocks > 1 and r.n_insns >= 2 * p.n_insns')" "1"
same "path_block: the blocks of a path, back to back" \
    "$(q t.db 'select count(*) from path p where p.n_blocks <> (select count(*) from path_block
               where path_id = p.id) or p.n_insns <> (select sum(n_insns) from path_block
               where path_id = p.id) or exists (select 1 from path_block pb join block b
               on b.id = pb.block_id where pb.path_id = p.id and (pb.n_insns <> b.n_insns
               or pb.offset <> (select coalesce(sum(n_insns), 0) from path_block
               where path_id = p.id and seq < pb.seq)))')" "0"
same "block_exec: back to back" \
    "$(q t.db 'select count(*) from (select icount, lag(icount + n_insns) over (order by icount) prev
               from block_exec) where prev is not null and prev <> icount')" "0"
same "insn_exec rows = replay's count" "$(q t.db 'select count(*) from insn_exec')" "$replayed"
same "insn_exec icounts are 0..n-1" \
    "$(q t.db 'select count(distinct icount), min(icount), max(icount) from insn_exec')" \
    "$replayed|0|$((replayed-1))"
entry=$(riscv64-linux-gnu-readelf -h "$sample" | awk '/Entry point/ {print $4}')
same "first pc is the entry" "$(q t.db 'select pc from insn_exec where icount = 0')" \
    "$((entry))"
same "meta names the recording" "$(q t.db "select value from meta where key = 'recording'")" \
    "s.rpr"
same "plugin args stored" "$(q t.db "select name || '=' || value from plugin_arg order by name")" \
    "$(printf 'index=true\nreads=true\nwrites=true')"

# Disassembly of every distinct executed instruction against objdump.
riscv64-linux-gnu-objdump -d "$sample" |
    awk -F'\t' '/^ *[0-9a-f]+:\t/ { a=$1; sub(/^ */,"",a); sub(/:$/,"",a);
        d=$3; if ($4 != "") d=d "\t" $4; sub(/ *#.*/,"",d); sub(/ *<.*>$/,"",d);
        print a "\t" d }' | sort -u > objdump.txt
q -separator $'\t' t.db "select distinct printf('%x', pc), disasm from block_insn" |
    sort -u > ours.txt
nours=$(wc -l < ours.txt)
diffs=$(comm -23 ours.txt objdump.txt | wc -l)
if [ "$nours" -gt 100 ] && [ "$diffs" = 0 ]; then ok; else
    bad "disassembly: $diffs of $nours instructions differ from objdump:"
    comm -23 ours.txt objdump.txt | head -5; fi
same "a known instruction" \
    "$(q t.db "select disasm from block_insn where pc = $((entry)) limit 1")" \
    "$(awk -v a="$(printf '%x' "$entry")" 'index($0, a "\t") == 1 {print substr($0, length(a) + 2)}' objdump.txt)"

# Memory: a read returns the value of the last write to exactly its bytes,
# when no other write overlapped them since and no system call ran in
# between (the kernel's writes are not guest memory accesses).
nread=$(q t.db 'select count(*) from mem where kind = 1')
[ "$nread" -gt 100 ] && ok || bad "mem: only $nread reads"
mism=$(q t.db "
  create temp table sc as select icount from insn_exec where class & 128;
  with r as (select icount, addr, size, value from mem where kind = 1),
  c as (select r.value rv,
     (select w.value from mem w where w.kind in (2,3) and w.addr = r.addr and w.size = r.size
       and w.icount < r.icount order by w.icount desc limit 1) wv,
     (select max(w.icount) from mem w where w.kind in (2,3) and w.addr < r.addr + r.size
       and w.addr + w.size > r.addr and w.icount < r.icount) lastov,
     (select max(w.icount) from mem w where w.kind in (2,3) and w.addr = r.addr
       and w.size = r.size and w.icount < r.icount) lastex,
     r.icount ri
   from r),
  k as (select * from c where wv is not null and lastov = lastex
        and not exists (select 1 from sc where sc.icount between c.lastex and c.ri))
  select sum(wv <> rv), count(*) from k")
checked=${mism#*|}; mism=${mism%|*}
if [ "$mism" = 0 ] && [ "$checked" -gt 50 ]; then ok; else
    bad "mem: $mism of $checked reads differ from the last write"; fi
same "mem rows in the icount range" \
    "$(q t.db "select count(*) from mem where icount < 0 or icount >= $replayed")" "0"

# A window.
from=1000 to=5000
check "expand window" 0 "$reprise" expand s.rpr -o w.db --from $from --to $to -p insn -p mem
same "window rows" "$(q w.db 'select count(*), min(icount), max(icount) from insn_exec')" \
    "$((to-from))|$from|$((to-1))"
same "window rows agree with the full trace" \
    "$(q w.db 'select group_concat(pc) from (select pc from insn_exec order by icount)')" \
    "$(q t.db "select group_concat(pc) from (select pc from insn_exec where icount >= $from and icount < $to order by icount)")"
same "window mem rows" \
    "$(q w.db 'select count(*) from mem')" \
    "$(q t.db "select count(*) from mem where icount >= $from and icount < $to")"
same "window in meta" "$(q w.db "select group_concat(value) from meta where key in ('from','to')")" \
    "$from,$to"

# Rowid order is time order in block_run and mem (their ids are SQLite's,
# rows arrive in icount order): meta says so, the file agrees, and
# icount_id() turns the window into the same rows as a scan.
for t in block_run mem; do
    same "$t: listed in icount order" \
        "$(q t.db "select ' ' || value || ' ' like '% $t %' from meta where key = 'icount_ordered'")" "1"
    same "$t: icount never falls in rowid order" \
        "$(q t.db "select count(*) from (select icount < lag(icount) over (order by rowid) f from $t) where f")" "0"
    same "$t: icount_id() window = scan" \
        "$(rq t.db "select count(*), sum(icount) from $t where id >= icount_id('$t', $from) and id < icount_id('$t', $to)")" \
        "$(q -csv t.db "select count(*), sum(icount) from $t where icount >= $from and icount < $to")"
done

# Several threads: every instruction of every thread, each icount once.
check "record threads" 0 "$reprise" record -o m.rpr "$threaded"
check "replay threads" 0 "$reprise" replay -q m.rpr
mreplayed=$(sed -n 's/.*replayed m.rpr: \([0-9]*\) instructions.*/\1/p' "$tmp/err")
check "expand threads" 0 "$reprise" expand m.rpr -o m.db
same "threads: instructions = replay's count" \
    "$(q m.db 'select count(*), count(distinct icount), min(icount), max(icount) from insn_exec')" \
    "$mreplayed|$mreplayed|0|$((mreplayed-1))"
nthreads=$(q m.db 'select count(distinct thread) from block_exec')
[ "$nthreads" -gt 1 ] && ok || bad "threads: only $nthreads thread(s) in the trace"

# The thread and module tables.
same "thread table: one row per thread" "$(q m.db 'select count(*) from thread')" "$nthreads"
same "thread table: children name their parent" \
    "$(q m.db 'select count(*) from thread where parent_id is not null and parent_id not in (select id from thread)')" "0"
same "thread table: spans hold their blocks" \
    "$(q m.db 'select count(*) from block_exec e join thread t on t.id = e.thread where e.icount < t.start_icount or e.icount >= t.end_icount')" "0"
same "module table: the program is module 1" "$(q t.db 'select path from module where id = 1')" "$sample"
same "module table: the entry lies in the program" \
    "$(q t.db "select count(*) from module where id = 1 and base <= $((entry)) and end > $((entry))")" "1"

# Filters: each result is checked against the unfiltered trace.
tid=$(q m.db 'select thread from block_exec group by thread order by count(*) limit 1')
check "expand --thread" 0 "$reprise" expand m.rpr -o th.db --thread "$tid"
same "--thread keeps that thread's instructions" \
    "$(q th.db 'select count(*), count(distinct thread), sum(pc) from insn_exec')" \
    "$(q m.db "select count(*), count(distinct thread), sum(pc) from insn_exec where thread = $tid")"
same "--thread in meta" "$(q th.db "select value from meta where key = 'thread'")" "$tid"
lo=$((entry)) hi=$((entry + 0x400))
check "expand --pc" 0 "$reprise" expand s.rpr -o pc.db --pc "$lo-$hi" -p insn -p mem
same "--pc keeps the instructions in range" \
    "$(q pc.db 'select count(*), sum(icount) from insn_exec')" \
    "$(q t.db "select count(*), sum(icount) from insn_exec where pc >= $lo and pc < $hi")"
same "--pc keeps the accesses of those instructions" \
    "$(q pc.db 'select count(*), sum(addr) from mem')" \
    "$(q t.db "select count(*), sum(addr) from mem where pc >= $lo and pc < $hi")"
maddr=$(q t.db 'select addr from mem where kind = 2 group by addr order by count(*) desc limit 1')
check "expand --mem" 0 "$reprise" expand s.rpr -o mm.db --mem "$maddr-+8" -p mem
same "--mem keeps the accesses touching the range" \
    "$(q mm.db 'select count(*), sum(icount) from mem')" \
    "$(q t.db "select count(*), sum(icount) from mem where addr < $maddr + 8 and addr + size > $maddr")"
check "expand --sample" 0 "$reprise" expand s.rpr -o sm.db --sample 7
same "--sample keeps every 7th block execution" \
    "$(q sm.db 'select count(*), sum(icount), sum(n_insns) from block_exec')" \
    "$(q t.db 'select count(*), sum(icount), sum(n_insns) from (select row_number() over (order by icount) - 1 as k, icount, n_insns from block_exec) where k % 7 = 0')"
# Symbols: the entry is _start (nm is the oracle), every executed
# instruction of the static program has one, and --function keeps exactly
# the activation of main: from its first instruction to the one its
# return lands on (the return address, from the call's pc in objdump).
start_sym=$(riscv64-linux-gnu-nm "$sample" | awk -v a="$(printf '%016x' "$entry")" '$1 == a && $2 ~ /[Tt]/ {print $3; exit}')
same "insn_exec names the entry" "$(q t.db "select symbol from insn_exec where icount = 0")" "$start_sym"
same "every instruction has a symbol" "$(q t.db 'select count(*) from block_insn where symbol is null')" "0"
main_addr=$((0x$(riscv64-linux-gnu-nm "$sample" | awk '$3 == "main" {print $1}')))
same "symbol table knows main" "$(q t.db "select addr from symbol where name = 'main' and module_id = 1")" "$main_addr"
main_in=$(q t.db "select min(icount) from insn_exec where pc = $main_addr")
# main returns to the instruction after the one that called it
ret_pc=$(q t.db "select i.pc + i.size from insn_exec i where i.icount = $main_in - 1")
main_out=$(q t.db "select min(icount) from insn_exec where icount > $main_in and pc = $ret_pc")
check "expand --function main" 0 "$reprise" expand s.rpr -o fn.db --function main
same "--function keeps main's activation" \
    "$(q fn.db 'select count(*), min(icount), max(icount) from insn_exec')" \
    "$((main_out - main_in))|$main_in|$((main_out - 1))"
check "expand --function nosuch" 1 "$reprise" expand s.rpr -o e.db --function no_such_function
expect_grep "unknown function named" "no function of that name" "$tmp/err"
check "expand --limit" 0 "$reprise" expand s.rpr -o lim.db --limit 5000 -p insn -p mem
same "--limit writes exactly that many plugin rows" \
    "$(q lim.db 'select (select count(*) from block) + (select count(*) from block_insn) + (select count(*) from path) + (select count(*) from path_block) + (select count(*) from block_run) + (select count(*) from mem)')" "5000"
# A database that cannot be written (file size limit; SIGXFSZ ignored so
# that writes fail with EFBIG): exit 1 with SQLite's reason.
check "expand into a full file" 1 bash -c 'trap "" XFSZ; ulimit -f 64; exec "$@"' - \
    "$reprise" expand s.rpr -o full.db -q -p insn -p mem
expect_grep "write error named" "full.db: .*\(I/O error\|full\)" "$tmp/err"
check "bad --pc" 2 "$reprise" expand s.rpr -o e.db --pc 10-5
expect_grep "empty range named" "an empty range" "$tmp/err"
check "bad --mem" 2 "$reprise" expand s.rpr -o e.db --mem nonsense
check "bad --sample" 2 "$reprise" expand s.rpr -o e.db --sample 0
check "bad --thread" 2 "$reprise" expand s.rpr -o e.db --thread -3

# Real programs with every built-in plugin: the expansion replays them to
# their end (the instruction count of the plain replay), with rows in every
# plugin's main table.
if [ -n "$samples_dir" ]; then
    printf 'license\nwarranty\n' > queries
    for prog in omp cxx index; do
        [ -x "$samples_dir/$prog" ] || continue
        args=(); [ $prog = index ] && args=(/usr/share/common-licenses/GPL-3 /usr/share/common-licenses/BSD)
        check "record $prog" 0 "$reprise" record -o "$prog.rpr" "$samples_dir/$prog" "${args[@]}" <queries
        check "replay $prog" 0 "$reprise" replay -q "$prog.rpr"
        n=$(sed -n 's/.*replayed .*: \([0-9]*\) instructions.*/\1/p' "$tmp/err")
        check "expand $prog" 0 "$reprise" expand "$prog.rpr" -o "$prog.db" -q \
            -p insn -p mem -p call -p syscall -p cov
        same "$prog: every instruction expanded" "$(q "$prog.db" 'select sum(n_insns) from block_exec')" "$n"
        same "$prog: rows in every table" \
            "$(q "$prog.db" 'select (select count(*) > 0 from mem) + (select count(*) > 0 from call)
                + (select count(*) > 0 from syscall) + (select count(*) > 0 from cov)
                + (select count(*) > 1 from module) + (select count(*) > 0 from symbol)')" "6"
    done
    same "omp: OpenMP threads in the trace" "$(q omp.db 'select count(*) >= 4 from thread')" "1"
    # PLT stubs are named as objdump names them (calls to libc go through them)
    riscv64-linux-gnu-objdump -d "$samples_dir/index" |
        sed -n 's/^0*\([0-9a-f]*\) <\(.*@plt\)>:$/\1 \2/p' | sort > plt_objdump
    q index.db "select printf('%x', addr - (select bias from module where id = 1)) || ' ' || name
                from symbol where module_id = 1 and name like '%@plt'" | sort > plt_ours
    if [ -s plt_objdump ] && cmp -s plt_objdump plt_ours; then ok; else
        bad "index: PLT symbols differ from objdump's"; diff plt_objdump plt_ours | head -5; fi
    same "index: its functions by name" \
        "$(q index.db "select count(*) > 0 from call where symbol = 'lookup'")" "1"
fi

# Errors.
check "unknown plugin" 1 "$reprise" expand s.rpr -o e.db -p nosuch
expect_grep "unknown plugin named" "unknown plugin 'nosuch'" "$tmp/err"
check "bad plugin version" 1 "$reprise" expand s.rpr -o e.db -p "$badver"
expect_grep "version mismatch explained" "API version 999, this reprise provides version 1" "$tmp/err"
check "plugins bad version" 1 "$reprise" plugins "$badver"
check "unknown argument" 1 "$reprise" expand s.rpr -o e.db -p mem:colour=red
expect_grep "unknown argument named" "plugin mem has no argument 'colour'" "$tmp/err"
check "bad argument value" 1 "$reprise" expand s.rpr -o e.db -p mem:reads=perhaps
expect_grep "bad value named" "argument reads wants true or false, not 'perhaps'" "$tmp/err"
check "not a plugin" 1 "$reprise" expand s.rpr -o e.db -p /bin/true
check "no output" 2 "$reprise" expand s.rpr
# A window ending at or past the recording's end is the whole run.
for to in $replayed $((replayed + 1000000)); do
    check "expand --to $to (end $replayed)" 0 "$reprise" expand s.rpr -o end.db --to $to -p insn
    same "--to $to: every instruction" "$(q end.db 'select sum(n_insns) from block_exec')" "$replayed"
done
check "empty window" 2 "$reprise" expand s.rpr -o e.db --from 10 --to 10
check "output is the recording" 2 "$reprise" expand s.rpr -o s.rpr
check "recording kept" 0 "$reprise" replay -q s.rpr
check "missing recording" 1 "$reprise" expand nope.rpr -o e.db

finish
