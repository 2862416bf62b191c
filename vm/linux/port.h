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

struct lx_port_ops {
    /* Whole contents of a host file, for the loader (executable, dynamic
     * linker) and for file-backed mmap. *data is malloc'd, owned by the
     * caller. Returns 0 or a negative errno. */
    int (*load_file)(struct lx_port *p, struct lx_thread *t, const char *path, void **data,
                     size_t *len);
    /* Bytes of an open file at an offset (file-backed mmap of an fd).
     * Returns bytes read (short at end of file) or a negative errno. */
    long (*read_fd_at)(struct lx_port *p, struct lx_thread *t, int fd, uint64_t off, void *buf,
                       size_t len);
    /* Random bytes (AT_RANDOM). */
    void (*random)(struct lx_port *p, struct lx_thread *t, void *buf, size_t len);
    /* The `time` CSR: host monotonic time in 10 MHz ticks (the timebase of
     * common riscv64 Linux systems). */
    uint64_t (*read_time)(struct lx_port *p, struct lx_thread *t);
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
    void (*destroy)(struct lx_port *p);
};

enum lx_host_id { LX_ID_UID, LX_ID_EUID, LX_ID_GID, LX_ID_EGID, LX_ID_PID, LX_ID_PPID };

struct lx_port {
    const struct lx_port_ops *ops;
};

/* The live port: performs everything on the host. */
struct lx_port *lx_port_live_create(void);

#endif
