/*
 * test_isa.c - properties of the instruction table and the decoder:
 * every row decodes to itself, no two rows overlap, every compressed
 * encoding expands to the right base instruction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "isa.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Any word that has a row's fixed bits is that row. */
static void test_rows_decode_to_themselves(void **state)
{
    (void)state;
    for (int id = 0; id < RV_N_INSNS; id++) {
        const struct rv_insn_desc *r = &rv_insns[id];
        for (int k = 0; k < 2000; k++) {
            uint32_t w = r->match | (rnd32() & ~r->mask);
            if (k == 0) w = r->match;
            if (k == 1) w = r->match | ~r->mask;
            struct rv_decoded d;
            int rc = rv_decode(w, &d);
            if (rc != 0 || d.id != id)
                fail_msg("%08x should decode as %s, got %s", w, r->name,
                         d.id == RV_ILLEGAL ? "illegal" : rv_insns[d.id].name);
            assert_int_equal(d.len, 4);
            assert_int_equal(d.word, w);
        }
    }
}

/* Two rows overlap if some word satisfies both: their fixed bits agree
 * wherever both masks fix them. */
static void test_no_two_rows_overlap(void **state)
{
    (void)state;
    for (int a = 0; a < RV_N_INSNS; a++)
        for (int b = a + 1; b < RV_N_INSNS; b++) {
            const struct rv_insn_desc *x = &rv_insns[a], *y = &rv_insns[b];
            uint32_t common = x->mask & y->mask;
            if (((x->match ^ y->match) & common) == 0)
                fail_msg("rows %s and %s overlap", x->name, y->name);
        }
}

static void test_row_names_and_opcodes(void **state)
{
    (void)state;
    for (int id = 0; id < RV_N_INSNS; id++) {
        const struct rv_insn_desc *r = &rv_insns[id];
        assert_true((r->match & r->mask) == r->match);
        assert_int_equal(r->match & 3, 3);
        assert_null(strchr(r->name, '_'));
    }
    assert_string_equal(rv_insns[RV_fcvt_w_s].name, "fcvt.w.s");
    assert_string_equal(rv_insns[RV_sh1add_uw].name, "sh1add.uw");
}

/* Every 16-bit encoding: at most one compressed row claims it; a claimed
 * one expands to a word that decodes to the row's base instruction. */
static void test_compressed_exhaustive(void **state)
{
    (void)state;
    unsigned valid = 0;
    for (uint32_t c = 0; c < 0x10000; c++) {
        if ((c & 3) == 3) continue;
        int cid;
        uint32_t w = rv_expand_rvc((uint16_t)c, &cid);
        struct rv_decoded d;
        int rc = rv_decode(c, &d);
        assert_int_equal(d.len, 2);
        if (!w) {
            assert_int_equal(rc, -1);
            assert_int_equal(d.id, RV_ILLEGAL);
            continue;
        }
        valid++;
        int claims = 0;
        for (int i = 0; i < RVC_N_INSNS; i++)
            if ((c & rv_cinsns[i].mask) == rv_cinsns[i].match) {
                /* Rows sharing match bits are told apart by their validity
                 * conditions; the first valid one is the one used. */
                int ci;
                uint32_t wi = rv_expand_rvc((uint16_t)c, &ci);
                if (ci == i && wi) claims++;
            }
        assert_int_equal(claims, 1);
        assert_int_equal(rc, 0);
        if (d.id != rv_cinsns[cid].base)
            fail_msg("%04x (%s) expanded to %08x = %s, want %s", c, rv_cinsns[cid].name, w,
                     d.id == RV_ILLEGAL ? "illegal" : rv_insns[d.id].name,
                     rv_insns[rv_cinsns[cid].base].name);
        assert_int_equal(d.cid, cid);
    }
    /* The all-zero parcel is defined illegal (RVC chapter 16.1). */
    struct rv_decoded d;
    assert_int_equal(rv_decode(0, &d), -1);
    assert_true(valid > 40000);
}

/* Expansions of encodings taken from real code, checked against
 * riscv64-linux-gnu-objdump -M no-aliases output and the RVC tables. */
static void test_compressed_known(void **state)
{
    (void)state;
    static const struct { uint16_t c; uint32_t w; } cases[] = {
        { 0x1141, 0xff010113 }, /* c.addi sp,-16    -> addi sp,sp,-16 */
        { 0xe406, 0x00113423 }, /* c.sdsp ra,8(sp)  -> sd ra,8(sp) */
        { 0x842a, 0x00a00433 }, /* c.mv s0,a0       -> add s0,zero,a0 */
        { 0x8082, 0x00008067 }, /* c.jr ra          -> jalr zero,0(ra) */
        { 0x450d, 0x00300513 }, /* c.li a0,3        -> addi a0,zero,3 */
        { 0x2781, 0x0007879b }, /* c.addiw a5,0     -> addiw a5,a5,0 */
        { 0x0030, 0x00810613 }, /* c.addi4spn a2,8  -> addi a2,sp,8 */
        { 0x60a2, 0x00813083 }, /* c.ldsp ra,8(sp)  -> ld ra,8(sp) */
        { 0x0141, 0x01010113 }, /* c.addi sp,16     -> addi sp,sp,16 */
        { 0x9002, 0x00100073 }, /* c.ebreak         -> ebreak */
        { 0x0001, 0x00000013 }, /* c.nop            -> addi zero,zero,0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int cid;
        uint32_t w = rv_expand_rvc(cases[i].c, &cid);
        if (w != cases[i].w) fail_msg("%04x -> %08x, want %08x", cases[i].c, w, cases[i].w);
    }
}

static void test_immediates(void **state)
{
    (void)state;
    struct rv_decoded d;
    /* jal ra,-2048: J-immediate sign extension */
    assert_int_equal(rv_decode(0x801ff0ef, &d), 0);
    assert_int_equal(d.id, RV_jal);
    assert_int_equal(d.imm, -2048);
    /* beq a0,a1,-4096 (B-immediate minimum) */
    assert_int_equal(rv_decode(0x80b50063, &d), 0);
    assert_int_equal(d.id, RV_beq);
    assert_int_equal(d.imm, -4096);
    /* lui a0,0x80000: U-immediate sign-extends on RV64 */
    assert_int_equal(rv_decode(0x80000537, &d), 0);
    assert_int_equal(d.imm, (int64_t)(int32_t)0x80000000u);
    /* sd a1,-8(a0): S-immediate */
    assert_int_equal(rv_decode(0xfeb53c23, &d), 0);
    assert_int_equal(d.id, RV_sd);
    assert_int_equal(d.imm, -8);
    /* srai a0,a0,63: 6-bit shamt */
    assert_int_equal(rv_decode(0x43f55513, &d), 0);
    assert_int_equal(d.id, RV_srai);
    assert_int_equal(d.imm, 63);
    /* csrrs a0,fcsr,zero: CSR number is unsigned */
    assert_int_equal(rv_decode(0x00302573, &d), 0);
    assert_int_equal(d.id, RV_csrrs);
    assert_int_equal(d.imm, 3);
    /* 48-bit encodings are not RV64GC */
    assert_int_equal(rv_decode(0x0000001f, &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_decode_to_themselves),
        cmocka_unit_test(test_no_two_rows_overlap),
        cmocka_unit_test(test_row_names_and_opcodes),
        cmocka_unit_test(test_compressed_exhaustive),
        cmocka_unit_test(test_compressed_known),
        cmocka_unit_test(test_immediates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
