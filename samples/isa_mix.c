/*
 * isa_mix.c - a guest that makes the compiler emit a broad mix of RV64GC and
 * Zba/Zbb/Zbs instructions (integer, multiply/divide, atomics, single and
 * double precision, conversions, bit manipulation) and prints a checksum of
 * the results, so that runs under reprise and under qemu-riscv64 can be
 * compared line by line.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

__attribute__((noinline)) static uint64_t bits(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    r = mix(r, (uint64_t)__builtin_popcountll(a));
    r = mix(r, a ? (uint64_t)__builtin_clzll(a) : 64);
    r = mix(r, b ? (uint64_t)__builtin_ctzll(b) : 64);
    r = mix(r, (a >> 7) | (a << 57));
    r = mix(r, a & ~b);
    r = mix(r, a | ~b);
    r = mix(r, ~(a ^ b));
    r = mix(r, (uint32_t)a + (b << 3));
    r = mix(r, __builtin_bswap64(a));
    r = mix(r, a > b ? a : b);
    r = mix(r, (int64_t)a < (int64_t)b ? a : b);
    r = mix(r, a | (1ull << (b & 63)));
    r = mix(r, (a >> (b & 63)) & 1);
    r = mix(r, (uint64_t)(int64_t)(int8_t)a);
    r = mix(r, (uint16_t)b);
    return r;
}

__attribute__((noinline)) static uint64_t arith(int64_t a, int64_t b)
{
    uint64_t r = 0;
    r = mix(r, (uint64_t)(a * b));
    r = mix(r, (uint64_t)(b ? a / b : 0));
    r = mix(r, (uint64_t)(b ? a % b : 0));
    r = mix(r, (uint64_t)(((__int128)a * b) >> 64));
    r = mix(r, (uint64_t)(int32_t)((int32_t)a * (int32_t)b));
    r = mix(r, (uint64_t)((uint32_t)a / ((uint32_t)b | 1)));
    return r;
}

__attribute__((noinline)) static uint64_t fp(double x, float y)
{
    uint64_t r = 0, u;
    double d = fma(x, 1.0000001, -x / 3.0) + sqrt(fabs(x)) - floor(x * 0.5);
    float f = fmaf(y, y, 1.5f) / (y + 0.25f) - sqrtf(fabsf(y));
    memcpy(&u, &d, 8);
    r = mix(r, u);
    uint32_t v;
    memcpy(&v, &f, 4);
    r = mix(r, v);
    r = mix(r, (uint64_t)(int64_t)d);
    r = mix(r, (uint64_t)(int32_t)f);
    r = mix(r, (uint64_t)lround(d));
    r = mix(r, fmin(d, (double)f) < 0);
    r = mix(r, isnan(d) + 2 * isinf(f));
    return r;
}

static _Atomic uint64_t counter;

int main(void)
{
    uint64_t h = 0;
    uint64_t a = 0x0123456789abcdefull, b = 0xfedcba9876543210ull;
    for (int i = 0; i < 2000; i++) {
        h = mix(h, bits(a, b));
        h = mix(h, arith((int64_t)a, (int64_t)(b >> (i & 31))));
        h = mix(h, fp((double)(int64_t)a / 1e12, (float)(i - 1000) / 7.0f));
        atomic_fetch_add(&counter, i);
        a = a * 6364136223846793005ull + 1442695040888963407ull;
        b ^= a >> 3;
    }
    printf("isa_mix checksum %016llx counter %llu\n", (unsigned long long)h,
           (unsigned long long)atomic_load(&counter));
    return 0;
}
