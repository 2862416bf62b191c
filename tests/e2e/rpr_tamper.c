/*
 * rpr_tamper.c - test tool: copies a recording event by event through the
 * store API with one alteration in the first stream, and prints the altered
 * event's position in its stream (1-based):
 *   rpr_tamper IN OUT N         the N-th SYSCALL's argument digest, so a
 *                               replay must diverge at exactly that event
 *   rpr_tamper IN OUT N state   the N-th DIGEST value and a0 in the REGS
 *                               event beside it, so a replay with --verify
 *                               must report a digest mismatch naming a0
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "state"))) {
        fprintf(stderr, "usage: rpr_tamper IN OUT N [state]\n");
        return 2;
    }
    long target = atol(argv[3]);
    bool state = argc == 5;
    uint64_t regs[128];
    char err[512];
    struct rpr_reader *r;
    if (rpr_reader_open(argv[1], &r, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct rpr_writer *w;
    struct rpr_writer_options wo = { .sync = true };
    if (rpr_writer_create(argv[2], rpr_reader_meta(r), &wo, &w, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    long position = -1, syscalls = 0;
    size_t ns = rpr_reader_stream_count(r);
    for (size_t s = 0; s < ns; s++) {
        struct rpr_stream_info si;
        rpr_reader_stream(r, s, &si);
        rpr_writer_stream_begin(w, si.id, si.parent, si.fork_icount, si.program);
        struct rpr_iter *it;
        if (rpr_iter_open(r, si.id, NULL, &it)) return 1;
        const struct rpr_event *ev;
        long n = 0;
        while (rpr_iter_next(it, &ev) == RPR_OK) {
            struct rpr_event copy = *ev;
            n++;
            if (s == 0 && !state && copy.kind == RPR_EV_SYSCALL && ++syscalls == target) {
                copy.u.syscall.args_digest ^= 1;
                position = n;
            }
            if (s == 0 && state && copy.kind == RPR_EV_DIGEST && ++syscalls == target) {
                copy.u.digest.digest ^= 1;
                position = n;
            }
            if (s == 0 && state && copy.kind == RPR_EV_REGS && position == n - 1 &&
                copy.u.regs.regs.len >= 80 && copy.u.regs.regs.len <= sizeof regs) {
                memcpy(regs, copy.u.regs.regs.data, copy.u.regs.regs.len);
                regs[9] ^= 1; /* a0 = x10, the 10th of x1..x31 */
                copy.u.regs.regs.data = regs;
            }
            if (rpr_writer_append(w, si.id, &copy)) {
                fprintf(stderr, "append: %s\n", rpr_writer_errmsg(w));
                return 1;
            }
        }
        rpr_iter_close(it);
    }
    if (rpr_writer_close(w)) return 1;
    rpr_reader_close(r);
    if (position < 0) {
        fprintf(stderr, "the recording has fewer than %ld %s\n", target,
                state ? "digests" : "system calls");
        return 1;
    }
    printf("%ld\n", position);
    return 0;
}
