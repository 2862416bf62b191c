/*
 * checkpoint.h - process snapshots of a replay for reverse debugging
 * (`reprise debug`), rr-style: a checkpoint is a fork() of the replaying
 * process, frozen at a safe point of the run loop; memory is shared
 * copy-on-write, so a snapshot costs only the pages the replay changes
 * after it. docs/debug.md describes the design; this module only moves
 * processes and file descriptors, the gdb stub decides when and where.
 *
 * Processes of a debugging session:
 *
 *   supervisor (the `reprise debug` the user started; runs no replay)
 *    `- the active replay: serves gdb, replays, forks snapshots
 *        `- snapshots: frozen, each blocked on its control socket
 *
 * - The supervisor is a child subreaper (PR_SET_CHILD_SUBREAPER, prctl(2)):
 *   every process of the session that loses its parent is reparented to
 *   it and reaped by it. It holds the write end of a "lifeline" pipe that
 *   every other process of the session watches: when the supervisor ends,
 *   for whatever reason, the read ends see end-of-file and every snapshot
 *   and replay exits. When the session ends (ckpt_report_result), the
 *   supervisor closes the lifeline and waits until no process of the
 *   session is left, then exits with the session's status.
 * - Exactly one process talks to gdb: the active replay. To go back, the
 *   active process sends a snapshot its session state (a blob: the
 *   breakpoints, the reverse command in progress...) and file descriptors
 *   (the gdb connection, the control sockets of the other snapshots) over
 *   the snapshot's control socket (AF_UNIX SOCK_SEQPACKET, SCM_RIGHTS,
 *   unix(7)); the snapshot forks a child that takes over as the active
 *   replay and stays frozen itself, to be resumed again later. The old
 *   active process exits once the new one acknowledged.
 * - Snapshots close the gdb connection and every other control socket
 *   when they are taken, so that only the active process holds them: the
 *   gdb connection closes when the active process closes it, and closing
 *   a control socket ends its snapshot.
 * - A snapshot never writes to the gdb connection, stdout or stderr.
 *   Nothing of the session writes to the recording (the reader uses
 *   pread(2), so the file offset shared across fork() is never used).
 */
#ifndef REPRISE_CHECKPOINT_H
#define REPRISE_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>

/* Most file descriptors a resume message carries. */
#define CKPT_MAX_FDS 72
/* Largest session blob a resume message carries, in bytes. */
#define CKPT_MAX_BLOB (160 * 1024)

/* Starts supervision: forks the first active replay. Returns 0 in the
 * child (which goes on to replay and serve gdb), 1 in the supervisor once
 * the session has ended with *status set to the status the session
 * reported (or 1 if the active replay died without reporting one), -1 if
 * the session cannot be supervised (errno set; the caller goes on without
 * checkpoints, in this process). Flushes stdio before forking. */
int ckpt_supervise(int *status);

/* Whether this process runs under a supervisor (snapshots are possible). */
bool ckpt_supervised(void);

/* Whether the supervisor is gone (its lifeline closed): the caller should
 * end at once. Never blocks. */
bool ckpt_orphaned(void);

/* The lifeline's read end (to include in poll(2) sets), -1 if none. */
int ckpt_lifeline_fd(void);

/* Tells the supervisor that the session ended with this exit status. */
void ckpt_report_result(int status);

/* What a resumed snapshot receives: the blob (malloc'd, the caller frees
 * it) and the file descriptors, in the order they were sent. */
struct ckpt_resume {
    void *blob;
    size_t len;
    int fds[CKPT_MAX_FDS];
    size_t nfds;
    int ack_fd;          /* internal: acknowledges to the sender */
};

/* Takes a snapshot of this process. In the snapshot, first closes the
 * close_fds (n of them; descriptors only the active process may hold),
 * then waits. Returns 0 in the caller with *ctrl set to the control socket
 * that resumes the snapshot (ckpt_resume) and ends it (close); 1 in a
 * process resumed from the snapshot, with r filled (the caller installs
 * the session state, then calls ckpt_resumed); -1 on failure (errno). */
int ckpt_take(const int *close_fds, size_t n, int *ctrl, int *pid, struct ckpt_resume *r);

/* In a resumed process, once it has taken over the session: registers
 * with the supervisor as the active replay and acknowledges to the
 * process that resumed it (which then exits). */
void ckpt_resumed(struct ckpt_resume *r);

/* Resumes the snapshot behind ctrl with the session blob (len bytes, at
 * most CKPT_MAX_BLOB) and the file descriptors fds (at most
 * CKPT_MAX_FDS). Returns 0 once a process resumed from it has taken over
 * (the caller must then exit without touching the session's descriptors
 * or output), -1 if the snapshot is gone or failed (the session stays
 * with the caller). */
int ckpt_resume(int ctrl, const void *blob, size_t len, const int *fds, size_t nfds);

#endif
