/*
 * race.c - a job queue with an intermittent bug, the demo's default sample.
 *
 * Worker threads take jobs from a shared queue, compute them and write the
 * result through the job's `out` pointer; a finished job is poisoned (its
 * pointers set to POISON) so that any later use of it faults at once, as a
 * freed object would be in a hardened allocator.
 *
 * The bug: take() reads the head of the queue before taking the lock. When
 * a thread switch lands between that read and the lock, two workers take
 * the same job: one finishes and poisons it, the other then writes its
 * result through the poisoned pointer and crashes with SIGSEGV. Whether
 * that happens depends only on where the scheduler switches threads, so the
 * program crashes on some schedules and not on others (`reprise record
 * --chaos` explores schedules; its recording reproduces the one it got).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORKERS 3
#define JOBS 1000
#define POISON ((void *)0xdead0000)

struct job {
    struct job *next;
    long id;
    long result;
    long *out;
};

static struct job jobs[JOBS];
static long results[JOBS];
static struct job *queue;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;

/* Takes the next job, NULL when the queue is empty. */
static __attribute__((noinline)) struct job *take(void)
{
    struct job *j = queue;          /* BUG: read outside the lock */
    if (!j) return NULL;
    pthread_mutex_lock(&qlock);
    queue = j->next;
    pthread_mutex_unlock(&qlock);
    return j;
}

/* Some work: about a thousand instructions per job. */
static __attribute__((noinline)) long compute(long id)
{
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 200; i++) h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull + (uint64_t)i;
    return (long)(h >> 1);
}

/* Stores the result and poisons the job: it must never be used again. */
static __attribute__((noinline)) void finish(struct job *j)
{
    *j->out = j->result;
    j->out = POISON;
    j->next = POISON;
}

static void *worker(void *arg)
{
    long done = 0;
    struct job *j;
    while ((j = take())) {
        j->result = compute(j->id);
        finish(j);
        done++;
    }
    *(long *)arg = done;
    return NULL;
}

int main(void)
{
    for (int i = JOBS - 1; i >= 0; i--) {
        jobs[i] = (struct job){ .next = queue, .id = i, .out = &results[i] };
        queue = &jobs[i];
    }
    pthread_t th[WORKERS];
    long done[WORKERS];
    for (int i = 0; i < WORKERS; i++) pthread_create(&th[i], NULL, worker, &done[i]);
    long total = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(th[i], NULL);
        total += done[i];
    }
    long sum = 0;
    for (int i = 0; i < JOBS; i++) sum += results[i] & 0xffff;
    printf("%ld jobs done by %d workers, checksum %ld\n", total, WORKERS, sum);
    return total == JOBS ? 0 : 1;
}
