/*
 * vm.h - reprise's virtual machine: the internal C API that the platform
 * layer (Linux personality), the recorder, the replayer and the tracer use
 * to drive guest execution.
 *
 * A `struct vm` owns one guest address space and the translation-block cache
 * built from it; a `struct vm_cpu` is one guest hart (one guest thread). All
 * calls on one vm and its cpus must come from one host thread at a time:
 * reprise serializes guest threads on purpose, because a deterministic
 * schedule is what makes replay exact.
 *
 * Units: guest addresses are guest virtual addresses (uint64_t), never host
 * pointers; lengths are bytes; instruction counts are retired guest
 * instructions. Errors are negative errno values (-EINVAL, -ENOMEM, -EFAULT).
 */
#ifndef REPRISE_VM_VM_H
#define REPRISE_VM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vm_cpu;

/* Guest page size in bytes (RISC-V Linux user mode uses 4 KiB pages). */
#define VM_PAGE_SIZE 4096u

/* Guest page permissions for vm_map()/vm_protect(). */
enum vm_prot { VM_PROT_NONE = 0, VM_PROT_READ = 1, VM_PROT_WRITE = 2, VM_PROT_EXEC = 4 };

/* Kind of a guest memory access reported to memory callbacks. */
enum vm_mem_kind { VM_MEM_READ = 1, VM_MEM_WRITE = 2, VM_MEM_AMO = 3 };

/*
 * Instrumentation callbacks. They run during guest execution, between
 * instructions, and may read (not change) cpu state and guest memory.
 * `icount` is the execution point: the number of instructions the cpu had
 * retired before the instruction in question. `pc` is its guest address.
 */
typedef void (*vm_block_cb)(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount);
typedef void (*vm_insn_cb)(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount);
/* Called after a completed access. value: the bytes read (loads), written
 * (stores) or the new memory value (AMO, successful SC), zero-extended. */
typedef void (*vm_mem_cb)(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount,
                          uint64_t addr, unsigned size, uint64_t value, enum vm_mem_kind kind);

/* One guest instruction of a block being translated, as shown to the
 * instrumentation hook. The hook fills the request fields; NULL means none.
 * Nothing is compiled into the block for requests left NULL. */
struct vm_tb_insn {
    uint64_t pc;
    uint32_t raw;      /* instruction bits as fetched (16 or 32 bits) */
    uint8_t len;       /* bytes */
    uint16_t id;       /* ISA instruction id (vm/riscv/isa.h) */
    uint16_t flags;    /* ISA row flags (RVF_*) */
    vm_insn_cb exec_cb; void *exec_udata; /* before the instruction executes */
    vm_mem_cb mem_cb;   void *mem_udata;  /* after each memory access it makes */
};

/* A block being translated. Valid only during the translate hook. */
struct vm_tb_desc {
    uint64_t pc;
    unsigned n_insns;
    struct vm_tb_insn *insns;
    vm_block_cb block_cb; void *block_udata; /* before the block executes */
};

/* Instrumentation hook, called once per translated block. Changing what
 * the hook requests requires vm_flush_code() so old blocks are retranslated. */
struct vm_instrument {
    void *ctx;
    void (*translate)(void *ctx, struct vm_tb_desc *tb);
};

/*
 * Source of the `time` CSR: a nondeterministic input, so the engine never
 * reads a host clock itself; the layer above (the event port) answers.
 * icount/pc: the execution point of the reading instruction.
 */
typedef uint64_t (*vm_time_fn)(void *ctx, struct vm_cpu *cpu, uint64_t icount, uint64_t pc);

/*
 * Execution engine (docs/jit.md). Every engine gives identical guest-visible
 * results (registers, memory, exceptions, instruction counts); they differ
 * only in speed.
 *   VM_ENGINE_DEFAULT  the process default (vm_set_engine_defaults), which
 *                      is VM_ENGINE_AUTO unless changed
 *   VM_ENGINE_AUTO     interpret; compile a block to host code once it has
 *                      run jit_threshold times
 *   VM_ENGINE_INTERP   interpret only
 *   VM_ENGINE_JIT      compile every block the first time it runs (for tests
 *                      and for measuring the compiler)
 * On hosts other than x86-64 every engine interprets.
 */
enum vm_engine { VM_ENGINE_DEFAULT = 0, VM_ENGINE_AUTO, VM_ENGINE_INTERP, VM_ENGINE_JIT };

/* Profiling clock in nanoseconds, used only to report compile time in
 * vm_stats; supplied by the front end because vm/ reads no clock itself.
 * Never influences guest execution. */
typedef uint64_t (*vm_prof_clock_fn)(void);

struct vm_engine_config {
    enum vm_engine engine;
    unsigned jit_threshold;       /* executions before a block is compiled (AUTO);
                                     0 means the default, 50 */
    vm_prof_clock_fn prof_clock;  /* NULL: compile time reads as 0 */
    unsigned jit_cache_kib;       /* host code cache size in KiB, flushed whole when
                                     full; 0 means 65536 (64 MiB) */
    /* Measurement only (bench/run reports what exact counting costs):
     * compiled blocks neither count their instructions nor check the
     * budget, so instruction counts, budgets and exact stops are wrong.
     * Set only by `reprise run --engine jit-uncounted`; never with a
     * recording. */
    bool jit_uncounted;
};

struct vm_config {
    unsigned addr_bits;        /* guest address space is [0, 2^addr_bits); 0 means 38
                                  (the Sv39 user range Linux gives riscv64 processes) */
    unsigned max_block_insns;  /* 0 means 256 */
    vm_time_fn read_time;      /* NULL: reading `time` is an illegal instruction */
    void *time_ctx;
    const struct vm_instrument *instrument; /* NULL: no instrumentation */
    struct vm_engine_config engine;         /* zero: the process defaults */
};

/* Sets the process-wide engine defaults that vm_create uses for vms whose
 * config leaves `engine` zero (the front end calls this once, from its
 * --engine option or REPRISE_ENGINE; vms created by the platform layer,
 * e.g. at execve, inherit it). Not thread-safe: call before creating vms. */
void vm_set_engine_defaults(const struct vm_engine_config *ec);

/* Creates a vm with an empty address space. Returns 0, or a negative errno
 * with a message in err (if errlen > 0). The vm reserves 2^addr_bits bytes of
 * host virtual address space (not memory) so that no guest address can ever
 * reach host memory outside it. */
int vm_create(const struct vm_config *cfg, struct vm **out, char *err, size_t errlen);
/* Destroys the vm, its cpus and its memory. NULL is a no-op. */
void vm_destroy(struct vm *vm);

/* Address space size in bytes (2^addr_bits). */
uint64_t vm_addr_limit(const struct vm *vm);

/* Maps [addr, addr+len) as new zero-filled memory with `prot` (enum
 * vm_prot bits; VM_PROT_WRITE implies VM_PROT_READ, as in RISC-V page
 * tables), replacing whatever was there. addr and len must be page
 * aligned and the range inside the address space: else -EINVAL. */
int vm_map(struct vm *vm, uint64_t addr, uint64_t len, unsigned prot);
/* Unmaps [addr, addr+len): later guest accesses fault. -EINVAL as vm_map. */
int vm_unmap(struct vm *vm, uint64_t addr, uint64_t len);
/* Changes the permissions of mapped pages; -ENOMEM if a page is unmapped
 * (as mprotect(2)), -EINVAL as vm_map. */
int vm_protect(struct vm *vm, uint64_t addr, uint64_t len, unsigned prot);
/* Permissions of the page holding addr (VM_PROT_* bits), or -1 if unmapped. */
int vm_page_prot(const struct vm *vm, uint64_t addr);

/* Copies guest memory as a user-mode access would: vm_read needs every page
 * readable, vm_write writable (translations of overwritten code are
 * invalidated). -EFAULT, with nothing copied, if any page lacks the right. */
int vm_read(struct vm *vm, uint64_t addr, void *buf, size_t len);
int vm_write(struct vm *vm, uint64_t addr, const void *buf, size_t len);
/* As vm_read/vm_write but ignoring permissions (mapped pages only): for the
 * loader and the debugger, which act with the kernel's rights. */
int vm_peek(struct vm *vm, uint64_t addr, void *buf, size_t len);
int vm_poke(struct vm *vm, uint64_t addr, const void *buf, size_t len);

/* Host address of guest range [addr, addr+len) if every page of it is
 * readable and has all the rights in `prot` (VM_PROT_* bits), else NULL
 * (the host cannot read pages the guest may not read: use vm_peek). Valid
 * until the range is unmapped. For letting the host kernel read or fill
 * guest buffers directly; asking for VM_PROT_WRITE drops the translations
 * built from the range's pages (the host refuses writes into translated
 * code), and after writing through it, call vm_code_written(). len 0
 * gives NULL. */
void *vm_host_ptr(struct vm *vm, uint64_t addr, size_t len, unsigned prot);
/* Reads [addr, addr+len) (mapped pages, whatever their rights: the
 * kernel's) in place: *p = its host address, readable until
 * vm_host_release if the return is 1 (the host protection was raised for
 * pages the guest may not read: release it before running the guest
 * again), 0 if nothing needed raising; -EFAULT if a page is unmapped or
 * the host refused. For reading large ranges, such as state digests, at
 * one protection change per range instead of one per page (vm_peek). */
int vm_host_peek(struct vm *vm, uint64_t addr, size_t len, const void **p);
void vm_host_release(struct vm *vm, uint64_t addr, size_t len);
/* Tells the vm that [addr, addr+len) was written behind its back (through
 * vm_host_ptr), so translations of those bytes are dropped. */
void vm_code_written(struct vm *vm, uint64_t addr, size_t len);

/* Drops every translation (e.g. after the instrumentation changed). Must not
 * be called from inside a callback. */
void vm_flush_code(struct vm *vm);

/* Creates a cpu (guest hart) with all registers zero, pc 0, icount 0. Owned
 * by the vm; NULL on out-of-memory. */
struct vm_cpu *vm_cpu_create(struct vm *vm);
/* Destroys a cpu; must not be running. */
void vm_cpu_destroy(struct vm_cpu *cpu);

/* Why vm_run returned. */
enum vm_exit_reason {
    VM_EXIT_BUDGET,    /* retired exactly the requested number of instructions */
    VM_EXIT_EXCEPTION, /* a guest exception; see cause/pc/tval */
    VM_EXIT_STOPPED,   /* vm_cpu_request_stop() was called */
};

struct vm_exit {
    enum vm_exit_reason reason;
    unsigned cause;    /* ISA exception cause (RISC-V mcause numbering) */
    uint64_t pc;       /* pc of the instruction that raised it (not retired) */
    uint64_t tval;     /* faulting address, or the instruction bits if illegal */
};

/*
 * Runs the cpu until it has retired exactly `budget` more instructions, or
 * an exception or a stop request interrupts it, whichever comes first. On
 * return the cpu's pc and icount describe the next instruction to execute;
 * after an exception, the faulting instruction has not retired (for ecall
 * the platform performs the call and then calls vm_cpu_retire()).
 * Returns 0, or a negative errno for host failures (out of memory).
 */
int vm_run(struct vm_cpu *cpu, uint64_t budget, struct vm_exit *exit);

/* Asks a running cpu to stop at the next block boundary (async-signal
 * safe: it only sets a flag). */
void vm_cpu_request_stop(struct vm_cpu *cpu);

/* Retires the instruction at pc without executing it (after the platform
 * emulated it, e.g. an ecall): pc += its length, icount += 1. */
void vm_cpu_retire(struct vm_cpu *cpu);

/* One block compiled by the JIT, as shown by `reprise run --jit-dump`. */
struct vm_jit_block {
    uint64_t pc;              /* guest address of its first instruction */
    unsigned n_insns;         /* guest instructions compiled */
    const uint8_t *code;      /* host code; valid until the vm runs or flushes again */
    size_t code_len;          /* bytes */
    /* NULL, or n_insns + 1 offsets into code: where the host code of each
     * guest instruction starts; the last one is where the block's shared
     * exits and slow paths start. */
    const uint32_t *insn_off;
};
/* Calls fn for every valid compiled block of vm, in no particular order.
 * fn must not run or change the vm. */
void vm_jit_foreach(struct vm *vm, void (*fn)(void *ctx, const struct vm_jit_block *b), void *ctx);

/* Execution statistics of a vm (cumulative). */
struct vm_stats {
    uint64_t tb_translated, tb_invalidated, tb_flushes;
    uint64_t jc_hits, chain_hits, ras_hits, hash_lookups;
    /* JIT (docs/jit.md): blocks compiled to host code, the guest
     * instructions they cover, bytes of host code emitted, compile time
     * (ns, 0 without a prof_clock), code-cache flushes, runs of compiled
     * blocks, and runs that left early to the interpreter at an instruction
     * the JIT does not compile. */
    uint64_t jit_blocks, jit_insns, jit_bytes, jit_compile_ns, jit_flushes;
    uint64_t jit_runs, jit_partial_exits;
};
void vm_get_stats(const struct vm *vm, struct vm_stats *st);

#endif
