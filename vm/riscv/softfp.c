/*
 * softfp.c - IEEE 754 binary32/binary64 arithmetic in integer software with
 * RISC-V F/D semantics. See softfp.h for the contract of each function.
 *
 * Structure
 * ---------
 * Both formats share one implementation, parameterised by the number of
 * stored fraction bits (23 or 52) and exponent bits (8 or 11); binary32
 * values simply travel in the low half of a uint64_t.  Every finite non-zero
 * operand is unpacked into
 *
 *     value = (-1)^sign * sig * 2^(exp - 62),   2^62 <= sig < 2^63
 *
 * i.e. the significand is left-justified at bit 62 whatever the format and
 * subnormal inputs are normalised on the way in.  That leaves 10 (binary64)
 * or 39 (binary32) spare bits under the last kept bit, plenty for the
 * guard/round bits, and one spare bit on top so that the sum of two
 * significands cannot overflow a uint64_t.
 *
 * Each operation computes its exact result, or a truncation of it whose
 * lowest bit is OR-ed with "something non-zero was discarded" (a sticky or
 * "jam" bit), and hands it to one rounding routine (round_pack), which is the
 * only place that rounds, detects tininess, overflow and inexactness.
 *
 * Why a jammed value rounds correctly: if the true value t lies strictly
 * between two consecutive integers and we keep x = floor(t) | 1, then x is odd
 * and t and x lie in the same open unit interval whose ends are even; the
 * rounding decision only compares the discarded bits against 0, half and
 * full units of a position >= 2 bits above bit 0, all of which are even, so
 * t and x round alike.  Left shifts after jamming (normalisation after a
 * subtraction, a product or a quotient) keep this true as long as they move
 * the jam bit by at most (rounding position - 2) bits; the operations below
 * shift a jammed value by at most 2, against a rounding position of >= 10.
 */
#include "softfp.h"

#include <stdbool.h>

/* GCC/Clang 128-bit integer; __extension__ keeps -Wpedantic quiet. */
__extension__ typedef unsigned __int128 u128;

/* ------------------------------------------------------------------------ */
/* Format descriptors                                                       */

typedef struct {
    int mb; /* stored fraction bits: 23 or 52 */
    int eb; /* exponent bits: 8 or 11 */
} fmt_t;

static const fmt_t F32 = { 23, 8 };
static const fmt_t F64 = { 52, 11 };

#define SIG_TOP 62 /* bit position of the leading 1 of an unpacked significand */

static inline int f_bias(fmt_t f) { return (1 << (f.eb - 1)) - 1; }
static inline int f_emin(fmt_t f) { return 1 - f_bias(f); }
static inline int f_emax(fmt_t f) { return f_bias(f); }
static inline int f_sh(fmt_t f) { return SIG_TOP - f.mb; } /* discarded bits */
static inline uint64_t f_signbit(fmt_t f) { return 1ull << (f.mb + f.eb); }
static inline uint64_t f_inf(fmt_t f) { return ((1ull << f.eb) - 1) << f.mb; }
static inline uint64_t f_canon(fmt_t f)
{
    return f.mb == 23 ? RV_CANON_NAN32 : RV_CANON_NAN64;
}

/* ------------------------------------------------------------------------ */
/* Bit helpers                                                              */

static inline int clz64(uint64_t x) { return x ? __builtin_clzll(x) : 64; }

static inline int msb128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    if (hi)
        return 127 - __builtin_clzll(hi);
    return 63 - clz64((uint64_t)x);
}

/* x >> n, with bit 0 forced to 1 if any 1 bit was shifted out. */
static inline uint64_t shr_jam64(uint64_t x, int n)
{
    if (n <= 0)
        return x;
    if (n >= 64)
        return x != 0;
    return (x >> n) | ((x & ((1ull << n) - 1)) != 0);
}

static inline u128 shr_jam128(u128 x, int n)
{
    if (n <= 0)
        return x;
    if (n >= 128)
        return x != 0;
    return (x >> n) | ((x & ((((u128)1) << n) - 1)) != 0);
}

/* ------------------------------------------------------------------------ */
/* Unpacking                                                                */

enum cls { C_ZERO, C_FIN, C_INF, C_QNAN, C_SNAN };

typedef struct {
    int sign;     /* 0 or 1 */
    enum cls cls;
    int exp;      /* unbiased exponent of the leading bit (C_FIN only) */
    uint64_t sig; /* leading 1 at bit SIG_TOP (C_FIN only) */
} unp_t;

static inline unp_t unpack(fmt_t f, uint64_t x)
{
    unp_t u;
    uint64_t fracmask = (1ull << f.mb) - 1;
    int bexp = (int)((x >> f.mb) & ((1u << f.eb) - 1));
    uint64_t frac = x & fracmask;

    u.sign = (x & f_signbit(f)) != 0;
    u.exp = 0;
    u.sig = 0;
    if (bexp == (1 << f.eb) - 1) {
        if (!frac)
            u.cls = C_INF;
        else
            /* RISC-V (like IEEE 754-2008 recommends) marks quiet NaNs with
             * the top fraction bit set. */
            u.cls = (frac >> (f.mb - 1)) ? C_QNAN : C_SNAN;
    } else if (bexp == 0) {
        if (!frac) {
            u.cls = C_ZERO;
        } else {
            /* Subnormal: value = frac * 2^(emin - mb); normalise it. */
            int k = clz64(frac) - (63 - SIG_TOP);
            u.cls = C_FIN;
            u.sig = frac << k;
            u.exp = f_emin(f) - (k - f_sh(f));
        }
    } else {
        u.cls = C_FIN;
        u.exp = bexp - f_bias(f);
        u.sig = (frac | (1ull << f.mb)) << f_sh(f);
    }
    return u;
}

static inline bool is_nan(enum cls c) { return c == C_QNAN || c == C_SNAN; }

/* ------------------------------------------------------------------------ */
/* Rounding                                                                 */

/* Whether to add one unit in the last kept place. rb is the discarded part,
 * half the weight of half a unit in the same scale, lsb the last kept bit.
 * rm values outside 0..4 cannot reach us (see softfp.h); they are treated as
 * RNE rather than left undefined. */
static inline bool round_up(uint64_t rb, uint64_t half, int lsb, int sign, int rm)
{
    switch (rm) {
    case RV_RTZ:
        return false;
    case RV_RDN:
        return rb != 0 && sign;
    case RV_RUP:
        return rb != 0 && !sign;
    case RV_RMM:
        return rb >= half;
    case RV_RNE:
    default:
        return rb > half || (rb == half && lsb);
    }
}

static inline uint64_t overflow_result(fmt_t f, int sign, int rm, unsigned *flags)
{
    bool to_inf;
    *flags |= RV_OF | RV_NX;
    switch (rm) {
    case RV_RTZ:
        to_inf = false;
        break;
    case RV_RDN:
        to_inf = sign;
        break;
    case RV_RUP:
        to_inf = !sign;
        break;
    default:
        to_inf = true;
        break;
    }
    return (sign ? f_signbit(f) : 0) | (to_inf ? f_inf(f) : f_inf(f) - 1);
}

/* Round and pack a non-zero value (-1)^sign * sig * 2^(exp - 62) whose
 * significand is normalised (leading 1 at bit 62, possibly jammed). */
static uint64_t round_norm(fmt_t f, int sign, int exp, uint64_t sig, int rm,
                           unsigned *flags)
{
    const int sh = f_sh(f);
    const uint64_t rmask = (1ull << sh) - 1;
    const uint64_t half = 1ull << (sh - 1);
    const uint64_t s = sign ? f_signbit(f) : 0;
    const int emin = f_emin(f);
    uint64_t rb, r;

    if (exp < emin) {
        /* Tininess is detected after rounding (RISC-V, like x86): the result
         * is tiny if rounding it to full precision with an unbounded exponent
         * range would still give a magnitude below 2^emin. That can only fail
         * to hold when the value is in [2^(emin-1), 2^emin) and rounding at
         * full precision carries into 2^emin. */
        bool tiny = true;
        if (exp == emin - 1) {
            rb = sig & rmask;
            r = (sig >> sh) + round_up(rb, half, (int)((sig >> sh) & 1), sign, rm);
            if (r >> (f.mb + 1))
                tiny = false;
        }
        /* Re-align to the fixed subnormal quantum 2^(emin - mb) and round
         * there. A carry out of the fraction lands in the exponent field and
         * yields the smallest normal number, which is the right encoding. */
        sig = shr_jam64(sig, emin - exp);
        rb = sig & rmask;
        r = (sig >> sh) + round_up(rb, half, (int)((sig >> sh) & 1), sign, rm);
        if (rb) {
            /* UF only when tiny AND inexact (underflow exception masked). */
            *flags |= RV_NX;
            if (tiny)
                *flags |= RV_UF;
        }
        return s | r;
    }

    rb = sig & rmask;
    r = (sig >> sh) + round_up(rb, half, (int)((sig >> sh) & 1), sign, rm);
    if (r >> (f.mb + 1)) {
        /* Rounded up to the next power of two; the dropped bit is 0. */
        r >>= 1;
        exp++;
    }
    if (exp > f_emax(f))
        return overflow_result(f, sign, rm, flags);
    if (rb)
        *flags |= RV_NX;
    /* r still carries the hidden bit, which adds 1 to the biased exponent:
     * hence the "- 1". */
    return s | (((uint64_t)(exp + f_bias(f) - 1) << f.mb) + r);
}

/* Round and pack (-1)^sign * sig * 2^scale for any non-zero sig. */
static uint64_t round_pack(fmt_t f, int sign, int scale, uint64_t sig, int rm,
                           unsigned *flags)
{
    int m = 63 - clz64(sig);
    if (m > SIG_TOP)
        sig = shr_jam64(sig, m - SIG_TOP);
    else
        sig <<= SIG_TOP - m;
    return round_norm(f, sign, scale + m, sig, rm, flags);
}

/* Same for a 128-bit significand: jam it down to 63 bits first. */
static uint64_t round_pack128(fmt_t f, int sign, int scale, u128 sig,
                              int rm, unsigned *flags)
{
    int m = msb128(sig);
    if (m > SIG_TOP) {
        sig = shr_jam128(sig, m - SIG_TOP);
        scale += m - SIG_TOP;
    }
    return round_pack(f, sign, scale, (uint64_t)sig, rm, flags);
}

/* ------------------------------------------------------------------------ */
/* NaN handling                                                             */

static inline uint64_t nan_result(fmt_t f, unp_t a, unp_t b, unsigned *flags)
{
    if (a.cls == C_SNAN || b.cls == C_SNAN)
        *flags |= RV_NV;
    return f_canon(f);
}

static inline uint64_t invalid(fmt_t f, unsigned *flags)
{
    *flags |= RV_NV;
    return f_canon(f);
}

/* Exact zero result of x + y with x = -y (or both zero with different
 * signs): IEEE 754 6.3 gives +0 in every mode but roundTowardNegative. */
static inline uint64_t cancel_zero(fmt_t f, int rm)
{
    return rm == RV_RDN ? f_signbit(f) : 0;
}

/* ------------------------------------------------------------------------ */
/* Operations, format-generic                                               */

static uint64_t g_add(fmt_t f, uint64_t x, uint64_t y, int rm, unsigned *flags)
{
    unp_t a = unpack(f, x), b = unpack(f, y);

    if (is_nan(a.cls) || is_nan(b.cls))
        return nan_result(f, a, b, flags);
    if (a.cls == C_INF || b.cls == C_INF) {
        if (a.cls == C_INF && b.cls == C_INF && a.sign != b.sign)
            return invalid(f, flags); /* inf - inf */
        return a.cls == C_INF ? x : y;
    }
    if (a.cls == C_ZERO && b.cls == C_ZERO)
        return a.sign == b.sign ? x : cancel_zero(f, rm);
    if (a.cls == C_ZERO)
        return y; /* exact, even if y is subnormal */
    if (b.cls == C_ZERO)
        return x;

    if (a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig)) {
        unp_t t = a;
        a = b;
        b = t;
    }
    /* Now |a| >= |b|; the result has a's sign unless it is an exact zero. */
    b.sig = shr_jam64(b.sig, a.exp - b.exp);
    uint64_t sig;
    if (a.sign == b.sign) {
        sig = a.sig + b.sig; /* < 2^64: both are < 2^63 */
    } else {
        sig = a.sig - b.sig;
        if (!sig)
            return cancel_zero(f, rm);
    }
    return round_pack(f, a.sign, a.exp - SIG_TOP, sig, rm, flags);
}

static uint64_t g_mul(fmt_t f, uint64_t x, uint64_t y, int rm, unsigned *flags)
{
    unp_t a = unpack(f, x), b = unpack(f, y);
    int sign = a.sign ^ b.sign;
    uint64_t s = sign ? f_signbit(f) : 0;

    if (is_nan(a.cls) || is_nan(b.cls))
        return nan_result(f, a, b, flags);
    if (a.cls == C_INF || b.cls == C_INF) {
        if (a.cls == C_ZERO || b.cls == C_ZERO)
            return invalid(f, flags); /* inf * 0 */
        return s | f_inf(f);
    }
    if (a.cls == C_ZERO || b.cls == C_ZERO)
        return s;

    u128 p = (u128)a.sig * b.sig; /* exact */
    return round_pack128(f, sign, a.exp + b.exp - 2 * SIG_TOP, p, rm, flags);
}

static uint64_t g_div(fmt_t f, uint64_t x, uint64_t y, int rm, unsigned *flags)
{
    unp_t a = unpack(f, x), b = unpack(f, y);
    int sign = a.sign ^ b.sign;
    uint64_t s = sign ? f_signbit(f) : 0;

    if (is_nan(a.cls) || is_nan(b.cls))
        return nan_result(f, a, b, flags);
    if (a.cls == C_INF) {
        if (b.cls == C_INF)
            return invalid(f, flags); /* inf / inf */
        return s | f_inf(f);
    }
    if (b.cls == C_INF)
        return s;
    if (b.cls == C_ZERO) {
        if (a.cls == C_ZERO)
            return invalid(f, flags); /* 0 / 0 */
        *flags |= RV_DZ;
        return s | f_inf(f);
    }
    if (a.cls == C_ZERO)
        return s;

    /* (a.sig * 2^62) / b.sig lies in (2^61, 2^63): at least 62 quotient
     * bits, far more than the 53 + 2 needed; the remainder only matters
     * through whether it is zero. */
    u128 n = (u128)a.sig << SIG_TOP;
    uint64_t q = (uint64_t)(n / b.sig);
    uint64_t rem = (uint64_t)(n % b.sig);
    q |= rem != 0;
    return round_pack(f, sign, a.exp - b.exp - SIG_TOP, q, rm, flags);
}

/* floor(sqrt(n)) for n < 2^126, and whether it was exact. Classic
 * digit-by-digit (restoring) method, one root bit per step; res + one never
 * exceeds 2^127 for such n. */
static uint64_t isqrt128(u128 n, bool *exact)
{
    u128 rem = n, res = 0;
    u128 one = (u128)1 << 124;

    while (one > rem)
        one >>= 2;
    while (one) {
        if (rem >= res + one) {
            rem -= res + one;
            res = (res >> 1) + one;
        } else {
            res >>= 1;
        }
        one >>= 2;
    }
    *exact = rem == 0;
    return (uint64_t)res;
}

static uint64_t g_sqrt(fmt_t f, uint64_t x, int rm, unsigned *flags)
{
    unp_t a = unpack(f, x);

    if (is_nan(a.cls))
        return nan_result(f, a, a, flags);
    if (a.cls == C_ZERO)
        return x; /* sqrt(-0) = -0 */
    if (a.sign)
        return invalid(f, flags); /* negative, including -inf */
    if (a.cls == C_INF)
        return x;

    /* value = m * 2^e with m = sig / 2^62 in [1, 2). Make the exponent even
     * by moving its low bit into the significand, then
     * sqrt(sig * 2^(62 + odd)) = sqrt(m * 2^odd) * 2^62, an integer root in
     * [2^62, 2^63) whose 63 bits suffice; the remainder becomes the jam. */
    int odd = a.exp & 1; /* also right for negative exponents (two's compl.) */
    u128 n = (u128)a.sig << (SIG_TOP + odd);
    bool exact;
    uint64_t r = isqrt128(n, &exact);
    r |= !exact;
    return round_pack(f, 0, (a.exp - odd) / 2 - SIG_TOP, r, rm, flags);
}

static uint64_t g_fma(fmt_t f, uint64_t x, uint64_t y, uint64_t z, int rm,
                      unsigned *flags)
{
    unp_t a = unpack(f, x), b = unpack(f, y), c = unpack(f, z);
    int psign = a.sign ^ b.sign;
    bool inf_times_zero = (a.cls == C_INF && b.cls == C_ZERO) ||
                          (a.cls == C_ZERO && b.cls == C_INF);

    if (is_nan(a.cls) || is_nan(b.cls) || is_nan(c.cls)) {
        /* The spec (F chapter, FMA) requires NV for inf*0 even when the
         * addend is a quiet NaN, so check it before answering the NaN. */
        if (a.cls == C_SNAN || b.cls == C_SNAN || c.cls == C_SNAN || inf_times_zero)
            *flags |= RV_NV;
        return f_canon(f);
    }
    if (inf_times_zero)
        return invalid(f, flags);
    if (a.cls == C_INF || b.cls == C_INF) {
        if (c.cls == C_INF && c.sign != psign)
            return invalid(f, flags); /* inf - inf */
        return (psign ? f_signbit(f) : 0) | f_inf(f);
    }
    if (c.cls == C_INF)
        return z;
    if (a.cls == C_ZERO || b.cls == C_ZERO) {
        /* Exact zero product: the result is exactly c, or a signed zero. */
        if (c.cls != C_ZERO)
            return z;
        return psign == c.sign ? z : cancel_zero(f, rm);
    }

    /* Exact product, in [2^124, 2^126), value p * 2^pscale. */
    u128 p = (u128)a.sig * b.sig;
    int pscale = a.exp + b.exp - 2 * SIG_TOP;
    if (c.cls == C_ZERO)
        return round_pack128(f, psign, pscale, p, rm, flags);

    /* Put c at the same magnitude (leading bit at 124) and align the one
     * with the smaller scale to the other, jamming what falls off. The
     * product has >= 20 trailing zero bits and c >= 72, so a shift by less
     * than that is exact; a longer one is only done to the operand that is
     * then far smaller than the other, as the jam argument needs. */
    u128 cs = (u128)c.sig << SIG_TOP;
    int cscale = c.exp - 2 * SIG_TOP;
    int scale;
    if (pscale >= cscale) {
        cs = shr_jam128(cs, pscale - cscale);
        scale = pscale;
    } else {
        p = shr_jam128(p, cscale - pscale);
        scale = cscale;
    }

    u128 sum;
    int sign = psign;
    if (psign == c.sign) {
        sum = p + cs; /* < 2^127 */
    } else if (p >= cs) {
        sum = p - cs;
    } else {
        sum = cs - p;
        sign = c.sign;
    }
    if (!sum)
        return cancel_zero(f, rm);
    return round_pack128(f, sign, scale, sum, rm, flags);
}

/* IEEE 754-2019 minimumNumber / maximumNumber. */
static uint64_t g_minmax(fmt_t f, uint64_t x, uint64_t y, bool want_max,
                         unsigned *flags)
{
    unp_t a = unpack(f, x), b = unpack(f, y);

    if (a.cls == C_SNAN || b.cls == C_SNAN)
        *flags |= RV_NV;
    if (is_nan(a.cls) && is_nan(b.cls))
        return f_canon(f);
    if (is_nan(a.cls))
        return y;
    if (is_nan(b.cls))
        return x;

    /* Sign-magnitude order on the raw encodings, which ranks -0 below +0. */
    bool x_lt_y;
    if (a.sign != b.sign)
        x_lt_y = a.sign;
    else
        x_lt_y = a.sign ? x > y : x < y;
    return (x_lt_y != want_max) ? x : y;
}

/* Returns -1, 0, 1 for x <, ==, > y, or 2 for unordered; +0 == -0. */
static int g_cmp(fmt_t f, uint64_t x, uint64_t y, bool signalling, unsigned *flags)
{
    unp_t a = unpack(f, x), b = unpack(f, y);

    if (is_nan(a.cls) || is_nan(b.cls)) {
        if (signalling || a.cls == C_SNAN || b.cls == C_SNAN)
            *flags |= RV_NV;
        return 2;
    }
    if (a.cls == C_ZERO && b.cls == C_ZERO)
        return 0;
    if (x == y)
        return 0;
    if (a.sign != b.sign)
        return a.sign ? -1 : 1;
    bool mag_lt = (x & ~f_signbit(f)) < (y & ~f_signbit(f));
    return (mag_lt != (bool)a.sign) ? -1 : 1;
}

static unsigned g_class(fmt_t f, uint64_t x)
{
    unp_t a = unpack(f, x);
    bool sub = a.cls == C_FIN && ((x >> f.mb) & ((1u << f.eb) - 1)) == 0;

    switch (a.cls) {
    case C_SNAN:
        return 1u << 8;
    case C_QNAN:
        return 1u << 9;
    case C_INF:
        return a.sign ? 1u << 0 : 1u << 7;
    case C_ZERO:
        return a.sign ? 1u << 3 : 1u << 4;
    case C_FIN:
    default:
        if (sub)
            return a.sign ? 1u << 2 : 1u << 5;
        return a.sign ? 1u << 1 : 1u << 6;
    }
}

/* Float to integer. bits is 32 or 64; the result is the 64-bit register
 * value, i.e. 32-bit results sign-extended (fcvt.wu included). */
static uint64_t g_to_int(fmt_t f, uint64_t x, int rm, unsigned *flags,
                         bool is_signed, int bits)
{
    unp_t a = unpack(f, x);
    uint64_t lim_pos, lim_neg, maxv, minv;

    if (is_signed) {
        lim_pos = (1ull << (bits - 1)) - 1;
        lim_neg = 1ull << (bits - 1);
        maxv = lim_pos;
        minv = -lim_neg; /* sign-extended INT32_MIN or INT64_MIN */
    } else {
        lim_pos = bits == 64 ? ~0ull : (1ull << bits) - 1;
        lim_neg = 0;
        maxv = ~0ull; /* UINT64_MAX, or UINT32_MAX sign-extended */
        minv = 0;
    }

    switch (a.cls) {
    case C_QNAN:
    case C_SNAN:
        *flags |= RV_NV; /* NaN converts like +inf (spec table) */
        return maxv;
    case C_INF:
        *flags |= RV_NV;
        return a.sign ? minv : maxv;
    case C_ZERO:
        return 0;
    default:
        break;
    }

    uint64_t mag = 0;
    bool inexact = false, ovf = false;
    if (a.exp >= 64) {
        ovf = true; /* |x| >= 2^64, out of range of every target */
    } else if (a.exp >= SIG_TOP) {
        mag = a.sig << (a.exp - SIG_TOP); /* integer already, fits in 64 bits */
    } else {
        int k = SIG_TOP - a.exp; /* number of fraction bits, >= 1 */
        uint64_t ip, rb, half;
        if (k <= 63) {
            ip = a.sig >> k;
            rb = a.sig & ((1ull << k) - 1);
            half = 1ull << (k - 1);
        } else {
            /* |x| < 1/2: only "non-zero and below half" matters. */
            ip = 0;
            rb = 1;
            half = 2;
        }
        mag = ip + round_up(rb, half, (int)(ip & 1), a.sign, rm);
        inexact = rb != 0;
    }
    /* Range check after rounding: e.g. -0.3 -> -0 is fine for fcvt.wu
     * (NX only) while -0.7 in RNE rounds to -1 and is invalid. */
    if (!ovf)
        ovf = a.sign ? mag > lim_neg : mag > lim_pos;
    if (ovf) {
        /* Only NV, no NX, for invalid conversions (as SoftFloat/hardware). */
        *flags |= RV_NV;
        return a.sign ? minv : maxv;
    }
    if (inexact)
        *flags |= RV_NX;
    uint64_t r = a.sign ? -mag : mag;
    if (bits == 32)
        r = (uint64_t)(int64_t)(int32_t)(uint32_t)r;
    return r;
}

static uint64_t g_from_int(fmt_t f, int sign, uint64_t mag, int rm, unsigned *flags)
{
    if (!mag)
        return 0; /* integer zero is +0 in every mode */
    return round_pack(f, sign, 0, mag, rm, flags);
}

/* ------------------------------------------------------------------------ */
/* Public binary32 entry points                                             */

uint32_t sf_add32(uint32_t a, uint32_t b, int rm, unsigned *flags)
{
    return (uint32_t)g_add(F32, a, b, rm, flags);
}

uint32_t sf_sub32(uint32_t a, uint32_t b, int rm, unsigned *flags)
{
    /* a - b == a + (-b) exactly, NaNs included (the sign of a NaN is
     * irrelevant: the result is canonical anyway). */
    return (uint32_t)g_add(F32, a, b ^ 0x80000000u, rm, flags);
}

uint32_t sf_mul32(uint32_t a, uint32_t b, int rm, unsigned *flags)
{
    return (uint32_t)g_mul(F32, a, b, rm, flags);
}

uint32_t sf_div32(uint32_t a, uint32_t b, int rm, unsigned *flags)
{
    return (uint32_t)g_div(F32, a, b, rm, flags);
}

uint32_t sf_sqrt32(uint32_t a, int rm, unsigned *flags)
{
    return (uint32_t)g_sqrt(F32, a, rm, flags);
}

uint32_t sf_fma32(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags)
{
    return (uint32_t)g_fma(F32, a, b, c, rm, flags);
}

uint32_t sf_min32(uint32_t a, uint32_t b, unsigned *flags)
{
    return (uint32_t)g_minmax(F32, a, b, false, flags);
}

uint32_t sf_max32(uint32_t a, uint32_t b, unsigned *flags)
{
    return (uint32_t)g_minmax(F32, a, b, true, flags);
}

int sf_eq32(uint32_t a, uint32_t b, unsigned *flags)
{
    return g_cmp(F32, a, b, false, flags) == 0;
}

int sf_lt32(uint32_t a, uint32_t b, unsigned *flags)
{
    return g_cmp(F32, a, b, true, flags) == -1;
}

int sf_le32(uint32_t a, uint32_t b, unsigned *flags)
{
    int c = g_cmp(F32, a, b, true, flags);
    return c == -1 || c == 0;
}

unsigned sf_class32(uint32_t a)
{
    return g_class(F32, a);
}

/* ------------------------------------------------------------------------ */
/* Public binary64 entry points                                             */

uint64_t sf_add64(uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    return g_add(F64, a, b, rm, flags);
}

uint64_t sf_sub64(uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    return g_add(F64, a, b ^ 0x8000000000000000ull, rm, flags);
}

uint64_t sf_mul64(uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    return g_mul(F64, a, b, rm, flags);
}

uint64_t sf_div64(uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    return g_div(F64, a, b, rm, flags);
}

uint64_t sf_sqrt64(uint64_t a, int rm, unsigned *flags)
{
    return g_sqrt(F64, a, rm, flags);
}

uint64_t sf_fma64(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags)
{
    return g_fma(F64, a, b, c, rm, flags);
}

uint64_t sf_min64(uint64_t a, uint64_t b, unsigned *flags)
{
    return g_minmax(F64, a, b, false, flags);
}

uint64_t sf_max64(uint64_t a, uint64_t b, unsigned *flags)
{
    return g_minmax(F64, a, b, true, flags);
}

int sf_eq64(uint64_t a, uint64_t b, unsigned *flags)
{
    return g_cmp(F64, a, b, false, flags) == 0;
}

int sf_lt64(uint64_t a, uint64_t b, unsigned *flags)
{
    return g_cmp(F64, a, b, true, flags) == -1;
}

int sf_le64(uint64_t a, uint64_t b, unsigned *flags)
{
    int c = g_cmp(F64, a, b, true, flags);
    return c == -1 || c == 0;
}

unsigned sf_class64(uint64_t a)
{
    return g_class(F64, a);
}

/* ------------------------------------------------------------------------ */
/* Conversions                                                              */

uint64_t sf_f32_to_f64(uint32_t a, unsigned *flags)
{
    unp_t u = unpack(F32, a);
    uint64_t s = u.sign ? f_signbit(F64) : 0;

    switch (u.cls) {
    case C_QNAN:
    case C_SNAN:
        return nan_result(F64, u, u, flags);
    case C_INF:
        return s | f_inf(F64);
    case C_ZERO:
        return s;
    default:
        /* Every binary32 value is a binary64 normal: exact, no flags. */
        return round_norm(F64, u.sign, u.exp, u.sig, RV_RNE, flags);
    }
}

uint32_t sf_f64_to_f32(uint64_t a, int rm, unsigned *flags)
{
    unp_t u = unpack(F64, a);
    uint32_t s = u.sign ? 0x80000000u : 0;

    switch (u.cls) {
    case C_QNAN:
    case C_SNAN:
        return (uint32_t)nan_result(F32, u, u, flags);
    case C_INF:
        return s | 0x7f800000u;
    case C_ZERO:
        return s;
    default:
        return (uint32_t)round_norm(F32, u.sign, u.exp, u.sig, rm, flags);
    }
}

int64_t sf_f32_to_i32(uint32_t a, int rm, unsigned *flags)
{
    return (int64_t)g_to_int(F32, a, rm, flags, true, 32);
}

int64_t sf_f32_to_u32(uint32_t a, int rm, unsigned *flags)
{
    return (int64_t)g_to_int(F32, a, rm, flags, false, 32);
}

int64_t sf_f32_to_i64(uint32_t a, int rm, unsigned *flags)
{
    return (int64_t)g_to_int(F32, a, rm, flags, true, 64);
}

uint64_t sf_f32_to_u64(uint32_t a, int rm, unsigned *flags)
{
    return g_to_int(F32, a, rm, flags, false, 64);
}

int64_t sf_f64_to_i32(uint64_t a, int rm, unsigned *flags)
{
    return (int64_t)g_to_int(F64, a, rm, flags, true, 32);
}

int64_t sf_f64_to_u32(uint64_t a, int rm, unsigned *flags)
{
    return (int64_t)g_to_int(F64, a, rm, flags, false, 32);
}

int64_t sf_f64_to_i64(uint64_t a, int rm, unsigned *flags)
{
    return (int64_t)g_to_int(F64, a, rm, flags, true, 64);
}

uint64_t sf_f64_to_u64(uint64_t a, int rm, unsigned *flags)
{
    return g_to_int(F64, a, rm, flags, false, 64);
}

/* Magnitude of a signed integer without overflowing on INT_MIN. */
static inline uint64_t mag64(int64_t v)
{
    return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

uint32_t sf_i32_to_f32(int32_t a, int rm, unsigned *flags)
{
    return (uint32_t)g_from_int(F32, a < 0, mag64(a), rm, flags);
}

uint32_t sf_u32_to_f32(uint32_t a, int rm, unsigned *flags)
{
    return (uint32_t)g_from_int(F32, 0, a, rm, flags);
}

uint32_t sf_i64_to_f32(int64_t a, int rm, unsigned *flags)
{
    return (uint32_t)g_from_int(F32, a < 0, mag64(a), rm, flags);
}

uint32_t sf_u64_to_f32(uint64_t a, int rm, unsigned *flags)
{
    return (uint32_t)g_from_int(F32, 0, a, rm, flags);
}

uint64_t sf_i32_to_f64(int32_t a, int rm, unsigned *flags)
{
    return g_from_int(F64, a < 0, mag64(a), rm, flags);
}

uint64_t sf_u32_to_f64(uint32_t a, int rm, unsigned *flags)
{
    return g_from_int(F64, 0, a, rm, flags);
}

uint64_t sf_i64_to_f64(int64_t a, int rm, unsigned *flags)
{
    return g_from_int(F64, a < 0, mag64(a), rm, flags);
}

uint64_t sf_u64_to_f64(uint64_t a, int rm, unsigned *flags)
{
    return g_from_int(F64, 0, a, rm, flags);
}
