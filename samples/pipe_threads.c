/*
 * pipe_threads.c - threads that talk through pipes and sleep: a ping-pong
 * over two pipes (each side blocks in read until the other writes), a
 * sleeper thread, and a poll() with a timeout. Under reprise all guest
 * threads share one host thread, so this only completes if a blocking host
 * call never holds up the other threads.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2];

static void *ponger(void *arg)
{
    (void)arg;
    int v;
    while (read(ping[0], &v, sizeof v) == sizeof v && v >= 0) {
        v = v * 2 + 1;
        write(pong[1], &v, sizeof v);
    }
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    for (int i = 0; i < 3; i++) nanosleep(&ts, NULL);
    return (void *)42L;
}

int main(void)
{
    pipe(ping);
    pipe(pong);
    pthread_t a, b;
    pthread_create(&a, NULL, ponger, NULL);
    pthread_create(&b, NULL, sleeper, NULL);
    long sum = 0;
    for (int i = 0; i < 1000; i++) {
        int v = i, r;
        write(ping[1], &v, sizeof v);
        read(pong[0], &r, sizeof r);
        sum += r;
    }
    int stop = -1;
    write(ping[1], &stop, sizeof stop);
    /* poll on an empty pipe times out while the others run */
    struct pollfd pfd = { .fd = pong[0], .events = POLLIN };
    int n = poll(&pfd, 1, 30);
    void *ret;
    pthread_join(a, NULL);
    pthread_join(b, &ret);
    printf("ping-pong sum %ld, poll %d, sleeper %ld\n", sum, n, (long)ret);
    return 0;
}
