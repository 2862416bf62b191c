/*
 * test_store.c - the recording file (store/log.h): varints, round trips of
 * every event kind, many streams from one writer and from forked writer
 * processes sharing the file, truncation at every byte offset, bit flips,
 * a writer killed with SIGKILL, blobs, filters, the time threshold and the
 * error messages. Run under ASan/UBSan by scripts/test.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log_internal.h"
#include "test_store_gen.h"

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static int setup_dir(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/rpr-test-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n ? (size_t)n : 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Expected events of one stream, as fingerprints. */
struct expect {
    uint32_t id;
    uint64_t *fp;
    size_t n, cap;
};

static void expect_add(struct expect *e, const struct rpr_event *ev)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 256;
        e->fp = realloc(e->fp, e->cap * sizeof *e->fp);
    }
    e->fp[e->n++] = fp_event(ev);
}

/* Reads stream id of r into fingerprints; returns the final result code. */
static int read_stream(struct rpr_reader *r, uint32_t id, unsigned flags, struct expect *got)
{
    struct rpr_filter f;
    rpr_filter_init(&f);
    f.flags = flags;
    struct rpr_iter *it;
    got->n = 0;
    got->id = id;
    int rc = rpr_iter_open(r, id, &f, &it);
    if (rc) return rc;
    const struct rpr_event *ev;
    while ((rc = rpr_iter_next(it, &ev)) == RPR_OK) expect_add(got, ev);
    if (rc < 0) assert_true(strlen(rpr_iter_errmsg(it)) > 0);
    rpr_iter_close(it);
    return rc;
}

static void check_stream(struct rpr_reader *r, const struct expect *want)
{
    struct expect got = { 0 };
    int rc = read_stream(r, want->id, 0, &got);
    if (rc != RPR_END) fprintf(stderr, "stream %u: %d\n", want->id, rc);
    assert_int_equal(rc, RPR_END);
    assert_int_equal(got.n, want->n);
    for (size_t i = 0; i < got.n; i++)
        if (got.fp[i] != want->fp[i]) fail_msg("stream %u event %zu differs", want->id, i);
    free(got.fp);
}

static struct rpr_writer *create(const char *path, const struct rpr_writer_options *o)
{
    char err[512];
    struct rpr_writer *w;
    json_t *meta = json_pack("{s:s, s:[s,s]}", "program", "/bin/test", "argv", "test", "-x");
    int rc = rpr_writer_create(path, meta, o, &w, err, sizeof err);
    json_decref(meta);
    if (rc) fail_msg("create: %s", err);
    return w;
}

static struct rpr_reader *open_ok(const char *path)
{
    char err[512];
    struct rpr_reader *r;
    if (rpr_reader_open(path, &r, err, sizeof err)) fail_msg("open: %s", err);
    return r;
}

/* ---- varints ---- */

static void test_varint(void **state)
{
    (void)state;
    static const struct { uint64_t v; size_t len; } cases[] = {
        { 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 16383, 2 }, { 16384, 3 },
        { UINT32_MAX, 5 }, { 1ull << 56, 9 }, { (1ull << 63) - 1, 9 }, { 1ull << 63, 10 },
        { UINT64_MAX, 10 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[RPR_VARINT_MAX + 2];
        size_t n = rpr_varint_put(b, cases[i].v);
        assert_int_equal(n, cases[i].len);
        const uint8_t *p = b;
        uint64_t v;
        assert_int_equal(rpr_varint_get(&p, b + n, &v), 0);
        assert_true(v == cases[i].v);
        assert_ptr_equal(p, b + n);
        /* Every shorter prefix is truncated. */
        for (size_t k = 0; k < n; k++) {
            p = b;
            assert_int_equal(rpr_varint_get(&p, b + k, &v), -1);
        }
    }
    static const struct { uint8_t b[12]; size_t n; } bad[] = {
        { { 0x80, 0x00 }, 2 },                                        /* 0, overlong */
        { { 0xff, 0x00 }, 2 },                                        /* 127, overlong */
        { { 0x80, 0x80, 0x00 }, 3 },
        { { 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 10 },
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, 10 }, /* 2^64 and up */
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00 }, 11 },
        { { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 11 },
        { { 0x80 }, 1 },
        { { 0 }, 0 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const uint8_t *p = bad[i].b;
        uint64_t v;
        assert_int_equal(rpr_varint_get(&p, bad[i].b + bad[i].n, &v), -1);
        assert_ptr_equal(p, bad[i].b);
    }
    /* Zigzag: small magnitudes stay small, every value round trips. */
    assert_true(rpr_zz(0) == 0 && rpr_zz((uint64_t)-1) == 1 && rpr_zz(1) == 2);
    static const uint64_t zz[] = { 0, 1, (uint64_t)-1, 1ull << 63, UINT64_MAX, INT64_MAX, 12345 };
    for (size_t i = 0; i < sizeof zz / sizeof zz[0]; i++) assert_true(rpr_unzz(rpr_zz(zz[i])) == zz[i]);
}

/* ---- round trips ---- */

static void roundtrip(bool sync, size_t frame_size)
{
    const char *path = tmp_path(sync ? "rt-sync.rpr" : "rt.rpr");
    struct rpr_writer_options o = { .sync = sync, .frame_size = frame_size };
    struct rpr_writer *w = create(path, &o);
    struct gen_pool pool = { 0 };
    struct gen g = { 42, &pool, 100000 };
    struct expect want = { .id = 7 };
    struct rpr_point at = { 0, 7, 0, 0x10000 };
    assert_int_equal(rpr_writer_stream_begin(w, 7, 0, 0, "/bin/test"), RPR_OK);
    /* Every kind several times, then random ones. */
    for (unsigned round = 0; round < 6; round++)
        for (unsigned k = 1; k < RPR_KIND_LIMIT; k++) {
            struct rpr_event ev;
            gen_step(&g, &at);
            gen_event(&g, k, &at, &ev);
            assert_int_equal(rpr_writer_append(w, 7, &ev), RPR_OK);
            expect_add(&want, &ev);
        }
    for (int i = 0; i < 3000; i++) {
        struct rpr_event ev;
        gen_step(&g, &at);
        gen_event(&g, gen_kind(&g), &at, &ev);
        assert_int_equal(rpr_writer_append(w, 7, &ev), RPR_OK);
        expect_add(&want, &ev);
    }
    /* Edge points: everything at its extremes. */
    struct rpr_point edges[] = {
        { UINT64_MAX - 1, UINT32_MAX, 0, UINT64_MAX },
        { UINT64_MAX, 0, UINT64_MAX, 0 },
        { UINT64_MAX, 5, 1, 1ull << 63 },
    };
    for (size_t i = 0; i < 3; i++) {
        struct rpr_event ev;
        gen_event(&g, RPR_EV_SCHED, &edges[i], &ev);
        assert_int_equal(rpr_writer_append(w, 7, &ev), RPR_OK);
        expect_add(&want, &ev);
    }
    struct rpr_writer_stats st;
    assert_int_equal(rpr_writer_flush(w), RPR_OK);
    rpr_writer_stats(w, &st);
    assert_true(st.events == want.n);
    assert_true(st.frames > 0 && st.stored_bytes > 0 && st.blobs > 0);
    assert_int_equal(rpr_writer_close(w), RPR_OK);

    struct rpr_reader *r = open_ok(path);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_true(fi.clean);
    assert_int_equal(fi.n_damage, 0);
    assert_int_equal(fi.major, RPR_FORMAT_MAJOR);
    assert_int_equal(fi.n_streams, 1);
    assert_true(fi.events == want.n);
    const json_t *meta = rpr_reader_meta(r);
    assert_string_equal(json_string_value(json_object_get(meta, "program")), "/bin/test");
    assert_non_null(json_object_get(meta, "reprise_version"));
    assert_non_null(json_object_get(meta, "host"));
    assert_non_null(json_object_get(meta, "start_time"));
    struct rpr_stream_info si;
    assert_int_equal(rpr_reader_stream(r, 0, &si), RPR_OK);
    assert_int_equal(si.id, 7);
    assert_string_equal(si.program, "/bin/test");
    assert_true(si.ended && si.complete);
    assert_true(si.last_icount == UINT64_MAX);
    check_stream(r, &want);
    uint64_t counts[256];
    assert_int_equal(rpr_reader_stream_counts(r, 7, counts), RPR_OK);
    uint64_t total = 0;
    for (int k = 0; k < 256; k++) total += counts[k];
    assert_true(total == want.n);
    assert_true(counts[RPR_EV_SYSCALL] >= 6);
    const struct rpr_digest *dg;
    size_t nd;
    assert_int_equal(rpr_reader_digests(r, 7, &dg, &nd), RPR_OK);
    assert_int_equal(nd, counts[RPR_EV_DIGEST]);
    rpr_reader_close(r);
    free(want.fp);
    gen_pool_free(&pool);
}

static void test_roundtrip(void **state)
{
    (void)state;
    roundtrip(false, 0);
    roundtrip(true, 0);
    roundtrip(false, 700);   /* many small frames */
}

/* Specific payloads read back exactly, with the fields the replayer uses. */
static void test_payloads(void **state)
{
    (void)state;
    const char *path = tmp_path("payloads.rpr");
    struct rpr_writer *w = create(path, NULL);
    struct rpr_point at = { 100, 1, 100, 0x1000 };
    static const char hello[] = "hello, world\n";
    struct rpr_mem_write mw[2] = {
        { 0x3ffff000, { hello, sizeof hello - 1, false, { 0 } } },
        { 0x3ffff100, { "", 0, false, { 0 } } },
    };
    struct rpr_event ev = { .kind = RPR_EV_SYSCALL, .at = at };
    uint64_t args[6] = { 1, 0x3ffff000, 13, 0, 0, 0 };
    ev.u.syscall.nr = 63;
    ev.u.syscall.args_digest = rpr_args_digest(63, args);
    ev.u.syscall.ret = 13;
    ev.u.syscall.writes = (struct rpr_mem_writes){ 2, mw };
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    /* A file loaded twice is stored once. */
    size_t flen = 300000;
    uint8_t *file = malloc(flen);
    for (size_t i = 0; i < flen; i++) file[i] = (uint8_t)(i * 7 / 1000);
    for (int i = 0; i < 2; i++) {
        struct rpr_event lf = { .kind = RPR_EV_LOAD_FILE, .at = at };
        lf.u.load_file.path = "/lib/ld.so";
        lf.u.load_file.content = (struct rpr_data){ file, flen, true, { 0 } };
        assert_int_equal(rpr_writer_append(w, 1, &lf), RPR_OK);
    }
    struct lx_siginfo_like { int32_t signo, err, code, pad; uint8_t rest[112]; } si[2];
    memset(si, 0, sizeof si);
    si[0].signo = 14;
    si[0].code = -2;
    si[1].signo = 2;
    struct rpr_event sg = { .kind = RPR_EV_SIGNALS, .at = at };
    sg.u.signals.infos = (struct rpr_siginfos){ 2, (const uint8_t *)si };
    assert_int_equal(rpr_writer_append(w, 1, &sg), RPR_OK);
    struct rpr_event ex = { .kind = RPR_EV_EXIT, .at = { 200, 0, 0, 0 } };
    ex.u.exit.status = 3;
    assert_int_equal(rpr_writer_append(w, 1, &ex), RPR_OK);
    assert_int_equal(rpr_writer_add_digest(w, 1, &ex.at, 0xdeadbeefcafef00dull), RPR_OK);
    assert_int_equal(rpr_writer_close(w), RPR_OK);

    struct rpr_reader *r = open_ok(path);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_int_equal(fi.n_blobs, 1);
    assert_true(fi.blobs_raw == flen);
    struct rpr_iter *it;
    assert_int_equal(rpr_iter_open(r, 1, NULL, &it), RPR_OK);
    const struct rpr_event *e;
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_int_equal(e->kind, RPR_EV_SYSCALL);
    assert_true(e->at.icount == 100 && e->at.tid == 1 && e->at.ticount == 100 && e->at.pc == 0x1000);
    assert_true(e->u.syscall.nr == 63 && e->u.syscall.ret == 13);
    assert_true(e->u.syscall.args_digest == rpr_args_digest(63, args));
    assert_int_equal(e->u.syscall.writes.n, 2);
    assert_true(e->u.syscall.writes.v[0].addr == 0x3ffff000);
    assert_true(e->u.syscall.writes.v[0].bytes.len == 13);
    assert_memory_equal(e->u.syscall.writes.v[0].bytes.data, hello, 13);
    assert_true(e->u.syscall.writes.v[1].bytes.len == 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
        assert_int_equal(e->kind, RPR_EV_LOAD_FILE);
        assert_string_equal(e->u.load_file.path, "/lib/ld.so");
        assert_true(e->u.load_file.content.blob && e->u.load_file.content.len == flen);
        assert_memory_equal(e->u.load_file.content.data, file, flen);
    }
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_int_equal(e->u.signals.infos.n, 2);
    assert_memory_equal(e->u.signals.infos.v, si, sizeof si);
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_true(e->kind == RPR_EV_EXIT && e->u.exit.status == 3 && !e->u.exit.signaled);
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_true(e->kind == RPR_EV_DIGEST && e->u.digest.digest == 0xdeadbeefcafef00dull);
    assert_int_equal(rpr_iter_next(it, &e), RPR_END);
    assert_int_equal(rpr_iter_next(it, &e), RPR_END);
    rpr_iter_close(it);
    /* The blob by hash. */
    uint8_t h[16];
    rpr_blob_hash(file, flen, h);
    void *data;
    size_t len;
    assert_int_equal(rpr_reader_blob(r, h, &data, &len), RPR_OK);
    assert_true(len == flen);
    assert_memory_equal(data, file, flen);
    free(data);
    h[0] ^= 1;
    assert_int_equal(rpr_reader_blob(r, h, &data, &len), RPR_E_NOTFOUND);
    assert_non_null(strstr(rpr_reader_errmsg(r), "no blob"));
    rpr_reader_close(r);
    free(file);
}

/* ---- many streams, one writer; filters ---- */

static void test_many_streams(void **state)
{
    (void)state;
    const char *path = tmp_path("many.rpr");
    struct rpr_writer_options o = { .frame_size = 512 };
    struct rpr_writer *w = create(path, &o);
    enum { NS = 40 };
    struct expect want[NS] = { 0 };
    struct rpr_point at[NS];
    struct gen_pool pool = { 0 };
    struct gen g = { 7, &pool, 0 };
    for (int s = 0; s < NS; s++) {
        want[s].id = 100 + (uint32_t)s * 3;
        at[s] = (struct rpr_point){ 0, want[s].id, 0, 0x1000 };
        if (s % 2) assert_int_equal(rpr_writer_stream_begin(w, want[s].id, 1, 5, "child"), RPR_OK);
    }
    for (int i = 0; i < 8000; i++) {
        int s = (int)(gen_u64(&g) % NS);
        struct rpr_event ev;
        gen_step(&g, &at[s]);
        gen_event(&g, gen_kind(&g), &at[s], &ev);
        if (i > 4000 && s == 0) {
            /* Appends to an ended stream fail. */
            assert_int_equal(rpr_writer_append(w, want[s].id, &ev), RPR_E_INVAL);
            continue;
        }
        assert_int_equal(rpr_writer_append(w, want[s].id, &ev), RPR_OK);
        expect_add(&want[s], &ev);
        if (i == 4000) assert_int_equal(rpr_writer_stream_end(w, want[0].id), RPR_OK);
    }
    assert_int_equal(rpr_writer_close(w), RPR_OK);
    struct rpr_reader *r = open_ok(path);
    assert_int_equal(rpr_reader_stream_count(r), NS);
    for (int s = 0; s < NS; s++) {
        check_stream(r, &want[s]);
        struct rpr_stream_info si;
        int idx = rpr_reader_find_stream(r, want[s].id);
        assert_true(idx >= 0);
        rpr_reader_stream(r, (size_t)idx, &si);
        assert_int_equal(si.parent, s % 2 ? 1 : 0);
        if (s % 2) assert_string_equal(si.program, "child");
        else assert_null(si.program);
    }
    /* Filters: an icount window and kinds, checked against a full read. */
    uint32_t id = want[5].id;
    struct rpr_iter *it;
    assert_int_equal(rpr_iter_open(r, id, NULL, &it), RPR_OK);
    const struct rpr_event *e;
    uint64_t icounts[4096];
    unsigned kinds[4096];
    size_t n = 0;
    while (rpr_iter_next(it, &e) == RPR_OK && n < 4096) {
        icounts[n] = e->at.icount;
        kinds[n++] = e->kind;
    }
    rpr_iter_close(it);
    assert_true(n > 50);
    uint64_t from = icounts[n / 3], to = icounts[2 * n / 3];
    struct rpr_filter f;
    rpr_filter_init(&f);
    f.from = from;
    f.to = to;
    rpr_filter_kind(&f, RPR_EV_SYSCALL);
    rpr_filter_kind(&f, RPR_EV_DIGEST);
    size_t expect_n = 0;
    for (size_t i = 0; i < n; i++)
        expect_n += icounts[i] >= from && icounts[i] <= to &&
                    (kinds[i] == RPR_EV_SYSCALL || kinds[i] == RPR_EV_DIGEST);
    assert_int_equal(rpr_iter_open(r, id, &f, &it), RPR_OK);
    size_t got = 0;
    while (rpr_iter_next(it, &e) == RPR_OK) {
        assert_true(e->at.icount >= from && e->at.icount <= to);
        assert_true(e->kind == RPR_EV_SYSCALL || e->kind == RPR_EV_DIGEST);
        got++;
    }
    rpr_iter_close(it);
    assert_int_equal(got, expect_n);
    assert_int_equal(rpr_iter_open(r, 99999, NULL, &it), RPR_E_NOTFOUND);
    assert_non_null(strstr(rpr_reader_errmsg(r), "no stream 99999"));
    rpr_reader_close(r);
    for (int s = 0; s < NS; s++) free(want[s].fp);
    gen_pool_free(&pool);
}

/* ---- forked writers sharing the file ---- */

static void gen_stream(uint32_t id, uint64_t seed, uint64_t icount0, int n, struct expect *want,
                       struct rpr_writer *w)
{
    struct gen_pool pool = { 0 };
    struct gen g = { seed * 7919ull + 1, &pool, 0 };
    struct rpr_point at = { icount0, id, 0, 0x1000 };
    for (int i = 0; i < n; i++) {
        struct rpr_event ev;
        gen_step(&g, &at);
        gen_event(&g, gen_kind(&g), &at, &ev);
        if (w && rpr_writer_append(w, id, &ev)) {
            fprintf(stderr, "append: %s\n", rpr_writer_errmsg(w));
            _exit(3);
        }
        if (want) expect_add(want, &ev);
        if (i % 64 == 0) {
            /* Also blobs, concurrently. */
            uint8_t b[3000];
            gen_bytes(&g, b, sizeof b);
            if (w && rpr_writer_add_blob(w, b, sizeof b, NULL)) _exit(4);
        }
    }
    gen_pool_free(&pool);
}

static void forked(bool parent_first, bool sync)
{
    const char *path = tmp_path(parent_first ? "fork2.rpr" : "fork1.rpr");
    struct rpr_writer_options o = { .frame_size = 1024, .sync = sync };
    struct rpr_writer *w = create(path, &o);
    enum { NC = 4, N = 3000 };
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t kids[NC];
    assert_int_equal(rpr_writer_stream_begin(w, 1, 0, 0, "parent"), RPR_OK);
    for (int c = 0; c < NC; c++) {
        assert_int_equal(rpr_writer_fork_prepare(w), RPR_OK);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            rpr_writer_fork_child(w);
            uint32_t id = 2 + (uint32_t)c;
            if (rpr_writer_stream_begin(w, id, 1, 10, "child")) _exit(2);
            if (parent_first) {
                /* Half now, half after the parent has closed. */
                gen_stream(id, id, 0, N, NULL, w);
                char ch;
                close(go[1]);
                if (read(go[0], &ch, 1) != 0) _exit(5);
                gen_stream(id, id + 100, 1ull << 40, N, NULL, w);
            } else {
                gen_stream(id, id, 0, N, NULL, w);
            }
            _exit(rpr_writer_close(w) ? 6 : 0);
        }
        kids[c] = pid;
        assert_int_equal(rpr_writer_fork_parent(w, true), RPR_OK);
    }
    close(go[0]);
    struct expect want = { .id = 1 };
    gen_stream(1, 1, 0, N, &want, w);
    if (parent_first) {
        assert_int_equal(rpr_writer_close(w), RPR_OK);
        close(go[1]);   /* now the children go on, and the last one writes the footer */
    } else {
        close(go[1]);
    }
    for (int c = 0; c < NC; c++) {
        int st;
        assert_int_equal(waitpid(kids[c], &st, 0), kids[c]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    if (!parent_first) assert_int_equal(rpr_writer_close(w), RPR_OK);

    struct rpr_reader *r = open_ok(path);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_true(fi.clean);
    assert_int_equal(fi.n_damage, 0);
    assert_int_equal(fi.n_streams, NC + 1);
    check_stream(r, &want);
    for (int c = 0; c < NC; c++) {
        struct expect wc = { .id = 2 + (uint32_t)c };
        gen_stream(wc.id, wc.id, 0, N, &wc, NULL);
        if (parent_first) {
            /* The second half went to the same stream with other seeds. */
            gen_stream(wc.id, wc.id + 100, 1ull << 40, N, &wc, NULL);
            check_stream(r, &wc);
        } else {
            check_stream(r, &wc);
        }
        struct rpr_stream_info si;
        rpr_reader_stream(r, (size_t)rpr_reader_find_stream(r, wc.id), &si);
        assert_true(si.parent == 1 && si.fork_icount == 10 && si.ended && si.complete);
        free(wc.fp);
    }
    rpr_reader_close(r);
    free(want.fp);
}

static void test_forked_writers(void **state)
{
    (void)state;
    forked(false, false);
    forked(true, false);
    forked(false, true);
}

/* ---- a small recording for the damage tests ---- */

struct small {
    uint8_t *buf;
    size_t len;
    struct expect want[2];
    struct rpr_catalog cat;
    uint64_t data_start;
};

static void make_small(struct small *sm, const char *name, size_t nevents)
{
    const char *path = tmp_path(name);
    struct rpr_writer_options o = { .frame_size = 200, .sync = true };
    struct rpr_writer *w = create(path, &o);
    struct gen_pool pool = { 0 };
    struct gen g = { 99, &pool, 0 };
    struct rpr_point at[2] = { { 0, 1, 0, 0x1000 }, { 0, 2, 0, 0x2000 } };
    memset(sm, 0, sizeof *sm);
    for (int s = 0; s < 2; s++) {
        sm->want[s].id = 10 + (uint32_t)s;
        rpr_writer_stream_begin(w, sm->want[s].id, s ? 10 : 0, 0, "p");
    }
    for (size_t i = 0; i < nevents; i++) {
        int s = (int)(gen_u64(&g) % 2);
        struct rpr_event ev;
        gen_step(&g, &at[s]);
        gen_event(&g, i == 3 ? RPR_EV_LOAD_FILE : gen_kind(&g), &at[s], &ev);
        if (i == 3) {
            /* A blob for sure. */
            static uint8_t file[700];
            for (size_t k = 0; k < sizeof file; k++) file[k] = (uint8_t)(k / 10);
            ev.u.load_file.content = (struct rpr_data){ file, sizeof file, true, { 0 } };
        }
        assert_int_equal(rpr_writer_append(w, sm->want[s].id, &ev), RPR_OK);
        expect_add(&sm->want[s], &ev);
    }
    assert_int_equal(rpr_writer_close(w), RPR_OK);
    gen_pool_free(&pool);
    sm->buf = slurp(path, &sm->len);
    sm->data_start = RPR_FILE_HDR + rpr_rd32(sm->buf + 16);
    struct rpr_src src = { -1, sm->buf, sm->len };
    assert_int_equal(rpr_scan(&src, sm->data_start, &sm->cat), 0);
    assert_int_equal(sm->cat.n_damage, 0);
    size_t frames = 0;
    for (size_t i = 0; i < sm->cat.n_streams; i++) frames += sm->cat.streams[i].n_frames;
    print_message("%s: %zu bytes, %zu frames, %zu blobs\n", name, sm->len, frames, sm->cat.n_blobs);
}

static void free_small(struct small *sm)
{
    free(sm->buf);
    free(sm->want[0].fp);
    free(sm->want[1].fp);
    rpr_catalog_free(&sm->cat);
}

static void test_truncate_everywhere(void **state)
{
    (void)state;
    struct small sm;
    make_small(&sm, "small.rpr", 60);
    size_t opened = 0;
    for (size_t cut = 0; cut <= sm.len; cut++) {
        char err[512];
        struct rpr_reader *r;
        int rc = rpr_reader_open_mem(sm.buf, cut, "cut.rpr", &r, err, sizeof err);
        if (rc) {
            /* Only a cut inside the header may fail, and with a message. */
            assert_true(cut < sm.data_start);
            assert_int_equal(rc, RPR_E_FORMAT);
            assert_non_null(strstr(err, "cut.rpr: "));
            continue;
        }
        assert_true(cut >= sm.data_start);
        opened++;
        struct rpr_file_info fi;
        rpr_reader_info(r, &fi);
        assert_true(fi.clean == (cut == sm.len));
        for (int s = 0; s < 2; s++) {
            /* Exactly the events of the frames that end before the cut. */
            const struct rpr_cat_stream *cs = rpr_catalog_stream(&sm.cat, sm.want[s].id, false);
            assert_non_null(cs);
            size_t n = 0;
            for (size_t f = 0; f < cs->n_frames; f++) {
                if (cs->frames[f].off + RPR_CHUNK_HDR + cs->frames[f].stored > cut) break;
                n += cs->frames[f].count;
            }
            struct expect got = { 0 };
            rc = read_stream(r, sm.want[s].id, 0, &got);
            if (rc == RPR_E_NOTFOUND) {
                assert_int_equal(n, 0);
            } else {
                if (rc != RPR_END || got.n != n)
                    fail_msg("cut %zu stream %d: rc %d, %zu events, want %zu", cut, s, rc, got.n, n);
                assert_memory_equal(got.fp, sm.want[s].fp, n * sizeof *got.fp);
            }
            free(got.fp);
        }
        rpr_reader_close(r);
    }
    assert_true(opened > 0);
    free_small(&sm);
}

/* What a reader makes of a (possibly damaged) file: a fingerprint of
 * everything returned, and whether it reported any problem. */
static uint64_t read_all(const uint8_t *buf, size_t len, bool *problem)
{
    char err[512];
    struct rpr_reader *r;
    *problem = false;
    if (rpr_reader_open_mem(buf, len, "flip.rpr", &r, err, sizeof err)) {
        *problem = true;
        assert_true(strlen(err) > 0);
        return 0;
    }
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    if (fi.n_damage || !fi.clean) *problem = true;
    for (size_t i = 0; i < rpr_reader_stream_count(r); i++) {
        struct rpr_stream_info si;
        rpr_reader_stream(r, i, &si);
        fp_u64(&st, si.id);
        struct expect got = { 0 };
        int rc = read_stream(r, si.id, 0, &got);
        if (rc != RPR_END) *problem = true;
        fp_put(&st, got.fp, got.n * sizeof *got.fp);
        free(got.fp);
        uint64_t counts[256];
        if (rpr_reader_stream_counts(r, si.id, counts)) *problem = true;
    }
    for (size_t i = 0; i < fi.n_blobs; i++) {
        uint8_t h[16];
        void *data;
        size_t n;
        rpr_reader_blob_at(r, i, h, NULL);
        if (rpr_reader_blob(r, h, &data, &n)) *problem = true;
        else free(data);
    }
    rpr_reader_close(r);
    return XXH3_64bits_digest(&st);
}

static void test_bit_flips(void **state)
{
    (void)state;
    struct small sm;
    make_small(&sm, "flips.rpr", 25);
    bool problem;
    uint64_t orig = read_all(sm.buf, sm.len, &problem);
    assert_false(problem);
    uint8_t *copy = malloc(sm.len);
    size_t detected = 0;
    /* Every bit of the file. */
    for (size_t bit = 0; bit < sm.len * 8; bit++) {
        memcpy(copy, sm.buf, sm.len);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        uint64_t fp = read_all(copy, sm.len, &problem);
        /* Either the damage is reported, or nothing it says changed. */
        if (!problem && fp != orig) fail_msg("flip of bit %zu went undetected", bit);
        detected += problem;
    }
    assert_true(detected > sm.len * 4);
    /* Random multi-byte damage. */
    struct gen g = { 5, NULL, 0 };
    for (int i = 0; i < 3000; i++) {
        memcpy(copy, sm.buf, sm.len);
        int n = 1 + (int)(gen_u64(&g) % 8);
        for (int k = 0; k < n; k++) copy[gen_u64(&g) % sm.len] = (uint8_t)gen_u64(&g);
        uint64_t fp = read_all(copy, sm.len, &problem);
        if (!problem && fp != orig) fail_msg("damage %d went undetected", i);
    }
    free(copy);
    free_small(&sm);
}

/* Damage in the middle: what precedes it stays readable and the error
 * names the file, the frame and the offset. */
static void test_damage_message(void **state)
{
    (void)state;
    struct small sm;
    make_small(&sm, "dmg.rpr", 60);
    const struct rpr_cat_stream *cs = rpr_catalog_stream(&sm.cat, sm.want[0].id, false);
    assert_true(cs->n_frames >= 3);
    const struct rpr_cat_frame *f = &cs->frames[1];
    uint8_t *copy = malloc(sm.len);
    memcpy(copy, sm.buf, sm.len);
    copy[f->off + RPR_CHUNK_HDR + f->stored / 2] ^= 0x10;
    char err[512];
    struct rpr_reader *r;
    assert_int_equal(rpr_reader_open_mem(copy, sm.len, "run.rpr", &r, err, sizeof err), RPR_OK);
    struct rpr_iter *it;
    assert_int_equal(rpr_iter_open(r, sm.want[0].id, NULL, &it), RPR_OK);
    const struct rpr_event *e;
    size_t n = 0;
    int rc;
    while ((rc = rpr_iter_next(it, &e)) == RPR_OK) {
        assert_true(fp_event(e) == sm.want[0].fp[n]);
        n++;
    }
    assert_int_equal(rc, RPR_E_CORRUPT);
    assert_int_equal(n, cs->frames[0].count);
    char want[128];
    snprintf(want, sizeof want, "run.rpr: frame 1 of stream %u at offset 0x%llx: checksum mismatch",
             sm.want[0].id, (unsigned long long)f->off);
    assert_string_equal(rpr_iter_errmsg(it), want);
    rpr_iter_close(it);
    /* The other stream is untouched. */
    check_stream(r, &sm.want[1]);
    rpr_reader_close(r);

    /* Without the footer, the scan skips the damaged frame and notes it. */
    size_t cut = sm.len - 1;
    assert_int_equal(rpr_reader_open_mem(copy, cut, "run.rpr", &r, err, sizeof err), RPR_OK);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_false(fi.clean);
    assert_true(fi.n_damage >= 1);
    const char *msg;
    uint64_t off;
    assert_int_equal(rpr_reader_damage(r, 0, &off, &msg), RPR_OK);
    assert_true(off == f->off);
    assert_non_null(strstr(msg, "checksum mismatch"));
    assert_int_equal(rpr_iter_open(r, sm.want[0].id, NULL, &it), RPR_OK);
    n = 0;
    while ((rc = rpr_iter_next(it, &e)) == RPR_OK) n++;
    assert_int_equal(rc, RPR_E_TRUNCATED);
    assert_int_equal(n, cs->frames[0].count);
    assert_non_null(strstr(rpr_iter_errmsg(it), "frame 1 is missing"));
    rpr_iter_close(it);
    check_stream(r, &sm.want[1]);
    rpr_reader_close(r);
    free(copy);
    free_small(&sm);
}

/* A writer killed inside write(2) leaves half a frame, and other writers'
 * chunks follow it: the scan resynchronizes and keeps them. */
static void test_torn_write(void **state)
{
    (void)state;
    struct small sm;
    make_small(&sm, "torn.rpr", 60);
    const struct rpr_cat_stream *a = rpr_catalog_stream(&sm.cat, sm.want[0].id, false);
    assert_true(a->n_frames >= 4);
    const struct rpr_cat_frame *f = &a->frames[2];
    size_t keep = f->off + RPR_CHUNK_HDR + f->stored / 2, end = f->off + RPR_CHUNK_HDR + f->stored;
    size_t len = sm.len - (end - keep);
    uint8_t *torn = malloc(len);
    memcpy(torn, sm.buf, keep);
    memcpy(torn + keep, sm.buf + end, sm.len - end);
    char err[512];
    struct rpr_reader *r;
    assert_int_equal(rpr_reader_open_mem(torn, len, "torn.rpr", &r, err, sizeof err), RPR_OK);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_false(fi.clean);
    /* The other stream, written after the tear, is whole. */
    check_stream(r, &sm.want[1]);
    /* This one: every event before the torn frame, then an error. */
    struct expect got = { 0 };
    assert_int_equal(read_stream(r, sm.want[0].id, 0, &got), RPR_E_TRUNCATED);
    assert_int_equal(got.n, a->frames[0].count + a->frames[1].count);
    assert_memory_equal(got.fp, sm.want[0].fp, got.n * sizeof *got.fp);
    free(got.fp);
    rpr_reader_close(r);
    free(torn);
    free_small(&sm);
}

/* ---- a writer killed with SIGKILL ---- */

static void test_sigkill(void **state)
{
    (void)state;
    const char *path = tmp_path("killed.rpr");
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        struct rpr_writer_options o = { .frame_size = 4096 };
        struct rpr_writer *w = create(path, &o);
        struct gen_pool pool = { 0 };
        struct gen g = { 1234, &pool, 0 };
        struct rpr_point at = { 0, 1, 0, 0x1000 };
        rpr_writer_stream_begin(w, 1, 0, 0, "victim");
        for (uint64_t i = 0;; i++) {
            struct rpr_event ev;
            gen_step(&g, &at);
            gen_event(&g, gen_kind(&g), &at, &ev);
            if (rpr_writer_append(w, 1, &ev)) _exit(3);
            if (i % 256 == 0) {
                gen_pool_free(&pool);
            }
            if (i == 2000) {
                if (rpr_writer_flush(w)) _exit(4);
                uint64_t n = i + 1;
                if (write(p[1], &n, sizeof n) != sizeof n) _exit(5);
            }
        }
    }
    close(p[1]);
    uint64_t flushed = 0;
    assert_int_equal(read(p[0], &flushed, sizeof flushed), (ssize_t)sizeof flushed);
    usleep(30000);   /* let it write more frames */
    kill(pid, SIGKILL);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    close(p[0]);

    struct rpr_reader *r = open_ok(path);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_false(fi.clean);
    assert_int_equal(fi.n_streams, 1);
    struct rpr_stream_info si;
    rpr_reader_stream(r, 0, &si);
    assert_string_equal(si.program, "victim");
    assert_false(si.ended);
    /* The prefix: every event the writer had flushed, and all that was
     * read is exactly what it appended. */
    struct gen_pool pool = { 0 };
    struct gen g = { 1234, &pool, 0 };
    struct rpr_point at = { 0, 1, 0, 0x1000 };
    struct rpr_iter *it;
    assert_int_equal(rpr_iter_open(r, 1, NULL, &it), RPR_OK);
    const struct rpr_event *e;
    uint64_t n = 0;
    int rc;
    while ((rc = rpr_iter_next(it, &e)) == RPR_OK) {
        struct rpr_event ev;
        gen_step(&g, &at);
        gen_event(&g, gen_kind(&g), &at, &ev);
        if (fp_event(e) != fp_event(&ev)) fail_msg("event %llu differs", (unsigned long long)n);
        if (n % 256 == 0) gen_pool_free(&pool);
        n++;
    }
    assert_int_equal(rc, RPR_END);
    assert_true(n >= flushed);
    uint64_t counts[256];
    assert_int_equal(rpr_reader_stream_counts(r, 1, counts), RPR_OK);
    rpr_iter_close(it);
    rpr_reader_close(r);
    gen_pool_free(&pool);
}

/* ---- time threshold, fork/exec protocol, errors ---- */

static uint64_t fake_now;
static uint64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

static void test_time_threshold(void **state)
{
    (void)state;
    const char *path = tmp_path("time.rpr");
    struct rpr_writer_options o = { .sync = true, .now_ns = fake_clock };
    fake_now = 1000;
    struct rpr_writer *w = create(path, &o);
    struct rpr_event ev = { .kind = RPR_EV_READ_TIME, .at = { 5, 1, 5, 0x100 } };
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    struct rpr_writer_stats st;
    rpr_writer_stats(w, &st);
    assert_int_equal(st.frames, 0);
    fake_now += 999999999;
    assert_int_equal(rpr_writer_poll(w), RPR_OK);
    rpr_writer_stats(w, &st);
    assert_int_equal(st.frames, 0);
    fake_now += 1;
    assert_int_equal(rpr_writer_poll(w), RPR_OK);
    rpr_writer_stats(w, &st);
    assert_int_equal(st.frames, 1);
    /* The frame is in the file while the writer is still open. */
    struct rpr_reader *r = open_ok(path);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_false(fi.clean);
    assert_true(fi.events == 1);
    rpr_reader_close(r);
    /* An append after a second closes the frame too. */
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    fake_now += 2000000000;
    ev.at.icount = 6;
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    rpr_writer_stats(w, &st);
    assert_int_equal(st.frames, 2);
    assert_int_equal(rpr_writer_close(w), RPR_OK);

    /* The writer thread closes an old frame while the caller appends
     * nothing (a guest blocked in a host call). */
    path = tmp_path("watchdog.rpr");
    struct rpr_writer_options wd = { .frame_ns = 50000000 };
    w = create(path, &wd);
    ev.at.icount = 1;
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    uint64_t events = 0;
    for (int i = 0; i < 100 && !events; i++) {
        usleep(20000);
        r = open_ok(path);
        rpr_reader_info(r, &fi);
        events = fi.events;
        rpr_reader_close(r);
    }
    assert_true(events == 1);
    assert_int_equal(rpr_writer_close(w), RPR_OK);
}

static void test_exec_protocol(void **state)
{
    (void)state;
    const char *path = tmp_path("exec.rpr");
    struct rpr_writer *w = create(path, NULL);
    struct rpr_event ev = { .kind = RPR_EV_EXEC_HOST, .at = { 10, 1, 10, 0x100 } };
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    assert_int_equal(rpr_writer_exec_prepare(w), RPR_OK);
    /* As if the exec had succeeded: the file is complete and clean now. */
    struct rpr_reader *r = open_ok(path);
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    assert_true(fi.clean);
    assert_true(fi.events == 1);
    rpr_reader_close(r);
    /* It failed: the stream goes on. */
    assert_int_equal(rpr_writer_exec_failed(w), RPR_OK);
    ev.u.exec_host.result = -2;
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    /* A fork that failed leaves the count of writers as it was. */
    assert_int_equal(rpr_writer_fork_prepare(w), RPR_OK);
    assert_int_equal(rpr_writer_fork_parent(w, false), RPR_OK);
    assert_int_equal(rpr_writer_close(w), RPR_OK);
    r = open_ok(path);
    rpr_reader_info(r, &fi);
    assert_true(fi.clean);
    assert_true(fi.events == 2);
    struct rpr_stream_info si;
    rpr_reader_stream(r, 0, &si);
    assert_true(si.ended && si.complete);
    rpr_reader_close(r);
}

static void test_errors(void **state)
{
    (void)state;
    char err[512];
    struct rpr_reader *r;
    struct rpr_writer *w;
    assert_int_equal(rpr_reader_open(tmp_path("nope.rpr"), &r, err, sizeof err), RPR_E_IO);
    assert_null(r);
    assert_non_null(strstr(err, "nope.rpr: No such file"));
    const char *junk = tmp_path("junk.rpr");
    FILE *f = fopen(junk, "w");
    fputs("this is not a recording, only some text that is long enough", f);
    fclose(f);
    assert_int_equal(rpr_reader_open(junk, &r, err, sizeof err), RPR_E_FORMAT);
    assert_non_null(strstr(err, "junk.rpr: not a reprise recording"));
    assert_int_equal(rpr_reader_open_mem("", 0, "empty.rpr", &r, err, sizeof err), RPR_E_FORMAT);
    assert_non_null(strstr(err, "empty.rpr: truncated"));
    assert_int_equal(rpr_writer_create(tmp_path("nodir/x.rpr"), NULL, NULL, &w, err, sizeof err),
                     RPR_E_IO);
    assert_null(w);
    assert_non_null(strstr(err, "x.rpr: No such file"));
    json_t *arr = json_array();
    assert_int_equal(rpr_writer_create(tmp_path("arr.rpr"), arr, NULL, &w, err, sizeof err),
                     RPR_E_INVAL);
    json_decref(arr);
    /* Exclusive creation does not replace a file. */
    struct rpr_writer_options ex = { .exclusive = true };
    assert_int_equal(rpr_writer_create(junk, NULL, &ex, &w, err, sizeof err), RPR_E_IO);
    assert_non_null(strstr(err, "File exists"));

    w = create(tmp_path("order.rpr"), NULL);
    struct rpr_event ev = { .kind = RPR_EV_READ_TIME, .at = { 50, 1, 50, 0 } };
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    ev.at.icount = 49;
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_E_INVAL);
    assert_non_null(strstr(rpr_writer_errmsg(w), "icount 49 is below"));
    ev.kind = 0;
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_E_INVAL);
    ev.kind = 250;
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_E_INVAL);
    assert_int_equal(rpr_writer_append_raw(w, 1, 0, &ev.at, "", 0), RPR_E_INVAL);
    assert_int_equal(rpr_writer_stream_begin(w, 1, 0, 0, NULL), RPR_E_INVAL);
    /* A blob referred to by hash must have been stored. */
    struct rpr_event lf = { .kind = RPR_EV_LOAD_FILE, .at = { 60, 1, 60, 0 } };
    lf.u.load_file.content = (struct rpr_data){ NULL, 5, true, { 0 } };
    memset(lf.u.load_file.content.hash, 0xab, 16);
    assert_int_equal(rpr_writer_append(w, 1, &lf), RPR_E_INVAL);
    assert_int_equal(rpr_writer_add_blob(w, "abcde", 5, lf.u.load_file.content.hash), RPR_OK);
    assert_int_equal(rpr_writer_append(w, 1, &lf), RPR_OK);
    /* Non-sticky: the writer goes on. */
    ev.kind = RPR_EV_READ_TIME;
    ev.at.icount = 60;
    assert_int_equal(rpr_writer_append(w, 1, &ev), RPR_OK);
    assert_int_equal(rpr_writer_close(w), RPR_OK);
    struct rpr_reader *rd = open_ok(tmp_path("order.rpr"));
    struct rpr_iter *it;
    const struct rpr_event *e;
    assert_int_equal(rpr_iter_open(rd, 1, NULL, &it), RPR_OK);
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_int_equal(rpr_iter_next(it, &e), RPR_OK);
    assert_int_equal(e->kind, RPR_EV_LOAD_FILE);
    assert_memory_equal(e->u.load_file.content.data, "abcde", 5);
    rpr_iter_close(it);
    rpr_reader_close(rd);

    assert_string_equal(rpr_strerror(RPR_E_CORRUPT), "corrupt recording");
    assert_int_equal(rpr_kind_from_name("syscall"), RPR_EV_SYSCALL);
    assert_int_equal(rpr_kind_from_name("SYSCALL"), RPR_EV_SYSCALL);
    assert_int_equal(rpr_kind_from_name("200"), 200);
    assert_int_equal(rpr_kind_from_name("nope"), 0);
    assert_int_equal(rpr_kind_from_name("256"), 0);
    assert_null(rpr_kind_info(0));
    assert_null(rpr_kind_info(RPR_KIND_LIMIT));
    for (unsigned k = 1; k < RPR_KIND_LIMIT; k++) {
        const struct rpr_kind_info *ki = rpr_kind_info(k);
        assert_non_null(ki);
        assert_int_equal(ki->kind, k);
        assert_int_equal(rpr_kind_from_name(ki->name), k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_payloads),
        cmocka_unit_test(test_many_streams),
        cmocka_unit_test(test_forked_writers),
        cmocka_unit_test(test_truncate_everywhere),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_damage_message),
        cmocka_unit_test(test_torn_write),
        cmocka_unit_test(test_sigkill),
        cmocka_unit_test(test_time_threshold),
        cmocka_unit_test(test_exec_protocol),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("store", tests, setup_dir, teardown_dir);
}
