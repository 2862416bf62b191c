/*
 * insn.c - the `insn` plugin: the instruction trace, REVEN-style. Each
 * translated block is stored once (tables `block` and `block_insn`), each
 * run of back-to-back executions of a block is one row of `block_run`; the
 * views `block_exec` and `insn_exec` give one row per block execution and
 * per executed instruction. Built only against <reprise/plugin.h>.
 */
#include <reprise/plugin.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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
static const struct reprise_column run_cols[] = {
    /* Left for SQLite to number: rows arrive in icount order, so id order
     * is time order (icount_id() finds a time's row), and an insert with
     * a rowid of its own would cost a search of the table's B-tree. */
    { "id", REPRISE_COL_INT },
    { "icount", REPRISE_COL_INT },  /* of the first instruction executed */
    { "thread", REPRISE_COL_INT },
    { "block_id", REPRISE_COL_INT },
    { "first", REPRISE_COL_INT },   /* idx of the first instruction executed */
    /* Instructions executed: of one execution, or, when more than the
     * block holds, of n_insns / block.n_insns whole executions. A column
     * n_execs would cost each row (of any workload) 15 % more. */
    { "n_insns", REPRISE_COL_INT },
};

/* Instructions in one block_run row of several executions at most (so
 * executions too: the rows of block_rep). A loop running longer takes a
 * row per RUN_MAX instructions; a query for the run holding icount t looks
 * from row icount_id('block_run', t - RUN_MAX) on (docs/trace-schema.md). */
#define RUN_MAX 4096
#define STR(x) #x
#define XSTR(x) STR(x)

/* A translated block, as the udata of its execution reports. */
struct block {
    int64_t id;
    unsigned n_insns;
    struct block *next; /* all of them, freed at the end */
};
static struct block *blocks;

/* The run being gathered: whole executions of one block by one thread,
 * each starting where the one before ended (no other thread ran between
 * them, and the window and --sample kept every one). One row per run
 * rather than per execution: a loop of one block is one row, and SQLite's
 * cost per row is what bounds an instruction trace (docs/performance.md). */
static struct {
    const struct block *b; /* NULL: none */
    int64_t icount, thread;
    unsigned first, n_insns;
} run;

static void flush_run(void)
{
    if (!run.b) return;
    reprise_row_int(t_exec, E_ICOUNT, run.icount);
    reprise_row_int(t_exec, E_THREAD, run.thread);
    reprise_row_int(t_exec, E_BLOCK, run.b->id);
    reprise_row_int(t_exec, E_FIRST, run.first);
    reprise_row_int(t_exec, E_COUNT, run.n_insns);
    reprise_row_end(t_exec);
    run.b = NULL;
}

static void on_exec(void *udata, const struct reprise_block_exec *bx)
{
    const struct block *b = udata;
    int64_t icount = (int64_t)bx->point.icount;
    bool whole = bx->first == 0 && bx->count == b->n_insns && b->n_insns > 0;
    if (run.b == b && whole && run.first == 0 && run.n_insns % b->n_insns == 0 &&
        run.thread == bx->point.thread && icount == run.icount + run.n_insns &&
        run.n_insns + b->n_insns <= RUN_MAX) {
        run.n_insns += b->n_insns;
        return;
    }
    flush_run();
    run.b = b;
    run.icount = icount;
    run.thread = bx->point.thread;
    run.first = bx->first;
    run.n_insns = bx->count;
}

static void on_finish(void *udata)
{
    (void)udata;
    flush_run();
    while (blocks) {
        struct block *n = blocks->next;
        free(blocks);
        blocks = n;
    }
}

static void on_translate(void *udata, struct reprise_tb *tb)
{
    struct reprise_host *host = udata;
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
    struct block *b = malloc(sizeof *b);
    if (!b) {
        reprise_error(host, "out of memory");
        return;
    }
    *b = (struct block){ .id = id, .n_insns = n, .next = blocks };
    blocks = b;
    reprise_tb_on_exec(tb, on_exec, b);
}

static int install(struct reprise_host *h)
{
    t_block = reprise_table_declare(h, "block", block_cols, 3);
    t_insn = reprise_table_declare(h, "block_insn", insn_cols, 8);
    t_exec = reprise_table_declare(h, "block_run", run_cols, 6);
    if (!t_block || !t_insn || !t_exec) return -1;
    reprise_table_index(t_insn, "block_id, idx");
    reprise_table_index(t_insn, "pc");
    /* No index on block_run: id is the time index, and an index on
     * block_id would cost more to build than the scans it saves. */
    /* Symbols are known once every module is mapped: name them at the end
     * (sym() is one of the SQL functions of every connection reprise opens). */
    reprise_sql_at_end(h, "UPDATE block_insn SET symbol = sym(pc)");
    /* block_rep numbers the executions of a run (k from 0), so that plain
     * SQL (the sqlite3 shell too) turns a run into its executions: a rowid
     * range, k < executions. CROSS JOIN keeps it the inner loop. */
    reprise_sql_at_end(h, "CREATE TABLE block_rep (k INTEGER PRIMARY KEY); "
                          "INSERT INTO block_rep WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL "
                          "SELECT k + 1 FROM s WHERE k < " XSTR(RUN_MAX) " - 1) SELECT k FROM s");
    /* A row of more instructions than its block holds is that many whole
     * executions; any other row is one execution. */
    reprise_sql_at_end(h,
                       "CREATE VIEW block_exec AS "
                       "SELECT r.icount + k.k * b.n_insns AS icount, r.thread AS thread, "
                       "r.block_id AS block_id, r.first AS first, "
                       "min(r.n_insns, b.n_insns) AS n_insns, r.id AS block_run_id, k.k AS rep "
                       "FROM block_run r JOIN block b ON b.id = r.block_id "
                       "CROSS JOIN block_rep k ON k.k < max(r.n_insns / b.n_insns, 1)");
    reprise_sql_at_end(h,
                       "CREATE VIEW insn_exec AS "
                       "SELECT r.icount + k.k * b.n_insns + (i.idx - r.first) AS icount, "
                       "r.thread AS thread, i.pc AS pc, i.size AS size, i.raw AS raw, "
                       "i.class AS class, i.disasm AS disasm, i.symbol AS symbol, "
                       "r.id AS block_run_id "
                       "FROM block_run r JOIN block b ON b.id = r.block_id "
                       "JOIN block_insn i ON i.block_id = r.block_id AND i.idx >= r.first "
                       "AND i.idx < r.first + min(r.n_insns, b.n_insns) "
                       "CROSS JOIN block_rep k ON k.k < max(r.n_insns / b.n_insns, 1)");
    reprise_on_finish(h, on_finish, NULL);
    reprise_on_translate(h, on_translate, h);
    return 0;
}

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "insn",
    .summary = "instruction trace: blocks once, a row per run of one block, views block_exec, insn_exec",
    .args = NULL,
    .install = install,
};

/* The plugin's one exported entry point. */
__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
