/*
 * test_store_compat.c - versioning of the recording format. This test is
 * built with the store sources compiled as format 1.3 (-DRPR_FORMAT_MINOR=3)
 * so that there are older minors to read: files claiming 1.1 and 1.3 and
 * 1.9 are read (unknown kinds, unknown chunk types and unknown trailing
 * payload bytes of a newer minor are skipped; fields missing at the end of
 * an older record read as zero); 2.0 and 0.x are refused with a clear
 * message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_internal.h"
#include <xxhash.h>

_Static_assert(RPR_FORMAT_MINOR == 3, "built as format 1.3");

static char dir[256];

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/rpr-compat-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) ? -1 : 0;
}

static const char *path_of(const char *name)
{
    static char buf[4][512];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static struct rpr_writer *create(const char *path, unsigned minor)
{
    struct rpr_writer_options o = { .format_minor = minor, .sync = true };
    struct rpr_writer *w;
    char err[256];
    if (rpr_writer_create(path, NULL, &o, &w, err, sizeof err)) fail_msg("%s", err);
    return w;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*len);
    assert_int_equal(fread(p, 1, *len, f), *len);
    fclose(f);
    return p;
}

/* Appends a complete chunk of an unknown type, as a newer minor could. */
static void append_unknown_chunk(const char *path)
{
    uint8_t buf[RPR_CHUNK_HDR + 5];
    struct rpr_chunk h = { 0 };
    h.type = 42;
    h.stored = h.raw = 5;
    memcpy(buf + RPR_CHUNK_HDR, "extra", 5);
    h.payload_sum = XXH64(buf + RPR_CHUNK_HDR, 5, 0);
    rpr_chunk_encode(&h, buf);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    close(fd);
}

static void test_own_version(void **state)
{
    (void)state;
    const char *p = path_of("own.rpr");
    struct rpr_writer *w = create(p, 0);
    assert_int_equal(rpr_writer_close(w), RPR_OK);
    size_t len;
    uint8_t *b = slurp(p, &len);
    assert_int_equal(rpr_rd16(b + 8), 1);
    assert_int_equal(rpr_rd16(b + 10), 3);
    free(b);
}

static void test_older_minor(void **state)
{
    (void)state;
    const char *p = path_of("old.rpr");
    struct rpr_writer *w = create(p, 1);
    struct rpr_point at = { 10, 1, 10, 0x100 };
    /* A SYSCALL record as a writer that knew only nr and args_digest
     * would have written it. */
    uint8_t pl[32];
    size_t n = rpr_varint_put(pl, 63);
    n += rpr_varint_put(pl + n, 0xabc);
    assert_int_equal(rpr_writer_append_raw(w, 1, RPR_EV_SYSCALL, &at, pl, n), RPR_OK);
    /* LOAD_FILE with only the path. */
    n = rpr_varint_put(pl, 3);
    memcpy(pl + n, "/ab", 3);
    n += 3;
    at.icount = 20;
    assert_int_equal(rpr_writer_append_raw(w, 1, RPR_EV_LOAD_FILE, &at, pl, n), RPR_OK);
    assert_int_equal(rpr_writer_close(w), RPR_OK);

    char err[256];
    struct rpr_reader *r;
    assert_int_equal(rpr_reader_open(p, &r, err, sizeof err), RPR_OK);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_int_equal(fi.major, 1);
    assert_int_equal(fi.minor, 1);
    assert_true(fi.clean);
    struct rpr_iter *it;
    assert_int_equal(rpr_iter_open(r, 1, NULL, &it), RPR_OK);
    const struct rpr_event *e;
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_int_equal(e->kind, RPR_EV_SYSCALL);
    assert_true(e->u.syscall.nr == 63 && e->u.syscall.args_digest == 0xabc);
    assert_true(e->u.syscall.ret == 0 && e->u.syscall.writes.n == 0);
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_string_equal(e->u.load_file.path, "/ab");
    assert_true(e->u.load_file.result == 0 && e->u.load_file.content.len == 0);
    assert_int_equal(rpr_iter_next(it, &e), RPR_END);
    rpr_iter_close(it);
    rpr_reader_close(r);
}

static void newer_minor(bool keep_footer)
{
    const char *p = path_of(keep_footer ? "new.rpr" : "new-recovered.rpr");
    struct rpr_writer *w = create(p, 9);
    struct rpr_point at = { 10, 1, 10, 0x100 };
    /* A kind this reader does not know. */
    assert_int_equal(rpr_writer_append_raw(w, 1, 200, &at, "\x01\x02\x03", 3), RPR_OK);
    /* A known kind with a field appended by the newer minor. */
    uint8_t pl[32];
    size_t n = rpr_varint_put(pl, 5);           /* READ_TIME value */
    n += rpr_varint_put(pl + n, 777);           /* unknown trailing field */
    at.icount = 11;
    assert_int_equal(rpr_writer_append_raw(w, 1, RPR_EV_READ_TIME, &at, pl, n), RPR_OK);
    assert_int_equal(rpr_writer_flush(w), RPR_OK);
    append_unknown_chunk(p);
    at.icount = 12;
    struct rpr_event ev = { .kind = RPR_EV_READ_TIME, .at = at };
    ev.u.read_time.value = 6;
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    assert_int_equal(rpr_writer_close(w), RPR_OK);

    size_t len;
    uint8_t *b = slurp(p, &len);
    if (!keep_footer) len -= 30;
    char err[256];
    struct rpr_reader *r;
    assert_int_equal(rpr_reader_open_mem(b, len, "new.rpr", &r, err, sizeof err), RPR_OK);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_int_equal(fi.minor, 9);
    assert_true(fi.clean == keep_footer);
    assert_int_equal(fi.n_damage, keep_footer ? 0 : 1);   /* the cut footer only */
    struct rpr_iter *it;
    assert_int_equal(rpr_iter_open(r, 1, NULL, &it), RPR_OK);
    const struct rpr_event *e;
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_int_equal(e->kind, 200);
    assert_null(rpr_kind_info(e->kind));
    assert_int_equal(e->payload_len, 3);
    assert_memory_equal(e->payload, "\x01\x02\x03", 3);
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_true(e->kind == RPR_EV_READ_TIME && e->u.read_time.value == 5);
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_true(e->kind == RPR_EV_READ_TIME && e->u.read_time.value == 6);
    assert_int_equal(rpr_iter_next(it, &e), RPR_END);
    rpr_iter_close(it);
    uint64_t counts[256];
    assert_int_equal(rpr_reader_stream_counts(r, 1, counts), RPR_OK);
    assert_true(counts[200] == 1 && counts[RPR_EV_READ_TIME] == 2);
    assert_int_equal(rpr_reader_verify(r), RPR_OK);
    rpr_reader_close(r);
    free(b);
}

static void test_newer_minor(void **state)
{
    (void)state;
    newer_minor(true);
    newer_minor(false);
}

static void patch_version(uint8_t *b, uint16_t major, uint16_t minor)
{
    rpr_le16(b + 8, major);
    rpr_le16(b + 10, minor);
    XXH64_state_t st;
    XXH64_reset(&st, 0);
    XXH64_update(&st, b, 24);
    XXH64_update(&st, b + RPR_FILE_HDR, rpr_rd32(b + 16));
    rpr_le64(b + 24, XXH64_digest(&st));
}

static void test_other_major(void **state)
{
    (void)state;
    const char *p = path_of("major.rpr");
    struct rpr_writer *w = create(p, 0);
    assert_int_equal(rpr_writer_close(w), RPR_OK);
    size_t len;
    uint8_t *b = slurp(p, &len);
    char err[256];
    struct rpr_reader *r;
    patch_version(b, 2, 0);
    assert_int_equal(rpr_reader_open_mem(b, len, "future.rpr", &r, err, sizeof err), RPR_E_VERSION);
    assert_null(r);
    assert_string_equal(err, "future.rpr: format version 2.0 is newer than this reprise reads "
                             "(1.x); use a newer reprise");
    /* Refused on the version alone, whatever a newer major put after it. */
    memset(b + 12, 0xee, len - 12);
    assert_int_equal(rpr_reader_open_mem(b, len, "future.rpr", &r, err, sizeof err), RPR_E_VERSION);
    free(b);
    b = slurp(p, &len);
    patch_version(b, 0, 7);
    assert_int_equal(rpr_reader_open_mem(b, len, "ancient.rpr", &r, err, sizeof err), RPR_E_VERSION);
    assert_non_null(strstr(err, "format version 0.7 is not supported"));
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_version),
        cmocka_unit_test(test_older_minor),
        cmocka_unit_test(test_newer_minor),
        cmocka_unit_test(test_other_major),
    };
    return cmocka_run_group_tests_name("store_compat", tests, setup, teardown);
}
