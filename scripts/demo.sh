#!/usr/bin/env bash
# The demo (README): set up, then show reprise's main job on the embedded
# default sample. Today that is the execution engine's instruction table at
# work: reprise decodes and disassembles the sample exactly as GNU objdump
# does. Recording, replay and trace queries join as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

sample=build/samples/isa_mix
echo "== reprise disas $sample (the function 'bits', decoded by reprise's ISA table)"
build/cli/reprise disas "$sample" | awk '/<bits>:/{p=1} p&&/^$/{exit} p'

if command -v riscv64-linux-gnu-objdump >/dev/null; then
  n=$(build/cli/reprise disas "$sample" | grep -c '^ *[0-9a-f]*:' || true)
  diffs=$(diff <(build/cli/reprise disas "$sample" | awk -F'\t' '/^ *[0-9a-f]+:\t/{t=$3"\t"$4; sub(/ *#.*/,"",t); sub(/ <[^>]*>$/,"",t); print t}') \
               <(riscv64-linux-gnu-objdump -d -z "$sample" | awk -F'\t' '/^ *[0-9a-f]+:\t/{t=$3"\t"$4; sub(/ *#.*/,"",t); sub(/ <[^>]*>$/,"",t); print t}') | grep -c '^[<>]' || true)
  echo "== $n instructions disassembled; lines differing from objdump: $diffs"
fi
