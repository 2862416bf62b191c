/*
 * jit_internal.h - what the JIT's compiler files share: the compilation
 * state of one block (struct cc), its out-of-line slow paths (struct
 * slow), the template kinds of templates.def, and the emitters of jit.c
 * that other template files (fp.c) build on. Not seen outside
 * vm/riscv/jit/. Design: docs/jit.md.
 */
#ifndef REPRISE_VM_RISCV_JIT_JIT_INTERNAL_H
#define REPRISE_VM_RISCV_JIT_JIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jit.h"
#include "x86emit.h"
#include "../cpu.h"

/* rbx points BIAS bytes into struct vm_cpu, so that x1..x31 are 8-bit
 * displacements away. */
#define BIAS 128
#define CPU_OFF(field) ((int32_t)offsetof(struct vm_cpu, field) - BIAS)
#define XR(i) x86_m(RBX, 8 * (int32_t)(i) - BIAS)
/* cpu->f[i], and the upper half of it (the NaN box of a binary32). */
#define FR(i) x86_m(RBX, CPU_OFF(f) + 8 * (int32_t)(i))
#define FR_HI(i) x86_m(RBX, CPU_OFF(f) + 8 * (int32_t)(i) + 4)

/* Load kinds (jit_helper_load): size in bits 0..3, sign extension, an f
 * register as the destination, the register number in bits 8..15. */
#define JIT_SIGNED 16u
#define JIT_FREG 32u

/* Template kinds (the `template` column of templates.def). */
enum {
    T_NONE, T_LI, T_AUIPC, T_JAL, T_JALR, T_BRANCH, T_LOAD, T_STORE, T_ALU_RI, T_ALU_RR,
    T_SLT_RI, T_SLT_RR, T_SH_RI, T_SH_RR, T_ALU_RI_W, T_ALU_RR_W, T_SH_RI_W, T_SH_RR_W,
    T_NOP, T_TRAP, T_MUL, T_MUL_W, T_MULH, T_DIV, T_SHADD, T_SLLI_UW, T_LOGN, T_MINMAX, T_EXT,
    T_REV8,
    /* Floating point (fp.c); T_FP_FIRST..T_FP_LAST are all emitted by jit_fp_emit. */
    T_FP_FIRST,
    T_FLOAD = T_FP_FIRST, T_FSTORE, T_FARITH, T_FFMA, T_FMV_X, T_FMV_F, T_FSGNJ, T_FCMP,
    T_FCVT_IF, T_FCSR,
    T_FP_LAST = T_FCSR,
};
enum { SHADD_UW = 8 };
enum { MULH_SS, MULH_SU, MULH_UU };
enum { DIV_SIGNED = 1, DIV_REM = 2, DIV_W = 4 };
/* Arguments of the FP templates: the format (FP_S: binary32, else
 * binary64) or'ed with the operation. */
enum { FP_S = 0x100 };
enum { FP_ADD, FP_SUB, FP_MUL, FP_DIV, FP_SQRT };          /* T_FARITH */
/* T_FFMA: enum x86_fma, the negations of fmsub, fnmsub, fnmadd. */
enum { SGNJ_J, SGNJ_N, SGNJ_X };                            /* T_FSGNJ */
enum { FCMP_EQ, FCMP_LT, FCMP_LE };                         /* T_FCMP */
enum { CVT_W, CVT_WU, CVT_L, CVT_LU };                      /* T_FCVT_IF: the source */
enum { FCSR_RW, FCSR_RS, FCSR_RC, FCSR_IMM = 4 };           /* T_FCSR */

struct tmpl { uint8_t kind; int arg; };

/* An out-of-line slow path, emitted after the block's straight-line code:
 * the inline code jumps to it (patch[] are those jumps' rel32 fields), it
 * does the general case and jumps back to resume or leaves the block.
 * SLOW_FP calls the row's interpreter handler (jit_fp_emit_slow). */
enum { SLOW_LOAD, SLOW_STORE, SLOW_HELPER, SLOW_FP };
struct slow {
    uint8_t type;
    unsigned idx;        /* instruction index in the block */
    uint32_t kind;       /* load: helper kind; store: size */
    uint64_t npc;        /* pc after the instruction (store SMC exit) */
    size_t patch[12];
    unsigned npatch;
    size_t resume;
    /* Loads and stores: the code offset of the host instruction making the
     * guest access, which the host MMU may fault (0: none yet); grouped:
     * it was emitted unchecked inside a group (its fault resumes in the
     * group's fallback, not in this slow path). */
    size_t fault_at;
    bool grouped;
};

/* A host instruction of a block that may fault on a guest access (the
 * host mapping refuses what the guest may not do, vm/mem.c) and where the
 * block resumes then: code offsets. The resume code is the access's slow
 * path, which does what the interpreter does (an exception with the exact
 * pc, or the access after all). */
struct jit_fault { uint32_t at, to; };
#define JIT_MAX_FAULTS 512

struct cc {
    struct x86_buf e;
    uint32_t off[257];   /* code offset of each instruction, then of the tail */
    const struct jit_insn *insns;
    const struct vm_tb *tb;
    bool chain;          /* exits may go on to linked blocks */
    bool counted;        /* count and check the budget (not jit_uncounted) */
    /* The block calls out to code that may request a stop
     * (vm_cpu_request_stop: instrumentation callbacks, the interpreter's
     * handlers): its exits check for one before going on to another
     * block. Other blocks never do: a stop requested from outside (a host
     * signal) waits for the budget, at most a time slice. */
    bool calls_out;
    /* Bit g: x[g] is known to lie in [0, 2^31), from what this block's
     * own instructions computed (andi with a non-negative mask, srliw,
     * slt, zext.b/h): its 32-bit sign extension is itself, so a W
     * operation on it needs none. Cleared by every write of another kind
     * and after every call (a callback may change registers). */
    uint64_t small;
    unsigned n;
    struct slow *slow;
    unsigned nslow;
    /* Guest registers in host registers: host[g] is the host register of
     * x[g] or -1. The fixed ones (a5, a4, sp) are live in theirs whenever
     * compiled code runs; the block's others are loaded at its entry.
     * writeback() stores those the block writes (wmask) and the fixed ones
     * before every helper call and return to the dispatcher; chained jumps
     * store only the others; reload_all() reloads all after a call. */
    int8_t host[33];
    uint32_t wmask;
    size_t loop_top;     /* code offset after the entry loads */
    /* Per link slot: the rel32 of the chaining jump (0: none) and the
     * offset of the return to the dispatcher it goes to while unlinked. */
    size_t link_jmp[2], link_unl[2];
    struct vm_tb *const *jc;  /* the vm's jump cache (indirect jumps) */
    const struct jit_jc *hjc; /* the JIT's own (jit.c) */
    /* Set while the accesses of a checked group are emitted: the group
     * check covered them, emit_fast_check emits nothing. */
    bool unchecked;
    struct jit_fault *faults; /* JIT_MAX_FAULTS */
    unsigned nfaults;
};

/* ---- emitters of jit.c ---- */

/* dst = x[g] (w: 64 bits, else the low 32 bits zero-extended). */
void get(struct cc *c, bool w, int dst, unsigned g);
/* x[rd] = src (64 bits), unless rd is the x0 sink. */
void put(struct cc *c, const struct jit_insn *in, int src);
/* Cached guest registers the block writes, and the fixed ones, go to
 * struct vm_cpu (before a call or a return to the dispatcher). */
void writeback(struct cc *c);
/* Cached guest registers are loaded from struct vm_cpu (after a call). */
void reload_all(struct cc *c);
/* rsi = x[rs1] + imm, the guest address of a load or store. */
void emit_addr(struct cc *c, const struct jit_insn *in);
/* The inline part of vm_mem_fast() for the address in rsi: jumps to slow
 * path s unless the access may be done at guest_mem(), which must be the
 * next instruction emitted (it is recorded as s's fault site: the host MMU
 * checks the page's read and write rights, and refuses stores into
 * translated code). */
void emit_fast_check(struct cc *c, struct slow *s);
/* Calls fn (SysV ABI; clobbers the caller-saved registers). */
void emit_call(struct x86_buf *e, const void *fn);
/* cpu->icount = the count at the start of the current block + count. */
void emit_icount(struct x86_buf *e, uint32_t count);
/* Leaves the block: cpu->pc = pc, cpu->icount = block start + count,
 * cpu->cur_tb = the block, returns code. Cached registers must have been
 * written back. */
void emit_exit(struct cc *c, uint64_t pc, uint32_t count, int code);

/* The host memory operand of the guest access that emit_fast_check has
 * just let through. */
static inline struct x86_mem guest_mem(void) { return x86_mi(R12, RSI); }

/* ---- fp.c ---- */

/* Emits instruction idx, whose template t is one of T_FP_FIRST..T_FP_LAST. */
void jit_fp_emit(struct cc *c, unsigned idx, const struct tmpl *t);
/* Emits the SLOW_FP slow path s. */
void jit_fp_emit_slow(struct cc *c, struct slow *s);
/* Whether instruction in (template t, an FP kind) has an inline fast path;
 * false for the rows that always call the handler (static rounding modes
 * other than RNE; fused multiply-adds on hosts without FMA3; CSR accesses
 * other than fflags, frm, fcsr). */
bool jit_fp_inline(const struct jit_insn *in, const struct tmpl *t);
/* The SLOW_LOAD helper: x[rd] (or f[rd] with JIT_FREG, a binary32
 * NaN-boxed) = the `kind & 15` bytes at guest address a, rd = kind >> 8.
 * Returns 0, or 1 on a fault with the exception recorded in cpu. */
int jit_helper_load(struct vm_cpu *cpu, uint64_t a, unsigned kind);

#endif
