#!/usr/bin/env bash
# The test command (README, CI): setup, every suite in build/, then the unit
# and fuzz suites again under AddressSanitizer + UndefinedBehaviorSanitizer in
# build-asan/ (built with the other interpreter dispatch, so both are tested).
# Set REPRISE_LONG_TESTS=1 for the long form (more seeds, more cases).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== meson test (build/)" >&2
meson test -C build --print-errorlogs

echo "== unit + fuzz under ASan/UBSan (build-asan/)" >&2
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined \
    -Ddispatch=switch -Dsamples=false >/dev/null
fi
ninja -C build-asan >/dev/null
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
meson test -C build-asan --suite unit --suite fuzz --print-errorlogs

# The Linux personality, the recorder, the replayer and the store run real
# programs only end to end: run those checks with the sanitizer build too.
echo "== e2e under ASan/UBSan (build-asan/cli/reprise on build/samples)" >&2
tests/e2e/test_samples.sh build-asan/cli/reprise build/samples || [ $? = 77 ]  # 77: qemu missing, skipped
tests/e2e/test_record_replay.sh build-asan/cli/reprise build/samples build-asan/tests/e2e/rpr_tamper
# The tracer (plugins, filters, runtime events) under the sanitizers too.
tests/expand/test_expand.sh build-asan/cli/reprise build/samples/hello-static \
  build-asan/tests/expand/badver.so build/samples/pipe_threads
tests/expand/test_plugins.sh build-asan/cli/reprise build-asan/tests/expand/plugin_all.so \
  build/tests/expand/args_digest build/tests/expand/guest_calls build/samples/hello-static \
  build/samples/bench_calls build/samples/pipe_threads build/samples/signals \
  build/tests/expand/guest_wait
