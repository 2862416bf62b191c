/* hello.c - the smallest guest: prints a line and exits with status 0. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("hello from %s with %d argument(s)\n", argc > 0 ? argv[0] : "?", argc - 1);
    return 0;
}
