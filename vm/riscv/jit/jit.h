/*
 * jit.h - the x86-64 JIT as seen by the interpreter (exec.c): compile one
 * translation block to host code, and the exit protocol of that code.
 * Design and limits: docs/jit.md.
 */
#ifndef REPRISE_VM_RISCV_JIT_JIT_H
#define REPRISE_VM_RISCV_JIT_JIT_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vm_cpu;
struct vm_tb;

/* Block exits returned by compiled code. The first five are the
 * interpreter's X_* exits with the same meaning (exec.c checks that the
 * numbers agree); JIT_X_PARTIAL means the compiled code covered only a
 * prefix of the block and stopped before an instruction it does not
 * compile, which the interpreter runs next (cpu->pc is that instruction);
 * JIT_X_RESUME means compiled code jumped to a block and stopped at its
 * entry (budget too small for it, or a stop request) before running it:
 * cpu->pc is that block's first instruction, nothing needs linking. */
enum { JIT_X_LINK0, JIT_X_LINK1, JIT_X_JALR, JIT_X_EXC, JIT_X_SMC, JIT_X_PARTIAL, JIT_X_RESUME };

/* An instrumentation callback (vm.h: vm_block_cb / vm_insn_cb) and its
 * user data; fn NULL: none. */
struct jit_callback {
    const void *fn;
    void *udata;
};

/* One decoded guest instruction of the block, as the templates need it.
 * rd is 32 (the sink register) for integer writes to x0, as in the
 * interpreter's ops; id is RV_ILLEGAL for an illegal encoding. */
struct jit_insn {
    uint64_t pc;
    int64_t imm;
    uint32_t raw;
    uint16_t id;
    uint8_t rd, rs1, rs2, len;
    /* The interpreter's handler of the row as a function (exec.c), used
     * for rows without a template: int helper(struct vm_cpu *, helper_arg)
     * returns a JIT_H_* code. NULL for rows that end a block. helper_arg
     * (the interpreter's op) lives as long as the block. */
    const void *helper;
    const void *helper_arg;
    /* Instrumentation: called before the instruction, as the interpreter's
     * H_INSN_CB op: fn(udata, cpu, pc, count before it); mem_cb: the row
     * is the instrumented twin (its memory callback is in helper_arg), so
     * it always runs as a helper call. */
    struct jit_callback exec_cb;
    bool mem_cb;
};

/* Results of a helper. JIT_H_EXC: cpu->exc_cause/exc_tval are set and the
 * instruction did not retire; JIT_H_SMC: it retired and overwrote code of
 * the running block, which must be left right after it. */
enum { JIT_H_OK, JIT_H_EXC, JIT_H_SMC };

/*
 * Compiled block entry: runs the block on cpu, then, while `budget` (guest
 * instructions) allows and no stop is requested, goes on to the compiled
 * blocks its exits are linked to (tb->link[], kept by the dispatcher and
 * cleared by invalidation), and returns the JIT_X_* exit of the last one.
 * On return cpu->pc is the next pc (the faulting instruction's for EXC),
 * cpu->icount has been advanced by exactly the instructions retired and
 * cpu->cur_tb is the last block run; for EXC, cpu->exc_cause/exc_tval are
 * set. host/limit8 are vm->mem's fields. cpu->cur_tb must be the block
 * on entry (stores into the pages of the running block's code end it with
 * JIT_X_SMC). The first block must fit in the budget.
 */
typedef int (*jit_entry_fn)(struct vm_cpu *cpu, uint8_t *host, uint64_t limit8, uint64_t budget);

/* Runs compiled block tb (tb->jit_code set) as jit_entry_fn describes,
 * with the fault handler knowing which code cache runs on this thread: a
 * guest access that the host mapping refuses (vm/mem.c) continues in the
 * access's slow path. Returns the JIT_X_* exit. */
int jit_run(struct vm *vm, struct vm_cpu *cpu, const struct vm_tb *tb, uint64_t budget);

/* Sets vm->jit_hot from vm->cfg.engine and the process defaults. */
void jit_configure(struct vm *vm);

/* Outcome of jit_compile. */
enum jit_result {
    JIT_OK,        /* tb->jit_code is set */
    JIT_DECLINED,  /* not worth compiling (first instructions unsupported) */
    JIT_FLUSHED,   /* the code cache was full and the whole TB cache was
                      flushed: tb is gone, the caller must look up again */
    JIT_NOMEM,     /* no code cache could be created; keep interpreting */
};

/*
 * Compiles block tb, whose n guest instructions are insns[0..n) and whose
 * bytes end at end_pc; block_cb (may be none) is called at every execution
 * of the block before its first instruction: fn(udata, cpu, pc, count).
 * Records the code in tb->jit_code and counts it in vm->stats. Must be
 * called between blocks (never from compiled code).
 */
enum jit_result jit_compile(struct vm *vm, struct vm_tb *tb, const struct jit_insn *insns,
                            unsigned n, uint64_t end_pc, struct jit_callback block_cb);

/* Whether the JIT has a template for ISA row `id` (enum rv_insn_id); rows
 * without one are compiled as calls of the interpreter's handler. */
int jit_supports(unsigned id);

#endif
