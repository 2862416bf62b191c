/*
 * cmd_expand.c - `reprise expand`: replays a recording quietly with tracer
 * plugins attached and writes the trace database; `reprise plugins`: lists
 * the plugins and their arguments.
 */
#include "cli.h"
#include "linux.h"
#include "log.h"
#include "replayer.h"
#include "tracer.h"

#include <errno.h>
#include <getopt.h>
#include <unistd.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SPECS 16

/* Where plugins given by name are looked for: $REPRISE_PLUGIN_DIR, else the
 * build tree's plugins/ when it exists (running from the build), else the
 * installed plugin directory. */
static const char *plugin_dir(void)
{
    const char *env = getenv("REPRISE_PLUGIN_DIR");
    if (env && *env) return env;
    struct stat st;
    if (stat(REPRISE_PLUGIN_BUILD_DIR, &st) == 0 && S_ISDIR(st.st_mode))
        return REPRISE_PLUGIN_BUILD_DIR;
    return REPRISE_PLUGIN_INSTALL_DIR;
}

static void expand_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise expand FILE -o TRACE.db [-p PLUGIN[:KEY=VALUE,...]]... [OPTION]...\n"
            "\n"
            "Replays the recording FILE (quietly, with no host side effects) with\n"
            "tracer plugins attached, and writes what they observe into the SQLite\n"
            "database TRACE.db (replaced if it exists). Without -p, the insn plugin.\n"
            "\n"
            "  -o, --output DB       trace database to write (required)\n"
            "  -p, --plugin SPEC     plugin NAME (see 'reprise plugins') or path to a\n"
            "                        plugin .so, with its arguments: NAME:KEY=VALUE,...\n"
            "  --stream PID          expand this process of a process tree\n"
            "  --engine E            interp, jit or auto (default: $REPRISE_ENGINE, else\n"
            "                        auto); the trace is the same with every engine\n"
            "  -q, --quiet           no progress display\n"
            "  -h, --help            show this help\n"
            "\n"
            "Window and filters (they apply to every plugin):\n"
            "  --from ICOUNT         first process instruction count traced (default 0)\n"
            "  --to ICOUNT           stop before this instruction count (default: end)\n"
            "  --thread TID          only this guest thread\n"
            "  --function SYMBOL     only while a thread runs SYMBOL (callees included)\n"
            "  --pc LO-HI            instructions, blocks and accesses only at pc in [LO,HI)\n"
            "  --mem LO-HI           memory accesses only if they touch [LO,HI)\n"
            "  --sample N            only every N-th block execution (with its\n"
            "                        instructions and accesses)\n"
            "  --limit ROWS          stop once the plugins have written ROWS rows\n"
            "Addresses and counts are decimal or 0x-hex; HI may be +LEN.\n"
            "\n"
            "Exit status: 0 on success; 1 if the recording, a plugin or the database\n"
            "failed; 3 if the replay diverged; 2 for a bad command line.\n");
}

static int parse_count(const char *what, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 0);
    if (!*s || *end || errno || *s == '-') {
        cli_error("expand", "%s wants a non-negative number, not '%s'", what, s);
        return -1;
    }
    return 0;
}

/* LO-HI or LO-+LEN, an address range with LO < HI. */
static int parse_range(const char *what, const char *s, uint64_t *lo, uint64_t *hi)
{
    char *end;
    errno = 0;
    *lo = strtoull(s, &end, 0);
    if (end == s || *end != '-' || *s == '-' || errno) goto bad;
    const char *h = end + 1;
    bool plus = *h == '+';
    if (plus) h++;
    if (!*h || *h == '-') goto bad;
    uint64_t v = strtoull(h, &end, 0);
    if (*end || errno) goto bad;
    *hi = plus ? *lo + v : v;
    if (*hi <= *lo) {
        cli_error("expand", "%s %s: an empty range (HI must be above LO)", what, s);
        return -1;
    }
    return 0;
bad:
    cli_error("expand", "%s wants LO-HI or LO-+LEN (decimal or 0x-hex), not '%s'", what, s);
    return -1;
}

/* The progress display: one line on stderr, redrawn at most 4 times a
 * second, when stderr is a terminal. */
struct progress {
    bool on;
    uint64_t total;      /* instructions expected (0: unknown) */
    double t0, last;
    bool drawn;
};

static void human(char *buf, size_t n, double v)
{
    if (v >= 1e9) snprintf(buf, n, "%.2fG", v / 1e9);
    else if (v >= 1e6) snprintf(buf, n, "%.2fM", v / 1e6);
    else if (v >= 1e3) snprintf(buf, n, "%.1fk", v / 1e3);
    else snprintf(buf, n, "%.0f", v);
}

static void progress_draw(void *ctx, uint64_t icount, uint64_t rows)
{
    struct progress *pg = ctx;
    if (!pg->on) return;
    double now = cli_now();
    if (now - pg->last < 0.25) return;
    pg->last = now;
    double secs = now - pg->t0, rate = secs > 0 ? (double)icount / secs : 0;
    char ic[16], tot[16], rw[16], rt[16], eta[32] = "";
    human(ic, sizeof ic, (double)icount);
    human(rw, sizeof rw, (double)rows);
    human(rt, sizeof rt, rate);
    if (pg->total && icount <= pg->total) {
        human(tot, sizeof tot, (double)pg->total);
        if (rate > 0)
            snprintf(eta, sizeof eta, ", ETA %.0f s", (double)(pg->total - icount) / rate);
        fprintf(stderr, "\rreprise: expand: %s/%s instructions (%.0f%%), %s rows, %s insn/s%s\033[K",
                ic, tot, 100.0 * (double)icount / (double)pg->total, rw, rt, eta);
    } else {
        fprintf(stderr, "\rreprise: expand: %s instructions, %s rows, %s insn/s\033[K", ic, rw,
                rt);
    }
    pg->drawn = true;
}

static void stop_replay(void *ctx, const char *why) { rep_port_stop(ctx, why); }

int cmd_expand(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "plugin", required_argument, NULL, 'p' },
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "stream", required_argument, NULL, 's' },
        { "thread", required_argument, NULL, 'T' },
        { "function", required_argument, NULL, 'F' },
        { "pc", required_argument, NULL, 'P' },
        { "mem", required_argument, NULL, 'M' },
        { "sample", required_argument, NULL, 'S' },
        { "limit", required_argument, NULL, 'L' },
        { "quiet", no_argument, NULL, 'q' },
        { "engine", required_argument, NULL, 'e' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *output = NULL, *engine = NULL;
    const char *specs[MAX_SPECS];
    size_t n_specs = 0;
    struct tracer_params tp = { 0 };
    struct rep_options ro = { .quiet = true };
    bool quiet = false;
    uint64_t v;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:p:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'p':
            if (n_specs == MAX_SPECS) {
                cli_error("expand", "at most %d plugins", MAX_SPECS);
                return CLI_USAGE;
            }
            specs[n_specs++] = optarg;
            break;
        case 'f':
            if (parse_count("--from", optarg, &tp.from)) return CLI_USAGE;
            break;
        case 't':
            if (parse_count("--to", optarg, &tp.to) || !tp.to) {
                if (!tp.to) cli_error("expand", "--to wants a positive instruction count");
                return CLI_USAGE;
            }
            break;
        case 's':
            ro.stream = (uint32_t)strtoul(optarg, &end, 10);
            if (*end || !ro.stream) {
                cli_error("expand", "--stream wants a process id, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case 'T':
            if (parse_count("--thread", optarg, &v)) return CLI_USAGE;
            if (!v || v > UINT32_MAX) {
                cli_error("expand", "--thread wants a guest thread id, not '%s'", optarg);
                return CLI_USAGE;
            }
            tp.thread = (uint32_t)v;
            break;
        case 'F':
            if (!*optarg) {
                cli_error("expand", "--function wants a function name");
                return CLI_USAGE;
            }
            tp.function = optarg;
            break;
        case 'P':
            if (parse_range("--pc", optarg, &tp.pc_lo, &tp.pc_hi)) return CLI_USAGE;
            tp.has_pc = true;
            break;
        case 'M':
            if (parse_range("--mem", optarg, &tp.mem_lo, &tp.mem_hi)) return CLI_USAGE;
            tp.has_mem = true;
            break;
        case 'S':
            if (parse_count("--sample", optarg, &tp.sample) || !tp.sample) {
                if (!tp.sample) cli_error("expand", "--sample wants a positive number");
                return CLI_USAGE;
            }
            break;
        case 'L':
            if (parse_count("--limit", optarg, &tp.limit) || !tp.limit) {
                if (!tp.limit) cli_error("expand", "--limit wants a positive number of rows");
                return CLI_USAGE;
            }
            break;
        case 'q': quiet = true; break;
        case 'e': engine = optarg; break;
        case 'h': expand_usage(stdout); return CLI_OK;
        default: expand_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1 || !output) {
        if (!output && optind == argc - 1) cli_error("expand", "-o TRACE.db is required");
        expand_usage(stderr);
        return CLI_USAGE;
    }
    if (cli_engine_setup("expand", engine, false)) return CLI_USAGE;
    if (tp.to && tp.to <= tp.from) {
        cli_error("expand", "--to (%" PRIu64 ") must be greater than --from (%" PRIu64 ")",
                  tp.to, tp.from);
        return CLI_USAGE;
    }
    struct stat si, so;
    if (stat(argv[optind], &si) == 0 && stat(output, &so) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino) {
        cli_error("expand", "-o %s would overwrite the recording", output);
        return CLI_USAGE;
    }
    if (n_specs == 0) specs[n_specs++] = "insn";
    ro.until = tp.to;
    const char *file = argv[optind];
    char err[1024] = "";
    int status = CLI_FAIL;
    struct rpr_reader *rd = NULL;
    struct tracer *tr = NULL;
    struct lx_port *port;
    struct lx_proc *proc = NULL;
    struct cli_guest guest = { 0 };

    if (rpr_reader_open(file, &rd, err, sizeof err)) {
        cli_error("expand", "%s", err);
        return CLI_FAIL;
    }
    const json_t *meta = rpr_reader_meta(rd);
    if (cli_guest_load("expand", file, meta, &guest)) goto out;
    const char *program = guest.program;
    tp.sysroot = guest.sysroot ? guest.sysroot : "/usr/riscv64-linux-gnu";
    if (tracer_create(output, &tp, &tr, err, sizeof err)) {
        cli_error("expand", "%s", err);
        goto out;
    }
    const char *dir = plugin_dir();
    for (size_t i = 0; i < n_specs; i++)
        if (tracer_add_plugin(tr, specs[i], dir, err, sizeof err)) {
            cli_error("expand", "%s", err);
            goto out;
        }
    /* The recording's identity and the expansion parameters. */
    tracer_meta(tr, "recording", file);
    char *mj = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    tracer_meta(tr, "recording_meta", mj);
    free(mj);
    tracer_meta(tr, "program", program);
    char buf[64];
    snprintf(buf, sizeof buf, "%" PRIu32, ro.stream);
    tracer_meta(tr, "stream", buf);
    if (tp.thread) {
        snprintf(buf, sizeof buf, "%" PRIu32, tp.thread);
        tracer_meta(tr, "thread", buf);
    }
    if (tp.function) tracer_meta(tr, "function", tp.function);
    if (tp.has_pc) {
        snprintf(buf, sizeof buf, "%" PRIu64 "-%" PRIu64, tp.pc_lo, tp.pc_hi);
        tracer_meta(tr, "pc", buf);
    }
    if (tp.has_mem) {
        snprintf(buf, sizeof buf, "%" PRIu64 "-%" PRIu64, tp.mem_lo, tp.mem_hi);
        tracer_meta(tr, "mem", buf);
    }
    if (tp.sample > 1) {
        snprintf(buf, sizeof buf, "%" PRIu64, tp.sample);
        tracer_meta(tr, "sample", buf);
    }
    if (tp.limit) {
        snprintf(buf, sizeof buf, "%" PRIu64, tp.limit);
        tracer_meta(tr, "limit", buf);
    }
    if (tracer_start(tr, err, sizeof err)) {
        cli_error("expand", "%s", err);
        goto out;
    }
    if (rep_port_create(rd, &ro, &port, err, sizeof err)) {
        cli_error("expand", "%s: %s", file, err);
        goto out;
    }
    struct lx_config cfg;
    cli_guest_config(&guest, port, &cfg);
    cfg.instrument = tracer_instrument(tr);
    cfg.observer = tracer_observer(tr);
    tracer_on_stop(tr, stop_replay, port);
    struct progress pg = { .on = !quiet && isatty(2), .t0 = cli_now() };
    int sidx = rpr_reader_find_stream(rd, ro.stream);
    struct rpr_stream_info sinfo;
    if (ro.stream == 0 && rpr_reader_stream_count(rd) > 0) sidx = 0;
    if (sidx >= 0 && rpr_reader_stream(rd, (size_t)sidx, &sinfo) == 0) pg.total = sinfo.last_icount;
    if (tp.to && (!pg.total || tp.to < pg.total)) pg.total = tp.to;
    tracer_on_progress(tr, progress_draw, &pg);
    double t0 = cli_now();
    struct lx_exit ex = { 0 };
    int rc = lx_create(&cfg, &proc, err, sizeof err);
    if (rc == 0) rc = lx_run(proc, &ex, err, sizeof err);
    uint64_t icount = proc ? lx_icount(proc) : 0;
    char terr[1024] = "";
    if (pg.on) {
        /* The last rows and the indexes: about half of a memory trace's
         * time (docs/performance.md), long enough to say so. */
        char ic[16], rw[16];
        human(ic, sizeof ic, (double)icount);
        human(rw, sizeof rw, (double)tracer_rows(tr));
        fprintf(stderr, "\rreprise: expand: %s instructions, %s rows; writing the last rows, "
                        "building indexes\033[K", ic, rw);
        pg.drawn = true;
    }
    int trc = tracer_finish(tr, proc, terr, sizeof terr);
    struct rep_result res;
    rep_port_finish(port, proc, rc, err, &ex, &res);
    double secs = cli_now() - t0;
    if (pg.drawn) fprintf(stderr, "\r\033[K");
    if (res.diverged) {
        cli_error("expand", "%s: %s", file, res.message);
        status = 3;
    } else if (res.truncated) {
        cli_error("expand", "%s: %s (the trace holds what preceded it)", file, res.message);
        status = CLI_FAIL;
    } else if (rc && !res.stopped) {
        cli_error("expand", "%s: %s", file, res.message[0] ? res.message : err);
        status = CLI_FAIL;
    } else {
        status = CLI_OK;
    }
    if (trc) {
        cli_error("expand", "%s: %s", output, terr);
        status = CLI_FAIL;
    }
    fprintf(stderr,
            "reprise: expanded %s into %s: %" PRIu64 " instructions replayed, %" PRIu64
            " rows, %.3f s (indexes %.3f s)\n",
            file, output, icount, tracer_rows(tr), secs, tracer_index_seconds(tr));
out:
    lx_destroy(proc);
    tracer_destroy(tr);
    cli_guest_free(&guest);
    rpr_reader_close(rd);
    return status;
}

int cmd_plugins(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
        fprintf(argc > 2 ? stderr : stdout,
                "usage: reprise plugins [NAME]\n"
                "\n"
                "Lists the tracer plugins of %s (set REPRISE_PLUGIN_DIR to\n"
                "look elsewhere), or describes plugin NAME (a name or a path) with its\n"
                "arguments, their types, defaults and help.\n",
                plugin_dir());
        return argc > 2 ? CLI_USAGE : CLI_OK;
    }
    char err[1024];
    if (tracer_list_plugins(plugin_dir(), argc == 2 ? argv[1] : NULL, stdout, err, sizeof err)) {
        cli_error("plugins", "%s", err);
        return CLI_FAIL;
    }
    return CLI_OK;
}
