#!/usr/bin/env bash
# End-to-end checks of `reprise query` on a real trace, with the sqlite3
# shell as the oracle:
#   - CSV output equals `sqlite3 -csv -header` byte for byte (quoting of
#     disassembly with tabs and commas, NULLs, reals, several statements,
#     SQL from standard input);
#   - JSON output is valid and holds the same rows as `sqlite3 -json`;
#   - the table format's alignment on a known result;
#   - disasm(raw, pc) equals the disassembly the tracer stored, every row;
#   - mem_history() equals the overlap query written by hand;
#   - with the sample's symbols and lines loaded (symload, as the tracer
#     will), sym(pc) equals objdump's <label+off> and line(pc) addr2line's
#     answer for every executed instruction, and calls' caller column works;
#   - exit status 1 for SQL errors, missing or non-database files, writes
#     to the read-only database (left unchanged), 2 for bad usage.
#   test_query.sh REPRISE STATIC_SAMPLE SYMLOAD
set -u
reprise=$(realpath "$1") sample=$(realpath "$2") symload=$(realpath "$3")
. "$(dirname "$(realpath "$0")")/lib.sh"

command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }

check "record" 0 "$reprise" record -o s.rpr "$sample"
check "expand insn+mem" 0 "$reprise" expand s.rpr -o t.db -p insn -p mem
sum0=$(md5sum < t.db)

# CSV against sqlite3, byte for byte.
csv_same() { # name, sql
    "$reprise" query t.db "$2" --format csv > ours.csv 2> err.txt || { bad "$1: exit $?"; cat err.txt; return; }
    sqlite3 -csv -header t.db "$2" > theirs.csv
    if [ -s theirs.csv ] && cmp -s ours.csv theirs.csv; then ok; else
        bad "$1: CSV differs from sqlite3 ($(wc -l < ours.csv) vs $(wc -l < theirs.csv) lines)"
        diff ours.csv theirs.csv | head -5; fi
}
csv_same "csv block_insn" "SELECT * FROM block_insn ORDER BY block_id, idx"
csv_same "csv mem" "SELECT * FROM mem ORDER BY rowid LIMIT 3000"
csv_same "csv meta" "SELECT * FROM meta ORDER BY key"
csv_same "csv hot pcs" "SELECT printf('%x', pc) AS pc, disasm, count(*) AS n FROM insn_exec
    GROUP BY pc ORDER BY n DESC, pc LIMIT 20"
csv_same "csv nulls, reals, quotes" "SELECT NULL AS a, '' AS b, 1.5 AS c, 1e100 AS d, 0.1 AS e,
    'say \"hi\", ok' AS f, -7 AS g, 'x''y' AS h, 'é' AS i, 9223372036854775807 AS j"
csv_same "csv two statements" "SELECT count(*) AS n FROM mem; SELECT max(icount) AS m FROM block_exec"
# From standard input, absent and as '-'.
echo "SELECT kind, count(*) FROM mem GROUP BY kind ORDER BY kind;" > in.sql
"$reprise" query t.db --format csv < in.sql > ours.csv
sqlite3 -csv -header t.db < in.sql > theirs.csv
if [ -s theirs.csv ] && cmp -s ours.csv theirs.csv; then ok; else bad "SQL from stdin"; fi
"$reprise" query t.db - -f csv < in.sql > ours2.csv
cmp -s ours.csv ours2.csv && ok || bad "SQL '-' from stdin"
# An empty result still names its columns.
"$reprise" query t.db "SELECT icount, pc FROM mem WHERE 0" --format csv > ours.csv
same "csv empty result" "$(cat ours.csv)" "icount,pc"

# JSON: valid, and the same rows as sqlite3's JSON mode.
json_same() { # name, sql
    "$reprise" query t.db "$2" --format json > ours.json 2> err.txt || { bad "$1: exit $?"; cat err.txt; return; }
    sqlite3 -json t.db "$2" > theirs.json
    if python3 - ours.json theirs.json <<'EOF'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.load(open(sys.argv[2]))
assert isinstance(ours, list) and len(ours) > 0, "no rows"
assert ours == theirs, f"{len(ours)} rows vs {len(theirs)}; first difference: " + \
    next((f"{a} != {b}" for a, b in zip(ours, theirs) if a != b), "lengths")
# Key order follows the columns.
assert all(list(r.keys()) == list(theirs[i].keys()) for i, r in enumerate(ours))
EOF
    then ok; else bad "$1: JSON differs from sqlite3's"; fi
}
json_same "json block_insn" "SELECT * FROM block_insn ORDER BY block_id, idx"
json_same "json mem" "SELECT * FROM mem ORDER BY rowid LIMIT 2000"
json_same "json mixed" "SELECT NULL AS a, 'x\"y' AS b, 2.5 AS c, -1 AS d, 'tab	in' AS e"
"$reprise" query t.db "SELECT 1 WHERE 0" --format json > ours.json
same "json empty result" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])))' ours.json)" "[]"
"$reprise" query t.db "SELECT x'00ff41' AS b" --format json > ours.json
same "json blob as hex" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["b"])' ours.json)" "00ff41"

# Table format: numbers right-aligned under right-aligned headers, text
# left-aligned, NULL empty.
"$reprise" query t.db "SELECT 1 AS n, 'ab' AS s, NULL AS z UNION ALL SELECT 100, 'c', 'zz'" > table.txt
printf '  n  s   z\n---  --  --\n  1  ab  \n100  c   zz\n' > want.txt
if cmp -s table.txt want.txt; then ok; else bad "table layout:"; cat -A table.txt; fi
"$reprise" query t.db "SELECT * FROM block_insn LIMIT 5" > table.txt
same "table rows" "$(wc -l < table.txt)" 7
expect_grep "table header" "^block_id  idx" table.txt

# disasm() over every stored instruction equals what the tracer stored.
n=$(q t.db "SELECT count(*) FROM block_insn")
[ "$n" -gt 100 ] && ok || bad "only $n instructions stored"
same "disasm(raw, pc) = block_insn.disasm" \
    "$("$reprise" query t.db "SELECT count(*) FROM block_insn WHERE disasm(raw, pc) IS NOT disasm" -f csv | tail -1)" 0

# mem_history() against the overlap query, for the busiest 8-byte slot and
# ranges inside and around it.
a=$(q t.db "SELECT addr FROM mem WHERE size = 8 GROUP BY addr ORDER BY count(*) DESC, addr LIMIT 1")
# mem:index=false: the same rows and mem_history() (a scan), no index.
check "expand mem:index=false" 0 "$reprise" expand s.rpr -o ni.db -p mem:index=false
same "mem:index=false: no index on mem, one by default" \
    "$(q ni.db "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mem'")|$(q t.db "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mem'")" "0|1"
same "mem:index=false: the same rows" "$(q ni.db "SELECT count(*), sum(icount * 7 + addr * 3 + value % 1000) FROM mem")" \
    "$(q t.db "SELECT count(*), sum(icount * 7 + addr * 3 + value % 1000) FROM mem")"
same "mem:index=false: the same mem_history" \
    "$("$reprise" query ni.db "SELECT * FROM mem_history($a, 8)" -f csv)" \
    "$("$reprise" query t.db "SELECT * FROM mem_history($a, 8)" -f csv)"
for range in "$a 8" "$((a - 4)) 8" "$((a + 3)) 1" "$((a - 64)) 256"; do
    set -- $range
    ours=$("$reprise" query t.db "SELECT icount, thread, pc, addr, size, value, kind
        FROM mem_history($1, $2)" -f csv)
    theirs=$(sqlite3 -csv -header t.db "SELECT icount, thread, pc, addr, size, value, kind
        FROM mem WHERE addr < $1 + $2 AND addr + size > $1 ORDER BY icount, rowid")
    if [ -n "$theirs" ] && [ "$ours" = "$theirs" ]; then ok; else
        bad "mem_history($1, $2): $(echo "$ours" | wc -l) vs $(echo "$theirs" | wc -l) lines"; fi
done

# sym() and line() on the executed instructions, once the symbols and lines
# of the (static, so unrelocated) sample are in a copy of the trace.
cp t.db sym.db
same "symload bias" "$("$symload" sym.db "$sample" 1 0)" 0
riscv64-linux-gnu-objdump -d "$sample" | awk '
    /^[0-9a-f]+ <.*>:$/ { f = $2; gsub(/[<>:]/, "", f); fa = $1; next }
    /^ *[0-9a-f]+:\t/ { a = $1; sub(/:$/, "", a); print a, f, fa }' > labels.txt
"$reprise" query sym.db "SELECT DISTINCT printf('%x', pc), sym(pc), line(pc) FROM block_insn
    ORDER BY pc" -f csv | tail -n +2 | tr ',' ' ' > ours.txt
cut -d' ' -f1 ours.txt | sed 's/^/0x/' | riscv64-linux-gnu-addr2line -s -e "$sample" |
    sed 's/ (discriminator [0-9]*)//' > a2l.txt
if python3 - labels.txt ours.txt a2l.txt <<'EOF'
import sys
want = {}
for l in open(sys.argv[1]):
    a, f, fa = l.split()
    off = int(a, 16) - int(fa, 16)
    want[a] = f if off == 0 else f"{f}+0x{off:x}"
ours = [l.split(' ') for l in open(sys.argv[2]).read().splitlines()]
a2l = open(sys.argv[3]).read().splitlines()
assert len(ours) == len(a2l) and len(ours) > 1000, (len(ours), len(a2l))
lines = 0
for (a, s, li), w in zip(ours, a2l):
    assert s == want.get(a), f"sym(0x{a}) = {s}, objdump <{want.get(a)}>"
    f, _, n = w.rpartition(':')
    w = w if n.isdigit() and n != '0' and f != '??' else ''
    assert li == w, f"line(0x{a}) = '{li}', addr2line '{w}'"
    lines += li != ''
assert lines >= 5, lines  # main's instructions in hello.c
EOF
then ok; else bad "sym()/line() of executed instructions differ from objdump/addr2line"; fi
same "sym of the entry" "$("$reprise" query sym.db "SELECT sym(pc) FROM insn_exec WHERE icount = 0" -f csv | tail -1)" "_start"
same "line of main" "$("$reprise" query sym.db "SELECT line(addr) FROM symbol WHERE name = 'main'" -f csv | tail -1)" \
    "$(riscv64-linux-gnu-addr2line -s -e "$sample" "$(riscv64-linux-gnu-nm "$sample" | awk '$3 == "main" {print $1}')")"
# mem_history names the function of each access.
same "mem_history sym column" "$("$reprise" query sym.db "SELECT count(*) FROM mem_history($a, 8)
    WHERE sym IS NOT sym(pc) OR sym IS NULL" -f csv | tail -1)" 0
# calls() with a call table shaped as the call plugin's: the caller's name.
sqlite3 sym.db "CREATE TABLE call (id INTEGER PRIMARY KEY, thread, icount, end_icount, depth,
    parent_id, call_pc, callee, symbol TEXT, arg0, arg1, arg2, arg3, arg4, arg5, ret, insns);
    INSERT INTO call (thread, icount, end_icount, depth, call_pc, symbol, arg0, ret, insns)
    SELECT 1, 100, 150, 0, addr + 4, 'main', 1, 0, 40 FROM symbol WHERE name = '__libc_start_call_main'"
same "calls('main')" "$("$reprise" query sym.db "SELECT caller, duration, arg0, ret, insns FROM calls('main')" -f csv | tail -1)" \
    "__libc_start_call_main+0x4,50,1,0,40"

# Errors.
check "SQL error" 1 "$reprise" query t.db "SELEC 1"
expect_grep "SQL error message" "reprise: query: SQL error: near \"SELEC\": syntax error" "$tmp/err"
expect_grep "SQL error statement" "in: SELEC 1" "$tmp/err"
check "error in a later statement" 1 "$reprise" query t.db "SELECT 7 AS x; SELECT nope FROM mem" -f csv
expect_grep "earlier output kept" "^7$" "$tmp/out"
expect_grep "no such column" "no such column: nope" "$tmp/err"
check "calls without call table" 1 "$reprise" query t.db "SELECT * FROM calls('main')"
expect_grep "calls error" "no table call: expand with -p call" "$tmp/err"
check "mem_history usage" 1 "$reprise" query t.db "SELECT * FROM mem_history(1)"
check "write refused" 1 "$reprise" query t.db "DELETE FROM mem"
expect_grep "read-only" "readonly database" "$tmp/err"
check "create refused" 1 "$reprise" query t.db "CREATE TABLE x (a)"
same "database unchanged" "$(md5sum < t.db)" "$sum0"
check "missing file" 1 "$reprise" query nothere.db "SELECT 1"
expect_grep "missing file named" "nothere.db" "$tmp/err"
[ -e nothere.db ] && bad "a missing database was created" || ok
check "not a database" 1 "$reprise" query s.rpr "SELECT 1"
expect_grep "not a database" "s.rpr: file is not a database" "$tmp/err"
check "directory" 1 "$reprise" query . "SELECT 1"
check "no arguments" 2 "$reprise" query
check "bad format" 2 "$reprise" query t.db "SELECT 1" --format xml
check "too many arguments" 2 "$reprise" query t.db "SELECT 1" "SELECT 2"
check "help" 0 "$reprise" query --help
expect_grep "help usage" "usage: reprise query TRACE.db" "$tmp/out"
check "main help lists query" 0 "$reprise" --help
expect_grep "query in main help" "^  query " "$tmp/out"

finish
