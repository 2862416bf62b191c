/*
 * linux.h - the Linux user-mode personality: a guest process (ELF image,
 * address-space layout, threads, signal state) whose system calls reprise
 * serves, riscv64 ABI. The layer the recorder and replayer drive.
 */
#ifndef REPRISE_LINUX_LINUX_H
#define REPRISE_LINUX_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"
#include "vm.h"

struct lx_proc;
struct lx_thread;
struct lx_exit;
struct lx_range;

/* A guest mapping created by the loader or by mmap, for observers. */
struct lx_map_event {
    uint64_t addr, len;        /* guest range mapped (bytes, page aligned) */
    unsigned prot;             /* VM_PROT_* */
    int fd;                    /* mmap of a guest descriptor; -1 for the loader */
    uint64_t offset;           /* file offset mapped at addr (mmap); 0 for the loader */
    const char *path;          /* loader: the image's host path; mmap: NULL */
    const void *image;         /* loader: the whole file (valid during the call); else NULL */
    size_t image_len;
};

/* Thread events for observers. */
enum lx_obs_thread { LX_OBS_THREAD_CREATE = 1, LX_OBS_THREAD_EXIT, LX_OBS_THREAD_SWITCH };

/* Observation hooks (the tracer's): called at the exact execution points of
 * the personality's events. An observer reads state (lx_thread_point,
 * lx_thread_regs, lx_guest_peek) and must change nothing, so a run with
 * observers takes the same course as one without. Any member may be NULL;
 * without an observer nothing is paid but one pointer test per event. */
struct lx_observer {
    void *ctx;
    /* A system call starts: t is at its ecall (not yet retired). Called
     * once per execution of the call, not again when a blocked call is
     * retried; a call re-executed after a signal (restart) starts again. */
    void (*syscall_enter)(void *ctx, struct lx_thread *t, const struct lx_syscall *c);
    /* The call completes with ret, the value a0 receives (or a restart
     * code, -512..-516, when a signal interrupted it). written: the guest
     * memory the port wrote for it while it ran to completion (in order).
     * No call for calls that end their thread or process. */
    void (*syscall_exit)(void *ctx, struct lx_thread *t, const struct lx_syscall *c, long ret,
                         const struct lx_range *written, size_t n_written);
    /* A signal is delivered to t (before a handler frame is built): its
     * siginfo, and the action: handler address, or 0 (SIG_DFL) / 1 (SIG_IGN). */
    void (*signal)(void *ctx, struct lx_thread *t, const struct lx_siginfo *si,
                   uint64_t handler, bool terminates);
    /* CREATE: t is new (other: its creator, NULL for the first thread);
     * EXIT: t ends with `status`; SWITCH: the scheduler starts running t
     * (other: the thread that ran before). */
    void (*thread)(void *ctx, struct lx_thread *t, enum lx_obs_thread ev,
                   struct lx_thread *other, int status);
    /* A mapping was created and filled (t: the thread whose call made it). */
    void (*map)(void *ctx, struct lx_thread *t, const struct lx_map_event *m);
    /* The process ended (its last thread t). */
    void (*exit)(void *ctx, struct lx_thread *t, const struct lx_exit *ex);
    /* A time slice of t ended (deterministic points; progress reports). */
    void (*tick)(void *ctx, struct lx_thread *t);
    /* t's ecall, put back when its call blocked (a wait re-executed when
     * it can complete), retires now without executing again: another
     * thread's action completed the call, or a signal interrupted it.
     * Called before it retires: t's pc is the ecall, its count the
     * ecall's. The instruction belongs to no block execution of the vm. */
    void (*retire)(void *ctx, struct lx_thread *t);
};

/* What the program was started with. Strings are copied. */
struct lx_config {
    const char *path;             /* program to run (host path, or name found in PATH) */
    int argc;
    char *const *argv;            /* argv[0] is what the guest sees as its name */
    char *const *envp;            /* environment for the guest */
    const char *sysroot;          /* where PT_INTERP and libraries resolve; NULL: /usr/riscv64-linux-gnu */
    struct lx_port *port;         /* the event port (not owned) */
    unsigned addr_bits;           /* guest address space size; 0: 38 (Sv39) */
    const struct vm_instrument *instrument; /* tracer hooks or NULL */
    const struct lx_observer *observer;     /* personality events or NULL */
    /* Chaos scheduling (rr's chaos mode, to shake out races): nonzero seeds
     * a generator that picks random time-slice lengths and which runnable
     * thread runs next. The same seed gives the same schedule, so a
     * recording stores the seed and its replay reuses it. 0: round robin
     * with fixed slices. */
    uint64_t chaos_seed;
};

/* How the guest process ended. */
struct lx_exit {
    bool signaled;  /* killed by `signal` (else exited with `status`) */
    int status;     /* exit status 0-255 */
    int signal;
    bool core;      /* the signal's default action dumps core */
};

/* Creates the process and loads the program (ELF, interpreter, initial stack).
 * Returns 0 or a negative errno with a message naming the file in err. */
int lx_create(const struct lx_config *cfg, struct lx_proc **out, char *err, size_t errlen);
/* Runs the guest until the process exits. Returns 0 (with *ex filled) or a
 * negative errno on a host failure, with a message in err. */
int lx_run(struct lx_proc *p, struct lx_exit *ex, char *err, size_t errlen);
void lx_destroy(struct lx_proc *p);

/* ---- for the recorder and the replayer (ISA-independent views) ---- */

/* An execution point: guest thread id, that thread's retired instructions,
 * the pc, and the process's retired instructions (all threads). */
struct lx_point {
    uint32_t tid;
    uint64_t ticount;
    uint64_t pc;
    uint64_t icount;
};
/* The point of thread t between instructions. */
void lx_thread_point(const struct lx_thread *t, struct lx_point *pt);
/* The point of t at an instruction inside a block (the time CSR): ticount
 * and pc as the engine reports them. */
void lx_thread_point_at(const struct lx_thread *t, uint64_t ticount, uint64_t pc,
                        struct lx_point *pt);
struct lx_proc *lx_thread_proc(const struct lx_thread *t);
/* The guest thread a cpu runs (for instrumentation callbacks, which get the
 * cpu), or NULL if the cpu belongs to no thread of this personality. */
struct lx_thread *lx_cpu_thread(struct vm_cpu *cpu);
/* The cpu of guest thread t (for observers). */
struct vm_cpu *lx_thread_cpu(const struct lx_thread *t);

/* A guest memory range, in bytes. */
struct lx_range {
    uint64_t addr, len;
};
/* Starts noting the guest memory the event port writes (lx_journal_stop
 * returns it): how a recorder learns exactly which bytes a host call wrote.
 * Journals nest (an observer's around a recorder's); the returned mark
 * identifies this one. */
size_t lx_journal_start(struct lx_proc *p);
/* Stops the journal started at `mark`; r and n receive the ranges noted
 * since then, in write order (owned by p, valid until the next start).
 * Returns false if noting failed (out of memory), in which case the ranges
 * are incomplete. */
bool lx_journal_stop(struct lx_proc *p, size_t mark, const struct lx_range **r, size_t *n);
/* Guest memory access with the kernel's rights (mapped pages, any
 * permission); poke drops translations of overwritten code and notes the
 * write in the running journals. 0 or -EFAULT. */
int lx_guest_peek(struct lx_proc *p, uint64_t addr, void *buf, size_t len);
int lx_guest_poke(struct lx_proc *p, uint64_t addr, const void *buf, size_t len);
/* XXH3-64 state digest: every live thread's registers (integer, FP, fcsr,
 * pc) in thread order, then every mapped guest page with its address and
 * rights. Two executions with the same digest at the same point have the
 * same architectural state, to the hash's strength. */
uint64_t lx_state_digest(struct lx_proc *p);
/* Bytes of guest memory lx_state_digest hashes: the sizes of the process's
 * mappings. */
uint64_t lx_mapped_bytes(const struct lx_proc *p);
/* Registers of a thread in a fixed, ISA-defined order (for RISC-V: x1-x31,
 * f0-f31, pc, fcsr), for recordings and divergence reports. Returns the
 * count written (at most max), 0 if there is no such live thread. */
#define LX_MAX_REGS 80
size_t lx_thread_regs(struct lx_proc *p, uint32_t tid, uint64_t *out, size_t max);
/* Register i of that order of thread t (live or not); 0 past the end.
 * Inside a block the pc is the block's start (instrumentation callbacks
 * get the instruction's own pc). */
uint64_t lx_thread_reg(const struct lx_thread *t, size_t i);
/* Name of register i of that order ("ra", "fa0", "pc", "fcsr"). */
const char *lx_reg_name(size_t i);
/* Writes "0x<pc>: <disassembly>" of the guest instruction at pc to buf
 * (for divergence reports); "0x<pc>: (not mapped)" if it cannot be read. */
void lx_describe_insn(struct lx_proc *p, uint64_t pc, char *buf, size_t n);
/* Writes the integer registers of thread tid as "ra=0x... sp=0x..." lines
 * of at most 4 registers each; empty if there is no such thread. */
void lx_describe_regs(struct lx_proc *p, uint32_t tid, char *buf, size_t n);
/* The guest's program path, argv and exit as the process sees them. */
const char *lx_exe_path(const struct lx_proc *p);

/* Name of a riscv64 (asm-generic) system call number ("openat"), NULL if
 * the personality does not know it. */
const char *lx_syscall_name(long nr);

/* The vm and statistics, for --stats. */
struct vm *lx_vm(struct lx_proc *p);
uint64_t lx_icount(const struct lx_proc *p); /* instructions retired by all threads */

#endif
