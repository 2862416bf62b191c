#!/usr/bin/env bash
# The demo (README): set up, then reprise's main job on an embedded default
# sample: record a program whose output depends on the clock, the time CSR
# and random bytes, show that two plain runs differ, and that its recording
# replays the recorded run exactly, again and again, with no host access.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

reprise=build/cli/reprise
sample=build/samples/nondet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== two plain runs of $sample differ (clocks, the time CSR, random bytes, stdin,"
echo "   where a timer signal lands):"
echo "first input" | $reprise run "$sample" > "$tmp/run1"
echo "other input" | $reprise run "$sample" > "$tmp/run2"
diff "$tmp/run1" "$tmp/run2" || true

echo
echo "== reprise record -o $tmp/nondet.rpr $sample"
echo "recorded input" | $reprise record -o "$tmp/nondet.rpr" "$sample" | tee "$tmp/recorded"
echo
echo "== reprise replay (three times): identical to the recorded run?"
for i in 1 2 3; do
  $reprise replay --verify "$tmp/nondet.rpr" > "$tmp/replayed" 2>"$tmp/replay.err"
  if cmp -s "$tmp/recorded" "$tmp/replayed"; then echo "replay $i: identical ($(tail -1 "$tmp/replay.err" | sed 's/^reprise: //'))"
  else echo "replay $i: DIFFERENT"; fi
done
echo
echo "== reprise info"
$reprise info "$tmp/nondet.rpr" | grep -v '^envp' | head -24
