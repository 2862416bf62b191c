/*
 * x86emit.h - a small x86-64 machine-code encoder for the JIT: just the
 * instruction forms the RISC-V templates (jit.c) need, each encoded by one
 * function so that tests/unit/test_jit_emit.c can decode every form back
 * with Capstone and compare it with the intended text.
 *
 * Encodings follow the Intel 64 and IA-32 Architectures Software
 * Developer's Manual, vol. 2 (chapter 2: REX prefix, ModR/M, SIB; chapter 3
 * and 4: the opcode of each instruction).
 *
 * Output goes to a caller-owned byte buffer. An encoder never writes past
 * its end: when the buffer is full it sets `overflow` and drops the bytes,
 * and the caller discards the whole block (x86_ok() tells).
 */
#ifndef REPRISE_VM_RISCV_JIT_X86EMIT_H
#define REPRISE_VM_RISCV_JIT_X86EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Host general registers, numbered as in the ModR/M reg field (+8 with REX). */
enum x86_gpr {
    RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15,
};

/* Memory operand [base + index + disp]; index < 0 means none (scale is 1). */
struct x86_mem {
    int base, index;
    int32_t disp;
};
static inline struct x86_mem x86_m(int base, int32_t disp) { return (struct x86_mem){ base, -1, disp }; }
static inline struct x86_mem x86_mi(int base, int index) { return (struct x86_mem){ base, index, 0 }; }
static inline struct x86_mem x86_mid(int base, int index, int32_t disp) { return (struct x86_mem){ base, index, disp }; }

/* Emission buffer: bytes [buf, buf + len) are written, cap is the size. */
struct x86_buf {
    uint8_t *buf;
    size_t len, cap;
    bool overflow;
};

static inline bool x86_ok(const struct x86_buf *e) { return !e->overflow; }

/* Two-operand integer ALU operations (the /digit of opcode 0x81 and the
 * base opcode of the reg/r/m forms are both derived from this number). */
enum x86_alu { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };
/* Shift operations (the /digit of 0xC1 and 0xD3). */
enum x86_shift { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };
/* Condition codes (the low nibble of Jcc / SETcc). */
enum x86_cc {
    CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
    CC_S = 8, CC_P = 10, CC_L = 12, CC_GE = 13, CC_LE = 14, CC_G = 15,
};

/* Raw bytes. */
void x86_byte(struct x86_buf *e, uint8_t b);
void x86_u32(struct x86_buf *e, uint32_t v);
/* n bytes of no-operation (padding before a jump target). */
void x86_nops(struct x86_buf *e, unsigned n);

/* w: 64-bit operation (REX.W) when true, 32-bit otherwise (which zeroes
 * the upper half of a destination register). */
void x86_mov_rr(struct x86_buf *e, bool w, int dst, int src);
void x86_mov_rm(struct x86_buf *e, bool w, int dst, struct x86_mem m);   /* load */
void x86_mov_mr(struct x86_buf *e, bool w, struct x86_mem m, int src);   /* store */
void x86_mov_ri64(struct x86_buf *e, int dst, uint64_t imm);             /* shortest form */
void x86_mov_mi32(struct x86_buf *e, struct x86_mem m, int32_t imm);     /* qword [m] = sext imm */
void x86_mov_mi32d(struct x86_buf *e, struct x86_mem m, uint32_t imm);   /* dword [m] = imm */
/* Sized loads into a 64-bit register: size 1, 2, 4 or 8 bytes, sign- or
 * zero-extended. */
void x86_load(struct x86_buf *e, int dst, struct x86_mem m, unsigned size, bool sign);
/* Sized store of the low `size` bytes of src. */
void x86_store(struct x86_buf *e, struct x86_mem m, int src, unsigned size);
void x86_movsxd(struct x86_buf *e, int dst, int src);                    /* dst = sext32(src) */
void x86_lea(struct x86_buf *e, bool w, int dst, struct x86_mem m);     /* dst = address of m */
void x86_movzx8(struct x86_buf *e, int dst, int src8);                   /* dst32 = zext(src8) */

void x86_alu_rr(struct x86_buf *e, bool w, enum x86_alu op, int dst, int src);
void x86_alu_rm(struct x86_buf *e, bool w, enum x86_alu op, int dst, struct x86_mem m);
void x86_alu_ri(struct x86_buf *e, bool w, enum x86_alu op, int dst, int32_t imm);
void x86_alu_mi(struct x86_buf *e, bool w, enum x86_alu op, struct x86_mem m, int32_t imm);
void x86_test_rr(struct x86_buf *e, bool w, int a, int b);
void x86_shift_ri(struct x86_buf *e, bool w, enum x86_shift op, int dst, uint8_t n);
void x86_shift_rcl(struct x86_buf *e, bool w, enum x86_shift op, int dst); /* by cl */
void x86_imul_rm(struct x86_buf *e, bool w, int dst, struct x86_mem m);  /* dst *= [m] */
void x86_imul_rr(struct x86_buf *e, bool w, int dst, int src);           /* dst *= src */
void x86_mul_r(struct x86_buf *e, bool is_signed, int src);              /* rdx:rax = rax * src */
/* One-operand multiply/divide of rax (rdx:rax) by [m] or a register. */
void x86_mul_m(struct x86_buf *e, bool is_signed, struct x86_mem m);     /* rdx:rax = rax * [m] */
void x86_div_r(struct x86_buf *e, bool w, bool is_signed, int src);      /* rdx:rax / src */
void x86_cqo(struct x86_buf *e, bool w);                                 /* cqo / cdq */
void x86_setcc(struct x86_buf *e, enum x86_cc cc, int dst8);
void x86_cmov(struct x86_buf *e, enum x86_cc cc, int dst, int src);       /* 64-bit */
void x86_not(struct x86_buf *e, bool w, int r);
void x86_neg(struct x86_buf *e, bool w, int r);
void x86_test_ri(struct x86_buf *e, bool w, int r, int32_t imm);          /* flags of r & imm */
void x86_bswap(struct x86_buf *e, int r);                                 /* 64-bit */
void x86_push(struct x86_buf *e, int r);
void x86_pop(struct x86_buf *e, int r);
void x86_ret(struct x86_buf *e);
void x86_call_r(struct x86_buf *e, int r);
void x86_jmp_r(struct x86_buf *e, int r);

void x86_test_mi(struct x86_buf *e, struct x86_mem m, uint32_t imm);      /* test dword [m], imm */

/* SSE2 scalar floating point on xmm0-xmm15 (register numbers as for the
 * general registers). d: binary64 (the "sd" forms), else binary32 ("ss").
 * The host's MXCSR is never changed: operations round to nearest even. */
enum x86_sse {
    SSE_SQRT = 0x51, SSE_ADD = 0x58, SSE_MUL = 0x59,
    SSE_CVT = 0x5a,  /* d: cvtsd2ss (binary64 -> binary32), else cvtss2sd */
    SSE_SUB = 0x5c, SSE_DIV = 0x5e,
};
void x86_sse_rr(struct x86_buf *e, bool d, enum x86_sse op, int dst, int src); /* dst op= src */
void x86_movaps(struct x86_buf *e, int dst, int src);                     /* xmm = xmm */
void x86_ucomis(struct x86_buf *e, bool d, int a, int b);                 /* flags = a ? b */
/* movq/movd between a general register and the low lane of an xmm
 * register (w: 64 bits; 32-bit reads of an xmm zero-extend). */
void x86_movq_xr(struct x86_buf *e, bool w, int xmm, int gpr);            /* xmm = gpr */
void x86_movq_rx(struct x86_buf *e, bool w, int gpr, int xmm);            /* gpr = xmm */
/* movsd/movss between memory and the low lane of an xmm register. */
void x86_movs_xm(struct x86_buf *e, bool d, int xmm, struct x86_mem m);   /* load */
void x86_movs_mx(struct x86_buf *e, bool d, struct x86_mem m, int xmm);   /* store */
/* cvtsi2sd/ss xmm, r64 (rounding per MXCSR: to nearest even) and
 * cvttsd2si/cvttss2si r64, xmm (truncating; out of range gives
 * 0x8000000000000000). */
void x86_cvtsi2s(struct x86_buf *e, bool d, int xmm, int gpr);
void x86_cvtts2si(struct x86_buf *e, bool d, int gpr, int xmm);
/* FMA3 (VEX, "231" operand order), one rounding: dst = (src1 * src2) + dst
 * with the product negated (X86_FMA_NEG_MUL) and/or the addend negated
 * (X86_FMA_NEG_ADD): vfmadd231, vfmsub231, vfnmadd231, vfnmsub231. Only for
 * hosts with FMA3. */
enum x86_fma { X86_FMA = 0, X86_FMA_NEG_ADD = 1, X86_FMA_NEG_MUL = 2 };
void x86_vfma231(struct x86_buf *e, bool d, unsigned neg, int dst, int src1, int src2);

/* Forward branches: emit with a zero rel32 and patch once the target is
 * known. Return the offset of the rel32 field. */
size_t x86_jcc_fwd(struct x86_buf *e, enum x86_cc cc);
size_t x86_jmp_fwd(struct x86_buf *e);
/* Backward jump to an offset already emitted. */
void x86_jmp_to(struct x86_buf *e, size_t target);
void x86_jcc_to(struct x86_buf *e, enum x86_cc cc, size_t target);
/* Makes the rel32 at `at` point to the current end of the buffer. */
void x86_patch_here(struct x86_buf *e, size_t at);

#endif
