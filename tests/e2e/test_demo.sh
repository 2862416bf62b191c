#!/usr/bin/env bash
# The demo (scripts/demo.sh, the README's first command) keeps working: it
# must find a crashing schedule of samples/race, replay it, and name the
# bad write, the call path and the race in SQL.
#   test_demo.sh SOURCE_DIR BUILD_DIR
set -u
src=$(realpath "$1") build=$(realpath "$2")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
DEMO_NO_SETUP=1 DEMO_DIR=$tmp BUILD=$build "$src/scripts/demo.sh" >"$tmp/out" 2>&1
st=$?
[ $st = 0 ] || { echo "FAIL: demo exit $st"; fail=1; }
check() {
    if grep -qE -- "$2" "$tmp/out"; then :; else echo "FAIL: $1: no /$2/"; fail=1; fi
}
check "a crashing schedule" "^try [0-9]+ \(chaos seed [0-9a-f]+\): exit 139"
check "the crash replays" "^replay 3: exit 139"
check "the crash site" "finish\+0x[0-9a-f]+ +race\.c:6[0-9] +11 +0xdead0000"
check "the bad write" "sd a[0-9],[0-9]+\(a[0-9]\) +(finish|take)\+0x[0-9a-f]+ +race\.c:[0-9]+ +0xdead0000"
check "the call path" "^ +[0-9]+ +worker "
check "the race" "[0-9]+,[0-9]+ +[0-9]+ +take\+0x[0-9a-f]+ +race\.c:4[0-9]"
check "the way on" "debug .*race\.rpr"
[ $fail = 0 ] || { echo "--- demo output:"; cat "$tmp/out"; }
exit $fail
