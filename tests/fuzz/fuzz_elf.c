/*
 * fuzz_elf.c - fuzz target for the ELF loader (vm/linux/loader.c): program
 * files are untrusted input. Each input is served by a scripted event port
 * as the program (and as its interpreter, if it names one), and lx_create
 * must either load it or fail with a message, never crash or touch memory
 * outside the guest (run under ASan/UBSan).
 *
 * With -DREPRISE_LIBFUZZER and clang -fsanitize=fuzzer it is a libFuzzer
 * target; otherwise main() mutates the seed files given on the command line
 * (real executables) in a seeded, reproducible way:
 *   fuzz_elf [--seed N] [--count N] SEED_ELF...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux.h"

static const uint8_t *cur;
static size_t cur_len;
static unsigned long loaded;

static int f_load_file(struct lx_port *p, struct lx_thread *t, const char *path, void **data,
                       size_t *len)
{
    (void)p; (void)t; (void)path;
    *data = malloc(cur_len ? cur_len : 1);
    if (!*data) return -12;
    memcpy(*data, cur, cur_len);
    *len = cur_len;
    return 0;
}
static int f_resolve(struct lx_port *p, struct lx_thread *t, const char *path, char *out, size_t n)
{
    (void)p; (void)t;
    snprintf(out, n, "%s", path);
    return 0;
}
static void f_random(struct lx_port *p, struct lx_thread *t, void *buf, size_t len)
{
    (void)p; (void)t;
    memset(buf, 0x5a, len);
}
static long f_host_id(struct lx_port *p, struct lx_thread *t, int what)
{
    (void)p; (void)t;
    return what == LX_ID_PID ? 100 : 0;
}

static struct lx_port_ops ops = {
    .load_file = f_load_file, .resolve_path = f_resolve, .random = f_random, .host_id = f_host_id,
};
static struct lx_port port = { .ops = &ops };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cur = data;
    cur_len = size;
    char *argv[] = { "/prog", "arg", NULL };
    char *envp[] = { "A=1", NULL };
    struct lx_config cfg = { .path = "/prog", .argc = 2, .argv = argv, .envp = envp,
                             .sysroot = "/sysroot", .port = &port };
    struct lx_proc *p = NULL;
    char err[512];
    if (lx_create(&cfg, &p, err, sizeof err) == 0) {
        loaded++;
        lx_destroy(p);
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
    return rng;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, count = 3000;
    static uint8_t *seeds[8];
    static size_t seed_len[8];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 0);
        else if (n < 8) {
            FILE *f = fopen(argv[i], "rb");
            if (!f) { perror(argv[i]); return 1; }
            fseek(f, 0, SEEK_END);
            long len = ftell(f);
            rewind(f);
            seeds[n] = malloc((size_t)len);
            if (!seeds[n] || fread(seeds[n], 1, (size_t)len, f) != (size_t)len) return 1;
            seed_len[n++] = (size_t)len;
            fclose(f);
        }
    }
    if (!n) {
        fprintf(stderr, "usage: fuzz_elf [--seed N] [--count N] SEED_ELF...\n");
        return 2;
    }
    if (getenv("REPRISE_LONG_TESTS")) count *= 20;
    /* The seeds as they are must load. */
    for (int i = 0; i < n; i++) LLVMFuzzerTestOneInput(seeds[i], seed_len[i]);
    if (loaded != (unsigned long)n) {
        fprintf(stderr, "fuzz_elf: only %lu of %d seed files load\n", loaded, n);
        return 1;
    }
    for (uint64_t it = 0; it < count; it++) {
        rng = (seed + it) * 0x2545f4914f6cdd1dull | 1;
        int s = (int)(rnd() % (uint64_t)n);
        size_t len = seed_len[s];
        uint8_t *buf = malloc(len);
        memcpy(buf, seeds[s], len);
        /* Corrupt where the loader looks most: the ELF header, the program
         * headers, then anywhere; sometimes cut the file short. */
        int flips = 1 + (int)(rnd() % 8);
        for (int k = 0; k < flips; k++) {
            size_t where = rnd() % 4 == 0 ? rnd() % len : rnd() % (len < 1024 ? len : 1024);
            switch (rnd() % 3) {
            case 0: buf[where] ^= (uint8_t)(1u << (rnd() % 8)); break;
            case 1: buf[where] = (uint8_t)rnd(); break;
            default: buf[where] = (rnd() & 1) ? 0xff : 0x00; break;
            }
        }
        if (rnd() % 5 == 0) len = rnd() % len;
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
    }
    fprintf(stderr, "fuzz_elf: %lu of %llu mutated files still loaded\n", loaded - (unsigned long)n,
            (unsigned long long)count);
    printf("%llu passed, 0 failed\n", (unsigned long long)count);
    return 0;
}
#endif
