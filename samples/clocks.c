/*
 * clocks.c - time and randomness sources: clock_gettime, clock_getres,
 * gettimeofday, nanosleep, getrandom and the `time` CSR (rdtime). Their
 * values differ from run to run, so it prints only invariants (ordering,
 * plausible ranges, lengths) and exits 1 if one fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>

static int failures;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok) failures++;
}

static int64_t ns(const struct timespec *ts) { return ts->tv_sec * 1000000000ll + ts->tv_nsec; }

static uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

int main(void)
{
    struct timespec a, b, res;
    check("clock_gettime(MONOTONIC)", clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    volatile uint64_t spin = 0;
    for (int i = 0; i < 100000; i++) spin += (uint64_t)i;
    check("clock_gettime(MONOTONIC) again", clock_gettime(CLOCK_MONOTONIC, &b) == 0);
    check("monotonic never goes back", ns(&b) >= ns(&a));
    check("tv_nsec in range", a.tv_nsec >= 0 && a.tv_nsec < 1000000000 && b.tv_nsec >= 0 &&
                                  b.tv_nsec < 1000000000);

    struct timespec rt;
    check("clock_gettime(REALTIME)", clock_gettime(CLOCK_REALTIME, &rt) == 0);
    check("realtime after 2020", rt.tv_sec > 1577836800);
    struct timeval tv;
    check("gettimeofday", gettimeofday(&tv, NULL) == 0);
    check("tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    check("gettimeofday agrees with REALTIME", tv.tv_sec >= rt.tv_sec && tv.tv_sec - rt.tv_sec < 60);

    check("clock_getres(MONOTONIC)", clock_getres(CLOCK_MONOTONIC, &res) == 0);
    check("resolution at most 1 ms", res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);

    struct timespec c0, c1;
    check("clock_gettime(PROCESS_CPUTIME)", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0) == 0);
    for (int i = 0; i < 100000; i++) spin += (uint64_t)i * 3;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    check("cpu time never goes back", ns(&c1) >= ns(&c0));

    struct timespec s0, s1, d = { 0, 2000000 };
    clock_gettime(CLOCK_MONOTONIC, &s0);
    check("nanosleep 2 ms", nanosleep(&d, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &s1);
    check("slept at least 2 ms", ns(&s1) - ns(&s0) >= 2000000);

    unsigned char r1[64], r2[64];
    memset(r1, 0, sizeof r1);
    memset(r2, 0, sizeof r2);
    ssize_t n1 = getrandom(r1, sizeof r1, 0), n2 = getrandom(r2, sizeof r2, GRND_NONBLOCK);
    printf("getrandom lengths: %zd %zd\n", n1, n2);
    check("two getrandom results differ", memcmp(r1, r2, sizeof r1) != 0);
    ssize_t n0 = getrandom(r1, 0, 0);
    printf("getrandom of 0 bytes: %zd\n", n0);
    errno = 0;
    ssize_t bad = getrandom(r1, 4, 0x100);
    printf("getrandom bad flags: %zd %s\n", bad, bad < 0 ? strerrorname_np(errno) : "-");

    uint64_t t0 = rdtime();
    for (int i = 0; i < 100000; i++) spin += (uint64_t)i ^ 5;
    uint64_t t1 = rdtime();
    check("rdtime never goes back", t1 >= t0);
    check("rdtime advances", t1 > t0);

    printf("%d failure(s)\n", failures);
    return failures != 0;
}
