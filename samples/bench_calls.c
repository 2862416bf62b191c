/*
 * bench_calls.c - call-heavy kernel: naive recursive Fibonacci, indirect
 * calls through a function-pointer table, qsort with a comparison callback,
 * and a recursive-descent expression evaluator. Prints a checksum.
 * `bench_calls [SCALE]` (default 1000; 1 is a quick correctness run).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static uint64_t fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

typedef uint64_t (*op_fn)(uint64_t, uint64_t);
__attribute__((noinline)) static uint64_t op_add(uint64_t a, uint64_t b) { return a + b; }
__attribute__((noinline)) static uint64_t op_xor(uint64_t a, uint64_t b) { return a ^ (b << 1); }
__attribute__((noinline)) static uint64_t op_mul(uint64_t a, uint64_t b) { return a * (b | 1); }
__attribute__((noinline)) static uint64_t op_rot(uint64_t a, uint64_t b) { return (a << (b & 15)) | (a >> (64 - (b & 15) - 1) >> 1); }
static op_fn ops[4] = { op_add, op_xor, op_mul, op_rot };

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* expr := term {(+|-) term}; term := factor {* factor}; factor := digit | ( expr ) */
static const char *src;
static long expr(void);
__attribute__((noinline)) static long factor(void)
{
    if (*src == '(') {
        src++;
        long v = expr();
        src++;
        return v;
    }
    return *src++ - '0';
}
__attribute__((noinline)) static long term(void)
{
    long v = factor();
    while (*src == '*') {
        src++;
        v *= factor();
    }
    return v;
}
__attribute__((noinline)) static long expr(void)
{
    long v = term();
    while (*src == '+' || *src == '-') {
        char o = *src++;
        long w = term();
        v = o == '+' ? v + w : v - w;
    }
    return v;
}

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1000;
    if (scale < 1) scale = 1;
    uint64_t h = 0;
    for (long r = 0; r < scale / 5 + 1; r++) h = h * 31 + fib(20 + (unsigned)(r & 3));
    uint64_t v = 1;
    for (long i = 0; i < scale * 30000; i++) v = ops[(v ^ (uint64_t)i) & 3](v, (uint64_t)i);
    h = h * 31 + v;
    size_t n = 20000;
    uint32_t *arr = malloc(n * 4);
    uint64_t x = 12345;
    for (long r = 0; r < scale / 20 + 1; r++) {
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            arr[i] = (uint32_t)(x >> 33);
        }
        qsort(arr, n, 4, cmp_u32);
        h = h * 31 + arr[n / 2] + arr[0];
    }
    static const char *const exprs[] = { "1+2*(3+4*(5-6))-7*8", "((9))*((8)+7*(6-5))",
                                         "2*(3*(4*(5*(6+1))))-9+8-7" };
    long acc = 0;
    for (long i = 0; i < scale * 800; i++) {
        src = exprs[i % 3];
        acc += expr();
    }
    h = h * 31 + (uint64_t)acc;
    printf("bench_calls scale %ld checksum %016llx\n", scale, (unsigned long long)h);
    free(arr);
    return 0;
}
