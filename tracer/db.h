/*
 * db.h - the batched SQLite writer of the trace database: tables declared
 * with typed columns, rows buffered and written with prepared multi-row
 * inserts inside large transactions by a writer thread of its own (the
 * replay goes on meanwhile), indexes and views built at the end.
 *
 * Every function is called from one thread (the replay's); the writer
 * thread is internal.
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
/* The connection, for writers of their own tables (symtab.h), once the
 * writer thread is idle (it has written the rows handed to it; rows still
 * buffered wait for later); owned by db. The caller may use it until it
 * next calls tdb_row_end, which may wake the writer thread again. */
typedef struct sqlite3 sqlite3;
sqlite3 *tdb_sqlite(struct tdb *db);
/* Runs SQL now (DDL, small inserts) once the writer thread is idle (as
 * tdb_sqlite). 0 or -1 (message in tdb_error). */
int tdb_exec(struct tdb *db, const char *sql);
/* Defers SQL to tdb_finish (after the indexes). 0 or -1. */
int tdb_exec_at_end(struct tdb *db, const char *sql);
/* Creates a table of n columns (types: enum reprise_col_type). NULL on error. */
struct tdb_table *tdb_table_create(struct tdb *db, const char *name, const char *const *names,
                                   const int *types, size_t n);
/* Deferred CREATE INDEX on `columns`. 0 or -1. */
int tdb_table_index(struct tdb_table *t, const char *columns);
/* Setting the columns of the current row (unset ones are NULL; bytes are
 * copied, fewer than INT_MAX), then ending it. tdb_row_end hands the
 * table's rows to the writer thread every few thousand rows, waiting when
 * it is that far behind; it returns -1 once the writer has failed (the
 * rows are then dropped: stop the expansion; tdb_finish reports why), else
 * 0. */
void tdb_set_int(struct tdb_table *t, unsigned col, int64_t v);
void tdb_set_real(struct tdb_table *t, unsigned col, double v);
void tdb_set_bytes(struct tdb_table *t, unsigned col, const void *p, size_t n, int blob);
int tdb_row_end(struct tdb_table *t);
/* Writes the rows not yet written, waits for the writer thread, commits,
 * builds indexes, runs deferred SQL. 0 or -1 (message in tdb_error). */
int tdb_finish(struct tdb *db);
/* First error (of either thread), or NULL; waits for the writer thread to
 * write the rows handed to it first. The text is db's. */
const char *tdb_error(struct tdb *db);
/* The names of the tables whose rows have been ended in non-decreasing
 * order of an INTEGER column named `icount` (NULL in none), so far:
 * space-separated, in creation order; in these, rowid order is time order
 * (what the icount_id() SQL function relies on). malloc'd; NULL when out
 * of memory. */
char *tdb_icount_ordered(const struct tdb *db);
/* Rows ended so far, written or not. */
uint64_t tdb_rows(const struct tdb *db);
/* Wall-clock seconds tdb_finish spent building indexes and running the
 * deferred SQL (0 before it ran): what the expansion costs after the load. */
double tdb_index_seconds(const struct tdb *db);
/* Stops the writer thread (dropping rows not yet written unless
 * tdb_finish ran), closes the connection, frees db. NULL is ignored. */
void tdb_close(struct tdb *db);

#endif
