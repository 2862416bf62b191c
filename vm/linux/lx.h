/*
 * lx.h - internals of the Linux personality, shared by its files.
 */
#ifndef REPRISE_LINUX_LX_H
#define REPRISE_LINUX_LX_H

#include "linux.h"
#include "cpu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Guest address-space layout (deterministic: no host ASLR reaches it).
 * Modelled on Linux riscv64 with Sv39: TASK_SIZE 2^38, PIE executables at
 * 2/3 of it (ELF_ET_DYN_BASE), the stack at the top, mmap below the stack. */
#define LX_PIE_BASE 0x2aaaaaa000ull
#define LX_STACK_SIZE (8ull << 20)
#define LX_STACK_GAP (128ull << 20)   /* between the stack and mmap_base */
#define LX_MMAP_MIN 0x10000ull        /* vm.mmap_min_addr */

#define LX_NSIG 64

/* struct sigaction as the riscv64 kernel stores it (asm-generic). */
struct lx_sigaction {
    uint64_t handler;   /* SIG_DFL 0, SIG_IGN 1, else guest address */
    uint64_t flags;
    uint64_t mask;      /* bit n-1 for signal n */
};

/* One guest mapping, for placement, munmap/mremap and /proc/self/maps. */
struct lx_vma {
    uint64_t start, end;   /* [start, end), page aligned */
    unsigned prot;
    char name[64];         /* file name, [heap], [stack] or empty */
};

enum lx_thread_state { LX_RUNNABLE, LX_BLOCKED, LX_EXITED };

/* What a blocked thread waits for. */
enum lx_block_kind {
    LX_BLOCK_NONE,
    LX_BLOCK_FUTEX,    /* futex_addr/futex_bitset */
    LX_BLOCK_SIGNAL,   /* rt_sigsuspend, pause: any deliverable signal */
    LX_BLOCK_SLEEP,    /* only the deadline */
    LX_BLOCK_FD,       /* wait_fd ready for wait_events; then the call re-executes */
    LX_BLOCK_RETRY,    /* re-execute the call (nowait) at the next scheduling round */
};

struct lx_thread {
    struct lx_proc *proc;
    struct vm_cpu *cpu;
    int tid;
    enum lx_thread_state state;
    uint64_t clear_child_tid;     /* set_tid_address / CLONE_CHILD_CLEARTID */
    uint64_t sigmask;             /* blocked signals */
    uint64_t pending;             /* thread-directed pending signals */
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
    /* blocking (thread.c): a blocked thread's syscall has retired; lx_wake()
     * sets its a0. wait_seq orders waiters FIFO. */
    enum lx_block_kind block;
    uint64_t wait_seq;
    bool has_deadline;
    uint64_t deadline_ns;         /* on the port's monotonic clock */
    long deadline_result;         /* a0 when the deadline passes (-ETIMEDOUT, 0) */
    uint64_t futex_addr;
    uint32_t futex_bitset;
    bool requeued;
    int wait_fd;
    short wait_events;
    bool retrying;                /* re-executing a call after LX_BLOCK_FD/RETRY */
    int exit_code;
};

struct lx_proc {
    struct vm *vm;
    struct vm_config vmcfg;       /* to create a fresh vm at execve */
    struct lx_port *port;
    char *sysroot;
    char *exe_path;               /* host path of the executable */
    /* address space */
    uint64_t brk_start, brk_cur;  /* program break */
    uint64_t mmap_base;           /* mappings are placed top-down below this */
    uint64_t stack_top;
    struct lx_vma *vmas;
    size_t n_vmas, cap_vmas;
    /* auxv of the main image, for /proc/self/auxv and the debugger */
    uint64_t auxv[64];
    size_t n_auxv;
    /* threads (run on one host thread, deterministically scheduled) */
    struct lx_thread **threads;
    size_t n_threads, cap_threads;
    size_t cur;                   /* index of the running thread */
    uint64_t slice_start;         /* cur's icount when its time slice began */
    uint64_t wait_seq;
    int pid;
    int next_tid;
    /* signals */
    struct lx_sigaction sigact[LX_NSIG + 1];
    uint64_t pending;             /* process-directed pending signals */
    /* exit */
    bool exited;
    struct lx_exit exit;
    /* warnings printed once per syscall number */
    uint8_t warned[512];
    uint64_t icount_dead;         /* instructions of threads that exited */
};

/* ---- guest memory access with syscall semantics (EFAULT) ---- */
int lx_copy_from(struct lx_thread *t, void *dst, uint64_t src, size_t len);
int lx_copy_to(struct lx_thread *t, uint64_t dst, const void *src, size_t len);
/* Reads a NUL-terminated string of at most max bytes (including the NUL).
 * Returns its length, -EFAULT, or -ENAMETOOLONG. */
long lx_read_string(struct lx_thread *t, uint64_t addr, char *buf, size_t max);
/* Host pointer to [addr, addr+len) if every page has the rights the host
 * kernel would need (write: VM_PROT_WRITE, else VM_PROT_READ); NULL if not.
 * For the live port, which lets the host kernel fill guest buffers. After a
 * write through it, call lx_guest_written(). */
void *lx_guest_ptr(struct lx_thread *t, uint64_t addr, size_t len, bool write);
void lx_guest_written(struct lx_thread *t, uint64_t addr, size_t len);

/* ---- address space (mm.c) ---- */
int lx_vma_add(struct lx_proc *p, uint64_t start, uint64_t end, unsigned prot, const char *name);
void lx_vma_remove(struct lx_proc *p, uint64_t start, uint64_t end);
void lx_vma_protect(struct lx_proc *p, uint64_t start, uint64_t end, unsigned prot);
/* Highest free range of len bytes below p->mmap_base, or 0 if none. */
uint64_t lx_find_free(struct lx_proc *p, uint64_t len);
bool lx_range_free(struct lx_proc *p, uint64_t start, uint64_t end);

/* ---- loader (loader.c) ---- */
int lx_load(struct lx_proc *p, struct lx_thread *t, const char *path, int argc,
            char *const *argv, char *const *envp, char *err, size_t errlen);

/* ---- system calls (syscall.c and the sys_*.c groups) ---- */
typedef long (*lx_sys_fn)(struct lx_thread *t, const struct lx_syscall *c);
struct lx_sys_entry {
    int nr;
    const char *name;
    lx_sys_fn fn;   /* NULL: served by the event port (port->ops->syscall) */
};
/* Handles the ecall of thread t; a0 receives the result unless the thread
 * blocked or the process ended. */
void lx_syscall(struct lx_thread *t);
/* Special results of handlers. */
#define LX_SYS_NORETURN (-10000)  /* a0 already set, or the thread/process is gone */
#define LX_SYS_BLOCKED (-10001)   /* the thread blocked; lx_wake() sets a0 later */

/* The groups: each file exports its table. */
extern const struct lx_sys_entry lx_sys_mm[], lx_sys_proc[], lx_sys_signal[], lx_sys_host[],
    lx_sys_thread[];

/* ---- threads and scheduling (thread.c, proc.c) ---- */
struct lx_thread *lx_thread_new(struct lx_proc *p);
/* Blocks t (its syscall has retired; its a0 is set when woken). */
void lx_block(struct lx_thread *t, enum lx_block_kind kind);
/* Makes a blocked t runnable with a0 = result. No-op if not blocked. */
void lx_wake(struct lx_thread *t, long result);
/* Makes a thread blocked in LX_BLOCK_FD/RETRY runnable at its ecall again,
 * so it re-executes the system call. */
void lx_wake_retry(struct lx_thread *t);
/* Checks blocked threads' fds and retries (scheduler). Returns true if a
 * thread became runnable; *poll_soon is set if retry-blocked threads exist. */
bool lx_poll_blocked(struct lx_proc *p, bool *poll_soon);
/* Wakes up to n futex waiters on addr whose bitset intersects bitset, oldest
 * first; returns how many. */
long lx_futex_wake(struct lx_proc *p, uint64_t addr, int n, uint32_t bitset);
/* Ends thread t (CLONE_CHILD_CLEARTID handling included). */
void lx_thread_exit(struct lx_thread *t, int code);
/* Nanoseconds on a host clock (0 realtime, 1 monotonic), through the port. */
uint64_t lx_clock_ns(struct lx_thread *t, int clock);
/* fork/vfork/clone without CLONE_VM (process.c). */
long lx_fork(struct lx_thread *t, const struct lx_syscall *c);
extern const struct lx_sys_entry lx_sys_process[];
/* execve of a guest program: drops the address space, the other threads,
 * handlers and the alternate stack (execve(2)), leaving the calling thread
 * on a fresh vm ready for lx_load. */
int lx_exec_reset(struct lx_proc *p, char *err, size_t errlen);

/* ---- signals (signal.c) ---- */
/* Raises a synchronous signal for a guest fault at the current pc. */
void lx_force_signal(struct lx_thread *t, int sig, int code, uint64_t addr);
/* Delivers pending unblocked signals to t before it resumes. */
void lx_deliver_signals(struct lx_thread *t);
/* Ends the process as killed by sig. */
void lx_kill_process(struct lx_proc *p, int sig);
void lx_exit_process(struct lx_proc *p, int status);

/* ---- warnings ---- */
void lx_warn_once(struct lx_proc *p, long nr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline struct lx_thread *lx_cur(struct lx_proc *p) { return p->threads[p->cur]; }

#endif
