/*
 * cli.h - shared helpers of the `reprise` subcommands.
 */
#ifndef REPRISE_CLI_H
#define REPRISE_CLI_H

#include <stddef.h>

/* Exit codes every subcommand uses, so scripts can rely on them. The guest's
 * own exit status is passed through by commands that run a guest. */
enum {
    CLI_OK = 0,
    CLI_FAIL = 1,   /* the operation failed (bad input file, I/O error) */
    CLI_USAGE = 2,  /* bad command line */
};

/* Prints "reprise: <cmd>: <message>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Finds PROGRAM like a shell: as given if it contains a '/', else in $PATH.
 * Returns 0 with the path in out, or -1. */
int cli_find_program(const char *name, char *out, size_t n);

struct lx_exit;
/* The exit status for a guest's end: its status, or 128+N with a shell-like
 * message on stderr if it was killed by signal N. */
int cli_report_exit(const char *program, const struct lx_exit *ex);

int cmd_disas(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
