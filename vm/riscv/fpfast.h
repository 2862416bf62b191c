/*
 * fpfast.h - host-FPU fast paths for the common floating-point case, in
 * front of softfp.c.
 *
 * When the rounding mode is RNE (the host's, which reprise never changes),
 * the operands are normal numbers or zeros, and the host result is a normal
 * number (or an exact zero), the IEEE 754 result computed by SSE2 is the one
 * the spec defines, bit for bit, and the only flag the operation can raise is
 * NX. NX is then either already set, or found exactly with an error-free
 * transformation (TwoSum for add/sub, an FMA residual for mul/div/sqrt when
 * the host has FMA). Every other case - NaN, infinity, subnormal, overflow,
 * underflow, division by zero, other rounding modes - goes to softfp.c,
 * which is exact everywhere. This is QEMU's "hardfloat" idea, made to keep
 * every flag exact. Requires -ffp-contract=off for this file's users.
 */
#ifndef REPRISE_VM_RISCV_FPFAST_H
#define REPRISE_VM_RISCV_FPFAST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "softfp.h"

static inline double fp_d(uint64_t v) { double d; memcpy(&d, &v, 8); return d; }
static inline uint64_t fp_u64(double d) { uint64_t v; memcpy(&v, &d, 8); return v; }
static inline float fp_f(uint32_t v) { float d; memcpy(&d, &v, 4); return d; }
static inline uint32_t fp_u32(float d) { uint32_t v; memcpy(&v, &d, 4); return v; }

/* Normal or zero (not NaN, infinity or subnormal). */
static inline bool fp_ok64(uint64_t v)
{
    unsigned e = (unsigned)(v >> 52) & 0x7ff;
    return e != 0x7ff && (e != 0 || (v << 1) == 0);
}
static inline bool fp_ok32(uint32_t v)
{
    unsigned e = (v >> 23) & 0xff;
    return e != 0xff && (e != 0 || (v << 1) == 0);
}
static inline bool fp_normal64(uint64_t v)
{
    unsigned e = (unsigned)(v >> 52) & 0x7ff;
    return e != 0 && e != 0x7ff;
}
static inline bool fp_normal32(uint32_t v)
{
    unsigned e = (v >> 23) & 0xff;
    return e != 0 && e != 0xff;
}

/* A result of a multiplication, division or fused multiply-add the host
 * computed exactly as the spec rounds it, with no flag but NX to raise: a
 * normal number above the lowest binade. A result there may be a tiny
 * value rounded up to the smallest normal number, which raises UF
 * (tininess is detected after rounding: RISC-V unprivileged ISA 11.2,
 * IEEE 754-2008 7.5); softfp.c decides. Sums and differences need no
 * such care: an exact sum below 2^emin is a subnormal, exactly. */
static inline bool fp_res_normal64(uint64_t v)
{
    unsigned e = (unsigned)(v >> 52) & 0x7ff;
    return e > 1 && e != 0x7ff;
}
static inline bool fp_res_normal32(uint32_t v)
{
    unsigned e = (v >> 23) & 0xff;
    return e > 1 && e != 0xff;
}

/* Far enough above the underflow threshold that a residual (x - q*y,
 * x - s*s, x*y - p), about 2^-53 (2^-24) of the value, is still exactly
 * representable, which is what makes the FMA residual an exact test of
 * inexactness. */
static inline bool fp_big64(uint64_t v) { return ((v >> 52) & 0x7ff) >= 128; }
static inline bool fp_big32(uint32_t v) { return ((v >> 23) & 0xff) >= 64; }

extern bool rv_host_fma; /* the host CPU has FMA3 (set once at start) */
double rv_fma_d(double a, double b, double c);
float rv_fma_f(float a, float b, float c);

/* ---- binary64 ---- */

static inline uint64_t fp_add64(uint64_t a, uint64_t b, int rm, unsigned *fl, bool sub)
{
    if (rm == RV_RNE && fp_ok64(a) && fp_ok64(b)) {
        double x = fp_d(a), y = sub ? -fp_d(b) : fp_d(b), s = x + y;
        uint64_t r = fp_u64(s);
        if (fp_normal64(r) || (r << 1) == 0) {
            if (!(*fl & RV_NX)) {
                /* TwoSum: s + err == x + y exactly (RNE, no overflow). */
                double bv = s - x, av = s - bv;
                double err = (x - av) + (y - bv);
                if (err != 0) *fl |= RV_NX;
            }
            return r;
        }
    }
    return sub ? sf_sub64(a, b, rm, fl) : sf_add64(a, b, rm, fl);
}

static inline uint64_t fp_mul64(uint64_t a, uint64_t b, int rm, unsigned *fl)
{
    if (rm == RV_RNE && fp_ok64(a) && fp_ok64(b) && ((*fl & RV_NX) || rv_host_fma)) {
        double x = fp_d(a), y = fp_d(b), p = x * y;
        uint64_t r = fp_u64(p);
        bool exact_zero = (r << 1) == 0 && ((a << 1) == 0 || (b << 1) == 0);
        if (fp_res_normal64(r) || exact_zero) {
            if (!(*fl & RV_NX)) {
                if (!fp_big64(r) && (r << 1) != 0) return sf_mul64(a, b, rm, fl);
                if (rv_fma_d(x, y, -p) != 0) *fl |= RV_NX;
            }
            return r;
        }
    }
    return sf_mul64(a, b, rm, fl);
}

static inline uint64_t fp_div64(uint64_t a, uint64_t b, int rm, unsigned *fl)
{
    if (rm == RV_RNE && fp_ok64(a) && fp_normal64(b) && ((*fl & RV_NX) || rv_host_fma)) {
        double x = fp_d(a), y = fp_d(b), q = x / y;
        uint64_t r = fp_u64(q);
        if (fp_res_normal64(r) || (a << 1) == 0) {
            if (!(*fl & RV_NX)) {
                if (!fp_big64(a) && (a << 1) != 0) return sf_div64(a, b, rm, fl);
                if (rv_fma_d(-q, y, x) != 0) *fl |= RV_NX;
            }
            return r;
        }
    }
    return sf_div64(a, b, rm, fl);
}

static inline uint64_t fp_sqrt64(uint64_t a, int rm, unsigned *fl)
{
    if (rm == RV_RNE && fp_normal64(a) && !(a >> 63) &&
        ((*fl & RV_NX) || (rv_host_fma && fp_big64(a)))) {
        double x = fp_d(a), s = __builtin_sqrt(x);
        if (!(*fl & RV_NX) && rv_fma_d(-s, s, x) != 0) *fl |= RV_NX;
        return fp_u64(s); /* the root of a positive normal is normal */
    }
    return sf_sqrt64(a, rm, fl);
}

static inline uint64_t fp_fma64(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *fl)
{
    /* Without a cheap way to know the exact result, only when NX is set. */
    if (rm == RV_RNE && rv_host_fma && (*fl & RV_NX) && fp_ok64(a) && fp_ok64(b) && fp_ok64(c)) {
        uint64_t r = fp_u64(rv_fma_d(fp_d(a), fp_d(b), fp_d(c)));
        if (fp_res_normal64(r)) return r;
    }
    return sf_fma64(a, b, c, rm, fl);
}

/* ---- binary32 ---- */

static inline uint32_t fp_add32(uint32_t a, uint32_t b, int rm, unsigned *fl, bool sub)
{
    if (rm == RV_RNE && fp_ok32(a) && fp_ok32(b)) {
        float x = fp_f(a), y = sub ? -fp_f(b) : fp_f(b), s = x + y;
        uint32_t r = fp_u32(s);
        if (fp_normal32(r) || (r << 1) == 0) {
            if (!(*fl & RV_NX)) {
                float bv = s - x, av = s - bv;
                float err = (x - av) + (y - bv);
                if (err != 0) *fl |= RV_NX;
            }
            return r;
        }
    }
    return sub ? sf_sub32(a, b, rm, fl) : sf_add32(a, b, rm, fl);
}

static inline uint32_t fp_mul32(uint32_t a, uint32_t b, int rm, unsigned *fl)
{
    if (rm == RV_RNE && fp_ok32(a) && fp_ok32(b)) {
        /* The exact product of two binary32 fits in a binary64. */
        double p = (double)fp_f(a) * (double)fp_f(b);
        float q = (float)p;
        uint32_t r = fp_u32(q);
        bool exact_zero = (r << 1) == 0 && ((a << 1) == 0 || (b << 1) == 0);
        if (fp_res_normal32(r) || exact_zero) {
            if ((double)q != p) *fl |= RV_NX;
            return r;
        }
    }
    return sf_mul32(a, b, rm, fl);
}

static inline uint32_t fp_div32(uint32_t a, uint32_t b, int rm, unsigned *fl)
{
    if (rm == RV_RNE && fp_ok32(a) && fp_normal32(b) && ((*fl & RV_NX) || rv_host_fma)) {
        float x = fp_f(a), y = fp_f(b), q = x / y;
        uint32_t r = fp_u32(q);
        if (fp_res_normal32(r) || (a << 1) == 0) {
            if (!(*fl & RV_NX)) {
                if (!fp_big32(a) && (a << 1) != 0) return sf_div32(a, b, rm, fl);
                if (rv_fma_f(-q, y, x) != 0) *fl |= RV_NX;
            }
            return r;
        }
    }
    return sf_div32(a, b, rm, fl);
}

static inline uint32_t fp_sqrt32(uint32_t a, int rm, unsigned *fl)
{
    if (rm == RV_RNE && fp_normal32(a) && !(a >> 31) &&
        ((*fl & RV_NX) || (rv_host_fma && fp_big32(a)))) {
        float x = fp_f(a), s = __builtin_sqrtf(x);
        if (!(*fl & RV_NX) && rv_fma_f(-s, s, x) != 0) *fl |= RV_NX;
        return fp_u32(s);
    }
    return sf_sqrt32(a, rm, fl);
}

static inline uint32_t fp_fma32(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *fl)
{
    if (rm == RV_RNE && rv_host_fma && (*fl & RV_NX) && fp_ok32(a) && fp_ok32(b) && fp_ok32(c)) {
        uint32_t r = fp_u32(rv_fma_f(fp_f(a), fp_f(b), fp_f(c)));
        if (fp_res_normal32(r)) return r;
    }
    return sf_fma32(a, b, c, rm, fl);
}

#endif
