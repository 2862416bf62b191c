/*
 * mmap_file.c - file-backed mappings: maps a file read-only and prints its
 * size and checksum, maps a page-aligned window at an offset, checks the
 * zero fill past end of file, then maps it MAP_PRIVATE writable, changes it,
 * and checks that the file itself did not change. `mmap_file FILE`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t fnv(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mmap_file FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        printf("open: %s\n", strerrorname_np(errno));
        return 1;
    }
    struct stat st;
    fstat(fd, &st);
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        printf("empty file\n");
        return 1;
    }
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        printf("mmap: %s\n", strerrorname_np(errno));
        return 1;
    }
    uint64_t h = fnv(m, size);
    printf("size %zu, checksum %016llx\n", size, (unsigned long long)h);

    /* The tail of the last page reads as zeros. */
    size_t end = (size + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
    int zeros = 1;
    for (size_t i = size; i < end; i++) zeros &= m[i] == 0;
    printf("tail of last page is zero: %s\n", zeros ? "yes" : "no");

    /* A window at a page-aligned offset matches the full mapping. */
    if (size > (size_t)pg) {
        size_t len = size - (size_t)pg;
        unsigned char *w = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, pg);
        if (w == MAP_FAILED) {
            printf("mmap at offset: %s\n", strerrorname_np(errno));
        } else {
            printf("window at offset %ld matches: %s\n", pg, memcmp(w, m + pg, len) ? "no" : "yes");
            munmap(w, len);
        }
    }
    /* An unaligned offset is refused. */
    void *bad = mmap(NULL, 16, PROT_READ, MAP_PRIVATE, fd, 1);
    printf("unaligned offset: %s\n", bad == MAP_FAILED ? strerrorname_np(errno) : "mapped");

    /* MAP_PRIVATE writable: copy-on-write, the file stays as it was. */
    unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap private: %s\n", strerrorname_np(errno));
        return 1;
    }
    for (size_t i = 0; i < size; i += 97) p[i] ^= 0x5a;
    uint64_t hp = fnv(p, size);
    printf("private copy changed: %s, checksum %016llx\n", hp != h ? "yes" : "no",
           (unsigned long long)hp);
    printf("read-only mapping unchanged: %s\n", fnv(m, size) == h ? "yes" : "no");
    unsigned char buf[4096];
    uint64_t hf = 0xcbf29ce484222325ull;
    off_t off = 0;
    ssize_t n;
    while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
        for (ssize_t i = 0; i < n; i++) hf = (hf ^ buf[i]) * 0x100000001b3ull;
        off += n;
    }
    printf("file unchanged: %s\n", hf == h ? "yes" : "no");
    munmap(p, size);
    munmap(m, size);

    /* Writing to a read-only mapping through a system call faults. */
    unsigned char *r = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ssize_t rr = read(fd, r, 1);
    printf("read(2) into read-only mapping: %s\n", rr < 0 ? strerrorname_np(errno) : "succeeded");
    /* mprotect makes it writable. */
    int mp = mprotect(r, size, PROT_READ | PROT_WRITE);
    r[0] ^= 1;
    printf("mprotect then write: %s, checksum %016llx\n", mp ? strerrorname_np(errno) : "ok",
           (unsigned long long)fnv(r, size));
    munmap(r, size);
    close(fd);
    return 0;
}
