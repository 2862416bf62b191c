/*
 * insn.c - the `insn` plugin: the instruction trace, REVEN-style. Each
 * translated block is stored once (tables `block` and `block_insn`) and
 * each execution of a block is one row of `block_exec`; the view
 * `insn_exec` gives one row per executed instruction. Built only against
 * <reprise/plugin.h>.
 */
#include <reprise/plugin.h>

#include <stdio.h>

static struct reprise_table *t_block, *t_insn, *t_exec;

enum { B_ID, B_PC, B_N };
static const struct reprise_column block_cols[] = {
    { "id", REPRISE_COL_INT },      /* translation id */
    { "pc", REPRISE_COL_INT },      /* first instruction */
    { "n_insns", REPRISE_COL_INT },
};

enum { I_BLOCK, I_IDX, I_PC, I_SIZE, I_RAW, I_CLASS, I_DISAS };
static const struct reprise_column insn_cols[] = {
    { "block_id", REPRISE_COL_INT },
    { "idx", REPRISE_COL_INT },     /* position in the block, from 0 */
    { "pc", REPRISE_COL_INT },
    { "size", REPRISE_COL_INT },    /* bytes: 2 or 4 */
    { "raw", REPRISE_COL_INT },     /* encoding as fetched */
    { "class", REPRISE_COL_INT },   /* enum reprise_insn_class bits */
    { "disasm", REPRISE_COL_TEXT },
    { "symbol", REPRISE_COL_TEXT }, /* func+0x1c, filled at the end (sym()) */
};

enum { E_ID, E_ICOUNT, E_THREAD, E_BLOCK, E_FIRST, E_COUNT };
static const struct reprise_column exec_cols[] = {
    /* Left for SQLite to number: rows arrive in icount order, so id order
     * is time order (icount_id() finds a time's row), and an insert with
     * a rowid of its own would cost a search of the table's B-tree. */
    { "id", REPRISE_COL_INT },
    { "icount", REPRISE_COL_INT },  /* of the first instruction executed */
    { "thread", REPRISE_COL_INT },
    { "block_id", REPRISE_COL_INT },
    { "first", REPRISE_COL_INT },   /* idx of the first instruction executed */
    { "n_insns", REPRISE_COL_INT }, /* instructions executed */
};

static void on_exec(void *udata, const struct reprise_block_exec *bx)
{
    int64_t block = (int64_t)(uintptr_t)udata;
    reprise_row_int(t_exec, E_ICOUNT, (int64_t)bx->point.icount);
    reprise_row_int(t_exec, E_THREAD, bx->point.thread);
    reprise_row_int(t_exec, E_BLOCK, block);
    reprise_row_int(t_exec, E_FIRST, bx->first);
    reprise_row_int(t_exec, E_COUNT, bx->count);
    reprise_row_end(t_exec);
}

static void on_translate(void *udata, struct reprise_tb *tb)
{
    (void)udata;
    int64_t id = (int64_t)reprise_tb_id(tb);
    unsigned n = reprise_tb_n_insns(tb);
    reprise_row_int(t_block, B_ID, id);
    reprise_row_int(t_block, B_PC, (int64_t)reprise_tb_pc(tb));
    reprise_row_int(t_block, B_N, n);
    reprise_row_end(t_block);
    for (unsigned i = 0; i < n; i++) {
        struct reprise_insn *in = reprise_tb_insn(tb, i);
        reprise_row_int(t_insn, I_BLOCK, id);
        reprise_row_int(t_insn, I_IDX, i);
        reprise_row_int(t_insn, I_PC, (int64_t)reprise_insn_pc(in));
        reprise_row_int(t_insn, I_SIZE, reprise_insn_size(in));
        reprise_row_int(t_insn, I_RAW, reprise_insn_raw(in));
        reprise_row_int(t_insn, I_CLASS, reprise_insn_class(in));
        reprise_row_text(t_insn, I_DISAS, reprise_insn_disas(in));
        reprise_row_end(t_insn);
    }
    reprise_tb_on_exec(tb, on_exec, (void *)(uintptr_t)id);
}

static int install(struct reprise_host *h)
{
    t_block = reprise_table_declare(h, "block", block_cols, 3);
    t_insn = reprise_table_declare(h, "block_insn", insn_cols, 8);
    t_exec = reprise_table_declare(h, "block_exec", exec_cols, 6);
    if (!t_block || !t_insn || !t_exec) return -1;
    reprise_table_index(t_insn, "block_id, idx");
    reprise_table_index(t_insn, "pc");
    /* No index on block_exec: id is the time index, and an index on
     * block_id would cost more to build than the scans it saves. */
    /* Symbols are known once every module is mapped: name them at the end
     * (sym() is one of the SQL functions of every connection reprise opens). */
    reprise_sql_at_end(h, "UPDATE block_insn SET symbol = sym(pc)");
    reprise_sql_at_end(h,
                       "CREATE VIEW insn_exec AS "
                       "SELECT e.icount + (i.idx - e.first) AS icount, e.thread AS thread, "
                       "i.pc AS pc, i.size AS size, i.raw AS raw, i.class AS class, "
                       "i.disasm AS disasm, i.symbol AS symbol, e.id AS block_exec_id "
                       "FROM block_exec e JOIN block_insn i ON i.block_id = e.block_id "
                       "AND i.idx >= e.first AND i.idx < e.first + e.n_insns");
    reprise_on_translate(h, on_translate, NULL);
    return 0;
}

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "insn",
    .summary = "instruction trace: blocks once, one row per block execution, view insn_exec",
    .args = NULL,
    .install = install,
};

/* The plugin's one exported entry point. */
__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
