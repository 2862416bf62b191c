/*
 * test_symtab.c - the `symbol` and `line` tables (tracer/symtab.c) and the
 * sym()/line() functions over them (tracer/sqlfn.c), on the riscv64
 * samples, with binutils as the oracle, computed at test time:
 *   - every symbol readelf -s lists (functions, objects, code labels) is
 *     there at its address plus the load bias, and nothing else;
 *   - a stripped copy falls back to .dynsym;
 *   - the line table equals readelf --debug-dump=decodedline row for row;
 *   - line(pc) equals addr2line and sym(pc) equals objdump -d's <func>
 *     label for every instruction of the PIE's .text and of all of the
 *     static executable (glibc's aliases included);
 *   - the load bias of PIE and static executables;
 *   - truncated, garbage and randomly damaged images return -1 or 0 and
 *     never crash (the unit suite also runs under ASan/UBSan).
 *   test_symtab WC_PIE_SAMPLE STATIC_SAMPLE
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlfn.h"
#include "symtab.h"

static const char *pie_path, *static_path;
static char tmpdir[256];

#define SHT_NOBITS_ 8u  /* ELF gABI */

/* Where the PIE is "mapped" in these tests (page-aligned, like mmap's). */
#define PIE_BASE 0x2aaaab000ull

static void *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = n > 0 ? malloc((size_t)n) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Output of a shell command (NUL-terminated), or NULL if it failed. */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
        }
    }
    int st = pclose(p);
    if (!buf || st != 0) {
        free(buf);
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

static bool have_tools(void)
{
    char *o = run("command -v riscv64-linux-gnu-readelf riscv64-linux-gnu-objdump "
                  "riscv64-linux-gnu-addr2line riscv64-linux-gnu-strip >/dev/null && echo ok");
    bool ok = o && !strncmp(o, "ok", 2);
    free(o);
    return ok;
}

static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(tsql_register(db), SQLITE_OK);
    return db;
}

static sqlite3 *load(const char *path, uint64_t base, uint64_t *bias)
{
    size_t len;
    void *img = slurp(path, &len);
    assert_non_null(img);
    sqlite3 *db = open_db();
    char err[256];
    int rc = tsym_add_module(db, 1, path, base, img, len, bias, err, sizeof err);
    if (rc) fail_msg("%s", err);
    free(img);
    return db;
}

/* Lines of a text, sorted; *n gets the count. Owned by the caller (one
 * block: free(v[0]) is not needed, free(v) and the text). */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char **split_sorted(char *text, size_t *n)
{
    size_t cap = 64, k = 0;
    char **v = malloc(cap * sizeof *v);
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (k == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        v[k++] = l;
    }
    qsort(v, k, sizeof *v, cmp_str);
    *n = k;
    return v;
}

/* Our symbol table as "name addr size kind bind" lines, link-time addresses
 * (the synthesized PLT stub names are not in readelf's table: they are
 * checked against objdump by tests/expand/test_expand.sh). */
static char *our_symbols(sqlite3 *db, uint64_t bias)
{
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, addr, size, kind, bind FROM symbol "
                                            "WHERE name NOT LIKE '%@plt'", -1,
                                        &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char line[1024], size[32];
        /* readelf prints sizes above 99999 in hex. */
        uint64_t sz = (uint64_t)sqlite3_column_int64(st, 2);
        snprintf(size, sizeof size, sz > 99999 ? "0x%" PRIx64 : "%" PRIu64, sz);
        int n = snprintf(line, sizeof line, "%s %" PRIx64 " %s %s %s\n",
                         (const char *)sqlite3_column_text(st, 0),
                         (uint64_t)sqlite3_column_int64(st, 1) - bias, size,
                         (const char *)sqlite3_column_text(st, 3),
                         (const char *)sqlite3_column_text(st, 4));
        if (len + (size_t)n + 1 > cap) out = realloc(out, cap *= 2);
        memcpy(out + len, line, (size_t)n + 1);
        len += (size_t)n;
    }
    sqlite3_finalize(st);
    return out;
}

/* readelf's view of the same: the section `table` (.symtab or .dynsym),
 * defined FUNC/IFUNC/OBJECT symbols, and NOTYPE ones in executable
 * sections, without mapping symbols; version suffixes dropped. */
static char *readelf_symbols(const char *path, const char *table)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "X=$(riscv64-linux-gnu-readelf -SW '%s' | sed -n 's/^ *\\[ *\\([0-9]*\\)\\] *\\(.*\\)/\\1 \\2/p' "
             "| awk '$8 ~ /X/ {printf \"%%s,\", $1}'); "
             "riscv64-linux-gnu-readelf -sW '%s' | awk -v x=\",$X\" -v t=\"'%s'\" '"
             "/^Symbol table/ {on = ($3 == t); next} "
             "on && NF >= 8 && $7 != \"UND\" && $7 != \"ABS\" && $8 !~ /^[$]/ && $8 !~ /^[.]L/ {"
             "  k = \"\"; if ($4 == \"FUNC\" || $4 == \"IFUNC\") k = \"func\";"
             "  else if ($4 == \"OBJECT\") k = \"object\";"
             "  else if ($4 == \"NOTYPE\" && index(x, \",\" $7 \",\")) k = \"func\";"
             "  if (k == \"\") next;"
             "  name = $8; sub(/@.*/, \"\", name); v = $2; sub(/^0+/, \"\", v); if (v == \"\") v = \"0\";"
             "  b = ($5 == \"LOCAL\") ? \"local\" : ($5 == \"WEAK\") ? \"weak\" : \"global\";"
             "  printf \"%%s %%s %%s %%s %%s\\n\", name, v, $3, k, b }'",
             path, path, table);
    char *o = run(cmd);
    assert_non_null(o);
    return o;
}

static void compare_symbols(sqlite3 *db, uint64_t bias, const char *path, const char *table,
                            size_t at_least)
{
    char *ours = our_symbols(db, bias), *theirs = readelf_symbols(path, table);
    size_t na, nb;
    char **a = split_sorted(ours, &na), **b = split_sorted(theirs, &nb);
    print_message("%s %s: %zu symbols, readelf %zu\n", path, table, na, nb);
    assert_true(na >= at_least);
    for (size_t i = 0; i < na && i < nb; i++)
        if (strcmp(a[i], b[i])) fail_msg("symbol %zu: ours '%s', readelf '%s'", i, a[i], b[i]);
    assert_int_equal(na, nb);
    free(a);
    free(b);
    free(ours);
    free(theirs);
}

static void test_symbols_pie(void **state)
{
    (void)state;
    if (!have_tools()) skip();
    uint64_t bias = 1;
    sqlite3 *db = load(pie_path, PIE_BASE, &bias);
    /* The first PT_LOAD of a PIE has p_vaddr 0 and p_offset 0. */
    assert_int_equal(bias, PIE_BASE);
    compare_symbols(db, bias, pie_path, ".symtab", 10);
    sqlite3_close(db);
}

static void test_symbols_static(void **state)
{
    (void)state;
    if (!have_tools()) skip();
    uint64_t bias = 1;
    sqlite3 *db = load(static_path, 0x10000, &bias);
    assert_int_equal(bias, 0);  /* ET_EXEC: link addresses are run addresses */
    compare_symbols(db, 0, static_path, ".symtab", 1000);
    sqlite3_close(db);
}

/* Without .symtab: the exported symbols of .dynsym. */
static void test_symbols_stripped(void **state)
{
    (void)state;
    if (!have_tools()) skip();
    char out[512], cmd[1200];
    snprintf(out, sizeof out, "%s/stripped", tmpdir);
    snprintf(cmd, sizeof cmd, "riscv64-linux-gnu-strip -o '%s' '%s'", out, pie_path);
    free(run(cmd));
    uint64_t bias;
    sqlite3 *db = load(out, PIE_BASE, &bias);
    compare_symbols(db, bias, out, ".dynsym", 1);
    /* No debug info left: no line rows. */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM line", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(out);
}

/* The line table, row for row, against readelf's decoded line table:
 * base name, line ('-' for an end of sequence), address, is_stmt. */
static void test_lines(void **state)
{
    (void)state;
    if (!have_tools()) skip();
    uint64_t bias;
    sqlite3 *db = load(pie_path, PIE_BASE, &bias);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "riscv64-linux-gnu-readelf -wL -W '%s' | awk '$2 ~ /^([0-9]+|-)$/ && $3 ~ /^0x/ {"
             " s = ($NF == \"x\") ? 1 : 0; print $1, $2, $3, s }'", pie_path);
    char *theirs = run(cmd);
    assert_non_null(theirs);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT file, line, addr, is_stmt FROM line ORDER BY id",
                                        -1, &st, NULL), SQLITE_OK);
    size_t n = 0;
    char *save = NULL;
    for (char *l = strtok_r(theirs, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++) {
        if (sqlite3_step(st) != SQLITE_ROW) fail_msg("row %zu missing: readelf '%s'", n, l);
        char ours[512];
        const char *file = (const char *)sqlite3_column_text(st, 0);
        const char *base = file ? strrchr(file, '/') : NULL;
        base = base ? base + 1 : file;
        char lineno[32];
        if (sqlite3_column_type(st, 1) == SQLITE_NULL) snprintf(lineno, sizeof lineno, "-");
        else snprintf(lineno, sizeof lineno, "%d", sqlite3_column_int(st, 1));
        snprintf(ours, sizeof ours, "%s %s 0x%" PRIx64 " %d", base ? base : "?", lineno,
                 (uint64_t)sqlite3_column_int64(st, 2) - bias, sqlite3_column_int(st, 3));
        /* readelf names the file of an end_sequence row; we store none. */
        if (!file) {
            const char *sp = strchr(l, ' ');
            assert_non_null(sp);
            assert_string_equal(ours + 2, sp + 1);
        } else if (strcmp(ours, l)) {
            fail_msg("line row %zu: ours '%s', readelf '%s'", n, ours, l);
        }
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    print_message("%zu line rows agree with readelf\n", n);
    assert_true(n > 20);
    sqlite3_finalize(st);
    free(theirs);
    sqlite3_close(db);
}

/* line() against addr2line -s and sym() against objdump's <label+off>
 * for every instruction objdump -d shows (of section `only`, if given). */
static void lookups(const char *path, uint64_t base, const char *only, size_t min_insns,
                    size_t min_lines)
{
    if (!have_tools()) skip();
    uint64_t bias;
    sqlite3 *db = load(path, base, &bias);
    char cmd[2048], sect[64] = "";
    if (only) snprintf(sect, sizeof sect, "--section=%s", only);
    /* "addr label" for every instruction, then addr2line's answer. */
    snprintf(cmd, sizeof cmd,
             "riscv64-linux-gnu-objdump -d %s '%s' | awk "
             "'/^[0-9a-f]+ <.*>:$/ { f = $2; gsub(/[<>:]/, \"\", f); fa = $1; next } "
             " /^ *[0-9a-f]+:\\t/ { a = $1; sub(/:$/, \"\", a); print a, f, fa }' > '%s/insns' && "
             "cut -d' ' -f1 '%s/insns' | riscv64-linux-gnu-addr2line -s -e '%s' | "
             "sed 's/ (discriminator [0-9]*)//' | paste -d' ' '%s/insns' -",
             sect, path, tmpdir, tmpdir, path, tmpdir);
    char *out = run(cmd);
    assert_non_null(out);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT sym(?1), line(?1)", -1, &st, NULL), SQLITE_OK);
    size_t n = 0, with_line = 0;
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++) {
        char label[256], loc[512];
        unsigned long long addr, faddr;
        if (sscanf(l, "%llx %255s %llx %511s", &addr, label, &faddr, loc) != 4)
            fail_msg("cannot parse '%s'", l);
        char want_sym[300];
        if (addr == faddr) snprintf(want_sym, sizeof want_sym, "%s", label);
        else snprintf(want_sym, sizeof want_sym, "%s+0x%llx", label, addr - faddr);
        /* addr2line: "file:N", or "??:0"/"file:?" when no row covers it. */
        const char *colon = strrchr(loc, ':');
        bool known = colon && colon[1] >= '1' && colon[1] <= '9' && strncmp(loc, "??", 2);
        sqlite3_bind_int64(st, 1, (int64_t)(addr + bias));
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        const char *s = (const char *)sqlite3_column_text(st, 0);
        const char *li = (const char *)sqlite3_column_text(st, 1);
        if (!s || strcmp(s, want_sym))
            fail_msg("sym(0x%llx): '%s', objdump <%s>", addr, s ? s : "NULL", want_sym);
        if (known) {
            with_line++;
            if (!li || strcmp(li, loc))
                fail_msg("line(0x%llx): '%s', addr2line '%s'", addr, li ? li : "NULL", loc);
        } else if (li) {
            fail_msg("line(0x%llx): '%s', addr2line has none (%s)", addr, li, loc);
        }
        sqlite3_reset(st);
    }
    print_message("%s: %zu instructions (%zu with a line) agree with objdump and addr2line\n",
                  path, n, with_line);
    assert_true(n >= min_insns && with_line >= min_lines);
    sqlite3_finalize(st);
    free(out);
    sqlite3_close(db);
}

static void test_lookups_pie(void **state)
{
    (void)state;
    lookups(pie_path, PIE_BASE, ".text", 50, 20);
}

/* All of static glibc: thousands of functions with aliases (weak and
 * global, __libc_ and public names), assembly labels, no debug info. */
static void test_lookups_static(void **state)
{
    (void)state;
    lookups(static_path, 0, NULL, 10000, 5);
}

static int64_t count(sqlite3 *db, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

/* Two modules in one database keep their module ids and addresses. */
static void test_two_modules(void **state)
{
    (void)state;
    size_t la, lb;
    void *a = slurp(pie_path, &la), *b = slurp(static_path, &lb);
    assert_non_null(a);
    assert_non_null(b);
    sqlite3 *db = open_db();
    char err[256];
    uint64_t bias;
    assert_int_equal(tsym_add_module(db, 7, pie_path, PIE_BASE, a, la, &bias, err, sizeof err), 0);
    int64_t n1 = count(db, "symbol");
    assert_int_equal(tsym_add_module(db, 9, static_path, 0, b, lb, &bias, err, sizeof err), 0);
    int64_t n2 = count(db, "symbol");
    assert_true(n1 > 0 && n2 > n1);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT module_id, count(*) FROM symbol GROUP BY 1 "
                                            "ORDER BY 1", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 7);
    assert_int_equal(sqlite3_column_int64(st, 1), n1);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 9);
    assert_int_equal(sqlite3_column_int64(st, 1), n2 - n1);
    sqlite3_finalize(st);
    /* Inside an open transaction (the trace writer's case) too. */
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(tsym_add_module(db, 10, pie_path, PIE_BASE + 0x100000, a, la, &bias, err,
                                     sizeof err), 0);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(count(db, "symbol"), n2 + n1);
    free(a);
    free(b);
    sqlite3_close(db);
}

static int try_image(const void *img, size_t len, char *err, size_t errlen)
{
    sqlite3 *db = open_db();
    uint64_t bias;
    int rc = tsym_add_module(db, 1, "damaged", PIE_BASE, img, len, &bias, err, errlen);
    /* Whatever went in is readable, and the functions still answer. */
    sqlite3_exec(db, "SELECT sym(addr), line(addr) FROM symbol", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void test_damaged(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = slurp(pie_path, &len);
    assert_non_null(img);
    char err[256];
    /* Not ELF at all. */
    assert_int_equal(try_image("", 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "damaged: not an ELF file"));
    assert_int_equal(try_image("garbage, not an executable at all", 33, err, sizeof err), -1);
    assert_int_equal(try_image(NULL, 100, err, sizeof err), -1);
    /* Truncated: the section headers are at the end of the file. */
    size_t cuts[] = { 4, 16, 63, 64, 200, 1000, len / 2, len - 64, len - 1 };
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        err[0] = 0;
        int rc = try_image(img, cuts[i], err, sizeof err);
        if (rc != -1) fail_msg("truncated to %zu bytes: returned %d", cuts[i], rc);
        assert_true(err[0] != 0);
    }
    /* ELF magic followed by garbage. */
    unsigned char *g = malloc(4096);
    srand(12345);
    for (int i = 0; i < 4096; i++) g[i] = (unsigned char)rand();
    memcpy(g, img, 4);
    assert_int_equal(try_image(g, 4096, err, sizeof err), -1);
    /* A real header with garbage after it. */
    memcpy(g, img, 64);
    assert_int_equal(try_image(g, 4096, err, sizeof err), -1);
    free(g);
    /* Random damage anywhere: must not crash; 0 or -1 both allowed. */
    unsigned char *m = malloc(len);
    int failed = 0;
    for (int round = 0; round < 300; round++) {
        memcpy(m, img, len);
        int flips = 1 + rand() % 16;
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)rand() % len;
            /* Half the time aim at the headers, where damage matters most. */
            if (k % 2 == 0) at = (size_t)rand() % 64;
            m[at] = (unsigned char)rand();
        }
        int rc = try_image(m, len, err, sizeof err);
        assert_true(rc == 0 || rc == -1);
        failed += rc != 0;
    }
    print_message("300 damaged images: %d refused\n", failed);
    /* Damage inside one section at a time (symbol and string tables, the
     * DWARF sections libdw parses) or in the section headers: the
     * sample is ELF64 little-endian, its headers read directly here. */
    uint64_t shoff;
    uint16_t shentsize, shnum;
    memcpy(&shoff, img + 0x28, 8);
    memcpy(&shentsize, img + 0x3a, 2);
    memcpy(&shnum, img + 0x3c, 2);
    assert_true(shentsize == 64 && shoff + (uint64_t)shnum * 64 <= len);
    failed = 0;
    for (int round = 0; round < 600; round++) {
        memcpy(m, img, len);
        unsigned sec = (unsigned)rand() % (shnum + 1u);
        uint64_t off, size;
        if (sec == shnum) {
            off = shoff;
            size = (uint64_t)shnum * 64;
        } else {
            uint32_t type;
            memcpy(&type, img + shoff + sec * 64 + 4, 4);
            memcpy(&off, img + shoff + sec * 64 + 24, 8);
            memcpy(&size, img + shoff + sec * 64 + 32, 8);
            if (type == SHT_NOBITS_ || size == 0 || off + size > len) continue;
        }
        int flips = 1 + rand() % 8;
        for (int k = 0; k < flips; k++)
            m[off + (uint64_t)rand() % size] = (unsigned char)rand();
        int rc = try_image(m, len, err, sizeof err);
        assert_true(rc == 0 || rc == -1);
        failed += rc != 0;
    }
    print_message("600 images damaged in one section: %d refused\n", failed);
    free(m);
    free(img);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_symtab WC_PIE_SAMPLE STATIC_SAMPLE\n");
        return 2;
    }
    pie_path = argv[1];
    static_path = argv[2];
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_symtab_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symbols_pie),
        cmocka_unit_test(test_symbols_static),
        cmocka_unit_test(test_symbols_stripped),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_lookups_pie),
        cmocka_unit_test(test_lookups_static),
        cmocka_unit_test(test_two_modules),
        cmocka_unit_test(test_damaged),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd)) {}
    return rc;
}
