/*
 * diffgen.c - random instruction sequences from the instruction table for
 * the differential tests (see diffgen.h).
 */
#include "diffgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct dg_row dg_rows[RV_N_INSNS];

/* The body text of each row, to learn which operands are binary32 values
 * (A32(), WF32(), BOX32() in the vocabulary of exec.c). */
#define INSN(name, ops, ext, match, mask, flags, ...) [RV_##name] = #__VA_ARGS__,
static const char *const row_body[RV_N_INSNS] = {
#include "insns.def"
};
#undef INSN

void dg_init(void)
{
    static int done;
    if (done) return;
    done = 1;
    for (int i = 0; i < RV_N_INSNS; i++) {
        const struct rv_insn_desc *r = &rv_insns[i];
        struct dg_row *g = &dg_rows[i];
        const char *ops = r->operands;
        /* The first register letter is the destination in every row that has
         * one ('d'/'D' always come first); the rest are sources. */
        for (const char *p = ops; *p; p++) {
            switch (*p) {
            case 'd': g->xdst = 1; break;
            case 'D': g->fdst = 1; break;
            case 's': g->xsrc |= 1; break;
            case 't': g->xsrc |= 2; break;
            case 'S': g->fsrc |= 1; break;
            case 'T': g->fsrc |= 2; break;
            case 'R': g->fsrc |= 4; break;
            }
        }
        const char *b = row_body[i];
        if (strstr(b, "A32(F1)")) g->a32src |= 1;
        if (strstr(b, "A32(F2)")) g->a32src |= 2;
        if (strstr(b, "A32(F3)")) g->a32src |= 4;
        if (g->fdst && (strstr(b, "WF32(") || strstr(b, "BOX32("))) g->f32dst = 1;
        g->memory = (r->flags & RVF_MEMORY) != 0;
    }
}

/* ---- interesting values ---- */

static const uint64_t f64_special[] = {
    0x0000000000000000ull, 0x8000000000000000ull, /* +-0 */
    0x7ff0000000000000ull, 0xfff0000000000000ull, /* +-inf */
    0x7ff8000000000000ull, 0xfff8000000000000ull, /* qNaN, canonical and negative */
    0x7ff8000000000123ull, 0x7fffffffffffffffull, /* qNaN payloads */
    0x7ff0000000000001ull, 0x7ff4000000000000ull, 0xfff0000000000001ull, /* sNaN */
    0x0000000000000001ull, 0x800fffffffffffffull, /* subnormals */
    0x0010000000000000ull, 0x8010000000000000ull, /* min normal */
    0x7fefffffffffffffull, 0xffefffffffffffffull, /* max finite */
    0x3ff0000000000000ull, 0xbff0000000000000ull, /* +-1 */
    0x3fe0000000000000ull, 0xbfe0000000000000ull, /* +-0.5 */
    0x3ff8000000000000ull, 0x4004000000000000ull, 0xc004000000000000ull, /* 1.5, +-2.5 */
    0x41dfffffffc00000ull, 0x41dfffffffe00000ull, 0x41e0000000000000ull, /* 2^31-1, -0.5, 2^31 */
    0xc1e0000000000000ull, 0xc1e0000000200000ull, 0xc1e0000000100000ull, /* -2^31, -1, -0.5 */
    0x41efffffffe00000ull, 0x41effffffff00000ull, 0x41f0000000000000ull, /* 2^32-1, -.5, 2^32 */
    0x43dfffffffffffffull, 0x43e0000000000000ull, 0xc3e0000000000000ull, /* ~2^63, +-2^63 */
    0xc3e0000000000001ull, 0x43efffffffffffffull, 0x43f0000000000000ull, /* < -2^63, ~2^64, 2^64 */
    0x47efffffe0000000ull, 0x47effffff0000000ull, 0x47f0000000000000ull, /* FLT_MAX and beyond */
    0x3810000000000000ull, 0x36a0000000000000ull, 0x3690000000000000ull, /* FLT_MIN, denorm_min, half */
    0x380fffffe0000000ull, 0x380ffffff0000000ull, /* largest float subnormal, and + half ulp */
    0x3ff0000000000001ull, 0x3fefffffffffffffull, /* 1 +- ulp */
};

static const uint32_t f32_special[] = {
    0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, /* +-0, +-inf */
    0x7fc00000u, 0xffc00000u, 0x7fc00123u, 0x7fffffffu, /* qNaN */
    0x7f800001u, 0x7fa00000u, 0xff800001u,              /* sNaN */
    0x00000001u, 0x807fffffu, 0x00800000u, 0x80800000u, /* subnormal, min normal */
    0x7f7fffffu, 0xff7fffffu, 0x3f800000u, 0xbf800000u, /* max, +-1 */
    0x3f000000u, 0xbf000000u, 0x3fc00000u, 0x40200000u, 0xc0200000u, /* 0.5 1.5 2.5 */
    0x4effffffu, 0x4f000000u, 0xcf000000u, 0xcf000001u, /* ~2^31, +-2^31 */
    0x4f7fffffu, 0x4f800000u, 0x5effffffu, 0x5f000000u, 0xdf000000u, 0xdf000001u,
    0x5f7fffffu, 0x5f800000u, 0x3f800001u, 0x3f7fffffu,
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

uint64_t dg_f64(struct dg_rng *r)
{
    uint64_t sign = (dg_rand(r) & 1) << 63;
    uint64_t mant = dg_rand(r) & 0x000fffffffffffffull;
    switch (dg_below(r, 8)) {
    case 0: case 1: case 2:
        return f64_special[dg_below(r, N_OF(f64_special))];
    case 3: /* ordinary magnitudes, so arithmetic mostly stays finite */
        return sign | (uint64_t)(1023 - 40 + dg_below(r, 110)) << 52 | mant;
    case 4: { /* extremes of binary64 and of binary32's range */
        static const int e[] = { 0, 1, 2, 3, 2044, 2045, 2046, 1023 + 127, 1023 + 128,
                                 1023 - 126, 1023 - 127, 1023 - 149, 1023 - 150, 1023 + 63, 1023 + 64 };
        return sign | (uint64_t)e[dg_below(r, N_OF(e))] << 52 | mant;
    }
    case 5: { /* near integers: tests rounding of conversions */
        double d = (double)(int64_t)(dg_rand(r) >> (dg_below(r, 60) + 3)) * (sign ? -1 : 1);
        static const double frac[] = { 0, 0.5, 0.25, 0.75, 0.125, 1.0 / 3, -0.5 };
        d += frac[dg_below(r, N_OF(frac))];
        uint64_t u;
        memcpy(&u, &d, 8);
        return u;
    }
    case 6: /* short mantissas: exact results, ties */
        return sign | (uint64_t)(1023 - 20 + dg_below(r, 60)) << 52 |
               (mant & ~((1ull << (40 + dg_below(r, 12))) - 1));
    default:
        return dg_rand(r);
    }
}

uint32_t dg_f32(struct dg_rng *r)
{
    uint32_t sign = (uint32_t)(dg_rand(r) & 1) << 31;
    uint32_t mant = (uint32_t)dg_rand(r) & 0x7fffffu;
    switch (dg_below(r, 8)) {
    case 0: case 1: case 2:
        return f32_special[dg_below(r, N_OF(f32_special))];
    case 3:
        return sign | (uint32_t)(127 - 20 + dg_below(r, 55)) << 23 | mant;
    case 4: {
        static const int e[] = { 0, 1, 2, 3, 252, 253, 254, 127 + 31, 127 + 32, 127 + 63, 127 + 64 };
        return sign | (uint32_t)e[dg_below(r, N_OF(e))] << 23 | mant;
    }
    case 5: {
        float f = (float)(int32_t)((uint32_t)dg_rand(r) >> (dg_below(r, 28) + 3)) * (sign ? -1 : 1);
        static const float frac[] = { 0, 0.5f, 0.25f, 0.75f, 0.125f, -0.5f };
        f += frac[dg_below(r, N_OF(frac))];
        uint32_t u;
        memcpy(&u, &f, 4);
        return u;
    }
    case 6:
        return sign | (uint32_t)(127 - 10 + dg_below(r, 30)) << 23 |
               (mant & ~((1u << (12 + dg_below(r, 10))) - 1));
    default:
        return (uint32_t)dg_rand(r);
    }
}

uint64_t dg_fvalue(struct dg_rng *r, int boxed_only)
{
    switch (dg_below(r, 16)) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6:
        return 0xffffffff00000000ull | dg_f32(r);
    case 14:
        if (!boxed_only) {
            /* Not a valid NaN-box: reads as the canonical NaN (F: NaN boxing). */
            uint64_t hi = dg_below(r, 3) == 0 ? 0 : (dg_rand(r) & 0xffffffff00000000ull);
            if (hi == 0xffffffff00000000ull) hi = 0x7fffffff00000000ull;
            return hi | dg_f32(r);
        }
        return dg_f64(r);
    case 15:
        return dg_rand(r);
    default:
        return dg_f64(r);
    }
}

uint64_t dg_xvalue(struct dg_rng *r)
{
    static const uint64_t tab[] = {
        0, 1, 2, 3, ~0ull, ~1ull, 0x8000000000000000ull, 0x7fffffffffffffffull,
        0xffffffff80000000ull, 0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull,
        31, 32, 63, 64, 0x8000000000000001ull, 0xffffffff7fffffffull, 0x00000000ffff0000ull,
    };
    switch (dg_below(r, 12)) {
    case 0: return (uint64_t)((int64_t)dg_below(r, 33) - 16);
    case 1: return tab[dg_below(r, N_OF(tab))];
    case 2: return (uint64_t)(int64_t)(int32_t)dg_rand(r);
    case 3: return (uint32_t)dg_rand(r);
    case 4: return dg_f32(r) | (dg_below(r, 2) ? 0xffffffff00000000ull : 0);
    case 5: return dg_f64(r);
    case 6: return (1ull << dg_below(r, 64)) + (uint64_t)((int64_t)dg_below(r, 3) - 1);
    case 7: return dg_rand(r) & dg_rand(r) & dg_rand(r);
    case 8: return (uint64_t)(int64_t)(int16_t)dg_rand(r);
    case 9: return dg_rand(r) | dg_rand(r);
    default: return dg_rand(r);
    }
}

void dg_fill_data(struct dg_rng *r, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t v = dg_rand(r);
        memcpy(buf + i, &v, 8);
    }
    for (size_t k = 0; k < len / 32; k++) {
        size_t at = dg_below(r, len - 8) & ~(size_t)3;
        switch (dg_below(r, 3)) {
        case 0: { uint32_t v = dg_f32(r); memcpy(buf + at, &v, 4); break; }
        case 1: { uint64_t v = dg_f64(r); memcpy(buf + (at & ~(size_t)7), &v, 8); break; }
        default: { uint64_t v = dg_xvalue(r); memcpy(buf + at, &v, 8); break; }
        }
    }
}

/* ---- encoding helpers ---- */

static uint32_t put_field(uint32_t w, unsigned lo, unsigned n, uint32_t v)
{
    uint32_t m = ((n == 32 ? 0 : (1u << n)) - 1) << lo;
    return (w & ~m) | ((v << lo) & m);
}

static uint32_t enc_b(uint32_t w, int32_t imm)
{
    uint32_t i = (uint32_t)imm;
    w &= 0x01fff07fu; /* keep rs2, rs1, funct3, opcode */
    return w | ((i >> 12) & 1) << 31 | ((i >> 5) & 0x3f) << 25 | ((i >> 1) & 0xf) << 8 |
           ((i >> 11) & 1) << 7;
}

static uint32_t enc_j(uint32_t w, int32_t imm)
{
    uint32_t i = (uint32_t)imm;
    w &= 0xfffu; /* keep rd, opcode */
    return w | ((i >> 20) & 1) << 31 | ((i >> 1) & 0x3ff) << 21 | ((i >> 11) & 1) << 20 |
           ((i >> 12) & 0xff) << 12;
}

/* c.beqz/c.bnez: offset[8|4:3] in 12:10, offset[7:6|2:1|5] in 6:2. */
static uint32_t enc_cb(uint32_t c, int32_t imm)
{
    uint32_t i = (uint32_t)imm;
    c &= 0xe383u; /* keep funct3, rs1', op */
    return c | ((i >> 8) & 1) << 12 | ((i >> 3) & 3) << 10 | ((i >> 6) & 3) << 5 |
           ((i >> 1) & 3) << 3 | ((i >> 5) & 1) << 2;
}

/* c.j: offset[11|4|9:8|10|6|7|3:1|5] in 12:2. */
static uint32_t enc_cj(uint32_t c, int32_t imm)
{
    uint32_t i = (uint32_t)imm;
    c &= 0xe003u;
    return c | ((i >> 11) & 1) << 12 | ((i >> 4) & 1) << 11 | ((i >> 8) & 3) << 9 |
           ((i >> 10) & 1) << 8 | ((i >> 6) & 1) << 7 | ((i >> 7) & 1) << 6 |
           ((i >> 1) & 7) << 3 | ((i >> 5) & 1) << 2;
}

/* ---- sequence generation ---- */

static unsigned pick_reg(struct dg_rng *r, uint32_t forbidden)
{
    if (forbidden == 0xffffffffu) return 0;
    for (;;) {
        unsigned x = (unsigned)dg_below(r, 32);
        if (!((forbidden >> x) & 1)) return x;
    }
}

static unsigned pick_from(struct dg_rng *r, uint32_t set)
{
    return set ? pick_reg(r, ~set) : 0;
}

static int row_allowed(const struct dg_opts *o, unsigned id)
{
    const struct rv_insn_desc *d = &rv_insns[id];
    if (!(o->exts & (1u << d->ext))) return 0;
    if (d->flags & RVF_ENDS) return 0; /* ecall, ebreak, fence.i: the harness's business */
    if (dg_rows[id].memory && (!o->memory || !o->base_regs)) return 0;
    if ((d->flags & RVF_JALR) && !o->end_reg) return 0;
    return 1;
}

static unsigned pick_rm(struct dg_rng *r, const struct dg_opts *o)
{
    if (dg_chance(r, o->p_bad_rm)) return 5 + (unsigned)dg_below(r, 2);
    return dg_below(r, 2) ? 7 : (unsigned)dg_below(r, 5);
}

/* A 32-bit instance of row id; 0 if the constraints cannot be met. */
static uint32_t gen32(struct dg_rng *r, const struct dg_opts *o, unsigned id)
{
    const struct rv_insn_desc *d = &rv_insns[id];
    const struct dg_row *g = &dg_rows[id];
    for (int tries = 0; tries < 16; tries++) {
        uint32_t w = d->match | ((uint32_t)dg_rand(r) & ~d->mask);
        unsigned rd = (w >> 7) & 31, rs1 = (w >> 15) & 31, rs2 = (w >> 20) & 31;
        if (g->xdst && ((o->no_write >> rd) & 1)) rd = pick_reg(r, o->no_write);
        if (g->memory) {
            if (dg_chance(r, o->p_wild))
                rs1 = pick_reg(r, o->no_read | (o->end_reg ? 1u << o->end_reg : 0));
            else rs1 = pick_from(r, o->base_regs);
        } else if (d->flags & RVF_JALR) {
            rs1 = o->end_reg;
        } else if ((g->xsrc & 1) && ((o->no_read >> rs1) & 1)) {
            rs1 = pick_reg(r, o->no_read);
        }
        if ((g->xsrc & 2) && ((o->no_read >> rs2) & 1)) rs2 = pick_reg(r, o->no_read);
        if (g->xdst) w = put_field(w, 7, 5, rd);
        if (g->xsrc & 1) w = put_field(w, 15, 5, rs1);
        if (g->xsrc & 2) w = put_field(w, 20, 5, rs2);
        if (d->flags & RVF_CSR) {
            static const uint32_t csrs[] = { 1, 2, 3 }; /* fflags, frm, fcsr */
            w = put_field(w, 20, 12, csrs[dg_below(r, 3)]);
        }
        if (d->flags & RVF_RM) w = put_field(w, 12, 3, pick_rm(r, o));
        struct rv_decoded dec;
        if (rv_decode(w, &dec) == 0 && dec.id == id) return w;
    }
    return 0;
}

/* A compressed instance of rvc.def row cid; 0 if none was found. *drift is
 * the drift budget left, reduced by an accepted `addi drift_reg`. */
static uint32_t gen16(struct dg_rng *r, const struct dg_opts *o, unsigned cid, int *drift)
{
    const struct rv_cinsn_desc *c = &rv_cinsns[cid];
    for (int tries = 0; tries < 64; tries++) {
        uint32_t h = c->match | ((uint32_t)dg_rand(r) & 0xffffu & ~(uint32_t)c->mask);
        if (rv_insns[c->base].flags & RVF_JALR) h = put_field(h, 7, 5, o->end_reg);
        struct rv_decoded d;
        if (rv_decode(h, &d) || d.cid != (int)cid) continue;
        const struct dg_row *g = &dg_rows[d.id];
        if (g->xdst && d.rd && ((o->no_write >> d.rd) & 1)) {
            int64_t m = d.imm < 0 ? -d.imm : d.imm;
            if (!(o->drift_reg && d.rd == o->drift_reg && d.id == RV_addi &&
                  d.rs1 == o->drift_reg && m <= *drift))
                continue;
            *drift -= (int)m;
        }
        if (g->memory) {
            if (!((o->base_regs >> d.rs1) & 1)) continue;
        } else if ((rv_insns[d.id].flags & RVF_JALR)) {
            if (d.rs1 != o->end_reg) continue;
        } else if ((g->xsrc & 1) && ((o->no_read >> d.rs1) & 1)) {
            continue;
        }
        if ((g->xsrc & 2) && ((o->no_read >> d.rs2) & 1)) continue;
        return h;
    }
    return 0;
}

static const uint8_t illegal_majors[] = { 0x03, 0x07, 0x0f, 0x13, 0x1b, 0x23, 0x27, 0x2f, 0x33,
                                          0x3b, 0x43, 0x47, 0x4b, 0x4f, 0x53, 0x63, 0x67 };

static int gen_illegal(struct dg_rng *r, const struct dg_opts *o, struct dg_insn *in)
{
    struct rv_decoded d;
    for (int tries = 0; tries < 256; tries++) {
        if ((o->exts & DG_EXT(C)) && dg_below(r, 4) == 0) {
            uint32_t h = (uint32_t)dg_rand(r) & 0xffff;
            if ((h & 3) == 3 || rv_decode(h, &d) == 0) continue;
            in->bits = h;
            in->len = 2;
            return 1;
        }
        uint32_t w = ((uint32_t)dg_rand(r) & ~0x7fu) | illegal_majors[dg_below(r, sizeof illegal_majors)];
        if (rv_decode(w, &d) == 0) continue;
        in->bits = w;
        in->len = 4;
        return 1;
    }
    return 0;
}

void dg_generate(struct dg_rng *r, const struct dg_opts *o, struct dg_seq *s)
{
    dg_init();
    /* Rows allowed, 32-bit and compressed, and the control transfers. */
    uint16_t rows[RV_N_INSNS], crows[RVC_N_INSNS], ctl[RV_N_INSNS], focus[RV_N_INSNS];
    unsigned n_rows = 0, n_crows = 0, n_ctl = 0, n_focus = 0;
    for (unsigned i = 0; i < RV_N_INSNS; i++) {
        if (!row_allowed(o, i)) continue;
        rows[n_rows++] = (uint16_t)i;
        if (o->focus_exts & (1u << rv_insns[i].ext)) focus[n_focus++] = (uint16_t)i;
        if (rv_insns[i].flags & RVF_CONTROL) ctl[n_ctl++] = (uint16_t)i;
    }
    if (o->exts & DG_EXT(C))
        for (unsigned i = 0; i < RVC_N_INSNS; i++)
            if (row_allowed(o, rv_cinsns[i].base)) crows[n_crows++] = (uint16_t)i;

    int lo = o->min_insns > 0 ? o->min_insns : 1;
    int hi = o->max_insns > lo ? o->max_insns : lo;
    if (hi > DG_MAX_INSNS) hi = DG_MAX_INSNS;
    int n = lo + (int)dg_below(r, (uint64_t)(hi - lo + 1));
    int drift = o->drift_budget;

    memset(s, 0, sizeof *s);
    uint32_t forced[DG_MAX_INSNS] = { 0 }; /* words placed ahead of time (SC after LR) */
    for (int i = 0; i < n; i++) {
        struct dg_insn *in = &s->in[i];
        in->target = -1;
        for (;;) {
            if (forced[i]) {
                in->bits = forced[i];
                in->len = 4;
                break;
            }
            if (o->p_illegal && dg_chance(r, o->p_illegal) && gen_illegal(r, o, in)) break;
            if (n_crows && dg_chance(r, o->p_rvc)) {
                uint32_t h = gen16(r, o, crows[dg_below(r, n_crows)], &drift);
                if (!h) continue;
                in->bits = h;
                in->len = 2;
                break;
            }
            unsigned id = n_ctl && dg_chance(r, o->p_control)     ? ctl[dg_below(r, n_ctl)]
                        : n_focus && dg_chance(r, o->p_focus) ? focus[dg_below(r, n_focus)]
                                                              : rows[dg_below(r, n_rows)];
            uint32_t w = gen32(r, o, id);
            if (!w) continue;
            in->bits = w;
            in->len = 4;
            break;
        }
        rv_decode(in->bits, &in->d);
        /* Pair most LRs with an SC of the same width and address soon after
         * (random pairs rarely meet). */
        if ((in->d.id == RV_lr_w || in->d.id == RV_lr_d) && dg_below(r, 4) != 0) {
            int j = i + 1 + (int)dg_below(r, 4);
            if (j < n && !forced[j]) {
                unsigned id = in->d.id == RV_lr_w ? RV_sc_w : RV_sc_d;
                uint32_t w = gen32(r, o, id);
                if (w) forced[j] = put_field(w, 15, 5, in->d.rs1);
            }
        }
    }

    uint32_t off = 0;
    for (int i = 0; i < n; i++) {
        s->in[i].off = off;
        off += s->in[i].len;
    }
    s->n = n;
    s->size = off;

    /* Forward control transfers: to a later instruction or to the end. */
    for (int i = 0; i < n; i++) {
        struct dg_insn *in = &s->in[i];
        if (in->d.id == RV_ILLEGAL) continue;
        uint16_t fl = rv_insns[in->d.id].flags;
        if (!(fl & (RVF_BRANCH | RVF_JUMP | RVF_JALR))) continue;
        int j = i + 1 + (int)dg_below(r, (uint64_t)(n - i));
        if ((fl & RVF_JALR) && in->len == 2) j = n; /* c.jr/c.jalr: exactly the end register */
        uint32_t toff = j == n ? s->size : s->in[j].off;
        int32_t delta = (int32_t)(toff - in->off);
        if (fl & RVF_JALR) {
            if (in->len == 4) {
                int32_t imm = (int32_t)toff - (int32_t)s->size + (int32_t)dg_below(r, 2); /* bit 0 is ignored */
                in->bits = put_field(in->bits, 20, 12, (uint32_t)imm);
            }
        } else if (in->len == 4) {
            in->bits = (fl & RVF_BRANCH) ? enc_b(in->bits, delta) : enc_j(in->bits, delta);
        } else {
            in->bits = (fl & RVF_BRANCH) ? enc_cb(in->bits, delta) : enc_cj(in->bits, delta);
        }
        in->target = j;
        struct rv_decoded d;
        if (rv_decode(in->bits, &d) || d.id != in->d.id ||
            (!(fl & RVF_JALR) && d.imm != delta)) {
            fprintf(stderr, "diffgen: internal error re-encoding %08x (offset %d)\n", in->bits, delta);
            abort();
        }
        in->d = d;
    }
}

void dg_emit(const struct dg_seq *s, uint8_t *buf)
{
    for (int i = 0; i < s->n; i++) {
        const struct dg_insn *in = &s->in[i];
        buf[in->off] = (uint8_t)in->bits;
        buf[in->off + 1] = (uint8_t)(in->bits >> 8);
        if (in->len == 4) {
            buf[in->off + 2] = (uint8_t)(in->bits >> 16);
            buf[in->off + 3] = (uint8_t)(in->bits >> 24);
        }
    }
}

int dg_index_at(const struct dg_seq *s, uint32_t off)
{
    for (int i = 0; i < s->n; i++)
        if (s->in[i].off == off) return i;
    return -1;
}

void dg_print(FILE *f, const struct dg_seq *s, uint64_t base, const char *indent)
{
    for (int i = 0; i < s->n; i++) {
        const struct dg_insn *in = &s->in[i];
        char buf[96];
        if (in->d.id == RV_ILLEGAL) snprintf(buf, sizeof buf, "(illegal)");
        else rv_disas(&in->d, base + in->off, buf, sizeof buf);
        fprintf(f, "%s%2d  %8llx:  %0*x  %s\n", indent, i, (unsigned long long)(base + in->off),
                in->len * 2, in->bits, buf);
    }
    fprintf(f, "%s    %8llx:  (end)\n", indent, (unsigned long long)(base + s->size));
}
