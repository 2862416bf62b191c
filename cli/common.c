/*
 * common.c - helpers shared by the subcommands.
 */
#include "cli.h"
#include "linux.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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
