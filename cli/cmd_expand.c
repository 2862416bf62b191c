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

#include <getopt.h>
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
            "  --from ICOUNT         first process instruction count traced (default 0)\n"
            "  --to ICOUNT           stop before this instruction count (default: end)\n"
            "  --stream PID          expand this process of a process tree\n"
            "  -h, --help            show this help\n"
            "\n"
            "Exit status: 0 on success; 1 if the recording, a plugin or the database\n"
            "failed; 3 if the replay diverged; 2 for a bad command line.\n");
}

static int parse_count(const char *what, const char *s, uint64_t *out)
{
    char *end;
    *out = strtoull(s, &end, 0);
    if (!*s || *end) {
        cli_error("expand", "%s wants an instruction count, not '%s'", what, s);
        return -1;
    }
    return 0;
}

int cmd_expand(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "plugin", required_argument, NULL, 'p' },
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "stream", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *output = NULL;
    const char *specs[MAX_SPECS];
    size_t n_specs = 0;
    struct tracer_params tp = { 0 };
    struct rep_options ro = { .quiet = true };
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:p:h", opts, NULL)) != -1) {
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
        case 'h': expand_usage(stdout); return CLI_OK;
        default: expand_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1 || !output) {
        if (!output && optind == argc - 1) cli_error("expand", "-o TRACE.db is required");
        expand_usage(stderr);
        return CLI_USAGE;
    }
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
    double t0 = cli_now();
    struct lx_exit ex = { 0 };
    int rc = lx_create(&cfg, &proc, err, sizeof err);
    if (rc == 0) rc = lx_run(proc, &ex, err, sizeof err);
    uint64_t icount = proc ? lx_icount(proc) : 0;
    char terr[1024] = "";
    int trc = tracer_finish(tr, proc, terr, sizeof terr);
    struct rep_result res;
    rep_port_finish(port, proc, rc, err, &ex, &res);
    double secs = cli_now() - t0;
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
            " rows, %.3f s\n",
            file, output, icount, tracer_rows(tr), secs);
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
