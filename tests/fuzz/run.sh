#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the libFuzzer targets with clang (build-fuzz/) and run each for a
# bounded time. Exit 0 when nothing crashed; a crash leaves its input in
# build-fuzz/fuzz-artifacts/ and exits 1. Without clang or its libFuzzer
# runtime: says so and exits 0 (nothing to run), unless FUZZ_REQUIRED=1.
# Before each target's timed run, the inputs that once made it fail
# (tests/fuzz/regress/<target>-*) are run once each.
# Usage: tests/fuzz/run.sh [SECONDS per target, default 60]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-${FUZZ_SECONDS:-60}}
bdir=${FUZZ_BUILD_DIR:-$top/build-fuzz}
cd "$top"

skip() {
    echo "fuzz: skipped: $*" >&2
    [ "${FUZZ_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
}
command -v clang >/dev/null || skip "clang not installed"
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; return (int)n * 0; }' \
    > /tmp/lcx-fuzz-probe.c
clang -fsanitize=fuzzer -o /tmp/lcx-fuzz-probe /tmp/lcx-fuzz-probe.c 2>/dev/null ||
    skip "clang has no libFuzzer runtime (apt-get install libclang-rt-14-dev)"
rm -f /tmp/lcx-fuzz-probe /tmp/lcx-fuzz-probe.c

if [ ! -f "$bdir/build.ninja" ]; then
    CC=clang meson setup "$bdir" -Dfuzz=true -Dbuildtype=debug >/dev/null ||
        { echo "fuzz: meson setup failed" >&2; exit 1; }
fi
ninja -C "$bdir" tests/fuzz/fuzz_ingest_parse tests/fuzz/fuzz_ingest_seeds >/dev/null ||
    { echo "fuzz: build failed" >&2; exit 1; }

status=0
art="$bdir/fuzz-artifacts"
mkdir -p "$art"
for t in ingest_parse; do
    corpus="$bdir/fuzz-corpus-$t"
    mkdir -p "$corpus"
    "$bdir/tests/fuzz/fuzz_ingest_seeds" "$corpus" >/dev/null
    # Inputs that once failed (tests/fuzz/regress/<target>-*): each run once first.
    for r in "$top"/tests/fuzz/regress/"$t"-*; do
        [ -f "$r" ] || continue
        if ! "$bdir/tests/fuzz/fuzz_$t" "$r" > "$bdir/fuzz-$t-regress.log" 2>&1; then
            echo "fuzz: $t FAILED on $r, see $bdir/fuzz-$t-regress.log" >&2
            tail -20 "$bdir/fuzz-$t-regress.log" >&2
            status=1
        fi
    done
    echo "fuzz: $t for ${secs}s" >&2
    if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$bdir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=4096 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$art/$t-" -print_final_stats=1 \
        "$corpus" > "$bdir/fuzz-$t.log" 2>&1; then
        echo "fuzz: $t FAILED, see $bdir/fuzz-$t.log and $art/" >&2
        tail -40 "$bdir/fuzz-$t.log" >&2
        status=1
    else
        grep -E 'stat::number_of_executed_units|Done' "$bdir/fuzz-$t.log" | tail -2 >&2
    fi
done
exit $status
