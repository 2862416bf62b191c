/*
 * fuzz_store.c - fuzz target for the recording reader (store/reader.c,
 * catalog.c, format.c) and for what `reprise info` and `reprise dump`
 * print (cli/cmd_info.c, cli/cmd_dump.c): arbitrary bytes are opened as a
 * recording, described, dumped as text and JSON with filters, iterated with
 * blobs resolved, and their blobs and digests fetched. The contract under
 * test: no input makes the reader crash, read out of bounds, leak or hang
 * (run under ASan/UBSan).
 *
 * Built with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which turns
 * checksum verification off so that mutated inputs reach the decoders
 * behind the checksums (the checksums themselves are tested by the unit
 * tests' bit flips).
 *
 * Built two ways: with -DREPRISE_LIBFUZZER and clang -fsanitize=fuzzer it
 * is a libFuzzer target (seeds: `fuzz_store --make-corpus DIR`); otherwise
 * main() below replays files given on the command line, writes the seed
 * corpus, or runs a seeded, reproducible batch of mutations of the seeds:
 *   fuzz_store [--seed N] [--count N] [--make-corpus DIR] [FILE...]
 */
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "../unit/test_store_gen.h"

/* cmd_info.c and cmd_dump.c report through this (main.c's in reprise). */
void cli_error(const char *cmd, const char *fmt, ...)
{
    (void)cmd;
    (void)fmt;
}

static FILE *sink(void)
{
    static FILE *f;
    if (!f) f = fopen("/dev/null", "w");
    if (!f) abort();
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    struct rpr_reader *r;
    if (rpr_reader_open_mem(data, size, "fuzz.rpr", &r, err, sizeof err)) {
        if (!err[0]) abort();   /* every failure has a message */
        return 0;
    }
    FILE *out = sink();
    cli_info_print(r, out, false);
    cli_info_print(r, out, true);
    struct cli_dump_opts o = { .to = UINT64_MAX };
    cli_dump_print(r, out, NULL, &o);
    o.json = true;
    o.from = 100;
    o.to = 1ull << 40;
    o.kinds[0] = 1ull << RPR_EV_SYSCALL | 1ull << RPR_EV_SIGNALS;
    o.kinds[200 >> 6] |= 1ull << (200 & 63);   /* a kind of a newer minor */
    cli_dump_print(r, out, NULL, &o);

    /* Blobs (small ones: a claimed size costs time to produce). */
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    bool small_blobs = true;
    for (size_t i = 0; i < fi.n_blobs; i++) {
        uint8_t h[16];
        uint64_t len;
        rpr_reader_blob_at(r, i, h, &len);
        if (len > (1u << 20)) {
            small_blobs = false;
            continue;
        }
        void *b;
        size_t n;
        if (!rpr_reader_blob(r, h, &b, &n)) free(b);
    }
    for (size_t i = 0; i < fi.n_damage; i++) {
        const char *msg;
        rpr_reader_damage(r, i, NULL, &msg);
        if (!msg || !*msg) abort();
    }
    /* Iteration with blobs resolved, and digests. */
    for (size_t i = 0; i < rpr_reader_stream_count(r); i++) {
        struct rpr_stream_info si;
        rpr_reader_stream(r, i, &si);
        struct rpr_filter f;
        rpr_filter_init(&f);
        if (!small_blobs) f.flags = RPR_ITER_NO_BLOBS;
        struct rpr_iter *it;
        if (!rpr_iter_open(r, si.id, &f, &it)) {
            const struct rpr_event *ev;
            int rc;
            while ((rc = rpr_iter_next(it, &ev)) == RPR_OK) fp_event(ev);
            if (rc < 0 && !*rpr_iter_errmsg(it)) abort();
            rpr_iter_close(it);
        }
        const struct rpr_digest *dg;
        size_t nd;
        rpr_reader_digests(r, si.id, &dg, &nd);
    }
    rpr_reader_close(r);
    return 0;
}

/* ---- seeds: small real recordings ---- */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

#define N_SEEDS 3
static const char *const seed_names[N_SEEDS] = { "seed-clean.rpr", "seed-recovered.rpr",
                                                 "seed-tree.rpr" };

/* Writes the seed recordings into dir. */
static int make_corpus(const char *dir)
{
    for (int s = 0; s < N_SEEDS; s++) {
        char path[4096], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, seed_names[s]);
        struct rpr_writer_options wo = { .sync = true, .frame_size = s == 2 ? 160 : 600 };
        struct rpr_writer *w;
        json_t *meta = json_pack("{s:s,s:[s,s],s:s}", "program", "/bin/seed", "argv", "seed",
                                 "-v", "isa", "rv64gc");
        int rc = rpr_writer_create(path, meta, &wo, &w, err, sizeof err);
        json_decref(meta);
        if (rc) {
            fprintf(stderr, "fuzz_store: %s\n", err);
            return 1;
        }
        struct gen_pool pool = { 0 };
        struct gen g = { 77 + (uint64_t)s, &pool, 0 };
        uint32_t streams = s == 2 ? 3 : 1;
        struct rpr_point at[3];
        for (uint32_t k = 0; k < streams; k++) {
            at[k] = (struct rpr_point){ 0, 100 + k, 0, 0x10000 };
            rpr_writer_stream_begin(w, 100 + k, k ? 100 : 0, 0, k ? "/bin/child" : "/bin/seed");
        }
        for (int i = 0; i < (s == 2 ? 60 : 40); i++) {
            uint32_t k = (uint32_t)(gen_u64(&g) % streams);
            struct rpr_event ev;
            gen_step(&g, &at[k]);
            /* Every kind once, then random ones. */
            gen_event(&g, i < RPR_KIND_LIMIT - 1 ? (unsigned)i + 1 : gen_kind(&g), &at[k], &ev);
            rpr_writer_append(w, 100 + k, &ev);
            if (s == 2 && i == 30) rpr_writer_append_raw(w, 100 + k, 200, &at[k], "new", 3);
        }
        gen_pool_free(&pool);
        if (s == 1) {
            /* As if killed: no summaries, no footer. */
            rpr_writer_flush(w);
            size_t len;
            uint8_t *p = slurp(path, &len);
            rpr_writer_close(w);
            FILE *f = fopen(path, "wb");
            if (!p || !f || fwrite(p, 1, len, f) != len) return 1;
            fclose(f);
            free(p);
        } else if (rpr_writer_close(w)) {
            return 1;
        }
    }
    return 0;
}

#ifndef REPRISE_LIBFUZZER
static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng >> 11;
}

/* One of a few mutations of buf (len bytes, room for cap). */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
    size_t a = len ? rnd() % len : 0;
    switch (rnd() % 8) {
    case 0:
    case 1:
        if (len) buf[a] ^= (uint8_t)(1u << (rnd() % 8));
        return len;
    case 2:
        if (len) buf[a] = (uint8_t)rnd();
        return len;
    case 3: {   /* an interesting value at a spot */
        static const uint8_t vals[] = { 0, 0x7f, 0x80, 0xff, 1, 0x40 };
        if (len) buf[a] = vals[rnd() % sizeof vals];
        return len;
    }
    case 4:     /* truncate */
        return a;
    case 5: {   /* delete a range */
        size_t n = len - a ? 1 + rnd() % (len - a < 64 ? len - a : 64) : 0;
        memmove(buf + a, buf + a + n, len - a - n);
        return len - n;
    }
    case 6: {   /* duplicate a range */
        size_t n = 1 + rnd() % 64;
        if (len + n > cap || a + n > len) return len;
        memmove(buf + a + n, buf + a, len - a);
        return len + n;
    }
    default: {  /* a little-endian u32 somewhere: lengths and counts */
        if (len < 4) return len;
        uint32_t v = rnd() % 3 ? (uint32_t)(rnd() % 70000) : (uint32_t)rnd();
        a = rnd() % (len - 3);
        memcpy(buf + a, &v, 4);
        return len;
    }
    }
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, count = 2000;
    int files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--make-corpus") && i + 1 < argc) return make_corpus(argv[++i]);
        else {
            size_t n;
            uint8_t *p = slurp(argv[i], &n);
            if (!p) {
                perror(argv[i]);
                return 1;
            }
            LLVMFuzzerTestOneInput(p, n);
            free(p);
            files++;
        }
    }
    if (files) {
        printf("%d passed, 0 failed\n", files);
        return 0;
    }
    if (getenv("REPRISE_LONG_TESTS")) count *= 20;
    /* The seeds, made in a temporary folder. */
    const char *t = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/fuzz-store-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir) || make_corpus(dir)) {
        fprintf(stderr, "fuzz_store: cannot make the seeds in %s\n", dir);
        return 1;
    }
    uint8_t *seeds[N_SEEDS];
    size_t lens[N_SEEDS];
    for (int s = 0; s < N_SEEDS; s++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, seed_names[s]);
        seeds[s] = slurp(path, &lens[s]);
        if (!seeds[s]) return 1;
        unlink(path);
        LLVMFuzzerTestOneInput(seeds[s], lens[s]);
    }
    rmdir(dir);
    size_t cap = 0;
    for (int s = 0; s < N_SEEDS; s++) cap = lens[s] > cap ? lens[s] : cap;
    cap += 4096;
    uint8_t *buf = malloc(cap);
    for (uint64_t it = 0; it < count; it++) {
        rng = (seed + it) * 0x2545f4914f6cdd1dull | 1;
        int s = (int)(rnd() % N_SEEDS);
        memcpy(buf, seeds[s], lens[s]);
        size_t len = lens[s];
        int n = 1 + (int)(rnd() % 4);
        for (int k = 0; k < n; k++) len = mutate(buf, len, cap);
        /* An exact-size copy, so ASan sees reads past the end. */
        uint8_t *in = malloc(len ? len : 1);
        memcpy(in, buf, len);
        LLVMFuzzerTestOneInput(in, len);
        free(in);
    }
    free(buf);
    for (int s = 0; s < N_SEEDS; s++) free(seeds[s]);
    printf("%llu passed, 0 failed\n", (unsigned long long)count);
    return 0;
}
#else
/* libFuzzer: `fuzz_store_libfuzzer -runs=0 --make-corpus` is not a thing;
 * make_corpus is reached through the deterministic build. */
int fuzz_store_make_corpus(const char *dir);
int fuzz_store_make_corpus(const char *dir) { return make_corpus(dir); }
#endif
