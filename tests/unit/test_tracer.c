/*
 * test_tracer.c - the tracer's plugin loading: the API version check and
 * the validation of plugin arguments (types, defaults, required, unknown
 * and repeated keys), through tracer_add_plugin and the values a plugin
 * reads back (argplugin.c records them in table `seen`).
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
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(db_path);
    return rc;
}
