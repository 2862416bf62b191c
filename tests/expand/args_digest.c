/*
 * args_digest.c - test oracle for the syscall plugin: prints the digest
 * `reprise dump` shows as args_digest for a system call, computed here
 * straight from libxxhash: XXH3-64 of nr and a0..a5 as seven little-endian
 * 64-bit words (rpr_args_digest in store/format.c).
 * Reads lines "ID NR A0 A1 A2 A3 A4 A5" (decimal, as sqlite3 prints
 * them), writes "ID 0x%016x".
 */
#include <inttypes.h>
#include <stdio.h>
#include <xxhash.h>

int main(void)
{
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        long long id;
        int64_t v[7];
        if (sscanf(line, "%lld %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64
                   " %" SCNd64 " %" SCNd64, &id, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6]) != 8) {
            fprintf(stderr, "args_digest: bad line: %s", line);
            return 1;
        }
        unsigned char b[56];
        for (int w = 0; w < 7; w++)
            for (int i = 0; i < 8; i++) b[8 * w + i] = (unsigned char)((uint64_t)v[w] >> (8 * i));
        printf("%lld 0x%016" PRIx64 "\n", id, (uint64_t)XXH3_64bits(b, sizeof b));
    }
    return 0;
}
