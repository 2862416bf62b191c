#!/usr/bin/env bash
# gdb over a replay: gdb-multiarch (batch mode) drives `reprise debug` on a
# recording of gdbtarget: breakpoints, continue, locals and globals, step,
# next, finish, backtraces (also from inside libc), registers, stepi, the
# monitor, the recorded exit; a session leaves the recording unchanged and
# the replay undiverged; gdb can disconnect and a second gdb reconnect.
# On a recording of gdbwatch: watchpoints forwards and backwards,
# reverse-stepi then stepi back to the same registers, reverse-continue to
# breakpoints and to the beginning, `monitor seek` and `events`, a second
# thread (named through qXfer:threads); the library list from
# qXfer:libraries-svr4. Checkpoints, with small intervals so that reverse
# commands cross snapshots: watchpoints backwards, reverse-stepi/stepi
# across a snapshot, monitor checkpoint/restart, seeks equal to replays
# from the beginning, no process left after the session ends, is killed or
# terminated; --stop-at-end (reverse from the end).
#   REPRISE_DEBUG_OPTS: extra options for the sessions that set none;
#   GDB_TEST_KEEP=1 keeps the temporary folder.
#   test_gdb.sh REPRISE GDBTARGET GDBWATCH [GDBCRASH]
set -u
# Extra options for `reprise debug` (e.g. dbg_opts="--checkpoint-interval 0").
dbg_opts=${REPRISE_DEBUG_OPTS:-}
reprise=$(realpath "$1") target=$(realpath "$2") wtarget=$(realpath "$3")
ctarget=${4:+$(realpath "$4")}
if ! command -v gdb-multiarch >/dev/null; then
    echo "gdb-multiarch is not installed: skipped"
    exit 77
fi
pass=0 fail=0
tmp=$(mktemp -d)
dbg_pid=
cleanup() { [ -n "$dbg_pid" ] && kill "$dbg_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
[ -n "${GDB_TEST_KEEP:-}" ] && trap "echo kept \$tmp" EXIT
cd "$tmp"

ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# expect FILE REGEX WHAT
expect() { if grep -Eq -- "$2" "$1"; then ok; else bad "$3 (no /$2/ in $1)"; fi; }
# expect_seq FILE REGEX WHAT: REGEX over the whole file, lines joined by '~'.
expect_seq() { if tr '\n' '~' <"$1" | grep -Eq -- "$2"; then ok; else bad "$3 (no /$2/ in $1)"; fi; }

"$reprise" record -o t.rpr "$target" >rec.out 2>rec.err
rs=$?
[ $rs = 7 ] && ok || bad "record: exit $rs, expected 7"
expect rec.out '^t=52 counter=48' "record: program output"
sum0=$(sha256sum t.rpr)

# start_debug [FILE]: starts `reprise debug` in the background, sets $port.
start_debug() {
    rm -f dbg.out  # else the loop below may read the previous session's port
    "$reprise" debug ${dbg_opts:-} "${1:-t.rpr}" >dbg.out 2>dbg.err &
    dbg_pid=$!
    port=
    for _ in $(seq 100); do
        port=$(sed -n "s/.*target remote :\([0-9]*\)'.*/\1/p" dbg.out 2>/dev/null)
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    bad "reprise debug printed no port"; cat dbg.out dbg.err
    return 1
}

# finish_debug: waits (at most 20 s) for `reprise debug` to end, sets $ds.
finish_debug() {
    [ -n "${GDB_TEST_TIMING:-}" ] && echo "session ended at $(date +%s.%N)" >&2
    for _ in $(seq 200); do kill -0 "$dbg_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$dbg_pid" 2>/dev/null
    wait "$dbg_pid"; ds=$?; dbg_pid=
    # Under the sanitizers (build-asan), any report fails the session.
    if grep -Eq 'runtime error|Sanitizer' dbg.err 2>/dev/null; then
        bad "sanitizer report:"; grep -E -A5 'runtime error|Sanitizer' dbg.err | head -20
    fi
}

# gdbrun OUT COMMANDS...: one batch gdb session against $port (the
# program: $prog, default gdbtarget).
gdbrun() {
    local out=$1; shift
    local args=()
    for c in "$@"; do args+=(-ex "$c"); done
    timeout 60 gdb-multiarch -batch -nx -ex 'set architecture riscv:rv64' \
        -ex 'set sysroot /usr/riscv64-linux-gnu' -ex 'set pagination off' -ex 'set confirm off' \
        -ex 'set breakpoint pending on' -ex "target remote :$port" "${args[@]}" "${prog:-$target}" \
        >"$out" 2>&1
}

# Session 1: the whole program.
if start_debug; then
    expect dbg.out "gdb-multiarch .*set architecture riscv:rv64.*target remote :$port" "debug: connect hint"
    gdbrun gdb1.out 'break main' 'continue' 'next' 'print local' 'print counter' \
        'step' 'bt' 'finish' 'print counter' 'next' 'next' 'print t' 'info registers pc' \
        'stepi' 'info registers pc' 'monitor icount' 'break write' 'continue' 'bt' \
        'delete' 'continue'
    finish_debug
    [ $ds = 7 ] && ok || { bad "debug: exit $ds, expected the recorded 7"; tail -5 dbg.err; }
    expect gdb1.out 'Breakpoint 1, main \(argc=1' "break main, continue"
    expect gdb1.out '^\$1 = 42$' "print a local"
    expect gdb1.out '^\$2 = 5$' "print a global"
    expect gdb1.out '^add \(a=42, b=1\) at .*gdbtarget.c:15' "step into add"
    expect gdb1.out '^#1  0x[0-9a-f]+ in main \(argc=1' "backtrace"
    expect gdb1.out '^0x[0-9a-f]+ in main \(argc=1, .*gdbtarget.c:23' "finish: back in main"
    expect gdb1.out 'Value returned is \$3 = 43' "finish: returned value"
    expect gdb1.out '^\$4 = 48$' "global after the call"
    expect gdb1.out '^\$5 = 52$' "next over square"
    expect gdb1.out '^pc[[:space:]]+0x[0-9a-f]+[[:space:]]+0x[0-9a-f]+ <main\+[0-9]+>' "info registers pc"
    pcs=$(grep -E '^pc ' gdb1.out | awk '{print $2}' | uniq | wc -l)
    [ "$pcs" = 2 ] && ok || bad "stepi moved the pc ($pcs distinct pcs)"
    expect gdb1.out '^icount [0-9]+ \(thread [0-9]+: [0-9]+ instructions\), pc 0x' "monitor icount"
    expect gdb1.out 'Breakpoint 2, .*write' "breakpoint in libc"
    expect gdb1.out '^#[0-9]+ +0x[0-9a-f]+ in main \(argc=1' "backtrace from libc to main"
    expect gdb1.out 'exited with code 07' "the recorded exit"
    ! grep -q 'diverged' dbg.err dbg.out && ok || bad "debug: the replay diverged"
fi

# Session 2: gdb detaches at main, a second gdb reconnects and goes on.
if start_debug; then
    gdbrun gdb2.out 'break add' 'continue' 'detach'
    gdbrun gdb3.out 'info registers pc' 'bt 1' 'continue'
    finish_debug
    [ $ds = 7 ] && ok || bad "reconnect: exit $ds, expected 7"
    expect gdb2.out 'Breakpoint 1, add' "reconnect: first session stops in add"
    expect gdb3.out '^#0  add \(a=42' "reconnect: the second session finds the same stop"
    expect gdb3.out 'exited with code 07' "reconnect: the recorded exit"
fi

# Session 3: killing the process from gdb ends the session.
if start_debug; then
    gdbrun gdb4.out 'break square' 'continue' 'kill'
    finish_debug
    [ $ds = 0 ] && ok || bad "kill: exit $ds, expected 0"
    expect gdb4.out 'Breakpoint 1, square \(v=3\)' "kill: breakpoint in a static function"
fi

# Session 4: a pending breakpoint in libc from the first instruction (the
# stub stops at the dynamic linker's library events), the monitor.
if start_debug; then
    gdbrun gdb5.out 'break exit' 'continue' 'bt' 'monitor help' 'continue'
    finish_debug
    [ $ds = 7 ] && ok || bad "pending: exit $ds, expected 7"
    expect gdb5.out 'Breakpoint 1, .* in exit \(\) from .*libc.so' "pending breakpoint in libc"
    expect gdb5.out '__libc_start_main' "backtrace inside libc"
    expect gdb5.out 'icount +the current execution point' "monitor help"
    expect gdb5.out 'exited with code 07' "pending: the recorded exit"
fi

# Session 4b: the library list comes from the stub (qXfer:libraries-svr4,
# read from the dynamic linker's r_debug and link_map chain): the packet
# log shows the list, and gdb's view of libc (its load address, as gdb
# computes it from the list and the library's ELF file) matches the
# link_map's l_addr plus the .text offset objdump gives.
dbg_opts="--verbose"
if start_debug; then
    gdbrun gdb5b.out 'break exit' 'continue' 'info sharedlibrary' 'continue'
    finish_debug
    dbg_opts=${REPRISE_DEBUG_OPTS:-}
    expect dbg.err '^gdbstub <- qXfer:libraries-svr4:read::0,' "svr4: gdb asks for the library list"
    expect dbg.err '^gdbstub -> l<library-list-svr4 version="1.0" main-lm="0x[0-9a-f]+">' "svr4: the list, with the main link_map"
    laddr=$(sed -n 's|.*<library name="[^"]*/libc.so.6" lm="0x[0-9a-f]*" lmid="0x0" l_addr="\(0x[0-9a-f]*\)".*|\1|p' dbg.err | tail -1)
    from=$(awk '/\/libc.so.6$/ {print $1}' gdb5b.out | tail -1)
    od=objdump; command -v riscv64-linux-gnu-objdump >/dev/null && od=riscv64-linux-gnu-objdump
    text=$($od -h /usr/riscv64-linux-gnu/lib/libc.so.6 2>/dev/null | awk '$2 == ".text" {print $4}')
    if [ -n "$laddr" ] && [ -n "$from" ] && [ -n "$text" ] &&
        [ $((laddr + 0x$text)) = $((from)) ]; then ok
    else bad "svr4: libc at l_addr $laddr + .text $text, gdb says $from"; fi
fi

# Session 5: over a Unix socket.
rm -f dbg.out
"$reprise" debug --socket "$tmp/gdb.sock" t.rpr >dbg.out 2>dbg.err &
dbg_pid=$!
for _ in $(seq 100); do grep -qs 'target remote' dbg.out && break; sleep 0.05; done
timeout 60 gdb-multiarch -batch -nx -ex 'set architecture riscv:rv64' \
    -ex 'set sysroot /usr/riscv64-linux-gnu' -ex "target remote $tmp/gdb.sock" \
    -ex 'break add' -ex 'continue' -ex 'continue' "$target" >gdb6.out 2>&1
finish_debug
[ $ds = 7 ] && ok || bad "socket: exit $ds, expected 7"
expect gdb6.out 'Breakpoint 1, add \(a=42' "socket: breakpoint"
expect gdb6.out 'exited with code 07' "socket: the recorded exit"

# The watchpoint / reverse-execution / thread sessions, on gdbwatch.
"$reprise" record -o w.rpr "$wtarget" >wrec.out 2>wrec.err
rs=$?
[ $rs = 0 ] && ok || bad "record gdbwatch: exit $rs"
expect wrec.out '^watched=30 other=42' "record gdbwatch: program output"
wsum0=$(sha256sum w.rpr)
prog=$wtarget

# Session 6: watch a global: continue to its next writes (old and new
# values, stopped right after the store), reverse-continue to the write
# just crossed and to the one before, then forwards again.
if start_debug w.rpr; then
    gdbrun gdb7.out 'break main' 'continue' 'watch watched' 'continue' 'continue' \
        'reverse-continue' 'reverse-continue' 'continue' 'delete' 'continue'
    finish_debug
    [ $ds = 0 ] && ok || { bad "watch: exit $ds, expected 0"; tail -5 dbg.err; }
    expect_seq gdb7.out 'Hardware watchpoint 2: watched~~Old value = 0~New value = 10~bump \(i=1\) at [^~]*gdbwatch.c:20~' "watch: first write"
    expect_seq gdb7.out 'Old value = 10~New value = 20~bump \(i=2\) at [^~]*gdbwatch.c:20~' "watch: next write"
    expect_seq gdb7.out 'New value = 20~[^~]*~[^~]*~~Hardware watchpoint 2: watched~~Old value = 20~New value = 10~0x[0-9a-f]+ in bump \(i=2\) at [^~]*gdbwatch.c:19~' "reverse-continue: back across the write"
    expect_seq gdb7.out 'Old value = 10~New value = 0~0x[0-9a-f]+ in bump \(i=1\) at [^~]*gdbwatch.c:19~' "reverse-continue: the previous write"
    expect_seq gdb7.out 'New value = 0~[^~]*~[^~]*~~Hardware watchpoint 2: watched~~Old value = 0~New value = 10~bump \(i=1\)' "watch: forwards again after reverse"
    expect gdb7.out 'exited normally' "watch: the recorded exit"
    ! grep -q 'diverged' dbg.err dbg.out && ok || bad "watch: the replay diverged"
fi

# Session 7: reverse-stepi 5 times then stepi 5 times: the same pc and
# registers; reverse-continue to a breakpoint hit and to the beginning;
# monitor seek.
if start_debug w.rpr; then
    rsi=() si=()
    for _ in 1 2 3 4 5; do rsi+=('reverse-stepi'); si+=('stepi'); done
    gdbrun gdb8.out 'break bump' 'continue' 'continue' 'echo ==A==\n' 'info registers' \
        'monitor icount' 'echo ==B==\n' "${rsi[@]}" 'echo ==C==\n' 'info registers' \
        'monitor icount' "${si[@]}" 'echo ==D==\n' 'info registers' 'monitor icount' \
        'echo ==E==\n' 'reverse-continue' 'reverse-continue' 'monitor seek 1000' \
        'maint flush register-cache' 'monitor icount' 'monitor events' 'delete' 'continue'
    finish_debug
    [ $ds = 0 ] && ok || { bad "reverse-stepi: exit $ds, expected 0"; tail -5 dbg.err; }
    sed -n '/^==A==$/,/^==B==$/p' gdb8.out | grep -v '^==' >regs_a
    sed -n '/^==C==$/,/^==D==$/p' gdb8.out | grep -v '^==' | sed -n '/^ra /,$p' >regs_c
    sed -n '/^==D==$/,/^==E==$/p' gdb8.out | grep -v '^==' >regs_d
    [ -s regs_a ] && cmp -s regs_a regs_d && ok || bad "reverse-stepi x5, stepi x5: different registers"
    pa=$(grep -E '^pc ' regs_a | awk '{print $2}') pc=$(grep -E '^pc ' regs_c | awk '{print $2}')
    [ -n "$pa" ] && [ -n "$pc" ] && [ "$pa" != "$pc" ] && ok || bad "reverse-stepi did not move the pc ($pa, $pc)"
    ia=$(sed -n 's/^icount \([0-9]*\) .*/\1/p' regs_a) ic=$(sed -n 's/^icount \([0-9]*\) .*/\1/p' regs_c)
    [ -n "$ia" ] && [ "$ic" = $((ia - 5)) ] && ok || bad "reverse-stepi x5: icount $ia -> $ic"
    expect_seq gdb8.out '==E==~~Breakpoint 1, bump \(i=1\) at [^~]*gdbwatch.c:19' "reverse-continue to a breakpoint"
    expect gdb8.out 'No more reverse-execution history' "reverse-continue to the beginning"
    expect gdb8.out '^icount 1000 \(thread' "monitor seek"
    expect_seq gdb8.out '~-> here: icount 1000~  icount [0-9]+ thread [0-9]+ pc 0x[0-9a-f]+: [a-z_]+~' "monitor events"
    expect gdb8.out 'exited normally' "reverse-stepi: the recorded exit"
fi

# Session 8: a breakpoint in a second thread, forwards and backwards.
if start_debug w.rpr; then
    gdbrun gdb9.out 'break worker' 'continue' 'info threads' 'next' 'next' 'print other' \
        'reverse-continue' 'info threads' 'continue'
    finish_debug
    [ $ds = 0 ] && ok || { bad "thread: exit $ds, expected 0"; tail -5 dbg.err; }
    expect gdb9.out 'Thread 2 ("[^"]*" )?hit Breakpoint 1, worker \(arg=0x' "breakpoint in a second thread"
    expect gdb9.out '^\* 2 +Thread [0-9]+ +("[^"]*" +)?worker' "info threads: the second thread"
    expect gdb9.out '^  1 +Thread [0-9]+ "gdbwatch" ' "info threads: thread names (qXfer:threads)"
    expect gdb9.out '^\$1 = 42$' "a global written by the second thread"
    n=$(grep -cE 'Thread 2 ("[^"]*" )?hit Breakpoint 1, worker' gdb9.out)
    [ "$n" = 2 ] && ok || bad "reverse-continue in the second thread ($n hits)"
    expect gdb9.out 'exited normally' "thread: the recorded exit"
fi
# The command line of the checkpoint options.
"$reprise" debug --help >help.out 2>&1
expect help.out '^  --checkpoint-interval N$' "debug --help: --checkpoint-interval"
expect help.out '^  --max-checkpoints N +live checkpoints' "debug --help: --max-checkpoints"
expect help.out '^  --stop-at-end +stop at the last instruction' "debug --help: --stop-at-end"
for bad_opt in "--checkpoint-interval x" "--checkpoint-interval -5" "--max-checkpoints 1" "--max-checkpoints 64"; do
    # shellcheck disable=SC2086
    "$reprise" debug $bad_opt w.rpr >badopt.out 2>&1
    rs=$?
    [ $rs = 2 ] && grep -q -- "${bad_opt%% *} wants" badopt.out && ok || bad "debug $bad_opt: exit $rs, expected 2 with a message"
done

# Checkpoints (docs/debug.md): small intervals so that the reverse
# commands cross snapshot boundaries. The sessions run on a copy of the
# recording under a name of their own, so that pgrep finds the session's
# processes (the supervisor, the replay and its snapshots) and nothing else.
cp w.rpr ck.rpr
ckfile=$tmp/ck.rpr
# session_procs: how many processes of the checkpoint sessions are alive.
session_procs() { pgrep -fc -- "$ckfile" || true; }

# Session 9: watchpoints backwards across snapshots (every 100
# instructions, at most 6 live: the scans go back snapshot by snapshot).
dbg_opts="--checkpoint-interval 100 --max-checkpoints 6"
if start_debug "$ckfile"; then
    gdbrun ck1.out 'break main' 'continue' 'watch watched' 'continue' 'continue' \
        'reverse-continue' 'reverse-continue' 'continue' 'monitor checkpoints' 'delete' 'continue'
    finish_debug
    [ $ds = 0 ] && ok || { bad "checkpoints, watch: exit $ds, expected 0"; tail -5 dbg.err; }
    expect_seq ck1.out 'New value = 20~[^~]*~[^~]*~~Hardware watchpoint 2: watched~~Old value = 20~New value = 10~0x[0-9a-f]+ in bump \(i=2\) at [^~]*gdbwatch.c:19~' "checkpoints: reverse-continue back across the write"
    expect_seq ck1.out 'Old value = 10~New value = 0~0x[0-9a-f]+ in bump \(i=1\) at [^~]*gdbwatch.c:19~' "checkpoints: reverse-continue to the previous write"
    expect_seq ck1.out 'New value = 0~[^~]*~[^~]*~~Hardware watchpoint 2: watched~~Old value = 0~New value = 10~bump \(i=1\)' "checkpoints: forwards again"
    expect ck1.out '^snapshots \(6 live, every 100 instructions\): 0\* [0-9]+' "checkpoints: thinned to 6 live snapshots"
    expect ck1.out 'exited normally' "checkpoints, watch: the recorded exit"
    n=$(session_procs)
    [ "$n" = 0 ] && ok || bad "checkpoints: $n processes left after the session"
fi

# Session 10: go to just after a snapshot (monitor seek), reverse-stepi 5
# times across it, stepi 5 times: the same pc and registers; a checkpoint
# and restart to it give back the same registers; kill ends every process.
dbg_opts="--checkpoint-interval 1000"
if start_debug "$ckfile"; then
    rsi=() si=()
    for _ in 1 2 3 4 5; do rsi+=('reverse-stepi'); si+=('stepi'); done
    gdbrun ck2.out 'break bump' 'continue' 'monitor seek 50002' 'maint flush register-cache' \
        'monitor checkpoints' 'echo ==A==\n' 'info registers' 'monitor icount' 'echo ==B==\n' \
        "${rsi[@]}" 'echo ==C==\n' 'monitor icount' "${si[@]}" 'echo ==D==\n' 'info registers' \
        'monitor icount' 'echo ==E==\n' 'continue' 'monitor checkpoint' 'echo ==F==\n' \
        'info registers' 'echo ==G==\n' 'continue' 'monitor checkpoint' 'reverse-stepi' \
        'monitor checkpoints' 'monitor restart 1' 'maint flush register-cache' 'echo ==H==\n' \
        'info registers' 'echo ==I==\n' 'monitor restart 9' 'monitor restart 2' \
        'maint flush register-cache' 'monitor icount' 'echo ==J==\n' \
        "shell pgrep -fc -- '$ckfile' >ck_procs" 'kill'
    finish_debug
    [ $ds = 0 ] && ok || { bad "checkpoints, stepi: exit $ds, expected 0"; tail -5 dbg.err; }
    expect_seq ck2.out '~snapshots \([0-9]+ live, every 1000 instructions\): 0\*[ 0-9*]* 50000[ *~]' "checkpoints: a snapshot at 50000 on the way to 50002"
    sed -n '/^==A==$/,/^==B==$/p' ck2.out | grep -v '^==' >ck_a
    sed -n '/^==B==$/,/^==D==$/p' ck2.out | sed -n 's/^icount \([0-9]*\) (thread [0-9]*: \([0-9]*\) .*/\1 \2/p' >ck_c
    sed -n '/^==D==$/,/^==E==$/p' ck2.out | grep -v '^==' >ck_d
    [ -s ck_a ] && cmp -s ck_a ck_d && ok || bad "checkpoints: reverse-stepi x5, stepi x5 across a snapshot: different registers"
    read -r ia ta < <(sed -n 's/^icount \([0-9]*\) (thread [0-9]*: \([0-9]*\) .*/\1 \2/p' ck_a)
    read -r ic tc <ck_c
    [ "$ia" = 50002 ] && [ -n "$tc" ] && [ "$tc" = $((ta - 5)) ] && [ "$ic" -lt 50000 ] && ok ||
        bad "checkpoints: reverse-stepi x5 from icount $ia (thread $ta) went to $ic (thread $tc)"
    expect ck2.out '^checkpoint 1 at icount [0-9]+ \(thread [0-9]+: [0-9]+ instructions\)' "monitor checkpoint"
    expect ck2.out '^  2  icount [0-9]+ \(thread' "monitor checkpoints lists them"
    sed -n '/^==F==$/,/^==G==$/p' ck2.out | grep -v '^==' >ck_f
    sed -n '/^==H==$/,/^==I==$/p' ck2.out | grep -v '^==' >ck_h
    [ -s ck_f ] && cmp -s ck_f ck_h && ok || bad "monitor restart 1: different registers from checkpoint 1's"
    expect ck2.out '^no checkpoint 9 ' "monitor restart of an unknown checkpoint"
    c2=$(sed -n 's/^checkpoint 2 at icount \([0-9]*\) .*/\1/p' ck2.out)
    expect_seq ck2.out "==I==~[^~]*~at icount $c2~icount $c2 \\(thread" "monitor restart forwards to checkpoint 2"
    n=$(cat ck_procs 2>/dev/null)
    [ "${n:-0}" -ge 4 ] && ok || bad "checkpoints: only ${n:-no} session processes while running (no snapshots?)"
    n=$(session_procs)
    [ "$n" = 0 ] && ok || bad "checkpoints: $n processes left after kill"
fi

# Session 11: the snapshots end with the session when gdb detaches and
# reprise debug is terminated; --checkpoint-interval 0 replays from the
# beginning as before.
dbg_opts="--checkpoint-interval 500"
if start_debug "$ckfile"; then
    gdbrun ck3.out 'break bump' 'continue' 'continue' 'reverse-continue' 'detach'
    kill "$dbg_pid"
    wait "$dbg_pid"
    ds=$? dbg_pid=
    [ $ds = 143 ] && ok || bad "checkpoints, terminated: exit $ds, expected 143"
    expect ck3.out 'Breakpoint 1, bump \(i=1\)' "checkpoints: reverse-continue before detach"
    n=$(session_procs)
    [ "$n" = 0 ] && ok || bad "checkpoints: $n processes left after SIGTERM"
fi
dbg_opts="--checkpoint-interval 0"
if start_debug "$ckfile"; then
    gdbrun ck4.out 'break bump' 'continue' 'continue' 'reverse-stepi' 'reverse-continue' \
        'monitor checkpoints' 'continue' 'delete' 'continue'
    finish_debug
    [ $ds = 0 ] && ok || bad "no checkpoints: exit $ds, expected 0"
    [ "$(grep -c 'Breakpoint 1, bump (i=1)' ck4.out)" = 2 ] && ok || bad "no checkpoints: reverse-continue"
    expect ck4.out '^snapshots: off' "no checkpoints: monitor checkpoints"
fi
# Session 12: seeks in scrambled order land on the same registers, all
# threads, with few, sparse snapshots as when every seek replays from the
# beginning (the oracle: --checkpoint-interval 0).
seeks=()
for n in 90000 20000 60000 110000 5000 100000 60000; do
    seeks+=("monitor seek $n" 'maint flush register-cache' 'info threads' 'info registers' 'monitor icount')
done
for o in "--checkpoint-interval 0" "--checkpoint-interval 700 --max-checkpoints 3"; do
    dbg_opts=$o
    if start_debug "$ckfile"; then
        gdbrun "ck_seek${o//[^0-9]/}.out" "${seeks[@]}" 'kill'
        finish_debug
    fi
done
grep -q '^icount 60000 ' ck_seek0.out && cmp -s ck_seek0.out ck_seek7003.out && ok ||
    bad "checkpoints: seeks differ from replays from the beginning (ck_seek0.out, ck_seek7003.out)"

# Session 13: --stop-at-end: the end is first a SIGKILL stop at the last
# instruction (in _exit), from which reverse execution works; continuing
# from there reports the recorded exit.
dbg_opts="--stop-at-end --checkpoint-interval 5000"
if start_debug "$ckfile"; then
    gdbrun ck5.out 'break bump' 'continue' 'delete' 'continue' 'monitor icount' 'break bump' \
        'reverse-continue' 'continue' 'reverse-stepi' 'stepi' 'continue'
    finish_debug
    [ $ds = 0 ] && ok || bad "stop at end: exit $ds, expected 0"
    end=$(sed -n 's/^  pid [0-9]*: icount 0\.\.\([0-9]*\),.*/\1/p' <("$reprise" info ck.rpr))
    expect_seq ck5.out "Program received signal SIGKILL, Killed\\.~0x[0-9a-f]+ in _exit \\(\\) from [^~]*libc.so.6~icount $((end - 1)) \\(" "stop at end: a SIGKILL stop at the last instruction"
    expect_seq ck5.out 'Breakpoint 2, bump \(i=3\) at [^~]*~[^~]*~~Program received signal SIGKILL' "stop at end: reverse-continue from the end, then forwards to it again"
    expect ck5.out 'exited normally' "stop at end: continuing reports the recorded exit"
fi
dbg_opts=${REPRISE_DEBUG_OPTS:-}
cmp -s w.rpr ck.rpr && ok || bad "the checkpoint sessions changed their recording"
"$reprise" replay -q ck.rpr >/dev/null 2>ckrep.err && ok || bad "replay after the checkpoint sessions"

# Session 14: a crash. As with a live process, gdb first sees the fatal
# signal at the faulting instruction (the process kept, so one can look and
# go back: a watchpoint on the pointer and reverse-continue find the write
# that spoiled it); continuing then reports the recorded termination.
if [ -n "$ctarget" ]; then
    prog=$ctarget
    "$reprise" record -o c.rpr "$ctarget" >crec.out 2>crec.err
    rs=$?
    [ $rs = 139 ] && ok || bad "record gdbcrash: exit $rs, expected 139"
    csum0=$(sha256sum c.rpr)
    if start_debug c.rpr; then
        gdbrun cr.out 'continue' 'x/i $pc' 'watch -l slot' 'reverse-continue' 'bt 1' \
            'delete' 'continue' 'continue'
        finish_debug
        [ $ds = 139 ] && ok || bad "crash: debug exit $ds, expected the recorded 139"
        expect_seq cr.out 'Program received signal SIGSEGV, Segmentation fault\.~[^~]*main \(\) at [^~]*gdbcrash.c:20~20[^~]*\*slot = 2;' "crash: a SIGSEGV stop at the faulting line"
        expect cr.out '^=> 0x[0-9a-f]+ <main\+[0-9]+>:[[:space:]]+s[dw][[:space:]]' "crash: the pc is the faulting store"
        expect_seq cr.out 'Hardware watchpoint 1: -location slot~~Old value = \(long \*\) 0xdead0000~New value = \(long \*\) 0x[0-9a-f]+ <value>~[^~]*spoil \(p=0xdead0000\) at [^~]*gdbcrash.c:11' "crash: reverse-continue to the bad write"
        expect_seq cr.out 'Program received signal SIGSEGV[^~]*~[^~]*gdbcrash.c:20~[^~]*~~Program terminated with signal SIGSEGV' "crash: forwards to the crash again, then the recorded end"
    fi
    [ "$(sha256sum c.rpr)" = "$csum0" ] && ok || bad "crash: the recording changed"
fi

unset prog

[ "$(sha256sum w.rpr)" = "$wsum0" ] && ok || bad "the gdbwatch recording changed"
"$reprise" replay -q w.rpr >/dev/null 2>wrep.err
rs=$?
[ $rs = 0 ] && ok || { bad "replay of gdbwatch after debugging: exit $rs"; tail -3 wrep.err; }
[ "$(sha256sum t.rpr)" = "$sum0" ] && ok || bad "the recording changed"
"$reprise" replay -q t.rpr >/dev/null 2>rep.err
rs=$?
[ $rs = 7 ] && ok || { bad "replay after debugging: exit $rs"; tail -3 rep.err; }

echo "$pass passed, $fail failed"
[ $fail = 0 ]
