/*
 * gdbstub.h - a gdb remote serial protocol server over a replay: the engine
 * of `reprise debug`. gdb (gdb-multiarch) connects over TCP or a Unix
 * socket and debugs the recorded execution as if it were a live process:
 * registers, memory, breakpoints, single steps, threads, the recorded exit.
 *
 * How it sits in a replay: the stub wraps the replay port (every operation
 * is forwarded; its `next_stop` also answers the debugger's stops) and
 * supplies the tracer instrumentation that checks breakpoint pcs. The stub
 * never writes guest memory and never changes what the guest executes, so
 * a debugging session cannot change the replay or cause a divergence:
 * breakpoints are per-instruction callbacks compiled into the blocks that
 * contain breakpoint pcs, single steps are instruction budgets of 1.
 *
 * Reverse execution (bc, bs, `monitor seek`, `monitor restart`) resumes
 * the latest checkpoint before the wanted point (a snapshot process,
 * checkpoint.h; the caller must have called ckpt_supervise() and set
 * checkpoint_interval) and runs forwards to it. Without checkpoints it
 * restarts the replay from the beginning over the same recording: the
 * stub halts the run (lx_run returns) and gdbstub_restarting() says so;
 * the caller then builds a fresh replay port and process and runs again.
 *
 * Usage (cli/cmd_debug.c):
 *     gdbstub_create(&cfg, replay_port, &g, ...);   listens, prints the command
 *     for (;;) {
 *         gdbstub_set_inner(g, replay_port);        (a fresh one after the first run)
 *         lx_create(cfg with .port = gdbstub_port(g), .instrument = gdbstub_instrument(g))
 *         gdbstub_attach(g, proc);
 *         if (gdbstub_start(g) == 0) rc = lx_run(proc, ...);   serves the first stop
 *         if (!gdbstub_restarting(g)) break;
 *         destroy the port and the process
 *     }
 *     gdbstub_finish(g, ...);                       reports the exit, serves until gdb leaves
 *     gdbstub_destroy(g);
 */
#ifndef REPRISE_GDBSTUB_H
#define REPRISE_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "linux.h"

struct gdbstub;

struct gdbstub_config {
    const char *program;      /* host path of the recorded program (qXfer:exec-file, the hint) */
    const char *sysroot;      /* where the guest's libraries are (for the hint); NULL: default */
    int port;                 /* TCP port on 127.0.0.1; 0: let the system choose */
    const char *socket_path;  /* if not NULL: listen on this Unix socket instead */
    FILE *info;               /* where the listening address and the gdb command go */
    bool verbose;             /* log every packet to stderr */
    /* Optional (`monitor events`): writes a description of the recorded
     * events just before and from process instruction count icount to buf
     * (NUL-terminated, at most n bytes). */
    void (*events)(void *ctx, uint64_t icount, char *buf, size_t n);
    void *events_ctx;
    /* Checkpoints (checkpoint.h): automatic snapshots of the replay every
     * checkpoint_interval process instructions (0: none; reverse commands
     * then replay from the beginning), at most checkpoint_max of them live
     * (0: the default, 24). Needs ckpt_supervise() to have been called. */
    uint64_t checkpoint_interval;
    size_t checkpoint_max;
    /* If not 0: the process instruction count at which the recording ends
     * (its exit). Forward execution then first stops at the last
     * instruction (count end_icount - 1) with a SIGKILL stop reply, as rr
     * does, so that gdb keeps the process and can reverse from the end;
     * continuing from there reports the recorded exit. 0: the end is
     * reported as the recorded exit at once. */
    uint64_t end_icount;
    /* The signal number of that stop reply: 0 means SIGKILL (9). A
     * recording that ended in a crash stops there with its fatal signal,
     * as gdb shows a crash in a live process ("Program received signal
     * SIGSEGV") before the process dies. */
    int end_signal;
};

/* Creates a stub wrapping the replay port `inner` (not owned) and starts
 * listening. Returns 0, or -1 with a message in err. */
int gdbstub_create(const struct gdbstub_config *cfg, struct lx_port *inner, struct gdbstub **out,
                   char *err, size_t errlen);
/* The port to give lx_create (forwards everything to the inner port). */
struct lx_port *gdbstub_port(struct gdbstub *g);
/* The instrumentation to give lx_create (breakpoint checks). */
const struct vm_instrument *gdbstub_instrument(struct gdbstub *g);
/* The TCP port listened on (after creation), 0 for a Unix socket. */
int gdbstub_listen_port(const struct gdbstub *g);
/* Tells the stub the process being replayed (after lx_create). */
void gdbstub_attach(struct gdbstub *g, struct lx_proc *p);
/* Waits for the first gdb client and serves it with the process stopped
 * at its first instruction, until gdb resumes it. Returns 0 to run, -1 if
 * the session ended (gdb killed the process). */
int gdbstub_start(struct gdbstub *g);
/* After lx_run returned: whether gdb ended the session (kill), in which
 * case the run was cut short on purpose. */
bool gdbstub_killed(const struct gdbstub *g);
/* After lx_run returned: whether the stub halted it to restart the replay
 * from the beginning (reverse execution, `monitor seek`). The caller
 * destroys the process and the replay port, creates fresh ones over the
 * same recording, and calls gdbstub_set_inner, lx_create, gdbstub_attach,
 * gdbstub_start and lx_run again. */
bool gdbstub_restarting(const struct gdbstub *g);
/* Gives the stub a fresh replay port to wrap (not owned) for a restarted
 * replay; clears the halt of the previous run. The process must be
 * attached again (gdbstub_attach). */
void gdbstub_set_inner(struct gdbstub *g, struct lx_port *inner);
/* Reports the end of the recording to gdb (the recorded exit in ex, or,
 * if ex is NULL, the message msg and a SIGKILL-like end) and serves the
 * client until it disconnects. */
void gdbstub_finish(struct gdbstub *g, const struct lx_exit *ex, const char *msg);
/* Closes the sockets and frees the stub (not the inner port). */
void gdbstub_destroy(struct gdbstub *g);

/* For tests/fuzz/fuzz_gdbpkt.c: feeds `data` (n bytes, any content; at
 * most what a socket buffer holds, ~200 KiB, is used) to a stub with no
 * process attached, as if a client had sent it and then disconnected, and
 * handles every packet in it (framing, checksums, acks, hex arguments,
 * monitor commands); replies are discarded. Returns 0, or -1 if the
 * socketpair or memory for it could not be had. */
int gdbstub_fuzz_input(const void *data, size_t n);

#endif
