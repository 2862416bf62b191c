/*
 * test_jit.c - the JIT (vm/riscv/jit/) against the interpreter, which is
 * the oracle: its semantics are the table's bodies, themselves checked
 * against the spec, Unicorn and qemu (tests/unit/test_engine.c,
 * tests/diff/). Two vms with the same memory and registers run the same
 * code, one interpreting (VM_ENGINE_INTERP), one compiling every block
 * before its first run (VM_ENGINE_JIT); after every vm_run the exit
 * (reason, cause, pc, tval), pc, instruction count, x1..x31 and all mapped
 * memory must be identical.
 *
 * - every row the JIT has a template for (jit_supports), on random
 *   encodings of it and random operands, special values included; memory
 *   operands point into readable/writable data, across page ends, into a
 *   read-only page, an unmapped page and the code itself (self-modifying);
 * - random blocks of supported 32- and 16-bit instructions, run with
 *   random budgets so exact stops fall mid-block;
 * - directed cases with hand-checked results: a store that rewrites a
 *   later instruction of its own block, exception pc and count, and a code
 *   cache small enough to be flushed many times.
 *
 * Seeded: a failure prints the seed; JIT_TEST_SEED=N reruns it.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpu.h"
#include "isa.h"
#include "softfp.h"
#include "vm.h"
#include "jit/jit.h"

#define CODE 0x10000ull  /* 1 page, read/write/execute (self-modifying code) */
#define DATA 0x20000ull  /* 2 pages read/write, then 1 read-only, then a hole */
#define DATA_RW 0x2000ull
#define DATA_LEN 0x3000ull

static uint64_t seed;
static int long_factor = 1; /* REPRISE_LONG_TESTS: ten times the cases */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible from the seed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t special(void)
{
    static const uint64_t v[] = {
        0, 1, 2, (uint64_t)-1, (uint64_t)-2, 0x7fffffffffffffffull, 0x8000000000000000ull,
        0x7fffffff, 0x80000000, 0xffffffff, 0xffffffff80000000ull, 0x100000000ull, 31, 32, 63, 64,
    };
    switch (rnd() % 4) {
    case 0: return v[rnd() % (sizeof v / sizeof v[0])];
    case 1: return rnd() % 64;
    case 2: return (uint64_t)(int64_t)(int32_t)rnd();
    default: return rnd();
    }
}

struct pair {
    struct vm *vm[2];        /* [0] interpreter, [1] JIT */
    struct vm_cpu *cpu[2];
};

static void pair_open(struct pair *p, unsigned cache_kib)
{
    for (int i = 0; i < 2; i++) {
        char err[256];
        struct vm_config c = { .addr_bits = 32 };
        c.engine.engine = i ? VM_ENGINE_JIT : VM_ENGINE_INTERP;
        c.engine.jit_cache_kib = cache_kib;
        if (vm_create(&c, &p->vm[i], err, sizeof err)) fail_msg("vm_create: %s", err);
        assert_int_equal(vm_map(p->vm[i], CODE, 0x1000, VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC), 0);
        assert_int_equal(vm_map(p->vm[i], DATA, DATA_RW, VM_PROT_READ | VM_PROT_WRITE), 0);
        assert_int_equal(vm_map(p->vm[i], DATA + DATA_RW, 0x1000, VM_PROT_READ), 0);
        p->cpu[i] = vm_cpu_create(p->vm[i]);
        assert_non_null(p->cpu[i]);
    }
}

static void pair_close(struct pair *p)
{
    for (int i = 0; i < 2; i++) vm_destroy(p->vm[i]);
}

/* Same code, registers and data in both vms; pc at CODE, count 0. */
static void pair_load(struct pair *p, const void *code, size_t len, const uint64_t *x)
{
    uint8_t data[DATA_LEN];
    for (size_t i = 0; i < DATA_LEN; i += 8) {
        uint64_t v = rnd();
        memcpy(data + i, &v, 8);
    }
    uint8_t page[0x1000] = { 0 };
    memcpy(page, code, len);
    /* f registers: NaN-boxed binary32 values, binary64 values, specials. */
    uint64_t fregs[32];
    for (int r = 0; r < 32; r++) {
        switch (rnd() % 4) {
        case 0: fregs[r] = 0xffffffff00000000ull | (uint32_t)special(); break;
        case 1: fregs[r] = special(); break;
        default: fregs[r] = rnd(); break;
        }
    }
    unsigned frm = (unsigned)(rnd() % 8), fflags = (unsigned)(rnd() % 32);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(vm_poke(p->vm[i], CODE, page, sizeof page), 0);
        assert_int_equal(vm_poke(p->vm[i], DATA, data, sizeof data), 0);
        struct vm_cpu *c = p->cpu[i];
        memcpy(c->x, x, 32 * sizeof x[0]);
        c->x[0] = 0;
        memcpy(c->f, fregs, sizeof fregs);
        c->frm = frm;
        c->fflags = fflags;
        c->res_valid = 0;
        c->pc = CODE;
        c->icount = 0;
    }
}

/* Runs both vms with the same budget and compares everything. */
static void pair_step(struct pair *p, uint64_t budget, const char *what)
{
    struct vm_exit ex[2];
    for (int i = 0; i < 2; i++) assert_int_equal(vm_run(p->cpu[i], budget, &ex[i]), 0);
    struct vm_cpu *a = p->cpu[0], *b = p->cpu[1];
    if (ex[0].reason != ex[1].reason || ex[0].cause != ex[1].cause || ex[0].pc != ex[1].pc ||
        ex[0].tval != ex[1].tval)
        fail_msg("%s (seed %llu): exit interp %d/%u pc %#llx tval %#llx, jit %d/%u pc %#llx tval %#llx",
                 what, (unsigned long long)seed, ex[0].reason, ex[0].cause,
                 (unsigned long long)ex[0].pc, (unsigned long long)ex[0].tval, ex[1].reason,
                 ex[1].cause, (unsigned long long)ex[1].pc, (unsigned long long)ex[1].tval);
    if (a->pc != b->pc || a->icount != b->icount)
        fail_msg("%s (seed %llu): pc/icount interp %#llx/%llu jit %#llx/%llu", what,
                 (unsigned long long)seed, (unsigned long long)a->pc,
                 (unsigned long long)a->icount, (unsigned long long)b->pc,
                 (unsigned long long)b->icount);
    for (int r = 0; r < 32; r++)
        if (a->x[r] != b->x[r])
            fail_msg("%s (seed %llu): x%d interp %#llx jit %#llx", what, (unsigned long long)seed,
                     r, (unsigned long long)a->x[r], (unsigned long long)b->x[r]);
    for (int r = 0; r < 32; r++)
        if (a->f[r] != b->f[r])
            fail_msg("%s (seed %llu): f%d interp %#llx jit %#llx", what, (unsigned long long)seed,
                     r, (unsigned long long)a->f[r], (unsigned long long)b->f[r]);
    if (a->fflags != b->fflags || a->frm != b->frm || a->res_valid != b->res_valid)
        fail_msg("%s (seed %llu): fcsr/reservation differ", what, (unsigned long long)seed);
    static uint8_t ma[DATA_LEN], mb[DATA_LEN];
    assert_int_equal(vm_peek(p->vm[0], DATA, ma, DATA_LEN), 0);
    assert_int_equal(vm_peek(p->vm[1], DATA, mb, DATA_LEN), 0);
    if (memcmp(ma, mb, DATA_LEN)) fail_msg("%s (seed %llu): data memory differs", what, (unsigned long long)seed);
    assert_int_equal(vm_peek(p->vm[0], CODE, ma, 0x1000), 0);
    assert_int_equal(vm_peek(p->vm[1], CODE, mb, 0x1000), 0);
    if (memcmp(ma, mb, 0x1000)) fail_msg("%s (seed %llu): code memory differs", what, (unsigned long long)seed);
}

/* Random registers; memory-operand bases aimed at interesting places. */
static void random_regs(uint64_t *x, const struct rv_decoded *d)
{
    for (int r = 0; r < 32; r++) x[r] = special();
    uint16_t fl = rv_insns[d->id].flags;
    if ((fl & (RVF_LOAD | RVF_STORE | RVF_AMO)) && d->rs1) {
        uint64_t target;
        switch (rnd() % 8) {
        case 0: target = DATA + DATA_RW - 4 + rnd() % 8; break;             /* into read-only */
        case 1: target = DATA + DATA_LEN - 4 + rnd() % 8; break;            /* into the hole */
        case 2: target = DATA + 0x1000 - 7 + rnd() % 8; break;              /* page crossing */
        case 3: target = CODE + 4 + rnd() % 12; break;                      /* own code */
        case 4: target = rnd(); break;                                      /* wild */
        default: target = DATA + rnd() % DATA_RW; break;
        }
        x[d->rs1] = target - (uint64_t)d->imm;
    }
}

static const uint32_t EBREAK = 0x00100073;

static uint32_t random_encoding(unsigned id)
{
    const struct rv_insn_desc *r = &rv_insns[id];
    return ((uint32_t)rnd() & ~r->mask) | r->match;
}

/* Rows the JIT compiles: its templates, and (as calls of the interpreter's
 * handler) every row that does not end a block. */
static int compiled_row(unsigned id)
{
    return jit_supports(id) || !(rv_insns[id].flags & RVF_CONTROL);
}

/* Every compiled row on random encodings and operands, one instruction then
 * ebreak (for control transfers the block ends at the instruction). */
static void test_templates(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    unsigned rows = 0;
    for (unsigned id = 0; id < RV_N_INSNS; id++) {
        if (!compiled_row(id)) continue;
        rows++;
        for (int k = 0; k < 400 * long_factor; k++) {
            uint32_t w = random_encoding(id);
            struct rv_decoded d;
            rv_decode(w, &d);
            if (d.id != id) continue; /* a more specific row (e.g. a hint) */
            uint64_t x[32];
            random_regs(x, &d);
            uint32_t code[2] = { w, EBREAK };
            pair_load(&p, code, sizeof code, x);
            struct vm_stats before, after;
            vm_get_stats(p.vm[1], &before);
            char what[96];
            snprintf(what, sizeof what, "%s %08x", rv_insns[id].name, w);
            pair_step(&p, 64, what);
            vm_get_stats(p.vm[1], &after);
            /* The JIT really ran the instruction (no vacuous pass). */
            if (after.jit_runs == before.jit_runs)
                fail_msg("%s: the JIT vm did not run compiled code", what);
        }
    }
    assert_true(rows >= 150);
    pair_close(&p);
}

/* A binary64 (d) or binary32 bit pattern drawn to reach every case of the
 * JIT's inline FP fast paths and of their fallbacks: zeros of both signs,
 * subnormals, infinities, quiet and signalling NaNs, the extreme normals
 * (overflow, underflow), exponents around fpfast.h's fp_big limit, and
 * ordinary magnitudes with full or short mantissas (inexact and exact
 * results). */
static uint64_t fp_bits(int d)
{
    unsigned mbits = d ? 52 : 23, ebits = d ? 11 : 8;
    uint64_t emax = (1u << ebits) - 1, bias = emax >> 1;
    uint64_t m = rnd() & ((1ull << mbits) - 1), e;
    if (rnd() % 2) m &= ~((1ull << (mbits - 1 - rnd() % 4)) - 1); /* 1..4 significant bits */
    switch (rnd() % 16) {
    case 0: e = 0; m = 0; break;
    case 1: e = 0; m |= 1; break;
    case 2: e = emax; m = 0; break;
    case 3: e = emax; m |= 1; break;
    case 4: e = 1 + rnd() % 3; break;
    case 5: e = emax - 1 - rnd() % 3; break;
    case 6: e = (d ? 128 : 64) - 3 + rnd() % 6; break;
    case 7: e = 1 + rnd() % bias; break;
    case 8: e = bias + rnd() % bias; break;
    default: e = bias - 12 + rnd() % 25; break;
    }
    return (rnd() & 1) << (ebits + mbits) | e << mbits | m;
}

/* Every F and D row (inline fast path or handler call) on operands from
 * fp_bits, and the CSR rows on fflags, frm, fcsr (and a few others):
 * rounding modes static and dynamic (RNE mostly; the others, the
 * reserved 5 and 6, and dyn with frm 5-7: illegal instruction), fflags
 * clear, NX only or random, binary32 operands NaN-boxed or (1 in 16) not.
 * Asserts that most cases have the fast path's preconditions. */
static void test_fp(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    unsigned fast = 0, total = 0;
    for (unsigned id = 0; id < RV_N_INSNS; id++) {
        const struct rv_insn_desc *r = &rv_insns[id];
        if (!(r->flags & (RVF_FP | RVF_CSR)) || (r->flags & (RVF_LOAD | RVF_STORE))) continue;
        size_t nl = strlen(r->name);
        int single = r->name[nl - 1] == 's'; /* the source format: fadd.s, fcvt.d.s */
        for (int k = 0; k < 1500 * long_factor; k++) {
            uint32_t w = random_encoding(id);
            unsigned rm = rnd() % 4 ? 0 : rnd() % 3 ? 7 : (unsigned)(rnd() % 8);
            if (r->flags & RVF_RM) w = (w & ~(7u << 12)) | rm << 12;
            if (r->flags & RVF_CSR) { /* fflags, frm, fcsr mostly; counters; illegal */
                static const uint32_t csrs[] = { 1, 2, 3, 1, 2, 3, 0xc00, 0xc02, 0xc01, 0x004, 0xc03 };
                w = (w & 0xfffff) | csrs[rnd() % (sizeof csrs / sizeof csrs[0])] << 20;
            }
            struct rv_decoded d;
            rv_decode(w, &d);
            if (d.id != id) continue;
            uint64_t x[32];
            random_regs(x, &d);
            uint32_t code[2] = { w, EBREAK };
            pair_load(&p, code, sizeof code, x);
            uint64_t f[32];
            for (int i = 0; i < 32; i++) {
                f[i] = single ? 0xffffffff00000000ull | fp_bits(0) : fp_bits(1);
                if (single && rnd() % 16 == 0) f[i] = rnd() % 2 ? (uint32_t)f[i] : rnd();
            }
            unsigned frm = rnd() % 4 ? 0 : (unsigned)(rnd() % 8);
            unsigned fflags = rnd() % 3 == 0 ? 0 : rnd() % 2 ? 1 : (unsigned)(rnd() % 32);
            for (int i = 0; i < 2; i++) {
                memcpy(p.cpu[i]->f, f, sizeof f);
                p.cpu[i]->frm = frm;
                p.cpu[i]->fflags = fflags;
            }
            unsigned eff = (r->flags & RVF_RM) && rm == 7 ? frm : (r->flags & RVF_RM) ? rm : 0;
            uint64_t a = f[d.rs1];
            int ok = eff == 0 && (single ? (a >> 32) == 0xffffffffu && ((a >> 23) & 0xff) - 1 < 0xfe
                                         : ((a >> 52) & 0x7ff) - 1 < 0x7fe);
            fast += ok;
            total++;
            char what[96];
            snprintf(what, sizeof what, "%s %08x frm %u fflags %#x", r->name, w, frm, fflags);
            pair_step(&p, 64, what);
        }
    }
    /* Enough cases in RNE with a normal first operand for the fast paths. */
    assert_true(total > 50000 && fast > total / 4);
    pair_close(&p);
}

/* A product that is tiny before rounding and rounds up to the smallest
 * normal number raises UF with NX (tininess after rounding, ISA 11.2),
 * with NX already set too: compiled code takes the slow path there and
 * matches softfp, not only the interpreter. */
static void test_fp_tiny_rounds_up(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    static const struct { unsigned id; uint64_t a, b, want; } cases[] = {
        { RV_fmul_d, 0x0020000000000000ull, 0x3fdfffffffffffffull, 0x0010000000000000ull },
        { RV_fmul_s, 0xffffffff01000000ull, 0xffffffff3effffffull, 0xffffffff00800000ull },
    };
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned pre = 0; pre < 2; pre++) {
            uint32_t fmul = rv_insns[cases[k].id].match | 3u << 7 | 7u << 12 | 1u << 15 | 2u << 20;
            uint32_t code[] = { fmul, EBREAK };
            uint64_t x[32] = { 0 };
            pair_load(&p, code, sizeof code, x);
            for (int i = 0; i < 2; i++) {
                p.cpu[i]->f[1] = cases[k].a;
                p.cpu[i]->f[2] = cases[k].b;
                p.cpu[i]->frm = 0;
                p.cpu[i]->fflags = pre ? RV_NX : 0;
            }
            pair_step(&p, 1, "tiny product rounding up");
            for (int i = 0; i < 2; i++) {
                assert_int_equal(p.cpu[i]->f[3], cases[k].want);
                assert_int_equal(p.cpu[i]->fflags, RV_NX | RV_UF);
            }
        }
    }
    pair_close(&p);
}

/* Random blocks of F/D rows on 8 f registers (so that results feed later
 * operands), operands from fp_bits, rounding modes mostly RNE or dyn with
 * frm 0, NX clear or set: fast paths and slow paths (handler calls) mixed
 * in one block, the slow paths resuming into the block; run with random
 * budgets (exact stops mid-block). */
static void test_fp_blocks(void **state)
{
    (void)state;
    unsigned rows[RV_N_INSNS], nrows = 0;
    for (unsigned id = 0; id < RV_N_INSNS; id++)
        if ((rv_insns[id].flags & RVF_FP) && !(rv_insns[id].flags & (RVF_LOAD | RVF_STORE))) rows[nrows++] = id;
    struct pair p;
    pair_open(&p, 0);
    for (int k = 0; k < 1500 * long_factor; k++) {
        uint32_t code[20];
        unsigned n = 1 + (unsigned)(rnd() % 16);
        int single = rnd() % 2;
        for (unsigned i = 0; i < n; i++) {
            const struct rv_insn_desc *r;
            do r = &rv_insns[rows[rnd() % nrows]];
            while ((r->name[strlen(r->name) - 1] == 's') != single && rnd() % 8);
            uint32_t w = random_encoding((unsigned)(r - rv_insns));
            unsigned rm = rnd() % 8 ? (rnd() % 2 ? 0 : 7) : (unsigned)(rnd() % 8);
            if (r->flags & RVF_RM) w = (w & ~(7u << 12)) | rm << 12;
            /* f operands and results among f8..f15 (x operands: anywhere). */
            static const char fld[] = "DSTR";
            static const unsigned at[] = { 7, 15, 20, 27 };
            for (unsigned q = 0; q < 4; q++)
                if (strchr(r->operands, fld[q])) w = (w & ~(0x18u << at[q])) | 8u << at[q];
            struct rv_decoded d;
            rv_decode(w, &d);
            assert_int_equal(d.id, r - rv_insns);
            code[i] = w;
        }
        code[n] = EBREAK;
        uint64_t x[32];
        for (int r = 0; r < 32; r++) x[r] = special();
        pair_load(&p, code, (n + 1) * 4, x);
        uint64_t f[32];
        for (int i = 0; i < 32; i++) {
            f[i] = single ? 0xffffffff00000000ull | fp_bits(0) : fp_bits(1);
            if (single && rnd() % 32 == 0) f[i] = (uint32_t)f[i];
        }
        unsigned frm = rnd() % 8 ? 0 : (unsigned)(rnd() % 8);
        unsigned fflags = rnd() % 2 ? 1 /* NX */ : 0;
        for (int i = 0; i < 2; i++) {
            memcpy(p.cpu[i]->f, f, sizeof f);
            p.cpu[i]->frm = frm;
            p.cpu[i]->fflags = fflags;
        }
        char what[64];
        snprintf(what, sizeof what, "fp block %d", k);
        for (int step = 0; step < 3; step++) pair_step(&p, 1 + rnd() % 8, what);
        pair_step(&p, 1000, what);
    }
    pair_close(&p);
}

/* Supported rows, for random blocks. */
static unsigned supported[RV_N_INSNS], n_supported;

static void collect_supported(void)
{
    n_supported = 0;
    for (unsigned id = 0; id < RV_N_INSNS; id++)
        if (compiled_row(id)) supported[n_supported++] = id;
}

/* Random blocks of 1..24 instructions (16- and 32-bit), many registers
 * aimed at the data, run with random budgets: exact stops land mid-block
 * and resume. */
static void test_blocks(void **state)
{
    (void)state;
    collect_supported();
    struct pair p;
    pair_open(&p, 0);
    for (int k = 0; k < 3000 * long_factor; k++) {
        uint8_t code[256];
        size_t len = 0;
        unsigned n = 1 + (unsigned)(rnd() % 24);
        for (unsigned i = 0; i < n && len + 8 <= sizeof code; i++) {
            if (rnd() % 4 == 0) {
                uint16_t c = (uint16_t)rnd();
                if ((c & 3) == 3) c &= 0xfffe;
                struct rv_decoded d;
                rv_decode(c, &d);
                if (d.id == RV_ILLEGAL || !compiled_row(d.id)) continue;
                memcpy(code + len, &c, 2);
                len += 2;
            } else {
                uint32_t w = random_encoding(supported[rnd() % n_supported]);
                memcpy(code + len, &w, 4);
                len += 4;
            }
        }
        memcpy(code + len, &EBREAK, 4);
        len += 4;
        uint64_t x[32];
        for (int r = 0; r < 32; r++) x[r] = rnd() % 3 ? DATA + rnd() % DATA_RW : special();
        pair_load(&p, code, len, x);
        char what[64];
        snprintf(what, sizeof what, "block %d", k);
        for (int step = 0; step < 4; step++) pair_step(&p, 1 + rnd() % 12, what);
        pair_step(&p, 1000, what);
    }
    struct vm_stats st;
    vm_get_stats(p.vm[1], &st);
    assert_true(st.jit_blocks > 1000);
    pair_close(&p);
}

enum { T0 = 5, T1 = 6, T2 = 7, S0 = 8, T3 = 28 };
static uint32_t I_(unsigned id, unsigned rd, unsigned rs1, int32_t imm)
{
    return rv_insns[id].match | rd << 7 | rs1 << 15 | ((uint32_t)imm & 0xfff) << 20;
}
static uint32_t S_(unsigned id, unsigned rs1, unsigned rs2, int32_t imm)
{
    uint32_t i = (uint32_t)imm;
    return rv_insns[id].match | (i & 0x1f) << 7 | rs1 << 15 | rs2 << 20 | ((i >> 5) & 0x7f) << 25;
}

/* A store rewrites a later instruction of its own (compiled) block: the
 * block must end right after the store, and the new instruction run. */
static void test_self_modifying_block(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    uint32_t code[] = {
        S_(RV_sw, T1, T0, 12),        /* overwrites code[3] */
        I_(RV_addi, T2, T2, 1),
        I_(RV_addi, T2, T2, 1),
        I_(RV_addi, S0, S0, 1),       /* becomes addi s0, s0, 100 */
        EBREAK,
    };
    uint64_t x[32] = { 0 };
    x[T0] = I_(RV_addi, S0, S0, 100);
    x[T1] = CODE;
    for (int round = 0; round < 3; round++) {
        pair_load(&p, code, sizeof code, x);
        pair_step(&p, 100, "self-modifying block");
        for (int i = 0; i < 2; i++) {
            assert_int_equal(p.cpu[i]->x[S0], 100);
            assert_int_equal(p.cpu[i]->x[T2], 2);
            assert_int_equal(p.cpu[i]->icount, 4);       /* sw, 2 x addi, addi 100 */
            assert_int_equal(p.cpu[i]->pc, CODE + 16);   /* at the ebreak */
        }
    }
    struct vm_stats st;
    vm_get_stats(p.vm[1], &st);
    assert_true(st.jit_runs > 0 && st.tb_invalidated > 0);
    pair_close(&p);
}

/* FP loads and stores at the edges, with hand-checked results: fld across
 * a page end, flw NaN-boxing, fsd rewriting later instructions of its own
 * block (which must end right after it), and faulting fld/fsw with exact
 * pc, count, cause, tval and the f register untouched. */
static void test_fp_memory(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    enum { FT0 = 0, FT1 = 1, FT2 = 2, FT3 = 3 };
    uint32_t code[] = {
        I_(RV_fld, FT0, T0, 0),       /* t0 = DATA + 0xffc: crosses into the next page */
        I_(RV_flw, FT1, T0, 8),
        S_(RV_fsd, T1, FT2, 20),      /* t1 = CODE: overwrites code[5] and code[6] */
        I_(RV_addi, T2, T2, 1),
        I_(RV_addi, T2, T2, 1),
        I_(RV_addi, S0, S0, 1),       /* becomes addi s0, s0, 100 */
        I_(RV_addi, S0, S0, 1),       /* becomes ebreak */
        EBREAK,
    };
    uint64_t x[32] = { 0 };
    x[T0] = DATA + 0xffc;
    x[T1] = CODE;
    uint64_t f2 = (uint64_t)EBREAK << 32 | I_(RV_addi, S0, S0, 100);
    for (int round = 0; round < 3; round++) {
        pair_load(&p, code, sizeof code, x);
        for (int i = 0; i < 2; i++) p.cpu[i]->f[FT2] = f2;
        pair_step(&p, 100, "fp memory");
        uint64_t d0;
        uint32_t w1;
        assert_int_equal(vm_peek(p.vm[1], DATA + 0xffc, &d0, 8), 0);
        assert_int_equal(vm_peek(p.vm[1], DATA + 0x1004, &w1, 4), 0);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(p.cpu[i]->f[FT0], d0);
            assert_int_equal(p.cpu[i]->f[FT1], 0xffffffff00000000ull | w1);
            assert_int_equal(p.cpu[i]->x[S0], 100);
            assert_int_equal(p.cpu[i]->x[T2], 2);
            assert_int_equal(p.cpu[i]->icount, 6);
            assert_int_equal(p.cpu[i]->pc, CODE + 24);
        }
    }
    /* Faults: fld from the hole, fsw into the read-only page. */
    uint32_t faulting[][4] = {
        { I_(RV_addi, T2, T2, 1), I_(RV_fld, FT3, T0, 8), I_(RV_addi, T2, T2, 1), EBREAK },
        { I_(RV_addi, T2, T2, 1), S_(RV_fsw, T1, FT3, 8), I_(RV_addi, T2, T2, 1), EBREAK },
    };
    for (int k = 0; k < 2; k++) {
        uint64_t y[32] = { 0 };
        y[T0] = DATA + DATA_LEN - 8;       /* + 8: the hole */
        y[T1] = DATA + DATA_RW + 16 - 8;   /* + 8: read-only */
        pair_load(&p, faulting[k], sizeof faulting[k], y);
        uint64_t f3 = p.cpu[0]->f[FT3];
        pair_step(&p, 100, k ? "fsw fault" : "fld fault");
        for (int i = 0; i < 2; i++) {
            assert_int_equal(p.cpu[i]->icount, 1);
            assert_int_equal(p.cpu[i]->pc, CODE + 4);
            assert_int_equal(p.cpu[i]->x[T2], 1);
            assert_int_equal(p.cpu[i]->f[FT3], f3);
            struct vm_exit ex;
            assert_int_equal(vm_run(p.cpu[i], 100, &ex), 0);
            assert_int_equal(ex.reason, VM_EXIT_EXCEPTION);
            assert_int_equal(ex.cause, k ? RV_EXC_STORE_PAGE_FAULT : RV_EXC_LOAD_PAGE_FAULT);
            assert_int_equal(ex.tval, k ? DATA + DATA_RW + 16 : DATA + DATA_LEN);
        }
    }
    struct vm_stats st;
    vm_get_stats(p.vm[1], &st);
    assert_true(st.jit_runs > 0 && st.tb_invalidated > 0);
    pair_close(&p);
}

/* A loop of compiled blocks chained to each other (and to themselves),
 * stopped after random budgets: every stop is exact and resumes, and the
 * results are the hand-computed ones. */
static void test_chained_loop(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    uint32_t o = (uint32_t)-12; /* B-type immediate layout (ISA 2.3) */
    uint32_t bne = rv_insns[RV_bne].match | T2 << 15 | T0 << 20 | ((o >> 11) & 1) << 7 |
                   ((o >> 1) & 0xf) << 8 | ((o >> 5) & 0x3f) << 25 | ((o >> 12) & 1) << 31;
    uint32_t code[] = {
        I_(RV_addi, T2, T2, 1),
        S_(RV_sb, T1, T2, 0),
        I_(RV_addi, T1, T1, 1),
        bne,                           /* back to code[0] while t2 != t0 */
        I_(RV_addi, S0, S0, 5),
        rv_insns[RV_jal].match | (8u >> 1) << 21, /* jal x0, +8 */
        EBREAK,                        /* skipped */
        EBREAK,
    };
    struct rv_decoded d;
    rv_decode(bne, &d);
    assert_int_equal(d.id, RV_bne);
    assert_int_equal(d.imm, -12);
    uint64_t x[32] = { 0 };
    x[T0] = 1000;
    x[T1] = DATA + 16;
    for (int round = 0; round < 3; round++) {
        pair_load(&p, code, sizeof code, x);
        for (int guard = 0; guard < 10000 && p.cpu[0]->pc != CODE + 28; guard++)
            pair_step(&p, 1 + rnd() % (round == 2 ? 5000 : 300), "chained loop");
        for (int i = 0; i < 2; i++) {
            assert_int_equal(p.cpu[i]->pc, CODE + 28);
            assert_int_equal(p.cpu[i]->x[T2], 1000);
            assert_int_equal(p.cpu[i]->x[S0], 5);
            assert_int_equal(p.cpu[i]->icount, 4 * 1000 + 2);
            uint8_t b;
            assert_int_equal(vm_peek(p.vm[i], DATA + 16 + 999, &b, 1), 0);
            assert_int_equal(b, 1000 & 0xff);
        }
    }
    struct vm_stats st;
    vm_get_stats(p.vm[1], &st);
    /* Far fewer entries from the dispatcher than blocks run: chaining. */
    assert_true(st.jit_runs > 0 && st.jit_runs < 1000);
    pair_close(&p);
}

static uint32_t B_(unsigned id, unsigned rs1, unsigned rs2, int32_t off)
{
    uint32_t o = (uint32_t)off; /* B-type immediate layout (ISA 2.3) */
    return rv_insns[id].match | rs1 << 15 | rs2 << 20 | ((o >> 11) & 1) << 7 | ((o >> 1) & 0xf) << 8 |
           ((o >> 5) & 0x3f) << 25 | ((o >> 12) & 1) << 31;
}
static uint32_t J_(unsigned rd, int32_t off)
{
    uint32_t o = (uint32_t)off; /* J-type immediate layout (ISA 2.3) */
    return rv_insns[RV_jal].match | rd << 7 | ((o >> 12) & 0xff) << 12 | ((o >> 11) & 1) << 20 |
           ((o >> 1) & 0x3ff) << 21 | ((o >> 20) & 1) << 31;
}

/* Calls and returns between compiled blocks (return-address stack kept by
 * compiled code), stopped after random budgets, then run whole: results as
 * computed by hand, and the whole run stays in compiled code. */
static void test_calls(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    enum { RA = 1 };
    uint32_t code[] = {
        J_(RA, 16),                   /* 0: call f */
        I_(RV_addi, S0, S0, 1),       /* 4 */
        B_(RV_bne, S0, T0, -8),       /* 8: back to 0 while s0 != t0 */
        EBREAK,                       /* 12 */
        I_(RV_addi, T2, T2, 3),       /* 16: f */
        I_(RV_jalr, 0, RA, 0),        /* 20: ret */
    };
    uint64_t x[32] = { 0 };
    x[T0] = 500;
    for (int round = 0; round < 3; round++) {
        pair_load(&p, code, sizeof code, x);
        struct vm_stats before, after;
        vm_get_stats(p.vm[1], &before);
        if (round == 2) {
            pair_step(&p, 1000000, "calls");
        } else {
            for (int guard = 0; guard < 10000 && p.cpu[0]->pc != CODE + 12; guard++)
                pair_step(&p, 1 + rnd() % 200, "calls");
        }
        vm_get_stats(p.vm[1], &after);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(p.cpu[i]->pc, CODE + 12);
            assert_int_equal(p.cpu[i]->x[S0], 500);
            assert_int_equal(p.cpu[i]->x[T2], 1500);
            assert_int_equal(p.cpu[i]->icount, 500 * 5);
        }
        /* 1500 block runs; compiled code follows calls and returns itself. */
        if (round == 2) assert_true(after.jit_runs - before.jit_runs < 20);
    }
    pair_close(&p);
}

/* Indirect calls alternating between two functions (the inline cache
 * misses every time): compiled code finds the target in the jump cache and
 * stays compiled; results and counts as computed by hand. */
static void test_indirect_calls(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    enum { RA = 1, T3 = 28, T4 = 29 };
#define R_(id, rd, rs1, rs2) (rv_insns[RV_##id].match | (rd) << 7 | (rs1) << 15 | (rs2) << 20)
    uint32_t code[] = {
        I_(RV_jalr, RA, T3, 0),       /* 0: call *t3 */
        R_(xor, T3, T3, T4),          /* 4: swap t3, t4 */
        R_(xor, T4, T3, T4),          /* 8 */
        R_(xor, T3, T3, T4),          /* 12 */
        I_(RV_addi, S0, S0, 1),       /* 16 */
        B_(RV_bne, S0, T0, -20),      /* 20: back to 0 while s0 != t0 */
        EBREAK,                       /* 24 */
        I_(RV_addi, T2, T2, 3),       /* 28: f */
        I_(RV_jalr, 0, RA, 0),        /* 32: ret */
        I_(RV_addi, T2, T2, 5),       /* 36: g */
        I_(RV_jalr, 0, RA, 0),        /* 40: ret */
    };
#undef R_
    uint64_t x[32] = { 0 };
    x[T0] = 500;
    x[T3] = CODE + 28;
    x[T4] = CODE + 36;
    for (int round = 0; round < 3; round++) {
        pair_load(&p, code, sizeof code, x);
        struct vm_stats before, after;
        vm_get_stats(p.vm[1], &before);
        for (int guard = 0; guard < 10000 && p.cpu[0]->pc != CODE + 24; guard++)
            pair_step(&p, round == 2 ? 1000000 : 1 + rnd() % 200, "indirect calls");
        vm_get_stats(p.vm[1], &after);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(p.cpu[i]->pc, CODE + 24);
            assert_int_equal(p.cpu[i]->x[T2], 250 * 3 + 250 * 5);
            assert_int_equal(p.cpu[i]->icount, 500 * 8);
        }
        if (round == 2) assert_true(after.jit_runs - before.jit_runs < 20);
    }
    pair_close(&p);
}

/* A chained jump between two compiled blocks follows the target's
 * invalidation: after the second block's code is rewritten (by the host
 * here, as a store or munmap would), the first one reaches the new code,
 * not the stale compiled copy, and still chains once it is compiled. */
static void test_relink(void **state)
{
    (void)state;
    struct pair p;
    /* Round by round block B is rewritten; A reaches it by a direct jump,
     * then (indirect) through jalr, whose target the JIT's jump cache
     * holds: the rewrite must drop that entry too. */
    for (int indirect = 0; indirect < 2; indirect++) {
    pair_open(&p, 0);
    for (int round = 0; round < 4; round++) {
        int32_t k = 1 + round;
        uint32_t code[] = {
            I_(RV_addi, T2, T2, 1),       /* 0: block A */
            indirect ? I_(RV_jalr, 0, T3, 0) : J_(0, 8), /* 4: to 12 */
            EBREAK,                       /* 8 */
            I_(RV_addi, T1, T1, k),       /* 12: block B */
            B_(RV_bne, T2, T0, -16),      /* 16: back to A while t2 != t0 */
            EBREAK,                       /* 20 */
        };
        uint64_t x[32] = { 0 };
        x[T0] = 300;
        x[T3] = CODE + 12;
        if (round == 0) {
            pair_load(&p, code, sizeof code, x);
        } else {
            /* Only block B changes; A's compiled code stays. */
            for (int i = 0; i < 2; i++) {
                assert_int_equal(vm_poke(p.vm[i], CODE + 12, &code[3], 4), 0);
                struct vm_cpu *c = p.cpu[i];
                memcpy(c->x, x, sizeof x);
                c->pc = CODE;
                c->icount = 0;
            }
        }
        struct vm_stats before, after;
        vm_get_stats(p.vm[1], &before);
        for (int guard = 0; guard < 10000 && p.cpu[0]->pc != CODE + 20; guard++)
            pair_step(&p, round == 3 ? 1000000 : 1 + rnd() % 100, "relink");
        vm_get_stats(p.vm[1], &after);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(p.cpu[i]->pc, CODE + 20);
            assert_int_equal(p.cpu[i]->x[T1], 300 * (uint64_t)k);
            assert_int_equal(p.cpu[i]->icount, 300 * 4);
        }
        if (round == 3) assert_true(after.jit_runs - before.jit_runs < 10);
    }
    pair_close(&p);
    }
}

/* Runs of loads and stores through one base register (checked once as a
 * group when their span is inside one page the page flags allow; else
 * the run executes again with every access checked): random runs of
 * integer and FP loads and stores of every size, offsets that make spans
 * fit a page or cross it, misaligned ones, the base aimed at data, a page
 * end, the read-only page, the hole and the block's own code, a member
 * loading into the base register; against the interpreter, with random
 * budgets. */
static void test_access_groups(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    static const unsigned ids[] = { RV_ld, RV_lw, RV_lwu, RV_lh, RV_lhu, RV_lb, RV_lbu, RV_sd, RV_sw,
                                    RV_sh, RV_sb, RV_fld, RV_flw, RV_fsd, RV_fsw };
    enum { BASE = 10 }; /* a0 */
    unsigned groups_run = 0;
    for (int k = 0; k < 3000 * long_factor; k++) {
        uint32_t code[40];
        unsigned n = 0, members = 2 + (unsigned)(rnd() % 8);
        int spread = rnd() % 4 == 0 ? 4096 : rnd() % 2 ? 256 : 64;
        for (unsigned i = 0; i < members; i++) {
            unsigned id = ids[rnd() % (sizeof ids / sizeof ids[0])];
            const struct rv_insn_desc *r = &rv_insns[id];
            int32_t imm = (int32_t)(rnd() % (unsigned)spread) - spread / 2;
            if (rnd() % 3) imm &= ~7; /* mostly aligned */
            unsigned reg = 5 + (unsigned)(rnd() % 4);                 /* t0-t3 / ft5-ft8 */
            if (i == members - 1 && rnd() % 4 == 0) reg = BASE;        /* loads into the base */
            uint32_t w;
            uint32_t u = (uint32_t)imm & 0xfff;
            if (r->flags & RVF_STORE)
                w = r->match | (u & 0x1f) << 7 | BASE << 15 | reg << 20 | (u >> 5) << 25;
            else
                w = r->match | reg << 7 | BASE << 15 | u << 20;
            code[n++] = w;
        }
        code[n++] = I_(RV_addi, S0, S0, 1);
        code[n++] = EBREAK;
        uint64_t x[32];
        for (int r = 0; r < 32; r++) x[r] = rnd();
        uint64_t target;
        switch (rnd() % 8) {
        case 0: target = DATA + DATA_RW - 64 + rnd() % 128; break;  /* into read-only */
        case 1: target = DATA + DATA_LEN - 64 + rnd() % 128; break; /* into the hole */
        case 2: target = DATA + 0x1000 - 64 + rnd() % 128; break;   /* a page end */
        case 3: target = CODE + rnd() % 64; break;                  /* own code */
        default: target = DATA + 2048 + rnd() % 2048; break;
        }
        x[BASE] = target;
        pair_load(&p, code, n * 4, x);
        char what[64];
        snprintf(what, sizeof what, "access group %d", k);
        if (rnd() % 2) pair_step(&p, 1 + rnd() % members, what);
        pair_step(&p, 1000, what);
        groups_run++;
    }
    assert_true(groups_run > 1000);
    pair_close(&p);
}

/* instret read by compiled blocks reached by chaining: the count is exact
 * there too (compiled code keeps it in registers between blocks). */
static void test_instret(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    enum { S1 = 9, A0 = 10 };
    uint32_t code[] = {
        I_(RV_addi, T2, T2, 1),                                   /* 0 */
        B_(RV_bne, T2, T0, -4),                                   /* 4: inner loop */
        rv_insns[RV_csrrs].match | S0 << 7 | 0xc02u << 20,        /* 8: csrr s0, instret */
        rv_insns[RV_add].match | S1 << 7 | S1 << 15 | S0 << 20,   /* 12: s1 += s0 */
        I_(RV_addi, T0, T0, 10),                                  /* 16 */
        B_(RV_bne, T0, A0, -20),                                  /* 20: outer loop */
        EBREAK,                                                   /* 24 */
    };
    uint64_t x[32] = { 0 };
    x[T0] = 10;
    x[A0] = 40;
    for (int round = 0; round < 3; round++) {
        pair_load(&p, code, sizeof code, x);
        pair_step(&p, 1000, "instret");
        for (int i = 0; i < 2; i++) {
            /* instret at the csrr: 20, 20+4+20, 44+4+20 */
            assert_int_equal(p.cpu[i]->x[S0], 68);
            assert_int_equal(p.cpu[i]->x[S1], 20 + 44 + 68);
            assert_int_equal(p.cpu[i]->icount, 72);
            assert_int_equal(p.cpu[i]->pc, CODE + 24);
        }
    }
    pair_close(&p);
}

/* A faulting load in the middle of a compiled block: exact pc, exact
 * count, registers written before it kept, after it untouched. */
static void test_fault_mid_block(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    uint32_t code[] = {
        I_(RV_addi, T2, T2, 1),
        I_(RV_addi, T2, T2, 1),
        I_(RV_ld, S0, T0, 8),         /* T0 + 8 is in the hole */
        I_(RV_addi, T2, T2, 1),
        EBREAK,
    };
    uint64_t x[32] = { 0 };
    x[T0] = DATA + DATA_LEN - 8;
    x[S0] = 77;
    pair_load(&p, code, sizeof code, x);
    pair_step(&p, 100, "fault mid-block");
    struct vm_exit ex;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(p.cpu[i]->icount, 2);
        assert_int_equal(p.cpu[i]->pc, CODE + 8);
        assert_int_equal(p.cpu[i]->x[T2], 2);
        assert_int_equal(p.cpu[i]->x[S0], 77);
        /* The platform would handle it; here, skip it and go on. */
        p.cpu[i]->pc += 4;
        p.cpu[i]->icount++;
    }
    pair_step(&p, 100, "after the fault");
    assert_int_equal(vm_run(p.cpu[1], 0, &ex), 0);
    assert_int_equal(p.cpu[1]->x[T2], 3);
    pair_close(&p);
}

/* The registers kept in host registers across chained blocks (a5, a4,
 * sp: jit.c, fixed_guest) written in one block and read in the next, a
 * handler call (csrr instret, amoadd.d) between them that must see and may
 * change them in memory, stops after random budgets at any block (each
 * return to the dispatcher must store them), a faulting load at the end:
 * the interpreter's registers, memory and counts at every stop. */
static void test_fixed_registers(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    enum { SP = 2, A4 = 14, A5 = 15, A0 = 10 };
    uint32_t amoadd = rv_insns[RV_amoadd_d].match | A4 << 7 | T1 << 15 | A5 << 20;
    uint32_t instret = rv_insns[RV_csrrs].match | A0 << 7 | 0xc02u << 20;
    uint32_t code[] = {
        I_(RV_addi, A5, A5, 3),                                  /* 0: block 1 */
        I_(RV_addi, SP, SP, -16),                                /* 4 */
        rv_insns[RV_jal].match | (8u >> 1) << 21,                /* 8: jal x0, +8 */
        EBREAK,                                                  /* 12: skipped */
        rv_insns[RV_add].match | A4 << 7 | A5 << 15 | SP << 20,  /* 16: block 2 */
        amoadd,                                                  /* 20: a4 = mem, mem += a5 */
        instret,                                                 /* 24 */
        S_(RV_sd, SP, A4, 8),                                    /* 28 */
        I_(RV_addi, SP, SP, 16),                                 /* 32 */
        I_(RV_addi, T2, T2, 1),                                  /* 36 */
        B_(RV_bne, T2, T0, -40),                                 /* 40: back to 0 */
        I_(RV_ld, A5, A4, 0),                                    /* 44: a4 is no address */
        EBREAK,                                                  /* 48 */
    };
    uint64_t x[32] = { 0 };
    x[T0] = 300;
    x[T1] = DATA + 64;
    x[SP] = DATA + 0x800;
    for (int round = 0; round < 3; round++) {
        pair_load(&p, code, sizeof code, x);
        for (int guard = 0; guard < 20000 && p.cpu[0]->pc != CODE + 44; guard++)
            pair_step(&p, 1 + rnd() % (round == 2 ? 3000 : 40), "fixed registers");
        pair_step(&p, 10, "fixed registers: the fault");
        for (int i = 0; i < 2; i++) {
            assert_int_equal(p.cpu[i]->pc, CODE + 44);
            assert_int_equal(p.cpu[i]->x[T2], 300);
            assert_int_equal(p.cpu[i]->x[SP], DATA + 0x800);
            assert_int_equal(p.cpu[i]->x[A5], x[A5] + 3 * 300);
            assert_int_equal(p.cpu[i]->icount, 10 * 300);
        }
    }
    pair_close(&p);
}

/* Compiled loads and stores leave the page-rights check to the host MMU
 * (vm/mem.c mirrors the guest's rights, the fault handler resumes in the
 * access's slow path): the rights must follow every vm_protect, also of
 * code compiled before it, and a mapped page without rights refuses
 * loads. A loop loading then storing through t0 runs after each change. */
static void test_rights_change(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    uint32_t code[] = {
        I_(RV_ld, T1, T0, 0),         /* 0 */
        S_(RV_sd, T0, T1, 8),         /* 4 */
        I_(RV_addi, T2, T2, 1),       /* 8 */
        B_(RV_bne, T2, S0, -12),      /* 12 */
        I_(RV_lw, T1, T3, 0),         /* 16: misaligned, across two pages */
        EBREAK,                       /* 20 */
    };
    uint64_t x[32] = { 0 };
    x[T0] = DATA;
    x[S0] = 100;
    x[T3] = DATA + 0xffe;
    static const struct { unsigned prot; unsigned cause; uint64_t pc; } steps[] = {
        { VM_PROT_READ | VM_PROT_WRITE, 0, CODE + 20 },
        { VM_PROT_READ, RV_EXC_STORE_PAGE_FAULT, CODE + 4 },
        { VM_PROT_NONE, RV_EXC_LOAD_PAGE_FAULT, CODE },
        { VM_PROT_WRITE, 0, CODE + 20 },  /* writable implies readable */
        { VM_PROT_EXEC, RV_EXC_LOAD_PAGE_FAULT, CODE },
        { VM_PROT_READ | VM_PROT_WRITE, 0, CODE + 20 },
    };
    pair_load(&p, code, sizeof code, x);
    pair_step(&p, 100000, "rights: compile"); /* every block compiled and run */
    for (unsigned k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        for (int i = 0; i < 2; i++) {
            assert_int_equal(vm_protect(p.vm[i], DATA, 0x1000, steps[k].prot), 0);
            memcpy(p.cpu[i]->x, x, sizeof x);
            p.cpu[i]->pc = CODE;
        }
        struct vm_exit ex[2];
        for (int i = 0; i < 2; i++) assert_int_equal(vm_run(p.cpu[i], 100000, &ex[i]), 0);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(ex[i].cause, steps[k].cause ? steps[k].cause : RV_EXC_BREAKPOINT);
            assert_int_equal(ex[i].pc, steps[k].pc);
            if (steps[k].cause) assert_int_equal(ex[i].tval, steps[k].pc == CODE ? DATA : DATA + 8);
            assert_int_equal(p.cpu[i]->x[T2], steps[k].cause ? 0 : 100);
        }
        uint8_t b[2][16];
        for (int i = 0; i < 2; i++) assert_int_equal(vm_peek(p.vm[i], DATA, b[i], sizeof b[i]), 0);
        assert_memory_equal(b[0], b[1], sizeof b[0]);
    }
    /* A page the guest may not read: only the kernel's copies reach it. */
    uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, r[8];
    assert_int_equal(vm_protect(p.vm[1], DATA, 0x1000, VM_PROT_NONE), 0);
    assert_null(vm_host_ptr(p.vm[1], DATA, 8, VM_PROT_NONE));
    assert_int_equal(vm_read(p.vm[1], DATA, r, 8), -EFAULT);
    assert_int_equal(vm_poke(p.vm[1], DATA, w, 8), 0);
    assert_int_equal(vm_peek(p.vm[1], DATA, r, 8), 0);
    assert_memory_equal(r, w, 8);
    memcpy(p.cpu[1]->x, x, sizeof x);
    p.cpu[1]->pc = CODE;
    struct vm_exit ex;
    assert_int_equal(vm_run(p.cpu[1], 100000, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_LOAD_PAGE_FAULT); /* still refused after the copies */
    pair_close(&p);
}

/* Writes into a page holding compiled code from every writer, each
 * followed by a run of the rewritten instruction (which must be the new
 * one): a compiled store into another block of the page (the host mapping
 * refuses stores into translated code: the store faults into its slow
 * path, which drops the page's translations), the host kernel filling a
 * buffer there through vm_host_ptr (read(2) from a pipe, which fails with
 * EFAULT if the host still refuses), and an atomic (the interpreter's
 * handler, through vm_mem_rmw). JIT against the interpreter. */
static void test_code_page_writes(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    enum { B = 0x100, C = 0x200 };
    uint32_t code[0x300 / 4] = { 0 };
    code[0] = S_(RV_sw, T1, T0, 0);               /* 0: rewrite B's first instruction */
    code[1] = I_(RV_addi, T2, T2, 1);
    code[2] = J_(0, B - 8);                       /* jump to B */
    code[B / 4] = I_(RV_addi, S0, S0, 1);         /* B */
    code[B / 4 + 1] = EBREAK;
    code[C / 4] = rv_insns[RV_amoadd_w].match | T1 << 15 | T3 << 20; /* C: B's word += t3 */
    code[C / 4 + 1] = J_(0, B - C - 4);
    uint64_t x[32] = { 0 };
    x[T0] = I_(RV_addi, S0, S0, 1);
    x[T1] = CODE + B;
    x[T3] = 1u << 20;                             /* imm + 1 */
    static const struct { const char *what; uint64_t pc, t0; int32_t s0; } steps[] = {
        { "compile A and B", CODE, 0, 1 },
        { "compiled store into B", CODE, 1, 100 },
        { "read(2) into B", CODE + B, 0, 7 },
        { "atomic into B", CODE + C, 0, 8 },
    };
    pair_load(&p, code, sizeof code, x);
    for (unsigned k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        for (int i = 0; i < 2; i++) {
            struct vm_cpu *c = p.cpu[i];
            memcpy(c->x, x, sizeof x);
            if (steps[k].t0) c->x[T0] = I_(RV_addi, S0, S0, 100);
            c->pc = steps[k].pc;
            if (k == 2) {
                /* As a syscall lets the host kernel fill a guest buffer. */
                uint32_t w = I_(RV_addi, S0, S0, 7);
                int fd[2];
                assert_int_equal(pipe(fd), 0);
                assert_int_equal(write(fd[1], &w, 4), 4);
                void *h = vm_host_ptr(p.vm[i], CODE + B, 4, VM_PROT_WRITE);
                assert_non_null(h);
                assert_int_equal(read(fd[0], h, 4), 4);
                vm_code_written(p.vm[i], CODE + B, 4);
                close(fd[0]);
                close(fd[1]);
            }
        }
        struct vm_exit ex[2];
        for (int i = 0; i < 2; i++) assert_int_equal(vm_run(p.cpu[i], 1000, &ex[i]), 0);
        for (int i = 0; i < 2; i++) {
            if (ex[i].cause != RV_EXC_BREAKPOINT || p.cpu[i]->x[S0] != (uint64_t)steps[k].s0)
                fail_msg("%s: %s: exit cause %u, s0 %lld (want %d)", steps[k].what,
                         i ? "jit" : "interp", (unsigned)ex[i].cause,
                         (long long)p.cpu[i]->x[S0], steps[k].s0);
            assert_int_equal(ex[i].pc, CODE + B + 4);
        }
    }
    struct vm_stats st;
    vm_get_stats(p.vm[1], &st);
    assert_true(st.jit_blocks >= 3 && st.tb_invalidated >= 3);
    pair_close(&p);
}

/* A fault that is no guest access of compiled code (a bug in reprise)
 * still ends the process with SIGSEGV once the JIT's handler is installed,
 * instead of being taken for a guest fault or repeating forever. */
static void test_foreign_fault(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        struct pair p;
        pair_open(&p, 0);
        uint32_t code[] = { I_(RV_ld, T1, T0, 0), EBREAK };
        uint64_t x[32] = { 0 };
        x[T0] = DATA;
        pair_load(&p, code, sizeof code, x);
        pair_step(&p, 100, "foreign fault");
        volatile int *volatile bad = (volatile int *)(uintptr_t)16;
        *bad = 1;
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSEGV);
}

/* A code cache far too small for the program: it is flushed again and
 * again, always between blocks, and results do not change. */
/* A stop requested by an instrumentation callback (as the debugger and
 * the tracer's --limit do) ends the run at the end of the block that made
 * the call, in compiled code as in the interpreter: the JIT checks for a
 * stop only on the exits of blocks that call out (its chained entries do
 * not). Two loops: one block onto itself, and two blocks chained through
 * a jal, the callback in the first; the stop comes at a random iteration.
 * Without a stop, the instrumented loop still runs chained. */
struct stop_cb { unsigned calls, stop_at; };

/* A vm of the given engine with instrumentation *ins (which must outlive
 * it), len bytes of code at CODE (read+execute) and DATA read+write; its
 * cpu at CODE is returned, the vm in *out. */
static struct vm_cpu *instrumented_cpu(int engine, const struct vm_instrument *ins,
                                       const void *code, size_t len, struct vm **out)
{
    char err[256];
    struct vm_config c = { .addr_bits = 32, .instrument = ins };
    c.engine.engine = engine;
    if (vm_create(&c, out, err, sizeof err)) fail_msg("vm_create: %s", err);
    assert_int_equal(vm_map(*out, CODE, 0x1000, VM_PROT_READ | VM_PROT_EXEC), 0);
    assert_int_equal(vm_map(*out, DATA, DATA_RW, VM_PROT_READ | VM_PROT_WRITE), 0);
    assert_int_equal(vm_poke(*out, CODE, code, len), 0);
    struct vm_cpu *cpu = vm_cpu_create(*out);
    assert_non_null(cpu);
    cpu->pc = CODE;
    return cpu;
}
static void cb_maybe_stop(void *u, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    struct stop_cb *s = u;
    (void)pc;
    (void)icount;
    if (++s->calls == s->stop_at) vm_cpu_request_stop(cpu);
}
static void hook_stop(void *ctx, struct vm_tb_desc *tb)
{
    for (unsigned i = 0; i < tb->n_insns; i++)
        if (tb->insns[i].pc == CODE + 4) {
            tb->insns[i].exec_cb = cb_maybe_stop;
            tb->insns[i].exec_udata = ctx;
        }
}

static void test_stop_request(void **state)
{
    (void)state;
    const uint32_t self_loop[] = {
        I_(RV_addi, T2, T2, 1),
        S_(RV_sb, T1, T2, 0),          /* the callback's instruction */
        I_(RV_addi, T1, T1, 1),
        B_(RV_bne, T2, T0, -12),
        EBREAK,
    };
    const uint32_t two_blocks[] = {
        I_(RV_addi, T2, T2, 1),
        S_(RV_sb, T1, T2, 0),          /* the callback's instruction */
        J_(0, 4),                      /* ends the first block */
        I_(RV_addi, T1, T1, 1),
        B_(RV_bne, T2, T0, -16),
        EBREAK,
    };
    const uint32_t *codes[] = { self_loop, two_blocks };
    const size_t lens[] = { sizeof self_loop, sizeof two_blocks };
    for (int round = 0; round < 8; round++) {
        int shape = round & 1;
        struct stop_cb cb[2];
        struct vm_instrument ins[2];
        struct vm_exit ex[2];
        struct vm *vm[2];
        struct vm_cpu *cpu[2];
        unsigned stop_at = round < 6 ? 1 + (unsigned)(rnd() % 900) : 0; /* 0: never */
        for (int i = 0; i < 2; i++) {
            ins[i] = (struct vm_instrument){ .ctx = &cb[i], .translate = hook_stop };
            cpu[i] = instrumented_cpu(i ? VM_ENGINE_JIT : VM_ENGINE_INTERP, &ins[i], codes[shape],
                                      lens[shape], &vm[i]);
            cpu[i]->x[T0] = 1000;
            cpu[i]->x[T1] = DATA + 16;
            cb[i] = (struct stop_cb){ 0, stop_at };
            assert_int_equal(vm_run(cpu[i], 1000000, &ex[i]), 0);
        }
        /* The stop ends the callback's block: the loop's, or the first
         * of the two (3 instructions into the 5 of an iteration). */
        unsigned per = shape ? 5 : 4;
        uint64_t stop_icount = shape ? (uint64_t)(stop_at - 1) * 5 + 3 : (uint64_t)stop_at * 4;
        uint64_t stop_pc = shape ? CODE + 12 : CODE;
        for (int i = 0; i < 2; i++) {
            if (stop_at) {
                if (ex[i].reason != VM_EXIT_STOPPED || cpu[i]->icount != stop_icount)
                    fail_msg("%s, stop at call %u (seed %llu): %s exit %d at icount %llu",
                             shape ? "two blocks" : "self loop", stop_at, (unsigned long long)seed,
                             i ? "jit" : "interp", ex[i].reason,
                             (unsigned long long)cpu[i]->icount);
                assert_int_equal(cpu[i]->pc, stop_pc);
                assert_int_equal(cb[i].calls, stop_at);
            } else {
                assert_int_equal(ex[i].reason, VM_EXIT_EXCEPTION);
                assert_int_equal(cpu[i]->icount, 1000ull * per);
                assert_int_equal(cb[i].calls, 1000);
            }
        }
        if (!stop_at) {
            struct vm_stats st;
            vm_get_stats(vm[1], &st);
            assert_true(st.jit_runs > 0 && st.jit_runs < 100); /* chained, not dispatched */
        }
        for (int i = 0; i < 2; i++) vm_destroy(vm[i]);
    }
}

/* The W operations the JIT emits without a sign extension when their
 * operand is known to lie in [0, 2^31) (struct cc, small): random blocks
 * of the instructions that establish it (andi with any mask, negative
 * ones included, srliw by any amount, 0 included, sltu, zext.h) and of
 * those that use it (negw, sext.w, addw/subw from x0) and of others that
 * clobber it, on three registers so that they feed each other; JIT against
 * the interpreter. */
#define R_(id, rd, rs1, rs2) (rv_insns[RV_##id].match | (rd) << 7 | (rs1) << 15 | (rs2) << 20)
static void test_small_values(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, 0);
    const unsigned regs[3] = { T0, T1, T2 };
    for (int k = 0; k < 2000 * long_factor; k++) {
        uint32_t code[40];
        unsigned n = 2 + (unsigned)(rnd() % 30);
        for (unsigned i = 0; i < n; i++) {
            unsigned rd = regs[rnd() % 3], rs = regs[rnd() % 3], rt = regs[rnd() % 3];
            int32_t imm = (int32_t)(rnd() % 4096) - 2048;
            switch (rnd() % 9) {
            case 0: code[i] = I_(RV_andi, rd, rs, imm); break;
            case 1: code[i] = I_(RV_srliw, rd, rs, (int32_t)(rnd() % 32)); break;
            case 2: code[i] = R_(sltu, rd, rs, rt); break;
            case 3: code[i] = rv_insns[RV_zext_h].match | rd << 7 | rs << 15; break;
            case 4: code[i] = R_(subw, rd, 0, rs); break;            /* negw */
            case 5: code[i] = I_(RV_addiw, rd, rs, 0); break;         /* sext.w */
            case 6: code[i] = R_(addw, rd, 0, rs); break;
            case 7: code[i] = I_(RV_addi, rd, rs, imm); break;        /* clobbers */
            default: code[i] = R_(sub, rd, rs, rt); break;
            }
        }
        code[n] = EBREAK;
        uint64_t x[32];
        for (int r = 0; r < 32; r++) x[r] = special();
        pair_load(&p, code, (n + 1) * 4, x);
        char what[64];
        snprintf(what, sizeof what, "small values %d", k);
        pair_step(&p, 1 + rnd() % 40, what);
        pair_step(&p, 1000, what);
    }
    pair_close(&p);
}

/* A callback may change registers (a debugger's "set $t0 = ..."): what the
 * JIT knew of them before it no longer holds. */
static void cb_clobber_t0(void *u, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    (void)u;
    (void)pc;
    (void)icount;
    cpu->x[T0] = 0x100000001ull;
}
static void hook_clobber(void *ctx, struct vm_tb_desc *tb)
{
    (void)ctx;
    for (unsigned i = 0; i < tb->n_insns; i++)
        if (tb->insns[i].pc == CODE + 4) tb->insns[i].exec_cb = cb_clobber_t0;
}

static void test_small_after_callback(void **state)
{
    (void)state;
    const uint32_t code[] = {
        I_(RV_andi, T0, T0, 7),        /* t0 in [0, 7] */
        I_(RV_addi, T1, T1, 1),        /* its callback sets t0 = 2^32 + 1 */
        R_(subw, T2, 0, T0),           /* negw: -1, from the low 32 bits */
        EBREAK,
    };
    const struct vm_instrument ins = { .translate = hook_clobber };
    for (int i = 0; i < 2; i++) {
        struct vm *vm;
        struct vm_cpu *cpu =
            instrumented_cpu(i ? VM_ENGINE_JIT : VM_ENGINE_INTERP, &ins, code, sizeof code, &vm);
        cpu->x[T0] = 0x1234;
        struct vm_exit ex;
        assert_int_equal(vm_run(cpu, 100, &ex), 0);
        assert_int_equal(ex.reason, VM_EXIT_EXCEPTION);
        assert_int_equal(cpu->x[T2], (uint64_t)-1);
        vm_destroy(vm);
    }
}
#undef R_

static void test_cache_flush(void **state)
{
    (void)state;
    collect_supported();
    struct pair p;
    pair_open(&p, 4); /* 4 KiB */
    uint32_t code[1024];
    unsigned n = 0;
    /* 60 blocks of a few ALU instructions, each ending in a jal to the next. */
    for (int b = 0; b < 60; b++) {
        for (int i = 0; i < 8; i++) code[n++] = I_(RV_addi, T2, T2, b + i);
        code[n++] = rv_insns[RV_jal].match | (4u >> 1 & 0x3ff) << 21; /* jal x0, +4 */
    }
    code[n++] = EBREAK;
    uint64_t x[32] = { 0 };
    for (int round = 0; round < 5; round++) {
        pair_load(&p, code, n * 4, x);
        pair_step(&p, 100000, "cache flush");
    }
    struct vm_stats st;
    vm_get_stats(p.vm[1], &st);
    assert_true(st.jit_flushes > 5);
    assert_true(st.jit_blocks > 60);
    pair_close(&p);
}

int main(void)
{
    const char *lt = getenv("REPRISE_LONG_TESTS");
    if (lt && *lt && strcmp(lt, "0")) long_factor = 10;
    const char *s = getenv("JIT_TEST_SEED");
    seed = s ? strtoull(s, NULL, 0) : 0x5eed1234abcdull;
    rng_state = seed ? seed : 1;
    printf("test_jit: seed %llu (rerun: JIT_TEST_SEED=%llu)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_fp),
        cmocka_unit_test(test_fp_blocks),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_self_modifying_block),
        cmocka_unit_test(test_fault_mid_block),
        cmocka_unit_test(test_fp_memory),
        cmocka_unit_test(test_chained_loop),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_relink),
        cmocka_unit_test(test_fp_tiny_rounds_up),
        cmocka_unit_test(test_access_groups),
        cmocka_unit_test(test_indirect_calls),
        cmocka_unit_test(test_instret),
        cmocka_unit_test(test_cache_flush),
        cmocka_unit_test(test_fixed_registers),
        cmocka_unit_test(test_rights_change),
        cmocka_unit_test(test_code_page_writes),
        cmocka_unit_test(test_foreign_fault),
        cmocka_unit_test(test_stop_request),
        cmocka_unit_test(test_small_values),
        cmocka_unit_test(test_small_after_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
