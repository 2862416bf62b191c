/*
 * test_softfp.c - tests of vm/riscv/softfp.c.
 *
 * 1. Oracle tests: every operation is run on a deterministic pseudo-random
 *    set of operands (xorshift64*, fixed seed; random bit patterns mixed with
 *    special values and operands steered to land in the subnormal range,
 *    near overflow, on rounding ties and on cancellations) and compared,
 *    result and flags, against the host x86-64 FPU in RNE/RTZ/RDN/RUP.
 *    x86 SSE, like RISC-V, detects tininess after rounding and, with the
 *    underflow exception masked (the default), sets UE only for tiny AND
 *    inexact results, so its flags map one to one onto fflags.
 *    RMM, which x86 lacks, is checked against an oracle built from the host
 *    too: RMM differs from RNE only on an exact tie, where it takes the
 *    neighbour away from zero, with the same flags (a tie never changes
 *    tininess or overflow: the only tie that could, max + half ulp or
 *    2^emin - half ulp at full precision, already rounds away in RNE since
 *    the even neighbour is the larger one). A tie is recognised by computing
 *    the exact result in x87 extended precision (64-bit significand): a tie
 *    between two binary32/64 neighbours has at most 54 significant bits, so
 *    it is exact there and can be compared with the midpoint of the RDN and
 *    RUP results; an inexact extended result cannot be a tie.
 * 2. Hand-written cases for RMM, min/max, comparisons, fclass, saturation of
 *    float-to-int conversions, fma NaN rules, zero signs and tininess, with
 *    the spec rule each one checks.
 *
 * Build: needs -frounding-math (the host oracle changes rounding modes) and
 * -lm. REPRISE_LONG_TESTS=1 in the environment runs 25 times more cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fenv.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softfp.h"

/* GCC ignores this pragma (and warns under -Wall); -frounding-math is what
 * actually keeps it from folding or moving FP operations across mode
 * changes. Kept for compilers that honour it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#pragma STDC FENV_ACCESS ON
#pragma GCC diagnostic pop

/* ------------------------------------------------------------------------ */
/* Utilities                                                                */

static long n_cases = 200000; /* per operation; x25 with REPRISE_LONG_TESTS=1 */
static long total_checks;     /* individual (operation, mode) comparisons */

static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double u2d(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint64_t d2u(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s ? s : 0x9e3779b97f4a7c15ull; }
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}
static int rndn(int n) { return (int)(rnd() % (uint64_t)n); }
static int rndr(int lo, int hi) { return lo + rndn(hi - lo + 1); } /* [lo,hi] */

typedef struct { int mb, eb; } tfmt;
static const tfmt T32 = { 23, 8 }, T64 = { 52, 11 };
static int t_bias(tfmt f) { return (1 << (f.eb - 1)) - 1; }
static int t_emaxb(tfmt f) { return (1 << f.eb) - 1; } /* biased exponent of inf/NaN */
static uint64_t t_fracmask(tfmt f) { return (1ull << f.mb) - 1; }

static uint64_t mk(tfmt f, int sign, int bexp, uint64_t frac)
{
    if (bexp < 0)
        bexp = 0;
    if (bexp > t_emaxb(f))
        bexp = t_emaxb(f);
    return ((uint64_t)(sign & 1) << (f.mb + f.eb)) | ((uint64_t)bexp << f.mb) |
           (frac & t_fracmask(f));
}
static int t_sign(tfmt f, uint64_t x) { return (int)((x >> (f.mb + f.eb)) & 1); }
static int t_bexp(tfmt f, uint64_t x) { return (int)((x >> f.mb) & (uint64_t)t_emaxb(f)); }
static bool t_isnan(tfmt f, uint64_t x)
{
    return t_bexp(f, x) == t_emaxb(f) && (x & t_fracmask(f));
}
static bool t_isinf(tfmt f, uint64_t x)
{
    return t_bexp(f, x) == t_emaxb(f) && !(x & t_fracmask(f));
}
static bool t_issnan(tfmt f, uint64_t x)
{
    return t_isnan(f, x) && !((x >> (f.mb - 1)) & 1);
}
static bool t_iszero(tfmt f, uint64_t x)
{
    return !(x & ~(1ull << (f.mb + f.eb)));
}
static uint64_t t_canon(tfmt f) { return f.mb == 23 ? RV_CANON_NAN32 : RV_CANON_NAN64; }
static uint64_t canon(tfmt f, uint64_t x) { return t_isnan(f, x) ? t_canon(f) : x; }
static long double t_val(tfmt f, uint64_t x)
{
    return f.mb == 23 ? (long double)u2f((uint32_t)x) : (long double)u2d(x);
}

static unsigned host_flags(void)
{
    int e = fetestexcept(FE_ALL_EXCEPT);
    unsigned r = 0;
    if (e & FE_INEXACT) r |= RV_NX;
    if (e & FE_UNDERFLOW) r |= RV_UF;
    if (e & FE_OVERFLOW) r |= RV_OF;
    if (e & FE_DIVBYZERO) r |= RV_DZ;
    if (e & FE_INVALID) r |= RV_NV;
    return r;
}

static const int host_mode[4] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD };
static const int rv_mode[4] = { RV_RNE, RV_RTZ, RV_RDN, RV_RUP };
static const char *const mode_name[5] = { "RNE", "RTZ", "RDN", "RUP", "RMM" };

static long n_reported;
static void report(const char *op, const uint64_t *in, int nin, int rm, uint64_t got,
                   unsigned gotf, uint64_t exp, unsigned expf)
{
    if (n_reported++ >= 20)
        return;
    fprintf(stderr, "MISMATCH %s %s in=", op, mode_name[rm]);
    for (int i = 0; i < nin; i++)
        fprintf(stderr, "%s%016llx", i ? "," : "", (unsigned long long)in[i]);
    fprintf(stderr, " got=%016llx/%02x want=%016llx/%02x\n", (unsigned long long)got, gotf,
            (unsigned long long)exp, expf);
}

/* ------------------------------------------------------------------------ */
/* Operand generators                                                       */

static uint64_t rand_frac(tfmt f)
{
    uint64_t m = t_fracmask(f), r = rnd() & m;
    int k = rndn(f.mb + 1);
    switch (rndn(8)) {
    case 0: case 1: case 2:
        return r;
    case 3: /* few significant bits: exact results and ties */
        return r & ~((1ull << k) - 1) & m;
    case 4: /* all ones below some point: carries */
        return (m >> k) << k | (rndn(2) ? (1ull << k) - 1 : 0);
    case 5: /* a single 1 after some prefix: exactly-half patterns */
        return ((r >> k) << k | (k ? 1ull << (k - 1) : 0)) & m;
    case 6:
        return rndn(2) ? 0 : m;
    default:
        return ((r >> k) << k | (k ? (1ull << (k - 1)) + (uint64_t)rndn(3) - 1 : 0)) & m;
    }
}

static int rand_bexp(tfmt f)
{
    int top = t_emaxb(f), b = t_bias(f);
    switch (rndn(6)) {
    case 0: return rndr(0, top);
    case 1: return rndr(0, 3);
    case 2: return rndr(top - 3, top);
    case 3: return rndr(b - 3, b + 3);
    default: return rndr(1, top - 1);
    }
}

static uint64_t special(tfmt f)
{
    uint64_t m = t_fracmask(f);
    int top = t_emaxb(f), b = t_bias(f), s = rndn(2);
    switch (rndn(16)) {
    case 0: return mk(f, s, 0, 0);                        /* +-0 */
    case 1: return mk(f, s, top, 0);                      /* +-inf */
    case 2: return mk(f, s, top, 1ull << (f.mb - 1));     /* qNaN */
    case 3: return mk(f, s, top, (rnd() & m) | 1ull << (f.mb - 1)); /* qNaN payload */
    case 4: return mk(f, s, top, 1);                      /* sNaN */
    case 5: return mk(f, s, top, (rnd() & (m >> 1)) | 1); /* sNaN payload */
    case 6: return mk(f, s, 0, 1);                        /* min subnormal */
    case 7: return mk(f, s, 0, m);                        /* max subnormal */
    case 8: return mk(f, s, 1, 0);                        /* min normal */
    case 9: return mk(f, s, top - 1, m);                  /* max normal */
    case 10: return mk(f, s, b, 0);                       /* 1.0 */
    case 11: return mk(f, s, b + rndr(-2, 2), rndn(2) ? 1 : m); /* near powers of 2 */
    case 12: return mk(f, s, rndr(0, top - 1), rndn(2) ? 0 : m);
    case 13: return mk(f, s, 0, rnd() & m);               /* random subnormal */
    case 14: return mk(f, s, b, 1ull << (f.mb - 1));      /* 1.5 */
    default: return mk(f, s, 1, rnd() & m);
    }
}

static uint64_t rand_float(tfmt f)
{
    int c = rndn(20);
    if (c < 4)
        return rnd() & (f.mb == 23 ? 0xffffffffull : ~0ull);
    if (c < 7)
        return special(f);
    return mk(f, rndn(2), rand_bexp(f), rand_frac(f));
}

/* An operand with a random fraction and a chosen biased exponent, kept in
 * the finite range (exponent 0 means subnormal). */
static uint64_t with_bexp(tfmt f, int sign, int bexp)
{
    if (bexp < 0)
        bexp = 0;
    if (bexp > t_emaxb(f) - 1)
        bexp = t_emaxb(f) - 1;
    return mk(f, sign, bexp, rand_frac(f));
}

/* Biased exponent a result should have to be interesting: around the
 * subnormal range / underflow threshold or around overflow. */
static int edge_bexp(tfmt f)
{
    switch (rndn(3)) {
    case 0: return rndr(-f.mb - 3, 3);
    case 1: return rndr(-1, 2);
    default: return rndr(t_emaxb(f) - 3, t_emaxb(f) + 1);
    }
}

/* A result right at the underflow threshold or at the overflow threshold,
 * where tininess-after-rounding and overflow-after-rounding decide. */
static uint64_t threshold_value(tfmt f)
{
    uint64_t t = rndn(3) ? mk(f, 0, 1, 0) - (uint64_t)rndr(0, 2) /* 2^emin, below */
                         : mk(f, 0, t_emaxb(f) - 1, t_fracmask(f)) - (uint64_t)rndr(0, 2);
    return t | ((uint64_t)rndn(2) << (f.mb + f.eb));
}

static uint64_t sf_op(tfmt f, char op, uint64_t a, uint64_t b, int rm)
{
    unsigned fl = 0;
    if (f.mb == 23) {
        uint32_t x = (uint32_t)a, y = (uint32_t)b;
        return op == '*' ? sf_mul32(x, y, rm, &fl) : op == '/' ? sf_div32(x, y, rm, &fl) : sf_sub32(x, y, rm, &fl);
    }
    return op == '*' ? sf_mul64(a, b, rm, &fl) : op == '/' ? sf_div64(a, b, rm, &fl) : sf_sub64(a, b, rm, &fl);
}

static void gen_add(tfmt f, uint64_t *in)
{
    in[0] = rand_float(f);
    switch (rndn(8)) {
    case 0: case 1: case 2: /* close exponents: cancellation, ties, carries */
        in[1] = with_bexp(f, rndn(2), t_bexp(f, in[0]) + rndr(-f.mb - 3, f.mb + 3));
        break;
    case 3: /* near-negation: massive cancellation */
        in[1] = (in[0] ^ (1ull << (f.mb + f.eb))) + (uint64_t)rndr(-3, 3);
        break;
    case 4: /* both tiny */
        in[0] = with_bexp(f, rndn(2), rndr(0, 3));
        in[1] = with_bexp(f, rndn(2), rndr(0, 3));
        break;
    default:
        in[1] = rand_float(f);
    }
}

static void gen_mul(tfmt f, uint64_t *in)
{
    in[0] = rand_float(f);
    if (rndn(5) == 0) {
        /* a * b within an ulp or so of a threshold */
        in[0] = with_bexp(f, rndn(2), t_bias(f) + rndr(-40, 40));
        in[1] = sf_op(f, '/', threshold_value(f), in[0], rndn(5));
    } else if (rndn(2)) {
        int ea = t_bexp(f, in[0]);
        if (ea == t_emaxb(f))
            ea = t_bias(f);
        in[0] = with_bexp(f, rndn(2), ea);
        in[1] = with_bexp(f, rndn(2), edge_bexp(f) - ea + t_bias(f));
    } else {
        in[1] = rand_float(f);
    }
}

static void gen_div(tfmt f, uint64_t *in)
{
    in[0] = rand_float(f);
    switch (rndn(7)) {
    case 6: /* a / b within an ulp or so of a threshold */
        in[1] = with_bexp(f, rndn(2), t_bias(f) + rndr(-40, 40));
        in[0] = sf_op(f, '*', threshold_value(f), in[1], rndn(5));
        break;
    case 0: case 1: case 2: {
        int ea = t_bexp(f, in[0]);
        if (ea == t_emaxb(f))
            ea = t_bias(f);
        in[0] = with_bexp(f, rndn(2), ea);
        in[1] = with_bexp(f, rndn(2), ea - edge_bexp(f) + t_bias(f));
        break;
    }
    case 3: /* exact quotients: a = b * q with short q */
        in[1] = rand_float(f);
        in[0] = f.mb == 23 ? sf_mul32((uint32_t)in[1], (uint32_t)mk(f, rndn(2), rand_bexp(f), rnd() & (0xfull << (f.mb - 4))), RV_RNE, &(unsigned){ 0 })
                           : sf_mul64(in[1], mk(f, rndn(2), rand_bexp(f), rnd() & (0xfull << (f.mb - 4))), RV_RNE, &(unsigned){ 0 });
        break;
    default:
        in[1] = rand_float(f);
    }
}

static void gen_sqrt(tfmt f, uint64_t *in)
{
    switch (rndn(5)) {
    case 0:
        in[0] = rand_float(f);
        break;
    case 1: case 2: { /* exact squares of short values, and neighbours */
        uint64_t x = mk(f, 0, rand_bexp(f), rnd() & (t_fracmask(f) << (f.mb / 2 + 1)));
        unsigned fl = 0;
        in[0] = f.mb == 23 ? sf_mul32((uint32_t)x, (uint32_t)x, RV_RNE, &fl) : sf_mul64(x, x, RV_RNE, &fl);
        if (!t_isinf(f, in[0]) && !t_iszero(f, in[0]))
            in[0] += (uint64_t)rndr(-1, 1);
        break;
    }
    default:
        in[0] = rand_float(f) & ~(1ull << (f.mb + f.eb));
    }
}

static void gen_fma(tfmt f, uint64_t *in)
{
    gen_mul(f, in);
    unsigned fl = 0;
    uint64_t p = f.mb == 23 ? sf_mul32((uint32_t)in[0], (uint32_t)in[1], RV_RNE, &fl)
                            : sf_mul64(in[0], in[1], RV_RNE, &fl);
    switch (rndn(7)) {
    case 6: /* a*b + c near a threshold */
        in[2] = sf_op(f, '-', threshold_value(f), p, rndn(5));
        break;
    case 0: case 1: /* c ~ -a*b: cancellation of the exact product */
        in[2] = (p ^ (1ull << (f.mb + f.eb))) + (uint64_t)rndr(-2, 2);
        break;
    case 2: case 3: /* c a little below or above the product: ties, sticky */
        if (t_isinf(f, p) || t_isnan(f, p))
            in[2] = rand_float(f);
        else
            in[2] = with_bexp(f, rndn(2), t_bexp(f, p) + rndr(-2 * f.mb - 4, f.mb + 4));
        break;
    default:
        in[2] = rand_float(f);
    }
}

/* binary64 operands that convert to binary32 interestingly. */
static uint64_t gen_f64_for_f32(void)
{
    if (rndn(3) == 0)
        return rand_float(T64);
    int e;
    switch (rndn(4)) {
    case 0: e = rndr(-126 - 26, -124); break;
    case 1: e = rndr(125, 129); break;
    case 2: e = rndr(-160, 140); break;
    default: e = rndr(-3, 3);
    }
    uint64_t lo;
    switch (rndn(5)) {
    case 0: lo = 0; break;
    case 1: lo = 1ull << 28; break;
    case 2: lo = (1ull << 28) + (uint64_t)rndr(-1, 1); break;
    default: lo = rnd() & ((1ull << 29) - 1);
    }
    uint64_t frac = (rand_frac(T32) << 29) | lo;
    return mk(T64, rndn(2), 1023 + e, frac);
}

/* Floats whose integer conversion is interesting: around 0, halves, and
 * around 2^31, 2^32, 2^63, 2^64. */
static uint64_t gen_float_for_int(tfmt f)
{
    if (rndn(4) == 0)
        return rand_float(f);
    int e;
    switch (rndn(4)) {
    case 0: e = rndr(-3, 4); break;
    case 1: e = rndr(29, 33); break;
    case 2: e = rndr(61, 65); break;
    default: e = rndr(-2, 66);
    }
    return mk(f, rndn(2), t_bias(f) + e, rand_frac(f));
}

static uint64_t gen_int(int bits)
{
    int len = rndr(0, bits);
    uint64_t v = len == 64 ? rnd() : rnd() & ((1ull << len) - 1);
    if (len)
        v |= 1ull << (len - 1);
    int k = rndn(len + 1);
    switch (rndn(4)) {
    case 0: /* clear low bits: exact conversions and ties */
        if (k < 64)
            v &= ~((1ull << k) - 1);
        break;
    case 1: /* tie pattern at bit k */
        if (k > 0 && k < 64)
            v = (v & ~((1ull << k) - 1)) | (1ull << (k - 1));
        break;
    default:
        break;
    }
    return v;
}

/* ------------------------------------------------------------------------ */
/* Float-result operations: soft, host, exact-in-extended                   */

typedef struct {
    const char *name;
    int nin;
    tfmt rf; /* result format */
    uint64_t (*soft)(const uint64_t *in, int rm, unsigned *fl);
    uint64_t (*host)(const uint64_t *in); /* in the current host mode */
    /* The exact result if it is representable in x87 extended precision
     * (then returns true); only called for finite operands. */
    bool (*exact)(const uint64_t *in, long double *v);
    void (*gen)(uint64_t *in);
    /* Adjusts host flags where the host is known to differ from RISC-V. */
    unsigned (*fixflags)(const uint64_t *in, unsigned hostflags);
} fop_t;

/* Runs a long double computation under RNE and tells whether it was exact. */
#define EXACT_BODY(expr)                                                       \
    do {                                                                       \
        feclearexcept(FE_ALL_EXCEPT);                                          \
        volatile long double r_ = (expr);                                      \
        *v = r_;                                                               \
        return !fetestexcept(FE_INEXACT);                                      \
    } while (0)

/* binary32 */
#define F(i) u2f((uint32_t)in[i])
static uint64_t s_add32(const uint64_t *in, int rm, unsigned *fl) { return sf_add32((uint32_t)in[0], (uint32_t)in[1], rm, fl); }
static uint64_t s_sub32(const uint64_t *in, int rm, unsigned *fl) { return sf_sub32((uint32_t)in[0], (uint32_t)in[1], rm, fl); }
static uint64_t s_mul32(const uint64_t *in, int rm, unsigned *fl) { return sf_mul32((uint32_t)in[0], (uint32_t)in[1], rm, fl); }
static uint64_t s_div32(const uint64_t *in, int rm, unsigned *fl) { return sf_div32((uint32_t)in[0], (uint32_t)in[1], rm, fl); }
static uint64_t s_sqrt32(const uint64_t *in, int rm, unsigned *fl) { return sf_sqrt32((uint32_t)in[0], rm, fl); }
static uint64_t s_fma32(const uint64_t *in, int rm, unsigned *fl) { return sf_fma32((uint32_t)in[0], (uint32_t)in[1], (uint32_t)in[2], rm, fl); }
static uint64_t h_add32(const uint64_t *in) { volatile float a = F(0), b = F(1); volatile float r = a + b; return f2u(r); }
static uint64_t h_sub32(const uint64_t *in) { volatile float a = F(0), b = F(1); volatile float r = a - b; return f2u(r); }
static uint64_t h_mul32(const uint64_t *in) { volatile float a = F(0), b = F(1); volatile float r = a * b; return f2u(r); }
static uint64_t h_div32(const uint64_t *in) { volatile float a = F(0), b = F(1); volatile float r = a / b; return f2u(r); }
static uint64_t h_sqrt32(const uint64_t *in) { volatile float a = F(0); volatile float r = sqrtf(a); return f2u(r); }
static uint64_t h_fma32(const uint64_t *in) { volatile float a = F(0), b = F(1), c = F(2); volatile float r = fmaf(a, b, c); return f2u(r); }
static bool x_add32(const uint64_t *in, long double *v) { volatile long double a = F(0), b = F(1); EXACT_BODY(a + b); }
static bool x_sub32(const uint64_t *in, long double *v) { volatile long double a = F(0), b = F(1); EXACT_BODY(a - b); }
static bool x_mul32(const uint64_t *in, long double *v) { volatile long double a = F(0), b = F(1); EXACT_BODY(a * b); }
static bool x_div32(const uint64_t *in, long double *v) { volatile long double a = F(0), b = F(1); EXACT_BODY(a / b); }
static bool x_sqrt32(const uint64_t *in, long double *v) { volatile long double a = F(0); EXACT_BODY(sqrtl(a)); }
/* The binary32 product is exact in extended precision: one rounding. */
static bool x_fma32(const uint64_t *in, long double *v) { volatile long double a = F(0), b = F(1), c = F(2); EXACT_BODY(a * b + c); }
static void g_add32(uint64_t *in) { gen_add(T32, in); }
static void g_mul32(uint64_t *in) { gen_mul(T32, in); }
static void g_div32(uint64_t *in) { gen_div(T32, in); }
static void g_sqrt32(uint64_t *in) { gen_sqrt(T32, in); }
static void g_fma32(uint64_t *in) { gen_fma(T32, in); }
#undef F

/* binary64 */
#define D(i) u2d(in[i])
static uint64_t s_add64(const uint64_t *in, int rm, unsigned *fl) { return sf_add64(in[0], in[1], rm, fl); }
static uint64_t s_sub64(const uint64_t *in, int rm, unsigned *fl) { return sf_sub64(in[0], in[1], rm, fl); }
static uint64_t s_mul64(const uint64_t *in, int rm, unsigned *fl) { return sf_mul64(in[0], in[1], rm, fl); }
static uint64_t s_div64(const uint64_t *in, int rm, unsigned *fl) { return sf_div64(in[0], in[1], rm, fl); }
static uint64_t s_sqrt64(const uint64_t *in, int rm, unsigned *fl) { return sf_sqrt64(in[0], rm, fl); }
static uint64_t s_fma64(const uint64_t *in, int rm, unsigned *fl) { return sf_fma64(in[0], in[1], in[2], rm, fl); }
static uint64_t h_add64(const uint64_t *in) { volatile double a = D(0), b = D(1); volatile double r = a + b; return d2u(r); }
static uint64_t h_sub64(const uint64_t *in) { volatile double a = D(0), b = D(1); volatile double r = a - b; return d2u(r); }
static uint64_t h_mul64(const uint64_t *in) { volatile double a = D(0), b = D(1); volatile double r = a * b; return d2u(r); }
static uint64_t h_div64(const uint64_t *in) { volatile double a = D(0), b = D(1); volatile double r = a / b; return d2u(r); }
static uint64_t h_sqrt64(const uint64_t *in) { volatile double a = D(0); volatile double r = sqrt(a); return d2u(r); }
static uint64_t h_fma64(const uint64_t *in) { volatile double a = D(0), b = D(1), c = D(2); volatile double r = fma(a, b, c); return d2u(r); }
static bool x_add64(const uint64_t *in, long double *v) { volatile long double a = D(0), b = D(1); EXACT_BODY(a + b); }
static bool x_sub64(const uint64_t *in, long double *v) { volatile long double a = D(0), b = D(1); EXACT_BODY(a - b); }
static bool x_mul64(const uint64_t *in, long double *v) { volatile long double a = D(0), b = D(1); EXACT_BODY(a * b); }
static bool x_div64(const uint64_t *in, long double *v) { volatile long double a = D(0), b = D(1); EXACT_BODY(a / b); }
static bool x_sqrt64(const uint64_t *in, long double *v) { volatile long double a = D(0); EXACT_BODY(sqrtl(a)); }
/* Relies on glibc's fmal raising inexact exactly when its (correctly
 * rounded) extended result is inexact; the fma64 RMM results this oracle
 * gives were also cross-checked against Unicorn during development. */
static bool x_fma64(const uint64_t *in, long double *v) { volatile long double a = D(0), b = D(1), c = D(2); EXACT_BODY(fmal(a, b, c)); }
static void g_add64(uint64_t *in) { gen_add(T64, in); }
static void g_mul64(uint64_t *in) { gen_mul(T64, in); }
static void g_div64(uint64_t *in) { gen_div(T64, in); }
static void g_sqrt64(uint64_t *in) { gen_sqrt(T64, in); }
static void g_fma64(uint64_t *in) { gen_fma(T64, in); }
#undef D

/* x86 FMA3 (which glibc's fma/fmaf use here) does not raise invalid for
 * inf*0 + qNaN; the RISC-V spec requires NV there (F chapter, "fused
 * multiply-add ... inf*0 ... sets the invalid operation exception flag even
 * when the addend is a quiet NaN"). The rule is applied to the host flags,
 * and test_fma_nan_rules below checks these cases by hand. */
static unsigned fix_fma32(const uint64_t *in, unsigned hf)
{
    if ((t_isinf(T32, in[0]) && t_iszero(T32, in[1])) || (t_iszero(T32, in[0]) && t_isinf(T32, in[1])))
        hf |= RV_NV;
    return hf;
}
static unsigned fix_fma64(const uint64_t *in, unsigned hf)
{
    if ((t_isinf(T64, in[0]) && t_iszero(T64, in[1])) || (t_iszero(T64, in[0]) && t_isinf(T64, in[1])))
        hf |= RV_NV;
    return hf;
}

/* Conversions with a floating-point result. */
static uint64_t s_f64_f32(const uint64_t *in, int rm, unsigned *fl) { return sf_f64_to_f32(in[0], rm, fl); }
static uint64_t h_f64_f32(const uint64_t *in) { volatile double a = u2d(in[0]); volatile float r = (float)a; return f2u(r); }
static bool x_f64_f32(const uint64_t *in, long double *v) { *v = u2d(in[0]); return true; }
static void g_f64_f32(uint64_t *in) { in[0] = gen_f64_for_f32(); }

static uint64_t s_f32_f64(const uint64_t *in, int rm, unsigned *fl) { (void)rm; return sf_f32_to_f64((uint32_t)in[0], fl); }
static uint64_t h_f32_f64(const uint64_t *in) { volatile float a = u2f((uint32_t)in[0]); volatile double r = a; return d2u(r); }
static bool x_f32_f64(const uint64_t *in, long double *v) { *v = u2f((uint32_t)in[0]); return true; }
static void g_f32_f64(uint64_t *in) { in[0] = rand_float(T32); }

/* Integer sources: in[0] holds the integer's bits. */
#define INT2F(name, ity, rt, RF, sfn, hty)                                      \
    static uint64_t s_##name(const uint64_t *in, int rm, unsigned *fl)         \
    {                                                                          \
        return sfn((ity)in[0], rm, fl);                                        \
    }                                                                          \
    static uint64_t h_##name(const uint64_t *in)                               \
    {                                                                          \
        volatile ity a = (ity)in[0];                                           \
        volatile hty r = (hty)a;                                               \
        return rt(r);                                                          \
    }                                                                          \
    static bool x_##name(const uint64_t *in, long double *v)                   \
    {                                                                          \
        *v = (long double)(ity)in[0]; /* 64-bit significand: exact */          \
        return true;                                                           \
    }
INT2F(i32_f32, int32_t, f2u, T32, sf_i32_to_f32, float)
INT2F(u32_f32, uint32_t, f2u, T32, sf_u32_to_f32, float)
INT2F(i64_f32, int64_t, f2u, T32, sf_i64_to_f32, float)
INT2F(u64_f32, uint64_t, f2u, T32, sf_u64_to_f32, float)
INT2F(i32_f64, int32_t, d2u, T64, sf_i32_to_f64, double)
INT2F(u32_f64, uint32_t, d2u, T64, sf_u32_to_f64, double)
INT2F(i64_f64, int64_t, d2u, T64, sf_i64_to_f64, double)
INT2F(u64_f64, uint64_t, d2u, T64, sf_u64_to_f64, double)
static void g_int32(uint64_t *in) { in[0] = gen_int(32); if (rndn(2)) in[0] = (uint32_t)(0u - (uint32_t)in[0]); }
static void g_int64(uint64_t *in) { in[0] = gen_int(64); if (rndn(2)) in[0] = -in[0]; }

static const fop_t fops[] = {
    { "add32", 2, { 23, 8 }, s_add32, h_add32, x_add32, g_add32, NULL },
    { "sub32", 2, { 23, 8 }, s_sub32, h_sub32, x_sub32, g_add32, NULL },
    { "mul32", 2, { 23, 8 }, s_mul32, h_mul32, x_mul32, g_mul32, NULL },
    { "div32", 2, { 23, 8 }, s_div32, h_div32, x_div32, g_div32, NULL },
    { "sqrt32", 1, { 23, 8 }, s_sqrt32, h_sqrt32, x_sqrt32, g_sqrt32, NULL },
    { "fma32", 3, { 23, 8 }, s_fma32, h_fma32, x_fma32, g_fma32, fix_fma32 },
    { "add64", 2, { 52, 11 }, s_add64, h_add64, x_add64, g_add64, NULL },
    { "sub64", 2, { 52, 11 }, s_sub64, h_sub64, x_sub64, g_add64, NULL },
    { "mul64", 2, { 52, 11 }, s_mul64, h_mul64, x_mul64, g_mul64, NULL },
    { "div64", 2, { 52, 11 }, s_div64, h_div64, x_div64, g_div64, NULL },
    { "sqrt64", 1, { 52, 11 }, s_sqrt64, h_sqrt64, x_sqrt64, g_sqrt64, NULL },
    { "fma64", 3, { 52, 11 }, s_fma64, h_fma64, x_fma64, g_fma64, fix_fma64 },
    { "f64_to_f32", 1, { 23, 8 }, s_f64_f32, h_f64_f32, x_f64_f32, g_f64_f32, NULL },
    { "f32_to_f64", 1, { 52, 11 }, s_f32_f64, h_f32_f64, x_f32_f64, g_f32_f64, NULL },
    { "i32_to_f32", 1, { 23, 8 }, s_i32_f32, h_i32_f32, x_i32_f32, g_int32, NULL },
    { "u32_to_f32", 1, { 23, 8 }, s_u32_f32, h_u32_f32, x_u32_f32, g_int32, NULL },
    { "i64_to_f32", 1, { 23, 8 }, s_i64_f32, h_i64_f32, x_i64_f32, g_int64, NULL },
    { "u64_to_f32", 1, { 23, 8 }, s_u64_f32, h_u64_f32, x_u64_f32, g_int64, NULL },
    { "i32_to_f64", 1, { 52, 11 }, s_i32_f64, h_i32_f64, x_i32_f64, g_int32, NULL },
    { "u32_to_f64", 1, { 52, 11 }, s_u32_f64, h_u32_f64, x_u32_f64, g_int32, NULL },
    { "i64_to_f64", 1, { 52, 11 }, s_i64_f64, h_i64_f64, x_i64_f64, g_int64, NULL },
    { "u64_to_f64", 1, { 52, 11 }, s_u64_f64, h_u64_f64, x_u64_f64, g_int64, NULL },
};

/* Coverage of the current random test, printed so that a generator change
 * that stops reaching ties, underflow or overflow is noticed. */
static long cov_tie, cov_flag[5];

/* Expected RMM result from the host's RNE, RDN and RUP results (see the
 * file comment). */
static uint64_t rmm_expect(const fop_t *op, const uint64_t *in, const uint64_t *hr,
                           const unsigned *hf)
{
    uint64_t ne = hr[0], lo = hr[2], hi = hr[3];
    long double v;

    if (t_isnan(op->rf, ne) || lo == hi || (hf[0] & RV_OF))
        return ne;
    if (!op->exact(in, &v))
        return ne; /* needs more than 64 bits: not a tie */
    long double vlo = t_val(op->rf, lo), vhi = t_val(op->rf, hi);
    /* An exact zero sum is -0 in RDN and +0 in RUP: lo != hi but no tie. */
    if (v == 0)
        return ne;
    if (v - vlo == vhi - v) {
        cov_tie++;
        return v > 0 ? hi : lo;
    }
    return ne;
}

static void count_flags(const unsigned *hf)
{
    unsigned any = 0;
    for (int m = 0; m < 4; m++)
        any |= hf[m];
    for (int b = 0; b < 5; b++)
        cov_flag[b] += (any >> b) & 1;
}

static void print_cov(const char *name)
{
    printf("  %-12s %ld cases x 5 modes; with NX %ld UF %ld OF %ld DZ %ld NV %ld; RMM ties %ld\n",
           name, n_cases, cov_flag[0], cov_flag[1], cov_flag[2], cov_flag[3], cov_flag[4], cov_tie);
    cov_tie = 0;
    memset(cov_flag, 0, sizeof cov_flag);
}

static void run_fop(const fop_t *op)
{
    long fails = 0;
    for (long i = 0; i < n_cases; i++) {
        uint64_t in[3] = { 0, 0, 0 }, hr[4], s;
        unsigned hf[4], sfl;
        op->gen(in);
        for (int m = 0; m < 4; m++) {
            fesetround(host_mode[m]);
            feclearexcept(FE_ALL_EXCEPT);
            uint64_t r = op->host(in);
            hf[m] = host_flags();
            fesetround(FE_TONEAREST);
            if (op->fixflags)
                hf[m] = op->fixflags(in, hf[m]);
            hr[m] = canon(op->rf, r);
            sfl = 0;
            s = op->soft(in, rv_mode[m], &sfl);
            if (s != hr[m] || sfl != hf[m]) {
                report(op->name, in, op->nin, m, s, sfl, hr[m], hf[m]);
                fails++;
            }
        }
        count_flags(hf);
        uint64_t e = rmm_expect(op, in, hr, hf);
        sfl = 0;
        s = op->soft(in, RV_RMM, &sfl);
        if (s != e || sfl != hf[0]) {
            report(op->name, in, op->nin, RV_RMM, s, sfl, e, hf[0]);
            fails++;
        }
        total_checks += 5;
    }
    if (fails)
        fprintf(stderr, "%s: %ld mismatches\n", op->name, fails);
    print_cov(op->name);
    assert_int_equal(fails, 0);
}

static void test_fop(void **state)
{
    const fop_t *op = *state;
    rng_seed(0x5eed0000ull + (uint64_t)(op - fops) * 7919u);
    run_fop(op);
}

/* ------------------------------------------------------------------------ */
/* Float-to-integer conversions                                             */

enum ikind { K_I32, K_U32, K_I64, K_U64 };

static uint64_t sat_max(enum ikind k)
{
    return k == K_I32 ? 0x7fffffffull : k == K_I64 ? 0x7fffffffffffffffull : ~0ull;
}
static uint64_t sat_min(enum ikind k)
{
    return k == K_I32 ? 0xffffffff80000000ull : k == K_I64 ? 0x8000000000000000ull : 0;
}

/* Spec table "Domains of float-to-integer conversions": a rounded integer
 * outside the target range gives NV (only) and the saturated value of the
 * same sign; otherwise the value itself with the rounding flags. 32-bit
 * results are sign-extended (fcvt.w and fcvt.wu write them so). */
static uint64_t apply_range(enum ikind k, long long r, unsigned rflags, unsigned *ef)
{
    bool ok;
    switch (k) {
    case K_I32: ok = r >= INT32_MIN && r <= INT32_MAX; break;
    case K_U32: ok = r >= 0 && r <= (long long)UINT32_MAX; break;
    case K_I64: ok = true; break;
    default: ok = r >= 0; break;
    }
    if (!ok) {
        *ef = RV_NV;
        return r < 0 ? sat_min(k) : sat_max(k);
    }
    *ef = rflags;
    if (k == K_I32 || k == K_U32)
        return (uint64_t)(int64_t)(int32_t)(uint32_t)r;
    return (uint64_t)r;
}

static uint64_t soft_to_int(tfmt f, enum ikind k, uint64_t x, int rm, unsigned *fl)
{
    if (f.mb == 23) {
        switch (k) {
        case K_I32: return (uint64_t)sf_f32_to_i32((uint32_t)x, rm, fl);
        case K_U32: return (uint64_t)sf_f32_to_u32((uint32_t)x, rm, fl);
        case K_I64: return (uint64_t)sf_f32_to_i64((uint32_t)x, rm, fl);
        default: return sf_f32_to_u64((uint32_t)x, rm, fl);
        }
    }
    switch (k) {
    case K_I32: return (uint64_t)sf_f64_to_i32(x, rm, fl);
    case K_U32: return (uint64_t)sf_f64_to_u32(x, rm, fl);
    case K_I64: return (uint64_t)sf_f64_to_i64(x, rm, fl);
    default: return sf_f64_to_u64(x, rm, fl);
    }
}

/* Host llrint of a finite value in [-2^63, 2^63), in the current mode. */
static long long host_llrint(tfmt f, uint64_t x)
{
    if (f.mb == 23) {
        volatile float a = u2f((uint32_t)x);
        volatile long long r = llrintf(a);
        return r;
    }
    volatile double a = u2d(x);
    volatile long long r = llrint(a);
    return r;
}

static void run_to_int(tfmt f, enum ikind k, const char *name)
{
    long fails = 0;
    const long double two63 = 9223372036854775808.0L;
    for (long i = 0; i < n_cases; i++) {
        uint64_t x = gen_float_for_int(f), s, e;
        unsigned sfl, ef;
        long double v = t_val(f, x);
        long long hr[4] = { 0, 0, 0, 0 };
        unsigned hf[4] = { 0, 0, 0, 0 };
        bool host_ok = !t_isnan(f, x) && v >= -two63 && v < two63;

        for (int m = 0; m < 5; m++) {
            if (t_isnan(f, x)) {
                e = sat_max(k); /* NaN converts like +inf */
                ef = RV_NV;
            } else if (!host_ok && v > 0) {
                if (k == K_U64 && v < 2 * two63) {
                    e = (uint64_t)v; /* an integer already: exact */
                    ef = 0;
                } else {
                    e = sat_max(k);
                    ef = RV_NV;
                }
            } else if (!host_ok) {
                e = sat_min(k);
                ef = RV_NV;
            } else if (m < 4) {
                fesetround(host_mode[m]);
                feclearexcept(FE_ALL_EXCEPT);
                hr[m] = host_llrint(f, x);
                hf[m] = host_flags();
                fesetround(FE_TONEAREST);
                e = apply_range(k, hr[m], hf[m], &ef);
            } else {
                /* RMM from RNE/RDN/RUP: a tie iff x is exactly halfway. */
                long long r = hr[0];
                if (hr[2] != hr[3] && v - (long double)hr[2] == (long double)hr[3] - v) {
                    r = v > 0 ? hr[3] : hr[2];
                    cov_tie++;
                }
                e = apply_range(k, r, hf[0], &ef);
            }
            if (m == 4)
                for (int b = 0; b < 5; b++)
                    cov_flag[b] += (ef >> b) & 1;
            sfl = 0;
            s = soft_to_int(f, k, x, m < 4 ? rv_mode[m] : RV_RMM, &sfl);
            if (s != e || sfl != ef) {
                report(name, &x, 1, m, s, sfl, e, ef);
                fails++;
            }
            total_checks++;
        }
    }
    if (fails)
        fprintf(stderr, "%s: %ld mismatches\n", name, fails);
    print_cov(name);
    assert_int_equal(fails, 0);
}

#define TO_INT_TEST(fname, F, K, seed)                                        \
    static void test_##fname(void **state)                                     \
    {                                                                          \
        (void)state;                                                           \
        rng_seed(seed);                                                        \
        run_to_int(F, K, #fname);                                              \
    }
TO_INT_TEST(f32_to_i32, T32, K_I32, 101)
TO_INT_TEST(f32_to_u32, T32, K_U32, 102)
TO_INT_TEST(f32_to_i64, T32, K_I64, 103)
TO_INT_TEST(f32_to_u64, T32, K_U64, 104)
TO_INT_TEST(f64_to_i32, T64, K_I32, 105)
TO_INT_TEST(f64_to_u32, T64, K_U32, 106)
TO_INT_TEST(f64_to_i64, T64, K_I64, 107)
TO_INT_TEST(f64_to_u64, T64, K_U64, 108)

/* ------------------------------------------------------------------------ */
/* Random min/max/compare/fclass against rules applied to host values       */

static void test_random_minmax_cmp_class(void **state)
{
    (void)state;
    long fails = 0;
    rng_seed(4242);
    for (long i = 0; i < n_cases; i++) {
        for (int w = 0; w < 2; w++) {
            tfmt f = w ? T64 : T32;
            uint64_t a = rand_float(f), b;
            if (rndn(4) == 0)
                b = a ^ (rndn(2) ? 1ull << (f.mb + f.eb) : (uint64_t)rndr(0, 1));
            else
                b = rand_float(f);
            long double va = t_val(f, a), vb = t_val(f, b);
            bool na = t_isnan(f, a), nb = t_isnan(f, b);
            bool anys = t_issnan(f, a) || t_issnan(f, b);
            unsigned fl, ef;
            uint64_t in[2] = { a, b };

            /* minimumNumber / maximumNumber (F v2.2, IEEE 754-2019). */
            uint64_t emin, emax;
            if (na && nb) {
                emin = emax = t_canon(f);
            } else if (na) {
                emin = emax = b;
            } else if (nb) {
                emin = emax = a;
            } else if (va < vb || (va == vb && t_sign(f, a) > t_sign(f, b))) {
                emin = a; /* -0 < +0 */
                emax = b;
            } else if (va > vb || (va == vb && t_sign(f, a) < t_sign(f, b))) {
                emin = b;
                emax = a;
            } else {
                emin = emax = a; /* identical */
            }
            ef = anys ? RV_NV : 0;
            uint64_t got;
            fl = 0;
            got = w ? sf_min64(a, b, &fl) : sf_min32((uint32_t)a, (uint32_t)b, &fl);
            if (got != emin || fl != ef) { report("min", in, 2, 0, got, fl, emin, ef); fails++; }
            fl = 0;
            got = w ? sf_max64(a, b, &fl) : sf_max32((uint32_t)a, (uint32_t)b, &fl);
            if (got != emax || fl != ef) { report("max", in, 2, 0, got, fl, emax, ef); fails++; }

            /* feq quiet (NV for sNaN only); flt/fle signalling (NV for any
             * NaN); any NaN compares false. */
            bool un = na || nb;
            int r;
            fl = 0;
            r = w ? sf_eq64(a, b, &fl) : sf_eq32((uint32_t)a, (uint32_t)b, &fl);
            if (r != (!un && va == vb) || fl != (anys ? RV_NV : 0u)) { report("eq", in, 2, 0, (uint64_t)r, fl, 0, 0); fails++; }
            fl = 0;
            r = w ? sf_lt64(a, b, &fl) : sf_lt32((uint32_t)a, (uint32_t)b, &fl);
            if (r != (!un && va < vb) || fl != (un ? RV_NV : 0u)) { report("lt", in, 2, 0, (uint64_t)r, fl, 0, 0); fails++; }
            fl = 0;
            r = w ? sf_le64(a, b, &fl) : sf_le32((uint32_t)a, (uint32_t)b, &fl);
            if (r != (!un && va <= vb) || fl != (un ? RV_NV : 0u)) { report("le", in, 2, 0, (uint64_t)r, fl, 0, 0); fails++; }

            /* fclass, from the host's classification. */
            unsigned ec;
            int neg = t_sign(f, a);
            if (na)
                ec = t_issnan(f, a) ? 1u << 8 : 1u << 9;
            else if (isinf(va))
                ec = neg ? 1u << 0 : 1u << 7;
            else if (va == 0)
                ec = neg ? 1u << 3 : 1u << 4;
            else if (fabsl(va) < (w ? (long double)0x1p-1022 : (long double)0x1p-126))
                ec = neg ? 1u << 2 : 1u << 5;
            else
                ec = neg ? 1u << 1 : 1u << 6;
            unsigned gc = w ? sf_class64(a) : sf_class32((uint32_t)a);
            if (gc != ec) { report("class", in, 1, 0, gc, 0, ec, 0); fails++; }
            total_checks += 6;
        }
    }
    assert_int_equal(fails, 0);
}

/* ------------------------------------------------------------------------ */
/* Hand-written cases                                                       */

/* Calls fn with a fresh flag word, checks result and flags. */
#define EXPECT(expr_with_fl, want, wantf)                                      \
    do {                                                                       \
        unsigned fl = 0;                                                       \
        uint64_t got_ = (uint64_t)(expr_with_fl);                              \
        if (got_ != (uint64_t)(want) || fl != (unsigned)(wantf))               \
            fprintf(stderr, "line %d: got %016llx/%02x want %016llx/%02x\n",    \
                    __LINE__, (unsigned long long)got_, fl,                    \
                    (unsigned long long)(uint64_t)(want), (unsigned)(wantf));  \
        assert_true(got_ == (uint64_t)(want));                                 \
        assert_int_equal(fl, (unsigned)(wantf));                               \
        total_checks++;                                                        \
    } while (0)

#define PZ32 0x00000000u
#define NZ32 0x80000000u
#define PINF32 0x7f800000u
#define NINF32 0xff800000u
#define QNAN32 0x7fc00000u
#define SNAN32 0x7f800001u
#define ONE32 0x3f800000u
#define MAX32 0x7f7fffffu
#define PZ64 0x0000000000000000ull
#define NZ64 0x8000000000000000ull
#define PINF64 0x7ff0000000000000ull
#define NINF64 0xfff0000000000000ull
#define QNAN64 0x7ff8000000000000ull
#define SNAN64 0x7ff0000000000001ull
#define ONE64 0x3ff0000000000000ull
#define MAX64 0x7fefffffffffffffull

static void test_rmm(void **state)
{
    (void)state;
    /* RMM: round to nearest, ties to max magnitude (spec: frm 100). */
    /* 1 + 2^-24 is halfway between 1 and 1 + 2^-23. */
    EXPECT(sf_add32(ONE32, 0x33800000u, RV_RMM, &fl), 0x3f800001u, RV_NX);
    EXPECT(sf_add32(ONE32, 0x33800000u, RV_RNE, &fl), 0x3f800000u, RV_NX);
    EXPECT(sf_sub32(0xbf800000u, 0x33800000u, RV_RMM, &fl), 0xbf800001u, RV_NX);
    /* Not a tie: 1 + 2^-24 - tiny rounds to nearest (1) in RMM too. */
    EXPECT(sf_fma32(0x33800000u, 0x3f7fffffu, ONE32, RV_RMM, &fl), ONE32, RV_NX);
    /* binary64: 1 + 2^-53 and -(1 + 3*2^-53) (tie to even would go up too). */
    EXPECT(sf_add64(ONE64, 0x3ca0000000000000ull, RV_RMM, &fl), 0x3ff0000000000001ull, RV_NX);
    EXPECT(sf_add64(ONE64, 0x3ca0000000000000ull, RV_RNE, &fl), ONE64, RV_NX);
    EXPECT(sf_add64(0xbff0000000000001ull, 0xbca0000000000000ull, RV_RMM, &fl), 0xbff0000000000002ull, RV_NX);
    /* Tie in the subnormal range: min_subnormal * 0.5 is halfway between 0
     * and min_subnormal: RMM gives min_subnormal, RNE 0; both tiny+inexact. */
    EXPECT(sf_mul32(0x00000001u, 0x3f000000u, RV_RMM, &fl), 0x00000001u, RV_NX | RV_UF);
    EXPECT(sf_mul32(0x80000001u, 0x3f000000u, RV_RMM, &fl), 0x80000001u, RV_NX | RV_UF);
    EXPECT(sf_mul32(0x00000001u, 0x3f000000u, RV_RNE, &fl), 0x00000000u, RV_NX | RV_UF);
    EXPECT(sf_mul64(0x0000000000000003ull, 0x3fe0000000000000ull, RV_RMM, &fl), 0x0000000000000002ull, RV_NX | RV_UF);
    EXPECT(sf_div64(0x0000000000000003ull, 0x4000000000000000ull, RV_RNE, &fl), 0x0000000000000002ull, RV_NX | RV_UF);
    EXPECT(sf_div64(0x0000000000000005ull, 0x4000000000000000ull, RV_RMM, &fl), 0x0000000000000003ull, RV_NX | RV_UF);
    EXPECT(sf_div64(0x0000000000000005ull, 0x4000000000000000ull, RV_RNE, &fl), 0x0000000000000002ull, RV_NX | RV_UF);
    /* Overflow in RMM goes to infinity like RNE (spec: RMM is a
     * round-to-nearest mode). */
    EXPECT(sf_mul32(MAX32, 0x40000000u, RV_RMM, &fl), PINF32, RV_OF | RV_NX);
    EXPECT(sf_add64(MAX64, 0x7c90000000000000ull, RV_RMM, &fl), PINF64, RV_OF | RV_NX); /* max + half ulp */
    EXPECT(sf_add64(MAX64, 0x7c8fffffffffffffull, RV_RMM, &fl), MAX64, RV_NX);          /* just below */
    /* Conversions. */
    EXPECT(sf_f64_to_i32(0x4004000000000000ull, RV_RMM, &fl), 3, RV_NX);   /* 2.5 -> 3 */
    EXPECT(sf_f64_to_i32(0x4004000000000000ull, RV_RNE, &fl), 2, RV_NX);   /* 2.5 -> 2 */
    EXPECT(sf_f64_to_i32(0xc004000000000000ull, RV_RMM, &fl), (uint64_t)-3, RV_NX);
    EXPECT(sf_f32_to_i64(0xbf000000u, RV_RMM, &fl), (uint64_t)-1, RV_NX);  /* -0.5 -> -1 */
    EXPECT(sf_f32_to_u32(0x3f000000u, RV_RMM, &fl), 1, RV_NX);             /* 0.5 -> 1 */
    EXPECT(sf_f32_to_u32(0xbf000000u, RV_RMM, &fl), 0, RV_NV);             /* -0.5 -> -1: invalid */
    EXPECT(sf_f32_to_u32(0xbf000000u, RV_RNE, &fl), 0, RV_NX);             /* -0.5 -> -0: fine */
    EXPECT(sf_f64_to_u64(0x432ffffffffffffdull, RV_RMM, &fl), 0x10000000000000ull - 1, RV_NX); /* 2^52-1.5 */
    EXPECT(sf_i32_to_f32(0x01000001, RV_RMM, &fl), 0x4b800001u, RV_NX);    /* 2^24+1 -> 2^24+2 */
    EXPECT(sf_i32_to_f32(0x01000001, RV_RNE, &fl), 0x4b800000u, RV_NX);
    EXPECT(sf_i64_to_f64(-0x20000000000001ll, RV_RMM, &fl), 0xc340000000000001ull, RV_NX);
    EXPECT(sf_u64_to_f32(0xffffff8000000000ull, RV_RMM, &fl), 0x5f800000u, RV_NX); /* tie at 2^64 */
    EXPECT(sf_f64_to_f32(0x3ff0000010000000ull, RV_RMM, &fl), 0x3f800001u, RV_NX); /* 1 + 2^-24 */
    EXPECT(sf_f64_to_f32(0x3ff0000010000000ull, RV_RNE, &fl), 0x3f800000u, RV_NX);
    /* sqrt and div cannot tie in their own precision, RMM = RNE there. */
    EXPECT(sf_sqrt32(0x40000000u, RV_RMM, &fl), 0x3fb504f3u, RV_NX);
    EXPECT(sf_div32(ONE32, 0x40400000u, RV_RMM, &fl), 0x3eaaaaabu, RV_NX);
}

static void test_rounding_modes_and_zero_signs(void **state)
{
    (void)state;
    /* Overflow result per mode (IEEE 754 7.4): RNE/RMM inf, RTZ max,
     * RDN/RUP inf or max by sign. */
    EXPECT(sf_mul32(MAX32, 0x40000000u, RV_RNE, &fl), PINF32, RV_OF | RV_NX);
    EXPECT(sf_mul32(MAX32, 0x40000000u, RV_RTZ, &fl), MAX32, RV_OF | RV_NX);
    EXPECT(sf_mul32(MAX32, 0x40000000u, RV_RDN, &fl), MAX32, RV_OF | RV_NX);
    EXPECT(sf_mul32(MAX32, 0x40000000u, RV_RUP, &fl), PINF32, RV_OF | RV_NX);
    EXPECT(sf_mul32(MAX32, 0xc0000000u, RV_RDN, &fl), NINF32, RV_OF | RV_NX);
    EXPECT(sf_mul32(MAX32, 0xc0000000u, RV_RUP, &fl), MAX32 | 0x80000000u, RV_OF | RV_NX);
    EXPECT(sf_mul64(MAX64, 0xc000000000000000ull, RV_RMM, &fl), NINF64, RV_OF | RV_NX);
    /* Exact zero sums are +0 except in RDN (IEEE 754 6.3). */
    EXPECT(sf_add32(ONE32, 0xbf800000u, RV_RNE, &fl), PZ32, 0);
    EXPECT(sf_add32(ONE32, 0xbf800000u, RV_RDN, &fl), NZ32, 0);
    EXPECT(sf_sub64(ONE64, ONE64, RV_RMM, &fl), PZ64, 0);
    EXPECT(sf_sub64(ONE64, ONE64, RV_RDN, &fl), NZ64, 0);
    EXPECT(sf_add64(NZ64, NZ64, RV_RNE, &fl), NZ64, 0);
    EXPECT(sf_add64(NZ64, PZ64, RV_RUP, &fl), PZ64, 0);
    EXPECT(sf_add64(NZ64, PZ64, RV_RDN, &fl), NZ64, 0);
    EXPECT(sf_fma64(ONE64, ONE64, 0xbff0000000000000ull, RV_RDN, &fl), NZ64, 0);
    EXPECT(sf_fma64(ONE64, ONE64, 0xbff0000000000000ull, RV_RMM, &fl), PZ64, 0);
    EXPECT(sf_fma32(NZ32, ONE32, NZ32, RV_RNE, &fl), NZ32, 0);  /* -0 + -0 */
    EXPECT(sf_fma32(NZ32, ONE32, PZ32, RV_RNE, &fl), PZ32, 0);  /* -0 + +0 */
    EXPECT(sf_fma32(NZ32, ONE32, PZ32, RV_RDN, &fl), NZ32, 0);
    /* A tiny non-zero result keeps its sign even when it rounds to zero. */
    EXPECT(sf_mul32(0x80000001u, 0x00000001u, RV_RNE, &fl), NZ32, RV_UF | RV_NX);
    EXPECT(sf_mul32(0x80000001u, 0x00000001u, RV_RDN, &fl), 0x80000001u, RV_UF | RV_NX);
    EXPECT(sf_fma64(0x0000000000000001ull, 0x0000000000000001ull, NZ64, RV_RUP, &fl), 0x0000000000000001ull, RV_UF | RV_NX);
    /* sqrt: sqrt(-0) = -0, negative -> NV (F chapter, FSQRT). */
    EXPECT(sf_sqrt32(NZ32, RV_RNE, &fl), NZ32, 0);
    EXPECT(sf_sqrt64(0xbff0000000000000ull, RV_RNE, &fl), QNAN64, RV_NV);
    EXPECT(sf_sqrt64(NINF64, RV_RNE, &fl), QNAN64, RV_NV);
    EXPECT(sf_sqrt64(PINF64, RV_RNE, &fl), PINF64, 0);
    EXPECT(sf_sqrt64(0x4010000000000000ull, RV_RNE, &fl), 0x4000000000000000ull, 0);
    /* Division: x/0 -> DZ, 0/0 and inf/inf -> NV. */
    EXPECT(sf_div32(0xbf800000u, PZ32, RV_RNE, &fl), NINF32, RV_DZ);
    EXPECT(sf_div32(PZ32, NZ32, RV_RNE, &fl), QNAN32, RV_NV);
    EXPECT(sf_div64(PINF64, NINF64, RV_RNE, &fl), QNAN64, RV_NV);
    EXPECT(sf_div64(PINF64, PZ64, RV_RNE, &fl), PINF64, 0);
}

static void test_tininess_after_rounding(void **state)
{
    (void)state;
    /* Spec (fcsr section): tininess is detected after rounding. The value
     * 2^-126 * (1 - 2^-25) rounds, at full precision with unbounded exponent,
     * to 2^-126 in RNE: not tiny, so NX without UF although the value lies
     * below 2^-126. In RTZ it rounds to the largest subnormal: UF. */
    EXPECT(sf_f64_to_f32(0x380ffffff0000000ull, RV_RNE, &fl), 0x00800000u, RV_NX);
    EXPECT(sf_f64_to_f32(0x380ffffff0000000ull, RV_RMM, &fl), 0x00800000u, RV_NX);
    EXPECT(sf_f64_to_f32(0x380ffffff0000000ull, RV_RUP, &fl), 0x00800000u, RV_NX);
    EXPECT(sf_f64_to_f32(0x380ffffff0000000ull, RV_RTZ, &fl), 0x007fffffu, RV_NX | RV_UF);
    EXPECT(sf_f64_to_f32(0x380ffffff0000000ull, RV_RDN, &fl), 0x007fffffu, RV_NX | RV_UF);
    /* (1 - 2^-53) * 2^-1022 is exact at full precision, so tiny after
     * rounding; the subnormal rounding (a tie, to even) yields 2^-1022 and is
     * inexact: UF and NX with a normal result. */
    EXPECT(sf_mul64(0x3fefffffffffffffull, 0x0010000000000000ull, RV_RNE, &fl), 0x0010000000000000ull, RV_NX | RV_UF);
    /* Exact tiny results raise no UF (UF needs tiny AND inexact). */
    EXPECT(sf_mul64(0x0000000000000002ull, 0x3fe0000000000000ull, RV_RNE, &fl), 0x0000000000000001ull, 0);
    EXPECT(sf_sub32(0x00800001u, 0x00800000u, RV_RNE, &fl), 0x00000001u, 0);
}

static void test_fma_nan_rules(void **state)
{
    (void)state;
    /* inf*0 raises NV even when the addend is a quiet NaN (F chapter, FMA);
     * the result is the canonical NaN (NaN generation and propagation:
     * RISC-V returns the canonical NaN, no payloads). */
    EXPECT(sf_fma32(PINF32, PZ32, QNAN32, RV_RNE, &fl), QNAN32, RV_NV);
    EXPECT(sf_fma32(NZ32, NINF32, 0xffc12345u, RV_RNE, &fl), QNAN32, RV_NV);
    EXPECT(sf_fma64(PZ64, PINF64, QNAN64, RV_RNE, &fl), QNAN64, RV_NV);
    EXPECT(sf_fma64(PINF64, NZ64, SNAN64, RV_RNE, &fl), QNAN64, RV_NV);
    EXPECT(sf_fma64(PINF64, PZ64, ONE64, RV_RNE, &fl), QNAN64, RV_NV);
    EXPECT(sf_fma64(PINF64, PZ64, NINF64, RV_RNE, &fl), QNAN64, RV_NV);
    /* A quiet NaN operand alone raises nothing; an sNaN anywhere raises NV. */
    EXPECT(sf_fma64(QNAN64, PZ64, ONE64, RV_RNE, &fl), QNAN64, 0);
    EXPECT(sf_fma64(ONE64, ONE64, 0xfff8000000000001ull, RV_RNE, &fl), QNAN64, 0);
    EXPECT(sf_fma32(ONE32, ONE32, SNAN32, RV_RNE, &fl), QNAN32, RV_NV);
    EXPECT(sf_fma32(SNAN32, PINF32, PZ32, RV_RNE, &fl), QNAN32, RV_NV);
    /* inf*x + (-inf) is invalid, inf*x + inf is inf. */
    EXPECT(sf_fma32(PINF32, ONE32, NINF32, RV_RNE, &fl), QNAN32, RV_NV);
    EXPECT(sf_fma32(NINF32, ONE32, NINF32, RV_RNE, &fl), NINF32, 0);
    EXPECT(sf_fma32(ONE32, ONE32, NINF32, RV_RNE, &fl), NINF32, 0);
    /* Payload-carrying NaNs from every operation come out canonical. */
    EXPECT(sf_add32(0xffc00001u, ONE32, RV_RNE, &fl), QNAN32, 0);
    EXPECT(sf_mul64(0xfff0000000000123ull, ONE64, RV_RNE, &fl), QNAN64, RV_NV);
    EXPECT(sf_f32_to_f64(0x7f800001u, &fl), QNAN64, RV_NV);
    EXPECT(sf_f32_to_f64(0xffc00001u, &fl), QNAN64, 0);
    EXPECT(sf_f64_to_f32(0x7ff4000000000000ull, RV_RNE, &fl), QNAN32, RV_NV);
    EXPECT(sf_sqrt32(0xffc00000u, RV_RNE, &fl), QNAN32, 0);
}

static void test_minmax(void **state)
{
    (void)state;
    /* F v2.2 FMIN/FMAX = IEEE 754-2019 minimumNumber/maximumNumber: -0 < +0,
     * one NaN -> the other operand, both NaN -> canonical NaN, NV only when
     * an input is a signalling NaN. (The pre-2.2 minNum rule, sNaN -> NaN
     * result, is what QEMU 5.0/Unicorn does: not followed here.) */
    EXPECT(sf_min32(PZ32, NZ32, &fl), NZ32, 0);
    EXPECT(sf_min32(NZ32, PZ32, &fl), NZ32, 0);
    EXPECT(sf_max32(NZ32, PZ32, &fl), PZ32, 0);
    EXPECT(sf_max32(PZ32, NZ32, &fl), PZ32, 0);
    EXPECT(sf_min32(QNAN32, ONE32, &fl), ONE32, 0);
    EXPECT(sf_max32(ONE32, 0xffc00001u, &fl), ONE32, 0);
    EXPECT(sf_min32(SNAN32, ONE32, &fl), ONE32, RV_NV);
    EXPECT(sf_max32(ONE32, SNAN32, &fl), ONE32, RV_NV);
    EXPECT(sf_min32(QNAN32, 0xffc00001u, &fl), QNAN32, 0);
    EXPECT(sf_max32(SNAN32, QNAN32, &fl), QNAN32, RV_NV);
    EXPECT(sf_min32(NINF32, MAX32, &fl), NINF32, 0);
    EXPECT(sf_max32(0xbf800000u, 0xc0000000u, &fl), 0xbf800000u, 0);
    EXPECT(sf_min64(NZ64, PZ64, &fl), NZ64, 0);
    EXPECT(sf_max64(NZ64, PZ64, &fl), PZ64, 0);
    EXPECT(sf_min64(0x7ff0000000000001ull, NINF64, &fl), NINF64, RV_NV);
    EXPECT(sf_max64(QNAN64, 0x0000000000000001ull, &fl), 0x0000000000000001ull, 0);
    EXPECT(sf_max64(0xfff8000000000000ull, SNAN64, &fl), QNAN64, RV_NV);
    EXPECT(sf_min64(0x8000000000000001ull, 0x0000000000000001ull, &fl), 0x8000000000000001ull, 0);
    EXPECT(sf_max64(0xbff0000000000000ull, 0xbff0000000000001ull, &fl), 0xbff0000000000000ull, 0);
}

static void test_compare(void **state)
{
    (void)state;
    /* FEQ is a quiet comparison: NV only for sNaN. FLT/FLE are signalling:
     * NV for any NaN. All give 0 on NaN (F chapter, "Floating-Point Compare
     * Instructions"). +0 == -0. */
    EXPECT(sf_eq32(PZ32, NZ32, &fl), 1, 0);
    EXPECT(sf_le32(NZ32, PZ32, &fl), 1, 0);
    EXPECT(sf_lt32(NZ32, PZ32, &fl), 0, 0);
    EXPECT(sf_eq32(QNAN32, QNAN32, &fl), 0, 0);
    EXPECT(sf_eq32(SNAN32, ONE32, &fl), 0, RV_NV);
    EXPECT(sf_lt32(QNAN32, ONE32, &fl), 0, RV_NV);
    EXPECT(sf_le32(ONE32, QNAN32, &fl), 0, RV_NV);
    EXPECT(sf_lt32(0xbf800000u, ONE32, &fl), 1, 0);
    EXPECT(sf_lt32(0xc0000000u, 0xbf800000u, &fl), 1, 0);
    EXPECT(sf_lt32(0xbf800000u, 0xc0000000u, &fl), 0, 0);
    EXPECT(sf_le32(NINF32, NINF32, &fl), 1, 0);
    EXPECT(sf_eq64(QNAN64, ONE64, &fl), 0, 0);
    EXPECT(sf_eq64(SNAN64, SNAN64, &fl), 0, RV_NV);
    EXPECT(sf_lt64(ONE64, QNAN64, &fl), 0, RV_NV);
    EXPECT(sf_le64(NZ64, PZ64, &fl), 1, 0);
    EXPECT(sf_lt64(0x0000000000000001ull, 0x0000000000000002ull, &fl), 1, 0);
    EXPECT(sf_lt64(0x8000000000000002ull, 0x8000000000000001ull, &fl), 1, 0);
    EXPECT(sf_le64(PINF64, MAX64, &fl), 0, 0);
}

static void test_fclass(void **state)
{
    (void)state;
    /* Spec table "Format of result of FCLASS instruction": bit 0 -inf,
     * 1 negative normal, 2 negative subnormal, 3 -0, 4 +0, 5 positive
     * subnormal, 6 positive normal, 7 +inf, 8 sNaN, 9 qNaN. */
    static const struct { uint32_t x; unsigned c; } c32[] = {
        { NINF32, 1u << 0 }, { 0xbf800000u, 1u << 1 }, { 0x80800000u, 1u << 1 },
        { 0x807fffffu, 1u << 2 }, { 0x80000001u, 1u << 2 }, { NZ32, 1u << 3 },
        { PZ32, 1u << 4 }, { 0x00000001u, 1u << 5 }, { 0x007fffffu, 1u << 5 },
        { 0x00800000u, 1u << 6 }, { MAX32, 1u << 6 }, { PINF32, 1u << 7 },
        { SNAN32, 1u << 8 }, { 0xffbfffffu, 1u << 8 }, { QNAN32, 1u << 9 },
        { 0xffffffffu, 1u << 9 },
    };
    static const struct { uint64_t x; unsigned c; } c64[] = {
        { NINF64, 1u << 0 }, { 0xbff0000000000000ull, 1u << 1 },
        { 0x800fffffffffffffull, 1u << 2 }, { NZ64, 1u << 3 }, { PZ64, 1u << 4 },
        { 0x0000000000000001ull, 1u << 5 }, { 0x0010000000000000ull, 1u << 6 },
        { PINF64, 1u << 7 }, { SNAN64, 1u << 8 }, { 0x7ff7ffffffffffffull, 1u << 8 },
        { QNAN64, 1u << 9 }, { 0xfff8000000000001ull, 1u << 9 },
    };
    for (size_t i = 0; i < sizeof c32 / sizeof c32[0]; i++)
        assert_int_equal(sf_class32(c32[i].x), c32[i].c);
    for (size_t i = 0; i < sizeof c64 / sizeof c64[0]; i++)
        assert_int_equal(sf_class64(c64[i].x), c64[i].c);
    total_checks += sizeof c32 / sizeof c32[0] + sizeof c64 / sizeof c64[0];
}

static void test_saturation(void **state)
{
    (void)state;
    /* Spec table "Domains of float-to-integer conversions and behavior for
     * invalid inputs": NaN and +inf/too large -> maximum, -inf/too small ->
     * minimum, NV and no NX. W/WU results are sign-extended to 64 bits. */
    const uint64_t i32max = 0x7fffffffull, i32min = 0xffffffff80000000ull;
    const uint64_t u32max = 0xffffffffffffffffull; /* 2^32-1 sign-extended */
    const uint64_t i64max = 0x7fffffffffffffffull, i64min = 0x8000000000000000ull;
    const uint64_t u64max = ~0ull;

    EXPECT(sf_f32_to_i32(QNAN32, RV_RNE, &fl), i32max, RV_NV);
    EXPECT(sf_f32_to_i32(0xffc00000u, RV_RNE, &fl), i32max, RV_NV); /* -NaN too */
    EXPECT(sf_f32_to_i32(PINF32, RV_RNE, &fl), i32max, RV_NV);
    EXPECT(sf_f32_to_i32(NINF32, RV_RNE, &fl), i32min, RV_NV);
    EXPECT(sf_f32_to_i32(0x4f000000u, RV_RNE, &fl), i32max, RV_NV);  /* 2^31 */
    EXPECT(sf_f32_to_i32(0xcf000000u, RV_RNE, &fl), i32min, 0);      /* -2^31 fits */
    EXPECT(sf_f32_to_i32(0xcf000001u, RV_RNE, &fl), i32min, RV_NV);
    EXPECT(sf_f64_to_i32(0x41dfffffffe00000ull, RV_RNE, &fl), i32max, RV_NV);   /* 2^31-0.5: tie to even 2^31 */
    EXPECT(sf_f64_to_i32(0x41dfffffffe00000ull, RV_RTZ, &fl), i32max, RV_NX);
    EXPECT(sf_f64_to_i32(0x41dfffffffe00000ull, RV_RUP, &fl), i32max, RV_NV);
    EXPECT(sf_f64_to_i32(0xc1e0000000100000ull, RV_RTZ, &fl), i32min, RV_NX);   /* -2^31-0.5 */
    EXPECT(sf_f64_to_i32(0xc1e0000000100000ull, RV_RDN, &fl), i32min, RV_NV);
    EXPECT(sf_f32_to_u32(QNAN32, RV_RNE, &fl), u32max, RV_NV);
    EXPECT(sf_f32_to_u32(PINF32, RV_RNE, &fl), u32max, RV_NV);
    EXPECT(sf_f32_to_u32(NINF32, RV_RNE, &fl), 0, RV_NV);
    EXPECT(sf_f32_to_u32(0xbf800000u, RV_RNE, &fl), 0, RV_NV);       /* -1 */
    EXPECT(sf_f32_to_u32(0xbe99999au, RV_RTZ, &fl), 0, RV_NX);       /* -0.3 RTZ -> -0: NX only */
    EXPECT(sf_f32_to_u32(0xbe99999au, RV_RNE, &fl), 0, RV_NX);
    EXPECT(sf_f32_to_u32(0xbe99999au, RV_RDN, &fl), 0, RV_NV);       /* -> -1 */
    EXPECT(sf_f32_to_u32(0xbf333333u, RV_RNE, &fl), 0, RV_NV);       /* -0.7 -> -1 */
    EXPECT(sf_f32_to_u32(NZ32, RV_RNE, &fl), 0, 0);
    EXPECT(sf_f32_to_u32(0x4f32d05eu, RV_RNE, &fl), 0xffffffffb2d05e00ull, 0); /* 3e9, sign-extended */
    EXPECT(sf_f64_to_u32(0x41effffffff00000ull, RV_RTZ, &fl), u32max, RV_NX); /* 2^32-0.5 */
    EXPECT(sf_f64_to_u32(0x41effffffff00000ull, RV_RMM, &fl), u32max, RV_NV); /* -> 2^32 */
    EXPECT(sf_f64_to_u32(0x41efffffffe00000ull, RV_RNE, &fl), u32max, 0);     /* 2^32-1 */
    EXPECT(sf_f64_to_u32(0x41f0000000000000ull, RV_RNE, &fl), u32max, RV_NV); /* 2^32 */
    EXPECT(sf_f64_to_i64(QNAN64, RV_RNE, &fl), i64max, RV_NV);
    EXPECT(sf_f64_to_i64(NINF64, RV_RNE, &fl), i64min, RV_NV);
    EXPECT(sf_f64_to_i64(0x43e0000000000000ull, RV_RNE, &fl), i64max, RV_NV); /* 2^63 */
    EXPECT(sf_f64_to_i64(0xc3e0000000000000ull, RV_RNE, &fl), i64min, 0);     /* -2^63 */
    EXPECT(sf_f64_to_i64(0xc3e0000000000001ull, RV_RNE, &fl), i64min, RV_NV);
    EXPECT(sf_f32_to_i64(0x5f000000u, RV_RNE, &fl), i64max, RV_NV);
    EXPECT(sf_f32_to_i64(0xdf000000u, RV_RNE, &fl), i64min, 0);
    EXPECT(sf_f64_to_u64(QNAN64, RV_RNE, &fl), u64max, RV_NV);
    EXPECT(sf_f64_to_u64(PINF64, RV_RNE, &fl), u64max, RV_NV);
    EXPECT(sf_f64_to_u64(NINF64, RV_RNE, &fl), 0, RV_NV);
    EXPECT(sf_f64_to_u64(0x43f0000000000000ull, RV_RNE, &fl), u64max, RV_NV); /* 2^64 */
    EXPECT(sf_f64_to_u64(0x43efffffffffffffull, RV_RNE, &fl), 0xfffffffffffff800ull, 0);
    EXPECT(sf_f64_to_u64(0xbfd3333333333333ull, RV_RTZ, &fl), 0, RV_NX); /* -0.3 */
    EXPECT(sf_f64_to_u64(0xbfe6666666666666ull, RV_RNE, &fl), 0, RV_NV); /* -0.7 */
    EXPECT(sf_f32_to_u64(0x5f800000u, RV_RNE, &fl), u64max, RV_NV);
    EXPECT(sf_f32_to_u64(0x5f7fffffu, RV_RNE, &fl), 0xffffff0000000000ull, 0);
    EXPECT(sf_f32_to_u64(0x00000001u, RV_RUP, &fl), 1, RV_NX);
    EXPECT(sf_f32_to_u64(0x80000001u, RV_RUP, &fl), 0, RV_NX);
    EXPECT(sf_f32_to_u64(0x80000001u, RV_RDN, &fl), 0, RV_NV);
    EXPECT(sf_f32_to_i32(0x80000001u, RV_RDN, &fl), (uint64_t)-1, RV_NX);
    EXPECT(sf_f64_to_i64(0x3ff8000000000000ull, RV_RTZ, &fl), 1, RV_NX);  /* 1.5 */
    EXPECT(sf_f64_to_i64(0xbff8000000000000ull, RV_RUP, &fl), (uint64_t)-1, RV_NX);
    EXPECT(sf_f64_to_i64(0xbff8000000000000ull, RV_RNE, &fl), (uint64_t)-2, RV_NX);
}

static void test_int_to_float_edges(void **state)
{
    (void)state;
    /* Integer zero converts to +0 in every mode; extremes round per mode. */
    EXPECT(sf_i32_to_f32(0, RV_RDN, &fl), PZ32, 0);
    EXPECT(sf_i64_to_f64(0, RV_RDN, &fl), PZ64, 0);
    EXPECT(sf_i32_to_f32(INT32_MIN, RV_RNE, &fl), 0xcf000000u, 0);
    EXPECT(sf_i64_to_f64(INT64_MIN, RV_RNE, &fl), 0xc3e0000000000000ull, 0);
    EXPECT(sf_u64_to_f64(~0ull, RV_RNE, &fl), 0x43f0000000000000ull, RV_NX);
    EXPECT(sf_u64_to_f64(~0ull, RV_RTZ, &fl), 0x43efffffffffffffull, RV_NX);
    EXPECT(sf_u64_to_f32(~0ull, RV_RDN, &fl), 0x5f7fffffu, RV_NX);
    EXPECT(sf_i64_to_f32(INT64_MAX, RV_RUP, &fl), 0x5f000000u, RV_NX);
    EXPECT(sf_i32_to_f32(INT32_MAX, RV_RTZ, &fl), 0x4effffffu, RV_NX);
    EXPECT(sf_u32_to_f64(UINT32_MAX, RV_RNE, &fl), 0x41efffffffe00000ull, 0);
    EXPECT(sf_i32_to_f64(-1, RV_RNE, &fl), 0xbff0000000000000ull, 0);
}

/* ------------------------------------------------------------------------ */

static int setup_counts(void **state)
{
    (void)state;
    const char *l = getenv("REPRISE_LONG_TESTS");
    if (l && *l && strcmp(l, "0") != 0)
        n_cases = 200000L * 25;
    return 0;
}

static int teardown_counts(void **state)
{
    (void)state;
    printf("softfp: %ld cases per random test, %ld checks in total\n", n_cases, total_checks);
    return 0;
}

#define FOP_TEST(i) { .name = fops[i].name, .test_func = test_fop, .initial_state = (void *)&fops[i] }

int main(void)
{
    const struct CMUnitTest tests[] = {
        FOP_TEST(0), FOP_TEST(1), FOP_TEST(2), FOP_TEST(3), FOP_TEST(4), FOP_TEST(5),
        FOP_TEST(6), FOP_TEST(7), FOP_TEST(8), FOP_TEST(9), FOP_TEST(10), FOP_TEST(11),
        FOP_TEST(12), FOP_TEST(13), FOP_TEST(14), FOP_TEST(15), FOP_TEST(16), FOP_TEST(17),
        FOP_TEST(18), FOP_TEST(19), FOP_TEST(20), FOP_TEST(21),
        cmocka_unit_test(test_f32_to_i32),
        cmocka_unit_test(test_f32_to_u32),
        cmocka_unit_test(test_f32_to_i64),
        cmocka_unit_test(test_f32_to_u64),
        cmocka_unit_test(test_f64_to_i32),
        cmocka_unit_test(test_f64_to_u32),
        cmocka_unit_test(test_f64_to_i64),
        cmocka_unit_test(test_f64_to_u64),
        cmocka_unit_test(test_random_minmax_cmp_class),
        cmocka_unit_test(test_rmm),
        cmocka_unit_test(test_rounding_modes_and_zero_signs),
        cmocka_unit_test(test_tininess_after_rounding),
        cmocka_unit_test(test_fma_nan_rules),
        cmocka_unit_test(test_minmax),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_fclass),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_int_to_float_edges),
    };
    _Static_assert(sizeof fops / sizeof fops[0] == 22, "update the FOP_TEST list");
    return cmocka_run_group_tests_name("softfp", tests, setup_counts, teardown_counts);
}
