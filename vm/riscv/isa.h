/*
 * isa.h - the RISC-V instruction set as reprise sees it: instruction ids,
 * per-row properties and the decoded-instruction form. Everything here is
 * generated from insns.def and rvc.def; see those files for the table.
 */
#ifndef REPRISE_VM_RISCV_ISA_H
#define REPRISE_VM_RISCV_ISA_H

#include <stddef.h>
#include <stdint.h>

/* Row flags (column `flags` of insns.def). */
enum {
    RVF_BRANCH = 1u << 0, /* conditional branch: ends the block, two successors */
    RVF_JUMP   = 1u << 1, /* jal: ends the block, one static successor */
    RVF_JALR   = 1u << 2, /* jalr: ends the block, indirect successor */
    RVF_ENDS   = 1u << 3, /* ends the block for another reason (ecall, fence.i) */
    RVF_LOAD   = 1u << 4, /* reads guest memory */
    RVF_STORE  = 1u << 5, /* writes guest memory */
    RVF_AMO    = 1u << 6, /* atomic read-modify-write */
    RVF_CSR    = 1u << 7, /* Zicsr access */
    RVF_FP     = 1u << 8, /* uses the f registers or fcsr */
    RVF_RM     = 1u << 9, /* has an rm field (bits 14:12) */
};
#define RVF_CONTROL (RVF_BRANCH | RVF_JUMP | RVF_JALR | RVF_ENDS)
#define RVF_MEMORY (RVF_LOAD | RVF_STORE | RVF_AMO)

enum rv_ext { RV_EXT_I, RV_EXT_M, RV_EXT_A, RV_EXT_F, RV_EXT_D, RV_EXT_C,
              RV_EXT_Zicsr, RV_EXT_Zifencei, RV_EXT_Zba, RV_EXT_Zbb, RV_EXT_Zbs };

/* Instruction ids: one per insns.def row, in table order. */
enum rv_insn_id {
#define INSN(name, ops, ext, match, mask, flags, body) RV_##name,
#include "insns.def"
#undef INSN
    RV_N_INSNS,
    RV_ILLEGAL = RV_N_INSNS, /* not an instruction: raises illegal-instruction */
};

/* Compressed row ids: one per rvc.def row. */
enum rv_cinsn_id {
#define RVC(name, match, mask, valid, base, exp) RVC_##name,
#include "rvc.def"
#undef RVC
    RVC_N_INSNS,
};

/* How the immediate of a row is encoded (derived from its operand string). */
enum rv_imm_kind { RV_IMM_NONE, RV_IMM_I, RV_IMM_S, RV_IMM_B, RV_IMM_J, RV_IMM_U,
                   RV_IMM_SHAMT6, RV_IMM_SHAMT5, RV_IMM_CSR, RV_IMM_FENCE };

/* One row of insns.def. `name` is the assembler mnemonic ("fadd.d"). */
struct rv_insn_desc {
    const char *name;
    const char *operands;
    uint32_t match, mask;
    uint16_t flags;
    uint8_t ext;
    uint8_t imm_kind;
};
extern const struct rv_insn_desc *const rv_insns; /* [RV_N_INSNS] */

/* One row of rvc.def. */
struct rv_cinsn_desc {
    const char *name; /* "c.addi4spn" */
    uint16_t match, mask;
    uint16_t base;    /* rv_insn_id the row expands to */
};
extern const struct rv_cinsn_desc *const rv_cinsns; /* [RVC_N_INSNS] */

/*
 * A decoded instruction. Register numbers are architectural (0-31) in the
 * register file the operand string names; imm is sign-extended as the
 * format defines (for CSR rows it is the CSR number, for fences the raw
 * bits 31:20). For compressed instructions `word` is the 32-bit expansion
 * and `cid` the rvc.def row; otherwise word == raw and cid == -1.
 */
struct rv_decoded {
    uint16_t id;      /* enum rv_insn_id, RV_ILLEGAL if not an instruction */
    int16_t cid;      /* enum rv_cinsn_id or -1 */
    uint8_t len;      /* 2 or 4 bytes */
    uint8_t rd, rs1, rs2, rs3, rm;
    int64_t imm;
    uint32_t raw;     /* as fetched: 16 or 32 bits */
    uint32_t word;    /* 32-bit base encoding */
};

/* Length in bytes of the instruction whose first 16-bit parcel is `lo`
 * (2 or 4; longer encodings are not part of RV64GC and report 4). */
static inline unsigned rv_insn_len(uint16_t lo) { return (lo & 3) == 3 ? 4 : 2; }

/*
 * Decodes one instruction. `bits` holds the instruction with its first parcel
 * in bits 15:0 (for a 2-byte instruction the upper half is ignored). Always
 * fills *out; returns 0 for a valid instruction, -1 for an illegal or reserved
 * encoding (out->id == RV_ILLEGAL, out->len still set so callers can skip it).
 */
int rv_decode(uint32_t bits, struct rv_decoded *out);

/* Expands a 16-bit compressed instruction to its 32-bit base encoding.
 * Returns the encoding, or 0 for an illegal/reserved one; *cid gets the row. */
uint32_t rv_expand_rvc(uint16_t c, int *cid);

/*
 * Disassembles `d` located at guest address `pc` into buf (NUL-terminated,
 * truncated to buflen), printing exactly what `riscv64-linux-gnu-objdump -d`
 * (binutils 2.40, default aliases) prints in its instruction column, without
 * the trailing "<symbol>" / "# comment" annotations. Returns the length that
 * would have been written (like snprintf).
 */
int rv_disas(const struct rv_decoded *d, uint64_t pc, char *buf, size_t buflen);

/* ABI register names (psABI): "zero", "ra", ..., "ft0", ... */
extern const char *const rv_xreg_names[32];
extern const char *const rv_freg_names[32];

#endif
