/*
 * db.c - the batched SQLite writer of the trace database (see db.h).
 *
 * Rows are buffered per table and written BATCH at a time with one prepared
 * multi-row INSERT; the load runs in transactions of COMMIT_ROWS rows with
 * journaling and syncing off (a failed expansion leaves a file to delete,
 * not a database to recover). Indexes are created after the load.
 */
#include "db.h"
#include "sqlfn.h"

#include "reprise/plugin.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BATCH 256
#define COMMIT_ROWS (1u << 20)

struct val {
    int type;  /* 0: NULL, else enum reprise_col_type */
    union { int64_t i; double d; } u;
    size_t off, len; /* text/blob bytes in the table's arena */
};

struct tdb_table {
    struct tdb *db;
    char *name;
    size_t ncols;
    unsigned batch;          /* rows per multi-row insert */
    sqlite3_stmt *multi, *one;
    struct val *vals;        /* batch * ncols */
    unsigned nrows;          /* buffered complete rows */
    char *arena;
    size_t arena_len, arena_cap;
    struct tdb_table *next;
};

struct tdb {
    sqlite3 *h;
    struct tdb_table *tables;
    char **end_sql;
    size_t n_end;
    uint64_t rows, uncommitted;
    char err[512];
};

static void set_err(struct tdb *db, const char *fmt, ...)
{
    if (db->err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->err, sizeof db->err, fmt, ap);
    va_end(ap);
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
    if (tsql_register(db->h) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot register the SQL functions: %s", path,
                 sqlite3_errmsg(db->h));
        tdb_close(db);
        return -1;
    }
    if (tdb_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                     "PRAGMA page_size=65536; PRAGMA cache_size=-65536; "
                     "PRAGMA locking_mode=EXCLUSIVE; BEGIN")) {
        snprintf(err, errlen, "%s: %s", path, db->err);
        tdb_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

int tdb_exec(struct tdb *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(db, "%s (in: %.200s)", msg ? msg : "SQL error", sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
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

static sqlite3_stmt *prepare_insert(struct tdb_table *t, unsigned rows)
{
    size_t cap = 64 + strlen(t->name) + (size_t)rows * (t->ncols * 2 + 4);
    char *sql = malloc(cap), *p = sql;
    if (!sql) return NULL;
    p += sprintf(p, "INSERT INTO \"%s\" VALUES ", t->name);
    for (unsigned r = 0; r < rows; r++) {
        *p++ = r ? ',' : ' ';
        *p++ = '(';
        for (size_t c = 0; c < t->ncols; c++) {
            if (c) *p++ = ',';
            *p++ = '?';
        }
        *p++ = ')';
    }
    *p = 0;
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
    t->batch = MAX_BATCH;
    while (t->batch > 1 && t->batch * n > 32000) t->batch /= 2;
    t->vals = calloc((size_t)t->batch * n, sizeof *t->vals);
    t->multi = prepare_insert(t, t->batch);
    t->one = prepare_insert(t, 1);
    t->next = db->tables;
    db->tables = t;
    if (!t->vals || !t->multi || !t->one) {
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

static struct val *cur(struct tdb_table *t, unsigned col)
{
    if (col >= t->ncols) return NULL;
    return &t->vals[(size_t)t->nrows * t->ncols + col];
}

void tdb_set_int(struct tdb_table *t, unsigned col, int64_t v)
{
    struct val *x = cur(t, col);
    if (x) {
        x->type = REPRISE_COL_INT;
        x->u.i = v;
    }
}

void tdb_set_real(struct tdb_table *t, unsigned col, double v)
{
    struct val *x = cur(t, col);
    if (x) {
        x->type = REPRISE_COL_REAL;
        x->u.d = v;
    }
}

void tdb_set_bytes(struct tdb_table *t, unsigned col, const void *p, size_t n, int blob)
{
    struct val *x = cur(t, col);
    if (!x) return;
    if (t->arena_len + n + 1 > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 4096;
        while (cap < t->arena_len + n + 1) cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a) {
            set_err(t->db, "out of memory");
            return;
        }
        t->arena = a;
        t->arena_cap = cap;
    }
    memcpy(t->arena + t->arena_len, p, n);
    t->arena[t->arena_len + n] = 0;
    x->type = blob ? REPRISE_COL_BLOB : REPRISE_COL_TEXT;
    x->off = t->arena_len;
    x->len = n;
    t->arena_len += n + 1;
}

static void bind_row(struct tdb_table *t, sqlite3_stmt *st, unsigned row, int base)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const struct val *x = &t->vals[(size_t)row * t->ncols + c];
        int i = base + (int)c + 1;
        switch (x->type) {
        case REPRISE_COL_INT: sqlite3_bind_int64(st, i, x->u.i); break;
        case REPRISE_COL_REAL: sqlite3_bind_double(st, i, x->u.d); break;
        case REPRISE_COL_TEXT:
            sqlite3_bind_text(st, i, t->arena + x->off, (int)x->len, SQLITE_STATIC);
            break;
        case REPRISE_COL_BLOB:
            sqlite3_bind_blob(st, i, t->arena + x->off, (int)x->len, SQLITE_STATIC);
            break;
        default: sqlite3_bind_null(st, i); break;
        }
    }
}

static int run(struct tdb_table *t, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        set_err(t->db, "writing table %s: %s", t->name, sqlite3_errmsg(t->db->h));
        return -1;
    }
    return 0;
}

static void maybe_commit(struct tdb *db)
{
    if (db->uncommitted < COMMIT_ROWS) return;
    db->uncommitted = 0;
    tdb_exec(db, "COMMIT; BEGIN");
}

static int flush(struct tdb_table *t)
{
    int rc = 0;
    if (t->nrows == t->batch) {
        for (unsigned r = 0; r < t->nrows; r++) bind_row(t, t->multi, r, (int)(r * t->ncols));
        rc = run(t, t->multi);
    } else {
        for (unsigned r = 0; r < t->nrows && !rc; r++) {
            bind_row(t, t->one, r, 0);
            rc = run(t, t->one);
        }
    }
    t->db->rows += t->nrows;
    t->db->uncommitted += t->nrows;
    t->nrows = 0;
    t->arena_len = 0;
    memset(t->vals, 0, (size_t)t->batch * t->ncols * sizeof *t->vals);
    maybe_commit(t->db);
    return rc;
}

void tdb_row_end(struct tdb_table *t)
{
    if (++t->nrows == t->batch) flush(t);
}

int tdb_finish(struct tdb *db)
{
    for (struct tdb_table *t = db->tables; t; t = t->next)
        if (t->nrows) flush(t);
    if (tdb_exec(db, "COMMIT")) return -1;
    for (size_t i = 0; i < db->n_end; i++)
        if (tdb_exec(db, db->end_sql[i])) return -1;
    return db->err[0] ? -1 : 0;
}

sqlite3 *tdb_sqlite(struct tdb *db) { return db->h; }

const char *tdb_error(const struct tdb *db) { return db->err[0] ? db->err : NULL; }

uint64_t tdb_rows(const struct tdb *db) { return db->rows; }

void tdb_close(struct tdb *db)
{
    if (!db) return;
    struct tdb_table *t = db->tables;
    while (t) {
        struct tdb_table *n = t->next;
        sqlite3_finalize(t->multi);
        sqlite3_finalize(t->one);
        free(t->vals);
        free(t->arena);
        free(t->name);
        free(t);
        t = n;
    }
    for (size_t i = 0; i < db->n_end; i++) free(db->end_sql[i]);
    free(db->end_sql);
    sqlite3_close(db->h);
    free(db);
}
