/*
 * test_store_cli.c - what `reprise info` and `reprise dump` print for a
 * recording (cli/cmd_info.c, cli/cmd_dump.c through cli_info_print and
 * cli_dump_print): text and JSON, filters, a recovered and a damaged file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

static char path[512];
static uint8_t *file;
static size_t file_len;

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rpr-cli-XXXXXX", t && *t ? t : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    json_t *meta = json_pack("{s:s, s:[s,s], s:s}", "program", "/usr/bin/hello", "argv",
                             "hello", "-v", "isa", "rv64gc");
    struct rpr_writer *w;
    char err[512];
    if (rpr_writer_create(path, meta, NULL, &w, err, sizeof err)) return -1;
    json_decref(meta);
    rpr_writer_stream_begin(w, 7, 0, 0, "/usr/bin/hello");
    static const char hello[] = "hello, world\n";
    struct rpr_mem_write mw = { 0x3ffff000, { hello, 13, false, { 0 } } };
    struct rpr_event ev = { .kind = RPR_EV_SYSCALL, .at = { 1000, 7, 1000, 0x10abc } };
    ev.u.syscall.nr = 63;
    ev.u.syscall.ret = 13;
    ev.u.syscall.writes = (struct rpr_mem_writes){ 1, &mw };
    rpr_writer_append(w, 7, &ev);
    uint8_t si[128] = { 14 };
    struct rpr_event sg = { .kind = RPR_EV_SIGNALS, .at = { 2000, 7, 2000, 0x10b00 } };
    sg.u.signals.infos = (struct rpr_siginfos){ 1, si };
    rpr_writer_append(w, 7, &sg);
    struct rpr_event ex = { .kind = RPR_EV_EXIT, .at = { 3000, 7, 3000, 0x10c00 } };
    ex.u.exit.status = 0;
    rpr_writer_append(w, 7, &ex);
    rpr_writer_add_digest(w, 7, &ex.at, 0x1234);
    rpr_writer_stream_begin(w, 8, 7, 1500, NULL);
    struct rpr_event fk = { .kind = RPR_EV_FORK, .at = { 1500, 8, 1500, 0x10d00 } };
    rpr_writer_append(w, 8, &fk);
    if (rpr_writer_close(w)) return -1;
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    file_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    file = malloc(file_len);
    if (fread(file, 1, file_len, f) != file_len) return -1;
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    free(file);
    return 0;
}

/* Runs fn on the recording in buf and returns what it printed (malloc'd). */
static char *capture(const uint8_t *buf, size_t len, int (*fn)(struct rpr_reader *, FILE *, void *),
                     void *arg, int *rc)
{
    struct rpr_reader *r;
    char err[512];
    if (rpr_reader_open_mem(buf, len, "t.rpr", &r, err, sizeof err)) fail_msg("%s", err);
    char *text = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&text, &n);
    *rc = fn(r, out, arg);
    fclose(out);
    rpr_reader_close(r);
    return text;
}

static int info_fn(struct rpr_reader *r, FILE *out, void *arg)
{
    return cli_info_print(r, out, arg != NULL);
}

static int dump_fn(struct rpr_reader *r, FILE *out, void *arg)
{
    return cli_dump_print(r, out, NULL, arg);
}

static void test_info(void **state)
{
    (void)state;
    int rc;
    char *t = capture(file, file_len, info_fn, NULL, &rc);
    assert_int_equal(rc, CLI_OK);
    assert_non_null(strstr(t, "state         closed cleanly\n"));
    assert_non_null(strstr(t, "program       /usr/bin/hello\n"));
    assert_non_null(strstr(t, "pid 7 /usr/bin/hello: icount 1000..3000, 4 events in 1 frames, ended"));
    assert_non_null(strstr(t, "syscall 1, signals 1, exit 1, digest 1"));
    assert_non_null(strstr(t, "pid 8 (parent 7, forked at icount 1500)"));
    assert_non_null(strstr(t, "instructions  3000 "));
    free(t);

    t = capture(file, file_len, info_fn, "json", &rc);
    assert_int_equal(rc, CLI_OK);
    json_error_t je;
    json_t *o = json_loads(t, 0, &je);
    assert_non_null(o);
    assert_true(json_is_true(json_object_get(o, "clean")));
    assert_int_equal(json_integer_value(json_object_get(o, "events")), 5);
    json_t *s0 = json_array_get(json_object_get(o, "streams"), 0);
    assert_int_equal(json_integer_value(json_object_get(s0, "pid")), 7);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s0, "events_by_kind"), "syscall")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "metadata"), "isa")), "rv64gc");
    json_decref(o);
    free(t);

    /* Recovered: the footer cut off. */
    t = capture(file, file_len - 10, info_fn, NULL, &rc);
    assert_int_equal(rc, CLI_OK);
    assert_non_null(strstr(t, "state         recovered"));
    assert_non_null(strstr(t, "syscall 1, signals 1, exit 1, digest 1"));
    free(t);

    /* Damaged in the middle of a clean file: found and named. */
    uint8_t *bad = malloc(file_len);
    memcpy(bad, file, file_len);
    struct rpr_reader *r;
    char err[256];
    assert_int_equal(rpr_reader_open_mem(file, file_len, "t.rpr", &r, err, sizeof err), 0);
    uint8_t h[16];
    assert_int_equal(rpr_reader_blob_at(r, 0, h, NULL), RPR_E_NOTFOUND);
    rpr_reader_close(r);
    /* Walk the chunks to stream 7's first frame (type 1). */
    size_t off = 32 + (size_t)(file[16] | file[17] << 8);
    while (!(file[off + 4] == 1 && file[off + 8] == 7)) {
        assert_memory_equal(file + off, "RPRC", 4);
        off += 64 + (size_t)(file[off + 36] | file[off + 37] << 8 | file[off + 38] << 16);
        assert_true(off + 64 < file_len);
    }
    bad[off + 64 + 3] ^= 0x40;
    t = capture(bad, file_len, info_fn, NULL, &rc);
    assert_int_equal(rc, CLI_FAIL);
    assert_non_null(strstr(t, "damaged"));
    char want[96];
    snprintf(want, sizeof want, "t.rpr: frame 0 of stream 7 at offset 0x%zx: checksum mismatch", off);
    assert_non_null(strstr(t, want));
    free(t);
    free(bad);
}

static void test_dump(void **state)
{
    (void)state;
    int rc;
    struct cli_dump_opts o = { .to = UINT64_MAX };
    char *t = capture(file, file_len, dump_fn, &o, &rc);
    assert_int_equal(rc, CLI_OK);
    assert_non_null(strstr(t, "[7] icount=1000 tid=7 ticount=1000 pc=0x10abc syscall nr=63 (read) "
                              "args_digest=0x0000000000000000 ret=13 "
                              "writes=[0x3ffff000: 13 bytes \"hello, world\\n\"]\n"));
    assert_non_null(strstr(t, "signals infos=[SIGALRM code=0 pid=0]"));
    assert_non_null(strstr(t, "[8] icount=1500 tid=8 ticount=1500 pc=0x10d00 fork result=0\n"));
    free(t);

    /* One stream, a window, kinds; JSON lines. */
    o.json = true;
    o.one_stream = true;
    o.stream = 7;
    o.from = 1500;
    o.to = 3000;
    o.kinds[0] = 1ull << RPR_EV_SIGNALS | 1ull << RPR_EV_DIGEST | 1ull << RPR_EV_SYSCALL;
    t = capture(file, file_len, dump_fn, &o, &rc);
    assert_int_equal(rc, CLI_OK);
    char *line = strtok(t, "\n");
    json_error_t je;
    json_t *a = json_loads(line, 0, &je);
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(a, "kind")), "signals");
    json_t *info = json_array_get(json_object_get(a, "infos"), 0);
    assert_string_equal(json_string_value(json_object_get(info, "name")), "SIGALRM");
    json_decref(a);
    line = strtok(NULL, "\n");
    a = json_loads(line, 0, &je);
    assert_string_equal(json_string_value(json_object_get(a, "kind")), "digest");
    assert_string_equal(json_string_value(json_object_get(a, "digest")), "0x0000000000001234");
    assert_int_equal(json_integer_value(json_object_get(a, "icount")), 3000);
    json_decref(a);
    assert_null(strtok(NULL, "\n"));
    free(t);

    o.stream = 99;
    t = capture(file, file_len, dump_fn, &o, &rc);
    assert_int_equal(rc, CLI_FAIL);
    free(t);
    assert_string_equal(cli_syscall_name(63), "read");
    assert_string_equal(cli_syscall_name(222), "mmap");
    assert_null(cli_syscall_name(100000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests_name("store_cli", tests, setup, teardown);
}
