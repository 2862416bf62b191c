#!/usr/bin/env bash
# The demo (README): reprise's main job on an embedded default.
#
# samples/race.c is a job queue whose workers crash only on some thread
# schedules (a check-then-act race). The demo
#   1. records it under --chaos, one schedule after another, until a run
#      crashes (bounded number of tries);
#   2. replays that recording: the crash repeats exactly, every time;
#   3. expands instruction, memory, call and syscall traces into SQLite;
#   4. asks SQL questions that name the bad write (instruction, function,
#      source line, thread, icount), the call path that led to it and the
#      race behind it;
#   5. prints the commands to investigate further with gdb.
# Usage: scripts/demo.sh [PROGRAM [ARGS...]]  (default: build/samples/race)
# DEMO_DIR=DIR keeps the recording and the database there (default: a new
# temporary folder); DEMO_NO_SETUP=1 skips scripts/setup.sh and BUILD=DIR
# uses another build tree than build/ (the e2e test does both).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${DEMO_NO_SETUP:-}" ] || scripts/setup.sh 2>&1 | tail -1

build=${BUILD:-build}
reprise=$build/cli/reprise
work=${DEMO_DIR:-$(mktemp -d)}
sample=${1:-$build/samples/race}
[ $# -gt 0 ] && shift
tries=20
q() { "$reprise" query "$work/race.db" "$@"; }
v() { "$reprise" query "$work/race.db" --format csv "$1" | sed -n 2p; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1. record $sample under --chaos until a schedule crashes (at most $tries tries)"
rec=
for i in $(seq 1 $tries); do
    rm -f "$work/race.rpr"
    set +e
    "$reprise" record --chaos -o "$work/race.rpr" "$sample" "$@" >"$work/out" 2>"$work/err"
    st=$?
    set -e
    seed=$("$reprise" info --json "$work/race.rpr" | sed -n 's/.*"chaos_seed": *"\([0-9a-f]*\)".*/\1/p')
    if [ $st -ge 128 ]; then
        echo "try $i (chaos seed $seed): exit $st, $(grep -m1 'reprise: .*signal' "$work/err" | sed 's/^reprise: //')"
        rec=$work/race.rpr
        break
    fi
    echo "try $i (chaos seed $seed): exit $st, $(head -1 "$work/out")"
done
if [ -z "$rec" ]; then
    echo "no schedule crashed in $tries tries; run the demo again"
    exit 1
fi

say "2. replay the crashing recording, three times"
for i in 1 2 3; do
    set +e
    "$reprise" replay -q --verify "$rec" 2>"$work/rep.err"
    st=$?
    set -e
    echo "replay $i: exit $st; $(grep -m1 'replayed' "$work/rep.err" | sed 's/^reprise: //')"
done

say "3. expand instruction, memory, call and syscall traces"
"$reprise" expand "$rec" -q -o "$work/race.db" -p insn -p mem -p call -p syscall 2>&1 | sed 's/^reprise: //'

say "4. questions in SQL ($reprise query $work/race.db ...)"
echo "-- where did it crash?"
q "SELECT thread, icount, printf('%#x', pc) AS pc, sym(pc) AS function, line(pc) AS line,
          signo, printf('%#x', addr) AS fault_address
   FROM signal WHERE action = 3"
crash_thread=$(v "SELECT thread FROM signal WHERE action = 3")
crash_icount=$(v "SELECT icount FROM signal WHERE action = 3")
fault=$(v "SELECT addr FROM signal WHERE action = 3")

echo
echo "-- where did the thread get the bad address? (its last load that returned it)"
q "SELECT icount, printf('%#x', addr) AS loaded_from, printf('%#x', value) AS value,
          sym(pc) AS function, line(pc) AS line
   FROM mem WHERE thread = $crash_thread AND kind = 1 AND value = $fault AND icount < $crash_icount
   ORDER BY icount DESC LIMIT 1"
slot=$(v "SELECT addr FROM mem WHERE thread = $crash_thread AND kind = 1 AND value = $fault
          AND icount < $crash_icount ORDER BY icount DESC LIMIT 1")
read_icount=$(v "SELECT icount FROM mem WHERE thread = $crash_thread AND kind = 1 AND value = $fault
          AND icount < $crash_icount ORDER BY icount DESC LIMIT 1")

echo
echo "-- who wrote it? (the last write to that address before the load: the bad write)"
q "SELECT icount, thread, printf('%#x', pc) AS pc,
          (SELECT disasm FROM block_insn b WHERE b.pc = h.pc LIMIT 1) AS instruction,
          sym AS function, line, printf('%#x', value) AS value_written
   FROM mem_history($slot, 8) h
   WHERE kind IN (2, 3) AND icount < $read_icount ORDER BY icount DESC LIMIT 1"
bad_icount=$(v "SELECT icount FROM mem_history($slot, 8) WHERE kind IN (2, 3) AND icount < $read_icount
                ORDER BY icount DESC LIMIT 1")
bad_thread=$(v "SELECT thread FROM mem_history($slot, 8) WHERE icount = $bad_icount")

echo
echo "-- the call path that led to the bad write (thread $bad_thread)"
q "SELECT depth, symbol AS function, icount AS called_at,
          coalesce(line(call_pc), sym(call_pc)) AS called_from
   FROM call WHERE thread = $bad_thread AND icount <= $bad_icount
     AND (end_icount IS NULL OR end_icount > $bad_icount)
   ORDER BY depth"

echo
echo "-- why? two workers took the same job (reads of the queue head, by job)"
queue=$(v "SELECT addr FROM symbol WHERE name = 'queue' AND module_id = 1")
if [ -n "$queue" ]; then
    q "SELECT printf('%#x', value) AS job, group_concat(DISTINCT thread) AS taken_by_threads,
              min(icount) AS first_read, sym(pc) AS function, line(pc) AS line
       FROM mem WHERE addr = $queue AND kind = 1 AND value <> 0
       GROUP BY value HAVING count(DISTINCT thread) > 1"
fi

say "5. investigate further"
cat <<EOF
The recording $rec replays this exact crash every time. Debug it with gdb:
  $reprise debug --port 1234 $rec
  gdb-multiarch -ex 'set architecture riscv:rv64' -ex 'set sysroot /usr/riscv64-linux-gnu' \\
      -ex 'target remote :1234' $sample
then in gdb: 'continue' runs to the crash; 'watch -l *(long *)$(printf '%#x' "$slot")' and
'reverse-continue' go back to the bad write. More SQL: $reprise query $work/race.db
EOF
