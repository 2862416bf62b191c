/*
 * cli.h - shared helpers of the `reprise` subcommands.
 */
#ifndef REPRISE_CLI_H
#define REPRISE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes every subcommand uses, so scripts can rely on them. The guest's
 * own exit status is passed through by commands that run a guest. */
enum {
    CLI_OK = 0,
    CLI_FAIL = 1,   /* the operation failed (bad input file, I/O error) */
    CLI_USAGE = 2,  /* bad command line */
};

/* Prints "reprise: <cmd>: <message>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Finds PROGRAM like a shell: as given if it contains a '/' (it must be a
 * regular file), else in $PATH. Returns 0 with the path in out, or -1. */
int cli_find_program(const char *name, char *out, size_t n);

struct lx_exit;
/* The exit status for a guest's end: its status, or 128+N with a shell-like
 * message on stderr if it was killed by signal N. */
int cli_report_exit(const char *program, const struct lx_exit *ex);

struct rpr_reader;
/* `reprise info` of an open recording, as text or one JSON object, to out.
 * CLI_OK, or CLI_FAIL if damage stopped the counting of events (reported
 * in the output). */
int cli_info_print(struct rpr_reader *r, FILE *out, bool json);

/* What `reprise dump` prints. */
struct cli_dump_opts {
    bool json;            /* JSON lines instead of text */
    bool one_stream;      /* only `stream` (else every stream in pid order) */
    uint32_t stream;
    uint64_t from, to;    /* inclusive icount range */
    uint64_t kinds[4];    /* bit k: kind k; all zero: every kind */
};
/* `reprise dump` of an open recording to out; errors (damage) go to err
 * (may be NULL) after the events before them. CLI_OK or CLI_FAIL. */
int cli_dump_print(struct rpr_reader *r, FILE *out, FILE *err, const struct cli_dump_opts *o);

/* Name of a riscv64 (asm-generic) syscall number, or NULL. */
const char *cli_syscall_name(uint64_t nr);

/* The guest a recording was made of, from its metadata: what replay,
 * debug and expand need to start the same process again. */
struct cli_guest {
    const char *program;   /* borrowed from the metadata */
    const char *sysroot;   /* borrowed; NULL: the default */
    int argc;
    char **argv, **envp;   /* owned: cli_guest_free */
    uint64_t chaos_seed;   /* 0: no chaos */
};
struct lx_port;
struct lx_config;
typedef struct json_t json_t;
/* Fills g from a recording's metadata. -1 (with a message naming cmd and
 * file) if it lacks the program or its arguments. */
int cli_guest_load(const char *cmd, const char *file, const json_t *meta, struct cli_guest *g);
void cli_guest_free(struct cli_guest *g);
/* An lx_config that starts g with the given port (other fields zero). */
void cli_guest_config(const struct cli_guest *g, struct lx_port *port, struct lx_config *cfg);

/* Seconds on the monotonic clock, for the timing in summary lines. */
double cli_now(void);

/* Chooses the VM's execution engine for this process (vm_set_engine_defaults):
 * `arg` is the --engine value or NULL, in which case REPRISE_ENGINE is read;
 * unset means auto. With `stats`, compile time is measured. Returns CLI_OK,
 * or CLI_USAGE after printing an error naming the bad value. */
int cli_engine_setup(const char *cmd, const char *arg, bool stats);
/* Prints the JIT counters of `st` (one line to stderr) if the JIT ran. */
struct vm_stats;
void cli_print_jit_stats(const struct vm_stats *st);
/* Writes every block the JIT compiled in vm to out: guest instructions each
 * followed by their x86-64 code (jitdump.c). -1 on out-of-memory. */
struct vm;
int cli_jit_dump(struct vm *vm, FILE *out);

int cmd_debug(int argc, char **argv);
int cmd_disas(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_expand(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
