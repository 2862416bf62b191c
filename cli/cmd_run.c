/*
 * cmd_run.c - `reprise run`: runs a riscv64 Linux program in reprise's
 * virtual machine, with the live event port (no recording).
 */
#include "cli.h"
#include "linux.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise run [OPTION]... [--] PROGRAM [ARGS]...\n"
            "\n"
            "Runs a riscv64 Linux PROGRAM inside reprise's virtual machine. The program\n"
            "uses the terminal, the current directory and the environment; its system\n"
            "calls are served by reprise.\n"
            "\n"
            "  --sysroot DIR   resolve the dynamic linker and absolute library paths in DIR\n"
            "                  (default: /usr/riscv64-linux-gnu)\n"
            "  --stats         print instructions, blocks, cache flushes, time and MIPS\n"
            "                  (and what the JIT compiled) to stderr at exit\n"
            "  --engine E      interp, jit or auto (default: $REPRISE_ENGINE, else auto):\n"
            "                  interpret only, compile every block, or compile hot blocks;\n"
            "                  jit-uncounted: as jit without counting instructions (to\n"
            "                  measure what exact counting costs; counts are then wrong)\n"
            "  --jit-dump FILE at exit, write every compiled block to FILE ('-': stderr):\n"
            "                  guest instructions beside the x86-64 code they became\n"
            "  -h, --help      show this help\n"
            "\n"
            "Exit status: the program's; 128+N if it was killed by signal N; 1 if reprise\n"
            "could not run it; 2 for a bad command line.\n");
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "sysroot", required_argument, NULL, 's' },
        { "stats", no_argument, NULL, 'S' },
        { "engine", required_argument, NULL, 'e' },
        { "jit-dump", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *sysroot = NULL, *engine = NULL, *dump = NULL;
    int stats = 0, c;
    optind = 1;
    /* '+': stop at the first non-option, which is the program. */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 's': sysroot = optarg; break;
        case 'S': stats = 1; break;
        case 'e': engine = optarg; break;
        case 'j': dump = optarg; break;
        case 'h': run_usage(stdout); return CLI_OK;
        default: run_usage(stderr); return CLI_USAGE;
        }
    }
    if (cli_engine_setup("run", engine, stats)) return CLI_USAGE;
    if (optind >= argc) {
        cli_error("run", "no program given (see 'reprise run --help')");
        return CLI_USAGE;
    }
    char path[PATH_MAX];
    if (cli_find_program(argv[optind], path, sizeof path)) {
        cli_error("run", "%s: program not found in PATH", argv[optind]);
        return CLI_FAIL;
    }
    struct lx_port *port = lx_port_live_create();
    if (!port) {
        cli_error("run", "out of memory");
        return CLI_FAIL;
    }
    struct lx_config cfg = {
        .path = path, .argc = argc - optind, .argv = argv + optind, .envp = environ,
        .sysroot = sysroot, .port = port,
    };
    char err[512] = "";
    struct lx_proc *proc;
    double t0 = cli_now();
    if (lx_create(&cfg, &proc, err, sizeof err)) {
        cli_error("run", "%s", err);
        port->ops->destroy(port);
        return CLI_FAIL;
    }
    struct lx_exit ex;
    int rc;
    if (lx_run(proc, &ex, err, sizeof err)) {
        cli_error("run", "%s", err);
        rc = CLI_FAIL;
    } else {
        rc = cli_report_exit(argv[optind], &ex);
    }
    if (stats) {
        double secs = cli_now() - t0;
        struct vm_stats st;
        vm_get_stats(lx_vm(proc), &st);
        uint64_t n = lx_icount(proc);
        fprintf(stderr,
                "reprise: %" PRIu64 " instructions, %" PRIu64 " blocks translated, %" PRIu64
                " invalidated, %" PRIu64 " cache flushes, %.3f s, %.1f MIPS\n",
                n, st.tb_translated, st.tb_invalidated, st.tb_flushes, secs,
                secs > 0 ? (double)n / secs / 1e6 : 0.0);
        cli_print_jit_stats(&st);
    }
    if (dump) {
        FILE *f = strcmp(dump, "-") ? fopen(dump, "w") : stderr;
        if (!f) {
            cli_error("run", "--jit-dump: cannot write %s: %s", dump, strerror(errno));
            if (rc == CLI_OK) rc = CLI_FAIL;
        } else {
            if (cli_jit_dump(lx_vm(proc), f)) cli_error("run", "--jit-dump: out of memory");
            if (f != stderr && fclose(f)) cli_error("run", "--jit-dump: error writing %s", dump);
        }
    }
    lx_destroy(proc);
    port->ops->destroy(port);
    return rc;
}
