/*
 * wc.c - counts the lines, words and bytes of standard input with plain
 * read(2) calls and prints them like `wc`: "LINES WORDS BYTES".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    static unsigned char buf[4096];
    unsigned long lines = 0, words = 0, bytes = 0;
    int in_word = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "wc: read: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0) break;
        bytes += (unsigned long)n;
        for (ssize_t i = 0; i < n; i++) {
            unsigned char ch = buf[i];
            if (ch == '\n') lines++;
            if (isspace(ch)) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                words++;
            }
        }
    }
    printf("%lu %lu %lu\n", lines, words, bytes);
    return 0;
}
