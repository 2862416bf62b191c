/*
 * test_sqlfn.c - the SQL functions of the trace database (tracer/sqlfn.c)
 * on small hand-built databases whose answers are known: disasm() against
 * objdump's text for hand-picked encodings, sym() and line() lookups
 * (sized, nested, aliased, unsized symbols, module bounds, sequence ends),
 * their freshness when rows arrive later (same connection, another
 * connection, inside a transaction), mem_history() overlap and order,
 * calls(), icount_id() against a scan, and NULL/garbage arguments and
 * missing tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqlfn.h"

static sqlite3 *open_mem(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(tsql_register(db), SQLITE_OK);
    return db;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* The single value of a one-row query, as text ("NULL" for NULL), or
 * "ERROR: message". Static buffer. */
static const char *one(sqlite3 *db, const char *sql)
{
    static char buf[512];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(buf, sizeof buf, "ERROR: %s", sqlite3_errmsg(db));
        return buf;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(buf, sizeof buf, "%s", t ? t : "NULL");
    } else if (rc == SQLITE_DONE) {
        snprintf(buf, sizeof buf, "NO ROW");
    } else {
        snprintf(buf, sizeof buf, "ERROR: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return buf;
}

/* Every row of a query, columns joined by '|', rows by ';'. */
static const char *rows(sqlite3 *db, const char *sql)
{
    static char buf[4096];
    size_t n = 0;
    buf[0] = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(buf, sizeof buf, "ERROR: %s", sqlite3_errmsg(db));
        return buf;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n) n += (size_t)snprintf(buf + n, sizeof buf - n, ";");
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "|" : "", t ? t : "NULL");
        }
    }
    if (rc != SQLITE_DONE) snprintf(buf, sizeof buf, "ERROR: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return buf;
}

/* ------------------------------------------------------------------ */

static void test_disasm(void **state)
{
    (void)state;
    sqlite3 *db = open_mem();
    /* Expected texts are riscv64-linux-gnu-objdump -d's (binutils 2.40). */
    assert_string_equal(one(db, "SELECT disasm(0x13)"), "nop");
    assert_string_equal(one(db, "SELECT disasm(0x00a50533)"), "add\ta0,a0,a0");
    assert_string_equal(one(db, "SELECT disasm(0x8082)"), "ret");
    assert_string_equal(one(db, "SELECT disasm(0x00000517)"), "auipc\ta0,0x0");
    /* jal: the target is pc-relative, printed absolute. */
    assert_string_equal(one(db, "SELECT disasm(0x022000ef, 0x10580)"), "jal\t105a2");
    assert_string_equal(one(db, "SELECT disasm(0x022000ef)"), "jal\t22");
    assert_string_equal(one(db, "SELECT disasm(0x0220006f, 0x10580)"), "j\t105a2");
    /* Text that reads as an integer is one. */
    assert_string_equal(one(db, "SELECT disasm('19')"), "nop");
    /* Not an instruction: the tracer's fallback text. */
    assert_string_equal(one(db, "SELECT disasm(0xffffffff)"), ".insn 0xffffffff");
    /* Garbage gives NULL, never an error. */
    assert_string_equal(one(db, "SELECT disasm(NULL)"), "NULL");
    assert_string_equal(one(db, "SELECT disasm('abc')"), "NULL");
    assert_string_equal(one(db, "SELECT disasm(-1)"), "NULL");
    assert_string_equal(one(db, "SELECT disasm(0x100000000)"), "NULL");
    assert_string_equal(one(db, "SELECT disasm(1.5)"), "NULL");
    assert_string_equal(one(db, "SELECT disasm(x'13000000')"), "NULL");
    assert_string_equal(one(db, "SELECT disasm(0x13, 'pc')"), "NULL");
    assert_true(!strncmp(one(db, "SELECT disasm()"), "ERROR: wrong number of arguments", 32));
    sqlite3_close(db);
}

static const char *const symbols_sql =
    "CREATE TABLE symbol (id INTEGER PRIMARY KEY, module_id, name TEXT, addr, size, kind TEXT,"
    " bind TEXT);"
    "INSERT INTO symbol (module_id, name, addr, size, kind, bind) VALUES"
    " (1, 'f1', 0x1000, 0x20, 'func', 'global'),"
    " (1, 'unsized', 0x1100, 0, 'func', 'local'),"
    " (1, 'obj', 0x2000, 8, 'object', 'global'),"
    " (1, 'outer', 0x3000, 0x100, 'func', 'global'),"
    " (1, 'inner', 0x3010, 0x10, 'func', 'local'),"
    /* Aliases, chosen as objdump does: function, global, larger, strcmp. */
    " (1, 'foo', 0x4000, 0x10, 'func', 'weak'),"
    " (1, 'foo_obj', 0x4000, 0x10, 'object', 'global'),"
    " (1, '__libc_foo', 0x4000, 0x10, 'func', 'global'),"
    " (1, 'a_foo', 0x4000, 0x10, 'func', 'local'),"
    " (2, 'g', 0x10000, 4, 'func', 'global'),"
    " (2, 'data2', 0x10100, 4, 'object', 'global'),"
    " (4, 'l_fun', 0x20000, 8, 'func', 'local'),"
    " (4, 'w_fun', 0x20000, 8, 'func', 'weak'),"
    " (4, 'b_small', 0x20100, 4, 'func', 'global'),"
    " (4, 'z_big', 0x20100, 16, 'func', 'global'),"
    " (4, 'm_twin', 0x20200, 4, 'func', 'global'),"
    " (4, 'k_twin', 0x20200, 4, 'func', 'global');";

static void test_sym(void **state)
{
    (void)state;
    sqlite3 *db = open_mem();
    /* No table yet: NULL, not an error. */
    assert_string_equal(one(db, "SELECT sym(0x1000)"), "NULL");
    exec(db, symbols_sql);
    assert_string_equal(one(db, "SELECT sym(0x1000)"), "f1");
    assert_string_equal(one(db, "SELECT sym(0x101c)"), "f1+0x1c");
    /* Past f1's size, no sized symbol covers it: the preceding function. */
    assert_string_equal(one(db, "SELECT sym(0x1020)"), "f1+0x20");
    assert_string_equal(one(db, "SELECT sym(0x1100)"), "unsized");
    assert_string_equal(one(db, "SELECT sym(0x1150)"), "unsized+0x50");
    assert_string_equal(one(db, "SELECT sym(0x2004)"), "obj+0x4");
    /* After obj (sized, ended): preceding *function*. */
    assert_string_equal(one(db, "SELECT sym(0x2008)"), "unsized+0xf08");
    /* Nested: innermost; once it ended, the outer one still covers. */
    assert_string_equal(one(db, "SELECT sym(0x3018)"), "inner+0x8");
    assert_string_equal(one(db, "SELECT sym(0x3050)"), "outer+0x50");
    assert_string_equal(one(db, "SELECT sym(0x30ff)"), "outer+0xff");
    /* Aliases: a global function over a weak one, a local one and an
     * object; a weak one over a local one; the larger; the strcmp-first. */
    assert_string_equal(one(db, "SELECT sym(0x4008)"), "__libc_foo+0x8");
    assert_string_equal(one(db, "SELECT sym(0x20004)"), "w_fun+0x4");
    assert_string_equal(one(db, "SELECT sym(0x20102)"), "z_big+0x2");
    assert_string_equal(one(db, "SELECT sym(0x20200)"), "k_twin");
    /* Past the module's last symbol, before the next module: nothing. */
    assert_string_equal(one(db, "SELECT sym(0x4010)"), "NULL");
    assert_string_equal(one(db, "SELECT sym(0x8000)"), "NULL");
    assert_string_equal(one(db, "SELECT sym(0xfff)"), "NULL");
    assert_string_equal(one(db, "SELECT sym(0)"), "NULL");
    assert_string_equal(one(db, "SELECT sym(0x10002)"), "g+0x2");
    assert_string_equal(one(db, "SELECT sym(0x10102)"), "data2+0x2");
    assert_string_equal(one(db, "SELECT sym(0x10104)"), "NULL");
    /* Garbage. */
    assert_string_equal(one(db, "SELECT sym(NULL)"), "NULL");
    assert_string_equal(one(db, "SELECT sym('zz')"), "NULL");
    assert_string_equal(one(db, "SELECT sym(-5)"), "NULL");
    assert_string_equal(one(db, "SELECT sym(9223372036854775807)"), "NULL");
    assert_string_equal(one(db, "SELECT sym(-9223372036854775807 - 1)"), "NULL");
    assert_string_equal(one(db, "SELECT sym(x'00')"), "NULL");
    /* Text that reads as an integer is one. */
    assert_string_equal(one(db, "SELECT sym('4097')"), "f1+0x1");

    /* Rows added later are seen: after a statement, inside a transaction. */
    exec(db, "INSERT INTO symbol (module_id, name, addr, size, kind) VALUES (3, 'h', 0x8000, 16, 'func')");
    /* (A row without bind counts as global.) */
    assert_string_equal(one(db, "SELECT sym(0x8004)"), "h+0x4");
    exec(db, "BEGIN");
    exec(db, "INSERT INTO symbol (module_id, name, addr, size, kind) VALUES (3, 'h2', 0x8010, 16, 'func')");
    assert_string_equal(one(db, "SELECT sym(0x8014)"), "h2+0x4");
    exec(db, "DELETE FROM symbol WHERE name = 'h2'");
    /* h ends at 0x8010, and so does module 3 now. */
    assert_string_equal(one(db, "SELECT sym(0x8014)"), "NULL");
    assert_string_equal(one(db, "SELECT sym(0x800f)"), "h+0xf");
    exec(db, "COMMIT");
    exec(db, "DROP TABLE symbol");
    assert_string_equal(one(db, "SELECT sym(0x1000)"), "NULL");
    /* A table without the bind column: every symbol global. */
    exec(db, "CREATE TABLE symbol (id INTEGER PRIMARY KEY, module_id, name TEXT, addr, size, kind);"
             "INSERT INTO symbol (module_id, name, addr, size, kind) VALUES"
             " (1, 'zz', 0x1000, 8, 'func'), (1, 'aa', 0x1000, 8, 'func')");
    assert_string_equal(one(db, "SELECT sym(0x1004)"), "aa+0x4");
    exec(db, "DROP TABLE symbol");
    /* A table of another shape is no symbol table. */
    exec(db, "CREATE TABLE symbol (x)");
    assert_string_equal(one(db, "SELECT sym(0x1000)"), "NULL");
    sqlite3_close(db);
}

/* Another connection's committed rows are seen by the next lookup. */
static void test_sym_other_connection(void **state)
{
    (void)state;
    char path[] = "/tmp/test_sqlfn_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sqlite3 *a = NULL, *b = NULL;
    assert_int_equal(sqlite3_open(path, &a), SQLITE_OK);
    assert_int_equal(sqlite3_open(path, &b), SQLITE_OK);
    assert_int_equal(tsql_register(a), SQLITE_OK);
    exec(b, "CREATE TABLE symbol (id INTEGER PRIMARY KEY, module_id, name, addr, size, kind)");
    assert_string_equal(one(a, "SELECT sym(0x500)"), "NULL");
    exec(b, "INSERT INTO symbol VALUES (1, 1, 'late', 0x500, 4, 'func')");
    assert_string_equal(one(a, "SELECT sym(0x502)"), "late+0x2");
    exec(b, "UPDATE symbol SET name = 'renamed'");
    assert_string_equal(one(a, "SELECT sym(0x502)"), "renamed+0x2");
    sqlite3_close(a);
    sqlite3_close(b);
    unlink(path);
}

/* What the trace writer does at the end: one UPDATE over many rows. It
 * must pay one cache build, not one per row. */
static void test_sym_bulk_update(void **state)
{
    (void)state;
    sqlite3 *db = open_mem();
    exec(db, "CREATE TABLE symbol (id INTEGER PRIMARY KEY, module_id, name, addr, size, kind)");
    exec(db, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999) "
             "INSERT INTO symbol (module_id, name, addr, size, kind) "
             "SELECT 1, 'f' || i, 0x10000 + i * 64, 32, 'func' FROM n");
    /* The module reaches past the last function's padding. */
    exec(db, "INSERT INTO symbol (module_id, name, addr, size, kind) "
             "VALUES (1, 'end', 0x10000 + 20000 * 64, 0, 'object')");
    exec(db, "CREATE TABLE block_insn (pc, symbol TEXT)");
    exec(db, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299999) "
             "INSERT INTO block_insn (pc) SELECT 0x10000 + (i * 37) % (20000 * 64) FROM n");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    exec(db, "UPDATE block_insn SET symbol = sym(pc)");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* Rebuilding per row would take minutes; a lookup is well under 1 us. */
    print_message("UPDATE of 300000 rows with sym(): %.3f s\n", secs);
    assert_true(secs < 10.0);
    /* The answers, checked arithmetically: pc = 0x10000 + 64 k + r. */
    assert_string_equal(
        one(db, "SELECT count(*) FROM block_insn WHERE symbol IS NOT "
                "('f' || ((pc - 0x10000) / 64) || CASE WHEN (pc - 0x10000) % 64 = 0 THEN '' "
                "ELSE printf('+0x%x', (pc - 0x10000) % 64) END)"),
        "0");
    sqlite3_close(db);
}

static void test_line(void **state)
{
    (void)state;
    sqlite3 *db = open_mem();
    assert_string_equal(one(db, "SELECT line(0x1000)"), "NULL");
    exec(db, "CREATE TABLE line (id INTEGER PRIMARY KEY, module_id, addr, file TEXT, line, col, is_stmt);"
             "INSERT INTO line (module_id, addr, file, line, col, is_stmt) VALUES"
             " (1, 0x1000, '/src/a/x.c', 10, 1, 1),"
             " (1, 0x1000, '/src/a/x.c', 11, 2, 0),"   /* the last row at 0x1000 wins */
             " (1, 0x1008, '/src/a/x.c', 12, 0, 1),"
             " (1, 0x1010, NULL, NULL, NULL, 0),"      /* end of sequence */
             " (1, 0x1010, 'y.c', 5, 0, 1),"           /* another starts there */
             " (1, 0x1020, NULL, NULL, NULL, 0),"
             " (2, 0x5000, '/b/z.h', 7, 0, 1),"
             " (2, 0x5004, NULL, NULL, NULL, 0)");
    assert_string_equal(one(db, "SELECT line(0xfff)"), "NULL");
    assert_string_equal(one(db, "SELECT line(0x1000)"), "x.c:11");
    assert_string_equal(one(db, "SELECT line(0x1006)"), "x.c:11");
    assert_string_equal(one(db, "SELECT line(0x1008)"), "x.c:12");
    assert_string_equal(one(db, "SELECT line(0x100f)"), "x.c:12");
    assert_string_equal(one(db, "SELECT line(0x1010)"), "y.c:5");
    assert_string_equal(one(db, "SELECT line(0x101f)"), "y.c:5");
    assert_string_equal(one(db, "SELECT line(0x1020)"), "NULL");
    assert_string_equal(one(db, "SELECT line(0x4fff)"), "NULL");
    assert_string_equal(one(db, "SELECT line(0x5002)"), "z.h:7");
    assert_string_equal(one(db, "SELECT line(0x5004)"), "NULL");
    assert_string_equal(one(db, "SELECT line(NULL)"), "NULL");
    assert_string_equal(one(db, "SELECT line('garbage')"), "NULL");
    assert_string_equal(one(db, "SELECT line(2.5)"), "NULL");
    /* A sequence added later. */
    exec(db, "INSERT INTO line (module_id, addr, file, line, col, is_stmt) VALUES"
             " (3, 0x1020, 'w.c', 1, 0, 1), (3, 0x1030, NULL, NULL, NULL, 0)");
    assert_string_equal(one(db, "SELECT line(0x1024)"), "w.c:1");
    sqlite3_close(db);
}

static const char *const mem_sql =
    "CREATE TABLE mem (icount, thread, pc, addr, size, value, kind);"
    "CREATE INDEX mem_addr ON mem(addr);"
    "INSERT INTO mem VALUES"
    " (50, 1, 0x1004, 0x100, 8, 7, 2),"     /* [0x100, 0x108) */
    " (10, 1, 0x1000, 0x104, 4, 3, 2),"     /* [0x104, 0x108) */
    " (30, 2, 0x1008, 0x107, 1, 9, 1),"     /* [0x107, 0x108) */
    " (20, 1, 0x100c, 0x108, 8, 1, 3),"     /* [0x108, 0x110) */
    " (40, 1, 0x3010, 0xf8, 8, 5, 1),"      /* [0xf8, 0x100) */
    " (60, 1, 0x9999, 0x10000, 2, 4, 1);";

static void test_mem_history(void **state)
{
    (void)state;
    sqlite3 *db = open_mem();
    assert_string_equal(one(db, "SELECT count(*) FROM mem_history(0x100, 8)"),
                        "ERROR: no table mem: expand with -p mem");
    exec(db, mem_sql);
    exec(db, symbols_sql);
    exec(db, "CREATE TABLE line (id INTEGER PRIMARY KEY, module_id, addr, file, line, col, is_stmt);"
             "INSERT INTO line (module_id, addr, file, line) VALUES (1, 0x1000, 'm.c', 3),"
             " (1, 0x1008, 'm.c', 4), (1, 0x1010, NULL, NULL)");
    /* One byte inside the first access: it and the two within it. */
    assert_string_equal(rows(db, "SELECT icount, thread, pc, addr, size, value, kind, sym, line "
                                 "FROM mem_history(0x107, 1)"),
                        "10|1|4096|260|4|3|2|f1|m.c:3;"
                        "30|2|4104|263|1|9|1|f1+0x8|m.c:4;"
                        "50|1|4100|256|8|7|2|f1+0x4|m.c:3");
    /* Ranges are half-open on both sides. */
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0xf8, 8)"), "40");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0xf9, 8)"), "40;50");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0x108, 1)"), "20");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0xf0, 0x20)"), "10;20;30;40;50");
    assert_string_equal(rows(db, "SELECT icount, sym, line FROM mem_history(0x10001, 1)"),
                        "60|NULL|NULL");
    /* The arguments as hidden columns, and in a join. */
    assert_string_equal(rows(db, "SELECT icount FROM mem_history WHERE range_addr = 0x108 "
                                 "AND range_len = 8"), "20");
    assert_string_equal(rows(db, "SELECT a.x, h.icount FROM (SELECT 0x108 AS x UNION SELECT 0x10000) a, "
                                 "mem_history(a.x, 1) h ORDER BY h.icount"), "264|20;65536|60");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0x100, 8) ORDER BY icount DESC"),
                        "50;30;10");
    /* Empty, garbage and missing arguments. */
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0x100, 0)"), "");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0x100, -8)"), "");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(NULL, 8)"), "");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0x100, NULL)"), "");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(9223372036854775807, 100)"), "");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(-9223372036854775807 - 1, 100)"), "");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history('abc', 8)"),
                        "ERROR: mem_history: addr and len must be integers");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0x100)"),
                        "ERROR: mem_history: usage: mem_history(addr, len)");
    assert_string_equal(rows(db, "SELECT icount FROM mem_history"),
                        "ERROR: mem_history: usage: mem_history(addr, len)");
    assert_true(!strncmp(rows(db, "SELECT icount FROM mem_history(1, 2, 3)"), "ERROR: ", 7));
    sqlite3_close(db);
}

/* icount_id() against a scan, on rowids with gaps and repeated icounts. */
static void test_icount_id(void **state)
{
    (void)state;
    sqlite3 *db = open_mem();
    exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, icount INTEGER)");
    assert_non_null(strstr(one(db, "SELECT icount_id('t', 5)"),
                            "ERROR: icount_id: the database records no table's icount order"));
    exec(db, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
             "INSERT INTO meta VALUES ('icount_ordered', 'other t2 t')");
    assert_string_equal(one(db, "SELECT icount_id('t', 5)"), "1");
    srand(7);
    int64_t id = 10, icount = 3;
    exec(db, "BEGIN");
    for (int i = 0; i < 400; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES (%lld, %lld)", (long long)id,
                 (long long)icount);
        exec(db, sql);
        id += 1 + rand() % 3;
        icount += rand() % 4;
    }
    exec(db, "COMMIT");
    for (int64_t x = -1; x <= icount + 2; x++) {
        char q[128], want[64];
        snprintf(q, sizeof q, "SELECT coalesce((SELECT min(id) FROM t WHERE icount >= %lld), "
                              "(SELECT max(id) + 1 FROM t))", (long long)x);
        snprintf(want, sizeof want, "%s", one(db, q));
        snprintf(q, sizeof q, "SELECT icount_id('t', %lld)", (long long)x);
        assert_string_equal(one(db, q), want);
    }
    /* As rowid bounds of a window, and row by row with a column argument. */
    char want[64];
    snprintf(want, sizeof want, "%s",
             one(db, "SELECT count(*) FROM t WHERE icount >= 100 AND icount < 300"));
    assert_string_equal(one(db, "SELECT count(*) FROM t WHERE id >= icount_id('t', 100) "
                                "AND id < icount_id('t', 300)"), want);
    assert_string_equal(one(db, "SELECT count(*) FROM t a WHERE icount_id('t', a.icount) <> "
                                "(SELECT min(id) FROM t b WHERE b.icount = a.icount)"), "0");
    assert_string_equal(one(db, "SELECT count(*) FROM (SELECT 't' AS n FROM t) "
                                "WHERE icount_id(n, 100) <> icount_id('t', 100)"), "0");
    /* Only tables listed as ordered; names match whole. */
    assert_string_equal(one(db, "SELECT icount_id('tt', 1)"),
                        "ERROR: icount_id: table tt is not stored in icount order (meta key "
                        "icount_ordered lists those that are)");
    assert_non_null(strstr(one(db, "SELECT icount_id('othe', 1)"), "not stored in icount order"));
    assert_string_equal(one(db, "SELECT icount_id('t2', 1)"),
                        "ERROR: icount_id: table t2: no such table: t2");
    assert_string_equal(one(db, "SELECT icount_id(NULL, 1)"), "NULL");
    assert_string_equal(one(db, "SELECT icount_id('t', NULL)"), "NULL");
    assert_string_equal(one(db, "SELECT icount_id('t', 'abc')"), "NULL");
    assert_string_equal(one(db, "SELECT icount_id('t', 1.5)"), "NULL");
    sqlite3_close(db);
}

static void test_calls(void **state)
{
    (void)state;
    sqlite3 *db = open_mem();
    assert_string_equal(one(db, "SELECT count(*) FROM calls('f1')"),
                        "ERROR: no table call: expand with -p call");
    exec(db, symbols_sql);
    exec(db, "CREATE TABLE call (id INTEGER PRIMARY KEY, thread, icount, end_icount, depth, "
             "parent_id, call_pc, callee, symbol TEXT, arg0, arg1, arg2, arg3, arg4, arg5, ret, "
             "insns);"
             "INSERT INTO call VALUES"
             " (1, 7, 100, 900, 0, NULL, 0x1010, 0x3000, 'outer', 1, 2, 3, 4, 5, 6, 42, 700),"
             " (2, 7, 200, 300, 1, 1, 0x3020, 0x1000, 'f1', 10, 11, 12, 13, 14, 15, -1, 60),"
             " (3, 8, 150, NULL, 1, 1, 0x3024, 0x1000, 'f1', 20, 21, 22, 23, 24, 25, NULL, NULL);");
    assert_string_equal(rows(db, "SELECT * FROM calls('f1')"),
                        "3|8|150|NULL|NULL|1|outer+0x24|20|21|22|23|24|25|NULL|NULL;"
                        "2|7|200|300|100|1|outer+0x20|10|11|12|13|14|15|-1|60");
    assert_string_equal(rows(db, "SELECT id, duration, caller, ret FROM calls('outer')"),
                        "1|800|f1+0x10|42");
    assert_string_equal(rows(db, "SELECT count(*) FROM calls('main')"), "0");
    assert_string_equal(rows(db, "SELECT count(*) FROM calls(NULL)"), "0");
    assert_string_equal(rows(db, "SELECT count(*) FROM calls(42)"), "0");
    assert_string_equal(rows(db, "SELECT count(*) FROM calls"),
                        "ERROR: calls: usage: calls(name)");
    /* Joined with the caller's calls: who called f1 from outer's frame. */
    assert_string_equal(rows(db, "SELECT c.id FROM calls('outer') o, calls('f1') c "
                                 "WHERE c.icount BETWEEN o.icount AND o.end_icount ORDER BY c.id"),
                        "2;3");
    sqlite3_close(db);
}

/* Registering twice replaces the functions without leaking or freeing
 * what is still in use (run under ASan). */
static void test_register_twice(void **state)
{
    (void)state;
    sqlite3 *db = open_mem();
    exec(db, symbols_sql);
    assert_string_equal(one(db, "SELECT sym(0x1001)"), "f1+0x1");
    assert_int_equal(tsql_register(db), SQLITE_OK);
    assert_string_equal(one(db, "SELECT sym(0x1001)"), "f1+0x1");
    exec(db, mem_sql);
    assert_string_equal(rows(db, "SELECT icount FROM mem_history(0x108, 1)"), "20");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disasm),
        cmocka_unit_test(test_sym),
        cmocka_unit_test(test_sym_other_connection),
        cmocka_unit_test(test_sym_bulk_update),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_mem_history),
        cmocka_unit_test(test_icount_id),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_register_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
