/*
 * nondet.c - a program whose output differs on every run: it prints wall
 * and monotonic clock readings, the time CSR, bytes from getrandom and
 * /dev/urandom, a checksum of stdin, the result of a race between threads,
 * and where in a busy loop an interval timer's SIGALRM landed. Recorded,
 * it replays the recorded output exactly, every time.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile long shared;
static volatile sig_atomic_t alarmed;
static volatile uint64_t loop_at_alarm;

static void *racer(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < 300000; i++) {
        long v = shared;
        if (i % 1000 == 0) sched_yield();
        shared = v + n;
    }
    return NULL;
}

static void on_alarm(int sig)
{
    (void)sig;
    alarmed = 1;
}

int main(void)
{
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    uint64_t csr;
    __asm__ volatile("rdtime %0" : "=r"(csr));
    printf("realtime %lld.%09ld monotonic %lld.%09ld time-csr %llu\n", (long long)rt.tv_sec,
           rt.tv_nsec, (long long)mono.tv_sec, mono.tv_nsec, (unsigned long long)csr);

    unsigned char r[8] = { 0 }, u[8] = { 0 };
    getrandom(r, sizeof r, 0);
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        fread(u, 1, sizeof u, f);
        fclose(f);
    }
    printf("getrandom %02x%02x%02x%02x%02x%02x%02x%02x urandom %02x%02x%02x%02x%02x%02x%02x%02x\n",
           r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7]);

    uint64_t h = 1469598103934665603ull;
    int c;
    while ((c = getchar()) != EOF) h = (h ^ (unsigned char)c) * 1099511628211ull;
    printf("stdin fnv %016llx\n", (unsigned long long)h);

    pthread_t a, b;
    pthread_create(&a, NULL, racer, (void *)1L);
    pthread_create(&b, NULL, racer, (void *)1000L);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("race result %ld\n", shared);

    signal(SIGALRM, on_alarm);
    struct itimerval it = { { 0, 0 }, { 0, 3000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    uint64_t i = 0;
    while (!alarmed) i++;
    printf("SIGALRM landed after %llu loop iterations\n", (unsigned long long)i);
    return 0;
}
