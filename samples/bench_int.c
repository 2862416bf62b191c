/*
 * bench_int.c - integer kernel: a sieve of Eratosthenes, CRC-32 (bitwise),
 * xorshift-driven integer hashing with multiplies, branches and an
 * occasional divide. CPU-bound; prints a checksum. `bench_int [SCALE]`:
 * SCALE (default 1000) sets the work; 1 is a quick correctness run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static uint64_t sieve(uint8_t *composite, size_t n)
{
    memset(composite, 0, n);
    uint64_t count = 0, sum = 0;
    for (size_t i = 2; i < n; i++) {
        if (composite[i]) continue;
        count++;
        sum += i;
        for (size_t j = i * i; j < n; j += i) composite[j] = 1;
    }
    return count * 1000003 + sum;
}

static uint64_t hashing(uint64_t seed, long iters)
{
    uint64_t x = seed | 1, acc = 0;
    for (long i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += (x * 0x9e3779b97f4a7c15ull) ^ (acc >> 3);
        acc = (acc << 5) | (acc >> 59);
        acc += (uint32_t)(x >> 3) * (uint64_t)(uint32_t)i;
        if ((x & 3) == 0) acc -= x >> 11; else acc ^= x << 2;
        if ((i & 15) == 0) {
            uint64_t d = (x >> 40) | 1;
            acc += (x / d) ^ (x % (d + 2));
        }
    }
    return acc;
}

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1000;
    if (scale < 1) scale = 1;
    size_t n = 1 << 20;
    uint8_t *buf = malloc(n);
    uint64_t h = 0;
    for (long r = 0; r < scale / 10 + 1; r++) h = h * 31 + sieve(buf, n);
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(i * 7 + (i >> 8));
    uint32_t crc = 0;
    for (long r = 0; r < scale / 25 + 1; r++) crc = crc32(buf, n / 2, crc);
    h = h * 31 + crc;
    h = h * 31 + hashing(0x12345678, scale * 60000);
    printf("bench_int scale %ld checksum %016llx\n", scale, (unsigned long long)h);
    free(buf);
    return 0;
}
