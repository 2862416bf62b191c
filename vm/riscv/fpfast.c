/*
 * fpfast.c - the host FMA used by fpfast.h, compiled for FMA3 and called
 * only when the CPU has it (checked once at start).
 */
#include "fpfast.h"

bool rv_host_fma;

__attribute__((constructor)) static void detect_fma(void)
{
    __builtin_cpu_init();
    rv_host_fma = __builtin_cpu_supports("fma");
}

__attribute__((target("fma"))) double rv_fma_d(double a, double b, double c)
{
    return __builtin_fma(a, b, c);
}

__attribute__((target("fma"))) float rv_fma_f(float a, float b, float c)
{
    return __builtin_fmaf(a, b, c);
}
