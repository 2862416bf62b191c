#!/usr/bin/env bash
# gdb over a replay: gdb-multiarch (batch mode) drives `reprise debug` on a
# recording of gdbtarget: breakpoints, continue, locals and globals, step,
# next, finish, backtraces (also from inside libc), registers, stepi, the
# monitor, the recorded exit; a session leaves the recording unchanged and
# the replay undiverged; gdb can disconnect and a second gdb reconnect.
#   test_gdb.sh REPRISE GDBTARGET
set -u
reprise=$(realpath "$1") target=$(realpath "$2")
if ! command -v gdb-multiarch >/dev/null; then
    echo "gdb-multiarch is not installed: skipped"
    exit 77
fi
pass=0 fail=0
tmp=$(mktemp -d)
dbg_pid=
cleanup() { [ -n "$dbg_pid" ] && kill "$dbg_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp"

ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# expect FILE REGEX WHAT
expect() { if grep -Eq -- "$2" "$1"; then ok; else bad "$3 (no /$2/ in $1)"; fi; }

"$reprise" record -o t.rpr "$target" >rec.out 2>rec.err
rs=$?
[ $rs = 7 ] && ok || bad "record: exit $rs, expected 7"
expect rec.out '^t=52 counter=48' "record: program output"
sum0=$(sha256sum t.rpr)

# start_debug: starts `reprise debug` in the background, sets $port.
start_debug() {
    "$reprise" debug t.rpr >dbg.out 2>dbg.err &
    dbg_pid=$!
    port=
    for _ in $(seq 100); do
        port=$(sed -n "s/.*target remote :\([0-9]*\)'.*/\1/p" dbg.out)
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    bad "reprise debug printed no port"; cat dbg.out dbg.err
    return 1
}

# gdbrun OUT COMMANDS...: one batch gdb session against $port.
gdbrun() {
    local out=$1; shift
    local args=()
    for c in "$@"; do args+=(-ex "$c"); done
    timeout 60 gdb-multiarch -batch -nx -ex 'set architecture riscv:rv64' \
        -ex 'set sysroot /usr/riscv64-linux-gnu' -ex 'set pagination off' -ex 'set confirm off' \
        -ex 'set breakpoint pending on' -ex "target remote :$port" "${args[@]}" "$target" \
        >"$out" 2>&1
}

# Session 1: the whole program.
if start_debug; then
    expect dbg.out "gdb-multiarch .*set architecture riscv:rv64.*target remote :$port" "debug: connect hint"
    gdbrun gdb1.out 'break main' 'continue' 'next' 'print local' 'print counter' \
        'step' 'bt' 'finish' 'print counter' 'next' 'next' 'print t' 'info registers pc' \
        'stepi' 'info registers pc' 'monitor icount' 'break write' 'continue' 'bt' \
        'delete' 'continue'
    wait "$dbg_pid"; ds=$?; dbg_pid=
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
    wait "$dbg_pid"; ds=$?; dbg_pid=
    [ $ds = 7 ] && ok || bad "reconnect: exit $ds, expected 7"
    expect gdb2.out 'Breakpoint 1, add' "reconnect: first session stops in add"
    expect gdb3.out '^#0  add \(a=42' "reconnect: the second session finds the same stop"
    expect gdb3.out 'exited with code 07' "reconnect: the recorded exit"
fi

# Session 3: killing the process from gdb ends the session.
if start_debug; then
    gdbrun gdb4.out 'break square' 'continue' 'kill'
    wait "$dbg_pid"; ds=$?; dbg_pid=
    [ $ds = 0 ] && ok || bad "kill: exit $ds, expected 0"
    expect gdb4.out 'Breakpoint 1, square \(v=3\)' "kill: breakpoint in a static function"
fi

# Session 4: a pending breakpoint in libc from the first instruction (the
# stub stops at the dynamic linker's library events), the monitor.
if start_debug; then
    gdbrun gdb5.out 'break exit' 'continue' 'bt' 'monitor help' 'continue'
    wait "$dbg_pid"; ds=$?; dbg_pid=
    [ $ds = 7 ] && ok || bad "pending: exit $ds, expected 7"
    expect gdb5.out 'Breakpoint 1, .* in exit \(\) from .*libc.so' "pending breakpoint in libc"
    expect gdb5.out '__libc_start_main' "backtrace inside libc"
    expect gdb5.out 'icount +the current execution point' "monitor help"
    expect gdb5.out 'exited with code 07' "pending: the recorded exit"
fi

# Session 5: over a Unix socket.
"$reprise" debug --socket "$tmp/gdb.sock" t.rpr >dbg.out 2>dbg.err &
dbg_pid=$!
for _ in $(seq 100); do grep -q 'target remote' dbg.out && break; sleep 0.05; done
timeout 60 gdb-multiarch -batch -nx -ex 'set architecture riscv:rv64' \
    -ex 'set sysroot /usr/riscv64-linux-gnu' -ex "target remote $tmp/gdb.sock" \
    -ex 'break add' -ex 'continue' -ex 'continue' "$target" >gdb6.out 2>&1
wait "$dbg_pid"; ds=$?; dbg_pid=
[ $ds = 7 ] && ok || bad "socket: exit $ds, expected 7"
expect gdb6.out 'Breakpoint 1, add \(a=42' "socket: breakpoint"
expect gdb6.out 'exited with code 07' "socket: the recorded exit"

[ "$(sha256sum t.rpr)" = "$sum0" ] && ok || bad "the recording changed"
"$reprise" replay -q t.rpr >/dev/null 2>rep.err
rs=$?
[ $rs = 7 ] && ok || { bad "replay after debugging: exit $rs"; tail -3 rep.err; }

echo "$pass passed, $fail failed"
[ $fail = 0 ]
