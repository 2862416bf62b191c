/*
 * omp.c - an OpenMP program on Debian's riscv64 libgomp: a parallel loop
 * with dynamic scheduling and a reduction, a histogram with atomic
 * updates, and a parallel section with a barrier. Four threads are asked
 * for explicitly, so the output is the same on every host; it depends only
 * on the arithmetic, not on how the threads interleave.
 */
#include <omp.h>
#include <stdio.h>

#define N 200000
#define THREADS 4

static int is_prime(long n)
{
    if (n < 2) return 0;
    for (long d = 2; d * d <= n; d++)
        if (n % d == 0) return 0;
    return 1;
}

int main(void)
{
    long primes = 0;
#pragma omp parallel for schedule(dynamic, 1000) reduction(+ : primes) num_threads(THREADS)
    for (long i = 0; i < N; i++) primes += is_prime(i);

    long hist[10] = { 0 };
#pragma omp parallel for num_threads(THREADS)
    for (long i = 0; i < N; i++) {
        long d = (i * 2654435761u) % 10;
#pragma omp atomic
        hist[d]++;
    }

    int seen = 0, team = 0;
#pragma omp parallel num_threads(THREADS)
    {
#pragma omp atomic
        seen++;
#pragma omp barrier
#pragma omp single
        team = omp_get_num_threads();
    }

    printf("primes below %d: %ld\n", N, primes);
    printf("histogram:");
    for (int i = 0; i < 10; i++) printf(" %ld", hist[i]);
    printf("\nteam of %d threads, %d arrived at the barrier\n", team, seen);
    return 0;
}
