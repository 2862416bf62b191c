/* gdbwatch.c - the program the gdb suite's watchpoint, reverse-execution
 * and thread sessions debug (built -O0 -g): a global written several
 * times, and a second thread. */
#include <pthread.h>
#include <stdio.h>

int watched = 0;
int other;

static void *worker(void *arg)
{
    int *p = arg;
    other = *p + 1;
    return NULL;
}

void bump(int i)
{
    watched = i * 10;
}

int main(void)
{
    for (int i = 1; i <= 3; i++) bump(i);
    pthread_t th;
    int v = 41;
    pthread_create(&th, NULL, worker, &v);
    pthread_join(th, NULL);
    printf("watched=%d other=%d\n", watched, other);
    return 0;
}
