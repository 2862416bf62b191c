/*
 * cmd_replay.c - `reprise replay`: re-executes a recording exactly, with
 * no host side effects.
 */
#include "cli.h"
#include "linux.h"
#include "log.h"
#include "replayer.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void replay_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise replay [OPTION]... FILE\n"
            "\n"
            "Re-executes the recording FILE instruction for instruction, injecting\n"
            "every recorded input at the instruction where it was consumed. Nothing\n"
            "on the host is read, written or started; the guest's stdout and stderr\n"
            "are re-emitted.\n"
            "\n"
            "  -q, --quiet          do not re-emit the guest's output\n"
            "  --stream PID         replay this process of a process tree (default:\n"
            "                       the first one)\n"
            "  --until ICOUNT       stop after the process retired ICOUNT instructions\n"
            "  --verify             check every state digest, not only the final one\n"
            "  --engine E           interp, jit or auto (default: $REPRISE_ENGINE, else\n"
            "                       auto); the engine never changes what is replayed\n"
            "  -h, --help           show this help\n"
            "\n"
            "Exit status: the recorded program's (128+N if it was killed by signal N);\n"
            "3 if the replay diverged from the recording; 1 if the recording cannot\n"
            "be read or was cut short; 2 for a bad command line.\n");
}

int cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "stream", required_argument, NULL, 's' },
        { "until", required_argument, NULL, 'u' },
        { "verify", no_argument, NULL, 'v' },
        { "engine", required_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct rep_options ro = { 0 };
    const char *engine = NULL;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'q': ro.quiet = true; break;
        case 's':
            ro.stream = (uint32_t)strtoul(optarg, &end, 10);
            if (*end || !ro.stream) {
                cli_error("replay", "--stream wants a process id, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case 'u':
            ro.until = strtoull(optarg, &end, 0);
            if (*end || !ro.until) {
                cli_error("replay", "--until wants an instruction count, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case 'v': ro.verify = true; break;
        case 'e': engine = optarg; break;
        case 'h': replay_usage(stdout); return CLI_OK;
        default: replay_usage(stderr); return CLI_USAGE;
        }
    }
    if (cli_engine_setup("replay", engine, false)) return CLI_USAGE;
    if (optind != argc - 1) {
        replay_usage(stderr);
        return CLI_USAGE;
    }
    const char *file = argv[optind];
    char err[1024] = "";
    struct rpr_reader *rd;
    if (rpr_reader_open(file, &rd, err, sizeof err)) {
        cli_error("replay", "%s", err);
        return CLI_FAIL;
    }
    struct rpr_file_info fi;
    rpr_reader_info(rd, &fi);
    if (!fi.clean)
        fprintf(stderr, "reprise: replay: %s was not closed cleanly (recovered); replaying what "
                        "it holds\n", file);
    const json_t *meta = rpr_reader_meta(rd);
    struct cli_guest guest;
    if (cli_guest_load("replay", file, meta, &guest)) {
        rpr_reader_close(rd);
        return CLI_FAIL;
    }
    const char *program = guest.program;
    struct lx_port *port;
    if (rep_port_create(rd, &ro, &port, err, sizeof err)) {
        cli_error("replay", "%s: %s", file, err);
        cli_guest_free(&guest);
        rpr_reader_close(rd);
        return CLI_FAIL;
    }
    struct lx_config cfg;
    cli_guest_config(&guest, port, &cfg);
    double t0 = cli_now();
    struct lx_proc *proc = NULL;
    struct lx_exit ex = { 0 };
    int rc = lx_create(&cfg, &proc, err, sizeof err);
    if (rc == 0) rc = lx_run(proc, &ex, err, sizeof err);
    struct rep_result res;
    uint64_t icount = proc ? lx_icount(proc) : 0;
    rep_port_finish(port, proc, rc, err, &ex, &res);
    double secs = cli_now() - t0;
    int status;
    fflush(stdout);
    if (res.diverged) {
        fprintf(stderr, "reprise: replay: %s: %s\n", file, res.message);
        status = 3;
    } else if (res.truncated) {
        fprintf(stderr, "reprise: replay: %s: %s\n", file, res.message);
        status = CLI_FAIL;
    } else if (res.stopped) {
        fprintf(stderr, "reprise: replay: %s\n", res.message);
        status = CLI_OK;
    } else if (rc) {
        fprintf(stderr, "reprise: replay: %s: %s\n", file, res.message[0] ? res.message : err);
        status = CLI_FAIL;
    } else {
        status = cli_report_exit(program, &ex);
    }
    fprintf(stderr,
            "reprise: replayed %s: %" PRIu64 " instructions, %" PRIu64 " events, %" PRIu64
            " digests checked, %.3f s, %.1f MIPS%s\n",
            file, icount, res.events, res.digests_checked, secs,
            secs > 0 ? (double)icount / secs / 1e6 : 0.0,
            res.diverged ? " (DIVERGED)" : "");
    lx_destroy(proc);
    cli_guest_free(&guest);
    rpr_reader_close(rd);
    return status;
}
