#!/usr/bin/env bash
# End-to-end checks of the reprise command line: help, versions, exit codes,
# clear errors on bad input, and `reprise disas` on a real sample agreeing
# with objdump on every instruction.
#   test_cli.sh REPRISE SAMPLE_ELF STATIC_SAMPLE_ELF
set -u
reprise=$(realpath "$1") sample=$2 static_sample=$3
pass=0 fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check() { # name, expected status, command...
    local name=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
    if [ "$got" = "$want" ]; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $name: exit $got, want $want"; cat "$tmp/err"; fi
}
expect_grep() { # name, pattern, file
    if grep -q -- "$2" "$3"; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $1: no '$2' in:"; head -5 "$3"; fi
}

check "help" 0 "$reprise" --help
expect_grep "help lists disas" "disas" "$tmp/out"
check "version" 0 "$reprise" --version
expect_grep "version" "^reprise [0-9]" "$tmp/out"
check "no command" 2 "$reprise"
check "unknown command" 2 "$reprise" frobnicate
expect_grep "unknown command named" "unknown command 'frobnicate'" "$tmp/err"
check "disas help" 0 "$reprise" disas --help
check "disas no file" 2 "$reprise" disas
check "disas missing file" 1 "$reprise" disas "$tmp/nope"
expect_grep "missing file named" "nope: No such file" "$tmp/err"
head -c 3000 /dev/urandom > "$tmp/junk"
check "disas junk" 1 "$reprise" disas "$tmp/junk"
expect_grep "junk rejected" "not an ELF file" "$tmp/err"
check "disas host ELF" 1 "$reprise" disas /bin/true
expect_grep "wrong machine" "not a 64-bit RISC-V ELF" "$tmp/err"
# A truncated ELF must give an error or partial output, never a crash.
head -c 5000 "$sample" > "$tmp/trunc"
"$reprise" disas "$tmp/trunc" >/dev/null 2>&1; st=$?
if [ $st -le 2 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: truncated ELF: exit $st"; fi

check "disas sample" 0 "$reprise" disas "$sample"
expect_grep "main symbol" "<main>:" "$tmp/out"
# Same instruction text as objdump for every instruction of the sample.
if command -v riscv64-linux-gnu-objdump >/dev/null; then
    norm() { awk -F'\t' '/^ *[0-9a-f]+:\t/ { t = $3; if ($4 != "") t = t "\t" $4;
             sub(/ *#.*/, "", t); sub(/ <[^>]*>$/, "", t); sub(/:$/, "", $1); gsub(/ /, "", $1);
             print $1 " " t }'; }
    "$reprise" disas "$sample" | norm > "$tmp/ours"
    riscv64-linux-gnu-objdump -d -z "$sample" | norm > "$tmp/theirs"
    if diff "$tmp/theirs" "$tmp/ours" > "$tmp/diff"; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: disas differs from objdump:"; head -20 "$tmp/diff"; fi
fi
# reprise run: help, errors, exit status, and a static program started by a
# relative path (glibc's static startup reads /proc/self/exe and insists on
# an absolute path there).
check "run help" 0 "$reprise" run --help
expect_grep "run help mentions sysroot" "--sysroot" "$tmp/out"
check "run without program" 2 "$reprise" run
check "run missing program" 1 "$reprise" run "$tmp/nope"
expect_grep "run missing program named" "nope" "$tmp/err"
check "run host binary" 1 "$reprise" run /bin/true
expect_grep "host binary rejected" "not a riscv64 program" "$tmp/err"
# record: the same errors, no crash, and no recording left behind
check "record missing program" 1 "$reprise" record -o "$tmp/x.rpr" "$tmp/nope"
[ ! -e "$tmp/x.rpr" ] && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL: recording of a missing program left"; }
check "record host binary" 1 "$reprise" record -o "$tmp/y.rpr" /bin/true
expect_grep "record host binary rejected" "not a riscv64 program" "$tmp/err"
[ ! -e "$tmp/y.rpr" ] && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL: recording of a host binary left"; }
check "replay missing file" 1 "$reprise" replay "$tmp/none.rpr"
check "replay junk" 1 "$reprise" replay "$tmp/junk"
(cd "$(dirname "$static_sample")" && "$reprise" run "./$(basename "$static_sample")" a b) >"$tmp/out" 2>"$tmp/err"
if [ $? = 0 ] && grep -q "with 2 argument" "$tmp/out"; then pass=$((pass+1)); else
    fail=$((fail+1)); echo "FAIL: static sample by relative path"; cat "$tmp/err"; fi

# Engine selection (docs/jit.md): bad names are usage errors naming the
# value and where it came from; --jit-dump shows guest code beside host code.
check "bad --engine" 2 "$reprise" run --engine turbo "$static_sample"
expect_grep "bad engine named" "unknown engine 'turbo'" "$tmp/err"
check "bad REPRISE_ENGINE" 2 env REPRISE_ENGINE=fast "$reprise" run "$static_sample"
expect_grep "bad variable named" "REPRISE_ENGINE: unknown engine 'fast'" "$tmp/err"
check "run --engine interp" 0 "$reprise" run --engine interp --stats "$static_sample"
if grep -q "jit:" "$tmp/err"; then fail=$((fail+1)); echo "FAIL: --engine interp compiled blocks"; else pass=$((pass+1)); fi
check "run --engine jit --stats" 0 "$reprise" run --engine jit --stats "$static_sample"
expect_grep "jit stats" "jit: [1-9][0-9]* blocks compiled" "$tmp/err"
check "run --engine jit-uncounted" 0 "$reprise" run --engine jit-uncounted "$static_sample"
check "record refuses jit-uncounted" 2 "$reprise" record --engine jit-uncounted -o "$tmp/unc.rpr" "$static_sample"
expect_grep "jit-uncounted named" "unknown engine 'jit-uncounted'" "$tmp/err"
check "debug: bad --engine" 2 "$reprise" debug --engine turbo "$tmp/unc.rpr"
expect_grep "debug: bad engine named" "debug: --engine: unknown engine 'turbo'" "$tmp/err"
check "expand --help" 0 "$reprise" expand --help
expect_grep "expand --help lists --engine" "--engine E" "$tmp/out"
check "debug --help" 0 "$reprise" debug --help
expect_grep "debug --help lists --engine" "--engine E" "$tmp/out"
check "jit-dump" 0 "$reprise" run --engine jit --jit-dump "$tmp/dump" "$static_sample"
expect_grep "jit-dump blocks" "^block 0x[0-9a-f]*: [0-9]* guest instructions" "$tmp/dump"
expect_grep "jit-dump guest code" "^ *[0-9a-f]*:  ecall" "$tmp/dump"
expect_grep "jit-dump host code" "mov rbx, rdi" "$tmp/dump"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
