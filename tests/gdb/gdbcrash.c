/* gdbcrash.c - a program that crashes, for the gdb tests: `slot` is
 * overwritten with a bad pointer in spoil(), which main later writes
 * through (SIGSEGV). Built -O0 -g so that lines are exact. */
#include <stdio.h>

static long value;
long *slot = &value;

void spoil(long *p)
{
    slot = p;                      /* the bad write */
}

int main(void)
{
    *slot = 1;
    printf("value %ld\n", value);
    fflush(stdout);
    spoil((long *)0xdead0000);
    *slot = 2;                     /* the crash */
    return 0;
}
