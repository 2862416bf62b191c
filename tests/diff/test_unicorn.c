/*
 * test_unicorn.c - instruction-level differential test of reprise's VM
 * against Unicorn 2.0.1 (QEMU 5.0's RISC-V TCG), one random instruction
 * sequence at a time.
 *
 * Every sequence is 8-32 instructions drawn from the instruction table
 * (diffgen.c): RV64I/M/A/F/D, compressed encodings, Zicsr on fflags/frm/fcsr,
 * random static, dynamic and reserved rounding modes, loads/stores/LR/SC/AMOs
 * through base registers that point into a data buffer (misaligned ones too),
 * forward branches and jumps, and now and then an illegal encoding. Not
 * generated: ecall, ebreak, fence.i (the harness's business), the cycle/time/
 * instret CSRs (defined differently in Unicorn) and Zba/Zbb/Zbs, which
 * Unicorn 2.0.1 lacks (they decode as illegal there; test_qemu_bitmanip.c
 * covers them against qemu-riscv64).
 *
 * Both machines start from the same random state (x1-x31, f0-f31 with
 * special values and improperly NaN-boxed singles, fcsr, a 16 KiB data
 * buffer) and run to the end of the sequence or to the first exception. The
 * comparison covers x1-x31, f0-f31, fflags, frm, pc, the data buffer, and for
 * an exception the faulting pc and the cause.
 *
 * Misaligned plain loads and stores: reprise performs them (as Linux does
 * for user programs; the Unprivileged ISA, section 2.6, lets the execution
 * environment choose), and so does Unicorn (QEMU's softmmu in M-mode), so
 * they are compared like any access. LR/SC/AMOs trap when misaligned in
 * both (see AMOCAUSE for the cause Unicorn reports).
 *
 * Reprise runs each sequence on one of three vms in turn: default blocks,
 * blocks of at most 3 instructions, and one with every instrumentation hook
 * requested, whose exec callbacks must see Unicorn's path and icounts.
 *
 * Layout: code in a 64 KiB ring at 0x10000 (each sequence at a random 2-byte
 * aligned place, so translations are overwritten and invalidated and some
 * instructions straddle pages), read and execute only, so that a wild
 * store faults in both instead of changing code one of them will read;
 * data at 0x20000. Registers the generator
 * never writes: sp (x2) and B (one of x8-x15), data pointers; C, which holds
 * the address of the end of the sequence, the target of jalr/c.jr/c.jalr.
 * sp moves only by c.addi16sp/c.addi within a budget. After the sequence
 * comes an ebreak: reprise runs with a budget larger than any path and stops
 * there; Unicorn is told to stop at that address.
 *
 * Where Unicorn deviates from the ratified spec (RISC-V Unprivileged ISA
 * 20191213; A extension 2.1, F 2.2, D 2.2), reprise is not weakened: the
 * comparison works around the oracle, and says so (see ORACLE DEVIATIONS).
 *
 * Usage: test_unicorn [--seed N] [--count N] [--first K] [--only K] [--verbose]
 * (--first: start at sequence K, --only: run sequence K alone)
 * REPRISE_LONG_TESTS=1 runs 10x the count. The last line of output is
 * "N passed, N failed, N skipped"; the exit status is 1 on any failure.
 */
#include "diffgen.h"

#include "cpu.h"
#include "isa.h"
#include "vm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

/*
 * ORACLE DEVIATIONS (Unicorn 2.0.1 = QEMU 5.0 RISC-V), each checked by hand
 * against the ratified spec, and how the test handles it:
 *
 * NANBOX   Unicorn does not NaN-box binary32 results (fadd.s, fmv.w.x, fcvt.s.d,
 *          ... leave bits 63:32 zero) and does not check that binary32
 *          operands are NaN-boxed (it uses bits 31:0). Spec: F 2.2, section
 *          12.2 "NaN Boxing of Narrower Values" (20191213): results are boxed,
 *          improperly boxed inputs read as the canonical NaN. The harness
 *          makes Unicorn follow the rule: before an instruction that reads a
 *          binary32 operand it replaces an improperly boxed operand with the
 *          canonical NaN (restored after the instruction), and after an
 *          instruction with a binary32 result it boxes the result. Counted
 *          as "NaN-boxing fixups"; these sequences still count as passed.
 * FMINMAX  fmin/fmax with a signalling NaN operand: Unicorn returns the
 *          canonical NaN (IEEE 754-2008 minNum); F 2.2 section 11.6 (and 12.x
 *          for D) defines minimumNumber/maximumNumber: "If only one operand
 *          is a NaN, the result is the non-NaN operand. Signaling NaN inputs
 *          set the invalid operation exception flag, even when the result is
 *          not NaN."
 * FMA      fmadd/fmsub/fnmsub/fnmadd of inf*0 plus a quiet NaN: Unicorn does not
 *          raise NV. F section 11.6: "The fused multiply-add instructions must
 *          set the invalid operation exception flag when the multiplicands
 *          are infinity and zero, even when the addend is a quiet NaN."
 * SCMISAL  sc.w/sc.d at a misaligned address without a matching reservation:
 *          Unicorn fails the SC (rd=1) without a trap. A section 8.2: "If the
 *          address is not naturally aligned, an address-misaligned exception
 *          or an access-fault exception will be generated."
 * AMOMINMAX amomin.w/amomax.w/amominu.w/amomaxu.w on RV64: Unicorn compares the
 *          zero-extended memory word with the whole 64-bit register (QEMU
 *          5.0's non-atomic TCG fallback drops MO_SIGN on the load and does
 *          not extend the operand), so e.g. amomax.w of memory -5 and
 *          register 1 keeps -5. A section 8.4:
 *          AMOMIN/AMOMAX are signed, AMOMINU/AMOMAXU unsigned comparisons of
 *          the 32-bit values. When the two computations differ, the harness
 *          writes the spec's result to Unicorn's memory after the AMO (rd is
 *          right in Unicorn). Counted as "amomin/amomax.w fixups"; these
 *          sequences still count as passed.
 * SCSIZE   sc.w after lr.d at the same address, when the doubleword is not the
 *          sign extension of its low word: Unicorn compares the low words
 *          (equal), stores, and then reports failure (rd=1) because the
 *          64-bit value differs. A section 8.2: "If the SC.W fails, the
 *          instruction does not write to memory". (reprise fails it without
 *          writing; an SC may fail, so that is allowed.)
 * RVCRES   Reserved 16-bit encodings that Unicorn executes: quadrant 0 with
 *          funct3=100 (a no-op: QEMU 5.0's old C decoder ignores it), and
 *          quadrant 1 funct6=100111 with funct2=10/11 (RV64). The C extension,
 *          section 16.8 "RVC Instruction Set Listings", lists both as
 *          reserved; reprise raises illegal-instruction. (An exhaustive scan of the 49152
 *          16-bit encodings found no other disagreement on legality.)
 *   For these the sequence is compared up to the deviating instruction
 *   only (both machines stop just before it) and counted as skipped.
 * AMOCAUSE A misaligned or unmapped AMO is reported by Unicorn as a load
 *          exception (cause 4 / read-unmapped): it emulates AMOs as load+store.
 *          Privileged ISA 20190608 table 3.6 and A section 8.4: AMOs raise
 *          store/AMO exceptions (cause 6, 7, 15). The cause is compared as
 *          "store/AMO" for AMOs; the sequence counts as skipped.
 * MISALFAULT An AMO/LR/SC address both misaligned and unmapped: reprise reports
 *          misaligned, Unicorn the fault. Privileged ISA 20190608 section
 *          3.1.15 / table 3.7: misaligned may have higher or lower priority
 *          than page and access faults, so either is right. Skipped.
 * Unicorn also reports ebreak as an invalid instruction and unmapped
 * accesses as UC_ERR_*_UNMAPPED errors instead of exceptions; those are
 * API differences, mapped to causes below (reprise reports page faults).
 * Unicorn 2.0.1 engine bugs worked around: uc_mem_write over translated
 * code does not always drop the translations (uc_ctl_remove_cache after
 * each write), and a long-lived engine crashes in tb_set_jmp_target (a
 * fresh engine every 50000 sequences).
 */

#define CODE_BASE 0x10000ull
#define CODE_SIZE 0x10000ull
#define DATA_BASE 0x20000ull
#define DATA_SIZE 0x4000ull
#define SEQ_MIN 8
#define SEQ_MAX 32

#define STUB_SC 0x1800302fu  /* sc.d x0, x0, (x0): clears Unicorn's reservation */
#define EBREAK 0x00100073u

enum outcome { O_END, O_EXC, O_STOP, O_OVERRUN, O_HOSTERR };
static const char *const outcome_names[] = { "reached the end", "exception", "stopped (truncated)",
                                             "budget exhausted before the end", "host error" };

enum dev { DEV_NONE, DEV_FMINMAX, DEV_FMA, DEV_SCMISAL, DEV_SCSIZE, DEV_RVCRES,
           DEV_AMOCAUSE, DEV_MISALFAULT, DEV_N };
static const char *const dev_names[] = { "", "fmin/fmax sNaN (F 11.6 minimumNumber)",
                                         "fma inf*0+qNaN NV (F 11.6)",
                                         "sc misaligned (A 8.2)", "sc.w after lr.d (A 8.2)",
                                         "reserved C encoding (C 16.8)",
                                         "AMO fault cause (A 8.4)",
                                         "misaligned vs fault priority (Priv 3.7)" };

struct state {
    uint64_t x[32], f[32];
    unsigned fflags, frm;
    uint8_t data[DATA_SIZE];
};

struct result {
    enum outcome kind;
    unsigned cause;     /* O_EXC */
    uint64_t pc;        /* end, faulting or stop pc */
    struct state st;
};

/* One test case: a sequence, where it lives and its initial state. */
struct tcase {
    uint64_t index;
    struct dg_seq seq;
    uint64_t slot, begin, end;
    unsigned breg, creg; /* data pointer B, end-address register C */
    struct state init;
};

static uint64_t opt_seed = 1;
struct uc_run;
static struct uc_run *urun; /* the hooks' context (one Unicorn instance) */
#define UC_MAX_AGE 50000       /* sequences per Unicorn engine */
static unsigned uc_age;
static int opt_verbose;
static unsigned long n_pass, n_fail, n_skip, n_nanbox, n_amofix, n_trunc_cmp, dev_count[DEV_N];
static unsigned long n_exc_seq, n_end_seq;
static unsigned max_shown = 10, shown;
static unsigned long row_runs[RV_N_INSNS + 1], crow_runs[RVC_N_INSNS]; /* executed, by Unicorn */

/* ---- the test case ---- */

static void make_case(uint64_t index, struct tcase *t)
{
    struct dg_rng r = dg_rng_for(opt_seed, index);
    memset(t, 0, sizeof *t);
    t->index = index;
    t->breg = 8 + (unsigned)dg_below(&r, 8);
    static const unsigned cands[] = { 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                                      25, 26, 27, 28, 29, 30, 31 };
    t->creg = cands[dg_below(&r, sizeof cands / sizeof cands[0])];

    struct dg_opts o = {
        .exts = DG_EXT(I) | DG_EXT(M) | DG_EXT(A) | DG_EXT(F) | DG_EXT(D) | DG_EXT(C) |
                DG_EXT(Zicsr),
        .p_rvc = 250,
        .memory = 1,
        .no_write = 1u << 2 | 1u << t->breg | 1u << t->creg,
        .no_read = 0,
        .base_regs = 1u << 2 | 1u << t->breg,
        .end_reg = t->creg,
        .drift_reg = 2,
        .drift_budget = 2048,
        .min_insns = SEQ_MIN,
        .max_insns = SEQ_MAX,
        .p_bad_rm = 15,
        .p_illegal = 4,
        .p_wild = 8,
        .p_control = 40,
    };
    dg_generate(&r, &o, &t->seq);

    uint64_t room = CODE_SIZE - 4 - t->seq.size - 4;
    t->slot = CODE_BASE + (dg_below(&r, room) & ~1ull);
    t->begin = t->slot + 4;
    t->end = t->begin + t->seq.size;

    struct state *s = &t->init;
    for (int i = 1; i < 32; i++) s->x[i] = dg_xvalue(&r);
    for (int i = 0; i < 32; i++) s->f[i] = dg_fvalue(&r, 0);
    s->fflags = dg_below(&r, 4) ? 0 : (unsigned)dg_below(&r, 32);
    s->frm = dg_below(&r, 10) ? (unsigned)dg_below(&r, 5) : 5 + (unsigned)dg_below(&r, 3);
    dg_fill_data(&r, s->data, DATA_SIZE);
    /* B in [4K, 8K), sp in [10K, 11K) of the buffer; offsets reach +-2K, sp
     * drifts by at most 2K: every access through them stays inside. Now and
     * then a misaligned pointer (misaligned loads/stores; LR/SC/AMO trap). */
    uint64_t b = DATA_BASE + 4096 + (dg_below(&r, 4096) & ~7ull);
    uint64_t sp = DATA_BASE + 10240 + (dg_below(&r, 1024) & ~15ull);
    if (dg_below(&r, 24) == 0) b += 1 + dg_below(&r, 7);
    if (dg_below(&r, 48) == 0) sp += 1 + dg_below(&r, 7);
    s->x[t->breg] = b;
    s->x[2] = sp;
    s->x[t->creg] = t->end;
    s->x[0] = 0;
}

/* ---- exception causes ---- */

/* Cause classes: reprise reports page faults where Unicorn reports access
 * errors (both mean "not mapped"). */
static unsigned cause_class(unsigned c)
{
    switch (c) {
    case RV_EXC_INSN_ACCESS: return RV_EXC_INSN_PAGE_FAULT;
    case RV_EXC_LOAD_ACCESS: return RV_EXC_LOAD_PAGE_FAULT;
    case RV_EXC_STORE_ACCESS: return RV_EXC_STORE_PAGE_FAULT;
    default: return c;
    }
}

static const char *cause_name(unsigned c)
{
    switch (c) {
    case 0: return "insn misaligned";
    case 1: return "insn access";
    case 2: return "illegal insn";
    case 3: return "breakpoint";
    case 4: return "load misaligned";
    case 5: return "load access";
    case 6: return "store/AMO misaligned";
    case 7: return "store/AMO access";
    case 8: return "ecall";
    case 12: return "insn page fault";
    case 13: return "load page fault";
    case 15: return "store/AMO page fault";
    default: return "?";
    }
}

/* ---- Unicorn ---- */

static int is_snan32(uint32_t v) { return (v & 0x7fc00000u) == 0x7f800000u && (v & 0x3fffffu); }
static int is_qnan32(uint32_t v) { return (v & 0x7fc00000u) == 0x7fc00000u; }
static int is_inf32(uint32_t v) { return (v & 0x7fffffffu) == 0x7f800000u; }
static int is_zero32(uint32_t v) { return (v & 0x7fffffffu) == 0; }
static int is_snan64(uint64_t v)
{
    return (v & 0x7ff8000000000000ull) == 0x7ff0000000000000ull && (v & 0x7ffffffffffffull);
}
static int is_qnan64(uint64_t v) { return (v & 0x7ff8000000000000ull) == 0x7ff8000000000000ull; }
static int is_inf64(uint64_t v) { return (v & ~(1ull << 63)) == 0x7ff0000000000000ull; }
static int is_zero64(uint64_t v) { return (v & ~(1ull << 63)) == 0; }

struct uc_run {
    uc_engine *uc;
    const struct tcase *t;
    int count;           /* sequence instructions started (hooks seen) */
    int last;            /* index of the instruction hooked last, -1 */
    int trunc;           /* instructions retired before a deviating one, or -1 */
    enum dev dev;
    int intno;           /* exception number from the interrupt hook, or -1 */
    int invalid;         /* the invalid-instruction hook fired */
    uint64_t lr_addr;    /* the reservation Unicorn holds: address, size or 0 */
    unsigned lr_size;
    /* Fixups of the instruction in flight (index pend, or -1), applied when
     * it has retired: NaN-boxing (operands patched to the canonical NaN, to
     * be restored; a binary32 result to box) and AMOMINMAX. */
    int pend;
    int n_saved;
    unsigned saved_reg[3];
    uint64_t saved_val[3];
    uint64_t amofix_addr; /* write amofix_val there after the AMO, if nonzero */
    uint32_t amofix_val;
    int nanbox, amofix;  /* fixups applied */
    int path[SEQ_MAX * 2 + 8];
    int path_n;
};

static uint64_t ureg(uc_engine *uc, int reg)
{
    uint64_t v = 0;
    uc_reg_read(uc, reg, &v);
    return v;
}
static void uset(uc_engine *uc, int reg, uint64_t v) { uc_reg_write(uc, reg, &v); }

/* The pending instruction has retired (or trapped): undo the operand patch
 * and box a binary32 result. */
static void finish_pending(struct uc_run *u, int retired)
{
    if (u->pend < 0) return;
    if (u->amofix_addr) {
        if (retired) {
            uc_mem_write(u->uc, u->amofix_addr, &u->amofix_val, 4);
            u->amofix++;
        }
        u->amofix_addr = 0;
    }
    const struct rv_decoded *d = &u->t->seq.in[u->pend].d;
    const struct dg_row *g = &dg_rows[d->id];
    for (int k = 0; k < u->n_saved; k++)
        if (!retired || !g->fdst || u->saved_reg[k] != d->rd)
            uset(u->uc, UC_RISCV_REG_F0 + (int)u->saved_reg[k], u->saved_val[k]);
    if (retired && g->f32dst) {
        uint64_t v = ureg(u->uc, UC_RISCV_REG_F0 + d->rd);
        if ((v >> 32) != 0xffffffffu) {
            uset(u->uc, UC_RISCV_REG_F0 + d->rd, 0xffffffff00000000ull | (uint32_t)v);
            u->nanbox++;
        }
    }
    u->pend = -1;
    u->n_saved = 0;
}

/* Known deviations, decided on the operands the instruction is about to
 * read (binary32 operands as the spec reads them, NaN-unboxed). */
static enum dev deviation(struct uc_run *u, const struct dg_insn *in, const uint64_t *fv)
{
    const struct rv_decoded *d = &in->d;
    switch (d->id) {
    case RV_ILLEGAL: {
        uint32_t c = in->bits, f3 = (c >> 13) & 7;
        if (in->len != 2) return DEV_NONE;
        if ((c & 3) == 0 && f3 == 4) return DEV_RVCRES;
        if ((c & 3) == 1 && f3 == 4 && ((c >> 10) & 7) == 7 && ((c >> 5) & 3) >= 2) return DEV_RVCRES;
        return DEV_NONE;
    }
    case RV_lr_w: case RV_lr_d:
        u->lr_addr = ureg(u->uc, UC_RISCV_REG_X0 + d->rs1);
        u->lr_size = d->id == RV_lr_w ? 4 : 8;
        return DEV_NONE;
    case RV_fmin_s: case RV_fmax_s:
        return is_snan32((uint32_t)fv[0]) || is_snan32((uint32_t)fv[1]) ? DEV_FMINMAX : DEV_NONE;
    case RV_fmin_d: case RV_fmax_d:
        return is_snan64(fv[0]) || is_snan64(fv[1]) ? DEV_FMINMAX : DEV_NONE;
    case RV_fmadd_s: case RV_fmsub_s: case RV_fnmsub_s: case RV_fnmadd_s: {
        uint32_t a = (uint32_t)fv[0], b = (uint32_t)fv[1], c = (uint32_t)fv[2];
        return ((is_inf32(a) && is_zero32(b)) || (is_zero32(a) && is_inf32(b))) && is_qnan32(c)
                   ? DEV_FMA : DEV_NONE;
    }
    case RV_fmadd_d: case RV_fmsub_d: case RV_fnmsub_d: case RV_fnmadd_d:
        return ((is_inf64(fv[0]) && is_zero64(fv[1])) || (is_zero64(fv[0]) && is_inf64(fv[1]))) &&
                       is_qnan64(fv[2])
                   ? DEV_FMA : DEV_NONE;
    case RV_sc_w: case RV_sc_d: {
        uint64_t a = ureg(u->uc, UC_RISCV_REG_X0 + d->rs1);
        unsigned lr_size = u->lr_size;
        u->lr_size = 0; /* any SC ends the reservation */
        if (a & (d->id == RV_sc_w ? 3 : 7)) return DEV_SCMISAL;
        return d->id == RV_sc_w && lr_size == 8 && u->lr_addr == a ? DEV_SCSIZE : DEV_NONE;
    }
    case RV_amomin_w: case RV_amomax_w: case RV_amominu_w: case RV_amomaxu_w: {
        /* Not a truncation: fixed up after the AMO (finish_pending). */
        uint64_t a = ureg(u->uc, UC_RISCV_REG_X0 + d->rs1);
        uint32_t m;
        if ((a & 3) || a < DATA_BASE || a + 4 > DATA_BASE + DATA_SIZE ||
            uc_mem_read(u->uc, a, &m, 4))
            return DEV_NONE;
        uint64_t sv = ureg(u->uc, UC_RISCV_REG_X0 + d->rs2), zm = m; /* QEMU 5.0's operands */
        uint32_t v = (uint32_t)sv, spec, qemu;
        switch (d->id) {
        case RV_amomin_w:
            spec = (int32_t)m < (int32_t)v ? m : v;
            qemu = (uint32_t)((int64_t)zm < (int64_t)sv ? zm : sv);
            break;
        case RV_amomax_w:
            spec = (int32_t)m > (int32_t)v ? m : v;
            qemu = (uint32_t)((int64_t)zm > (int64_t)sv ? zm : sv);
            break;
        case RV_amominu_w:
            spec = m < v ? m : v;
            qemu = (uint32_t)(zm < sv ? zm : sv);
            break;
        default:
            spec = m > v ? m : v;
            qemu = (uint32_t)(zm > sv ? zm : sv);
            break;
        }
        if (spec != qemu) {
            u->amofix_addr = a;
            u->amofix_val = spec;
        }
        return DEV_NONE;
    }
    default:
        return DEV_NONE;
    }
}

static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    (void)size;
    struct uc_run *u = ud;
    const struct tcase *t = u->t;
    finish_pending(u, 1);
    u->last = -1;
    if (addr < t->begin || addr >= t->end) return; /* the reservation stub */
    int i = dg_index_at(&t->seq, (uint32_t)(addr - t->begin));
    if (u->path_n < (int)(sizeof u->path / sizeof u->path[0])) u->path[u->path_n++] = i;
    if (i < 0) return;
    u->last = i;
    int retired = u->count++;
    const struct dg_insn *in = &t->seq.in[i];
    const struct rv_decoded *d = &in->d;
    const struct dg_row *g = d->id == RV_ILLEGAL ? NULL : &dg_rows[d->id];
    row_runs[d->id]++;
    if (d->cid >= 0) crow_runs[d->cid]++;
    unsigned regs[3] = { d->rs1, d->rs2, d->rs3 };
    uint64_t raw[3] = { 0 }, eff[3] = { 0 };
    for (int k = 0; g && k < 3; k++) {
        if (!((g->fsrc >> k) & 1)) continue;
        raw[k] = eff[k] = ureg(uc, UC_RISCV_REG_F0 + (int)regs[k]);
        if (((g->a32src >> k) & 1) && (raw[k] >> 32) != 0xffffffffu) eff[k] = 0x7fc00000u;
    }
    enum dev dv = deviation(u, in, eff);
    if (dv) {
        u->trunc = retired;
        u->dev = dv;
        uc_emu_stop(uc);
        return;
    }
    if (!g) return;
    for (int k = 0; k < 3; k++) {
        if (!((g->a32src >> k) & 1) || eff[k] == raw[k] || (uint32_t)raw[k] == 0x7fc00000u) continue;
        int seen = 0;
        for (int j = 0; j < u->n_saved; j++) seen |= u->saved_reg[j] == regs[k];
        if (seen) continue;
        u->saved_reg[u->n_saved] = regs[k];
        u->saved_val[u->n_saved++] = raw[k];
        uset(uc, UC_RISCV_REG_F0 + (int)regs[k], 0xffffffff7fc00000ull);
    }
    if (u->n_saved || g->f32dst || u->amofix_addr) u->pend = i;
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    struct uc_run *u = ud;
    u->intno = (int)intno;
    uc_emu_stop(uc);
}

static bool hook_invalid(uc_engine *uc, void *ud)
{
    struct uc_run *u = ud;
    u->invalid = 1;
    (void)uc;
    return false;
}

static uc_engine *uc_setup(struct uc_run *u)
{
    uc_engine *uc;
    uc_err e = uc_open(UC_ARCH_RISCV, UC_MODE_RISCV64, &uc);
    if (e) {
        fprintf(stderr, "uc_open: %s\n", uc_strerror(e));
        exit(2);
    }
    if (uc_mem_map(uc, CODE_BASE, CODE_SIZE, UC_PROT_READ | UC_PROT_EXEC) ||
        uc_mem_map(uc, DATA_BASE, DATA_SIZE, UC_PROT_READ | UC_PROT_WRITE)) {
        fprintf(stderr, "uc_mem_map failed\n");
        exit(2);
    }
    uc_hook h;
    uc_hook_add(uc, &h, UC_HOOK_CODE, (void *)hook_code, u, 1, 0);
    uc_hook_add(uc, &h, UC_HOOK_INTR, (void *)hook_intr, u, 1, 0);
    uc_hook_add(uc, &h, UC_HOOK_INSN_INVALID, (void *)hook_invalid, u, 1, 0);
    return uc;
}

#define CODE_IMAGE_MAX (4 + 4 * SEQ_MAX + 4)

/* The bytes at t->slot: the reservation stub, the sequence, the ebreak. */
static size_t code_image(const struct tcase *t, uint8_t *code)
{
    uint32_t stub = STUB_SC, eb = EBREAK;
    memcpy(code, &stub, 4);
    dg_emit(&t->seq, code + 4);
    memcpy(code + 4 + t->seq.size, &eb, 4);
    return 8 + t->seq.size;
}

static void run_unicorn(uc_engine *uc, struct uc_run *u, const struct tcase *t, struct result *res)
{
    uint8_t code[CODE_IMAGE_MAX];
    uc_mem_write(uc, t->slot, code, code_image(t, code));
    /* uc_mem_write does not always drop translations of the code it
     * overwrites (Unicorn 2.0.1 ran stale blocks here): drop them. */
    uc_ctl_remove_cache(uc, t->slot, t->end + 4);
    uc_mem_write(uc, DATA_BASE, t->init.data, DATA_SIZE);

    int regs[32 + 32 + 2];
    void *vals[32 + 32 + 2];
    uint64_t fcsr = t->init.frm << 5 | t->init.fflags, mstatus = 3u << 13; /* FS = dirty */
    int n = 0;
    for (int i = 1; i < 32; i++) regs[n] = UC_RISCV_REG_X0 + i, vals[n++] = (void *)&t->init.x[i];
    for (int i = 0; i < 32; i++) regs[n] = UC_RISCV_REG_F0 + i, vals[n++] = (void *)&t->init.f[i];
    regs[n] = UC_RISCV_REG_MSTATUS, vals[n++] = &mstatus;
    regs[n] = UC_RISCV_REG_FCSR, vals[n++] = &fcsr;
    uc_reg_write_batch(uc, regs, vals, n);

    *u = (struct uc_run){ .uc = uc, .t = t, .last = -1, .trunc = -1, .intno = -1, .pend = -1 };
    uc_err e = uc_emu_start(uc, t->slot, t->end, 0, 0);
    int exc = u->intno >= 0 || u->invalid || e != UC_ERR_OK;
    finish_pending(u, !exc);

    res->st.x[0] = 0;
    n = 0;
    uint64_t fflags = 0, frm = 0;
    void *out[32 + 32 + 2];
    for (int i = 1; i < 32; i++) regs[n] = UC_RISCV_REG_X0 + i, out[n++] = &res->st.x[i];
    for (int i = 0; i < 32; i++) regs[n] = UC_RISCV_REG_F0 + i, out[n++] = &res->st.f[i];
    regs[n] = UC_RISCV_REG_FFLAGS, out[n++] = &fflags;
    regs[n] = UC_RISCV_REG_FRM, out[n++] = &frm;
    uc_reg_read_batch(uc, regs, out, n);
    res->st.fflags = (unsigned)fflags;
    res->st.frm = (unsigned)frm;
    uc_mem_read(uc, DATA_BASE, res->st.data, DATA_SIZE);

    /* The interrupt hook sees pc already moved on: the faulting instruction
     * is the one hooked last. */
    uint64_t at = u->last >= 0 ? t->begin + t->seq.in[u->last].off : ureg(uc, UC_RISCV_REG_PC);
    if (u->trunc >= 0) {
        res->kind = O_STOP;
        res->pc = at;
    } else if (u->intno >= 0) {
        res->kind = O_EXC;
        res->cause = (unsigned)u->intno;
        res->pc = at;
    } else if (u->invalid || e == UC_ERR_INSN_INVALID) {
        res->kind = O_EXC;
        res->cause = RV_EXC_ILLEGAL;
        res->pc = at;
    } else if (e != UC_ERR_OK) {
        res->kind = O_EXC;
        res->pc = at;
        switch (e) {
        case UC_ERR_READ_UNMAPPED: case UC_ERR_READ_PROT: res->cause = RV_EXC_LOAD_PAGE_FAULT; break;
        case UC_ERR_WRITE_UNMAPPED: case UC_ERR_WRITE_PROT: res->cause = RV_EXC_STORE_PAGE_FAULT; break;
        case UC_ERR_FETCH_UNMAPPED: case UC_ERR_FETCH_PROT: res->cause = RV_EXC_INSN_PAGE_FAULT; break;
        case UC_ERR_READ_UNALIGNED: res->cause = RV_EXC_LOAD_MISALIGNED; break;
        case UC_ERR_WRITE_UNALIGNED: res->cause = RV_EXC_STORE_MISALIGNED; break;
        default:
            res->kind = O_HOSTERR;
            res->cause = (unsigned)e;
        }
    } else {
        res->pc = ureg(uc, UC_RISCV_REG_PC);
        res->kind = res->pc == t->end ? O_END : O_HOSTERR;
    }
}

/* ---- reprise ---- */

/* Sequence k runs on VM variant k % 3: default blocks, blocks of at most 3
 * instructions (more block boundaries, exits and chaining), or every
 * instrumentation hook requested (the instrumented twins of the handlers;
 * the callbacks record the executed path, checked against Unicorn's). */
enum { VMV_PLAIN, VMV_SHORT, VMV_INSTR, VMV_N };
static const char *const vmv_names[] = { "default blocks", "blocks of <= 3 instructions",
                                         "all instrumentation hooks" };
static struct vm *vms[VMV_N];
static const char *opt_engine; /* --engine value, for the rerun line */
static struct vm_cpu *cpus[VMV_N];

static struct {
    uint64_t pc[SEQ_MAX * 2 + 8];
    int n, bad_icount, bad_mem;
    uint64_t mem_calls, block_calls;
} trace;

static void tr_block(void *ud, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    (void)ud, (void)cpu, (void)pc, (void)icount;
    trace.block_calls++;
}

static void tr_insn(void *ud, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    (void)ud;
    (void)cpu;
    /* icount: instructions retired before this one (cpu->icount is 0 at the start). */
    if (icount != (uint64_t)trace.n) trace.bad_icount = 1;
    if (trace.n < (int)(sizeof trace.pc / sizeof trace.pc[0])) trace.pc[trace.n] = pc;
    trace.n++;
}

static void tr_mem(void *ud, struct vm_cpu *cpu, uint64_t pc, uint64_t icount, uint64_t addr,
                   unsigned size, uint64_t value, enum vm_mem_kind kind)
{
    (void)ud, (void)cpu, (void)value;
    trace.mem_calls++;
    if ((size != 1 && size != 2 && size != 4 && size != 8) || kind < VM_MEM_READ || kind > VM_MEM_AMO ||
        icount + 1 != (uint64_t)trace.n || trace.n == 0 ||
        (trace.n <= (int)(sizeof trace.pc / sizeof trace.pc[0]) && pc != trace.pc[trace.n - 1]) ||
        addr + size < addr)
        trace.bad_mem = 1;
}

static void tr_translate(void *ctx, struct vm_tb_desc *tb)
{
    (void)ctx;
    tb->block_cb = tr_block;
    for (unsigned i = 0; i < tb->n_insns; i++) {
        tb->insns[i].exec_cb = tr_insn;
        tb->insns[i].mem_cb = tr_mem;
    }
}

static void run_reprise(struct vm *vm, struct vm_cpu *cpu, const struct tcase *t, int trunc,
                        struct result *res)
{
    uint8_t code[CODE_IMAGE_MAX];
    vm_poke(vm, t->slot, code, code_image(t, code));
    vm_poke(vm, DATA_BASE, t->init.data, DATA_SIZE);

    memcpy(cpu->x, t->init.x, sizeof t->init.x);
    memcpy(cpu->f, t->init.f, sizeof t->init.f);
    cpu->fflags = t->init.fflags;
    cpu->frm = t->init.frm;
    cpu->pc = t->begin;
    cpu->icount = 0;
    cpu->res_valid = 0;

    struct vm_exit ex;
    uint64_t budget = trunc >= 0 ? (uint64_t)trunc : (uint64_t)t->seq.n + 1;
    int r = vm_run(cpu, budget, &ex);
    memcpy(res->st.x, cpu->x, sizeof res->st.x);
    memcpy(res->st.f, cpu->f, sizeof res->st.f);
    res->st.fflags = cpu->fflags;
    res->st.frm = cpu->frm;
    vm_peek(vm, DATA_BASE, res->st.data, DATA_SIZE);
    if (r < 0) {
        res->kind = O_HOSTERR;
        res->cause = (unsigned)-r;
        res->pc = cpu->pc;
    } else if (ex.reason == VM_EXIT_EXCEPTION) {
        res->pc = ex.pc;
        if (ex.cause == RV_EXC_BREAKPOINT && ex.pc == t->end) {
            res->kind = O_END;
        } else {
            res->kind = O_EXC;
            res->cause = ex.cause;
        }
    } else {
        res->pc = cpu->pc;
        res->kind = trunc >= 0 ? O_STOP : O_OVERRUN;
    }
}

/* ---- comparison and report ---- */

static void print_state(const char *indent, const struct state *s)
{
    for (int i = 1; i < 32; i++)
        printf("%s%-4s %016" PRIx64 "%s", i % 4 == 1 ? indent : "", rv_xreg_names[i], s->x[i],
               i % 4 == 0 || i == 31 ? "\n" : "  ");
    for (int i = 0; i < 32; i++)
        printf("%s%-4s %016" PRIx64 "%s", i % 4 == 0 ? indent : "", rv_freg_names[i], s->f[i],
               i % 4 == 3 ? "\n" : "  ");
    printf("%sfflags %02x  frm %u\n", indent, s->fflags, s->frm);
}

static void describe(const char *who, const struct result *r)
{
    printf("    %-8s %s", who, outcome_names[r->kind]);
    if (r->kind == O_EXC) printf(": cause %u (%s)", r->cause, cause_name(r->cause));
    if (r->kind == O_HOSTERR) printf(": %u", r->cause);
    printf(" at pc %#" PRIx64 "\n", r->pc);
}

/* Returns the number of differences (printing them if `print`). */
static int compare(const struct tcase *t, const struct result *a, const struct result *b,
                   enum dev mask, int print)
{
    int nd = 0;
#define DIFF(...) do { nd++; if (print) printf(__VA_ARGS__); } while (0)
    if (a->kind != b->kind || a->pc != b->pc) DIFF("    outcome differs\n");
    if (a->kind == O_EXC && b->kind == O_EXC && !mask &&
        cause_class(a->cause) != cause_class(b->cause))
        DIFF("    exception cause differs\n");
    for (int i = 1; i < 32; i++)
        if (a->st.x[i] != b->st.x[i])
            DIFF("    %-4s reprise %016" PRIx64 "  unicorn %016" PRIx64 "  (initial %016" PRIx64 ")\n",
                 rv_xreg_names[i], a->st.x[i], b->st.x[i], t->init.x[i]);
    for (int i = 0; i < 32; i++)
        if (a->st.f[i] != b->st.f[i])
            DIFF("    %-4s reprise %016" PRIx64 "  unicorn %016" PRIx64 "  (initial %016" PRIx64 ")\n",
                 rv_freg_names[i], a->st.f[i], b->st.f[i], t->init.f[i]);
    if (a->st.fflags != b->st.fflags)
        DIFF("    fflags reprise %02x  unicorn %02x  (initial %02x)\n", a->st.fflags, b->st.fflags,
             t->init.fflags);
    if (a->st.frm != b->st.frm)
        DIFF("    frm    reprise %u  unicorn %u  (initial %u)\n", a->st.frm, b->st.frm, t->init.frm);
    if (memcmp(a->st.data, b->st.data, DATA_SIZE)) {
        int shownb = 0;
        for (size_t i = 0; i < DATA_SIZE; i++) {
            if (a->st.data[i] == b->st.data[i]) continue;
            if (shownb++ < 16)
                DIFF("    mem %#" PRIx64 ": reprise %02x  unicorn %02x  (initial %02x)\n",
                     (uint64_t)(DATA_BASE + i), a->st.data[i], b->st.data[i], t->init.data[i]);
            else
                nd++;
        }
    }
#undef DIFF
    return nd;
}

static void report(const struct tcase *t, const struct result *a, const struct result *b,
                   const struct uc_run *u, enum dev mask, const char *argv0)
{
    printf("FAIL seed %" PRIu64 " sequence %" PRIu64 ": %d instructions at %#" PRIx64
           " (B = %s, C = %s, sp = %#" PRIx64 ")\n",
           opt_seed, t->index, t->seq.n, t->begin, rv_xreg_names[t->breg], rv_xreg_names[t->creg],
           t->init.x[2]);
    dg_print(stdout, &t->seq, t->begin, "    ");
    printf("    path (Unicorn):");
    for (int i = 0; i < u->path_n; i++) printf(" %d", u->path[i]);
    printf("\n");
    if (u->trunc >= 0)
        printf("    compared up to instruction %d only: %s\n", u->trunc, dev_names[u->dev]);
    describe("reprise", a);
    describe("unicorn", b);
    compare(t, a, b, mask, 1);
    if (opt_verbose) {
        printf("    initial state:\n");
        print_state("      ", &t->init);
    }
    printf("    rerun: %s --seed %" PRIu64 " --only %" PRIu64 " --verbose%s%s\n", argv0, opt_seed,
           t->index, opt_engine ? " --engine " : "", opt_engine ? opt_engine : "");
}

/* Exception causes that differ for a known reason (AMOCAUSE, MISALFAULT). */
static enum dev cause_mask(const struct tcase *t, const struct result *a, const struct result *b)
{
    if (a->kind != O_EXC || b->kind != O_EXC || a->pc != b->pc) return DEV_NONE;
    unsigned ca = cause_class(a->cause), cb = cause_class(b->cause);
    if (ca == cb) return DEV_NONE;
    int i = dg_index_at(&t->seq, (uint32_t)(a->pc - t->begin));
    if (i < 0 || t->seq.in[i].d.id == RV_ILLEGAL) return DEV_NONE;
    uint16_t fl = rv_insns[t->seq.in[i].d.id].flags;
    if (!(fl & RVF_MEMORY)) return DEV_NONE;
    if (fl & RVF_AMO) {
        unsigned c = cb == RV_EXC_LOAD_MISALIGNED ? RV_EXC_STORE_MISALIGNED
                   : cb == RV_EXC_LOAD_PAGE_FAULT ? RV_EXC_STORE_PAGE_FAULT : cb;
        if (c == ca) return DEV_AMOCAUSE;
    }
#define MISAL(c) ((c) == RV_EXC_LOAD_MISALIGNED || (c) == RV_EXC_STORE_MISALIGNED)
#define FAULT(c) ((c) == RV_EXC_LOAD_PAGE_FAULT || (c) == RV_EXC_STORE_PAGE_FAULT)
    if ((MISAL(ca) && FAULT(cb)) || (FAULT(ca) && MISAL(cb))) return DEV_MISALFAULT;
#undef MISAL
#undef FAULT
    return DEV_NONE;
}

static void run_one(uc_engine **ucp, uint64_t index, const char *argv0)
{
    static struct tcase t;
    static struct result ra, rb;
    struct uc_run *up = urun, u;
    make_case(index, &t);
    if (++uc_age > UC_MAX_AGE) {
        /* A long-lived Unicorn 2.0.1 engine eventually crashes in
         * tb_set_jmp_target (a null translated-code pointer after its code
         * buffer was recycled; unicorn-engine/unicorn issues 1702, 2048):
         * start a fresh one now and then. */
        static uint8_t ring[CODE_SIZE];
        uc_close(*ucp);
        *ucp = uc_setup(urun);
        uc_age = 0;
        /* The code ring as the vms have it (wild loads can read it). */
        vm_peek(vms[0], CODE_BASE, ring, CODE_SIZE);
        uc_mem_write(*ucp, CODE_BASE, ring, CODE_SIZE);
    }
    run_unicorn(*ucp, up, &t, &rb);
    u = *up;
    int vmv = (int)(index % VMV_N);
    struct vm *vm = vms[vmv];
    struct vm_cpu *cpu = cpus[vmv];
    memset(&trace, 0, sizeof trace);
    /* Every vm gets every sequence's code, so that the code ring reads the
     * same in all of them and in Unicorn (wild loads can land there). */
    uint8_t code[CODE_IMAGE_MAX];
    size_t len = code_image(&t, code);
    for (int v = 0; v < VMV_N; v++)
        if (v != vmv) vm_poke(vms[v], t.slot, code, len);
    run_reprise(vm, cpu, &t, u.trunc, &ra);

    enum dev mask = cause_mask(&t, &ra, &rb);
    int nd = compare(&t, &ra, &rb, mask, 0);
    const char *trace_err = NULL;
    if (vmv == VMV_INSTR && !nd) {
        /* The executed path as the exec callbacks saw it, against Unicorn's
         * hooks: reprise also calls back before the ebreak at the end, and
         * Unicorn also hooked the instruction a truncation stopped before. */
        int want = u.path_n + (ra.kind == O_END) - (ra.kind == O_STOP);
        if (trace.bad_icount) trace_err = "exec callback icount is not the retired count";
        else if (trace.bad_mem) trace_err = "memory callback arguments are inconsistent";
        else if (trace.n != want) trace_err = "exec callbacks saw a different number of instructions";
        for (int i = 0; !trace_err && i < trace.n && i < u.path_n; i++)
            if (u.path[i] < 0 || trace.pc[i] != t.begin + t.seq.in[u.path[i]].off)
                trace_err = "exec callbacks saw a different path";
        if (!trace_err && ra.kind == O_END && trace.pc[trace.n - 1] != t.end)
            trace_err = "exec callbacks did not see the end";
        if (trace_err) nd = 1;
    }
    if (u.nanbox) n_nanbox++;
    if (u.amofix) n_amofix++;
    if (rb.kind == O_EXC) n_exc_seq++;
    if (rb.kind == O_END) n_end_seq++;
    if (nd) {
        n_fail++;
        if (shown++ < max_shown || opt_verbose) {
            report(&t, &ra, &rb, &u, mask, argv0);
            printf("    reprise vm: %s%s%s\n", vmv_names[vmv], trace_err ? "; " : "", trace_err ? trace_err : "");
            if (trace_err) {
                printf("    path (reprise exec callbacks):");
                for (int i = 0; i < trace.n && i < (int)(sizeof trace.pc / sizeof trace.pc[0]); i++)
                    printf(" %d", dg_index_at(&t.seq, (uint32_t)(trace.pc[i] - t.begin)));
                printf("\n");
            }
        }
        return;
    }
    if (u.trunc >= 0 || mask) {
        n_skip++;
        dev_count[mask ? mask : u.dev]++;
        if (u.trunc > 0) n_trunc_cmp++;
    } else {
        n_pass++;
    }
    if (opt_verbose) {
        printf("sequence %" PRIu64 ": %s%s\n", index, nd ? "FAIL" : "ok",
               u.trunc >= 0 ? " (truncated)" : "");
        dg_print(stdout, &t.seq, t.begin, "    ");
        describe("reprise", &ra);
        describe("unicorn", &rb);
        printf("    initial state:\n");
        print_state("      ", &t.init);
        printf("    final state (reprise):\n");
        print_state("      ", &ra.st);
    }
}

int main(int argc, char **argv)
{
    uint64_t count = 100000, only = 0, first = 0;
    int have_only = 0;
    /* --engine jit: the uninstrumented vms compile every block before it
     * runs (docs/jit.md), so the JIT meets Unicorn too. */
    enum vm_engine engine = VM_ENGINE_INTERP;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) opt_seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = strtoull(argv[++i], NULL, 0), have_only = 1;
        else if (!strcmp(argv[i], "--first") && i + 1 < argc) first = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--verbose")) opt_verbose = 1;
        else if (!strcmp(argv[i], "--engine") && i + 1 < argc) {
            opt_engine = argv[++i];
            engine = !strcmp(argv[i], "jit") ? VM_ENGINE_JIT : !strcmp(argv[i], "auto") ? VM_ENGINE_AUTO
                                                                                       : VM_ENGINE_INTERP;
        } else {
            fprintf(stderr, "usage: %s [--seed N] [--count N] [--first K] [--only K] [--verbose] "
                            "[--engine interp|jit|auto]\n", argv[0]);
            return 2;
        }
    }
    const char *lt = getenv("REPRISE_LONG_TESTS");
    if (lt && *lt && strcmp(lt, "0")) count *= 10;
    dg_init();

    unsigned maj, min;
    uc_version(&maj, &min);
    printf("test_unicorn: Unicorn %u.%u, seed %" PRIu64 ", %" PRIu64 " sequences\n", maj, min, opt_seed,
           have_only ? 1 : count);

    char err[256];
    static const struct vm_instrument ins = { .translate = tr_translate };
    for (int v = 0; v < VMV_N; v++) {
        struct vm_config cfg = { .max_block_insns = v == VMV_SHORT ? 3 : 0,
                                 .instrument = v == VMV_INSTR ? &ins : NULL,
                                 .engine = { .engine = engine } };
        if (vm_create(&cfg, &vms[v], err, sizeof err)) {
            fprintf(stderr, "vm_create: %s\n", err);
            return 2;
        }
        cpus[v] = vm_cpu_create(vms[v]);
        if (!cpus[v] || vm_map(vms[v], CODE_BASE, CODE_SIZE, VM_PROT_READ | VM_PROT_EXEC) ||
            vm_map(vms[v], DATA_BASE, DATA_SIZE, VM_PROT_READ | VM_PROT_WRITE)) {
            fprintf(stderr, "vm setup failed\n");
            return 2;
        }
    }
    static struct uc_run ctx;
    urun = &ctx;
    uc_engine *uc = uc_setup(urun);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (have_only) {
        run_one(&uc, only, argv[0]);
    } else {
        for (uint64_t k = first; k < first + count; k++) run_one(&uc, k, argv[0]);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    printf("%lu sequences reached the end, %lu ended in an exception; %.1f s\n", n_end_seq, n_exc_seq, secs);
    unsigned nr = 0, nrc = 0, tr = 0, trc = 0;
    char missing[2048] = "";
    for (unsigned i = 0; i < RV_N_INSNS; i++) {
        if (rv_insns[i].ext >= RV_EXT_Zba || (rv_insns[i].flags & RVF_ENDS)) continue; /* not generated */
        tr++;
        if (row_runs[i]) nr++;
        else if (strlen(missing) + 20 < sizeof missing) strcat(strcat(missing, " "), rv_insns[i].name);
    }
    for (unsigned i = 0; i < RVC_N_INSNS; i++) {
        unsigned b = rv_cinsns[i].base;
        if (rv_insns[b].ext >= RV_EXT_Zba || (rv_insns[b].flags & RVF_ENDS)) continue;
        trc++;
        if (crow_runs[i]) nrc++;
        else if (strlen(missing) + 20 < sizeof missing) strcat(strcat(missing, " "), rv_cinsns[i].name);
    }
    printf("coverage: %u of %u rows and %u of %u compressed rows executed (%lu illegal encodings)%s%s\n",
           nr, tr, nrc, trc, row_runs[RV_ILLEGAL], *missing ? "; never:" : "", missing);
    printf("oracle fixups: NaN-boxing in %lu sequences, amomin/amomax.w in %lu\n", n_nanbox, n_amofix);
    printf("skipped (oracle deviations):");
    for (int d = 1, k = 0; d < DEV_N; d++)
        if (dev_count[d]) printf("%s %lu %s", k++ ? "," : "", dev_count[d], dev_names[d]);
    printf("; %lu of them compared up to the deviation\n", n_trunc_cmp);
    if (n_fail > max_shown && !opt_verbose) printf("(%lu failures not shown)\n", n_fail - max_shown);
    printf("%lu passed, %lu failed, %lu skipped\n", n_pass, n_fail, n_skip);
    if (engine != VM_ENGINE_INTERP) {
        struct vm_stats st;
        vm_get_stats(vms[VMV_PLAIN], &st);
        printf("jit: %" PRIu64 " blocks compiled, %" PRIu64 " compiled runs\n", st.jit_blocks, st.jit_runs);
        /* A JIT run in which nothing was compiled tested nothing. */
        if (engine == VM_ENGINE_JIT && !have_only && st.jit_runs == 0) n_fail++;
    }
    uc_close(uc);
    for (int v = 0; v < VMV_N; v++) vm_destroy(vms[v]);
    return n_fail ? 1 : 0;
}
