/*
 * db.c - the batched SQLite writer of the trace database (see db.h).
 *
 * Rows are buffered per table in chunks of CHUNK_ROWS; a full chunk goes to
 * the writer thread, which writes it with one prepared statement,
 * `INSERT INTO t SELECT c0, c1, ... FROM tdb_chunk`, where tdb_chunk is a
 * virtual table reading the chunk (cheaper per row than binding parameters
 * of multi-row VALUES), while the replay fills the next chunk, so the
 * replay and SQLite run on two cores. The queue is bounded (QUEUE_MAX
 * chunks): a replay faster than SQLite waits. The connection is used by one
 * thread at a time: the writer while it writes a chunk, the replay thread
 * (tdb_exec, tdb_sqlite, tdb_finish) only after waiting for the queue to
 * empty. The load runs in transactions of COMMIT_ROWS rows with journaling
 * and syncing off (a failed expansion leaves a file to delete, not a
 * database to recover). Indexes are created after the load.
 */
#include "db.h"
#include "sqlfn.h"

#include "reprise/plugin.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COMMIT_ROWS (1u << 20)
/* Rows handed to the writer thread at a time (one table's), and how many
 * such chunks may wait for it: the replay runs at most QUEUE_MAX chunks
 * ahead of SQLite, then waits. */
#define CHUNK_ROWS 4096
#define QUEUE_MAX 4

/* A value of the row buffer: its type is kept apart (struct chunk). */
union val {
    int64_t i;
    double d;
    struct { uint32_t off, len; } b; /* text/blob bytes in the chunk's arena */
};

/* CHUNK_ROWS rows of one table, filled by the replay thread and written by
 * the writer thread. */
struct chunk {
    struct tdb_table *t;
    unsigned nrows;
    union val *vals;         /* CHUNK_ROWS * ncols */
    unsigned char *types;    /* the same, 0: NULL, else enum reprise_col_type */
    char *arena;
    size_t arena_len, arena_cap;
    struct chunk *next;      /* in the queue or the table's free list */
};

struct tdb_table {
    struct tdb *db;
    char *name;
    size_t ncols;
    sqlite3_stmt *insert;    /* INSERT ... SELECT ... FROM tdb_chunk */
    struct chunk *fill;      /* rows being set (replay thread) */
    struct chunk *free;      /* written chunks to reuse (under db->mu) */
    /* Whether rowid order is time order (tdb_icount_ordered): rows were
     * ended in non-decreasing order of an integer `icount` column
     * (icount_col, -1 if none) and with increasing rowids: SQLite's own
     * (max + 1) or an `id` primary key (id_col, -1 if none) set higher
     * than the last. */
    int icount_col, id_col;
    bool disordered;
    bool any;                /* a row was ended: the last_* are valid */
    int64_t last_icount, last_id;
    struct tdb_table *next;
};

struct tdb {
    sqlite3 *h;
    struct tdb_table *tables;
    char **end_sql;
    size_t n_end;
    double end_secs;         /* spent in tdb_finish's indexes and deferred SQL */
    uint64_t rows;           /* rows ended (replay thread) */
    uint64_t uncommitted;    /* writer thread */
    const struct chunk *writing; /* what tdb_chunk reads (writer thread) */
    /* The writer thread and its queue (FIFO of full chunks). */
    pthread_t writer;
    bool have_writer;
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* any change of the fields below */
    struct chunk *head, *tail;
    unsigned queued;
    bool busy;               /* the writer holds a chunk */
    bool quit;
    int failed;              /* the writer failed (atomic; message in err) */
    char err[512];           /* first error (under mu once the writer runs) */
};

static void set_err(struct tdb *db, const char *fmt, ...)
{
    char msg[sizeof db->err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (db->have_writer) pthread_mutex_lock(&db->mu);
    if (!db->err[0]) memcpy(db->err, msg, sizeof msg);
    if (db->have_writer) pthread_mutex_unlock(&db->mu);
}

/* Runs SQL on the connection, by whichever thread holds it. */
static int exec_now(struct tdb *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(db, "%s (in: %.200s)", msg ? msg : "SQL error", sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Waits until the writer thread has written every chunk handed to it: the
 * connection is then the caller's until it hands over the next chunk. */
static void drain(struct tdb *db)
{
    if (!db->have_writer) return;
    pthread_mutex_lock(&db->mu);
    while (db->head || db->busy) pthread_cond_wait(&db->cv, &db->mu);
    pthread_mutex_unlock(&db->mu);
}

/* ---- tdb_chunk: the rows of db->writing as an eponymous virtual table
 * with columns c0..c63 (the writer thread's; a column past the table's
 * width would read NULL) ---- */

struct chunk_vtab {
    sqlite3_vtab base;
    struct tdb *db;
};

struct chunk_cursor {
    sqlite3_vtab_cursor base;
    const struct chunk *c;
    unsigned row, ncols;
    const union val *v;      /* the row's values and types */
    const unsigned char *ty;
};

static int chunk_connect(sqlite3 *h, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    char decl[16 + 64 * 5] = "CREATE TABLE x(", *p = decl + strlen(decl);
    for (int i = 0; i < 64; i++) p += sprintf(p, "%sc%d", i ? "," : "", i);
    strcpy(p, ")");
    int rc = sqlite3_declare_vtab(h, decl);
    if (rc != SQLITE_OK) return rc;
    struct chunk_vtab *v = sqlite3_malloc(sizeof *v);
    if (!v) return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->db = aux;
    *out = &v->base;
    return SQLITE_OK;
}

static int chunk_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int chunk_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    (void)v;
    info->estimatedCost = CHUNK_ROWS;
    info->estimatedRows = CHUNK_ROWS;
    return SQLITE_OK;
}

static int chunk_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    (void)v;
    struct chunk_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    *out = &c->base;
    return SQLITE_OK;
}

static int chunk_close(sqlite3_vtab_cursor *cur)
{
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int chunk_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                        sqlite3_value **argv)
{
    (void)idx_num;
    (void)idx_str;
    (void)argc;
    (void)argv;
    struct chunk_cursor *c = (struct chunk_cursor *)cur;
    c->c = ((struct chunk_vtab *)cur->pVtab)->db->writing;
    c->row = 0;
    if (c->c) {
        c->ncols = (unsigned)c->c->t->ncols;
        c->v = c->c->vals;
        c->ty = c->c->types;
    }
    return SQLITE_OK;
}

static int chunk_next(sqlite3_vtab_cursor *cur)
{
    struct chunk_cursor *c = (struct chunk_cursor *)cur;
    c->row++;
    c->v += c->ncols;
    c->ty += c->ncols;
    return SQLITE_OK;
}

static int chunk_eof(sqlite3_vtab_cursor *cur)
{
    const struct chunk_cursor *c = (const struct chunk_cursor *)cur;
    return !c->c || c->row >= c->c->nrows;
}

static int chunk_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    const struct chunk_cursor *c = (const struct chunk_cursor *)cur;
    if ((unsigned)col >= c->ncols) return SQLITE_OK;
    const union val *v = &c->v[col];
    switch (c->ty[col]) {
    case REPRISE_COL_INT: sqlite3_result_int64(ctx, v->i); break;
    case REPRISE_COL_REAL: sqlite3_result_double(ctx, v->d); break;
    case REPRISE_COL_TEXT:
        sqlite3_result_text(ctx, c->c->arena + v->b.off, (int)v->b.len, SQLITE_STATIC);
        break;
    case REPRISE_COL_BLOB:
        sqlite3_result_blob(ctx, c->c->arena + v->b.off, (int)v->b.len, SQLITE_STATIC);
        break;
    default: break; /* NULL */
    }
    return SQLITE_OK;
}

static int chunk_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((const struct chunk_cursor *)cur)->row;
    return SQLITE_OK;
}

static const sqlite3_module chunk_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: nothing of it goes into the file */
    .xConnect = chunk_connect,
    .xBestIndex = chunk_best_index,
    .xDisconnect = chunk_disconnect,
    .xDestroy = chunk_disconnect,
    .xOpen = chunk_open,
    .xClose = chunk_close,
    .xFilter = chunk_filter,
    .xNext = chunk_next,
    .xEof = chunk_eof,
    .xColumn = chunk_column,
    .xRowid = chunk_rowid,
};

/* The writer thread's work on one chunk. 0 or -1 (message in db->err). */
static int write_chunk(struct chunk *c)
{
    struct tdb_table *t = c->t;
    struct tdb *db = t->db;
    db->writing = c;
    int rc = sqlite3_step(t->insert);
    sqlite3_reset(t->insert);
    db->writing = NULL;
    if (rc != SQLITE_DONE) {
        set_err(db, "writing table %s: %s", t->name, sqlite3_errmsg(db->h));
        return -1;
    }
    db->uncommitted += c->nrows;
    if (db->uncommitted >= COMMIT_ROWS) {
        db->uncommitted = 0;
        return exec_now(db, "COMMIT; BEGIN");
    }
    return 0;
}

static void *writer_main(void *arg)
{
    struct tdb *db = arg;
    pthread_setname_np(pthread_self(), "reprise-writer");
    pthread_mutex_lock(&db->mu);
    for (;;) {
        while (!db->head && !db->quit) pthread_cond_wait(&db->cv, &db->mu);
        struct chunk *c = db->head;
        if (!c) break;
        if (!(db->head = c->next)) db->tail = NULL;
        db->queued--;
        db->busy = true;
        bool skip = db->failed;
        pthread_mutex_unlock(&db->mu);
        /* After a failure the chunks are dropped, so that the replay
         * thread never waits for a writer that no longer writes. */
        int rc = skip ? 0 : write_chunk(c);
        memset(c->types, 0, (size_t)c->nrows * c->t->ncols);
        c->nrows = 0;
        c->arena_len = 0;
        pthread_mutex_lock(&db->mu);
        if (rc) db->failed = 1;
        c->next = c->t->free;
        c->t->free = c;
        db->busy = false;
        pthread_cond_broadcast(&db->cv);
    }
    pthread_mutex_unlock(&db->mu);
    return NULL;
}

static void chunk_free(struct chunk *c)
{
    if (!c) return;
    free(c->vals);
    free(c->types);
    free(c->arena);
    free(c);
}

static struct chunk *chunk_new(struct tdb_table *t)
{
    struct chunk *c = calloc(1, sizeof *c);
    if (c) {
        c->t = t;
        c->vals = malloc((size_t)CHUNK_ROWS * t->ncols * sizeof *c->vals);
        c->types = calloc((size_t)CHUNK_ROWS * t->ncols, 1);
    }
    if (!c || !c->vals || !c->types) {
        chunk_free(c);
        set_err(t->db, "out of memory");
        return NULL;
    }
    return c;
}

/* Hands the table's full (or, at the end, partial) chunk to the writer
 * thread and takes a written one back, or a new one. -1 once the writer
 * has failed. */
static int hand_over(struct tdb_table *t)
{
    struct tdb *db = t->db;
    struct chunk *c = t->fill;
    t->fill = NULL;
    t->db->rows += c->nrows;
    pthread_mutex_lock(&db->mu);
    while (db->queued >= QUEUE_MAX) pthread_cond_wait(&db->cv, &db->mu);
    c->next = NULL;
    if (db->tail) db->tail->next = c;
    else db->head = c;
    db->tail = c;
    db->queued++;
    pthread_cond_broadcast(&db->cv);
    struct chunk *f = t->free;
    if (f) t->free = f->next;
    int failed = db->failed;
    pthread_mutex_unlock(&db->mu);
    t->fill = f;
    return failed ? -1 : 0;
}

int tdb_open(const char *path, struct tdb **out, char *err, size_t errlen)
{
    struct tdb *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    unlink(path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db->h ? sqlite3_errmsg(db->h) : "cannot open");
        sqlite3_close(db->h);
        free(db);
        return -1;
    }
    if (tsql_register(db->h) != SQLITE_OK ||
        sqlite3_create_module_v2(db->h, "tdb_chunk", &chunk_module, db, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot register the SQL functions: %s", path,
                 sqlite3_errmsg(db->h));
        tdb_close(db);
        return -1;
    }
    /* 16 KiB pages: the addr index of bench_fp's mem trace builds in 25 %
     * less time than with 64 KiB pages, and the load is no slower. A
     * 2 MiB page cache: the load appends, and CREATE INDEX sorts in runs
     * as large as the page cache, in a linked list: small runs stay in the
     * processor's caches (bench_calls' 18M accesses: their addr index in
     * 7.1-7.5 s with 2 MiB, 8.5 s with 8 MiB; sorting them alone 6.4 s,
     * 7.0 s, and 10.6 s with 64 MiB; the load as fast with either). */
    if (exec_now(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                     "PRAGMA page_size=16384; PRAGMA cache_size=-2048; "
                     "PRAGMA locking_mode=EXCLUSIVE; BEGIN")) {
        snprintf(err, errlen, "%s: %s", path, db->err);
        tdb_close(db);
        return -1;
    }
    /* The writer thread takes no signals: they stay the replay thread's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_mutex_init(&db->mu, NULL);
    pthread_cond_init(&db->cv, NULL);
    int rc = pthread_create(&db->writer, NULL, writer_main, db);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        snprintf(err, errlen, "%s: cannot start the writer thread: %s", path, strerror(rc));
        pthread_mutex_destroy(&db->mu);
        pthread_cond_destroy(&db->cv);
        tdb_close(db);
        return -1;
    }
    db->have_writer = true;
    *out = db;
    return 0;
}

int tdb_exec(struct tdb *db, const char *sql)
{
    drain(db);
    return exec_now(db, sql);
}

int tdb_exec_at_end(struct tdb *db, const char *sql)
{
    char **v = realloc(db->end_sql, (db->n_end + 1) * sizeof *v);
    if (!v) return -1;
    db->end_sql = v;
    if (!(v[db->n_end] = strdup(sql))) return -1;
    db->n_end++;
    return 0;
}

static sqlite3_stmt *prepare_insert(struct tdb_table *t)
{
    char *sql = malloc(64 + strlen(t->name) + t->ncols * 5), *p = sql;
    if (!sql) return NULL;
    p += sprintf(p, "INSERT INTO \"%s\" SELECT ", t->name);
    for (size_t c = 0; c < t->ncols; c++) p += sprintf(p, "%sc%zu", c ? "," : "", c);
    strcpy(p, " FROM tdb_chunk");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(t->db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        set_err(t->db, "%s", sqlite3_errmsg(t->db->h));
    free(sql);
    return st;
}

static const char *type_name(int type)
{
    switch (type) {
    case REPRISE_COL_INT: return "INTEGER";
    case REPRISE_COL_TEXT: return "TEXT";
    case REPRISE_COL_BLOB: return "BLOB";
    case REPRISE_COL_REAL: return "REAL";
    }
    return NULL;
}

struct tdb_table *tdb_table_create(struct tdb *db, const char *name, const char *const *names,
                                   const int *types, size_t n)
{
    if (n == 0 || n > 64) {
        set_err(db, "table %s: %zu columns (1 to 64 allowed)", name, n);
        return NULL;
    }
    size_t cap = 64 + strlen(name);
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !type_name(types[i])) {
            set_err(db, "table %s: column %zu has no name or a bad type", name, i);
            return NULL;
        }
        cap += strlen(names[i]) + 32;
    }
    char *sql = malloc(cap), *p = sql;
    if (!sql) return NULL;
    p += sprintf(p, "CREATE TABLE \"%s\" (", name);
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\"%s\" %s%s", i ? ", " : "", names[i], type_name(types[i]),
                     i == 0 && !strcmp(names[i], "id") && types[i] == REPRISE_COL_INT
                         ? " PRIMARY KEY" : "");
    strcpy(p, ")");
    int rc = tdb_exec(db, sql);
    free(sql);
    if (rc) return NULL;
    struct tdb_table *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(name))) {
        free(t);
        set_err(db, "out of memory");
        return NULL;
    }
    t->db = db;
    t->ncols = n;
    t->icount_col = -1;
    /* The column made the PRIMARY KEY above. */
    t->id_col = n && !strcmp(names[0], "id") && types[0] == REPRISE_COL_INT ? 0 : -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], "icount") && types[i] == REPRISE_COL_INT) t->icount_col = (int)i;
    t->insert = prepare_insert(t);
    t->next = db->tables;
    db->tables = t;
    if (!t->insert) {
        set_err(db, "table %s: cannot prepare its inserts", name);
        return NULL;
    }
    return t;
}

int tdb_table_index(struct tdb_table *t, const char *columns)
{
    char sql[512];
    char iname[128];
    size_t k = 0;
    for (const char *c = columns; *c && k < sizeof iname - 1; c++)
        iname[k++] = (*c == ',' || *c == ' ') ? '_' : *c;
    iname[k] = 0;
    snprintf(sql, sizeof sql, "CREATE INDEX \"%s_%s\" ON \"%s\"(%s)", t->name, iname, t->name,
             columns);
    /* Indexes run before the other deferred SQL: insert at the front. */
    char **v = realloc(t->db->end_sql, (t->db->n_end + 1) * sizeof *v);
    if (!v) return -1;
    t->db->end_sql = v;
    memmove(v + 1, v, t->db->n_end * sizeof *v);
    if (!(v[0] = strdup(sql))) return -1;
    t->db->n_end++;
    return 0;
}

/* The slot of column col of the row being set, with its type set; NULL for
 * a bad column or when out of memory. */
static union val *slot(struct tdb_table *t, unsigned col, int type)
{
    if (col >= t->ncols) return NULL;
    struct chunk *c = t->fill;
    if (!c && !(c = t->fill = chunk_new(t))) return NULL;
    size_t i = (size_t)c->nrows * t->ncols + col;
    c->types[i] = (unsigned char)type;
    return &c->vals[i];
}

void tdb_set_int(struct tdb_table *t, unsigned col, int64_t v)
{
    union val *x = slot(t, col, REPRISE_COL_INT);
    if (x) x->i = v;
}

void tdb_set_real(struct tdb_table *t, unsigned col, double v)
{
    union val *x = slot(t, col, REPRISE_COL_REAL);
    if (x) x->d = v;
}

void tdb_set_bytes(struct tdb_table *t, unsigned col, const void *p, size_t n, int blob)
{
    if (n >= INT_MAX) {
        set_err(t->db, "table %s: a value of %zu bytes (at most %d)", t->name, n, INT_MAX - 1);
        return;
    }
    union val *x = slot(t, col, blob ? REPRISE_COL_BLOB : REPRISE_COL_TEXT);
    if (!x) return;
    struct chunk *c = t->fill;
    if (c->arena_len + n + 1 > c->arena_cap || c->arena_len + n + 1 > UINT32_MAX) {
        size_t cap = c->arena_cap ? c->arena_cap : 4096;
        while (cap < c->arena_len + n + 1) cap *= 2;
        char *a = cap <= UINT32_MAX ? realloc(c->arena, cap) : NULL;
        if (!a) {
            set_err(t->db, "out of memory");
            c->types[(size_t)c->nrows * t->ncols + col] = 0;
            return;
        }
        c->arena = a;
        c->arena_cap = cap;
    }
    memcpy(c->arena + c->arena_len, p, n);
    c->arena[c->arena_len + n] = 0;
    x->b.off = (uint32_t)c->arena_len;
    x->b.len = (uint32_t)n;
    c->arena_len += n + 1;
}

int tdb_row_end(struct tdb_table *t)
{
    struct chunk *c = t->fill;
    if (!c && !(c = t->fill = chunk_new(t))) return -1;
    if (t->icount_col >= 0 && !t->disordered) {
        size_t row = (size_t)c->nrows * t->ncols, i = row + (size_t)t->icount_col;
        /* SQLite's rowid past INT64_MAX is a random one. */
        if (t->any && t->last_id == INT64_MAX) t->disordered = true;
        int64_t id = t->any && !t->disordered ? t->last_id + 1 : 1;
        if (t->id_col >= 0 && c->types[row + (size_t)t->id_col]) {
            size_t k = row + (size_t)t->id_col;
            if (c->types[k] != REPRISE_COL_INT || (t->any && c->vals[k].i <= t->last_id))
                t->disordered = true;
            id = c->vals[k].i;
        }
        if (c->types[i] != REPRISE_COL_INT || (t->any && c->vals[i].i < t->last_icount))
            t->disordered = true;
        t->last_icount = c->vals[i].i;
        t->last_id = id;
        t->any = true;
    }
    if (++c->nrows == CHUNK_ROWS) return hand_over(t);
    return 0;
}

int tdb_finish(struct tdb *db)
{
    for (struct tdb_table *t = db->tables; t; t = t->next)
        if (t->fill && t->fill->nrows) hand_over(t);
    drain(db);
    if (db->failed) return -1;
    if (exec_now(db, "COMMIT")) return -1;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < db->n_end; i++)
        if (exec_now(db, db->end_sql[i])) return -1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    db->end_secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    return db->err[0] ? -1 : 0;
}

double tdb_index_seconds(const struct tdb *db) { return db->end_secs; }

/* Appends to out the ordered tables from t to the end of the list, the
 * oldest first (db->tables is newest first). */
static char *list_ordered(const struct tdb_table *t, char *out, char *p)
{
    if (!t) return p;
    p = list_ordered(t->next, out, p);
    if (t->icount_col < 0 || t->disordered) return p;
    return p + sprintf(p, "%s%s", p == out ? "" : " ", t->name);
}

char *tdb_icount_ordered(const struct tdb *db)
{
    size_t cap = 1;
    for (const struct tdb_table *t = db->tables; t; t = t->next) cap += strlen(t->name) + 1;
    char *out = malloc(cap);
    if (out) *list_ordered(db->tables, out, out) = 0;
    return out;
}

sqlite3 *tdb_sqlite(struct tdb *db)
{
    drain(db);
    return db->h;
}

const char *tdb_error(struct tdb *db)
{
    drain(db);
    return db->err[0] ? db->err : NULL;
}

uint64_t tdb_rows(const struct tdb *db)
{
    uint64_t n = db->rows;
    for (const struct tdb_table *t = db->tables; t; t = t->next)
        if (t->fill) n += t->fill->nrows;
    return n;
}

void tdb_close(struct tdb *db)
{
    if (!db) return;
    if (db->have_writer) {
        /* Rows not yet written are dropped: without tdb_finish, the file
         * is not a trace. */
        pthread_mutex_lock(&db->mu);
        while (db->head) {
            struct chunk *c = db->head;
            db->head = c->next;
            chunk_free(c);
        }
        db->tail = NULL;
        db->quit = true;
        pthread_cond_broadcast(&db->cv);
        pthread_mutex_unlock(&db->mu);
        pthread_join(db->writer, NULL);
        pthread_mutex_destroy(&db->mu);
        pthread_cond_destroy(&db->cv);
    }
    struct tdb_table *t = db->tables;
    while (t) {
        struct tdb_table *n = t->next;
        sqlite3_finalize(t->insert);
        chunk_free(t->fill);
        while (t->free) {
            struct chunk *c = t->free;
            t->free = c->next;
            chunk_free(c);
        }
        free(t->name);
        free(t);
        t = n;
    }
    for (size_t i = 0; i < db->n_end; i++) free(db->end_sql[i]);
    free(db->end_sql);
    sqlite3_close(db->h);
    free(db);
}
