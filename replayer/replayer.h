/*
 * replayer.h - replay mode: an event port that takes every outcome from a
 * recording instead of the host, checking that each request arrives at the
 * recorded execution point. A replay has no host side effects: it opens,
 * writes and spawns nothing; the guest's terminal output is re-emitted
 * when asked.
 */
#ifndef REPRISE_REPLAYER_H
#define REPRISE_REPLAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "linux.h"

struct rpr_reader;

struct rep_options {
    uint32_t stream;   /* guest process to replay (its pid); 0: the first one */
    bool quiet;        /* do not re-emit the guest's stdout/stderr */
    bool verify;       /* check every state digest, not only the final one */
    uint64_t until;    /* stop when the process has retired this many
                          instructions; 0: run to the end */
};

/* Creates a replay port over an open recording (not owned; must outlive
 * the port). Returns 0 or a negative code with a message. */
int rep_port_create(struct rpr_reader *r, const struct rep_options *opt, struct lx_port **out,
                    char *err, size_t errlen);

/* Outcome of a replay. */
struct rep_result {
    bool diverged;          /* a divergence was found (see message) */
    bool truncated;         /* the recording ended before the process did */
    bool stopped;           /* stopped at --until, or the process became a host program */
    bool have_exit;         /* the recording holds the process's exit */
    struct lx_exit exit;    /* the recorded exit */
    uint64_t digests_checked;
    uint64_t events;        /* events consumed */
    char message[1024];     /* what happened, for the user */
};

/* Ends the replay at the next point the run loop checks (a block boundary,
 * within one time slice), as a stop (rep_result.stopped), not a failure:
 * for a consumer that has what it wanted. `why` is copied. */
void rep_port_stop(struct lx_port *port, const char *why);

/* Finishes a replay after lx_run returned (rc, err: what it returned):
 * compares the exit and the final state digest with the recording. Frees
 * the port. */
void rep_port_finish(struct lx_port *port, struct lx_proc *p, int rc, const char *err,
                     const struct lx_exit *ex, struct rep_result *res);

#endif
