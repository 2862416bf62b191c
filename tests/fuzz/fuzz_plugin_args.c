/*
 * fuzz_plugin_args.c - fuzz target for the parsing of plugin specs
 * (`-p NAME[:KEY=VALUE,...]`, tracer_add_plugin): random and mutated specs
 * against the real `mem` plugin (boolean arguments) and unknown names.
 * The contract: every spec is
 * either accepted with every argument valid or refused with a message; no
 * crash, no leak, no out-of-bounds read (run under ASan/UBSan).
 *   fuzz_plugin_args PLUGIN_DIR [--seed N] [--count N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Pieces that reach the parser's branches: names, separators, values of
 * every type, escapes of nothing, very long runs. */
static const char *const pieces[] = {
    "mem", "insn", "nosuch", "../x", "/", ":", ",", "=", "==", "reads", "writes", "true",
    "false", "yes", "no", "on", "off", "1", "0", "maybe", "", " ", "\t", "0x", "-1",
    "99999999999999999999999", "reads=true", "writes=false", ",,", ":reads", "%s%n", "\xff",
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz_plugin_args PLUGIN_DIR [--seed N] [--count N]\n");
        return 2;
    }
    const char *dir = argv[1];
    unsigned long count = 2000;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seed")) rng = strtoull(argv[i + 1], NULL, 0) | 1;
        else if (!strcmp(argv[i], "--count")) count = strtoul(argv[i + 1], NULL, 0);
    }
    char db[] = "/tmp/fuzz_plugin_args-XXXXXX";
    int fd = mkstemp(db);
    if (fd < 0) return 1;
    close(fd);
    unsigned long accepted = 0, refused = 0;
    char spec[4096], err[512];
    for (unsigned long n = 0; n < count; n++) {
        size_t len = 0;
        unsigned parts = 1 + (unsigned)(next() % 12);
        for (unsigned p = 0; p < parts; p++) {
            const char *piece = pieces[next() % (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(piece);
            if (next() % 16 == 0) {
                /* a run of random bytes (no NUL: specs are C strings) */
                l = next() % 64;
                for (size_t k = 0; k < l && len < sizeof spec - 1; k++)
                    spec[len++] = (char)(1 + next() % 255);
                continue;
            }
            if (len + l >= sizeof spec - 1) break;
            memcpy(spec + len, piece, l);
            len += l;
        }
        spec[len] = 0;
        if (n % 3 == 0 && len + 5 < sizeof spec) { /* most specs name a real plugin */
            memmove(spec + 4, spec, len + 1);
            memcpy(spec, "mem:", 4);
        }
        struct tracer *tr;
        struct tracer_params tp = { 0 };
        if (tracer_create(db, &tp, &tr, err, sizeof err)) {
            fprintf(stderr, "fuzz_plugin_args: %s\n", err);
            return 1;
        }
        err[0] = 0;
        if (tracer_add_plugin(tr, spec, dir, err, sizeof err) == 0) {
            accepted++;
        } else {
            if (!err[0]) {
                fprintf(stderr, "fuzz_plugin_args: refused without a message: '%s'\n", spec);
                return 1;
            }
            refused++;
        }
        tracer_destroy(tr);
    }
    unlink(db);
    printf("fuzz_plugin_args: %lu specs, %lu accepted, %lu refused\n", count, accepted, refused);
    return accepted && refused ? 0 : 1;
}
