/*
 * cpu.h - the RISC-V hart state of one guest thread (struct vm_cpu) and the
 * RISC-V definitions the platform layer needs (exception causes, CSRs).
 */
#ifndef REPRISE_VM_RISCV_CPU_H
#define REPRISE_VM_RISCV_CPU_H

#include "../vm.h"

/* Exception causes (RISC-V Privileged ISA, mcause values for synchronous
 * exceptions). Page faults are reported for every access the guest's page
 * rights forbid, unmapped or not; tval is the faulting address. */
enum rv_exc {
    RV_EXC_INSN_MISALIGNED = 0,
    RV_EXC_INSN_ACCESS = 1,
    RV_EXC_ILLEGAL = 2,
    RV_EXC_BREAKPOINT = 3,
    RV_EXC_LOAD_MISALIGNED = 4,
    RV_EXC_LOAD_ACCESS = 5,
    RV_EXC_STORE_MISALIGNED = 6, /* also AMO */
    RV_EXC_STORE_ACCESS = 7,
    RV_EXC_ECALL = 8,            /* environment call from U-mode */
    RV_EXC_INSN_PAGE_FAULT = 12,
    RV_EXC_LOAD_PAGE_FAULT = 13,
    RV_EXC_STORE_PAGE_FAULT = 15,
};

/* User-level CSRs (Unprivileged ISA chapter 9 / 11.2). */
enum rv_csr {
    RV_CSR_FFLAGS = 0x001, RV_CSR_FRM = 0x002, RV_CSR_FCSR = 0x003,
    RV_CSR_CYCLE = 0xc00, RV_CSR_TIME = 0xc01, RV_CSR_INSTRET = 0xc02,
};

#define RV_RAS_SIZE 16

struct vm_tb;

struct vm_cpu {
    /* x[0] is always 0; x[32] is where writes to x0 go, so handlers write
     * without testing rd. */
    uint64_t x[33];
    uint64_t f[32];          /* f registers; binary32 values NaN-boxed */
    uint64_t pc;
    uint64_t icount;         /* retired instructions; inside a block: at its start */
    unsigned fflags;         /* fcsr[4:0] */
    unsigned frm;            /* fcsr[7:5] */
    /* LR/SC reservation: SC succeeds only at the reserved address while
     * memory still holds the value LR read (what QEMU and so Unicorn do;
     * a deterministic choice the spec allows). */
    uint64_t res_addr, res_val;
    int res_valid;
    /* Return-address prediction: return pc and the calling block, whose
     * fallthrough edge leads to the return site. */
    struct { uint64_t ret_pc; struct vm_tb *caller; } ras[RV_RAS_SIZE];
    unsigned ras_top;
    volatile int stop_request;
    /* Set by a block exit. */
    unsigned exc_cause;
    uint64_t exc_tval;
    const struct vm_tb *cur_tb;   /* block being executed (SMC detection) */
    struct vm_tb *exit_tb;        /* block the last run of chained blocks ended in */
    struct vm *vm;
    void *user;              /* owner's pointer (platform thread state) */
};

#endif
