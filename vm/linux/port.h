/*
 * port.h - the event port: the one interface through which the Linux
 * personality obtains every nondeterministic input (DESIGN.md).
 *
 * Three implementations: live (port_live.c: do the real thing on the host),
 * record (recorder/: live, plus log the outcome with its execution point)
 * and replay (replayer/: take the outcome from the log). Nothing else in vm/
 * may read a clock, a random source, a file or the host kernel.
 *
 * Every operation receives the calling thread, whose cpu gives the
 * execution point (thread id, icount, pc). Outcomes that land in guest
 * memory are written by the port itself through lx_guest_write() (guest.h),
 * so a recorder sees exactly the bytes that changed.
 */
#ifndef REPRISE_LINUX_PORT_H
#define REPRISE_LINUX_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lx_thread;
struct lx_port;

/* A guest system call as the port sees it: riscv64 (asm-generic) number
 * and raw argument registers a0-a5. */
struct lx_syscall {
    long nr;
    uint64_t a[6];
    /* Set by the scheduler when other guest threads can run: do not wait
     * (ppoll with a zero timeout, wait4 with WNOHANG); the call is retried. */
    bool nowait;
};

/* A guest siginfo_t in the riscv64 layout (asm-generic/siginfo.h: 128
 * bytes; x86-64 hosts use the same layout, so a host siginfo_t converts by
 * copying). Which union member is valid depends on signo and code. */
struct lx_siginfo {
    int32_t signo, err, code, pad;
    union {
        struct { int32_t pid; uint32_t uid; uint64_t value; } kill; /* SI_USER, SI_TKILL, SI_QUEUE */
        struct { int32_t tid, overrun; uint64_t value; } timer;    /* SI_TIMER */
        struct { uint64_t addr; } fault;                            /* SIGSEGV, SIGBUS, SIGILL, SIGTRAP */
        struct { int32_t pid; uint32_t uid; int32_t status, pad; int64_t utime, stime; } chld;
        struct { int64_t band; int32_t fd; } poll;                 /* SIGIO, SIGURG */
        uint8_t raw[112];
    } u;
};

struct lx_port_ops {
    /* Whole contents of a host file, for the loader (executable, dynamic
     * linker) and for file-backed mmap. *data is malloc'd, owned by the
     * caller. Returns 0 or a negative errno. */
    int (*load_file)(struct lx_port *p, struct lx_thread *t, const char *path, void **data,
                     size_t *len);
    /* Canonical absolute path of a host file (realpath(3)), for
     * /proc/self/exe. Returns 0 or a negative errno. */
    int (*resolve_path)(struct lx_port *p, struct lx_thread *t, const char *path, char *out,
                        size_t n);
    /* Bytes of an open file at an offset (file-backed mmap of an fd).
     * Returns bytes read (short at end of file) or a negative errno. */
    long (*read_fd_at)(struct lx_port *p, struct lx_thread *t, int fd, uint64_t off, void *buf,
                       size_t len);
    /* Random bytes (AT_RANDOM). */
    void (*random)(struct lx_port *p, struct lx_thread *t, void *buf, size_t len);
    /* The `time` CSR: host monotonic time in 10 MHz ticks (the timebase of
     * common riscv64 Linux systems). Read in the middle of a block, so the
     * exact point comes along: t's retired-instruction count and the pc of
     * the reading instruction. */
    uint64_t (*read_time)(struct lx_port *p, struct lx_thread *t, uint64_t icount, uint64_t pc);
    /* Performs a host-side system call with Linux riscv64 semantics and
     * writes its guest-visible outputs into guest memory. Returns the value
     * for a0 (negative errno on failure). */
    long (*syscall)(struct lx_port *p, struct lx_thread *t, const struct lx_syscall *call);
    /* Host facts the guest may ask about (uid, gid, pid, uname): through the
     * port because they differ between hosts. */
    long (*host_id)(struct lx_port *p, struct lx_thread *t, int what);
    /* Nanoseconds on host clock `clock` (0 CLOCK_REALTIME, 1 CLOCK_MONOTONIC),
     * for timeouts and deadlines the scheduler keeps. */
    uint64_t (*clock_ns)(struct lx_port *p, struct lx_thread *t, int clock);
    /* Called when no guest thread can run: waits until the monotonic clock
     * reaches until_ns (UINT64_MAX: no deadline) or a host event (signal)
     * arrives, whichever is first. */
    void (*idle)(struct lx_port *p, struct lx_thread *t, uint64_t until_ns);
    /* Creates a new host process continuing this guest (fork semantics).
     * Returns the child's pid in the parent, 0 in the child, or -errno. The
     * recorder gives the child a stream of its own. */
    long (*fork)(struct lx_port *p, struct lx_thread *t);
    /* Replaces this process with a host program (execve of something that
     * is not a riscv64 ELF, e.g. /bin/sh). Returns only on failure (-errno). */
    long (*exec_host)(struct lx_port *p, struct lx_thread *t, const char *path, char *const *argv,
                      char *const *envp);
    /* Whether a blocking read-like (events POLLIN) or write-like (POLLOUT)
     * call on fd would block now: 1 yes, 0 no (ready, non-blocking fd, or an
     * error the call itself will report). */
    int (*fd_would_block)(struct lx_port *p, struct lx_thread *t, int fd, short events);
    /* Asynchronous signals that reached reprise from the host (SIGINT,
     * SIGALRM of a guest timer, SIGCHLD, ...) since the last call: a
     * nondeterministic input, taken by the run loop at block boundaries and
     * at t's execution point (the recorder logs them there, the replayer
     * returns them at the same point). Writes at most max of them to out,
     * in guest layout, and returns how many (0: none, the common case; must
     * be cheap then). Also names t as the thread a newly arrived host signal
     * should interrupt (vm_cpu_request_stop). t == NULL: the guest stops
     * running; stop forwarding host signals and restore their host
     * dispositions (returns 0). May be NULL in ports that never have any. */
    int (*take_signals)(struct lx_port *p, struct lx_thread *t, struct lx_siginfo *out, int max);
    /* Optional (NULL: never). The retired-instruction count of thread t at
     * which the port needs the run loop to stop and ask for signals
     * (take_signals): how a replay injects an asynchronous event at its
     * exact instruction. UINT64_MAX: none for t. */
    uint64_t (*next_stop)(struct lx_port *p, struct lx_thread *t);
    /* Optional. A guest thread t starts (start: true, t at its first
     * instruction) or ends (false). Not an input: a recorder logs it so a
     * recording shows the threads, and a replay checks it. */
    void (*thread_event)(struct lx_port *p, struct lx_thread *t, bool start);
    /* Optional. Called each time a time slice of t ends (deterministic
     * points), e.g. for periodic state digests. */
    void (*tick)(struct lx_port *p, struct lx_thread *t);
    void (*destroy)(struct lx_port *p);
};

enum lx_host_id { LX_ID_UID, LX_ID_EUID, LX_ID_GID, LX_ID_EGID, LX_ID_PID, LX_ID_PPID };

struct lx_port {
    const struct lx_port_ops *ops;
    /* Set by a port to end the run now (a replay diverged or reached the
     * end of its recording): lx_run returns -ECANCELED with this message. */
    const char *halt;
};

/* The live port: performs everything on the host. */
struct lx_port *lx_port_live_create(void);

/* Hides one of reprise's own host descriptors (a recording being written)
 * from the guest: every guest call that names it fails with EBADF, as if it
 * were not open. Process-wide; at most 8 descriptors. */
void lx_hide_host_fd(int fd);

#endif
