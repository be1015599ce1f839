#!/usr/bin/env bash
# Builds qforge in Release and runs every test with ctest. Then, when clang is installed, builds
# the parsers' tests and the libFuzzer targets with AddressSanitizer + UndefinedBehaviorSanitizer
# and runs them (each fuzzer for a few seconds on a seed corpus). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}

# Benchmarks are built by the README's first command; the test run skips them to stay fast.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQFORGE_BENCH=OFF
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure

if command -v clang++ >/dev/null 2>&1; then
  # -O1 with line tables only: what the sanitizers recommend, and much quicker to build than -O2 -g.
  # HWY_COMPILE_ONLY_STATIC: the kernels (linked by the suite and recipe fuzzers) are compiled for
  # the baseline target only. This stage checks parsers; the SIMD kernels against their scalar
  # references on every target are the Release run's job.
  CC=clang CXX=clang++ cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG -DHWY_COMPILE_ONLY_STATIC=1" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DQFORGE_FUZZ=ON -DQFORGE_BENCH=OFF -DQFORGE_FUZZ_SECONDS=6
  # Only what runs under the sanitizers: the parsers' tests and the fuzz targets.
  targets="qforge_io_tests qforge_tokenizer_tests"
  for src in fuzz/*_fuzz.cc; do targets="$targets $(basename "$src" .cc)"; done
  # shellcheck disable=SC2086
  cmake --build build-sanitize -j"$jobs" --target $targets
  # Bad-input tests (io, tokenizer) and the fuzzers, under ASan+UBSan.
  ctest --test-dir build-sanitize -j"$jobs" -L 'io|tokenizer|fuzz' --output-on-failure
else
  echo "clang++ not found: skipping the sanitizer and fuzzing runs" >&2
fi
