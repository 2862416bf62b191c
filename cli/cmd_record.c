/*
 * cmd_record.c - `reprise record`: runs a program like `reprise run` and
 * writes a recording of every nondeterministic input it consumed.
 */
#include "cli.h"
#include "linux.h"
#include "recorder.h"
#include "reprise_version.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void record_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise record [OPTION]... [--] PROGRAM [ARGS]...\n"
            "\n"
            "Runs a riscv64 Linux PROGRAM like 'reprise run' and records every\n"
            "nondeterministic input it consumes, so that 'reprise replay' re-executes it\n"
            "exactly, on any x86-64 Linux host, without the program or its files.\n"
            "\n"
            "  -o, --output FILE  the recording (default: PROGRAM-N.rpr in the current\n"
            "                     directory, with the first N that names no file)\n"
            "  --sysroot DIR      where the dynamic linker and libraries resolve\n"
            "                     (default: /usr/riscv64-linux-gnu)\n"
            "  --digest-every N   log a state digest every N instructions (default:\n"
            "                     every 134217728, and at least 64 per byte of guest\n"
            "                     memory); replay --verify checks them all\n"
            "  --chaos[=SEED]     randomize time slices and the order threads run in, to\n"
            "                     shake out races (as rr's chaos mode); the recording\n"
            "                     still replays exactly. SEED picks the schedule\n"
            "                     (default: a random one, stored in the recording)\n"
            "  --engine E         interp, jit or auto (default: $REPRISE_ENGINE, else\n"
            "                     auto); the recording is the same with every engine\n"
            "  -h, --help         show this help\n"
            "\n"
            "At the end one summary line goes to stderr. Exit status: the program's;\n"
            "128+N if it was killed by signal N; 1 if recording failed; 2 for a bad\n"
            "command line.\n");
}

/* PROGRAM-N.rpr with the first N that names no file. */
static void default_name(const char *program, char *out, size_t n)
{
    const char *base = strrchr(program, '/');
    base = base ? base + 1 : program;
    for (unsigned i = 0;; i++) {
        snprintf(out, n, "%s-%u.rpr", base, i);
        if (access(out, F_OK) != 0) return;
    }
}

static json_t *metadata(const char *path, int argc, char **argv, const char *sysroot)
{
    json_t *m = json_object();
    json_t *av = json_array(), *ev = json_array();
    for (int i = 0; i < argc; i++) json_array_append_new(av, json_string(argv[i]));
    for (char **e = environ; *e; e++) json_array_append_new(ev, json_string(*e));
    char cwd[PATH_MAX];
    json_object_set_new(m, "isa", json_string("rv64gc_zba_zbb_zbs"));
    json_object_set_new(m, "program", json_string(path));
    json_object_set_new(m, "argv", av);
    json_object_set_new(m, "envp", ev);
    json_object_set_new(m, "cwd", json_string(getcwd(cwd, sizeof cwd) ? cwd : ""));
    json_object_set_new(m, "sysroot", json_string(sysroot ? sysroot : "/usr/riscv64-linux-gnu"));
    return m;
}

int cmd_record(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "sysroot", required_argument, NULL, 's' },
        { "chaos", optional_argument, NULL, 'c' },
        { "digest-every", required_argument, NULL, 'd' },
        { "engine", required_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *out_path = NULL, *sysroot = NULL, *engine = NULL;
    bool chaos = false;
    uint64_t chaos_seed = 0;
    struct rec_options ro = { 0 };
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 's': sysroot = optarg; break;
        case 'c':
            chaos = true;
            if (optarg) {
                chaos_seed = strtoull(optarg, &end, 0);
                if (!*optarg || *end || !chaos_seed) {
                    cli_error("record", "--chaos=SEED wants a nonzero number, not '%s'", optarg);
                    return CLI_USAGE;
                }
            }
            break;
        case 'e': engine = optarg; break;
        case 'd':
            ro.digest_interval = strtoull(optarg, &end, 0);
            if (*end || !ro.digest_interval) {
                cli_error("record", "--digest-every wants a positive instruction count, not '%s'",
                          optarg);
                return CLI_USAGE;
            }
            break;
        case 'h': record_usage(stdout); return CLI_OK;
        default: record_usage(stderr); return CLI_USAGE;
        }
    }
    if (cli_engine_setup("record", engine, false)) return CLI_USAGE;
    if (optind >= argc) {
        cli_error("record", "no program given (see 'reprise record --help')");
        return CLI_USAGE;
    }
    char path[PATH_MAX];
    if (cli_find_program(argv[optind], path, sizeof path)) {
        cli_error("record", "%s: program not found in PATH", argv[optind]);
        return CLI_FAIL;
    }
    char name[PATH_MAX];
    if (!out_path) {
        default_name(argv[optind], name, sizeof name);
        out_path = name;
    }
    struct lx_port *live = lx_port_live_create(), *port = NULL;
    if (!live) {
        cli_error("record", "out of memory");
        return CLI_FAIL;
    }
    char err[1024] = "";
    json_t *meta = metadata(path, argc - optind, argv + optind, sysroot);
    if (chaos) {
        /* The seed is the only input of the chaos schedule: it goes into the
         * recording so the replay makes the same choices. */
        while (!chaos_seed)
            if (getentropy(&chaos_seed, sizeof chaos_seed)) chaos_seed = (uint64_t)time(NULL) | 1;
        char hex[24];
        snprintf(hex, sizeof hex, "%016" PRIx64, chaos_seed);
        json_object_set_new(meta, "chaos_seed", json_string(hex));
    }
    int rc = rec_port_create(live, out_path, meta, &ro, &port, err, sizeof err);
    json_decref(meta);
    if (rc) {
        cli_error("record", "%s", err);
        live->ops->destroy(live);
        return CLI_FAIL;
    }
    struct lx_config cfg = {
        .path = path, .argc = argc - optind, .argv = argv + optind, .envp = environ,
        .sysroot = sysroot, .port = port, .chaos_seed = chaos_seed,
    };
    struct lx_proc *proc;
    double t0 = cli_now();
    pid_t recorder_pid = getpid();
    if (lx_create(&cfg, &proc, err, sizeof err)) {
        cli_error("record", "%s", err);
        struct lx_exit none = { .signaled = false, .status = 127 };
        char e2[256];
        rec_port_finish(port, NULL, &none, e2, sizeof e2);
        live->ops->destroy(live);
        /* Nothing ran: a recording of it would only confuse. */
        unlink(out_path);
        return CLI_FAIL;
    }
    struct lx_exit ex = { 0 };
    int status;
    if (lx_run(proc, &ex, err, sizeof err)) {
        cli_error("record", "%s", err);
        status = CLI_FAIL;
    } else {
        status = cli_report_exit(argv[optind], &ex);
    }
    uint64_t icount = lx_icount(proc);
    struct rec_summary sum;
    rec_port_summary(port, &sum);
    char ferr[512] = "";
    if (rec_port_finish(port, proc, &ex, ferr, sizeof ferr)) {
        cli_error("record", "%s", ferr);
        status = CLI_FAIL;
    }
    double secs = cli_now() - t0;
    /* Guest children (fork) are recorded by forked copies of this process;
     * only the original prints the summary. */
    if (getpid() != recorder_pid) {
        lx_destroy(proc);
        live->ops->destroy(live);
        return status;
    }
    struct stat st;
    uint64_t size = stat(out_path, &st) == 0 ? (uint64_t)st.st_size : sum.file_bytes;
    fprintf(stderr,
            "reprise: recorded %s: %" PRIu64 " instructions, %" PRIu64
            " events, %.1f KiB (%.1fx compression), %.3f s, %.1f MIPS\n",
            out_path, icount, sum.events, (double)size / 1024.0,
            size ? (double)sum.raw_bytes / (double)size : 0.0, secs,
            secs > 0 ? (double)icount / secs / 1e6 : 0.0);
    lx_destroy(proc);
    live->ops->destroy(live);
    return status;
}
