/*
 * mem.c - the `mem` plugin: every guest memory access (table `mem`):
 * icount, thread, pc, address, size, value, kind (1 read, 2 write, 3 amo).
 * Built only against <reprise/plugin.h>.
 */
#include <reprise/plugin.h>

static struct reprise_table *t_mem;
static bool want_reads, want_writes;

enum { M_ID, M_ICOUNT, M_THREAD, M_PC, M_ADDR, M_SIZE, M_VALUE, M_KIND };
static const struct reprise_column mem_cols[] = {
    /* Left for SQLite to number (as block_exec's): rows arrive in icount
     * order, so id order is time order. */
    { "id", REPRISE_COL_INT },
    { "icount", REPRISE_COL_INT },
    { "thread", REPRISE_COL_INT },
    { "pc", REPRISE_COL_INT },
    { "addr", REPRISE_COL_INT },
    { "size", REPRISE_COL_INT },
    { "value", REPRISE_COL_INT },
    { "kind", REPRISE_COL_INT },
};

static void on_mem(void *udata, const struct reprise_point *pt, const struct reprise_mem *m)
{
    (void)udata;
    if (m->kind == REPRISE_MEM_READ ? !want_reads : !want_writes) return;
    reprise_row_int(t_mem, M_ICOUNT, (int64_t)pt->icount);
    reprise_row_int(t_mem, M_THREAD, pt->thread);
    reprise_row_int(t_mem, M_PC, (int64_t)pt->pc);
    reprise_row_int(t_mem, M_ADDR, (int64_t)m->addr);
    reprise_row_int(t_mem, M_SIZE, m->size);
    reprise_row_int(t_mem, M_VALUE, (int64_t)m->value);
    reprise_row_int(t_mem, M_KIND, m->kind);
    reprise_row_end(t_mem);
}

static void on_translate(void *udata, struct reprise_tb *tb)
{
    (void)udata;
    unsigned n = reprise_tb_n_insns(tb);
    for (unsigned i = 0; i < n; i++) {
        struct reprise_insn *in = reprise_tb_insn(tb, i);
        if (reprise_insn_class(in) &
            (REPRISE_INSN_LOAD | REPRISE_INSN_STORE | REPRISE_INSN_AMO))
            reprise_insn_on_mem(in, on_mem, NULL);
    }
}

static int install(struct reprise_host *h)
{
    want_reads = reprise_arg_bool(h, "reads");
    want_writes = reprise_arg_bool(h, "writes");
    t_mem = reprise_table_declare(h, "mem", mem_cols, 8);
    if (!t_mem) return -1;
    /* The index is most of an expansion's time (SQLite sorts every
     * address: docs/performance.md); without it a lookup by address
     * (mem_history() too) scans, one by time still uses id. */
    if (reprise_arg_bool(h, "index")) reprise_table_index(t_mem, "addr");
    reprise_on_translate(h, on_translate, NULL);
    return 0;
}

static const struct reprise_arg_spec args[] = {
    { "reads", REPRISE_ARG_BOOL, "true", "record loads" },
    { "writes", REPRISE_ARG_BOOL, "true", "record stores and atomics" },
    { "index", REPRISE_ARG_BOOL, "true",
      "index addr after the load (most of the time; without it a query by address scans)" },
    { 0 },
};

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "mem",
    .summary = "memory accesses: icount, thread, pc, address, size, value, kind",
    .args = args,
    .install = install,
};

/* The plugin's one exported entry point. */
__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
