/*
 * test_fpfast.c - the host-FPU fast paths (fpfast.h) against softfp.c,
 * which is the reference: same result bits and same flags for random
 * operands, with exponents concentrated near the edges (underflow,
 * overflow, the residual-exactness threshold), with NX already set or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "fpfast.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t val64(void)
{
    uint64_t m = rnd() & ((1ull << 52) - 1), s = (rnd() & 1) << 63;
    unsigned e;
    switch (rnd() % 6) {
    case 0: e = (unsigned)(rnd() % 200); break;          /* near underflow */
    case 1: e = 2046 - (unsigned)(rnd() % 100); break;   /* near overflow */
    case 2: e = 100 + (unsigned)(rnd() % 60); break;     /* residual threshold */
    case 3: return s | (rnd() % 4 == 0 ? 0 : m);         /* zero or subnormal */
    default: e = 900 + (unsigned)(rnd() % 250); break;   /* ordinary */
    }
    if (rnd() % 8 == 0) m &= ~((1ull << 40) - 1);        /* short mantissas: exact results */
    return s | (uint64_t)e << 52 | m;
}

static uint32_t val32(void)
{
    uint32_t m = (uint32_t)rnd() & ((1u << 23) - 1), s = (uint32_t)(rnd() & 1) << 31;
    unsigned e;
    switch (rnd() % 6) {
    case 0: e = (unsigned)(rnd() % 40); break;
    case 1: e = 254 - (unsigned)(rnd() % 30); break;
    case 2: e = 50 + (unsigned)(rnd() % 30); break;
    case 3: return s | (rnd() % 4 == 0 ? 0 : m);
    default: e = 100 + (unsigned)(rnd() % 60); break;
    }
    if (rnd() % 8 == 0) m &= ~((1u << 12) - 1);
    return s | e << 23 | m;
}

#define N 300000

static void test_binary64(void **state)
{
    (void)state;
    for (int i = 0; i < N; i++) {
        uint64_t a = val64(), b = val64(), c = val64();
        unsigned pre = (rnd() & 1) ? RV_NX : 0;
        for (int op = 0; op < 6; op++) {
            unsigned f1 = pre, f2 = pre;
            uint64_t r1, r2;
            switch (op) {
            case 0: r1 = fp_add64(a, b, RV_RNE, &f1, false); r2 = sf_add64(a, b, RV_RNE, &f2); break;
            case 1: r1 = fp_add64(a, b, RV_RNE, &f1, true); r2 = sf_sub64(a, b, RV_RNE, &f2); break;
            case 2: r1 = fp_mul64(a, b, RV_RNE, &f1); r2 = sf_mul64(a, b, RV_RNE, &f2); break;
            case 3: r1 = fp_div64(a, b, RV_RNE, &f1); r2 = sf_div64(a, b, RV_RNE, &f2); break;
            case 4: r1 = fp_sqrt64(a, RV_RNE, &f1); r2 = sf_sqrt64(a, RV_RNE, &f2); break;
            default: r1 = fp_fma64(a, b, c, RV_RNE, &f1); r2 = sf_fma64(a, b, c, RV_RNE, &f2); break;
            }
            if (r1 != r2 || f1 != f2)
                fail_msg("op %d a=%016llx b=%016llx c=%016llx pre=%x: fast %016llx/%x, soft %016llx/%x",
                         op, (unsigned long long)a, (unsigned long long)b, (unsigned long long)c, pre,
                         (unsigned long long)r1, f1, (unsigned long long)r2, f2);
        }
    }
}

static void test_binary32(void **state)
{
    (void)state;
    for (int i = 0; i < N; i++) {
        uint32_t a = val32(), b = val32(), c = val32();
        unsigned pre = (rnd() & 1) ? RV_NX : 0;
        for (int op = 0; op < 6; op++) {
            unsigned f1 = pre, f2 = pre;
            uint32_t r1, r2;
            switch (op) {
            case 0: r1 = fp_add32(a, b, RV_RNE, &f1, false); r2 = sf_add32(a, b, RV_RNE, &f2); break;
            case 1: r1 = fp_add32(a, b, RV_RNE, &f1, true); r2 = sf_sub32(a, b, RV_RNE, &f2); break;
            case 2: r1 = fp_mul32(a, b, RV_RNE, &f1); r2 = sf_mul32(a, b, RV_RNE, &f2); break;
            case 3: r1 = fp_div32(a, b, RV_RNE, &f1); r2 = sf_div32(a, b, RV_RNE, &f2); break;
            case 4: r1 = fp_sqrt32(a, RV_RNE, &f1); r2 = sf_sqrt32(a, RV_RNE, &f2); break;
            default: r1 = fp_fma32(a, b, c, RV_RNE, &f1); r2 = sf_fma32(a, b, c, RV_RNE, &f2); break;
            }
            if (r1 != r2 || f1 != f2)
                fail_msg("op %d a=%08x b=%08x c=%08x pre=%x: fast %08x/%x, soft %08x/%x", op, a, b,
                         c, pre, r1, f1, r2, f2);
        }
    }
}

/* Products, quotients and fused results around the smallest normal
 * number, where a tiny exact value may round up to it and must raise UF
 * (tininess after rounding): random operands aimed there, NX set or not,
 * and the case that once slipped through (2^-1021 * 0.5(1 - 2^-53) with
 * NX set gave NX alone). */
static void test_near_smallest_normal(void **state)
{
    (void)state;
    unsigned f = RV_NX;
    uint64_t r = fp_mul64(0x0020000000000000ull, 0x3fdfffffffffffffull, RV_RNE, &f);
    assert_int_equal(r, 0x0010000000000000ull);
    assert_int_equal(f, RV_NX | RV_UF);
    for (int i = 0; i < N; i++) {
        unsigned pre = (rnd() & 1) ? RV_NX : 0;
        double x = fp_d((val64() & ~(0xfffull << 52)) | (uint64_t)(1000 + rnd() % 40) << 52);
        double t = 1.0 - (double)(rnd() % 4096) * 0x1p-60 + (double)(rnd() % 4096) * 0x1p-60;
        uint64_t a = fp_u64(x), b = fp_u64(0x1p-1022 / x * t) | (rnd() & 1) << 63;
        uint64_t q = fp_u64(0x1p-1022 * x * t);
        uint64_t c = fp_u64(0x1p-1060 * t) | (rnd() & 1) << 63;
        float xs = (float)(1.0 + (double)(rnd() % 1000) / 1000.0);
        float ts = (float)t;
        uint32_t as = fp_u32(xs), bs = fp_u32(0x1p-126f / xs * ts), qs = fp_u32(0x1p-126f * xs * ts);
        uint32_t cs = fp_u32(0x1p-140f * ts);
        unsigned f1, f2;
        uint64_t r1, r2;
        uint32_t s1, s2;
#define SAME(expr1, expr2, fmt_a, fmt_b)                                                     \
        f1 = f2 = pre;                                                                    \
        expr1;                                                                            \
        expr2;                                                                            \
        if (f1 != f2) fail_msg("%s: a=%llx b=%llx pre=%x: fast %x, soft %x", #expr1,      \
                               (unsigned long long)(fmt_a), (unsigned long long)(fmt_b), pre, f1, f2);
        SAME(r1 = fp_mul64(a, b, RV_RNE, &f1), r2 = sf_mul64(a, b, RV_RNE, &f2), a, b);
        assert_true(r1 == r2);
        SAME(r1 = fp_div64(q, a, RV_RNE, &f1), r2 = sf_div64(q, a, RV_RNE, &f2), q, a);
        assert_true(r1 == r2);
        SAME(r1 = fp_fma64(a, b, c, RV_RNE, &f1), r2 = sf_fma64(a, b, c, RV_RNE, &f2), a, b);
        assert_true(r1 == r2);
        SAME(s1 = fp_mul32(as, bs, RV_RNE, &f1), s2 = sf_mul32(as, bs, RV_RNE, &f2), as, bs);
        assert_true(s1 == s2);
        SAME(s1 = fp_div32(qs, as, RV_RNE, &f1), s2 = sf_div32(qs, as, RV_RNE, &f2), qs, as);
        assert_true(s1 == s2);
        SAME(s1 = fp_fma32(as, bs, cs, RV_RNE, &f1), s2 = sf_fma32(as, bs, cs, RV_RNE, &f2), as, bs);
        assert_true(s1 == s2);
#undef SAME
    }
}

/* Without FMA on the host the fast paths must still agree (they fall back). */
static void test_without_host_fma(void **state)
{
    bool saved = rv_host_fma;
    rv_host_fma = false;
    test_binary64(state);
    test_binary32(state);
    rv_host_fma = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary64),
        cmocka_unit_test(test_binary32),
        cmocka_unit_test(test_near_smallest_normal),
        cmocka_unit_test(test_without_host_fma),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
