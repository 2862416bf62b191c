/*
 * insn.c - the `insn` plugin: the instruction trace, REVEN-style. Each
 * translated block is stored once (tables `block` and `block_insn`), each
 * run of back-to-back repetitions of a path of blocks (a loop body, or one
 * block) is one row of `block_run` (paths in `path` and `path_block`); the
 * views `block_exec` and `insn_exec` give one row per block execution and
 * per executed instruction. Built only against <reprise/plugin.h>.
 */
#include <reprise/plugin.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct reprise_table *t_block, *t_insn, *t_path, *t_path_block, *t_exec;
static struct reprise_host *host;

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

enum { E_ID, E_ICOUNT, E_THREAD, E_PATH, E_FIRST, E_COUNT };
static const struct reprise_column run_cols[] = {
    /* Left for SQLite to number: rows arrive in icount order, so id order
     * is time order (icount_id() finds a time's row), and an insert with
     * a rowid of its own would cost a search of the table's B-tree. */
    { "id", REPRISE_COL_INT },
    { "icount", REPRISE_COL_INT },  /* of the first instruction executed */
    { "thread", REPRISE_COL_INT },
    { "path_id", REPRISE_COL_INT },
    { "first", REPRISE_COL_INT },   /* idx of the first instruction executed */
    /* Instructions executed: of one execution, or, when more than the
     * path holds, of n_insns / path.n_insns whole repetitions. A column
     * of repetitions would cost each row (of any workload) 15 % more. */
    { "n_insns", REPRISE_COL_INT },
};

enum { P_ID, P_N_BLOCKS, P_N_INSNS };
static const struct reprise_column path_cols[] = {
    { "id", REPRISE_COL_INT },
    { "n_blocks", REPRISE_COL_INT },
    { "n_insns", REPRISE_COL_INT }, /* of all its blocks */
};

enum { PB_PATH, PB_SEQ, PB_BLOCK, PB_OFFSET, PB_N };
static const struct reprise_column path_block_cols[] = {
    { "path_id", REPRISE_COL_INT },
    { "seq", REPRISE_COL_INT },     /* position in the path, from 0 */
    { "block_id", REPRISE_COL_INT },
    { "offset", REPRISE_COL_INT },  /* instructions of the path before it */
    { "n_insns", REPRISE_COL_INT }, /* the block's */
};

/* Instructions in one block_run row at most (so repetitions of a path
 * too: the rows of block_rep). A loop running longer takes a
 * row per RUN_MAX instructions; a query for the run holding icount t looks
 * from row icount_id('block_run', t - RUN_MAX) on (docs/trace-schema.md). */
#define RUN_MAX 4096
/* Blocks in a path at most: the loop bodies worth a row per repetition
 * are short (a longer body is already few rows per instruction). */
#define PATH_BLOCKS 8
#define STR(x) #x
#define XSTR(x) STR(x)

/* A sequence of translated blocks, each starting where the one before it
 * ended: what a row of block_run repeats. */
struct path {
    int64_t id;
    unsigned n_blocks, n_insns;
    const struct block *b[PATH_BLOCKS];
    struct path *next; /* hash chain */
};

/* A translated block, as the udata of its execution reports: its own path
 * of one block is part of it. */
struct block {
    int64_t id;
    unsigned n_insns;
    struct path self;
    struct block *next; /* all of them, freed at the end */
};
static struct block *blocks;
static int64_t next_path_id = 1;

/* Paths of several blocks, by their blocks. */
static struct path **path_tab;
static size_t path_cap, path_count;

static void emit_path(const struct path *p)
{
    reprise_row_int(t_path, P_ID, p->id);
    reprise_row_int(t_path, P_N_BLOCKS, p->n_blocks);
    reprise_row_int(t_path, P_N_INSNS, p->n_insns);
    reprise_row_end(t_path);
    unsigned off = 0;
    for (unsigned i = 0; i < p->n_blocks; i++) {
        reprise_row_int(t_path_block, PB_PATH, p->id);
        reprise_row_int(t_path_block, PB_SEQ, i);
        reprise_row_int(t_path_block, PB_BLOCK, p->b[i]->id);
        reprise_row_int(t_path_block, PB_OFFSET, off);
        reprise_row_int(t_path_block, PB_N, p->b[i]->n_insns);
        reprise_row_end(t_path_block);
        off += p->b[i]->n_insns;
    }
}

static size_t path_hash(const struct block *const *b, unsigned n)
{
    uint64_t h = n;
    for (unsigned i = 0; i < n; i++) h = (h ^ (uint64_t)b[i]->id) * 0x9e3779b97f4a7c15u;
    return (size_t)(h ^ h >> 29);
}

/* The path of blocks b[0..n) (2 <= n <= PATH_BLOCKS), written to the
 * trace when first seen; NULL when out of memory. */
static const struct path *path_of(const struct block *const *b, unsigned n)
{
    if (path_cap) {
        for (struct path *p = path_tab[path_hash(b, n) & (path_cap - 1)]; p; p = p->next)
            if (p->n_blocks == n && memcmp(p->b, b, n * sizeof *b) == 0) return p;
    }
    if (path_count >= path_cap / 2) {
        size_t cap = path_cap ? path_cap * 2 : 1024;
        struct path **tab = calloc(cap, sizeof *tab);
        if (!tab) return NULL;
        for (size_t i = 0; i < path_cap; i++)
            for (struct path *p = path_tab[i], *nx; p; p = nx) {
                nx = p->next;
                size_t h = path_hash(p->b, p->n_blocks) & (cap - 1);
                p->next = tab[h];
                tab[h] = p;
            }
        free(path_tab);
        path_tab = tab;
        path_cap = cap;
    }
    struct path *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->id = next_path_id++;
    p->n_blocks = n;
    for (unsigned i = 0; i < n; i++) {
        p->b[i] = b[i];
        p->n_insns += b[i]->n_insns;
    }
    size_t h = path_hash(b, n) & (path_cap - 1);
    p->next = path_tab[h];
    path_tab[h] = p;
    path_count++;
    emit_path(p);
    return p;
}

/* What one thread is executing back to back (each execution whole and
 * starting where the one before ended: no other thread ran between them,
 * and the window and --sample kept every one): executions not yet written
 * (hist), or a run of repetitions of a path. One row per run rather than
 * per execution because SQLite's cost per row is what bounds an
 * instruction trace (docs/performance.md): a loop of up to PATH_BLOCKS
 * blocks is one row per RUN_MAX instructions. A repetition is found when
 * the executions not yet written end with the same path twice (the
 * shortest such path); executions that start none are written one a row
 * once HIST of them wait. */
#define HIST (2 * PATH_BLOCKS)
static struct {
    bool live;            /* false: nothing to continue */
    int64_t thread, next; /* the thread, the icount its next execution continues at */
    const struct block *hist[HIST];
    unsigned n_hist;
    int64_t hist_icount;  /* of hist[0] */
    const struct path *p; /* the run: NULL when none */
    int64_t run_icount;   /* of its first repetition */
    unsigned reps, pos;   /* repetitions done, blocks of the next one done */
} st;

static void emit_run(int64_t icount, const struct path *p, unsigned first, unsigned n_insns)
{
    reprise_row_int(t_exec, E_ICOUNT, icount);
    reprise_row_int(t_exec, E_THREAD, st.thread);
    reprise_row_int(t_exec, E_PATH, p->id);
    reprise_row_int(t_exec, E_FIRST, first);
    reprise_row_int(t_exec, E_COUNT, n_insns);
    reprise_row_end(t_exec);
}

/* Writes the first n waiting executions, a row each. */
static void emit_hist(unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const struct block *b = st.hist[i];
        emit_run(st.hist_icount, &b->self, 0, b->n_insns);
        st.hist_icount += b->n_insns;
    }
    st.n_hist -= n;
    memmove(st.hist, st.hist + n, st.n_hist * sizeof st.hist[0]);
}

/* Ends the run: its whole repetitions are a row, the blocks of its last,
 * unfinished one wait again. */
static void end_run(void)
{
    const struct path *p = st.p;
    if (st.reps) emit_run(st.run_icount, p, 0, st.reps * p->n_insns);
    st.p = NULL;
    st.hist_icount = st.run_icount + (int64_t)st.reps * p->n_insns;
    memcpy(st.hist, p->b, st.pos * sizeof p->b[0]);
    st.n_hist = st.pos;
}

/* Writes everything waiting, in time order. */
static void flush(void)
{
    if (st.p) end_run();
    emit_hist(st.n_hist);
    st.live = false;
}

/* Looks for the same path twice at the end of the waiting executions. */
static void find_repeat(void)
{
    unsigned n = st.n_hist;
    for (unsigned len = 1; 2 * len <= n; len++) {
        const struct block *const *a = st.hist + n - 2 * len, *const *b = st.hist + n - len;
        if (a[len - 1] != b[len - 1] || memcmp(a, b, len * sizeof *a) != 0) continue;
        unsigned insns = 0;
        for (unsigned i = 0; i < len; i++) insns += b[i]->n_insns;
        if (insns > RUN_MAX / 2) continue;
        const struct path *p = len == 1 ? &b[0]->self : path_of(b, len);
        if (!p) {
            reprise_error(host, "out of memory");
            break;
        }
        emit_hist(n - 2 * len);
        st.p = p;
        st.run_icount = st.hist_icount;
        st.reps = 2;
        st.pos = 0;
        st.n_hist = 0;
        return;
    }
    if (n == HIST) emit_hist(1);
}

static void on_exec(void *udata, const struct reprise_block_exec *bx)
{
    const struct block *b = udata;
    int64_t icount = (int64_t)bx->point.icount, thread = bx->point.thread;
    bool whole = bx->first == 0 && bx->count == b->n_insns && b->n_insns > 0;
    bool cont = whole && st.live && thread == st.thread && icount == st.next;
    if (cont && st.p) {
        const struct path *p = st.p;
        if (p->b[st.pos] == b) {
            if (st.pos == 0 && (st.reps + 1) * p->n_insns > RUN_MAX) {
                emit_run(st.run_icount, p, 0, st.reps * p->n_insns);
                st.run_icount = icount;
                st.reps = 0;
            }
            if (++st.pos == p->n_blocks) {
                st.pos = 0;
                st.reps++;
            }
            st.next = icount + b->n_insns;
            return;
        }
        end_run();
    } else if (!cont) {
        flush();
    }
    st.thread = thread;
    if (!whole) {
        emit_run(icount, &b->self, bx->first, bx->count);
        return;
    }
    if (st.n_hist == 0) st.hist_icount = icount;
    st.hist[st.n_hist++] = b;
    st.live = true;
    st.next = icount + b->n_insns;
    find_repeat();
}

static void on_finish(void *udata)
{
    (void)udata;
    flush();
    while (blocks) {
        struct block *n = blocks->next;
        free(blocks);
        blocks = n;
    }
    for (size_t i = 0; i < path_cap; i++)
        for (struct path *p = path_tab[i], *nx; p; p = nx) {
            nx = p->next;
            free(p);
        }
    free(path_tab);
    path_tab = NULL;
    path_cap = path_count = 0;
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
    struct block *b = malloc(sizeof *b);
    if (!b) {
        reprise_error(host, "out of memory");
        return;
    }
    *b = (struct block){ .id = id, .n_insns = n, .next = blocks };
    b->self = (struct path){ .id = next_path_id++, .n_blocks = 1, .n_insns = n, .b = { b } };
    blocks = b;
    emit_path(&b->self);
    reprise_tb_on_exec(tb, on_exec, b);
}

static int install(struct reprise_host *h)
{
    host = h;
    t_block = reprise_table_declare(h, "block", block_cols, 3);
    t_insn = reprise_table_declare(h, "block_insn", insn_cols, 8);
    t_path = reprise_table_declare(h, "path", path_cols, 3);
    t_path_block = reprise_table_declare(h, "path_block", path_block_cols, 5);
    t_exec = reprise_table_declare(h, "block_run", run_cols, 6);
    if (!t_block || !t_insn || !t_path || !t_path_block || !t_exec) return -1;
    reprise_table_index(t_insn, "block_id, idx");
    reprise_table_index(t_insn, "pc");
    reprise_table_index(t_path_block, "path_id, seq");
    /* No index on block_run: id is the time index, and an index on
     * path_id would cost more to build than the scans it saves. */
    /* Symbols are known once every module is mapped: name them at the end
     * (sym() is one of the SQL functions of every connection reprise opens). */
    reprise_sql_at_end(h, "UPDATE block_insn SET symbol = sym(pc)");
    /* block_rep numbers the repetitions of a run (k from 0), so that plain
     * SQL (the sqlite3 shell too) turns a run into its executions: a rowid
     * range, k < repetitions. */
    reprise_sql_at_end(h, "CREATE TABLE block_rep (k INTEGER PRIMARY KEY); "
                          "INSERT INTO block_rep WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL "
                          "SELECT k + 1 FROM s WHERE k < " XSTR(RUN_MAX) " - 1) SELECT k FROM s");
    /* A row of at least the instructions its path holds is that many
     * whole repetitions; any shorter row is part of one execution of a
     * path of one block.
     * CROSS JOIN fixes the loops' order (run, repetition, block of the
     * path, instruction): each a lookup, and a run's rows in time order. */
    reprise_sql_at_end(h,
                       "CREATE VIEW block_exec AS "
                       "SELECT r.icount + k.k * p.n_insns + pb.offset AS icount, "
                       "r.thread AS thread, pb.block_id AS block_id, r.first AS first, "
                       "min(r.n_insns, pb.n_insns) AS n_insns, r.id AS block_run_id, "
                       "k.k AS rep, pb.seq AS seq "
                       "FROM block_run r CROSS JOIN path p ON p.id = r.path_id "
                       "CROSS JOIN block_rep k ON k.k < max(r.n_insns / p.n_insns, 1) "
                       "CROSS JOIN path_block pb ON pb.path_id = r.path_id");
    reprise_sql_at_end(h,
                       "CREATE VIEW insn_exec AS "
                       "SELECT r.icount + k.k * p.n_insns + pb.offset + (i.idx - r.first) AS icount, "
                       "r.thread AS thread, i.pc AS pc, i.size AS size, i.raw AS raw, "
                       "i.class AS class, i.disasm AS disasm, i.symbol AS symbol, "
                       "r.id AS block_run_id "
                       "FROM block_run r CROSS JOIN path p ON p.id = r.path_id "
                       "CROSS JOIN block_rep k ON k.k < max(r.n_insns / p.n_insns, 1) "
                       "CROSS JOIN path_block pb ON pb.path_id = r.path_id "
                       "CROSS JOIN block_insn i ON i.block_id = pb.block_id AND i.idx >= r.first "
                       "AND i.idx < r.first + min(r.n_insns, pb.n_insns)");
    reprise_on_finish(h, on_finish, NULL);
    reprise_on_translate(h, on_translate, NULL);
    return 0;
}

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "insn",
    .summary = "instruction trace: blocks once, a row per run of a repeated path of blocks, views block_exec, insn_exec",
    .args = NULL,
    .install = install,
};

/* The plugin's one exported entry point. */
__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
