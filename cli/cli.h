/*
 * cli.h - shared helpers of the `reprise` subcommands.
 */
#ifndef REPRISE_CLI_H
#define REPRISE_CLI_H

/* Exit codes every subcommand uses, so scripts can rely on them. The guest's
 * own exit status is passed through by commands that run a guest. */
enum {
    CLI_OK = 0,
    CLI_FAIL = 1,   /* the operation failed (bad input file, I/O error) */
    CLI_USAGE = 2,  /* bad command line */
};

/* Prints "reprise: <cmd>: <message>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cmd_disas(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
