/*
 * sqlfn.c - SQL functions of the trace database (see sqlfn.h and
 * docs/trace-schema.md, "Functions").
 *
 * sym() and line() answer from sorted in-memory copies of the `symbol` and
 * `line` tables, one per connection. A copy is rebuilt when the pair
 * (SQLITE_FCNTL_DATA_VERSION, sqlite3_total_changes64) moved: the first
 * changes when another connection commits (and on this connection's
 * commits), the second when a statement of this connection completes an
 * INSERT/UPDATE/DELETE. Neither moves while one statement runs, so an
 * `UPDATE block_insn SET symbol = sym(pc)` over a million rows pays one
 * rebuild, not one per row.
 *
 * mem_history() and calls() are eponymous virtual tables whose arguments
 * are hidden columns (https://sqlite.org/vtab.html#tabfunc2), each cursor
 * running one prepared query over the underlying table.
 */
#include "sqlfn.h"

#include "isa.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sym_ent {
    int64_t addr, size, module_id, id;
    size_t name;   /* offset in names */
    int bind;      /* 0 global, 1 weak, 2 local */
    bool func;
};

struct mod_span {
    int64_t module_id, lo, hi;  /* [lo, hi) covered by the module's symbols */
};

struct line_ent {
    int64_t addr, id;
    size_t file;   /* offset of the base name in files; SIZE_MAX: end of sequence */
    int64_t line;
};

struct strbuf {
    char *p;
    size_t len, cap;
};

struct tsql_state {
    int refs;
    sqlite3 *db;
    bool keyed, sym_ok, line_ok;
    unsigned data_version;
    sqlite3_int64 changes;

    struct sym_ent *syms;
    size_t nsyms;
    int64_t *maxend;      /* maxend[i]: largest addr+size among syms[0..i] */
    size_t *prevfunc;     /* prevfunc[i]: nearest func at or before i, SIZE_MAX if none */
    struct mod_span *mods;
    size_t nmods;
    struct strbuf names;

    struct line_ent *lines;
    size_t nlines;
    struct strbuf files;
};

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static size_t sb_add(struct strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return SIZE_MAX;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->p[b->len + n] = 0;
    size_t off = b->len;
    b->len += n + 1;
    return off;
}

/* An integer argument: false for NULL, reals, blobs and non-numeric text. */
static bool int_arg(sqlite3_value *v, int64_t *out)
{
    if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER) return false;
    *out = sqlite3_value_int64(v);
    return true;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static bool table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type IN ('table', 'view') "
                               "AND name = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

/* ------------------------------------------------------------------ */
/* The caches                                                           */

static void drop_syms(struct tsql_state *s)
{
    free(s->syms);
    free(s->maxend);
    free(s->prevfunc);
    free(s->mods);
    free(s->names.p);
    s->syms = NULL;
    s->maxend = NULL;
    s->prevfunc = NULL;
    s->mods = NULL;
    s->names = (struct strbuf){ 0 };
    s->nsyms = s->nmods = 0;
    s->sym_ok = false;
}

static void drop_lines(struct tsql_state *s)
{
    free(s->lines);
    free(s->files.p);
    s->lines = NULL;
    s->files = (struct strbuf){ 0 };
    s->nlines = 0;
    s->line_ok = false;
}

/* Forgets both copies if the database changed since they were made. */
static void check_fresh(struct tsql_state *s)
{
    /* The pager notices other connections' commits when a read
     * transaction starts; a statement that reads no table (SELECT sym(1))
     * starts none, so start one here to look. */
    if (sqlite3_txn_state(s->db, "main") == SQLITE_TXN_NONE) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_schema LIMIT 1", -1, &st, NULL) ==
            SQLITE_OK)
            sqlite3_step(st);
        sqlite3_finalize(st);
    }
    unsigned dv = 0;
    sqlite3_file_control(s->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv);
    sqlite3_int64 ch = sqlite3_total_changes64(s->db);
    if (s->keyed && dv == s->data_version && ch == s->changes) return;
    s->keyed = true;
    s->data_version = dv;
    s->changes = ch;
    drop_syms(s);
    drop_lines(s);
}

/* Which of several symbols at one address names it: the one objdump
 * shows (binutils objdump.c, compare_symbols): functions first, then
 * global before weak before local, the larger size, names not starting
 * with '.', then the name in strcmp order. < 0 when x is preferred. */
static int sym_pref(const struct sym_ent *x, const struct sym_ent *y, const char *names)
{
    if (x->func != y->func) return x->func ? -1 : 1;
    if (x->bind != y->bind) return x->bind < y->bind ? -1 : 1;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    const char *a = names + x->name, *b = names + y->name;
    if ((a[0] == '.') != (b[0] == '.')) return a[0] == '.' ? 1 : -1;
    int c = strcmp(a, b);
    if (c) return c;
    return x->id < y->id ? -1 : x->id > y->id;  /* the first inserted */
}

/* By address; among equal addresses the preferred symbol last, where a
 * downward scan meets it first. */
static int sym_cmp(const void *a, const void *b, void *names)
{
    const struct sym_ent *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return -sym_pref(x, y, names);
}

static int mod_cmp(const void *a, const void *b)
{
    const struct mod_span *x = a, *y = b;
    return x->module_id < y->module_id ? -1 : x->module_id > y->module_id;
}

static int build_syms(struct tsql_state *s)
{
    drop_syms(s);
    s->sym_ok = true;  /* an absent table is an empty one */
    if (!table_exists(s->db, "symbol")) return 0;
    sqlite3_stmt *st = NULL;
    /* `bind` is optional: without it every symbol counts as global. */
    if (sqlite3_prepare_v2(s->db, "SELECT id, module_id, name, addr, size, kind, bind "
                                  "FROM symbol WHERE name IS NOT NULL AND addr IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK &&
        sqlite3_prepare_v2(s->db, "SELECT id, module_id, name, addr, size, kind, NULL "
                                  "FROM symbol WHERE name IS NOT NULL AND addr IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return 0;  /* a table of another shape: no symbols */
    }
    size_t cap = 0;
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->nsyms == cap) {
            cap = cap ? cap * 2 : 1024;
            struct sym_ent *v = realloc(s->syms, cap * sizeof *v);
            if (!v) {
                rc = SQLITE_NOMEM;
                break;
            }
            s->syms = v;
        }
        const char *name = (const char *)sqlite3_column_text(st, 2);
        const char *kind = (const char *)sqlite3_column_text(st, 5);
        if (!name) continue;
        struct sym_ent *e = &s->syms[s->nsyms];
        e->id = sqlite3_column_int64(st, 0);
        e->module_id = sqlite3_column_int64(st, 1);
        e->addr = sqlite3_column_int64(st, 3);
        e->size = sqlite3_column_int64(st, 4);
        if (e->size < 0) e->size = 0;
        const char *bind = (const char *)sqlite3_column_text(st, 6);
        e->func = kind && !strcmp(kind, "func");
        e->bind = !bind ? 0 : !strcmp(bind, "weak") ? 1 : !strcmp(bind, "local") ? 2 : 0;
        e->name = sb_add(&s->names, name, strlen(name));
        if (e->name == SIZE_MAX) {
            rc = SQLITE_NOMEM;
            break;
        }
        s->nsyms++;
    }
    sqlite3_finalize(st);
    if (rc || (step != SQLITE_DONE && step != SQLITE_ROW)) {
        drop_syms(s);
        return rc ? rc : SQLITE_ERROR;
    }
    if (!s->nsyms) return 0;
    qsort_r(s->syms, s->nsyms, sizeof *s->syms, sym_cmp, s->names.p);
    s->maxend = malloc(s->nsyms * sizeof *s->maxend);
    s->prevfunc = malloc(s->nsyms * sizeof *s->prevfunc);
    s->mods = malloc(s->nsyms * sizeof *s->mods);
    if (!s->maxend || !s->prevfunc || !s->mods) {
        drop_syms(s);
        return SQLITE_NOMEM;
    }
    int64_t m = INT64_MIN;
    size_t pf = SIZE_MAX;
    for (size_t i = 0; i < s->nsyms; i++) {
        const struct sym_ent *e = &s->syms[i];
        int64_t end = sat_add(e->addr, e->size);
        if (end > m) m = end;
        s->maxend[i] = m;
        if (e->func) pf = i;
        s->prevfunc[i] = pf;
        /* module spans: one entry per symbol, merged below */
        s->mods[i] = (struct mod_span){ e->module_id, e->addr, sat_add(e->addr, e->size ? e->size : 1) };
    }
    qsort(s->mods, s->nsyms, sizeof *s->mods, mod_cmp);
    size_t k = 0;
    for (size_t i = 0; i < s->nsyms; i++) {
        if (k && s->mods[k - 1].module_id == s->mods[i].module_id) {
            if (s->mods[i].lo < s->mods[k - 1].lo) s->mods[k - 1].lo = s->mods[i].lo;
            if (s->mods[i].hi > s->mods[k - 1].hi) s->mods[k - 1].hi = s->mods[i].hi;
        } else {
            s->mods[k++] = s->mods[i];
        }
    }
    s->nmods = k;
    return 0;
}

/* Index of the last entry with addr <= pc in an array sorted by addr, or
 * SIZE_MAX if none. */
#define LAST_LE(arr, n, pc)                                                                   \
    ({                                                                                        \
        size_t lo_ = 0, hi_ = (n);                                                            \
        while (lo_ < hi_) {                                                                   \
            size_t mid_ = lo_ + (hi_ - lo_) / 2;                                              \
            if ((arr)[mid_].addr <= (pc)) lo_ = mid_ + 1;                                     \
            else hi_ = mid_;                                                                  \
        }                                                                                     \
        lo_ ? lo_ - 1 : SIZE_MAX;                                                             \
    })

static const struct mod_span *find_mod(const struct tsql_state *s, int64_t module_id)
{
    size_t lo = 0, hi = s->nmods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->mods[mid].module_id == module_id) return &s->mods[mid];
        if (s->mods[mid].module_id < module_id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The symbol naming pc (see docs/trace-schema.md, sym()), or NULL. */
static const struct sym_ent *sym_lookup(struct tsql_state *s, int64_t pc)
{
    check_fresh(s);
    if (!s->sym_ok && build_syms(s)) return NULL;
    size_t i = LAST_LE(s->syms, s->nsyms, pc);
    if (i == SIZE_MAX) return NULL;
    /* Sized symbols containing pc: the greatest start wins (the innermost
     * of nested ones); scanning down stops once nothing before can reach pc. */
    for (size_t j = i + 1; j-- > 0 && s->maxend[j] > pc;) {
        const struct sym_ent *e = &s->syms[j];
        if (e->size > 0 && (uint64_t)pc - (uint64_t)e->addr < (uint64_t)e->size) return e;
    }
    size_t f = s->prevfunc[i];
    if (f == SIZE_MAX) return NULL;
    const struct mod_span *m = find_mod(s, s->syms[f].module_id);
    if (!m || pc < m->lo || pc >= m->hi) return NULL;
    return &s->syms[f];
}

static int line_cmp(const void *a, const void *b)
{
    const struct line_ent *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    bool xe = x->file == SIZE_MAX, ye = y->file == SIZE_MAX;
    if (xe != ye) return xe ? -1 : 1;  /* a sequence starting where one ends wins */
    return x->id < y->id ? -1 : x->id > y->id;  /* the last row at an address wins */
}

static int build_lines(struct tsql_state *s)
{
    drop_lines(s);
    s->line_ok = true;
    if (!table_exists(s->db, "line")) return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT id, addr, file, line FROM line WHERE addr IS NOT NULL "
                                  "ORDER BY addr, id", -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return 0;
    }
    size_t cap = 0;
    int rc = 0, step;
    const char *prev_file = NULL;
    size_t prev_off = SIZE_MAX, prev_len = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->nlines == cap) {
            cap = cap ? cap * 2 : 4096;
            struct line_ent *v = realloc(s->lines, cap * sizeof *v);
            if (!v) {
                rc = SQLITE_NOMEM;
                break;
            }
            s->lines = v;
        }
        struct line_ent *e = &s->lines[s->nlines];
        e->id = sqlite3_column_int64(st, 0);
        e->addr = sqlite3_column_int64(st, 1);
        const char *file = (const char *)sqlite3_column_text(st, 2);
        if (!file || sqlite3_column_type(st, 3) == SQLITE_NULL) {
            e->file = SIZE_MAX;
            e->line = 0;
        } else {
            const char *slash = strrchr(file, '/');
            const char *base = slash && slash[1] ? slash + 1 : file;
            size_t n = strlen(base);
            /* Neighbouring rows mostly share a file: reuse its copy. */
            if (prev_off != SIZE_MAX && n == prev_len && !memcmp(prev_file, base, n)) {
                e->file = prev_off;
            } else {
                e->file = sb_add(&s->files, base, n);
                if (e->file == SIZE_MAX) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                prev_off = e->file;
                prev_len = n;
            }
            prev_file = s->files.p + prev_off;
            e->line = sqlite3_column_int64(st, 3);
        }
        s->nlines++;
    }
    sqlite3_finalize(st);
    if (rc || step != SQLITE_DONE) {
        drop_lines(s);
        return rc ? rc : SQLITE_ERROR;
    }
    if (s->nlines) qsort(s->lines, s->nlines, sizeof *s->lines, line_cmp);
    return 0;
}

static const struct line_ent *line_lookup(struct tsql_state *s, int64_t pc)
{
    check_fresh(s);
    if (!s->line_ok && build_lines(s)) return NULL;
    size_t i = LAST_LE(s->lines, s->nlines, pc);
    if (i == SIZE_MAX || s->lines[i].file == SIZE_MAX) return NULL;
    return &s->lines[i];
}

static void result_sym(sqlite3_context *ctx, struct tsql_state *s, sqlite3_value *arg)
{
    int64_t pc;
    const struct sym_ent *e;
    if (!int_arg(arg, &pc) || !(e = sym_lookup(s, pc))) {
        sqlite3_result_null(ctx);
        return;
    }
    const char *name = s->names.p + e->name;
    if (pc == e->addr) {
        sqlite3_result_text(ctx, name, -1, SQLITE_TRANSIENT);
        return;
    }
    char *t = sqlite3_mprintf("%s+0x%llx", name, (unsigned long long)(pc - e->addr));
    if (!t) sqlite3_result_error_nomem(ctx);
    else sqlite3_result_text(ctx, t, -1, sqlite3_free);
}

static void result_line(sqlite3_context *ctx, struct tsql_state *s, sqlite3_value *arg)
{
    int64_t pc;
    const struct line_ent *e;
    if (!int_arg(arg, &pc) || !(e = line_lookup(s, pc))) {
        sqlite3_result_null(ctx);
        return;
    }
    char *t = sqlite3_mprintf("%s:%lld", s->files.p + e->file, (long long)e->line);
    if (!t) sqlite3_result_error_nomem(ctx);
    else sqlite3_result_text(ctx, t, -1, sqlite3_free);
}

/* ------------------------------------------------------------------ */
/* Scalar functions                                                     */

static void fn_disasm(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t raw, pc = 0;
    if (!int_arg(argv[0], &raw) || raw < 0 || raw > 0xffffffffll) {
        sqlite3_result_null(ctx);
        return;
    }
    if (argc > 1 && !int_arg(argv[1], &pc)) {
        sqlite3_result_null(ctx);
        return;
    }
    struct rv_decoded d;
    char buf[96];
    /* The same text the tracer stores in block_insn.disasm (tracer.c). */
    if (rv_decode((uint32_t)raw, &d) == 0) rv_disas(&d, (uint64_t)pc, buf, sizeof buf);
    else snprintf(buf, sizeof buf, ".insn 0x%x", (unsigned)raw);
    sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void fn_sym(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    result_sym(ctx, sqlite3_user_data(ctx), argv[0]);
}

static void fn_line(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    result_line(ctx, sqlite3_user_data(ctx), argv[0]);
}

/* icount_id()'s statements for one table, kept with its first argument
 * (sqlite3_set_auxdata) while that is a constant of the calling statement. */
struct time_probe {
    sqlite3_stmt *bounds; /* min(rowid), max(rowid) */
    sqlite3_stmt *at;     /* the first row at or after a rowid, with its icount */
};

static void probe_free(void *p)
{
    struct time_probe *t = p;
    sqlite3_finalize(t->bounds);
    sqlite3_finalize(t->at);
    sqlite3_free(t);
}

/* Looks name up in meta's icount_ordered (space-separated names): 1
 * listed, 0 not listed, -1 no such key or no meta table (a trace written
 * before schema version 2, or not a trace). */
static int listed_ordered(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    int found = -1;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'icount_ordered'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        size_t n = strlen(name);
        found = 0;
        for (const char *p = v; p && *p; p += strcspn(p, " "), p += strspn(p, " "))
            if (strncmp(p, name, n) == 0 && (p[n] == ' ' || p[n] == 0)) found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

static struct time_probe *probe_open(sqlite3_context *ctx, const char *name)
{
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    int listed = listed_ordered(db, name);
    if (listed <= 0) {
        char *m = listed < 0 ? sqlite3_mprintf("icount_id: the database records no table's "
                                               "icount order (meta key icount_ordered: a "
                                               "trace of schema version 2 or later needed)")
                             : sqlite3_mprintf("icount_id: table %s is not stored in icount "
                                               "order (meta key icount_ordered lists those "
                                               "that are)", name);
        sqlite3_result_error(ctx, m ? m : "icount_id: out of memory", -1);
        sqlite3_free(m);
        return NULL;
    }
    struct time_probe *t = sqlite3_malloc(sizeof *t);
    /* Each its own subquery: SQLite answers a lone min() or max() of the
     * rowid from the B-tree ends, both in one SELECT by a scan. */
    char *q1 = sqlite3_mprintf("SELECT (SELECT min(rowid) FROM \"%w\"), "
                               "(SELECT max(rowid) FROM \"%w\")", name, name);
    char *q2 = sqlite3_mprintf("SELECT rowid, icount FROM \"%w\" WHERE rowid >= ?1 "
                               "ORDER BY rowid LIMIT 1", name);
    if (t) *t = (struct time_probe){ 0 };
    if (!t || !q1 || !q2) {
        sqlite3_result_error_nomem(ctx);
    } else if (sqlite3_prepare_v2(db, q1, -1, &t->bounds, NULL) != SQLITE_OK ||
               sqlite3_prepare_v2(db, q2, -1, &t->at, NULL) != SQLITE_OK) {
        char *m = sqlite3_mprintf("icount_id: table %s: %s", name, sqlite3_errmsg(db));
        sqlite3_result_error(ctx, m ? m : "icount_id: out of memory", -1);
        sqlite3_free(m);
    } else {
        sqlite3_free(q1);
        sqlite3_free(q2);
        return t;
    }
    sqlite3_free(q1);
    sqlite3_free(q2);
    if (t) probe_free(t);
    return NULL;
}

/* The icount of the first row at or after rowid `from`: 1 with *id and
 * *icount set, 0 if there is none, -1 on an SQLite error. */
static int probe_at(struct time_probe *t, int64_t from, int64_t *id, int64_t *icount)
{
    sqlite3_bind_int64(t->at, 1, from);
    int rc = sqlite3_step(t->at);
    int r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (r == 1) {
        *id = sqlite3_column_int64(t->at, 0);
        *icount = sqlite3_column_int64(t->at, 1);
    }
    sqlite3_reset(t->at);
    return r;
}

/* Sets ctx's result to the rowid of the first row whose icount is at
 * least want (one past the last rowid if none, 1 for an empty table): a
 * binary search over rowids, each step one rowid lookup. */
static void time_search(sqlite3_context *ctx, struct time_probe *t, int64_t want)
{
    if (sqlite3_step(t->bounds) != SQLITE_ROW) {
        sqlite3_reset(t->bounds);
        sqlite3_result_error(ctx, "icount_id: cannot read the table's rowids", -1);
        return;
    }
    bool empty = sqlite3_column_type(t->bounds, 0) == SQLITE_NULL;
    int64_t lo = sqlite3_column_int64(t->bounds, 0), last = sqlite3_column_int64(t->bounds, 1);
    sqlite3_reset(t->bounds);
    if (empty) {
        sqlite3_result_int64(ctx, 1);
        return;
    }
    /* The answer is `best` or a rowid in [lo, hi) not yet looked at. */
    int64_t best = sat_add(last, 1), hi = best;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2, id, icount;
        int r = probe_at(t, mid, &id, &icount);
        if (r < 0) {
            sqlite3_result_error(ctx, "icount_id: cannot read the table", -1);
            return;
        }
        if (r == 0 || id >= hi) {
            hi = mid;           /* no row in [mid, hi) */
        } else if (icount >= want) {
            best = id;          /* and no row in [mid, id) */
            hi = mid;
        } else {
            lo = id + 1;        /* rows up to id are all earlier */
        }
    }
    sqlite3_result_int64(ctx, best);
}

/* icount_id(table, icount): the rowid (the id) of the first row of `table`
 * whose icount is at least `icount`, or one past the last rowid (1 for an
 * empty table), so that `id >= icount_id(t, a) AND id < icount_id(t, b)`
 * is the window [a, b) as a rowid range. Correct only where rowid order is
 * time order, so only tables that meta's icount_ordered lists (the writer
 * saw their rows arrive in icount order) are accepted; an error otherwise.
 * NULL for a NULL table or a non-integer icount. */
static void fn_icount_id(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    int64_t want;
    if (!name || !int_arg(argv[1], &want)) {
        sqlite3_result_null(ctx);
        return;
    }
    /* The statements stay with the table argument while it is a constant
     * of the calling statement: one preparation per query, not per row. */
    struct time_probe *t = sqlite3_get_auxdata(ctx, 0);
    if (t) {
        time_search(ctx, t, want);
        return;
    }
    if (!(t = probe_open(ctx, name))) return;
    time_search(ctx, t, want);
    sqlite3_set_auxdata(ctx, 0, t, probe_free); /* t may be freed here */
}

/* ------------------------------------------------------------------ */
/* Table-valued functions                                               */

/* One description per function: the declared columns (hidden ones last,
 * they are the arguments), the query over the underlying table and how
 * its result columns map onto the declared ones. */
struct tvf {
    const char *name;
    const char *decl;
    const char *table, *plugin;
    int ncols;      /* visible columns */
    int nargs;      /* hidden argument columns, after the visible ones */
    int sym_col;    /* visible column computed as sym(query column src_pc) */
    int line_col;   /* visible column computed as line(query column 2), -1: none */
    int src_pc;     /* query column holding the pc for sym_col */
};

enum { MH_ICOUNT, MH_THREAD, MH_PC, MH_ADDR, MH_SIZE, MH_VALUE, MH_KIND, MH_SYM, MH_LINE };
enum { CL_ID, CL_THREAD, CL_ICOUNT, CL_END, CL_DURATION, CL_DEPTH, CL_CALLER, CL_ARG0,
       CL_RET = CL_ARG0 + 6 };

/* The largest access the mem plugin can record, in bytes (RV64GC's is 8;
 * room for 16-byte ones): bounds the addr index range a lookup scans. */
#define MEM_MAX_ACCESS 16

static const struct tvf tvf_mem = {
    "mem_history",
    "CREATE TABLE x(icount, thread, pc, addr, size, value, kind, sym, line, "
    "range_addr HIDDEN, range_len HIDDEN)",
    "mem", "mem", 9, 2, MH_SYM, MH_LINE, MH_PC,
};

static const struct tvf tvf_calls = {
    "calls",
    "CREATE TABLE x(id, thread, icount, end_icount, duration, depth, caller, "
    "arg0, arg1, arg2, arg3, arg4, arg5, ret, insns, name HIDDEN)",
    "call", "call", 15, 1, CL_CALLER, -1, CL_CALLER,
};

struct tv_vtab {
    sqlite3_vtab base;
    struct tsql_state *s;
    const struct tvf *f;
};

struct tv_cursor {
    sqlite3_vtab_cursor base;
    sqlite3_stmt *st;
    bool eof;
    sqlite3_int64 rowid;
    sqlite3_value *args[2];
};

static int tv_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                      sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    struct tsql_state *s = aux;
    const struct tvf *f = NULL;
    /* The module name (argv[0]) tells the two apart; aux is shared. */
    if (!strcmp(argv[0], tvf_mem.name)) f = &tvf_mem;
    else if (!strcmp(argv[0], tvf_calls.name)) f = &tvf_calls;
    if (!f) return SQLITE_ERROR;
    int rc = sqlite3_declare_vtab(db, f->decl);
    if (rc != SQLITE_OK) return rc;
    struct tv_vtab *v = sqlite3_malloc(sizeof *v);
    if (!v) return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->s = s;
    v->f = f;
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    *out = &v->base;
    return SQLITE_OK;
}

static int tv_disconnect(sqlite3_vtab *vt)
{
    sqlite3_free(vt);
    return SQLITE_OK;
}

/* The arguments must be equality constraints on the hidden columns; a plan
 * that cannot supply them is refused (SQLITE_CONSTRAINT), and a call
 * without them is reported by xFilter (idxNum tells which were given). */
static int tv_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    const struct tv_vtab *v = (const struct tv_vtab *)vt;
    int have = 0, unusable = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        int a = c->iColumn - v->f->ncols;
        if (a < 0 || a >= v->f->nargs || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
        if (!c->usable) {
            unusable |= 1 << a;
            continue;
        }
        if (have & (1 << a)) continue;
        have |= 1 << a;
        info->aConstraintUsage[i].argvIndex = a + 1;
        info->aConstraintUsage[i].omit = 1;
    }
    if (unusable & ~have) return SQLITE_CONSTRAINT;
    info->idxNum = have;
    info->estimatedCost = have == (1 << v->f->nargs) - 1 ? 100.0 : 1e12;
    info->estimatedRows = 100;
    /* Rows come out in icount order (column 0 of mem_history, 2 of calls). */
    int order_col = v->f == &tvf_mem ? MH_ICOUNT : CL_ICOUNT;
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == order_col && !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    return SQLITE_OK;
}

static int tv_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    (void)vt;
    struct tv_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static void cursor_reset(struct tv_cursor *c)
{
    sqlite3_finalize(c->st);
    c->st = NULL;
    for (int i = 0; i < 2; i++) {
        sqlite3_value_free(c->args[i]);
        c->args[i] = NULL;
    }
    c->eof = true;
    c->rowid = 0;
}

static int tv_close(sqlite3_vtab_cursor *cur)
{
    cursor_reset((struct tv_cursor *)cur);
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int vt_error(sqlite3_vtab *vt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    return SQLITE_ERROR;
}

static int tv_step(struct tv_cursor *c)
{
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW) {
        c->rowid++;
        return SQLITE_OK;
    }
    c->eof = true;
    if (rc == SQLITE_DONE) return SQLITE_OK;
    sqlite3 *db = sqlite3_db_handle(c->st);
    return vt_error(c->base.pVtab, "%s: %s", ((struct tv_vtab *)c->base.pVtab)->f->name,
                    sqlite3_errmsg(db));
}

static int tv_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                     sqlite3_value **argv)
{
    (void)idx_str;
    struct tv_cursor *c = (struct tv_cursor *)cur;
    struct tv_vtab *v = (struct tv_vtab *)cur->pVtab;
    const struct tvf *f = v->f;
    cursor_reset(c);
    if (idx_num != (1 << f->nargs) - 1 || argc != f->nargs)
        return vt_error(cur->pVtab, "%s: usage: %s", f->name,
                        f == &tvf_mem ? "mem_history(addr, len)" : "calls(name)");
    for (int i = 0; i < argc; i++)
        if (!(c->args[i] = sqlite3_value_dup(argv[i]))) return SQLITE_NOMEM;
    sqlite3 *db = v->s->db;
    if (!table_exists(db, f->table))
        return vt_error(cur->pVtab, "no table %s: expand with -p %s", f->table, f->plugin);
    const char *sql;
    if (f == &tvf_mem) {
        int64_t addr, len;
        /* NULL arguments select nothing, as `addr = NULL` would. */
        if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
            return SQLITE_OK;
        if (!int_arg(argv[0], &addr) || !int_arg(argv[1], &len))
            return vt_error(cur->pVtab, "%s: addr and len must be integers", f->name);
        if (len <= 0) return SQLITE_OK;
        /* addr >= lo - (MAX-1) lets the mem(addr) index bound the scan;
         * the overlap test itself is addr < hi AND addr + size > lo. */
        sql = "SELECT icount, thread, pc, addr, size, value, kind FROM mem "
              "WHERE addr >= ?1 AND addr < ?2 AND addr + size > ?3 ORDER BY icount, rowid";
        if (sqlite3_prepare_v2(db, sql, -1, &c->st, NULL) != SQLITE_OK) goto sql_error;
        sqlite3_bind_int64(c->st, 1, sat_add(addr, -(MEM_MAX_ACCESS - 1)));
        sqlite3_bind_int64(c->st, 2, sat_add(addr, len));
        sqlite3_bind_int64(c->st, 3, addr);
    } else {
        if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return SQLITE_OK;
        sql = "SELECT id, thread, icount, end_icount, end_icount - icount, depth, call_pc, "
              "arg0, arg1, arg2, arg3, arg4, arg5, ret, insns FROM call "
              "WHERE symbol = ?1 ORDER BY icount, id";
        if (sqlite3_prepare_v2(db, sql, -1, &c->st, NULL) != SQLITE_OK) goto sql_error;
        sqlite3_bind_value(c->st, 1, argv[0]);
    }
    c->eof = false;
    return tv_step(c);
sql_error:
    sqlite3_finalize(c->st);
    c->st = NULL;
    return vt_error(cur->pVtab, "%s: table %s: %s", f->name, f->table, sqlite3_errmsg(db));
}

static int tv_next(sqlite3_vtab_cursor *cur)
{
    return tv_step((struct tv_cursor *)cur);
}

static int tv_eof(sqlite3_vtab_cursor *cur)
{
    return ((struct tv_cursor *)cur)->eof;
}

static int tv_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    struct tv_cursor *c = (struct tv_cursor *)cur;
    struct tv_vtab *v = (struct tv_vtab *)cur->pVtab;
    const struct tvf *f = v->f;
    if (col >= f->ncols) {
        int a = col - f->ncols;
        if (a < 2 && c->args[a]) sqlite3_result_value(ctx, c->args[a]);
        return SQLITE_OK;
    }
    if (col == f->sym_col) {
        result_sym(ctx, v->s, sqlite3_column_value(c->st, f->src_pc));
        return SQLITE_OK;
    }
    if (col == f->line_col) {
        result_line(ctx, v->s, sqlite3_column_value(c->st, MH_PC));
        return SQLITE_OK;
    }
    sqlite3_result_value(ctx, sqlite3_column_value(c->st, col));
    return SQLITE_OK;
}

static int tv_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((struct tv_cursor *)cur)->rowid;
    return SQLITE_OK;
}

static const sqlite3_module tv_module = {
    .iVersion = 0,
    .xCreate = NULL,  /* eponymous only: no CREATE VIRTUAL TABLE */
    .xConnect = tv_connect,
    .xBestIndex = tv_best_index,
    .xDisconnect = tv_disconnect,
    .xOpen = tv_open,
    .xClose = tv_close,
    .xFilter = tv_filter,
    .xNext = tv_next,
    .xEof = tv_eof,
    .xColumn = tv_column,
    .xRowid = tv_rowid,
};

/* ------------------------------------------------------------------ */
/* Registration                                                         */

static void state_unref(void *p)
{
    struct tsql_state *s = p;
    if (--s->refs > 0) return;
    drop_syms(s);
    drop_lines(s);
    free(s);
}

int tsql_register(sqlite3 *db)
{
    struct tsql_state *s = calloc(1, sizeof *s);
    if (!s) return SQLITE_NOMEM;
    s->db = db;
    s->refs = 1;  /* ours, until the end of this function */
    const int det = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    /* sym() and line() read tables: not deterministic across statements. */
    const int tab = SQLITE_UTF8 | SQLITE_INNOCUOUS;
    int rc = sqlite3_create_function_v2(db, "disasm", 1, det, NULL, fn_disasm, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "disasm", 2, det, NULL, fn_disasm, NULL, NULL, NULL);
    /* Each registration holds a reference; SQLite drops it when the
     * function is replaced, the connection closes, or registration fails. */
    if (rc == SQLITE_OK) {
        s->refs++;
        rc = sqlite3_create_function_v2(db, "sym", 1, tab, s, fn_sym, NULL, NULL, state_unref);
    }
    if (rc == SQLITE_OK) {
        s->refs++;
        rc = sqlite3_create_function_v2(db, "line", 1, tab, s, fn_line, NULL, NULL, state_unref);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "icount_id", 2, tab, NULL, fn_icount_id, NULL, NULL,
                                        NULL);
    if (rc == SQLITE_OK) {
        s->refs++;
        rc = sqlite3_create_module_v2(db, tvf_mem.name, &tv_module, s, state_unref);
    }
    if (rc == SQLITE_OK) {
        s->refs++;
        rc = sqlite3_create_module_v2(db, tvf_calls.name, &tv_module, s, state_unref);
    }
    state_unref(s);
    return rc;
}
