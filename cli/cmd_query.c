/*
 * cmd_query.c - `reprise query`: runs SQL on a trace database (read-only,
 * with the functions of tracer/sqlfn.h) and prints the rows as an aligned
 * table, CSV or JSON.
 *
 * CSV quotes a field exactly when the sqlite3 shell's `-csv` mode does
 * (a control character, space, '"', '\'', ',' or a byte >= 0x7f, or the
 * empty string; NULL is an empty unquoted field), which is RFC 4180 quoting
 * of a superset of the fields it requires quoted, so `sqlite3 -csv -header`
 * is an exact oracle for text and integers.
 */
#include "cli.h"
#include "sqlfn.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Rows a table-format result buffers to size its columns; later rows are
 * printed at those widths (a wider cell pushes its row's later cells). */
#define TABLE_SAMPLE 1000

enum fmt { FMT_TABLE, FMT_CSV, FMT_JSON };

static void query_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise query TRACE.db [SQL] [--format table|csv|json]\n"
            "\n"
            "Runs the SQL statements (';'-separated; from standard input when SQL\n"
            "is '-' or absent) on the trace database TRACE.db, opened read-only,\n"
            "and prints the rows of every statement that returns rows. The functions\n"
            "disasm(), sym(), line(), icount_id(), mem_history() and calls() are\n"
            "available; see docs/trace-schema.md.\n"
            "\n"
            "  -f, --format FMT      table (aligned columns, the default), csv (a header\n"
            "                        line, then RFC 4180 rows) or json (an array of\n"
            "                        objects per statement; blobs as hex strings)\n"
            "  -h, --help            show this help\n"
            "\n"
            "Exit status: 0 on success; 1 if the database cannot be read or a\n"
            "statement fails (SQLite's message and the statement on stderr);\n"
            "2 for a bad command line.\n");
}

/* ------------------------------------------------------------------ */
/* Cells as text                                                        */

static char *hex(const unsigned char *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s) return NULL;
    for (size_t i = 0; i < n; i++) sprintf(s + 2 * i, "%02x", p[i]);
    s[2 * n] = 0;
    return s;
}

/* Column i of the current row as owned text (NULL for SQL NULL): integers
 * in decimal, reals as SQLite prints them, blobs in hex. *ok is false when
 * memory ran out. */
static char *cell_text(sqlite3_stmt *st, int i, bool *ok)
{
    int type = sqlite3_column_type(st, i);
    char *s = NULL;
    if (type == SQLITE_NULL) return NULL;
    if (type == SQLITE_BLOB) {
        s = hex(sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
    } else {
        const char *t = (const char *)sqlite3_column_text(st, i);
        int n = sqlite3_column_bytes(st, i);
        if (t && (s = malloc((size_t)n + 1))) {
            memcpy(s, t, (size_t)n);
            s[n] = 0;
        }
    }
    if (!s) *ok = false;
    return s;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                  */

static bool csv_needs_quote(const char *s)
{
    if (!*s) return true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == ' ' || *p == '"' || *p == '\'' || *p == ',' || *p >= 0x7f)
            return true;
    return false;
}

static void csv_field(FILE *out, const char *s)
{
    if (!s) return;
    if (!csv_needs_quote(s)) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static int print_csv(sqlite3_stmt *st, int ncols, FILE *out)
{
    for (int i = 0; i < ncols; i++) {
        if (i) fputc(',', out);
        csv_field(out, sqlite3_column_name(st, i));
    }
    fputc('\n', out);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++) {
            bool ok = true;
            char *s = cell_text(st, i, &ok);
            if (!ok) return SQLITE_NOMEM;
            if (i) fputc(',', out);
            csv_field(out, s);
            free(s);
        }
        fputc('\n', out);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */

static json_t *json_cell(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: {
        json_t *r = json_real(sqlite3_column_double(st, i));
        return r ? r : json_null();  /* infinities have no JSON form */
    }
    case SQLITE_TEXT: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        json_t *s = json_stringn(t, n);
        if (s || !t) return s;
        /* Not UTF-8: keep the ASCII, mark the other bytes. */
        char *c = malloc(n + 1);
        if (!c) return NULL;
        for (size_t k = 0; k < n; k++)
            c[k] = (unsigned char)t[k] < 0x80 ? t[k] : '?';
        s = json_stringn(c, n);
        free(c);
        return s;
    }
    case SQLITE_BLOB: {
        char *h = hex(sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i));
        json_t *s = h ? json_string(h) : NULL;
        free(h);
        return s;
    }
    default: return json_null();
    }
}

/* One array per statement, one object per line, keys in column order. */
static int print_json(sqlite3_stmt *st, int ncols, FILE *out)
{
    int rc;
    bool first = true;
    fputc('[', out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        if (!o) return SQLITE_NOMEM;
        for (int i = 0; i < ncols; i++) {
            json_t *v = json_cell(st, i);
            const char *name = sqlite3_column_name(st, i);
            if (!v || json_object_set_new(o, name ? name : "", v)) {
                json_decref(o);
                return SQLITE_NOMEM;
            }
        }
        fputs(first ? "\n" : ",\n", out);
        first = false;
        json_dumpf(o, out, JSON_PRESERVE_ORDER);
        json_decref(o);
    }
    fputs(first ? "]\n" : "\n]\n", out);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Table                                                                */

struct trow {
    char **cells;
};

/* Display width: one per UTF-8 code point. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) w++;
    return w;
}

/* Tabs and line breaks would break the alignment: shown as spaces; other
 * control characters as '?'. */
static void table_clean(char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20) *s = (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : '?';
}

static void pad(FILE *out, size_t n)
{
    while (n--) fputc(' ', out);
}

/* Columns whose sampled cells are all numbers are right-aligned, header
 * included; the last column is not padded on the right. */
static void table_line(FILE *out, int ncols, char *const *cells, const size_t *w,
                       const bool *right)
{
    for (int i = 0; i < ncols; i++) {
        const char *s = cells[i] ? cells[i] : "";
        size_t cw = width(s);
        size_t gap = cw < w[i] ? w[i] - cw : 0;
        if (i) fputs("  ", out);
        if (right[i]) pad(out, gap);
        fputs(s, out);
        if (!right[i] && i < ncols - 1) pad(out, gap);
    }
    fputc('\n', out);
}

static void free_rows(struct trow *rows, size_t n, int ncols)
{
    for (size_t r = 0; r < n; r++) {
        for (int i = 0; i < ncols; i++) free(rows[r].cells[i]);
        free(rows[r].cells);
    }
    free(rows);
}

/* Reads the current row into owned, cleaned cells; num[i] tells whether
 * cell i is a number (right-aligned). */
static char **table_row(sqlite3_stmt *st, int ncols, bool *num)
{
    char **cells = calloc((size_t)ncols, sizeof *cells);
    if (!cells) return NULL;
    bool ok = true;
    for (int i = 0; i < ncols; i++) {
        int t = sqlite3_column_type(st, i);
        num[i] = t == SQLITE_INTEGER || t == SQLITE_FLOAT;
        cells[i] = cell_text(st, i, &ok);
        table_clean(cells[i]);
    }
    if (!ok) {
        for (int i = 0; i < ncols; i++) free(cells[i]);
        free(cells);
        return NULL;
    }
    return cells;
}

static int print_table(sqlite3_stmt *st, int ncols, FILE *out)
{
    size_t *w = calloc((size_t)ncols, sizeof *w);
    bool *right = calloc((size_t)ncols, sizeof *right);   /* every sampled cell numeric */
    bool *seen = calloc((size_t)ncols, sizeof *seen);     /* some non-NULL cell sampled */
    bool *num = calloc((size_t)ncols, sizeof *num);
    char **head = calloc((size_t)ncols, sizeof *head);
    struct trow *rows = calloc(TABLE_SAMPLE, sizeof *rows);
    size_t n = 0;
    int rc = SQLITE_NOMEM;
    if (!w || !right || !seen || !num || !head || !rows) goto out;
    for (int i = 0; i < ncols; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (!(head[i] = strdup(name ? name : ""))) goto out;
        table_clean(head[i]);
        w[i] = width(head[i]);
        right[i] = true;
    }
    while (n < TABLE_SAMPLE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!(rows[n].cells = table_row(st, ncols, num))) {
            rc = SQLITE_NOMEM;
            goto out;
        }
        for (int i = 0; i < ncols; i++) {
            const char *c = rows[n].cells[i];
            if (!c) continue;
            seen[i] = true;
            if (!num[i]) right[i] = false;
            size_t cw = width(c);
            if (cw > w[i]) w[i] = cw;
        }
        n++;
    }
    if (n == TABLE_SAMPLE) rc = SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) goto out;
    for (int i = 0; i < ncols; i++) right[i] = right[i] && seen[i];
    table_line(out, ncols, head, w, right);
    for (int i = 0; i < ncols; i++) {
        if (i) fputs("  ", out);
        for (size_t k = 0; k < w[i]; k++) fputc('-', out);
    }
    fputc('\n', out);
    for (size_t r = 0; r < n; r++) table_line(out, ncols, rows[r].cells, w, right);
    /* Past the sample: streamed at the sampled widths. */
    if (rc == SQLITE_ROW) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            char **cells = table_row(st, ncols, num);
            if (!cells) {
                rc = SQLITE_NOMEM;
                break;
            }
            table_line(out, ncols, cells, w, right);
            for (int i = 0; i < ncols; i++) free(cells[i]);
            free(cells);
        }
    }
out:
    if (rows) free_rows(rows, n, ncols);
    if (head)
        for (int i = 0; i < ncols; i++) free(head[i]);
    free(head);
    free(w);
    free(right);
    free(seen);
    free(num);
    return rc;
}

/* ------------------------------------------------------------------ */

static char *read_stdin(void)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, stdin);
        len += got;
        if (got == 0) break;
        if (len + 1 == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
        }
    }
    if (buf) buf[len] = 0;
    return buf;
}

/* The statement text for an error message: trimmed, at most 300 bytes. */
static void print_statement(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    fprintf(stderr, "  in: %.*s%s\n", (int)(n > 300 ? 300 : n), s, n > 300 ? " ..." : "");
}

static int run_all(sqlite3 *db, const char *sql, enum fmt fmt)
{
    const char *p = sql;
    bool printed = false;
    while (*p) {
        sqlite3_stmt *st = NULL;
        const char *next = NULL;
        if (sqlite3_prepare_v2(db, p, -1, &st, &next) != SQLITE_OK) {
            cli_error("query", "SQL error: %s", sqlite3_errmsg(db));
            print_statement(p, strlen(p));
            return CLI_FAIL;
        }
        if (!st) {  /* only whitespace or a comment was left */
            if (!next || next == p) break;
            p = next;
            continue;
        }
        int ncols = sqlite3_column_count(st);
        int rc;
        if (ncols == 0) {
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
        } else {
            if (printed && fmt == FMT_TABLE) fputc('\n', stdout);
            printed = true;
            rc = fmt == FMT_CSV    ? print_csv(st, ncols, stdout)
                 : fmt == FMT_JSON ? print_json(st, ncols, stdout)
                                   : print_table(st, ncols, stdout);
        }
        if (rc != SQLITE_DONE) {
            fflush(stdout);
            cli_error("query", "SQL error: %s",
                      rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
            print_statement(p, (size_t)(next - p));
            sqlite3_finalize(st);
            return CLI_FAIL;
        }
        sqlite3_finalize(st);
        p = next;
    }
    return CLI_OK;
}

int cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    enum fmt fmt = FMT_TABLE;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "table")) fmt = FMT_TABLE;
            else if (!strcmp(optarg, "csv")) fmt = FMT_CSV;
            else if (!strcmp(optarg, "json")) fmt = FMT_JSON;
            else {
                cli_error("query", "--format wants table, csv or json, not '%s'", optarg);
                return CLI_USAGE;
            }
            break;
        case 'h': query_usage(stdout); return CLI_OK;
        default: query_usage(stderr); return CLI_USAGE;
        }
    }
    int nargs = argc - optind;
    if (nargs < 1 || nargs > 2) {
        if (nargs > 2) cli_error("query", "give the SQL as one argument (quote it)");
        query_usage(stderr);
        return CLI_USAGE;
    }
    const char *file = argv[optind];
    const char *sql_arg = nargs == 2 ? argv[optind + 1] : "-";

    struct stat sb;
    if (stat(file, &sb) != 0) {
        cli_error("query", "%s: %s", file, strerror(errno));
        return CLI_FAIL;
    }
    if (!S_ISREG(sb.st_mode)) {
        cli_error("query", "%s: not a regular file", file);
        return CLI_FAIL;
    }
    char *sql = NULL;
    if (!strcmp(sql_arg, "-")) {
        if (!(sql = read_stdin())) {
            cli_error("query", "cannot read the SQL from standard input");
            return CLI_FAIL;
        }
    } else if (!(sql = strdup(sql_arg))) {
        cli_error("query", "out of memory");
        return CLI_FAIL;
    }
    sqlite3 *db = NULL;
    int status = CLI_FAIL;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        cli_error("query", "%s: %s", file, db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    /* SQLite reads the header lazily: make a non-database fail here, named. */
    if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
        cli_error("query", "%s: %s", file, sqlite3_errmsg(db));
        goto out;
    }
    if (tsql_register(db) != SQLITE_OK) {
        cli_error("query", "%s: cannot register the trace functions: %s", file,
                  sqlite3_errmsg(db));
        goto out;
    }
    status = run_all(db, sql, fmt);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("query", "writing the output: %s", strerror(errno));
        status = CLI_FAIL;
    }
out:
    sqlite3_close(db);
    free(sql);
    return status;
}
