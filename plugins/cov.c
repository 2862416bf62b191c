/*
 * cov.c - the `cov` plugin: block coverage. One row per distinct block
 * start pc executed in the window (table `cov`): the block's size, the
 * first icount it was entered at and how often it was entered. Built only
 * against <reprise/plugin.h>.
 *
 * Counting uses block-execution reports (one call per executed block,
 * which the host makes anyway once any plugin translates), not one
 * callback per instruction. A pc translated more than once (after
 * self-modifying code, or when the translation cache is flushed) is one
 * row: the counts of all its translations are summed.
 */
#include <reprise/plugin.h>

#include <stdlib.h>
#include <string.h>

static struct reprise_table *t_cov;

enum { C_ID, C_PC, C_N, C_SIZE, C_FIRST, C_COUNT, C_INSNS };
static const struct reprise_column cov_cols[] = {
    { "id", REPRISE_COL_INT },
    { "pc", REPRISE_COL_INT },           /* block start (guest address) */
    { "n_insns", REPRISE_COL_INT },      /* instructions of the block */
    { "size", REPRISE_COL_INT },         /* bytes of the block */
    { "first_icount", REPRISE_COL_INT }, /* first entry at pc in the window */
    { "count", REPRISE_COL_INT },        /* entries at pc in the window */
    { "insns", REPRISE_COL_INT },        /* instructions of the block retired in the window */
};

/* One distinct block start pc. */
struct block {
    uint64_t pc;
    unsigned n_insns, size;
    uint64_t first_icount;   /* UINT64_MAX: never entered at pc */
    uint64_t count, insns;
};

static struct block *blocks;
static size_t n_blocks, cap_blocks;
/* Open-addressing map pc -> index + 1 into blocks (0: empty slot). */
static uint32_t *slots;
static size_t n_slots;
static struct reprise_host *host;

static size_t slot_of(uint64_t pc)
{
    uint64_t h = pc * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 32) & (n_slots - 1);
}

static bool grow_slots(void)
{
    size_t n = n_slots ? n_slots * 2 : 1024;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s) return false;
    uint32_t *old = slots;
    size_t n_old = n_slots;
    slots = s;
    n_slots = n;
    for (size_t i = 0; i < n_old; i++) {
        if (!old[i]) continue;
        size_t j = slot_of(blocks[old[i] - 1].pc);
        while (slots[j]) j = (j + 1) & (n_slots - 1);
        slots[j] = old[i];
    }
    free(old);
    return true;
}

/* Index of the entry for pc, created if new; SIZE_MAX when out of memory. */
static size_t find_or_add(uint64_t pc)
{
    if (n_slots) {
        for (size_t j = slot_of(pc); slots[j]; j = (j + 1) & (n_slots - 1))
            if (blocks[slots[j] - 1].pc == pc) return slots[j] - 1;
    }
    if ((n_blocks + 1) * 2 > n_slots && !grow_slots()) return SIZE_MAX;
    if (n_blocks == cap_blocks) {
        size_t cap = cap_blocks ? cap_blocks * 2 : 1024;
        struct block *b = realloc(blocks, cap * sizeof *b);
        if (!b || cap > UINT32_MAX - 1) return SIZE_MAX;
        blocks = b;
        cap_blocks = cap;
    }
    size_t i = n_blocks++;
    memset(&blocks[i], 0, sizeof blocks[i]);
    blocks[i].pc = pc;
    blocks[i].first_icount = UINT64_MAX;
    size_t j = slot_of(pc);
    while (slots[j]) j = (j + 1) & (n_slots - 1);
    slots[j] = (uint32_t)(i + 1);
    return i;
}

static void on_exec(void *udata, const struct reprise_block_exec *bx)
{
    struct block *b = &blocks[(uintptr_t)udata];
    /* An execution with first > 0 is the tail of one the window start cut:
     * its instructions count, but it did not enter the block at pc. */
    if (bx->first == 0) {
        if (b->first_icount == UINT64_MAX) b->first_icount = bx->point.icount;
        b->count++;
    }
    b->insns += bx->count;
}

static void on_translate(void *udata, struct reprise_tb *tb)
{
    (void)udata;
    size_t i = find_or_add(reprise_tb_pc(tb));
    if (i == SIZE_MAX) {
        reprise_error(host, "out of memory for %zu blocks", n_blocks);
        return;
    }
    unsigned n = reprise_tb_n_insns(tb), size = 0;
    for (unsigned k = 0; k < n; k++) size += reprise_insn_size(reprise_tb_insn(tb, k));
    /* Translations of one pc can differ in length (code changed); keep the
     * longest, the one a full execution runs. */
    if (n > blocks[i].n_insns) {
        blocks[i].n_insns = n;
        blocks[i].size = size;
    }
    reprise_tb_on_exec(tb, on_exec, (void *)(uintptr_t)i);
}

static void finish(void *udata)
{
    (void)udata;
    int64_t id = 0;
    for (size_t i = 0; i < n_blocks; i++) {
        const struct block *b = &blocks[i];
        if (!b->insns) continue;   /* translated but not executed in the window */
        reprise_row_int(t_cov, C_ID, ++id);
        reprise_row_int(t_cov, C_PC, (int64_t)b->pc);
        reprise_row_int(t_cov, C_N, b->n_insns);
        reprise_row_int(t_cov, C_SIZE, b->size);
        if (b->first_icount != UINT64_MAX) reprise_row_int(t_cov, C_FIRST, (int64_t)b->first_icount);
        reprise_row_int(t_cov, C_COUNT, (int64_t)b->count);
        reprise_row_int(t_cov, C_INSNS, (int64_t)b->insns);
        reprise_row_end(t_cov);
    }
    free(blocks);
    free(slots);
    blocks = NULL;
    slots = NULL;
    n_blocks = cap_blocks = n_slots = 0;
}

static int install(struct reprise_host *h)
{
    host = h;
    t_cov = reprise_table_declare(h, "cov", cov_cols, 7);
    if (!t_cov) return -1;
    reprise_table_index(t_cov, "pc");
    reprise_on_translate(h, on_translate, NULL);
    reprise_on_finish(h, finish, NULL);
    return 0;
}

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "cov",
    .summary = "block coverage: one row per block start pc, first icount, execution count",
    .args = NULL,
    .install = install,
};

/* The plugin's one exported entry point. */
__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
