/*
 * tracer.h - trace expansion: loads plugins (include/reprise/plugin.h),
 * bridges the virtual machine's instrumentation hook (struct vm_instrument)
 * to them, applies the expansion parameters and writes their rows into the
 * trace database (tracer/db.c).
 *
 * Use: tracer_create, tracer_add_plugin for each plugin, tracer_meta for the
 * recording's identity, tracer_start; then run the replay with
 * tracer_instrument() as lx_config.instrument; then tracer_finish and
 * tracer_destroy. Errors are negative values with a message in err.
 */
#ifndef REPRISE_TRACER_H
#define REPRISE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tracer;
struct lx_proc;
struct vm_instrument;

/* Expansion parameters that apply to every plugin (docs/trace-schema.md,
 * "Expansion parameters"). */
struct tracer_params {
    uint64_t from;        /* first process icount reported */
    uint64_t to;          /* first icount not reported; 0: to the end */
    uint32_t thread;      /* only this guest thread; 0: all */
    bool has_pc;          /* instructions, blocks and accesses only for pc in [pc_lo, pc_hi) */
    uint64_t pc_lo, pc_hi;
    bool has_mem;         /* memory accesses only if they overlap [mem_lo, mem_hi) */
    uint64_t mem_lo, mem_hi;
    const char *function; /* only while a thread is inside this function (callees included) */
    uint64_t sample;      /* only every sample-th block execution; 0 or 1: all */
    uint64_t limit;       /* stop after this many plugin rows; 0: no limit */
    const char *sysroot;  /* where the guest's libraries are (module symbols) */
};

/* Creates an expansion writing the trace database db_path (replaced if it
 * exists). 0 or a negative errno with a message. */
int tracer_create(const char *db_path, const struct tracer_params *params, struct tracer **out,
                  char *err, size_t errlen);

/* Loads the plugin named by spec, "NAME[:KEY=VALUE,...]" (NAME: a plugin of
 * plugin_dir, or a path to a shared object when it contains a '/'), and
 * validates its arguments. 0 or -1 with a message (missing file, API version
 * mismatch, unknown or malformed argument). */
int tracer_add_plugin(struct tracer *tr, const char *spec, const char *plugin_dir, char *err,
                      size_t errlen);

/* Records KEY=VALUE in the meta table. 0 or -1. */
int tracer_meta(struct tracer *tr, const char *key, const char *value);

/* Installs the plugins (their tables, callbacks). 0 or -1 with a message. */
int tracer_start(struct tracer *tr, char *err, size_t errlen);

/* The hooks to pass as lx_config.instrument and lx_config.observer; valid
 * until tracer_destroy. */
const struct vm_instrument *tracer_instrument(struct tracer *tr);
struct lx_observer;
const struct lx_observer *tracer_observer(struct tracer *tr);

/* Called once when the expansion has all it wants (--limit reached): the
 * caller should end the replay (rep_port_stop). */
void tracer_on_stop(struct tracer *tr, void (*stop)(void *ctx, const char *why), void *ctx);

/* Called at the end of each time slice with the process instruction count
 * and the rows written so far (for a progress display; the callee decides
 * how often to draw). */
void tracer_on_progress(struct tracer *tr, void (*progress)(void *ctx, uint64_t icount,
                                                            uint64_t rows),
                        void *ctx);

/* Ends the expansion after the replay (p: the replayed process, still
 * alive, or NULL): reports the last block execution, runs the plugins'
 * finish callbacks, commits, builds indexes and views. 0 or -1. */
int tracer_finish(struct tracer *tr, struct lx_proc *p, char *err, size_t errlen);

/* Rows written so far, all tables. */
uint64_t tracer_rows(const struct tracer *tr);
/* Seconds tracer_finish spent building indexes (and views) after the load:
 * wall-clock time, 0 before it ran. */
double tracer_index_seconds(const struct tracer *tr);

/* Unloads the plugins and closes the database. NULL is a no-op. */
void tracer_destroy(struct tracer *tr);

/* Prints the plugins of plugin_dir (or only `name`, with its arguments) to
 * out. 0, or -1 with a message if `name` cannot be loaded. */
int tracer_list_plugins(const char *plugin_dir, const char *name, FILE *out, char *err,
                        size_t errlen);

#endif
