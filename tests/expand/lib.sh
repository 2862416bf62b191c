# lib.sh - what the expand suite's scripts share (sourced, not run): a
# scratch folder to work in, and check helpers that count passes and
# failures; `finish` prints the tally and gives the exit status.
pass=0 fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { # name, expected status, command... (output in $tmp/out, $tmp/err)
    local name=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$name: exit $got, want $want"; cat "$tmp/err"; fi
}
expect_grep() { # name, pattern, file
    if grep -q -- "$2" "$3"; then ok; else bad "$1: no '$2' in:"; head -5 "$3"; fi
}
same() { # name, got, want
    if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi
}
atleast() { # name, got, minimum
    if [ -n "$2" ] && [ "$2" -ge "$3" ]; then ok; else bad "$1: got '$2', want at least $3"; fi
}
q() { sqlite3 "$@"; }
rq() { # DB SQL: one value through `reprise query` (its functions), no header
    "$reprise" query "$1" -f csv "$2" | tail -n +2
}
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
}
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped"; exit 77; }
