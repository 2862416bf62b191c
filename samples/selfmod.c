/*
 * selfmod.c - self-modifying code: writes RISC-V instructions into memory,
 * makes them visible to instruction fetch (fence.i, __builtin___clear_cache),
 * calls them, rewrites them in place and calls again. Every line shows the
 * result of the version written last: a stale translation would show the
 * earlier one.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef long (*fn_t)(long);

/* addi a0, a0, imm (imm in [-2048, 2047]) */
static uint32_t addi_a0(int imm) { return ((uint32_t)imm & 0xfff) << 20 | 10u << 15 | 10u << 7 | 0x13; }
/* li a0, imm */
static uint32_t li_a0(int imm) { return ((uint32_t)imm & 0xfff) << 20 | 10u << 7 | 0x13; }
/* slli a0, a0, sh */
static uint32_t slli_a0(int sh) { return (uint32_t)sh << 20 | 10u << 15 | 1u << 12 | 10u << 7 | 0x13; }
#define RET 0x00008067u
/* c.li a0, imm (imm in [-32, 31]) and c.jr ra */
static uint16_t c_li_a0(int imm)
{
    return (uint16_t)(0x4000 | ((imm >> 5) & 1) << 12 | 10 << 7 | (imm & 31) << 2 | 1);
}
#define C_RET 0x8082u

static void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

static void put32(unsigned char *p, uint32_t w) { memcpy(p, &w, 4); }
static void put16(unsigned char *p, uint16_t w) { memcpy(p, &w, 2); }

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *rwx = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE | PROT_EXEC,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rwx == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    fn_t f = (fn_t)(void *)rwx;

    /* 1. Write, fence.i, call; rewrite the same address, call again. */
    put32(rwx, addi_a0(1));
    put32(rwx + 4, RET);
    fence_i();
    printf("v1: f(41) = %ld\n", f(41));
    put32(rwx, addi_a0(100));
    fence_i();
    printf("v2: f(41) = %ld\n", f(41));

    /* 2. __builtin___clear_cache instead of a bare fence.i, and a longer body. */
    put32(rwx, slli_a0(3));
    put32(rwx + 4, addi_a0(7));
    put32(rwx + 8, RET);
    __builtin___clear_cache((char *)rwx, (char *)rwx + 12);
    printf("v3: f(5) = %ld\n", f(5));

    /* 3. Many rewrites of one immediate, each called once. */
    long sum = 0;
    for (int i = 0; i < 500; i++) {
        put32(rwx, addi_a0(i));
        put32(rwx + 4, RET);
        fence_i();
        sum += f(1000);
    }
    printf("500 rewrites: sum = %ld\n", sum);

    /* 4. Compressed instructions. */
    put16(rwx, c_li_a0(5));
    put16(rwx + 2, (uint16_t)C_RET);
    fence_i();
    printf("c.li 5: f(0) = %ld\n", f(0));
    put16(rwx, c_li_a0(-7));
    fence_i();
    printf("c.li -7: f(0) = %ld\n", f(0));

    /* 5. An instruction that straddles two pages; rewrite only the half in
     * the second page (the immediate's upper bits). */
    unsigned char *x = rwx + pg - 2;
    put32(x, addi_a0(3));
    put32(x + 4, RET);
    fence_i();
    fn_t g = (fn_t)(void *)x;
    printf("straddling v1: g(10) = %ld\n", g(10));
    uint32_t w = addi_a0(1000);
    put16(rwx + pg, (uint16_t)(w >> 16));
    fence_i();
    printf("straddling v2: g(10) = %ld\n", g(10));

    /* 6. W^X: write while RW, then mprotect to RX, call; repeat. */
    unsigned char *wx = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    put32(wx, li_a0(11));
    put32(wx + 4, RET);
    mprotect(wx, (size_t)pg, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *)wx, (char *)wx + 8);
    fn_t h = (fn_t)(void *)wx;
    printf("w^x v1: h() = %ld\n", h(0));
    mprotect(wx, (size_t)pg, PROT_READ | PROT_WRITE);
    put32(wx, li_a0(22));
    mprotect(wx, (size_t)pg, PROT_READ | PROT_EXEC);
    __builtin___clear_cache((char *)wx, (char *)wx + 8);
    printf("w^x v2: h() = %ld\n", h(0));

    /* 7. Code written by the kernel: read(2) from a pipe into the buffer. */
    int pfd[2];
    if (pipe(pfd) == 0) {
        uint32_t code[2] = { li_a0(-33), RET };
        mprotect(wx, (size_t)pg, PROT_READ | PROT_WRITE | PROT_EXEC);
        if (write(pfd[1], code, sizeof code) != sizeof code) return 1;
        if (read(pfd[0], wx, sizeof code) != sizeof code) return 1;
        fence_i();
        printf("read(2) v3: h() = %ld\n", h(0));
        close(pfd[0]);
        close(pfd[1]);
    }
    munmap(wx, (size_t)pg);
    munmap(rwx, (size_t)pg * 2);
    return 0;
}
