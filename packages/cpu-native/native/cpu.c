/* Which instruction sets the CPU and the OS run (cpuid and xgetbv, through the compiler's builtins). */
#include <string.h>

#include "gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
int cpu_has_avx512f(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}
int cpu_has_avx2_fma(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
int use_avx2_loops(void) {
  __builtin_cpu_init();
  return strcmp(gemm_kernel()->isa, "generic") != 0 && __builtin_cpu_supports("avx2");
}
#else
int cpu_has_avx512f(void) { return 0; }
int cpu_has_avx2_fma(void) { return 0; }
int use_avx2_loops(void) { return 0; }
#endif
