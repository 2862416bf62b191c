/*
 * pthreads.c - threads: a mutex/condition-variable producer-consumer queue
 * (deterministic output: the sum of everything consumed), a thread joined
 * for its return value, and a deliberately racy counter (unsynchronized
 * read-modify-write from several threads; its final value depends on the
 * schedule, so it is printed on stderr only).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ITEMS 20000
#define PRODUCERS 3
#define CONSUMERS 2

static int queue[64];
static int head, tail, count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int done_producers;
static long long consumed_sum;
static volatile long racy;

static void *producer(void *arg)
{
    int id = (int)(long)arg;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&lock);
        while (count == 64) pthread_cond_wait(&not_full, &lock);
        queue[tail] = id * ITEMS + i;
        tail = (tail + 1) % 64;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
        racy = racy + 1; /* the race: no lock */
    }
    pthread_mutex_lock(&lock);
    done_producers++;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg)
{
    long long sum = 0;
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (count == 0 && done_producers < PRODUCERS) pthread_cond_wait(&not_empty, &lock);
        if (count == 0) {
            pthread_mutex_unlock(&lock);
            break;
        }
        sum += queue[head];
        head = (head + 1) % 64;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    consumed_sum += sum;
    pthread_mutex_unlock(&lock);
    return (void *)sum;
}

static void *square(void *arg)
{
    long v = (long)arg;
    return (void *)(v * v);
}

int main(void)
{
    pthread_t p[PRODUCERS], c[CONSUMERS], s;
    for (long i = 0; i < PRODUCERS; i++) pthread_create(&p[i], NULL, producer, (void *)i);
    for (long i = 0; i < CONSUMERS; i++) pthread_create(&c[i], NULL, consumer, NULL);
    for (int i = 0; i < PRODUCERS; i++) pthread_join(p[i], NULL);
    for (int i = 0; i < CONSUMERS; i++) pthread_join(c[i], NULL);
    void *ret;
    pthread_create(&s, NULL, square, (void *)12345L);
    pthread_join(s, &ret);
    long long n = (long long)PRODUCERS * ITEMS;
    printf("consumed sum %lld (expected %lld)\n", consumed_sum, n * (n - 1) / 2);
    printf("joined value %ld\n", (long)ret);
    fprintf(stderr, "racy counter %ld of %d\n", racy, PRODUCERS * ITEMS);
    return consumed_sum == n * (n - 1) / 2 ? 0 : 1;
}
