#!/usr/bin/env bash
# Differential end-to-end test: every deterministic sample runs under
# `reprise run` and under qemu-riscv64 with the same arguments and standard
# input; standard output and exit status must agree. clocks prints only
# invariants (its values differ between runs), so it is compared the same
# way and must also report no failure. Benchmarks run at scale 1.
#   test_samples.sh REPRISE SAMPLES_DIR
# Exits 77 (skipped) without qemu-riscv64.
set -u
reprise=$1 dir=$2
qemu=$(command -v qemu-riscv64) || { echo "qemu-riscv64 not found: skipped"; exit 77; }
qemu_args=(-L /usr/riscv64-linux-gnu -cpu rv64,zba=true,zbb=true,zbs=true)
pass=0 fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Inputs: some text for wc, a small file and a multi-page binary for mmap.
for i in $(seq 1 3000); do echo "line $i: the quick  brown fox	jumps over $((i * 7919 % 1000))"; done > "$tmp/text"
printf 'tiny' > "$tmp/tiny"
: > "$tmp/empty"

# run NAME STDIN PROGRAM ARGS...: compares reprise with qemu.
run() {
    local name=$1 in=$2 prog=$dir/$3; shift 3
    local args=("$@")
    if [ ! -x "$prog" ]; then fail=$((fail+1)); echo "FAIL: $name: $prog not built"; return; fi
    "$qemu" "${qemu_args[@]}" "$prog" "${args[@]//@OUT@/$tmp/q.out}" <"$in" >"$tmp/q.stdout" 2>"$tmp/q.stderr"
    local qs=$?
    "$reprise" run "$prog" "${args[@]//@OUT@/$tmp/r.out}" <"$in" >"$tmp/r.stdout" 2>"$tmp/r.stderr"
    local rs=$?
    if [ $qs != $rs ]; then
        fail=$((fail+1)); echo "FAIL: $name: exit status $rs, qemu $qs"; head -5 "$tmp/r.stderr"; return
    fi
    if ! diff "$tmp/q.stdout" "$tmp/r.stdout" >"$tmp/diff"; then
        fail=$((fail+1)); echo "FAIL: $name: output differs from qemu (< qemu, > reprise):"
        head -20 "$tmp/diff"; head -5 "$tmp/r.stderr"; return
    fi
    pass=$((pass+1))
}
# expect NAME PATTERN: the last reprise output contains PATTERN.
expect() {
    if grep -q -- "$2" "$tmp/r.stdout"; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $1: no '$2' in output:"; head -5 "$tmp/r.stdout"; fi
}

run hello /dev/null hello a b
expect "hello argv" "with 2 argument(s)"
run hello-static /dev/null hello-static x
run isa_mix /dev/null isa_mix
run wc "$tmp/text" wc
expect "wc counts" "^3000 "
run "wc empty" /dev/null wc
run wc-static "$tmp/text" wc-static
run "copy text" /dev/null copy "$tmp/text" @OUT@
expect "copy identical" "identical"
if cmp -s "$tmp/text" "$tmp/r.out"; then pass=$((pass+1)); else
    fail=$((fail+1)); echo "FAIL: copy: the file reprise wrote differs"; fi
run "copy binary" /dev/null copy "$dir/wc" @OUT@
run "copy empty" /dev/null copy "$tmp/empty" @OUT@
run "copy missing" /dev/null copy "$tmp/nope" @OUT@
run "mmap_file binary" /dev/null mmap_file "$dir/wc"
expect "mmap_file private copy" "file unchanged: yes"
run "mmap_file tiny" /dev/null mmap_file "$tmp/tiny"
run selfmod /dev/null selfmod
expect "selfmod second version" "v2: f(41) = 141"
run wild /dev/null wild
expect "wild survives" "survived, read-only page still zero"
run sockets /dev/null sockets
expect "sockets" "^0 failure(s)"
run clocks /dev/null clocks
expect "clock invariants" "^0 failure(s)"
for b in bench_int bench_mem bench_calls bench_fp; do run "$b" /dev/null "$b" 1; done
run signals /dev/null signals
run signals-static /dev/null signals-static
printf 'license\nwarranty free software\nzebra\n' > "$tmp/queries"
run index "$tmp/queries" index /usr/share/common-licenses/*
expect "index statistics" "files, .* bytes, .* distinct words"
expect "index queries" "^query 'warranty' ...: "
run omp /dev/null omp
expect "omp" "team of 4 threads, 4 arrived at the barrier"
run pthreads /dev/null pthreads
expect "pthreads queue" "consumed sum 1799970000 (expected 1799970000)"
# The schedule is a function of the inputs: the racy counter (stderr), whose
# value depends on where threads are switched, is the same in every run.
"$reprise" run "$dir/pthreads" >/dev/null 2>"$tmp/race1"
"$reprise" run "$dir/pthreads" >/dev/null 2>"$tmp/race2"
if grep -q "racy counter" "$tmp/race1" && cmp -s "$tmp/race1" "$tmp/race2"; then pass=$((pass+1)); else
    fail=$((fail+1)); echo "FAIL: deterministic schedule: $(cat "$tmp/race1") vs $(cat "$tmp/race2")"; fi
run pipe_threads /dev/null pipe_threads
expect "pipe_threads" "ping-pong sum 1000000, poll 0, sleeper 42"
run cxx /dev/null cxx
expect "cxx exception" "caught: bottom reached"

# forkexec: qemu-user cannot exec a riscv64 program without binfmt_misc, so
# its output is checked against the expected text instead.
"$reprise" run "$dir/forkexec" >"$tmp/r.stdout" 2>"$tmp/r.stderr"
st=$?
if [ $st = 0 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: forkexec: exit $st"; cat "$tmp/r.stderr"; fi
expect "fork + pipe + wait" "parent read 25 bytes: message through the pipe; child exit 3"
expect "exec of a guest program" "exec'd child exit 7"
expect "exec of a host shell (system)" "system() status 5"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
