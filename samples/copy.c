/*
 * copy.c - copies a file with open/fstat/read/write: `copy SRC DST`.
 * Uses deliberately uneven chunk sizes, gives DST the mode of SRC, then reads
 * DST back and compares it with SRC. Prints the size and an FNV-1a hash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: copy SRC DST\n");
        return 2;
    }
    int in = open(argv[1], O_RDONLY);
    if (in < 0) {
        printf("open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(in, &st)) {
        printf("fstat: %s\n", strerror(errno));
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        printf("%s: not a regular file\n", argv[1]);
        return 1;
    }
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 07777);
    if (out < 0) {
        printf("open %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    static unsigned char buf[65536];
    static const size_t chunks[] = { 1, 4095, 4096, 65536, 17, 12345 };
    uint64_t h = 0xcbf29ce484222325ull, total = 0;
    for (unsigned i = 0;; i++) {
        ssize_t n = read(in, buf, chunks[i % 6]);
        if (n < 0) {
            if (errno == EINTR) continue;
            printf("read: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0) break;
        h = fnv(h, buf, (size_t)n);
        total += (uint64_t)n;
        if (write_all(out, buf, (size_t)n)) {
            printf("write: %s\n", strerror(errno));
            return 1;
        }
    }
    if (fchmod(out, st.st_mode & 07777) || close(out) || close(in)) {
        printf("close: %s\n", strerror(errno));
        return 1;
    }
    if (total != (uint64_t)st.st_size) printf("size mismatch: fstat %lld, read %llu\n",
                                              (long long)st.st_size, (unsigned long long)total);
    /* Read the copy back. */
    struct stat st2;
    if (stat(argv[2], &st2)) {
        printf("stat: %s\n", strerror(errno));
        return 1;
    }
    int fd = open(argv[2], O_RDONLY);
    uint64_t h2 = 0xcbf29ce484222325ull;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) h2 = fnv(h2, buf, (size_t)n);
    close(fd);
    printf("copied %llu bytes, fnv %016llx, mode %o\n", (unsigned long long)total,
           (unsigned long long)h, (unsigned)(st.st_mode & 07777));
    printf("copy: size %lld, fnv %016llx, mode %o: %s\n", (long long)st2.st_size,
           (unsigned long long)h2, (unsigned)(st2.st_mode & 07777),
           h2 == h && st2.st_size == st.st_size && (st2.st_mode & 07777) == (st.st_mode & 07777)
               ? "identical" : "DIFFERENT");
    return h2 == h ? 0 : 1;
}
