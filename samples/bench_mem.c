/*
 * bench_mem.c - memory kernel: sequential copies and fills (memcpy/memset),
 * a strided read-modify-write sweep, and a dependent pointer chase through
 * a shuffled 8 MiB ring. Prints a checksum. `bench_mem [SCALE]` (default
 * 1000; 1 is a quick correctness run).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1000;
    if (scale < 1) scale = 1;
    size_t n = 1 << 20;   /* elements of 8 bytes: 8 MiB */
    uint64_t *a = malloc(n * 8), *b = malloc(n * 8);
    uint32_t *next = malloc(n * 4);
    uint64_t h = 0;
    /* A random cyclic permutation (Sattolo). */
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) next[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t j = (size_t)(x % i);
        uint32_t t = next[i]; next[i] = next[j]; next[j] = t;
    }
    for (long r = 0; r < scale / 20 + 1; r++) {
        memset(a, (int)r, n * 8);
        for (size_t i = 0; i < n; i += 8) a[i] += i;
        memcpy(b, a, n * 8);
        h = h * 31 + b[(size_t)r * 4099 % n];
    }
    for (long r = 0; r < scale / 10 + 1; r++)
        for (size_t s = 0; s < 64; s += 9)
            for (size_t i = s; i < n; i += 64) b[i] = b[i] * 3 + a[i ^ 1];
    uint32_t p = 0;
    uint64_t sum = 0;
    long steps = scale * 20000;
    for (long i = 0; i < steps; i++) {
        p = next[p];
        sum += p;
        a[p] ^= sum;
    }
    for (size_t i = 0; i < n; i += 512) h = h * 31 + a[i] + b[i];
    h = h * 31 + sum;
    printf("bench_mem scale %ld checksum %016llx\n", scale, (unsigned long long)h);
    return 0;
}
