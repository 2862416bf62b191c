/*
 * guest_wait.c - guest program for test_plugins.sh: a wait that completes
 * without its thread running again. A thread polls an empty pipe with a
 * 1 ms timeout while the main thread can still run, so the poll's ecall is
 * put back to be re-executed; the main thread computes for longer than
 * that (about 5 10^6 instructions), then waits in pthread_join: the
 * scheduler finds the poll's deadline passed and completes the call
 * itself, retiring the ecall outside the vm (lx_observer.retire).
 */
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

static int fds[2];

static void *poller(void *arg)
{
    (void)arg;
    struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
    return (void *)(long)poll(&pfd, 1, 1);
}

int main(void)
{
    static const char msg[] = "guest_wait: timed out\n";
    if (pipe(fds)) return 1;
    pthread_t t;
    void *r;
    if (pthread_create(&t, NULL, poller, NULL)) return 1;
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 500000; i++) x += i;
    pthread_join(t, &r);
    write(1, msg, sizeof msg - 1);
    return r == 0 ? 0 : 1;
}
