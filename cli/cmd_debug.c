/*
 * cmd_debug.c - `reprise debug`: serves a replay to gdb (gdb remote serial
 * protocol; replayer/gdbstub.c does the work).
 */
#include "checkpoint.h"
#include "cli.h"
#include "gdbstub.h"
#include "linux.h"
#include "log.h"
#include "replayer.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void debug_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise debug [OPTION]... FILE\n"
            "\n"
            "Replays the recording FILE under the control of gdb: listens for one gdb\n"
            "client at a time (it may disconnect and reconnect) and prints the command\n"
            "that connects gdb-multiarch. Breakpoints, single steps, registers, memory\n"
            "and threads work as on a live process, and so do watchpoints and reverse\n"
            "execution (reverse-continue, reverse-stepi...: the replay goes back to the\n"
            "latest checkpoint before the point wanted and runs forwards to it).\n"
            "Checkpoints are snapshots of the replaying process (fork, copy-on-write)\n"
            "taken every --checkpoint-interval instructions, dense near the current\n"
            "point and sparser further back. The replay itself is never altered\n"
            "(writes to registers or memory are refused). See docs/debug.md.\n"
            "\n"
            "  --port N             listen on 127.0.0.1:N (default 0: any free port)\n"
            "  --socket PATH        listen on a Unix socket instead\n"
            "  --stream PID         debug this process of a process tree (default:\n"
            "                       the first one)\n"
            "  --checkpoint-interval N\n"
            "                       instructions between automatic checkpoints (default\n"
            "                       100000000; 0: none, reverse commands replay from\n"
            "                       the beginning)\n"
            "  --max-checkpoints N  live checkpoints at most (default 24, 2 to 63); each\n"
            "                       is a process holding the memory the replay changed\n"
            "                       since it was taken\n"
            "  --stop-at-end        stop at the last instruction of the recording with a\n"
            "                       SIGKILL stop (as rr does) so that gdb keeps the\n"
            "                       process and can reverse from the end; continuing\n"
            "                       from there reports the recorded exit\n"
            "  --verbose            log the protocol's packets to stderr\n"
            "  --engine E           interp, jit or auto (default: $REPRISE_ENGINE, else\n"
            "                       auto); the replay is the same with every engine\n"
            "  -h, --help           show this help\n"
            "\n"
            "Exit status: 0 when gdb ends the session; the recorded program's status\n"
            "if it ran to its end; 3 if the replay diverged; 1 if the recording cannot\n"
            "be read; 2 for a bad command line.\n");
}

/* `monitor events`: the recorded events around a point. */
struct events_ctx {
    struct rpr_reader *rd;
    uint32_t stream;
};

static const char *event_kind_name(unsigned kind)
{
    switch (kind) {
#define RPR_KIND(NAME, name, num, desc, FIELDS) case num: return #name;
#include "kinds.def"
#undef RPR_KIND
    default: return "?";
    }
}

/* Appends one line for an event to buf (len: what it holds so far). */
static void append_event(char *buf, size_t n, size_t *len, unsigned kind, const struct rpr_point *at)
{
    if (*len >= n) return;
    *len += (size_t)snprintf(buf + *len, n - *len, "  icount %" PRIu64 " thread %u pc 0x%" PRIx64 ": %s\n",
                             at->icount, at->tid, at->pc, event_kind_name(kind));
}

/* Lists the 3 events before process instruction count icount and the 3
 * from it on (gdbstub_config.events). */
static void list_events(void *vctx, uint64_t icount, char *buf, size_t n)
{
    struct events_ctx *c = vctx;
    struct rpr_iter *it;
    size_t len = 0;
    buf[0] = 0;
    if (rpr_iter_open(c->rd, c->stream, NULL, &it)) {
        snprintf(buf, n, "cannot read the recording: %s\n", rpr_reader_errmsg(c->rd));
        return;
    }
    struct { unsigned kind; struct rpr_point at; } before[3];
    size_t nb = 0, after = 0;
    const struct rpr_event *ev;
    while (after < 3 && rpr_iter_next(it, &ev) == RPR_OK) {
        if (ev->at.icount < icount) {
            if (nb == 3) memmove(before, before + 1, 2 * sizeof before[0]), nb = 2;
            before[nb].kind = ev->kind;
            before[nb++].at = ev->at;
            continue;
        }
        if (!after++) {
            for (size_t i = 0; i < nb; i++) append_event(buf, n, &len, before[i].kind, &before[i].at);
            if (len < n) len += (size_t)snprintf(buf + len, n - len, "-> here: icount %" PRIu64 "\n", icount);
        }
        append_event(buf, n, &len, ev->kind, &ev->at);
    }
    if (!after) {
        for (size_t i = 0; i < nb; i++) append_event(buf, n, &len, before[i].kind, &before[i].at);
        if (len < n)
            snprintf(buf + len, n - len, "-> here: icount %" PRIu64 " (no later event)\n", icount);
    }
    rpr_iter_close(it);
}

int cmd_debug(int argc, char **argv)
{
    static const struct option opts[] = {
        { "port", required_argument, NULL, 'p' },
        { "socket", required_argument, NULL, 'S' },
        { "stream", required_argument, NULL, 's' },
        { "verbose", no_argument, NULL, 'v' },
        { "checkpoint-interval", required_argument, NULL, 'i' },
        { "max-checkpoints", required_argument, NULL, 'm' },
        { "stop-at-end", no_argument, NULL, 'E' },
        { "engine", required_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct rep_options ro = { .quiet = true };
    struct gdbstub_config gc = { .info = stdout, .checkpoint_interval = 100000000 };
    int c;
    char *end;
    bool stop_at_end = false;
    const char *engine = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v > 65535) {
                cli_error("debug", "--port wants a TCP port, not '%s'", optarg);
                return CLI_USAGE;
            }
            gc.port = (int)v;
            break;
        }
        case 'S': gc.socket_path = optarg; break;
        case 's':
            ro.stream = (uint32_t)strtoul(optarg, &end, 10);
            if (*end || !ro.stream) {
                cli_error("debug", "--stream wants a process id, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case 'v': gc.verbose = true; break;
        case 'E': stop_at_end = true; break;
        case 'i':
            errno = 0;
            gc.checkpoint_interval = strtoull(optarg, &end, 10);
            if (*end || !*optarg || errno || *optarg == '-') {
                cli_error("debug", "--checkpoint-interval wants a number of instructions, not '%s'",
                          optarg);
                return CLI_USAGE;
            }
            break;
        case 'm': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || !*optarg || v < 2 || v > 63) {
                cli_error("debug", "--max-checkpoints wants a number from 2 to 63, not '%s'", optarg);
                return CLI_USAGE;
            }
            gc.checkpoint_max = v;
            break;
        }
        case 'e': engine = optarg; break;
        case 'h': debug_usage(stdout); return CLI_OK;
        default: debug_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1) {
        debug_usage(stderr);
        return CLI_USAGE;
    }
    if (cli_engine_setup("debug", engine, false)) return CLI_USAGE;
    const char *file = argv[optind];
    char err[1024] = "";
    struct rpr_reader *rd;
    if (rpr_reader_open(file, &rd, err, sizeof err)) {
        cli_error("debug", "%s", err);
        return CLI_FAIL;
    }
    const json_t *meta = rpr_reader_meta(rd);
    struct cli_guest guest;
    int status = CLI_FAIL;
    struct lx_port *port = NULL;
    struct gdbstub *g = NULL;
    struct lx_proc *proc = NULL;
    if (cli_guest_load("debug", file, meta, &guest)) goto out;
    const char *program = guest.program;
    if (rep_port_create(rd, &ro, &port, err, sizeof err)) {
        cli_error("debug", "%s: %s", file, err);
        port = NULL;
        goto out;
    }
    gc.program = program;
    gc.sysroot = guest.sysroot;
    struct events_ctx ectx = { .rd = rd, .stream = ro.stream };
    if (!ectx.stream) {
        struct rpr_stream_info si;
        for (size_t i = 0; i < rpr_reader_stream_count(rd); i++)
            if (rpr_reader_stream(rd, i, &si) == 0 && !si.parent) {
                ectx.stream = si.id;
                break;
            }
    }
    /* The recording's end: the stream's last event (its exit), if the
     * recorder ended the stream. A crash (a fatal signal) always stops
     * there first, with its signal, so that gdb can look at it and go back
     * from it; other ends do with --stop-at-end. */
    {
        int k = rpr_reader_find_stream(rd, ectx.stream);
        struct rpr_stream_info si;
        int crash = 0;
        bool have_end = k >= 0 && rpr_reader_stream(rd, (size_t)k, &si) == 0 && si.ended &&
                        si.last_icount;
        if (have_end) {
            struct rpr_filter f;
            struct rpr_iter *it = NULL;
            const struct rpr_event *ev;
            rpr_filter_init(&f);
            f.from = si.last_icount;
            rpr_filter_kind(&f, RPR_EV_EXIT);
            if (rpr_iter_open(rd, si.id, &f, &it) == RPR_OK)
                while (rpr_iter_next(it, &ev) == RPR_OK)
                    if (ev->u.exit.signaled) crash = (int)ev->u.exit.status;
            rpr_iter_close(it);
        }
        if (have_end && (stop_at_end || crash)) {
            gc.end_icount = si.last_icount;
            gc.end_signal = crash;
        } else if (stop_at_end) {
            fprintf(stderr, "reprise: debug: %s: the recording has no end (truncated?): "
                            "--stop-at-end ignored\n", file);
        }
    }
    gc.events = list_events;
    gc.events_ctx = &ectx;
    if (gdbstub_create(&gc, port, &g, err, sizeof err)) {
        cli_error("debug", "%s", err);
        goto out;
    }
    if (gc.checkpoint_interval) {
        /* This process becomes the session's supervisor (checkpoint.h):
         * the replay, its snapshots and the gdb connection live in child
         * processes; it returns here with the status the session ended
         * with, once none of them is left. */
        int sst;
        int r = ckpt_supervise(&sst);
        if (r == 1) {
            status = sst;
            goto out;
        }
        if (r < 0) /* the stub takes no snapshot unless supervised */
            fprintf(stderr, "reprise: debug: no checkpoints (%s): reverse commands replay from "
                            "the beginning\n", strerror(errno));
    }
    struct lx_config cfg;
    cli_guest_config(&guest, gdbstub_port(g), &cfg);
    cfg.instrument = gdbstub_instrument(g);
    struct lx_exit ex = { 0 };
    int rc;
    for (;;) {
        /* Reverse execution replays again from the start: a fresh port
         * over the same recording and a fresh process each time. */
        rc = lx_create(&cfg, &proc, err, sizeof err);
        if (rc == 0) {
            gdbstub_attach(g, proc);
            rc = gdbstub_start(g) == 0 ? lx_run(proc, &ex, err, sizeof err) : -1;
        }
        if (!gdbstub_restarting(g)) break;
        lx_destroy(proc);
        proc = NULL;
        port->ops->destroy(port);
        port = NULL;
        if (rep_port_create(rd, &ro, &port, err, sizeof err)) {
            cli_error("debug", "%s: %s", file, err);
            port = NULL;
            goto out;
        }
        gdbstub_set_inner(g, port);
    }
    struct rep_result res;
    rep_port_finish(port, proc, rc, err, &ex, &res);
    port = NULL;
    if (gdbstub_killed(g)) {
        status = CLI_OK;
    } else if (res.diverged || res.truncated || rc) {
        const char *msg = res.message[0] ? res.message : err;
        gdbstub_finish(g, NULL, msg);
        fprintf(stderr, "reprise: debug: %s: %s\n", file, msg);
        status = res.diverged ? 3 : CLI_FAIL;
    } else {
        gdbstub_finish(g, &ex, NULL);
        fflush(stdout);
        status = cli_report_exit(program, &ex);
    }
out:
    ckpt_report_result(status);
    if (port) port->ops->destroy(port);
    gdbstub_destroy(g);
    lx_destroy(proc);
    cli_guest_free(&guest);
    rpr_reader_close(rd);
    return status;
}
