/*
 * recorder.h - record mode: an event port that performs every operation on
 * the host through the live port and logs its outcome, with its execution
 * point, into a recording (store/log.h).
 */
#ifndef REPRISE_RECORDER_H
#define REPRISE_RECORDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "linux.h"

struct rec_options {
    /* Log a state digest every this many instructions of a process (at the
     * next time-slice end); 0: every 2^27 (about 134 million). */
    uint64_t digest_interval;
};

/* Creates a record port wrapping `live` (not owned) that writes a new
 * recording at path (never replacing an existing file) with the metadata
 * object meta (borrowed). Returns 0 or a negative code with a message. */
int rec_port_create(struct lx_port *live, const char *path, const json_t *meta,
                    const struct rec_options *opt, struct lx_port **out, char *err,
                    size_t errlen);

/* Logs the process's end (EXIT and a final state digest) and closes the
 * recording; frees the port. Call once, after lx_run; p NULL if the process
 * never started (nothing is logged). Returns 0 or a negative code with a
 * message. */
int rec_port_finish(struct lx_port *port, struct lx_proc *p, const struct lx_exit *ex,
                    char *err, size_t errlen);

/* What the recording holds so far, for the summary line. */
struct rec_summary {
    uint64_t events;
    uint64_t file_bytes;   /* events and blobs as stored */
    uint64_t raw_bytes;    /* the same uncompressed */
};
void rec_port_summary(struct lx_port *port, struct rec_summary *s);

#endif
