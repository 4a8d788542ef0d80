/* core/simd.h: which vector paths this build may take, and the run-time
 * check of the CPU.  Every vector path computes each element with the same
 * IEEE operations in the same order as the scalar code (FMA where the
 * scalar chain is an FMA chain), so the path taken changes speed, never a
 * result. */
#ifndef XAI_CORE_SIMD_H
#define XAI_CORE_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define G_X86 1
/* facts about the CPU (libgcc reads them once at start-up) */
static inline int g_cpu_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static inline int g_cpu_avx512(void)
{
    return g_cpu_avx2() && __builtin_cpu_supports("avx512f");
}
#endif

#endif
