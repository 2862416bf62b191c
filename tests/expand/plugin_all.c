/*
 * plugin_all.c - a test plugin that registers every kind of callback of
 * <reprise/plugin.h> (translation, block execution, instruction execution,
 * memory access, inline counter, syscall entry and exit, signal, thread,
 * process exit, finish) and writes one row per callback into table
 * `all_event`, in the order the host called them, so tests can check with
 * SQL that each kind fires and that its execution points are sane
 * (tests/expand/test_plugins.sh). It also reads registers and memory in
 * the callbacks where the API allows it, so the tests can compare them with
 * what the event says (the pc register with point.pc, a7 with the syscall
 * number, a0 with the return value).
 *
 * Arguments: insn (bool, default true): per-instruction and memory rows
 * (millions on long samples; block rows stay).
 */
#include <reprise/plugin.h>


static struct reprise_table *t_ev;
static int64_t seq;
static uint64_t counter;   /* inline counter on every instruction */
static bool want_insn;

enum { E_SEQ, E_KIND, E_ICOUNT, E_THREAD, E_PC, E_A, E_B, E_C, E_D };
static const struct reprise_column ev_cols[] = {
    { "seq", REPRISE_COL_INT },     /* callback order, from 1 */
    { "kind", REPRISE_COL_TEXT },
    { "icount", REPRISE_COL_INT },  /* point.icount (NULL: translate, counter, finish) */
    { "thread", REPRISE_COL_INT },
    { "pc", REPRISE_COL_INT },
    { "a", REPRISE_COL_INT },       /* kind-specific, see the callbacks */
    { "b", REPRISE_COL_INT },
    { "c", REPRISE_COL_INT },
    { "d", REPRISE_COL_INT },
};

#define REG_A0 10
#define REG_A7 17

/* Starts a row of `kind` at point pt (NULL: no execution point). */
static void row(const char *kind, const struct reprise_point *pt)
{
    reprise_row_int(t_ev, E_SEQ, ++seq);
    reprise_row_text(t_ev, E_KIND, kind);
    if (pt) {
        reprise_row_int(t_ev, E_ICOUNT, (int64_t)pt->icount);
        reprise_row_int(t_ev, E_THREAD, pt->thread);
        reprise_row_int(t_ev, E_PC, (int64_t)pt->pc);
    }
}

static void set(unsigned col, uint64_t v) { reprise_row_int(t_ev, col, (int64_t)v); }

/* block: a first, b count, c translation id, d 1 if point.cpu is NULL. */
static void on_block(void *udata, const struct reprise_block_exec *bx)
{
    row("block", &bx->point);
    set(E_A, bx->first);
    set(E_B, bx->count);
    set(E_C, (uintptr_t)udata);
    set(E_D, bx->point.cpu == NULL);
    reprise_row_end(t_ev);
}

/* insn: a the pc register as read, b the class bits. */
static void on_insn(void *udata, const struct reprise_point *pt)
{
    row("insn", pt);
    set(E_A, reprise_reg_read(pt->cpu, REPRISE_REG_PC));
    set(E_B, (uintptr_t)udata);
    reprise_row_end(t_ev);
}

/* mem: a address, b size, c kind, d value. */
static void on_mem(void *udata, const struct reprise_point *pt, const struct reprise_mem *m)
{
    (void)udata;
    row("mem", pt);
    set(E_A, m->addr);
    set(E_B, m->size);
    set(E_C, m->kind);
    set(E_D, m->value);
    reprise_row_end(t_ev);
}

/* translate: pc block start, a translation id, b instructions, c bytes. */
static void on_translate(void *udata, struct reprise_tb *tb)
{
    (void)udata;
    unsigned n = reprise_tb_n_insns(tb), bytes = 0;
    for (unsigned i = 0; i < n; i++) {
        struct reprise_insn *in = reprise_tb_insn(tb, i);
        unsigned cls = reprise_insn_class(in);
        bytes += reprise_insn_size(in);
        reprise_insn_count(in, &counter);
        if (!want_insn) continue;
        reprise_insn_on_exec(in, on_insn, (void *)(uintptr_t)cls);
        if (cls & (REPRISE_INSN_LOAD | REPRISE_INSN_STORE | REPRISE_INSN_AMO))
            reprise_insn_on_mem(in, on_mem, NULL);
    }
    reprise_row_int(t_ev, E_SEQ, ++seq);
    reprise_row_text(t_ev, E_KIND, "translate");
    set(E_PC, reprise_tb_pc(tb));
    set(E_A, reprise_tb_id(tb));
    set(E_B, n);
    set(E_C, bytes);
    reprise_row_end(t_ev);
    reprise_tb_on_exec(tb, on_block, (void *)(uintptr_t)reprise_tb_id(tb));
}

/* sys_enter: a nr, b a7 as read, c args[0], d the first byte of the first
 * input buffer as read through reprise_mem_read (NULL without one). */
static void on_sys_enter(void *udata, const struct reprise_point *pt,
                         const struct reprise_syscall *sc)
{
    (void)udata;
    row("sys_enter", pt);
    set(E_A, (uint64_t)sc->nr);
    set(E_B, reprise_reg_read(pt->cpu, REG_A7));
    set(E_C, sc->args[0]);
    unsigned char byte;
    if (sc->n_read && sc->read[0].len && reprise_mem_read(pt->cpu, sc->read[0].addr, &byte, 1))
        set(E_D, byte);
    reprise_row_end(t_ev);
}

/* sys_exit: a nr, b ret, c enter_icount, d a0 as read. */
static void on_sys_exit(void *udata, const struct reprise_point *pt,
                        const struct reprise_syscall *sc)
{
    (void)udata;
    row("sys_exit", pt);
    set(E_A, (uint64_t)sc->nr);
    set(E_B, (uint64_t)sc->ret);
    set(E_C, sc->enter_icount);
    set(E_D, reprise_reg_read(pt->cpu, REG_A0));
    reprise_row_end(t_ev);
}

/* signal: a signo, b action, c si_code, d handler. */
static void on_signal(void *udata, const struct reprise_point *pt, const struct reprise_signal *s)
{
    (void)udata;
    row("signal", pt);
    set(E_A, (uint64_t)s->signo);
    set(E_B, s->action);
    set(E_C, (uint64_t)(int64_t)s->code);
    set(E_D, s->handler);
    reprise_row_end(t_ev);
}

/* thread: a event (1 create, 2 exit, 3 switch), b parent, c status. */
static void on_thread(void *udata, const struct reprise_point *pt, const struct reprise_thread *th)
{
    (void)udata;
    row("thread", pt);
    set(E_A, th->event);
    set(E_B, th->parent);
    set(E_C, (uint64_t)(int64_t)th->status);
    reprise_row_end(t_ev);
}

/* exit: a signaled, b status, c signo. */
static void on_exit_(void *udata, const struct reprise_point *pt, const struct reprise_exit *ex)
{
    (void)udata;
    row("exit", pt);
    set(E_A, ex->signaled);
    set(E_B, (uint64_t)(int64_t)ex->status);
    set(E_C, (uint64_t)(int64_t)ex->signo);
    reprise_row_end(t_ev);
}

/* counter: a the inline counter's total; then finish. */
static void finish(void *udata)
{
    (void)udata;
    row("counter", NULL);
    set(E_A, counter);
    reprise_row_end(t_ev);
    row("finish", NULL);
    reprise_row_end(t_ev);
}

static int install(struct reprise_host *h)
{
    want_insn = reprise_arg_bool(h, "insn");
    t_ev = reprise_table_declare(h, "all_event", ev_cols, 9);
    if (!t_ev) return -1;
    reprise_table_index(t_ev, "kind, thread, icount");
    reprise_on_translate(h, on_translate, NULL);
    reprise_on_syscall_enter(h, on_sys_enter, NULL);
    reprise_on_syscall_exit(h, on_sys_exit, NULL);
    reprise_on_signal(h, on_signal, NULL);
    reprise_on_thread(h, on_thread, NULL);
    reprise_on_exit(h, on_exit_, NULL);
    reprise_on_finish(h, finish, NULL);
    return 0;
}

static const struct reprise_arg_spec args[] = {
    { "insn", REPRISE_ARG_BOOL, "true", "one row per executed instruction and memory access" },
    { 0 },
};

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "all",
    .summary = "test plugin: one row per callback of every kind (table all_event)",
    .args = args,
    .install = install,
};

__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
