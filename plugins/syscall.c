/*
 * syscall.c - the `syscall` plugin: every system call of the window (table
 * `syscall`) with name, arguments, return value and the icounts of its
 * entry and completion; optionally (argument `data`, bytes per buffer) the
 * bytes the call read from and wrote into guest memory (`syscall_data`).
 * Signals delivered go into table `signal`: the other way the kernel
 * steps into a program. Built only against <reprise/plugin.h>.
 *
 * A row is written when the call completes, or at the end for calls still
 * in flight (end_icount and ret NULL): exit, exit_group, execve and calls
 * a fatal signal ended never complete. A completion whose entry came before
 * the window is not recorded (its entry is outside it).
 */
#include <reprise/plugin.h>

#include <stdlib.h>
#include <string.h>

static struct reprise_table *t_sc, *t_data;
static struct reprise_host *host;
static size_t data_max;   /* bytes kept per buffer; 0: no syscall_data */
static unsigned char *buf;

enum { S_ID, S_THREAD, S_ICOUNT, S_END, S_NR, S_NAME, S_ARG0, S_RET = S_ARG0 + 6 };
static const struct reprise_column sc_cols[] = {
    { "id", REPRISE_COL_INT },
    { "thread", REPRISE_COL_INT },
    { "icount", REPRISE_COL_INT },     /* entry: the ecall counted as retired */
    { "end_icount", REPRISE_COL_INT }, /* completion (NULL: did not complete) */
    { "nr", REPRISE_COL_INT },
    { "name", REPRISE_COL_TEXT },
    { "arg0", REPRISE_COL_INT },
    { "arg1", REPRISE_COL_INT },
    { "arg2", REPRISE_COL_INT },
    { "arg3", REPRISE_COL_INT },
    { "arg4", REPRISE_COL_INT },
    { "arg5", REPRISE_COL_INT },
    { "ret", REPRISE_COL_INT },        /* a0 at completion (NULL: did not complete) */
};

enum { D_SC, D_DIR, D_ADDR, D_LEN, D_DATA };
static const struct reprise_column data_cols[] = {
    { "syscall_id", REPRISE_COL_INT },
    { "dir", REPRISE_COL_TEXT },       /* 'in': read by the call; 'out': written */
    { "addr", REPRISE_COL_INT },
    { "len", REPRISE_COL_INT },        /* full length; data holds at most `data` bytes */
    { "data", REPRISE_COL_BLOB },
};

enum { G_ID, G_THREAD, G_ICOUNT, G_PC, G_SIGNO, G_CODE, G_ADDR, G_ACTION, G_HANDLER };
static const struct reprise_column sig_cols[] = {
    { "id", REPRISE_COL_INT },
    { "thread", REPRISE_COL_INT },
    { "icount", REPRISE_COL_INT },     /* where the thread was interrupted */
    { "pc", REPRISE_COL_INT },
    { "signo", REPRISE_COL_INT },
    { "code", REPRISE_COL_INT },       /* si_code */
    { "addr", REPRISE_COL_INT },       /* fault address (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE) */
    { "action", REPRISE_COL_INT },     /* 1 handler, 2 ignored, 3 terminates, 4 stop/continue */
    { "handler", REPRISE_COL_INT },    /* handler address (action 1) */
};
static struct reprise_table *t_sig;
static int64_t next_sig;

static void on_signal(void *udata, const struct reprise_point *pt, const struct reprise_signal *s)
{
    (void)udata;
    reprise_row_int(t_sig, G_ID, ++next_sig);
    reprise_row_int(t_sig, G_THREAD, pt->thread);
    reprise_row_int(t_sig, G_ICOUNT, (int64_t)pt->icount);
    reprise_row_int(t_sig, G_PC, (int64_t)pt->pc);
    reprise_row_int(t_sig, G_SIGNO, s->signo);
    reprise_row_int(t_sig, G_CODE, s->code);
    if (s->addr) reprise_row_int(t_sig, G_ADDR, (int64_t)s->addr);
    reprise_row_int(t_sig, G_ACTION, s->action);
    if (s->action == REPRISE_SIG_HANDLER) reprise_row_int(t_sig, G_HANDLER, (int64_t)s->handler);
    reprise_row_end(t_sig);
}

/* A call entered and not yet completed. */
struct open_call {
    int64_t id;
    uint32_t thread;
    uint64_t icount;         /* just after the ecall */
    uint64_t enter_icount;   /* as the entry event reported it (matches exits) */
    long nr;
    uint64_t args[6];
};
static struct open_call *open_calls;
static size_t n_open, cap_open;
static int64_t next_id;

static void emit(const struct open_call *c, const uint64_t *end_icount, const int64_t *ret)
{
    const char *name = reprise_syscall_name(c->nr);
    reprise_row_int(t_sc, S_ID, c->id);
    reprise_row_int(t_sc, S_THREAD, c->thread);
    reprise_row_int(t_sc, S_ICOUNT, (int64_t)c->icount);
    if (end_icount) reprise_row_int(t_sc, S_END, (int64_t)*end_icount);
    reprise_row_int(t_sc, S_NR, c->nr);
    if (name) reprise_row_text(t_sc, S_NAME, name);
    for (unsigned i = 0; i < 6; i++) reprise_row_int(t_sc, S_ARG0 + i, (int64_t)c->args[i]);
    if (ret) reprise_row_int(t_sc, S_RET, *ret);
    reprise_row_end(t_sc);
}

/* Rows of syscall_data for buffers of one call, each cut to data_max bytes
 * (what is unmapped is cut too: reprise_mem_read stops there). */
static void emit_data(int64_t id, const char *dir, struct reprise_cpu *cpu,
                      const struct reprise_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t want = r[i].len < data_max ? (size_t)r[i].len : data_max;
        size_t got = cpu ? reprise_mem_read(cpu, r[i].addr, buf, want) : 0;
        reprise_row_int(t_data, D_SC, id);
        reprise_row_text(t_data, D_DIR, dir);
        reprise_row_int(t_data, D_ADDR, (int64_t)r[i].addr);
        reprise_row_int(t_data, D_LEN, (int64_t)r[i].len);
        reprise_row_blob(t_data, D_DATA, buf, got);
        reprise_row_end(t_data);
    }
}

/* The icount just after the ecall (the entry event's point is the ecall
 * itself), so that `icount` means the same as `reprise dump`'s. */
static uint64_t after_ecall(const struct reprise_point *pt) { return pt->icount + 1; }

static void on_enter(void *udata, const struct reprise_point *pt, const struct reprise_syscall *sc)
{
    (void)udata;
    if (n_open == cap_open) {
        size_t cap = cap_open ? cap_open * 2 : 16;
        struct open_call *v = realloc(open_calls, cap * sizeof *v);
        if (!v) {
            reprise_error(host, "out of memory for %zu calls in flight", n_open);
            return;
        }
        open_calls = v;
        cap_open = cap;
    }
    struct open_call *c = &open_calls[n_open++];
    c->id = ++next_id;
    c->thread = pt->thread;
    c->enter_icount = pt->icount;
    c->icount = after_ecall(pt);
    c->nr = sc->nr;
    memcpy(c->args, sc->args, sizeof c->args);
    if (data_max) emit_data(c->id, "in", pt->cpu, sc->read, sc->n_read);
}

static void on_exit_(void *udata, const struct reprise_point *pt, const struct reprise_syscall *sc)
{
    (void)udata;
    /* A thread has at most one call in flight; matching the entry icount
     * too keeps a completion whose entry is not ours from taking its row. */
    for (size_t i = n_open; i-- > 0;) {
        struct open_call *c = &open_calls[i];
        if (c->thread != pt->thread || c->enter_icount != sc->enter_icount) continue;
        uint64_t end = pt->icount;
        int64_t ret = sc->ret;
        emit(c, &end, &ret);
        if (data_max) emit_data(c->id, "out", pt->cpu, sc->written, sc->n_written);
        open_calls[i] = open_calls[--n_open];
        return;
    }
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = ((const struct open_call *)a)->id, y = ((const struct open_call *)b)->id;
    return (x > y) - (x < y);
}

static void finish(void *udata)
{
    (void)udata;
    qsort(open_calls, n_open, sizeof *open_calls, cmp_id);
    for (size_t i = 0; i < n_open; i++) emit(&open_calls[i], NULL, NULL);
    free(open_calls);
    free(buf);
    open_calls = NULL;
    buf = NULL;
    n_open = cap_open = 0;
}

static int install(struct reprise_host *h)
{
    host = h;
    int64_t d = reprise_arg_int(h, "data");
    if (d < 0 || d > (64 << 20))
        return reprise_error(h, "data=%lld: bytes per buffer must be 0..%d",
                             (long long)d, 64 << 20);
    data_max = (size_t)d;
    t_sc = reprise_table_declare(h, "syscall", sc_cols, 13);
    if (!t_sc) return -1;
    reprise_table_index(t_sc, "icount");
    if (!(t_sig = reprise_table_declare(h, "signal", sig_cols, 9))) return -1;
    if (data_max) {
        if (!(buf = malloc(data_max))) return reprise_error(h, "out of memory");
        t_data = reprise_table_declare(h, "syscall_data", data_cols, 5);
        if (!t_data) return -1;
        reprise_table_index(t_data, "syscall_id");
    }
    reprise_on_syscall_enter(h, on_enter, NULL);
    reprise_on_syscall_exit(h, on_exit_, NULL);
    reprise_on_signal(h, on_signal, NULL);
    reprise_on_finish(h, finish, NULL);
    return 0;
}

static const struct reprise_arg_spec args[] = {
    { "data", REPRISE_ARG_INT, "0",
      "bytes kept of each buffer a call reads or writes (table syscall_data); 0: none" },
    { 0 },
};

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "syscall",
    .summary = "system calls (name, arguments, return value, entry and completion icount) and signals",
    .args = args,
    .install = install,
};

/* The plugin's one exported entry point. */
__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
