#!/usr/bin/env bash
# The plugin example of docs/plugin-api.md, built out of the tree exactly
# as the document says: install reprise into a staging directory, compile
# the example with the flags pkg-config gives for reprise-plugin, load it
# into `reprise expand`, and check what it counts against the instruction
# trace of the same expansion.
#   test_outoftree.sh BUILD_DIR SOURCE_DIR SAMPLE
set -u
build=$(realpath "$1") src=$(realpath "$2") sample=$(realpath "$3")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
command -v pkg-config >/dev/null || { echo "pkg-config missing: skipped"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: skipped"; exit 77; }

meson install -C "$build" --destdir "$tmp/inst" --no-rebuild >install.log 2>&1 ||
    { cat install.log; fail "meson install"; }
pc=$(dirname "$(find "$tmp/inst" -name reprise-plugin.pc | head -1)")
[ -n "$pc" ] || fail "reprise-plugin.pc not installed"
export PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR=$tmp/inst
cflags=$(pkg-config --cflags reprise-plugin) || fail "pkg-config --cflags reprise-plugin"

# The first C block of the document is the example.
awk '/^```c$/ { on = 1; next } /^```$/ && on { exit } on' "$src/docs/plugin-api.md" > ecalls.c
[ -s ecalls.c ] || fail "no C example in docs/plugin-api.md"
cc -shared -fPIC -Wall -Werror -o ecalls.so ecalls.c $cflags 2>cc.err || { cat cc.err; fail "the example does not build"; }

reprise=$(find "$tmp/inst" -path '*/bin/reprise' | head -1)
[ -x "$reprise" ] || fail "reprise not installed"
"$reprise" record -o s.rpr "$sample" >/dev/null 2>&1 || fail "record"
"$reprise" expand s.rpr -o t.db -p ./ecalls.so -p insn 2>err || { cat err; fail "expand with the example plugin"; }
got=$(sqlite3 t.db 'select ecalls from ecall_count')
# The oracle: the ecall instructions of the instruction trace (block
# execution reports, another mechanism than the example's inline counter).
want=$(sqlite3 t.db 'select count(*) from insn_exec where class & 128')
[ -n "$got" ] && [ "$got" = "$want" ] && [ "$want" -gt 0 ] ||
    fail "the example counted '$got' ecalls, the instruction trace has $want"
echo "example plugin built out of tree: $got ecalls counted"
