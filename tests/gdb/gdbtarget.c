/* gdbtarget.c - the program the gdb suite debugs (built -O0 -g): a global,
 * locals, a call chain and a call into libc, and a distinctive exit status. */
#include <stdio.h>

int counter = 5;

static int square(int v)
{
    int r = v * v;
    return r;
}

int add(int a, int b)
{
    int s = a + b;
    counter += s;
    return s;
}

int main(int argc, char **argv)
{
    int local = 42;
    int t = add(local, argc);
    t += square(3);
    printf("t=%d counter=%d name=%s\n", t, counter, argv[0]);
    return 7;
}
