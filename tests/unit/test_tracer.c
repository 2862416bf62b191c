/*
 * test_tracer.c - the tracer's plugin loading: the API version check and
 * the validation of plugin arguments (types, defaults, required, unknown
 * and repeated keys), through tracer_add_plugin and the values a plugin
 * reads back (argplugin.c records them in table `seen`); and which tables
 * the trace writer (db.c) reports as stored in icount order.
 *   test_tracer ARGPLUGIN.so BADVER.so
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "reprise/plugin.h"
#include "tracer.h"

static const char *argplugin, *badver;
static char db_path[64];

/* Adds `spec` to a fresh expansion; returns tracer_add_plugin's result and
 * the message in err. On success, installs and finishes, so `seen` holds
 * what the plugin read. */
static int add(const char *spec, char *err, size_t errlen)
{
    struct tracer *tr;
    struct tracer_params tp = { 0 };
    assert_int_equal(tracer_create(db_path, &tp, &tr, err, errlen), 0);
    err[0] = 0;
    int rc = tracer_add_plugin(tr, spec, "/nonexistent", err, errlen);
    if (rc == 0) {
        assert_int_equal(tracer_start(tr, err, errlen), 0);
        assert_int_equal(tracer_finish(tr, NULL, err, errlen), 0);
    }
    tracer_destroy(tr);
    return rc;
}

static char *seen(const char *col)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char sql[128], *out = NULL;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    snprintf(sql, sizeof sql, "SELECT coalesce(%s, 'NULL') FROM seen", col);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_non_null(out);
    return out;
}

static void expect_seen(const char *col, const char *want)
{
    char *got = seen(col);
    assert_string_equal(got, want);
    free(got);
}

static void spec_of(char *buf, size_t n, const char *args)
{
    snprintf(buf, n, "%s%s%s", argplugin, *args ? ":" : "", args);
}

static void test_version_refused(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(add(badver, err, sizeof err), -1);
    assert_non_null(strstr(err, "API version 999"));
    assert_non_null(strstr(err, "this reprise provides version 1"));
}

static void test_missing_plugin(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(add("nosuch", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown plugin 'nosuch'"));
    assert_int_equal(add("/no/such/file.so", err, sizeof err), -1);
    assert_non_null(strstr(err, "/no/such/file.so"));
}

static void test_defaults_and_types(void **state)
{
    (void)state;
    char err[512], spec[4096];
    spec_of(spec, sizeof spec, "label=hello");
    assert_int_equal(add(spec, err, sizeof err), 0);
    expect_seen("count", "7");        /* default */
    expect_seen("flag", "0");         /* default false */
    expect_seen("label", "hello");
    expect_seen("wrong_type", "0");   /* a bool read as an int */
    expect_seen("undeclared", "NULL");
    spec_of(spec, sizeof spec, "count=0x10,flag=yes,label=a=b");
    assert_int_equal(add(spec, err, sizeof err), 0);
    expect_seen("count", "16");
    expect_seen("flag", "1");
    expect_seen("label", "a=b");      /* the value is everything after the first '=' */
    spec_of(spec, sizeof spec, "count=-5,flag=OFF,label=");
    assert_int_equal(add(spec, err, sizeof err), 0);
    expect_seen("count", "-5");
    expect_seen("flag", "0");
    expect_seen("label", "");
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct { const char *args, *msg; } cases[] = {
        { "", "argument label is required" },
        { "count=12abc,label=x", "argument count wants an integer, not '12abc'" },
        { "count=99999999999999999999999,label=x", "wants an integer" },
        { "count=,label=x", "wants an integer, not ''" },
        { "flag=perhaps,label=x", "argument flag wants true or false, not 'perhaps'" },
        { "colour=red,label=x", "has no argument 'colour'" },
        { "label=x,label=y", "argument label given twice" },
        { "label", "argument 'label' is not KEY=VALUE" },
    };
    char err[512], spec[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        spec_of(spec, sizeof spec, cases[i].args);
        assert_int_equal(add(spec, err, sizeof err), -1);
        if (!strstr(err, cases[i].msg)) fail_msg("'%s': got '%s'", cases[i].args, err);
    }
}

static void test_twice(void **state)
{
    (void)state;
    struct tracer *tr;
    struct tracer_params tp = { 0 };
    char err[512], spec[4096];
    spec_of(spec, sizeof spec, "label=x");
    assert_int_equal(tracer_create(db_path, &tp, &tr, err, sizeof err), 0);
    assert_int_equal(tracer_add_plugin(tr, spec, NULL, err, sizeof err), 0);
    assert_int_equal(tracer_add_plugin(tr, spec, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "plugin argplugin given twice"));
    tracer_destroy(tr);
}

/* One row of (id, icount): a value < 0 leaves that column NULL. */
static void row2(struct tdb_table *t, int64_t id, int64_t icount)
{
    if (id >= 0) tdb_set_int(t, 0, id);
    if (icount >= 0) tdb_set_int(t, 1, icount);
    assert_int_equal(tdb_row_end(t), 0);
}

/* tdb_icount_ordered: rowid order must be time order, whether SQLite or
 * the rows number them; a table without an integer icount is never listed. */
static void test_icount_order(void **state)
{
    (void)state;
    struct tdb *db;
    char err[256];
    assert_int_equal(tdb_open(db_path, &db, err, sizeof err), 0);
    const char *idic[] = { "id", "icount" }, *icid[] = { "icount", "id" }, *x[] = { "x" };
    const int ints[] = { REPRISE_COL_INT, REPRISE_COL_INT };
    const int text_ic[] = { REPRISE_COL_INT, REPRISE_COL_TEXT };
    struct tdb_table *a = tdb_table_create(db, "a", idic, ints, 2);   /* SQLite's ids */
    struct tdb_table *b = tdb_table_create(db, "b", idic, ints, 2);   /* own ids, rising */
    struct tdb_table *c = tdb_table_create(db, "c", idic, ints, 2);   /* own ids, falling */
    struct tdb_table *d = tdb_table_create(db, "d", icid, ints, 2);   /* icount falls */
    struct tdb_table *e = tdb_table_create(db, "e", x, ints, 1);      /* no icount */
    struct tdb_table *f = tdb_table_create(db, "f", idic, ints, 2);   /* a NULL icount */
    struct tdb_table *g = tdb_table_create(db, "g", idic, ints, 2);   /* own id below SQLite's */
    struct tdb_table *h = tdb_table_create(db, "h", idic, ints, 2);   /* empty */
    struct tdb_table *k = tdb_table_create(db, "k", idic, text_ic, 2); /* icount is text */
    struct tdb_table *m = tdb_table_create(db, "m", icid, ints, 2);   /* id not the key */
    assert_true(a && b && c && d && e && f && g && h && k && m);
    for (int i = 0; i < 5000; i++) {       /* across chunks handed to the writer */
        row2(a, -1, 100 + i / 2);          /* equal icounts are in order */
        row2(b, 10 + 3 * i, 100 + i);
        row2(c, 20000 - i, 100 + i);
        row2(d, 5000 - i, 7);
        tdb_set_int(e, 0, i);
        assert_int_equal(tdb_row_end(e), 0);
        row2(f, -1, i == 4000 ? -1 : i);
        row2(m, i, 9 - i % 3);             /* (icount, id): rowids are SQLite's */
    }
    row2(g, -1, 1);
    row2(g, -1, 2);
    row2(g, 0, 3);                         /* below SQLite's 1 and 2 */
    tdb_set_bytes(k, 1, "1", 1, 0);
    assert_int_equal(tdb_row_end(k), 0);
    char *got = tdb_icount_ordered(db);
    assert_non_null(got);
    assert_string_equal(got, "a b h m");
    free(got);
    /* The claim checked against the file: in rowid order, icount never
     * falls in the listed tables, and does in c, d and g. */
    assert_int_equal(tdb_finish(db), 0);
    sqlite3 *h3 = tdb_sqlite(db);
    const char *names[] = { "a", "b", "c", "d", "g", "h", "m" };
    const int ordered[] = { 1, 1, 0, 0, 0, 1, 1 };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char sql[256];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT count(*) = 0 FROM (SELECT icount < lag(icount) OVER "
                                  "(ORDER BY rowid) AS fall FROM %s) WHERE fall", names[i]);
        assert_int_equal(sqlite3_prepare_v2(h3, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        if (sqlite3_column_int(st, 0) != ordered[i]) fail_msg("table %s", names[i]);
        sqlite3_finalize(st);
    }
    tdb_close(db);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_tracer ARGPLUGIN.so BADVER.so\n");
        return 2;
    }
    argplugin = argv[1];
    badver = argv[2];
    snprintf(db_path, sizeof db_path, "/tmp/test_tracer-%d.db", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_refused),
        cmocka_unit_test(test_missing_plugin),
        cmocka_unit_test(test_defaults_and_types),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_twice),
        cmocka_unit_test(test_icount_order),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(db_path);
    return rc;
}
