/*
 * db.h - the batched SQLite writer of the trace database: tables declared
 * with typed columns, rows buffered and written with prepared multi-row
 * inserts inside large transactions, indexes and views built at the end.
 */
#ifndef REPRISE_TRACER_DB_H
#define REPRISE_TRACER_DB_H

#include <stddef.h>
#include <stdint.h>

struct tdb;
struct tdb_table;

/* Opens (replacing) the database at path, registers the SQL functions of
 * sqlfn.h on it and starts the load transaction. 0 or -1 with a message. */
int tdb_open(const char *path, struct tdb **out, char *err, size_t errlen);
/* The connection, for writers of their own tables (symtab.h); owned by db,
 * valid until tdb_close. */
typedef struct sqlite3 sqlite3;
sqlite3 *tdb_sqlite(struct tdb *db);
/* Runs SQL now (DDL, small inserts). 0 or -1 (message in tdb_error). */
int tdb_exec(struct tdb *db, const char *sql);
/* Defers SQL to tdb_finish (after the indexes). 0 or -1. */
int tdb_exec_at_end(struct tdb *db, const char *sql);
/* Creates a table of n columns (types: enum reprise_col_type). NULL on error. */
struct tdb_table *tdb_table_create(struct tdb *db, const char *name, const char *const *names,
                                   const int *types, size_t n);
/* Deferred CREATE INDEX on `columns`. 0 or -1. */
int tdb_table_index(struct tdb_table *t, const char *columns);
/* Setting the columns of the current row, then ending it. */
void tdb_set_int(struct tdb_table *t, unsigned col, int64_t v);
void tdb_set_real(struct tdb_table *t, unsigned col, double v);
void tdb_set_bytes(struct tdb_table *t, unsigned col, const void *p, size_t n, int blob);
void tdb_row_end(struct tdb_table *t);
/* Writes buffered rows, commits, builds indexes, runs deferred SQL. 0 or -1. */
int tdb_finish(struct tdb *db);
/* First error, or NULL. */
const char *tdb_error(const struct tdb *db);
uint64_t tdb_rows(const struct tdb *db);
void tdb_close(struct tdb *db);

#endif
