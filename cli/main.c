/*
 * main.c - the `reprise` command: dispatches to subcommands.
 */
#include "cli.h"
#include "reprise_version.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand commands[] = {
    { "run", cmd_run, "run a riscv64 Linux program in reprise's virtual machine" },
    { "record", cmd_record, "run a program and record its nondeterministic inputs" },
    { "replay", cmd_replay, "re-execute a recording exactly" },
    { "expand", cmd_expand, "replay a recording with tracer plugins into an SQLite trace" },
    { "query", cmd_query, "run SQL on a trace database: table, CSV or JSON output" },
    { "plugins", cmd_plugins, "list the tracer plugins and their arguments" },
    { "debug", cmd_debug, "serve a replay to gdb: breakpoints, watchpoints, stepping, reverse execution" },
    { "disas", cmd_disas, "disassemble the code of a riscv64 ELF file (objdump -d format)" },
    { "info", cmd_info, "describe a recording: metadata, streams, sizes, damage" },
    { "dump", cmd_dump, "print the events of a recording in order" },
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: reprise <command> [options] [args]\n"
            "\n"
            "reprise is a deterministic record/replay and trace-analysis platform for\n"
            "RISC-V (RV64GC) Linux programs.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Run 'reprise <command> --help' for the options of a command.\n"
            "Options: --help, --version.\n"
            "Exit status: 0 success, 1 failure, 2 bad command line.\n");
}

int main(int argc, char **argv)
{
    /* Jansson would read /dev/urandom to seed its hash tables; a fixed seed
     * keeps a replay from opening any file but its recording. */
    json_object_seed(0x7265707269736531u);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("reprise %s\n", REPRISE_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "reprise: unknown command '%s'\n", cmd);
    usage(stderr);
    return CLI_USAGE;
}
