/*
 * exec.c - the RISC-V backend of the VM: interpreter handlers, block
 * translator and dispatcher.
 *
 * Handlers are generated from insns.def: each row's body is written once
 * and expanded here under the vocabulary below. The dispatch technique is a
 * build choice (meson option `dispatch`): direct-threaded code with computed
 * gotos, or a switch in a loop; both expand the same bodies. Every row also
 * gets an instrumented twin (INSTR_ = 1) that reports its memory accesses;
 * the translator picks the twin only for instructions a plugin asked about,
 * so uninstrumented blocks contain no instrumentation at all.
 *
 * Instruction counting is per block: cpu->icount holds the count at block
 * entry while the block runs and is advanced by the dispatcher when it
 * exits; an op's `idx` (instructions of the block before it) gives the exact
 * count for exceptions, callbacks and the cycle/instret CSRs.
 */
#include "cpu.h"
#include "isa.h"
#include "softfp.h"
#include "fpfast.h"
#include "../vm_internal.h"
#include "jit/jit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#ifndef RV_DISPATCH_GOTO
#define RV_DISPATCH_GOTO 1
#endif

/* One op of a translated block. Pseudo-ops (callbacks, block end) share the
 * format. */
struct rv_op {
    const void *h;     /* handler label (threaded dispatch) */
    uint16_t hid;      /* handler index (switch dispatch) */
    uint8_t rd, rs1, rs2, rs3, rm, len;
    uint32_t idx;      /* guest instructions of the block before this op */
    uint32_t raw;
    int64_t imm;
    uint64_t pc;
    void *cb, *udata;  /* instrumentation callback of this op */
};

enum {
    H_ILLEGAL = 2 * RV_N_INSNS, /* ids below: rows, then their instrumented twins */
    H_END,                      /* block ends without a control transfer */
    H_BLOCK_CB,
    H_INSN_CB,
    H_JIT,                      /* the block has host code: leave to run it */
    H_N,
};

/* Block exits, as seen by the dispatcher. */
enum { X_LINK0, X_LINK1, X_JALR, X_EXC, X_SMC, X_PARTIAL, X_RESUME, X_JIT };
_Static_assert((int)X_LINK0 == JIT_X_LINK0 && (int)X_LINK1 == JIT_X_LINK1 && (int)X_JALR == JIT_X_JALR &&
               (int)X_EXC == JIT_X_EXC && (int)X_SMC == JIT_X_SMC && (int)X_PARTIAL == JIT_X_PARTIAL &&
               (int)X_RESUME == JIT_X_RESUME,
               "compiled blocks exit with the interpreter's codes");

/* CSR access kinds used by the table. */
enum { RV_CSR_RW, RV_CSR_RS, RV_CSR_RC };

static const void *const *rv_labels;

static inline uint32_t rv_unbox32(uint64_t v)
{
    /* A binary32 operand not properly NaN-boxed reads as the canonical NaN
     * (F extension, "NaN Boxing of Narrower Values"). */
    return (v >> 32) == 0xffffffffu ? (uint32_t)v : RV_CANON_NAN32;
}
static inline uint64_t rol64(uint64_t v, unsigned n) { return n ? (v << n) | (v >> (64 - n)) : v; }
static inline uint64_t ror64(uint64_t v, unsigned n) { return n ? (v >> n) | (v << (64 - n)) : v; }
static inline uint32_t rol32(uint32_t v, unsigned n) { return n ? (v << n) | (v >> (32 - n)) : v; }
static inline uint32_t ror32(uint32_t v, unsigned n) { return n ? (v >> n) | (v << (32 - n)) : v; }
static inline uint64_t orc_b(uint64_t v)
{
    uint64_t r = 0;
    for (int i = 0; i < 64; i += 8)
        if ((v >> i) & 0xff) r |= 0xffull << i;
    return r;
}

static int rv_csr_read(struct vm_cpu *cpu, const struct rv_op *op, unsigned csr, uint64_t *v)
{
    switch (csr) {
    case RV_CSR_FFLAGS: *v = cpu->fflags; return 0;
    case RV_CSR_FRM: *v = cpu->frm; return 0;
    case RV_CSR_FCSR: *v = (cpu->frm << 5) | cpu->fflags; return 0;
    /* cycle and instret are functions of the instruction count, so they are
     * deterministic and need no event. */
    case RV_CSR_CYCLE:
    case RV_CSR_INSTRET: *v = cpu->icount + op->idx; return 0;
    case RV_CSR_TIME:
        if (!cpu->vm->cfg.read_time) return -1;
        cpu->pc = op->pc;
        *v = cpu->vm->cfg.read_time(cpu->vm->cfg.time_ctx, cpu, cpu->icount + op->idx, op->pc);
        return 0;
    }
    return -1;
}

static int rv_csr_write(struct vm_cpu *cpu, unsigned csr, uint64_t v)
{
    switch (csr) {
    case RV_CSR_FFLAGS: cpu->fflags = v & 0x1f; return 0;
    case RV_CSR_FRM: cpu->frm = v & 7; return 0;
    case RV_CSR_FCSR: cpu->fflags = v & 0x1f; cpu->frm = (v >> 5) & 7; return 0;
    }
    return -1;
}

static inline uint64_t zext_bytes(const void *p, unsigned n)
{
    uint64_t z = 0;
    memcpy(&z, p, n);
    return z;
}

/* ---- the vocabulary of insns.def bodies ---- */
#define X1 x[op->rs1]
#define X2 x[op->rs2]
#define S1 ((int64_t)X1)
#define S2 ((int64_t)X2)
#define IMM op->imm
#define ZIMM ((uint64_t)op->rs1)
#define PC op->pc
#define NPC (op->pc + op->len)
#define WX(v) (x[op->rd] = (uint64_t)(v))
#define F1 f[op->rs1]
#define F2 f[op->rs2]
#define F3 f[op->rs3]
#define WF(v) (f[op->rd] = (uint64_t)(v))
#define WF32(v) (f[op->rd] = 0xffffffff00000000ull | (uint32_t)(v))
#define BOX32(v) (0xffffffff00000000ull | (uint32_t)(v))
#define A32(v) rv_unbox32(v)
#define SIGN32 0x80000000u
#define SIGN64 0x8000000000000000ull
#define RM rm_
#define FL (&cpu->fflags)
#define SEXT32(v) ((uint64_t)(int64_t)(int32_t)(uint32_t)(v))
#define ROL64(v, n) rol64(v, (unsigned)(n))
#define ROR64(v, n) ror64(v, (unsigned)(n))
#define ROL32(v, n) rol32(v, (unsigned)(n))
#define ROR32(v, n) ror32(v, (unsigned)(n))
#define ORC_B(v) orc_b(v)

/* The arithmetic rows go through the host-FPU fast paths (fpfast.h), which
 * fall back to softfp for everything but the common exact-to-check case. */
#define sf_add64(a, b, rm, fl) fp_add64(a, b, rm, fl, false)
#define sf_sub64(a, b, rm, fl) fp_add64(a, b, rm, fl, true)
#define sf_mul64 fp_mul64
#define sf_div64 fp_div64
#define sf_sqrt64 fp_sqrt64
#define sf_fma64 fp_fma64
#define sf_add32(a, b, rm, fl) fp_add32(a, b, rm, fl, false)
#define sf_sub32(a, b, rm, fl) fp_add32(a, b, rm, fl, true)
#define sf_mul32 fp_mul32
#define sf_div32 fp_div32
#define sf_sqrt32 fp_sqrt32
#define sf_fma32 fp_fma32

#define EXIT(k) do { ret = (k); goto out; } while (0)
#define FAULT(cause, addr) do { cpu->exc_cause = (cause); cpu->exc_tval = (addr); goto trap; } while (0)
#define TRAP(cause) do { cpu->exc_cause = (cause); cpu->exc_tval = (cause) == RV_EXC_BREAKPOINT ? op->pc : 0; goto trap; } while (0)
#define BRANCH(c) do { if (c) { cpu->pc = PC + IMM; EXIT(X_LINK0); } cpu->pc = NPC; EXIT(X_LINK1); } while (0)
#define JUMP(t) do { cpu->pc = (t); EXIT((FLAGS_ & RVF_JALR) ? X_JALR : X_LINK0); } while (0)
#define MEMCB(a, n, v, kind) do { if (INSTR_) { cpu->pc = op->pc; \
    ((vm_mem_cb)op->cb)(op->udata, cpu, op->pc, cpu->icount + op->idx, (a), (n), (v), (kind)); } } while (0)

#define LOAD(T, addr) ({                                                          \
    uint64_t a_ = (addr); T v_;                                                   \
    uint8_t *p_ = vm_mem_fast(&vm->mem, a_, sizeof(T), PF_R, PF_R);               \
    if (likely(p_)) memcpy(&v_, p_, sizeof(T));                                   \
    else if (vm_mem_load_slow(vm, a_, &v_, sizeof(T))) FAULT(RV_EXC_LOAD_PAGE_FAULT, a_); \
    MEMCB(a_, sizeof(T), zext_bytes(&v_, sizeof(T)), VM_MEM_READ);                \
    v_; })

#define STORE(T, addr, val) do {                                                  \
    uint64_t a_ = (addr); T v_ = (T)(val);                                        \
    uint8_t *p_ = vm_mem_fast(&vm->mem, a_, sizeof(T), PF_W | PF_CODE, PF_W);     \
    if (likely(p_)) memcpy(p_, &v_, sizeof(T));                                   \
    else {                                                                        \
        int r_ = vm_mem_store_slow(vm, a_, &v_, sizeof(T), tb);                   \
        if (r_ < 0) FAULT(RV_EXC_STORE_PAGE_FAULT, a_);                           \
        smc_ = r_;                                                                \
    }                                                                             \
    MEMCB(a_, sizeof(T), zext_bytes(&v_, sizeof(T)), VM_MEM_WRITE);               \
} while (0)

/* Host pointer for an aligned atomic at a_, or a fault. */
#define RMW_PTR(T, p_)                                                            \
    uint8_t *p_ = vm_mem_fast(&vm->mem, a_, sizeof(T), PF_R | PF_W | PF_CODE, PF_R | PF_W); \
    if (unlikely(!p_)) {                                                          \
        int hit_;                                                                 \
        p_ = vm_mem_rmw(vm, a_, sizeof(T), tb, &hit_);                            \
        if (!p_) FAULT(RV_EXC_STORE_PAGE_FAULT, a_);                              \
        smc_ = hit_;                                                              \
    }

#define AMO(T, expr) do {                                                         \
    uint64_t a_ = X1;                                                             \
    if (a_ & (sizeof(T) - 1)) FAULT(RV_EXC_STORE_MISALIGNED, a_);                 \
    RMW_PTR(T, p_)                                                                \
    T A_, B_ = (T)X2, r_;                                                         \
    memcpy(&A_, p_, sizeof(T));                                                   \
    r_ = (T)(expr);                                                               \
    memcpy(p_, &r_, sizeof(T));                                                   \
    WX((int64_t)A_);                                                              \
    MEMCB(a_, sizeof(T), zext_bytes(&r_, sizeof(T)), VM_MEM_AMO);                 \
} while (0)

#define LR(T) do {                                                                \
    uint64_t a_ = X1; T v_;                                                       \
    if (a_ & (sizeof(T) - 1)) FAULT(RV_EXC_LOAD_MISALIGNED, a_);                  \
    uint8_t *p_ = vm_mem_fast(&vm->mem, a_, sizeof(T), PF_R, PF_R);               \
    if (!p_) FAULT(RV_EXC_LOAD_PAGE_FAULT, a_);                                   \
    memcpy(&v_, p_, sizeof(T));                                                   \
    cpu->res_addr = a_; cpu->res_val = (uint64_t)(int64_t)v_; cpu->res_valid = 1; \
    WX((int64_t)v_);                                                              \
    MEMCB(a_, sizeof(T), zext_bytes(&v_, sizeof(T)), VM_MEM_READ);                \
} while (0)

#define SC(T) do {                                                                \
    uint64_t a_ = X1, fail_ = 1;                                                  \
    if (a_ & (sizeof(T) - 1)) FAULT(RV_EXC_STORE_MISALIGNED, a_);                 \
    if (cpu->res_valid && cpu->res_addr == a_) {                                  \
        RMW_PTR(T, p_)                                                            \
        T cur_, v_ = (T)X2;                                                       \
        memcpy(&cur_, p_, sizeof(T));                                             \
        if ((uint64_t)(int64_t)cur_ == cpu->res_val) {                            \
            memcpy(p_, &v_, sizeof(T));                                           \
            fail_ = 0;                                                            \
            MEMCB(a_, sizeof(T), zext_bytes(&v_, sizeof(T)), VM_MEM_WRITE);       \
        }                                                                         \
    }                                                                             \
    cpu->res_valid = 0;                                                           \
    WX(fail_);                                                                    \
} while (0)

#define CSR(kind, src) do {                                                       \
    uint64_t s_ = (src), old_ = 0;                                                \
    unsigned csr_ = (unsigned)IMM;                                                \
    int wr_ = (kind) == RV_CSR_RW || op->rs1 != 0;                                \
    /* CSRs with address bits 11:10 == 3 are read-only (Privileged ISA 2.1). */   \
    if (wr_ && (csr_ >> 10) == 3) goto illegal;                                   \
    if (rv_csr_read(cpu, op, csr_, &old_)) goto illegal;                          \
    if (wr_) {                                                                    \
        uint64_t n_ = (kind) == RV_CSR_RW ? s_ : (kind) == RV_CSR_RS ? (old_ | s_) : (old_ & ~s_); \
        if (rv_csr_write(cpu, csr_, n_)) goto illegal;                            \
    }                                                                             \
    WX(old_);                                                                     \
} while (0)

static inline void ras_push(struct vm_cpu *cpu, struct vm_tb *caller)
{
    unsigned i = cpu->ras_top++ & (RV_RAS_SIZE - 1);
    cpu->ras[i].ret_pc = caller->end;
    cpu->ras[i].caller = caller;
}

/*
 * Runs the block tb and, while *budget allows and no stop is requested,
 * follows chained edges from block to block without returning: a linked
 * static successor, the return site predicted by the return-address stack,
 * or the last target of an indirect jump. Advances cpu->icount and *budget
 * by every instruction retired. Returns the X_* exit of the last block,
 * which is left in cpu->exit_tb; cpu->pc is the next pc (the faulting one
 * for X_EXC).
 */
static int rv_exec(struct vm_cpu *cpu, struct vm_tb *tb, uint64_t *budget)
{
#if RV_DISPATCH_GOTO
    static const void *const labels[H_N] = {
#define INSN(n, ops, ext, match, mask, flags, body) [RV_##n] = &&L_##n, [RV_##n + RV_N_INSNS] = &&LI_##n,
#include "insns.def"
#undef INSN
        [H_ILLEGAL] = &&L_illegal, [H_END] = &&L_end, [H_BLOCK_CB] = &&L_block_cb,
        [H_INSN_CB] = &&L_insn_cb, [H_JIT] = &&L_jit,
    };
    if (unlikely(!cpu)) {
        rv_labels = labels;
        return 0;
    }
#define DISPATCH() goto *op->h
#define CASE(label, id) label:
#define NEXT() do { op++; goto *op->h; } while (0)
#else
    if (unlikely(!cpu)) return 0;
#define DISPATCH() goto next
#define CASE(label, id) case id:
#define NEXT() do { op++; goto next; } while (0)
#endif
    struct vm *vm = cpu->vm;
    uint64_t *x = cpu->x, *f = cpu->f;
    const struct rv_op *op = (const struct rv_op *)tb->ops;
    int ret;
    uint64_t left = *budget, chains = 0, ras_hits = 0;
    /* JIT: a block reached by chaining that just became hot is not chained
     * to, so the dispatcher compiles it (jit_hot 0: never, up to wrap). */
    const uint32_t hot = vm->jit_hot;
#define JIT_HOT(n) unlikely(++(n)->heat == hot)

#define PROLOGUE(flags)                                                           \
    enum { FLAGS_ = (flags) };                                                    \
    unsigned rm_ = 0; int smc_ = 0;                                               \
    if (FLAGS_ & RVF_RM) {                                                        \
        rm_ = op->rm == 7 ? cpu->frm : op->rm;                                    \
        /* Reserved static modes and an invalid dynamic frm are illegal. */       \
        if (unlikely(rm_ > 4)) goto illegal;                                      \
    }                                                                             \
    (void)rm_;
#define EPILOGUE() do { if (unlikely(smc_)) goto smc; (void)FLAGS_; } while (0)

#if RV_DISPATCH_GOTO
    goto *op->h;
#else
next:
    switch (op->hid) {
#endif

#define INSN(n, ops, ext, match, mask, flags, body)                               \
    CASE(L_##n, RV_##n) { enum { INSTR_ = 0 }; PROLOGUE(flags) body; EPILOGUE(); } NEXT(); \
    CASE(LI_##n, RV_##n + RV_N_INSNS) { enum { INSTR_ = 1 }; PROLOGUE(flags) body; EPILOGUE(); } NEXT();
#include "insns.def"
#undef INSN

    CASE(L_illegal, H_ILLEGAL)
    illegal:
        cpu->exc_cause = RV_EXC_ILLEGAL;
        cpu->exc_tval = op->raw;
        goto trap;
    CASE(L_end, H_END)
        cpu->pc = op->pc;
        EXIT(X_LINK1);
    CASE(L_block_cb, H_BLOCK_CB)
        cpu->pc = tb->pc;
        ((vm_block_cb)op->cb)(op->udata, cpu, tb->pc, cpu->icount);
        NEXT();
    CASE(L_insn_cb, H_INSN_CB)
        cpu->pc = op->pc;
        ((vm_insn_cb)op->cb)(op->udata, cpu, op->pc, cpu->icount + op->idx);
        NEXT();
    CASE(L_jit, H_JIT)
        /* Reached by chaining: the dispatcher runs the host code. */
        cpu->pc = tb->pc;
        ret = X_JIT;
        goto leave;
#if !RV_DISPATCH_GOTO
    }
    ret = X_EXC;
    cpu->exc_cause = RV_EXC_ILLEGAL;
    cpu->exc_tval = 0;
    goto out;
#endif
trap:
    cpu->pc = op->pc;
    cpu->icount += op->idx;
    left -= op->idx;
    ret = X_EXC;
    goto leave;
smc:
    /* The instruction just retired overwrote code of this very block: the
     * ops after it may be stale, so leave now. */
    cpu->pc = op->pc + op->len;
    cpu->icount += op->idx + 1;
    left -= op->idx + 1;
    ret = X_SMC;
    goto leave;
out:
    /* A normal block exit: chain to the next block if it is known. The
     * common case - a linked static successor, no call - is tested first. */
    cpu->icount += tb->n_insns;
    left -= tb->n_insns;
    {
        struct vm_tb *n;
        if (likely(ret != X_JALR)) {
            n = tb->link[ret == X_LINK0 ? 0 : 1].to;
            if (likely(n && n->n_insns <= left && !cpu->stop_request && !JIT_HOT(n))) {
                chains++;
                if (unlikely(tb->exit_kind == TB_EXIT_CALL)) ras_push(cpu, tb);
                tb = n;
                op = (const struct rv_op *)tb->ops;
                DISPATCH();
            }
        } else if (tb->exit_kind == TB_EXIT_RET) {
            unsigned i = (cpu->ras_top - 1) & (RV_RAS_SIZE - 1);
            struct vm_tb *caller = cpu->ras[i].caller;
            if (caller && cpu->ras[i].ret_pc == cpu->pc && caller->valid &&
                (n = caller->link[1].to) && n->n_insns <= left && !cpu->stop_request &&
                !JIT_HOT(n)) {
                cpu->ras_top--;
                ras_hits++;
                tb = n;
                op = (const struct rv_op *)tb->ops;
                DISPATCH();
            }
        } else {
            n = tb->link[0].to;
            if (n && n->pc == cpu->pc && n->n_insns <= left && !cpu->stop_request && !JIT_HOT(n)) {
                chains++;
                if (tb->exit_kind == TB_EXIT_CALL) ras_push(cpu, tb);
                tb = n;
                op = (const struct rv_op *)tb->ops;
                DISPATCH();
            }
        }
    }
leave:
    x[0] = 0;
    cpu->exit_tb = tb;
    *budget = left;
    vm->stats.chain_hits += chains;
    vm->stats.ras_hits += ras_hits;
    return ret;
}

/* ---- JIT helpers (vm/riscv/jit/, docs/jit.md) ----
 * Every row's body again, expanded as a function of its own so that
 * compiled code can call it for an instruction that has no template: the
 * interpreter's handler, not a second copy of the semantics. Only rows
 * that do not end a block are called (control transfers all have
 * templates); the others are compiled here but never used. cpu->icount
 * holds the block-entry count, as the interpreter keeps it. */
#define JIT_HELPER(name, instr, flags, ...)                                       \
static int name(struct vm_cpu *cpu, const struct rv_op *op)                       \
{                                                                                 \
    struct vm *vm = cpu->vm;                                                      \
    uint64_t *x = cpu->x, *f = cpu->f;                                            \
    const struct vm_tb *tb = cpu->cur_tb;                                         \
    int ret = 0;                                                                  \
    enum { INSTR_ = instr };                                                      \
    PROLOGUE(flags)                                                               \
    __VA_ARGS__;                                                                  \
    (void)vm; (void)x; (void)f; (void)tb; (void)FLAGS_;                           \
    return smc_ ? JIT_H_SMC : JIT_H_OK;                                           \
illegal: __attribute__((unused));                                                 \
    cpu->exc_cause = RV_EXC_ILLEGAL;                                              \
    cpu->exc_tval = op->raw;                                                      \
    return JIT_H_EXC;                                                             \
trap: __attribute__((unused));                                                    \
    return JIT_H_EXC;                                                             \
out: __attribute__((unused));                                                     \
    (void)ret;                                                                    \
    return JIT_H_OK;                                                              \
}
/* jhi_<row>: the instrumented twin (the interpreter's LI_ labels), the same
 * body with the memory callback of op->cb after each access; used for the
 * memory rows of instrumented blocks. */
#define INSN(n, ops, ext, match, mask, flags, body) \
    JIT_HELPER(jh_##n, 0, flags, body) JIT_HELPER(jhi_##n, 1, flags, body)
#include "insns.def"
#undef INSN
#undef JIT_HELPER

static const void *const rv_jit_helpers[2 * RV_N_INSNS] = {
#define INSN(n, ops, ext, match, mask, flags, body) \
    [RV_##n] = ((flags) & RVF_CONTROL) ? NULL : (const void *)(uintptr_t)jh_##n, \
    [RV_##n + RV_N_INSNS] = ((flags) & RVF_MEMORY) && !((flags) & RVF_CONTROL) \
        ? (const void *)(uintptr_t)jhi_##n : NULL,
#include "insns.def"
#undef INSN
};

/* ---- translator ---- */

struct rv_fetched {
    struct rv_decoded d;
    uint64_t pc;
};

/* The parcel at executable address a. An execute-only page is not
 * readable on the host (vm/mem.c), so it is read with the kernel's rights. */
static void fetch16(struct vm *vm, uint64_t a, uint16_t *v)
{
    if (vm->mem.pf[a >> VM_PAGE_SHIFT] & PF_R) memcpy(v, vm->mem.host + a, 2);
    else if (vm_peek(vm, a, v, 2)) *v = 0;
}

/* Fetches the instruction at pc. Returns 0, or -1 with *fault_addr set if
 * a byte of it is not executable. */
static int fetch(struct vm *vm, uint64_t pc, struct rv_decoded *d, uint64_t *fault_addr)
{
    const struct vm_mem *m = &vm->mem;
    if (pc > m->size - 2 || !(m->pf[pc >> VM_PAGE_SHIFT] & PF_X)) {
        *fault_addr = pc;
        return -1;
    }
    uint16_t lo;
    fetch16(vm, pc, &lo);
    uint32_t bits = lo;
    if (rv_insn_len(lo) == 4) {
        uint64_t hi_addr = pc + 2;
        if (hi_addr > m->size - 2 || !(m->pf[hi_addr >> VM_PAGE_SHIFT] & PF_X)) {
            *fault_addr = hi_addr;
            return -1;
        }
        uint16_t hi;
        fetch16(vm, hi_addr, &hi);
        bits |= (uint32_t)hi << 16;
    }
    rv_decode(bits, d);
    return 0;
}

static int is_link_reg(unsigned r) { return r == 1 || r == 5; }

/*
 * Translates the block at pc, of at most max_insns instructions. A temp
 * block (for an exact stop) is not entered in the cache. Returns NULL with
 * *ex filled if the first instruction cannot be fetched; sets *flushed if
 * the cache had to be flushed to make room.
 */
static struct vm_tb *rv_translate(struct vm *vm, uint64_t pc, unsigned max_insns, int temp,
                                  struct vm_exit *ex, int *flushed)
{
    struct rv_fetched buf[256];
    struct vm_tb_insn ibuf[256];
    unsigned n = 0;
    if (max_insns > 256) max_insns = 256;

    if (pc & 1) {
        ex->reason = VM_EXIT_EXCEPTION;
        ex->cause = RV_EXC_INSN_MISALIGNED;
        ex->pc = ex->tval = pc;
        return NULL;
    }
    uint64_t a = pc;
    while (n < max_insns) {
        uint64_t fault;
        if (fetch(vm, a, &buf[n].d, &fault)) {
            if (n == 0) {
                ex->reason = VM_EXIT_EXCEPTION;
                ex->cause = RV_EXC_INSN_PAGE_FAULT;
                ex->pc = pc;
                ex->tval = fault;
                return NULL;
            }
            break; /* the next block starts with the faulting fetch */
        }
        buf[n].pc = a;
        a += buf[n].d.len;
        n++;
        const struct rv_decoded *d = &buf[n - 1].d;
        if (d->id == RV_ILLEGAL || (rv_insns[d->id].flags & RVF_CONTROL)) break;
        if ((a >> VM_PAGE_SHIFT) != (pc >> VM_PAGE_SHIFT)) break;
    }

    /* Instrumentation requests. */
    unsigned n_ops = n + 1; /* + the END op */
    struct vm_tb_desc desc = { .pc = pc, .n_insns = n, .insns = ibuf };
    const struct vm_instrument *ins = vm->cfg.instrument;
    if (ins) {
        for (unsigned i = 0; i < n; i++) {
            const struct rv_decoded *d = &buf[i].d;
            ibuf[i] = (struct vm_tb_insn){ .pc = buf[i].pc, .raw = d->raw, .len = d->len, .id = d->id,
                                           .flags = d->id == RV_ILLEGAL ? 0 : rv_insns[d->id].flags };
        }
        ins->translate(ins->ctx, &desc);
        n_ops += desc.block_cb ? 1 : 0;
        for (unsigned i = 0; i < n; i++) n_ops += ibuf[i].exec_cb ? 1 : 0;
    }

    size_t size = sizeof(struct vm_tb) + n_ops * sizeof(struct rv_op);
    struct vm_tb *tb = vm_tb_alloc(vm, size);
    if (!tb) {
        vm_tb_flush(vm);
        *flushed = 1;
        tb = vm_tb_alloc(vm, size);
        if (!tb) return NULL;
    }
    memset(tb, 0, sizeof *tb);
    tb->pc = pc;
    tb->end = a;
    tb->n_insns = n;
    tb->n_ops = n_ops;
    tb->valid = 1;
    tb->temp = (uint8_t)temp;
    tb->page[0] = pc >> VM_PAGE_SHIFT;
    tb->n_pages = 1;
    if (((a - 1) >> VM_PAGE_SHIFT) != tb->page[0]) {
        tb->page[1] = (a - 1) >> VM_PAGE_SHIFT;
        tb->n_pages = 2;
    }
    tb->succ_pc[1] = a;
    tb->succ_ok[1] = 1;

    struct rv_op *op = (struct rv_op *)tb->ops;
    if (desc.block_cb) {
        *op++ = (struct rv_op){ .hid = H_BLOCK_CB, .pc = pc, .cb = (void *)desc.block_cb,
                                .udata = desc.block_udata };
    }
    for (unsigned i = 0; i < n; i++) {
        const struct rv_decoded *d = &buf[i].d;
        if (ins && ibuf[i].exec_cb)
            *op++ = (struct rv_op){ .hid = H_INSN_CB, .idx = i, .pc = buf[i].pc,
                                    .cb = (void *)ibuf[i].exec_cb, .udata = ibuf[i].exec_udata };
        struct rv_op o = { .idx = i, .pc = buf[i].pc, .len = d->len, .raw = d->raw,
                           .rd = d->rd, .rs1 = d->rs1, .rs2 = d->rs2, .rs3 = d->rs3, .rm = d->rm,
                           .imm = d->imm };
        if (d->id == RV_ILLEGAL) {
            o.hid = H_ILLEGAL;
        } else {
            const struct rv_insn_desc *r = &rv_insns[d->id];
            o.hid = d->id;
            if (ins && ibuf[i].mem_cb && (r->flags & RVF_MEMORY)) {
                o.hid = (uint16_t)(d->id + RV_N_INSNS);
                o.cb = (void *)ibuf[i].mem_cb;
                o.udata = ibuf[i].mem_udata;
            }
            /* Integer writes to x0 go to the sink register x[32]. */
            if (o.rd == 0 && r->operands[0] != 'D') o.rd = 32;
        }
        *op++ = o;
    }
    *op = (struct rv_op){ .hid = H_END, .pc = a, .idx = n };

    /* Static successors and call/return kind of the last instruction. */
    if (n) {
        const struct rv_decoded *d = &buf[n - 1].d;
        uint16_t fl = d->id == RV_ILLEGAL ? 0 : rv_insns[d->id].flags;
        if (fl & (RVF_BRANCH | RVF_JUMP)) {
            tb->succ_pc[0] = buf[n - 1].pc + (uint64_t)d->imm;
            tb->succ_ok[0] = 1;
        }
        if ((fl & (RVF_JUMP | RVF_JALR)) && is_link_reg(d->rd))
            tb->exit_kind = TB_EXIT_CALL;
        else if ((fl & RVF_JALR) && d->rd == 0 && is_link_reg(d->rs1))
            tb->exit_kind = TB_EXIT_RET;
    }
    struct rv_op *ops = (struct rv_op *)tb->ops;
    for (unsigned i = 0; i < n_ops; i++) ops[i].h = rv_labels ? rv_labels[ops[i].hid] : NULL;

    if (temp)
        vm_tb_add_pages(vm, tb);
    else
        vm_tb_insert(vm, tb);
    return tb;
}

/* ---- dispatcher ---- */

void vm_isa_cpu_flush(struct vm_cpu *cpu)
{
    memset(cpu->ras, 0, sizeof cpu->ras);
    cpu->ras_top = 0;
}

void vm_isa_init(void) { rv_exec(NULL, NULL, NULL); }

/* ---- JIT hooks (vm/riscv/jit/, docs/jit.md) ---- */

/* Compiles tb from its ops; on success the first op sends the interpreter
 * (which may still chain into the block) back to the dispatcher. */
static enum jit_result rv_jit_compile(struct vm *vm, struct vm_tb *tb)
{
    struct jit_insn in[256];
    struct rv_op *ops = (struct rv_op *)tb->ops;
    if (tb->n_insns == 0 || tb->n_insns > 256) return JIT_DECLINED;
    struct jit_callback block_cb = { 0 }, exec_cb = { 0 };
    unsigned k = 0;
    for (unsigned i = 0; i < tb->n_ops && k < tb->n_insns; i++) {
        const struct rv_op *o = &ops[i];
        /* Instrumentation (vm_instrument): the block callback, each
         * instruction's callback, memory rows' instrumented twins. */
        if (o->hid == H_BLOCK_CB) {
            block_cb = (struct jit_callback){ o->cb, o->udata };
            continue;
        }
        if (o->hid == H_INSN_CB) {
            exec_cb = (struct jit_callback){ o->cb, o->udata };
            continue;
        }
        if (o->hid >= 2 * RV_N_INSNS && o->hid != H_ILLEGAL) {
            tb->jit_failed = 1;
            return JIT_DECLINED;
        }
        bool twin = o->hid >= RV_N_INSNS && o->hid < 2 * RV_N_INSNS;
        in[k++] = (struct jit_insn){ .pc = o->pc, .imm = o->imm, .raw = o->raw,
                                     .id = o->hid == H_ILLEGAL ? RV_ILLEGAL
                                           : (uint16_t)(twin ? o->hid - RV_N_INSNS : o->hid),
                                     .rd = o->rd, .rs1 = o->rs1, .rs2 = o->rs2, .len = o->len,
                                     .helper = o->hid < 2 * RV_N_INSNS ? rv_jit_helpers[o->hid] : NULL,
                                     .helper_arg = o, .exec_cb = exec_cb, .mem_cb = twin };
        exec_cb = (struct jit_callback){ 0 };
    }
    if (k != tb->n_insns) {
        tb->jit_failed = 1;
        return JIT_DECLINED;
    }
    enum jit_result r = jit_compile(vm, tb, in, tb->n_insns, tb->end, block_cb);
    if (r == JIT_OK) {
        ops[0].hid = H_JIT;
        ops[0].h = rv_labels ? rv_labels[H_JIT] : NULL;
    }
    return r;
}

enum { RV_JIT_NO = -1, RV_JIT_FLUSHED = -2 };

/* Runs tb as host code if it has some or has just become hot, returning
 * its X_* exit; RV_JIT_NO: interpret it; RV_JIT_FLUSHED: the cache was
 * flushed, look the block up again. */
static int rv_jit_enter(struct vm_cpu *cpu, struct vm_tb *tb, uint64_t *budget)
{
    struct vm *vm = cpu->vm;
    if (!tb->jit_code) {
        if (tb->jit_failed || ++tb->heat < vm->jit_hot) return RV_JIT_NO;
        enum jit_result r = rv_jit_compile(vm, tb);
        if (r == JIT_FLUSHED) return RV_JIT_FLUSHED;
        if (r != JIT_OK) return RV_JIT_NO;
    }
    uint64_t ic = cpu->icount;
    cpu->cur_tb = tb;
    int x = jit_run(vm, cpu, tb, *budget);
    cpu->exit_tb = (struct vm_tb *)cpu->cur_tb; /* compiled code may have chained on */
    cpu->cur_tb = NULL;
    *budget -= cpu->icount - ic;
    vm->stats.jit_runs++;
    if (x == X_PARTIAL) vm->stats.jit_partial_exits++;
    return x;
}

/* Finds or builds the block at cpu->pc. */
static struct vm_tb *get_tb(struct vm_cpu *cpu, struct vm_exit *ex, int *flushed)
{
    struct vm *vm = cpu->vm;
    struct vm_tb *tb = vm_tb_lookup(vm, cpu->pc);
    if (tb) return tb;
    unsigned max = vm->cfg.max_block_insns;
    return rv_translate(vm, cpu->pc, max, 0, ex, flushed);
}

int vm_run(struct vm_cpu *cpu, uint64_t budget, struct vm_exit *ex)
{
    struct vm *vm = cpu->vm;
    struct vm_tb *prev = NULL; /* the block just run, if it may be chained from */
    int prev_exit = X_LINK0;
    memset(ex, 0, sizeof *ex);

    for (;;) {
        if (unlikely(cpu->stop_request)) {
            cpu->stop_request = 0;
            ex->reason = VM_EXIT_STOPPED;
            ex->pc = cpu->pc;
            return 0;
        }
        if (budget == 0) {
            ex->reason = VM_EXIT_BUDGET;
            ex->pc = cpu->pc;
            return 0;
        }

        /* Find the next block: chained edge, return prediction, inline
         * cache of an indirect jump, then jump cache and hash table. */
        struct vm_tb *tb = NULL, *link_from = NULL;
        int link_slot = 0, flushed = 0;
        if (prev) {
            if (prev_exit == X_LINK0 || prev_exit == X_LINK1) {
                link_slot = prev_exit == X_LINK0 ? 0 : 1;
                tb = prev->link[link_slot].to;
                link_from = prev;
                if (tb) vm->stats.chain_hits++;
            } else if (prev->exit_kind == TB_EXIT_RET) {
                unsigned i = (cpu->ras_top - 1) & (RV_RAS_SIZE - 1);
                struct vm_tb *caller = cpu->ras[i].caller;
                if (cpu->ras[i].ret_pc == cpu->pc && caller && caller->valid) {
                    cpu->ras_top--;
                    tb = caller->link[1].to;
                    link_from = caller;
                    link_slot = 1;
                    if (tb) vm->stats.ras_hits++;
                }
            } else {
                tb = prev->link[0].to;
                if (tb && tb->pc != cpu->pc) tb = NULL;
                link_from = prev;
                link_slot = 0;
            }
        }
        if (!tb) {
            tb = get_tb(cpu, ex, &flushed);
            if (!tb) {
                if (ex->reason == VM_EXIT_EXCEPTION) return 0;
                return -ENOMEM;
            }
            if (!flushed && link_from) vm_tb_link_set(link_from, link_slot, tb);
        }

        /* Exact stop: never run past the budget, even mid-block. */
        struct vm_tb *run = tb;
        if (unlikely(tb->n_insns > budget)) {
            run = rv_translate(vm, cpu->pc, (unsigned)budget, 1, ex, &flushed);
            if (!run) {
                if (ex->reason == VM_EXIT_EXCEPTION) return 0;
                return -ENOMEM;
            }
        }

        int r;
        if (vm->jit_hot && run == tb && (r = rv_jit_enter(cpu, tb, &budget)) != RV_JIT_NO) {
            if (r == RV_JIT_FLUSHED) {
                prev = NULL;
                continue;
            }
            run = cpu->exit_tb;
        } else {
            cpu->cur_tb = run;
            r = rv_exec(cpu, run, &budget);
            cpu->cur_tb = NULL;
            run = cpu->exit_tb; /* chaining may have gone on to other blocks */
            if (r == X_JIT) {
                prev = NULL;
                continue;
            }
        }

        if (run->temp) vm_tb_invalidate(vm, run);

        if (r == X_EXC) {
            ex->reason = VM_EXIT_EXCEPTION;
            ex->cause = cpu->exc_cause;
            ex->pc = cpu->pc;
            ex->tval = cpu->exc_tval;
            return 0;
        }
        if (r == X_SMC || r == X_PARTIAL || r == X_RESUME || run->temp || !run->valid) {
            prev = NULL;
            continue;
        }
        if (run->exit_kind == TB_EXIT_CALL) ras_push(cpu, run);
        prev = run;
        prev_exit = r;
    }
}

struct vm_cpu *vm_cpu_create(struct vm *vm)
{
    if (vm->n_cpus == vm->cap_cpus) {
        size_t cap = vm->cap_cpus ? vm->cap_cpus * 2 : 8;
        struct vm_cpu **c = realloc(vm->cpus, cap * sizeof *c);
        if (!c) return NULL;
        vm->cpus = c;
        vm->cap_cpus = cap;
    }
    struct vm_cpu *cpu = calloc(1, sizeof *cpu);
    if (!cpu) return NULL;
    cpu->vm = vm;
    vm->cpus[vm->n_cpus++] = cpu;
    return cpu;
}

void vm_cpu_destroy(struct vm_cpu *cpu)
{
    if (!cpu) return;
    struct vm *vm = cpu->vm;
    for (size_t i = 0; i < vm->n_cpus; i++)
        if (vm->cpus[i] == cpu) {
            vm->cpus[i] = vm->cpus[--vm->n_cpus];
            break;
        }
    free(cpu);
}

void vm_cpu_request_stop(struct vm_cpu *cpu) { cpu->stop_request = 1; }

void vm_cpu_retire(struct vm_cpu *cpu)
{
    uint16_t lo = 0;
    vm_peek(cpu->vm, cpu->pc, &lo, 2);
    cpu->pc += rv_insn_len(lo);
    cpu->icount++;
}
