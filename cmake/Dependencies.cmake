# Every dependency comes from Debian's packages (see the README's install command); nothing is downloaded.
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)  # GPTQ's Cholesky factorisations
find_package(PkgConfig REQUIRED)
pkg_check_modules(HWY REQUIRED IMPORTED_TARGET libhwy)
# Highway compiles every *-inl.h unit once per x86 target it can attain: SCALAR, SSSE3, SSE4, AVX2,
# AVX3 (and AVX3_DL where a unit asks for it). qforge keeps SCALAR (the static baseline without -m
# flags), AVX2 (every x86 CPU since 2013/2015) and AVX-512 (AVX3, AVX3_DL for VNNI). SSSE3 and SSE4
# only serve CPUs older than AVX2, which then run the SCALAR path: still dispatched at run time,
# still correct, only slower. Each dropped target saves a fifth of the SIMD units' build and their
# per-target test runs. Set for every target so that the kernels and their tests (which run each
# compiled target) agree.
add_compile_definitions(HWY_DISABLED_TARGETS=HWY_SSSE3|HWY_SSE4)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
if(QFORGE_TESTS)
  find_package(GTest REQUIRED)
endif()
if(QFORGE_BENCH)
  find_package(benchmark REQUIRED)
endif()
