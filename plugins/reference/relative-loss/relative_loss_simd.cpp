// The one loop of the relative-loss batch that is worth SIMD: t[i] = log(1 + g·I)/g with
// g = gamma[i]·ln2. Compiled alone with -ffast-math (plugins/CMakeLists.txt) so that GCC
// vectorises the log through glibc's libmvec (its vector log has at most 4 ulps of error) and
// picks AVX-512, AVX2 or SSE code when the library is loaded. Nothing else may live here: the
// caller (relative_loss.cpp, compiled normally) redoes every row where g·I is outside
// [1, 1e300), so infinities, NaN and the log1p regime never depend on fast-math.
#include <cmath>
#include <cstddef>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define RACESIM_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RACESIM_SIMD_CLONES
#endif

RACESIM_SIMD_CLONES void racesim_relative_loss_simd_times(const double* gamma, std::size_t n, double I, double* time) {
    constexpr double ln2 = 0.693147180559945309417232121458176568;
    for (std::size_t i = 0; i < n; ++i) {
        const double g = gamma[i] * ln2;
        time[i] = std::log(1 + g * I) / g;
    }
}
