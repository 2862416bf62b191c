/*
 * common.c - helpers shared by the subcommands.
 */
#include "cli.h"
#include "linux.h"

#include <jansson.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "reprise: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Finds PROGRAM like a shell: as given if it has a '/', else in $PATH. */
int cli_find_program(const char *name, char *out, size_t n)
{
    if (strchr(name, '/')) {
        struct stat st;
        snprintf(out, n, "%s", name);
        return stat(out, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        snprintf(out, n, "%.*s/%s", (int)len, len ? path : ".", name);
        struct stat st;
        if (!stat(out, &st) && S_ISREG(st.st_mode)) return 0;
        path += len + (end ? 1 : 0);
    }
    return -1;
}

static const char *const signal_names[] = {
    [1] = "Hangup", [2] = "Interrupt", [3] = "Quit", [4] = "Illegal instruction",
    [5] = "Trace/breakpoint trap", [6] = "Aborted", [7] = "Bus error",
    [8] = "Floating point exception", [9] = "Killed", [10] = "User defined signal 1",
    [11] = "Segmentation fault", [12] = "User defined signal 2", [13] = "Broken pipe",
    [14] = "Alarm clock", [15] = "Terminated",
};

int cli_report_exit(const char *program, const struct lx_exit *ex)
{
    if (!ex->signaled) return ex->status;
    const char *name = ex->signal < (int)(sizeof signal_names / sizeof *signal_names) &&
                               signal_names[ex->signal]
                           ? signal_names[ex->signal]
                           : "Signal";
    fflush(stdout);
    fprintf(stderr, "reprise: %s: %s (signal %d)%s\n", program, name, ex->signal,
            ex->core ? " (core not dumped)" : "");
    return 128 + ex->signal;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A NULL-terminated copy of a JSON array of strings. */
static char **strings_of(const json_t *a, int *count)
{
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    char **v = calloc(n + 1, sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        v[i] = strdup(s ? s : "");
        if (!v[i]) {
            while (i--) free(v[i]);
            free(v);
            return NULL;
        }
    }
    if (count) *count = (int)n;
    return v;
}

static void free_strings(char **v)
{
    for (size_t i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

int cli_guest_load(const char *cmd, const char *file, const json_t *meta, struct cli_guest *g)
{
    memset(g, 0, sizeof *g);
    g->program = json_string_value(json_object_get(meta, "program"));
    g->sysroot = json_string_value(json_object_get(meta, "sysroot"));
    g->argv = strings_of(json_object_get(meta, "argv"), &g->argc);
    g->envp = strings_of(json_object_get(meta, "envp"), NULL);
    const char *seed = json_string_value(json_object_get(meta, "chaos_seed"));
    g->chaos_seed = seed ? strtoull(seed, NULL, 16) : 0;
    if (!g->program || !g->argv || !g->envp) {
        cli_error(cmd, "%s: the recording's metadata lacks the program or its arguments", file);
        cli_guest_free(g);
        return -1;
    }
    return 0;
}

void cli_guest_free(struct cli_guest *g)
{
    free_strings(g->argv);
    free_strings(g->envp);
    g->argv = g->envp = NULL;
}

void cli_guest_config(const struct cli_guest *g, struct lx_port *port, struct lx_config *cfg)
{
    *cfg = (struct lx_config){ .path = g->program, .argc = g->argc, .argv = g->argv,
                               .envp = g->envp, .sysroot = g->sysroot, .port = port,
                               .chaos_seed = g->chaos_seed };
}

static uint64_t prof_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int cli_engine_setup(const char *cmd, const char *arg, bool stats)
{
    const char *src = "--engine";
    if (!arg) {
        arg = getenv("REPRISE_ENGINE");
        src = "REPRISE_ENGINE";
    }
    struct vm_engine_config ec = { .engine = VM_ENGINE_AUTO };
    if (arg && *arg) {
        if (!strcmp(arg, "auto")) ec.engine = VM_ENGINE_AUTO;
        else if (!strcmp(arg, "interp")) ec.engine = VM_ENGINE_INTERP;
        else if (!strcmp(arg, "jit")) ec.engine = VM_ENGINE_JIT;
        else if (!strcmp(arg, "jit-uncounted") && !strcmp(cmd, "run")) {
            /* bench/run's measure of what exact counting costs (vm.h) */
            ec.engine = VM_ENGINE_JIT;
            ec.jit_uncounted = true;
        } else {
            cli_error(cmd, "%s: unknown engine '%s' (expected interp, jit or auto)", src, arg);
            return CLI_USAGE;
        }
    }
    if (stats) ec.prof_clock = prof_clock_ns;
    vm_set_engine_defaults(&ec);
    return CLI_OK;
}

void cli_print_jit_stats(const struct vm_stats *st)
{
    if (!st->jit_blocks && !st->jit_runs) return;
    fprintf(stderr,
            "reprise: jit: %" PRIu64 " blocks compiled (%" PRIu64 " instructions, %" PRIu64
            " bytes of host code, %.3f ms compiling), %" PRIu64 " compiled runs, %" PRIu64
            " partial exits, %" PRIu64 " code-cache flushes\n",
            st->jit_blocks, st->jit_insns, st->jit_bytes, (double)st->jit_compile_ns / 1e6,
            st->jit_runs, st->jit_partial_exits, st->jit_flushes);
}
