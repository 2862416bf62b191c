/*
 * diffgen.h - random instruction sequences for the differential tests,
 * generated from the instruction table (vm/riscv/insns.def, rvc.def) so that
 * a new row is covered as soon as it is added.
 *
 * A sequence is a run of 32-bit and 16-bit encodings: each is a table row
 * with random field values under the row's mask (word = match | (random &
 * ~mask)), then fixed up where the test needs a constraint:
 *   - registers the harness reserves are never written (nor read, if asked);
 *   - loads/stores/AMOs use a base register that points into a data buffer;
 *   - Zicsr instructions name fflags, frm or fcsr;
 *   - rounding modes are static or dynamic, occasionally reserved (5, 6);
 *   - control transfers go forward, to an instruction of the sequence or to
 *     its end, so every sequence terminates: branches and jal by their
 *     offset, jalr/c.jr/c.jalr through a register holding the end address.
 * Compressed encodings are random 16-bit words of an rvc.def row that
 * rv_decode accepts as that row.
 */
#ifndef REPRISE_TESTS_DIFFGEN_H
#define REPRISE_TESTS_DIFFGEN_H

#include "isa.h"

#include <stdint.h>
#include <stdio.h>

/* ---- random numbers (splitmix64: small, fast, reproducible) ---- */

struct dg_rng {
    uint64_t s;
};

static inline uint64_t dg_rand(struct dg_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint64_t dg_below(struct dg_rng *r, uint64_t n) { return n ? dg_rand(r) % n : 0; }
static inline int dg_chance(struct dg_rng *r, unsigned per_mille) { return dg_below(r, 1000) < per_mille; }
/* The generator of sequence `index` of a run seeded with `seed`: each
 * sequence has its own stream so that one can be rerun alone. */
static inline struct dg_rng dg_rng_for(uint64_t seed, uint64_t index)
{
    struct dg_rng r = { seed * 0xd1342543de82ef95ull ^ (index + 1) * 0x9e3779b97f4a7c15ull };
    dg_rand(&r);
    return r;
}

/* ---- per-row properties derived from the table ---- */

struct dg_row {
    uint8_t xdst;    /* writes integer rd ('d') */
    uint8_t fdst;    /* writes fp rd ('D') */
    uint8_t xsrc;    /* bit 0: reads x[rs1] ('s'), bit 1: reads x[rs2] ('t') */
    uint8_t fsrc;    /* bits 0-2: reads f[rs1], f[rs2], f[rs3] ('S' 'T' 'R') */
    uint8_t a32src;  /* bits 0-2: those f sources are NaN-unboxed binary32 (A32()) */
    uint8_t f32dst;  /* the fp result is a NaN-boxed binary32 (WF32(), BOX32()) */
    uint8_t memory;  /* RVF_LOAD/STORE/AMO */
};
extern struct dg_row dg_rows[RV_N_INSNS];
/* Fills dg_rows (idempotent). */
void dg_init(void);

/* ---- interesting values ---- */

uint64_t dg_xvalue(struct dg_rng *r);    /* an integer register value */
uint32_t dg_f32(struct dg_rng *r);       /* a binary32: specials, boundaries, random */
uint64_t dg_f64(struct dg_rng *r);       /* a binary64: same */
/* An f register: boxed binary32 or binary64 mostly, sometimes improperly
 * NaN-boxed binary32 (unless boxed_only) or raw random bits. */
uint64_t dg_fvalue(struct dg_rng *r, int boxed_only);
/* Fills buf with random bytes and scattered interesting values. */
void dg_fill_data(struct dg_rng *r, uint8_t *buf, size_t len);

/* ---- sequences ---- */

#define DG_EXT(e) (1u << RV_EXT_##e)
#define DG_MAX_INSNS 64

struct dg_opts {
    uint32_t exts;        /* DG_EXT() of every allowed extension (C: compressed) */
    unsigned p_rvc;       /* per mille of compressed encodings (if C allowed) */
    int memory;           /* loads, stores, LR/SC, AMOs (Zicsr: by exts, on fflags/frm/fcsr) */
    uint32_t no_write;    /* bit i: generated code never writes x[i] */
    uint32_t no_read;     /* bit i: generated code never reads x[i] */
    uint32_t base_regs;   /* bit i: x[i] points into the data buffer (memory base) */
    unsigned end_reg;     /* x register holding the end address (jalr); 0: no jalr */
    unsigned drift_reg;   /* x register that `addi r, r, imm` may move (c.addi16sp) */
    int drift_budget;     /* total |imm| allowed on drift_reg per sequence */
    int min_insns, max_insns;
    unsigned p_bad_rm;    /* per mille of rm fields set to a reserved mode (5, 6) */
    unsigned p_illegal;   /* per mille of slots holding an illegal encoding */
    unsigned p_wild;      /* per mille of memory ops through a non-pointer base */
    unsigned p_control;   /* per mille of slots forced to a control transfer (0: by table) */
    uint32_t focus_exts;  /* DG_EXT() set drawn from with probability p_focus */
    unsigned p_focus;     /* per mille of 32-bit slots drawn from focus_exts rows only */
};

struct dg_insn {
    uint32_t bits;        /* as stored: 16 or 32 bits */
    uint8_t len;          /* 2 or 4 */
    uint32_t off;         /* byte offset from the start of the sequence */
    int target;           /* control transfer: target index (n means the end); else -1 */
    struct rv_decoded d;  /* rv_decode(bits) */
};

struct dg_seq {
    int n;
    uint32_t size;        /* bytes */
    struct dg_insn in[DG_MAX_INSNS];
};

void dg_generate(struct dg_rng *r, const struct dg_opts *o, struct dg_seq *s);
/* Writes the s->size bytes of the sequence to buf. */
void dg_emit(const struct dg_seq *s, uint8_t *buf);
/* Index of the instruction at byte offset off, or -1. */
int dg_index_at(const struct dg_seq *s, uint32_t off);
/* One line per instruction: address, encoding, disassembly. */
void dg_print(FILE *f, const struct dg_seq *s, uint64_t base, const char *indent);

#endif
