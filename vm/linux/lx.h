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

/* Pending signals with their siginfo (signal.c): standard signals (1-31)
 * coalesce, one siginfo each; real-time ones (32-64) queue in arrival
 * order, up to LX_SIGQ_RT instances. The bit set itself is the `pending`
 * field next to this in lx_thread/lx_proc (bit n-1 for signal n). */
#define LX_SIGQ_RT 32
struct lx_sigqueue {
    struct lx_siginfo std[32];        /* [sig] for 1..31 */
    struct lx_siginfo rt[LX_SIGQ_RT]; /* queued real-time instances, oldest first */
    unsigned n_rt;
};

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

/* Guest memory written on the guest's behalf by the event port, noted while
 * `on`, so that a recording port can log exactly the bytes a host call
 * wrote (lx_copy_to and lx_guest_written add to it). */
struct lx_journal {
    struct lx_range *r;
    size_t n, cap;
    unsigned depth;  /* nested journals running (0: off) */
    bool failed;   /* a range could not be noted (out of memory) */
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
    /* signals (signal.c) */
    struct lx_sigqueue sigq;      /* siginfo of the signals in `pending` */
    uint64_t saved_sigmask;       /* rt_sigsuspend: the mask to put back... */
    bool restore_sigmask;         /* ...after the handler (or at once if none runs) */
    uint64_t sigwait_set;         /* LX_BLOCK_SIGNAL from rt_sigtimedwait: waited set */
    uint64_t sigwait_info;        /* its siginfo_t pointer (0: none) */
    /* A system call that returned -EINTR or a kernel restart code
     * (LX_ERESTART*) and is not yet settled: the next signal delivery
     * decides whether it returns -EINTR or re-executes (signal(7),
     * "Interruption of system calls by signal handlers"). */
    bool sys_restart;
    uint64_t sys_orig_a0;         /* a0 at the ecall, to re-execute it */
    long sys_nr;
    /* A blocked thread made runnable by a signal (lx_signal_interrupt):
     * its wait kind, kept until delivery settles it. */
    bool sig_intr;
    enum lx_block_kind intr_block;
    /* observers (lx_observer): the system call between its enter and exit
     * events */
    bool obs_in_sys;
    struct lx_syscall obs_call;
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
    uint64_t slice_len;           /* instructions in the current slice */
    uint64_t chaos;               /* chaos generator state; 0: no chaos */
    uint64_t wait_seq;
    int pid;
    int next_tid;
    /* signals */
    struct lx_sigaction sigact[LX_NSIG + 1];
    uint64_t pending;             /* process-directed pending signals */
    struct lx_sigqueue sigq;      /* their siginfo */
    /* exit */
    bool exited;
    struct lx_exit exit;
    /* warnings printed once per syscall number */
    uint8_t warned[512];
    uint64_t icount_dead;         /* instructions of threads that exited */
    struct lx_journal journal;
    const struct lx_observer *obs; /* observation hooks or NULL */
};

/* Notes a write of guest memory made on the guest's behalf in the running
 * journals, if any (see struct lx_journal). */
void lx_journal_note(struct lx_proc *p, uint64_t addr, size_t len);

/* ---- observers (syscall.c) ---- */
/* The system call of t completes with ret: the observer's exit event, if
 * t is inside one (idempotent). */
void lx_obs_sys_exit(struct lx_thread *t, long ret, const struct lx_range *w, size_t n);
/* Retires t's put-back ecall outside the vm (lx_observer.retire). */
void lx_retire_ecall(struct lx_thread *t);

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
/* Makes a blocked t runnable with a0 = result: its system call completes
 * (an ecall put back for re-execution is retired). No-op if not blocked. */
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

/* ---- signals (signal.c) ----
 *
 * How signals meet the scheduler (thread.c, proc.c):
 * - A signal is queued to a thread or to the process. If it cannot be
 *   delivered at once because every thread that could take it is blocked
 *   (LX_BLOCKED: futex, sleep, fd wait, retry, rt_sigsuspend), signal.c
 *   calls lx_signal_interrupt() on one of them, which makes it runnable
 *   without completing its call. The scheduler needs to do nothing: a
 *   thread that is not LX_BLOCKED is no longer a futex waiter, sleeper or fd
 *   waiter (its block/deadline fields stay as they were, for signal.c).
 * - lx_deliver_signals(t), called before t runs, settles such a thread:
 *   if a handler runs, the call returns -EINTR or re-executes (SA_RESTART),
 *   per kind, as Linux does; if none runs, the thread goes back to waiting
 *   (lx_block with its old kind) or re-executes the call (futex).
 * - A handler that wants Linux's restart semantics returns -EINTR for a
 *   host call that a host signal interrupted, or an LX_ERESTART* code; the
 *   run loop passes every finished syscall to lx_signal_syscall_done().
 *   Plain -EINTR is treated like -ERESTARTSYS (or -ERESTARTNOHAND for the
 *   calls signal(7) says are never restarted): a host call fails with EINTR
 *   only because a host signal arrived, which the guest gets next.
 * - Host signals come in through the port (take_signals) in
 *   lx_signal_poll(), which the run loop calls at block boundaries.
 */
/* Kernel-internal restart codes (include/linux/errno.h), negated like
 * errnos in a handler's result; never visible to the guest. */
#define LX_ERESTARTSYS 512
#define LX_ERESTARTNOINTR 513
#define LX_ERESTARTNOHAND 514
#define LX_ERESTART_RESTARTBLOCK 516

/* Raises a synchronous signal for a guest fault at the current pc: si_code
 * `code` and si_addr `addr` (the faulting address; the pc for SIGILL and
 * SIGTRAP). If the signal is blocked or ignored, its action is reset to the
 * default and it is unblocked, as Linux's force_sig_info does. */
void lx_force_signal(struct lx_thread *t, int sig, int code, uint64_t addr);
/* Delivers pending unblocked signals to t before it resumes: default
 * actions, or a handler frame per signal (nested, as Linux does when
 * several are deliverable), and settles an interrupted system call. May
 * end the process (p->exited) or put t back to LX_BLOCKED. */
void lx_deliver_signals(struct lx_thread *t);
/* Ends the process as killed by sig. */
void lx_kill_process(struct lx_proc *p, int sig);
void lx_exit_process(struct lx_proc *p, int status);
/* Queues signal info->signo for thread `to` (NULL: process-directed) with
 * that siginfo, as the kernel's send_signal: ignored signals are dropped,
 * standard ones coalesce, a fatal one with the default action ends the
 * process, and a blocked thread that can take it is interrupted.
 * Returns 0, or -EAGAIN if a real-time queue is full and `may_fail`
 * (sigqueue(3)); without may_fail the signal is then pending without
 * its own siginfo. */
int lx_signal_send(struct lx_proc *p, struct lx_thread *to, const struct lx_siginfo *info,
                   bool may_fail);
/* Ends blocked thread t's wait because a signal it can take is pending
 * (see above). No-op unless t is LX_BLOCKED. */
void lx_signal_interrupt(struct lx_thread *t);
/* Whether blocked thread t has a pending signal that ends its wait (one it
 * does not block, or one rt_sigtimedwait waits for). */
bool lx_signal_wakes(const struct lx_thread *t);
/* Takes the host's asynchronous signals through the port at t's execution
 * point (t: the thread about to run, or the current one when none can) and
 * queues them to the process. Returns true if a blocked thread was made
 * runnable. */
bool lx_signal_poll(struct lx_proc *p, struct lx_thread *t);
/* The guest stopped running (lx_run returns): host signals are no longer
 * forwarded. */
void lx_signal_detach(struct lx_proc *p);
/* Called by the run loop after every system call of t: nr and a0 as they
 * were at the ecall. Records an interrupted call for restart (see above)
 * and raises SIGPIPE for a write that failed with EPIPE (the host's
 * SIGPIPE is ignored while the guest runs, so reprise raises the guest's,
 * as pipe_write and sk_stream_error do in Linux; not for MSG_NOSIGNAL). */
void lx_signal_syscall_done(struct lx_thread *t, long nr, uint64_t a0);

/* ---- signal frames (sigframe.c): the riscv64 rt_sigframe ----
 * Layout of arch/riscv/kernel/signal.c's struct rt_sigframe { siginfo;
 * ucontext } with the uapi asm/ucontext.h and asm/sigcontext.h structs;
 * offsets in bytes from the frame start (tests/unit/test_sigframe.c checks
 * them against the riscv64 cross headers). */
#define LX_SF_INFO 0                                /* siginfo_t, 128 bytes */
#define LX_SF_UC 128                                /* struct ucontext */
#define LX_SF_UC_FLAGS (LX_SF_UC + 0)
#define LX_SF_UC_LINK (LX_SF_UC + 8)
#define LX_SF_UC_STACK (LX_SF_UC + 16)              /* stack_t: sp, flags(4)+pad, size */
#define LX_SF_UC_SIGMASK (LX_SF_UC + 40)            /* 8 bytes + 120 reserved */
#define LX_SF_MCONTEXT (LX_SF_UC + 176)             /* struct sigcontext (16-aligned) */
#define LX_SF_REGS LX_SF_MCONTEXT                   /* sc_regs: pc, x1..x31 */
#define LX_SF_FPREGS (LX_SF_MCONTEXT + 256)         /* sc_fpregs.d.f[32] */
#define LX_SF_FCSR (LX_SF_FPREGS + 256)             /* sc_fpregs.d.fcsr */
#define LX_SF_FP_RESERVED (LX_SF_FPREGS + 516)      /* sc_fpregs.q.reserved[3]: must be 0 */
#define LX_SF_SIZE (LX_SF_MCONTEXT + 784)           /* 1088, a multiple of 16 */
#define LX_MINSIGSTKSZ 2048                         /* riscv64 uapi */

/* sigaction flags (asm-generic/signal.h) and sigaltstack flags. */
#define LX_SA_SIGINFO 0x4u
#define LX_SA_ONSTACK 0x08000000u
#define LX_SA_RESTART 0x10000000u
#define LX_SA_NODEFER 0x40000000u
#define LX_SA_RESETHAND 0x80000000u
#define LX_SS_ONSTACK 1
#define LX_SS_DISABLE 2
#define LX_SS_AUTODISARM (1u << 31)
/* SIGKILL and SIGSTOP: never blocked, caught or ignored. */
#define LX_UNBLOCKABLE ((1ull << (9 - 1)) | (1ull << (19 - 1)))

/* Guest address of the signal return trampoline (`li a7, 139; ecall`, the
 * role of Linux's vDSO __vdso_rt_sigreturn), mapping it read+exec on first
 * use at a fixed place: the page at mmap_base, in the gap between the mmap
 * area and the stack. Deterministic. Returns 0 if it cannot be mapped. */
uint64_t lx_sigpage(struct lx_proc *p);
/* Builds the rt_sigframe for signal info->signo with action sa on t's
 * stack (or its alternate stack: SA_ONSTACK, sigaltstack(2)) and points t
 * at the handler: a0 = sig, a1 = &frame->info, a2 = &frame->uc, sp = frame
 * (16-byte aligned), ra = the trampoline. The frame saves t's registers, FP
 * state, `saved_mask` and the alternate stack. Does not change the signal
 * mask. Returns 0, or -EFAULT if the frame cannot be written (the caller
 * then forces SIGSEGV, as the kernel's signal_setup_done does). */
int lx_sigframe_setup(struct lx_thread *t, const struct lx_siginfo *info,
                      const struct lx_sigaction *sa, uint64_t saved_mask);
/* rt_sigreturn(2): restores t's registers, FP state, signal mask and
 * alternate stack from the frame at sp (as the handler may have modified
 * them). Returns 0, or -EFAULT for a frame that is unreadable or fails the
 * kernel's sanity checks (the caller raises SIGSEGV). */
int lx_sigframe_restore(struct lx_thread *t);
/* Whether sp is on t's alternate signal stack (Linux on_sig_stack()). */
bool lx_on_altstack(const struct lx_thread *t, uint64_t sp);
/* t's alternate stack state as sigaltstack(2) reports it for stack pointer
 * sp: SS_DISABLE, SS_ONSTACK or 0, plus SS_AUTODISARM if set. */
int32_t lx_altstack_flags(const struct lx_thread *t, uint64_t sp);

/* ---- host signals (hostsig.c; only the live port calls these) ----
 * reprise's own handlers for the host signals it forwards to the guest:
 * they only record the signal (async-signal-safe) and stop the running
 * guest cpu at its next block boundary. Host threads other than the one
 * running the guest should block these signals. */
/* Installs the handlers (idempotent) and ignores SIGPIPE. Signals the host
 * already ignores (nohup) stay ignored. */
void lx_hostsig_start(void);
/* Restores the host dispositions saved by lx_hostsig_start; forgets
 * unread signals. */
void lx_hostsig_stop(void);
/* Names the thread whose cpu a new host signal stops (NULL: none). */
void lx_hostsig_target(struct lx_thread *t);
/* Moves up to max recorded signals to out (guest layout): standard ones
 * by number, then real-time ones in arrival order. Returns how many. */
int lx_hostsig_take(struct lx_siginfo *out, int max);
/* Sleeps until a forwarded host signal arrives (returns at once if one
 * already did) or the relative timeout passes (NULL: no timeout); free of
 * the race between checking and sleeping. */
struct timespec;
void lx_hostsig_idle(const struct timespec *timeout);
/* Before a host execve(2) for the guest: the new program gets the guest's
 * ignored signals (bit n-1 of `ignored`) and signal mask, every other
 * signal at its default, no reprise handler, SIGPIPE no longer ignored.
 * lx_hostsig_exec_failed() puts reprise's state back if execve fails. */
void lx_hostsig_exec_begin(uint64_t ignored, uint64_t mask);
void lx_hostsig_exec_failed(void);

/* Sets p->exe_path to the canonical path of the program file (what
 * /proc/self/exe shows), falling back to `path` itself. */
void lx_set_exe_path(struct lx_proc *p, struct lx_thread *t, const char *path);

/* ---- warnings ---- */
void lx_warn_once(struct lx_proc *p, long nr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline struct lx_thread *lx_cur(struct lx_proc *p) { return p->threads[p->cur]; }

#endif
