/*
 * fp.c - the JIT's floating-point templates (F and D, unprivileged ISA
 * chapters 11 and 12): loads and stores of f registers with the same
 * inline memory check and slow paths as the integer ones, moves between
 * register files, sign injection, the arithmetic and comparison rows,
 * conversions from integers, and the accesses of the FP CSRs.
 *
 * Arithmetic (fadd, fsub, fmul, fdiv, fsqrt, the fused multiply-adds, the
 * comparisons) has an inline fast path for exactly the cases of the
 * interpreter's fpfast.h (or a subset: see check_not_subnormal): rounding
 * mode RNE (static, or dynamic with frm 0 at run time), operands and
 * result normal or zero, and the one flag the
 * operation can then raise, NX, found exactly (already set; TwoSum for
 * add/sub; an FMA residual for mul/div/sqrt on hosts with FMA3; the exact
 * binary64 product for fmul.s). The host rounds to nearest even (reprise
 * never changes MXCSR), so SSE2 computes the IEEE 754 result bit for bit
 * there. Everything else - NaNs, infinities, subnormals, overflow,
 * underflow, other rounding modes, reserved modes (illegal instruction),
 * improperly NaN-boxed binary32 operands (which read as the canonical NaN,
 * 11.2) - goes to an out-of-line slow path (SLOW_FP) that calls the row's
 * interpreter handler, so softfp.c decides every special case.
 *
 * f registers live in struct vm_cpu (cpu->f) and are read and written in
 * memory at every instruction; xmm registers and rax, rcx, rdx, rsi, rdi
 * are scratch within one instruction. Binary32 values are NaN-boxed in
 * their f register (11.2): writes set the upper 32 bits to ones.
 */
#include "jit_internal.h"
#include "../fpfast.h"
#include "../../vm_internal.h"

/* The NaN box of a binary32 in an f register (F extension, 11.2). */
#define BOX32 0xffffffff00000000ull

/* A new slow path of type `type` for instruction idx; NULL (and the block
 * refused) when the block has too many. */
static struct slow *new_slow(struct cc *c, unsigned idx, uint8_t type)
{
    if (c->nslow >= 256) {
        c->e.overflow = true;
        return NULL;
    }
    struct slow *s = &c->slow[c->nslow++];
    const struct jit_insn *in = &c->insns[idx];
    *s = (struct slow){ .type = type, .idx = idx, .npc = in->pc + in->len };
    return s;
}

/* r |= the NaN box (r holds a zero-extended binary32). Clobbers rsi. */
static void emit_box(struct x86_buf *e, int r)
{
    x86_mov_ri64(e, RSI, BOX32);
    x86_alu_rr(e, true, ALU_OR, r, RSI);
}

/* flw, fld (and c.fld, c.fldsp): f[rd] = the loaded bits, binary32
 * NaN-boxed; fsw, fsd (c.fsd, c.fsdsp): the low 32 or all 64 bits of
 * f[rs2] stored. As T_LOAD/T_STORE in jit.c, with an f register. */
static void emit_mem(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    unsigned size = (unsigned)t->arg;
    struct slow *s = new_slow(c, idx, t->kind == T_FLOAD ? SLOW_LOAD : SLOW_STORE);
    if (!s) return;
    emit_addr(c, in);
    if (t->kind == T_FLOAD) {
        s->kind = size | JIT_FREG | (uint32_t)in->rd << 8;
        emit_fast_check(c, s);
        x86_load(e, RAX, guest_mem(), size, false);
        if (size == 4) emit_box(e, RAX);
        x86_mov_mr(e, true, FR(in->rd), RAX);
    } else {
        s->kind = size;
        x86_mov_rm(e, size == 8, RDX, FR(in->rs2));
        emit_fast_check(c, s);
        x86_store(e, guest_mem(), RDX, size);
    }
    s->resume = e->len;
}

/* Jumps to slow path s if condition cc holds (CC_ALWAYS: always). */
#define CC_ALWAYS ((enum x86_cc)-1)
static void to_slow(struct cc *c, struct slow *s, enum x86_cc cc)
{
    if (s->npatch >= sizeof s->patch / sizeof s->patch[0]) {
        c->e.overflow = true;
        return;
    }
    s->patch[s->npatch++] = cc == CC_ALWAYS ? x86_jmp_fwd(&c->e) : x86_jcc_fwd(&c->e, cc);
}

/* The effective rounding mode must be RNE: a static rm of 0, or dyn (7)
 * with cpu->frm 0 at run time (checked here; any other frm, valid or not,
 * takes the slow path). Returns false when the mode is static and not RNE:
 * the instruction can only take the slow path (which also raises illegal
 * instruction for the reserved modes 5 and 6). */
static bool rm_check(struct cc *c, struct slow *s, const struct jit_insn *in)
{
    unsigned rm = (in->raw >> 12) & 7;
    if (rm == 7) {
        x86_alu_mi(&c->e, false, ALU_CMP, x86_m(RBX, CPU_OFF(frm)), 0);
        to_slow(c, s, CC_NE);
        return true;
    }
    return rm == RV_RNE;
}

/* gpr (unless negative) and the low lane of xmm = f[f]: binary64 (d), or
 * binary32, which must be properly NaN-boxed (else the slow path) and is
 * zero-extended in gpr. Both are loaded from memory: the checks on gpr
 * stay off the dependency chain through xmm. */
static void load_f(struct cc *c, struct slow *s, bool d, unsigned f, int gpr, int xmm)
{
    struct x86_buf *e = &c->e;
    if (!d) {
        x86_alu_mi(e, false, ALU_CMP, FR_HI(f), -1);
        to_slow(c, s, CC_NE);
    }
    if (gpr >= 0) x86_mov_rm(e, d, gpr, FR(f));
    x86_movs_xm(e, d, xmm, FR(f));
}

/* The lowest biased exponent check_class accepts: 1 for any normal
 * number; RESULT_LOWEST for the result of a multiplication, division or
 * fused multiply-add, which may be a tiny value rounded up to the smallest
 * normal number: tininess is detected after rounding with an unbounded
 * exponent (RISC-V unprivileged ISA, 11.2; IEEE 754-2008 7.5), so that
 * result must raise UF, which only softfp.c decides. Results in the
 * lowest binade all go there (as fpfast.h's fp_res_normal). */
enum { RESULT_LOWEST = 2 };

/* The second half of check_class: tmp holds the value shifted left by
 * one (sign bit out), not zero. Leaves the biased exponent minus lowest
 * in tmp. */
static void check_normal_tail(struct cc *c, struct slow *s, bool d, int tmp, unsigned lowest)
{
    struct x86_buf *e = &c->e;
    x86_shift_ri(e, d, SH_SHR, tmp, d ? 53 : 24); /* the biased exponent */
    x86_alu_ri(e, false, ALU_SUB, tmp, (int32_t)lowest);
    x86_alu_ri(e, false, ALU_CMP, tmp, (int32_t)((d ? 0x7ff : 0xff) - lowest)); /* lowest ... max - 1 */
    to_slow(c, s, CC_AE);
}

/* Jumps to s unless the value in r (binary64 if d, else a zero-extended
 * binary32) is a normal number with a biased exponent of at least lowest,
 * or with zero_ok such a number or a zero (fpfast.h's fp_normal and
 * fp_ok). Leaves in tmp (which may be r) the biased exponent minus
 * lowest, or 0 for a zero. */
static void check_class(struct cc *c, struct slow *s, bool d, int r, int tmp, bool zero_ok,
                        unsigned lowest)
{
    struct x86_buf *e = &c->e;
    if (tmp != r) x86_mov_rr(e, d, tmp, r);
    x86_alu_rr(e, d, ALU_ADD, tmp, tmp); /* the sign bit out; ZF: a zero */
    size_t zero = zero_ok ? x86_jcc_fwd(e, CC_E) : 0;
    check_normal_tail(c, s, d, tmp, lowest);
    if (zero_ok) x86_patch_here(e, zero);
}

/* Jumps to s if the value in r (binary64 if d, else a zero-extended
 * binary32) is subnormal, or exactly +-2^emin (the smallest normal with
 * a zero fraction): then, with the sign shifted out, t - 1 has a zero
 * exponent field (a zero wraps to all ones). Leaves that field in tmp (the
 * biased exponent, or one less for a zero fraction).
 *
 * This is all an operand of fadd/fsub/fmul/fdiv(dividend)/fmadd needs on
 * top of the result check: an infinite or NaN operand makes the result
 * infinite or NaN, which the result check rejects. So the fast path takes
 * a subset of fpfast.h's cases (operands normal or zero) and computes them
 * as it does. Three instructions instead of check_class's six. */
static void check_not_subnormal(struct cc *c, struct slow *s, bool d, int r, int tmp)
{
    struct x86_buf *e = &c->e;
    x86_lea(e, d, tmp, x86_mid(r, r, -1)); /* 2v - 1 */
    x86_shift_ri(e, d, SH_SHR, tmp, d ? 53 : 24);
    to_slow(c, s, CC_E);
}

/* Jumps to s if a normal number whose biased exponent minus lowest is in
 * tmp (as check_class leaves it) is below fpfast.h's fp_big limit (128,
 * binary32: 64): too close to the underflow threshold for the FMA residual
 * to be exact. */
static void check_big(struct cc *c, struct slow *s, bool d, int tmp, unsigned lowest)
{
    x86_alu_ri(&c->e, false, ALU_CMP, tmp, (int32_t)((d ? 128 : 64) - lowest));
    to_slow(c, s, CC_B);
}

/* A jump taken when fflags already has NX (the rel32 to patch). */
static size_t if_nx(struct x86_buf *e)
{
    x86_test_mi(e, x86_m(RBX, CPU_OFF(fflags)), RV_NX);
    return x86_jcc_fwd(e, CC_NE);
}

/* Sets NX if the residual in xmm (binary64 if d) is not zero. Clobbers
 * rsi. */
static void nx_if_nonzero(struct x86_buf *e, bool d, int xmm)
{
    x86_movq_rx(e, d, RSI, xmm);
    x86_alu_rr(e, d, ALU_ADD, RSI, RSI); /* -0 is a zero too */
    size_t exact = x86_jcc_fwd(e, CC_E);
    x86_alu_mi(e, false, ALU_OR, x86_m(RBX, CPU_OFF(fflags)), RV_NX);
    x86_patch_here(e, exact);
}

/* f[rd] = rdx (a binary32 NaN-boxed). Clobbers rsi. */
static void store_f_gpr(struct cc *c, bool d, unsigned rd)
{
    if (!d) emit_box(&c->e, RDX);
    x86_mov_mr(&c->e, true, FR(rd), RDX);
}

/* f[rd] = the low lane of xmm (a binary32 NaN-boxed), straight from the
 * xmm register: the result's checks (on a copy in a general register) are
 * not on the way to the next instruction that reads f[rd]. */
static void store_f(struct cc *c, bool d, unsigned rd, int xmm)
{
    x86_movs_mx(&c->e, d, FR(rd), xmm);
    if (!d) x86_mov_mi32d(&c->e, FR_HI(rd), 0xffffffffu);
}

/* fadd, fsub, fmul, fdiv, fsqrt (.d, .s): a = f[rs1] in rax/xmm0, b =
 * f[rs2] in rcx/xmm1, the result in rdx/xmm2; each case mirrors its
 * fpfast.h function. */
static void emit_arith(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    bool d = !(t->arg & FP_S);
    unsigned o = (unsigned)t->arg & 0xff;
    struct slow *s = new_slow(c, idx, SLOW_FP);
    if (!s) return;
    bool fma = rv_host_fma;
    if (!rm_check(c, s, in)) {
        to_slow(c, s, CC_ALWAYS);
        s->resume = e->len;
        return;
    }
    load_f(c, s, d, in->rs1, RAX, 0);
    if (o != FP_SQRT) load_f(c, s, d, in->rs2, RCX, 1);
    size_t done[3];
    unsigned ndone = 0;
    switch (o) {
    case FP_ADD:
    case FP_SUB: {
        check_not_subnormal(c, s, d, RAX, RSI);
        check_not_subnormal(c, s, d, RCX, RSI);
        x86_movaps(e, 2, 0);
        x86_sse_rr(e, d, o == FP_ADD ? SSE_ADD : SSE_SUB, 2, 1);
        x86_movq_rx(e, d, RDX, 2);
        check_class(c, s, d, RDX, RDX, true, 1);
        done[ndone++] = if_nx(e);
        /* TwoSum (s = x + y): bv = s - x, av = s - bv, err = (x - av) +
         * (y - bv). For fsub y = -b, and err = (x - av) - (b + bv), equal
         * up to the sign of a zero. */
        x86_movaps(e, 3, 2);
        x86_sse_rr(e, d, SSE_SUB, 3, 0);
        x86_movaps(e, 4, 2);
        x86_sse_rr(e, d, SSE_SUB, 4, 3);
        x86_sse_rr(e, d, SSE_SUB, 0, 4);
        x86_sse_rr(e, d, o == FP_ADD ? SSE_SUB : SSE_ADD, 1, 3);
        x86_sse_rr(e, d, o == FP_ADD ? SSE_ADD : SSE_SUB, 0, 1);
        nx_if_nonzero(e, d, 0);
        break;
    }
    case FP_MUL: {
        check_not_subnormal(c, s, d, RAX, RSI);
        check_not_subnormal(c, s, d, RCX, RSI);
        if (d && !fma) {
            x86_test_mi(e, x86_m(RBX, CPU_OFF(fflags)), RV_NX);
            to_slow(c, s, CC_E);
        }
        if (d) {
            x86_movaps(e, 2, 0);
            x86_sse_rr(e, true, SSE_MUL, 2, 1);
        } else {
            /* The exact binary64 product, rounded once to binary32. */
            x86_sse_rr(e, false, SSE_CVT, 0, 0);
            x86_sse_rr(e, false, SSE_CVT, 1, 1);
            x86_sse_rr(e, true, SSE_MUL, 0, 1);
            x86_sse_rr(e, true, SSE_CVT, 2, 0);
        }
        x86_movq_rx(e, d, RDX, 2);
        /* A zero product is exact only with a zero operand (otherwise it
         * underflowed). */
        x86_alu_rr(e, d, ALU_ADD, RDX, RDX);
        size_t nonzero = x86_jcc_fwd(e, CC_NE);
        x86_alu_rr(e, d, ALU_ADD, RAX, RAX);
        done[ndone++] = x86_jcc_fwd(e, CC_E);
        x86_alu_rr(e, d, ALU_ADD, RCX, RCX);
        to_slow(c, s, CC_NE);
        done[ndone++] = x86_jmp_fwd(e);
        x86_patch_here(e, nonzero);
        check_normal_tail(c, s, d, RDX, RESULT_LOWEST);
        if (d && !fma) break; /* NX is set */
        done[ndone++] = if_nx(e);
        if (d) {
            check_big(c, s, true, RDX, RESULT_LOWEST);
            x86_movaps(e, 3, 2);
            x86_vfma231(e, true, X86_FMA_NEG_ADD, 3, 0, 1); /* x * y - p */
            nx_if_nonzero(e, true, 3);
        } else {
            x86_sse_rr(e, false, SSE_CVT, 3, 2);
            x86_ucomis(e, true, 3, 0); /* (double)q == p */
            size_t exact = x86_jcc_fwd(e, CC_E);
            x86_alu_mi(e, false, ALU_OR, x86_m(RBX, CPU_OFF(fflags)), RV_NX);
            x86_patch_here(e, exact);
        }
        break;
    }
    case FP_DIV: {
        check_not_subnormal(c, s, d, RAX, RSI);
        check_class(c, s, d, RCX, RCX, false, 1);
        if (!fma) {
            x86_test_mi(e, x86_m(RBX, CPU_OFF(fflags)), RV_NX);
            to_slow(c, s, CC_E);
        }
        x86_movaps(e, 2, 0);
        x86_sse_rr(e, d, SSE_DIV, 2, 1);
        x86_movq_rx(e, d, RDX, 2);
        /* A zero dividend gives an exact zero. */
        x86_alu_rr(e, d, ALU_ADD, RAX, RAX);
        done[ndone++] = x86_jcc_fwd(e, CC_E);
        check_class(c, s, d, RDX, RDX, false, RESULT_LOWEST);
        if (!fma) break;
        done[ndone++] = if_nx(e);
        /* fp_big on the dividend, from check_not_subnormal's exponent
         * field (one less for a zero fraction: a stricter test). */
        x86_alu_ri(e, false, ALU_CMP, RSI, d ? 128 : 64);
        to_slow(c, s, CC_B);
        x86_movaps(e, 3, 0);
        x86_vfma231(e, d, X86_FMA_NEG_MUL, 3, 2, 1); /* x - q * y */
        nx_if_nonzero(e, d, 3);
        break;
    }
    case FP_SQRT: {
        /* A positive normal operand; its root is normal. */
        x86_test_rr(e, d, RAX, RAX);
        to_slow(c, s, CC_S);
        check_class(c, s, d, RAX, RAX, false, 1);
        if (!fma) {
            x86_test_mi(e, x86_m(RBX, CPU_OFF(fflags)), RV_NX);
            to_slow(c, s, CC_E);
        }
        x86_sse_rr(e, d, SSE_SQRT, 2, 0);
        if (!fma) break;
        done[ndone++] = if_nx(e);
        check_big(c, s, d, RAX, 1);
        x86_movaps(e, 3, 0);
        x86_vfma231(e, d, X86_FMA_NEG_MUL, 3, 2, 2); /* x - s * s */
        nx_if_nonzero(e, d, 3);
        break;
    }
    default:
        e->overflow = true;
        return;
    }
    for (unsigned i = 0; i < ndone; i++) x86_patch_here(e, done[i]);
    store_f(c, d, in->rd, 2);
    s->resume = e->len;
}

/* fmadd, fmsub, fnmsub, fnmadd (.d, .s): inline only on FMA3 hosts and
 * with NX already set (fpfast.h: the exactness of a fused result is not
 * cheap to decide), for operands normal or zero and a normal result. */
static void emit_fma(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    bool d = !(t->arg & FP_S);
    struct slow *s = new_slow(c, idx, SLOW_FP);
    if (!s) return;
    if (!rv_host_fma || !rm_check(c, s, in)) {
        to_slow(c, s, CC_ALWAYS);
        s->resume = e->len;
        return;
    }
    unsigned rs3 = in->raw >> 27;
    x86_test_mi(e, x86_m(RBX, CPU_OFF(fflags)), RV_NX);
    to_slow(c, s, CC_E);
    load_f(c, s, d, in->rs1, RAX, 0);
    load_f(c, s, d, in->rs2, RCX, 1);
    load_f(c, s, d, rs3, RDX, 2);
    check_not_subnormal(c, s, d, RAX, RSI);
    check_not_subnormal(c, s, d, RCX, RSI);
    check_not_subnormal(c, s, d, RDX, RSI);
    x86_vfma231(e, d, (unsigned)t->arg & 3, 2, 0, 1);
    x86_movq_rx(e, d, RDX, 2);
    check_class(c, s, d, RDX, RDX, false, RESULT_LOWEST);
    store_f(c, d, in->rd, 2);
    s->resume = e->len;
}

/* feq, flt, fle (.d, .s): x[rd] = the ordered comparison; any NaN (quiet
 * or signalling, which decide NV) takes the slow path. No other operand
 * raises a flag. */
static void emit_cmp(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    bool d = !(t->arg & FP_S);
    struct slow *s = new_slow(c, idx, SLOW_FP);
    if (!s) return;
    load_f(c, s, d, in->rs1, -1, 0);
    load_f(c, s, d, in->rs2, -1, 1);
    x86_alu_rr(e, false, ALU_XOR, RDX, RDX);
    x86_ucomis(e, d, 0, 1);
    to_slow(c, s, CC_P);
    static const enum x86_cc cc[] = { [FCMP_EQ] = CC_E, [FCMP_LT] = CC_B, [FCMP_LE] = CC_BE };
    x86_setcc(e, cc[t->arg & 0xff], RDX);
    put(c, in, RDX);
    s->resume = e->len;
}

/* fsgnj, fsgnjn, fsgnjx (.d, .s; fmv, fneg, fabs): the sign of f[rs2]
 * (negated, or xor'ed with f[rs1]'s) on the magnitude of f[rs1], bit
 * operations that raise nothing. Improperly boxed binary32 operands take
 * the slow path. */
static void emit_sgnj(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    bool d = !(t->arg & FP_S);
    unsigned o = (unsigned)t->arg & 0xff;
    uint8_t top = d ? 63 : 31;
    struct slow *s = NULL;
    if (!d && !(s = new_slow(c, idx, SLOW_FP))) return;
    for (unsigned r = 0; r < 2; r++) {
        unsigned f = r ? in->rs2 : in->rs1;
        if (!d) {
            x86_alu_mi(e, false, ALU_CMP, FR_HI(f), -1);
            to_slow(c, s, CC_NE);
        }
        x86_mov_rm(e, d, r ? RCX : RDX, FR(f));
    }
    if (o == SGNJ_N) x86_not(e, d, RCX);
    x86_shift_ri(e, d, SH_SHR, RCX, top); /* the sign of rs2 */
    x86_shift_ri(e, d, SH_SHL, RCX, top);
    if (o != SGNJ_X) {
        x86_shift_ri(e, d, SH_SHL, RDX, 1); /* the magnitude of rs1 */
        x86_shift_ri(e, d, SH_SHR, RDX, 1);
    }
    x86_alu_rr(e, d, o == SGNJ_X ? ALU_XOR : ALU_OR, RDX, RCX);
    store_f_gpr(c, d, in->rd);
    if (s) s->resume = e->len;
}

/* fcvt.{s,d}.{w,wu,l,lu} (11.7, 12.5): f[rd] = x[rs1] converted. Into
 * binary64 a 32-bit integer is exact, so any valid rounding mode will do;
 * the others need RNE and find NX by converting back (the host rounds to
 * nearest even; a result of 2^63 converts back to 0x8000000000000000,
 * never the source). Unsigned 64-bit sources of 2^63 and more take the
 * slow path. Results are never subnormal, infinite or -0. */
static void emit_cvt_if(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    bool d = !(t->arg & FP_S);
    unsigned src = (unsigned)t->arg & 0xff, rm = (in->raw >> 12) & 7;
    bool exact = d && (src == CVT_W || src == CVT_WU);
    struct slow *s = new_slow(c, idx, SLOW_FP);
    if (!s) return;
    if (exact && rm == 7) {
        x86_alu_mi(e, false, ALU_CMP, x86_m(RBX, CPU_OFF(frm)), RV_RMM);
        to_slow(c, s, CC_A);
    } else if (exact ? rm > RV_RMM : !rm_check(c, s, in)) {
        to_slow(c, s, CC_ALWAYS);
        s->resume = e->len;
        return;
    }
    get(c, src != CVT_WU, RAX, in->rs1);
    if (src == CVT_W) x86_movsxd(e, RAX, RAX);
    if (src == CVT_LU) {
        x86_test_rr(e, true, RAX, RAX);
        to_slow(c, s, CC_S);
    }
    x86_cvtsi2s(e, d, 0, RAX);
    if (!exact) {
        size_t nx = if_nx(e);
        x86_cvtts2si(e, d, RCX, 0);
        x86_alu_rr(e, true, ALU_CMP, RCX, RAX);
        size_t same = x86_jcc_fwd(e, CC_E);
        x86_alu_mi(e, false, ALU_OR, x86_m(RBX, CPU_OFF(fflags)), RV_NX);
        x86_patch_here(e, same);
        x86_patch_here(e, nx);
    }
    store_f(c, d, in->rd, 0);
    s->resume = e->len;
}

/* The CSR numbers of fflags, frm and fcsr (11.2). */
enum { CSR_FFLAGS = 1, CSR_FRM = 2, CSR_FCSR = 3 };

/* csrrw, csrrs, csrrc and their immediate forms on fflags, frm and fcsr
 * (Zicsr, chapter 9; 11.2): x[rd] = the old value; unless the instruction
 * only reads (csrrs/csrrc with rs1 or uimm 0), the new value is written
 * back masked to the fields (cpu->fflags 5 bits, cpu->frm 3 bits), as the
 * interpreter's CSR(). Other CSRs call the handler. */
static void emit_fcsr(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    unsigned kind = (unsigned)t->arg & 3, csr = (unsigned)in->imm & 0xfff;
    if (csr < CSR_FFLAGS || csr > CSR_FCSR) {
        struct slow *s = new_slow(c, idx, SLOW_FP);
        if (!s) return;
        to_slow(c, s, CC_ALWAYS);
        s->resume = e->len;
        return;
    }
    bool wr = kind == FCSR_RW || in->rs1 != 0;
    if (wr) {
        if (t->arg & FCSR_IMM) x86_mov_ri64(e, RCX, in->rs1);
        else get(c, false, RCX, in->rs1);
    }
    struct x86_mem fl = x86_m(RBX, CPU_OFF(fflags)), rmm = x86_m(RBX, CPU_OFF(frm));
    x86_mov_rm(e, false, RAX, csr == CSR_FFLAGS ? fl : rmm);
    if (csr == CSR_FCSR) {
        x86_shift_ri(e, false, SH_SHL, RAX, 5);
        x86_alu_rm(e, false, ALU_OR, RAX, fl);
    }
    if (wr) {
        if (kind == FCSR_RS) {
            x86_mov_rr(e, false, RDX, RAX);
            x86_alu_rr(e, false, ALU_OR, RDX, RCX);
        } else if (kind == FCSR_RC) {
            x86_mov_rr(e, false, RDX, RCX);
            x86_not(e, false, RDX);
            x86_alu_rr(e, false, ALU_AND, RDX, RAX);
        } else {
            x86_mov_rr(e, false, RDX, RCX);
        }
        if (csr != CSR_FRM) {
            x86_mov_rr(e, false, RSI, RDX);
            x86_alu_ri(e, false, ALU_AND, RSI, 0x1f);
            x86_mov_mr(e, false, fl, RSI);
        }
        if (csr != CSR_FFLAGS) {
            if (csr == CSR_FCSR) x86_shift_ri(e, false, SH_SHR, RDX, 5);
            x86_alu_ri(e, false, ALU_AND, RDX, 7);
            x86_mov_mr(e, false, rmm, RDX);
        }
    }
    put(c, in, RAX);
}

bool jit_fp_inline(const struct jit_insn *in, const struct tmpl *t)
{
    unsigned rm = (in->raw >> 12) & 7, csr = (unsigned)in->imm & 0xfff;
    switch (t->kind) {
    case T_FARITH: return rm == RV_RNE || rm == 7;
    case T_FFMA: return rv_host_fma && (rm == RV_RNE || rm == 7);
    case T_FCVT_IF: return rm == RV_RNE || rm == 7 || (!(t->arg & FP_S) && (t->arg & 0xff) <= CVT_WU && rm <= RV_RMM);
    case T_FCSR: return csr >= CSR_FFLAGS && csr <= CSR_FCSR;
    default: return true;
    }
}

void jit_fp_emit_slow(struct cc *c, struct slow *s)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[s->idx];
    /* As jit.c's handler calls: cpu->x and icount up to date for it, the
     * cached registers reloaded after; it returns JIT_H_OK, or JIT_H_EXC
     * (illegal rounding mode); FP rows never write memory. */
    writeback(c);
    emit_icount(e, 0);
    x86_mov_rr(e, true, RDI, RBX);
    x86_alu_ri(e, true, ALU_SUB, RDI, BIAS);
    x86_mov_ri64(e, RSI, (uint64_t)(uintptr_t)in->helper_arg);
    emit_call(e, in->helper);
    reload_all(c);
    x86_test_rr(e, false, RAX, RAX);
    size_t exc = x86_jcc_fwd(e, CC_NE);
    x86_jmp_to(e, s->resume);
    x86_patch_here(e, exc);
    emit_exit(c, in->pc, s->idx, JIT_X_EXC);
}

void jit_fp_emit(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    switch (t->kind) {
    case T_FLOAD:
    case T_FSTORE:
        emit_mem(c, idx, t);
        return;
    case T_FMV_X:
        /* fmv.x.d: x[rd] = f[rs1]; fmv.x.w: the low 32 bits, sign-extended
         * (not unboxed: 11.7). */
        x86_load(e, RAX, FR(in->rs1), (unsigned)t->arg, true);
        put(c, in, RAX);
        return;
    case T_FMV_F:
        /* fmv.d.x: f[rd] = x[rs1]; fmv.w.x: the low 32 bits, NaN-boxed. */
        get(c, t->arg == 8, RAX, in->rs1);
        if (t->arg == 4) emit_box(e, RAX);
        x86_mov_mr(e, true, FR(in->rd), RAX);
        return;
    case T_FARITH:
        emit_arith(c, idx, t);
        return;
    case T_FFMA:
        emit_fma(c, idx, t);
        return;
    case T_FCMP:
        emit_cmp(c, idx, t);
        return;
    case T_FSGNJ:
        emit_sgnj(c, idx, t);
        return;
    case T_FCVT_IF:
        emit_cvt_if(c, idx, t);
        return;
    case T_FCSR:
        emit_fcsr(c, idx, t);
        return;
    }
    e->overflow = true; /* a kind without an emitter here: refuse the block */
}
