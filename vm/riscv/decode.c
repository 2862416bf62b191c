/*
 * decode.c - the decoder, derived from insns.def and rvc.def.
 *
 * 32-bit instructions are matched against the rows that share their major
 * opcode (bits 6:2); the table is sorted into buckets once. Compressed
 * instructions are expanded to their 32-bit base encoding (rvc.def) and then
 * decoded as that, so RVC has no semantics of its own.
 */
#include "isa.h"

#include <string.h>

static enum rv_imm_kind imm_kind_of(const char *ops)
{
    for (const char *p = ops; *p; p++) {
        switch (*p) {
        case 'j': case 'o': return RV_IMM_I;
        case 'q': return RV_IMM_S;
        case 'p': return RV_IMM_B;
        case 'a': return RV_IMM_J;
        case 'u': return RV_IMM_U;
        case '>': return RV_IMM_SHAMT6;
        case '<': return RV_IMM_SHAMT5;
        case 'E': return RV_IMM_CSR;
        case 'f': return RV_IMM_FENCE;
        }
    }
    return RV_IMM_NONE;
}

/* The preprocessor can stringify a row's identifier (fcvt_w_s) but cannot
 * turn it into the mnemonic (fcvt.w.s); the tables are completed by
 * init_tables() when the program is loaded, before any caller can see them. */
#define INSN(n, ops, ext, match, mask, flags, body) \
    [RV_##n] = { #n, ops, match, mask, flags, RV_EXT_##ext, 0 },
static struct rv_insn_desc insn_table[RV_N_INSNS] = {
#include "insns.def"
};
#undef INSN
const struct rv_insn_desc *const rv_insns = insn_table;

#define RVC(n, match, mask, valid, base, exp) [RVC_##n] = { #n, match, mask, RV_##base },
static struct rv_cinsn_desc cinsn_table[RVC_N_INSNS] = {
#include "rvc.def"
};
#undef RVC
const struct rv_cinsn_desc *const rv_cinsns = cinsn_table;

static char names[RV_N_INSNS][16];
static char cnames[RVC_N_INSNS][16];
/* Rows grouped by major opcode (bits 6:2), in table order. */
static uint16_t bucket[32][RV_N_INSNS];
static uint16_t bucket_n[32];

static void dotted(char *dst, const char *src, size_t n)
{
    size_t i;
    for (i = 0; src[i] && i + 1 < n; i++)
        dst[i] = src[i] == '_' ? '.' : src[i];
    dst[i] = 0;
}

__attribute__((constructor)) static void init_tables(void)
{
    struct rv_insn_desc *t = insn_table;
    for (int i = 0; i < RV_N_INSNS; i++) {
        dotted(names[i], rv_insns[i].name, sizeof names[i]);
        t[i].name = names[i];
        t[i].imm_kind = imm_kind_of(rv_insns[i].operands);
        unsigned op = (rv_insns[i].match >> 2) & 31;
        bucket[op][bucket_n[op]++] = (uint16_t)i;
    }
    struct rv_cinsn_desc *c = cinsn_table;
    for (int i = 0; i < RVC_N_INSNS; i++) {
        dotted(cnames[i], rv_cinsns[i].name, sizeof cnames[i]);
        c[i].name = cnames[i];
    }
}

/* ---- field extraction ---- */

#define BITS(w, hi, lo) (((w) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1))
#define BIT(w, b) (((w) >> (b)) & 1u)

static inline int64_t sext(uint64_t v, unsigned bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static int64_t imm_of(uint32_t w, enum rv_imm_kind k)
{
    switch (k) {
    case RV_IMM_I: return sext(w >> 20, 12);
    case RV_IMM_S: return sext((BITS(w, 31, 25) << 5) | BITS(w, 11, 7), 12);
    case RV_IMM_B:
        return sext((BIT(w, 31) << 12) | (BIT(w, 7) << 11) | (BITS(w, 30, 25) << 5) |
                        (BITS(w, 11, 8) << 1), 13);
    case RV_IMM_J:
        return sext((BIT(w, 31) << 20) | (BITS(w, 19, 12) << 12) | (BIT(w, 20) << 11) |
                        (BITS(w, 30, 21) << 1), 21);
    case RV_IMM_U: return (int64_t)(int32_t)(w & 0xfffff000u);
    case RV_IMM_SHAMT6: return BITS(w, 25, 20);
    case RV_IMM_SHAMT5: return BITS(w, 24, 20);
    case RV_IMM_CSR:
    case RV_IMM_FENCE: return w >> 20;
    case RV_IMM_NONE: break;
    }
    return 0;
}

/* ---- compressed expansion (field extractors and encoders used by rvc.def) ---- */

#define C_RD(c) BITS(c, 11, 7)
#define C_RS2(c) BITS(c, 6, 2)
#define C_RDP(c) (BITS(c, 4, 2) + 8)
#define C_RS1P(c) (BITS(c, 9, 7) + 8)
#define C_RS2P(c) (BITS(c, 4, 2) + 8)
#define C_IMM6(c) sext((BIT(c, 12) << 5) | BITS(c, 6, 2), 6)
#define C_SHAMT(c) ((BIT(c, 12) << 5) | BITS(c, 6, 2))
#define C_ADDI4SPN_IMM(c) \
    ((BITS(c, 12, 11) << 4) | (BITS(c, 10, 7) << 6) | (BIT(c, 6) << 2) | (BIT(c, 5) << 3))
#define C_LW_IMM(c) ((BITS(c, 12, 10) << 3) | (BIT(c, 6) << 2) | (BIT(c, 5) << 6))
#define C_LD_IMM(c) ((BITS(c, 12, 10) << 3) | (BITS(c, 6, 5) << 6))
#define C_ADDI16SP_IMM(c)                                                              \
    sext((BIT(c, 12) << 9) | (BIT(c, 6) << 4) | (BIT(c, 5) << 6) | (BITS(c, 4, 3) << 7) | \
             (BIT(c, 2) << 5), 10)
#define C_LUI_IMM(c) sext((BIT(c, 12) << 17) | (BITS(c, 6, 2) << 12), 18)
#define C_J_IMM(c)                                                                     \
    sext((BIT(c, 12) << 11) | (BIT(c, 11) << 4) | (BITS(c, 10, 9) << 8) |              \
             (BIT(c, 8) << 10) | (BIT(c, 7) << 6) | (BIT(c, 6) << 7) |                 \
             (BITS(c, 5, 3) << 1) | (BIT(c, 2) << 5), 12)
#define C_B_IMM(c)                                                                     \
    sext((BIT(c, 12) << 8) | (BITS(c, 11, 10) << 3) | (BITS(c, 6, 5) << 6) |           \
             (BITS(c, 4, 3) << 1) | (BIT(c, 2) << 5), 9)
#define C_LWSP_IMM(c) ((BIT(c, 12) << 5) | (BITS(c, 6, 4) << 2) | (BITS(c, 3, 2) << 6))
#define C_LDSP_IMM(c) ((BIT(c, 12) << 5) | (BITS(c, 6, 5) << 3) | (BITS(c, 4, 2) << 6))
#define C_SWSP_IMM(c) ((BITS(c, 12, 9) << 2) | (BITS(c, 8, 7) << 6))
#define C_SDSP_IMM(c) ((BITS(c, 12, 10) << 3) | (BITS(c, 9, 7) << 6))

enum {
#define INSN(n, ops, ext, match, mask, flags, body) M_##n = match,
#include "insns.def"
#undef INSN
};

static inline uint32_t ENC_R(uint32_t m, unsigned rd, unsigned rs1, unsigned rs2)
{
    return m | rd << 7 | rs1 << 15 | rs2 << 20;
}
static inline uint32_t ENC_I(uint32_t m, unsigned rd, unsigned rs1, int64_t imm)
{
    return m | rd << 7 | rs1 << 15 | ((uint32_t)imm & 0xfff) << 20;
}
static inline uint32_t ENC_S(uint32_t m, unsigned rs1, unsigned rs2, int64_t imm)
{
    uint32_t i = (uint32_t)imm;
    return m | (i & 0x1f) << 7 | rs1 << 15 | rs2 << 20 | ((i >> 5) & 0x7f) << 25;
}
static inline uint32_t ENC_B(uint32_t m, unsigned rs1, unsigned rs2, int64_t imm)
{
    uint32_t i = (uint32_t)imm;
    return m | BIT(i, 11) << 7 | BITS(i, 4, 1) << 8 | rs1 << 15 | rs2 << 20 |
           BITS(i, 10, 5) << 25 | BIT(i, 12) << 31;
}
static inline uint32_t ENC_U(uint32_t m, unsigned rd, int64_t imm)
{
    return m | rd << 7 | ((uint32_t)imm & 0xfffff000u);
}
static inline uint32_t ENC_J(uint32_t m, unsigned rd, int64_t imm)
{
    uint32_t i = (uint32_t)imm;
    return m | rd << 7 | BITS(i, 19, 12) << 12 | BIT(i, 11) << 20 | BITS(i, 10, 1) << 21 |
           BIT(i, 20) << 31;
}

uint32_t rv_expand_rvc(uint16_t c, int *cid)
{
#define RVC(n, match, mask, valid, base, exp) \
    if ((c & (mask)) == (match) && (valid)) { \
        if (cid) *cid = RVC_##n;              \
        return (exp);                         \
    }
#include "rvc.def"
#undef RVC
    if (cid) *cid = -1;
    return 0;
}

int rv_decode(uint32_t bits, struct rv_decoded *out)
{
    memset(out, 0, sizeof *out);
    out->id = RV_ILLEGAL;
    out->cid = -1;
    uint32_t w;
    if ((bits & 3) != 3) {
        int cid;
        out->len = 2;
        out->raw = bits & 0xffff;
        w = rv_expand_rvc((uint16_t)bits, &cid);
        if (!w) return -1;
        out->cid = (int16_t)cid;
    } else {
        out->len = 4;
        out->raw = bits;
        w = bits;
        /* 48-bit and longer encodings (bits 4:2 == 111) are not RV64GC. */
        if ((w & 0x1f) == 0x1f) return -1;
    }
    out->word = w;
    unsigned op = (w >> 2) & 31;
    for (unsigned i = 0; i < bucket_n[op]; i++) {
        const struct rv_insn_desc *r = &rv_insns[bucket[op][i]];
        if ((w & r->mask) != r->match) continue;
        out->id = bucket[op][i];
        out->rd = BITS(w, 11, 7);
        out->rs1 = BITS(w, 19, 15);
        out->rs2 = BITS(w, 24, 20);
        out->rs3 = BITS(w, 31, 27);
        out->rm = BITS(w, 14, 12);
        out->imm = imm_of(w, (enum rv_imm_kind)r->imm_kind);
        return 0;
    }
    return -1;
}

const char *const rv_xreg_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
    "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
    "t3", "t4", "t5", "t6"};
const char *const rv_freg_names[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};
