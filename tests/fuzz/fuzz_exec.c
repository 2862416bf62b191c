/*
 * fuzz_exec.c - fuzz target for the decoder, the disassembler and the
 * execution engine: arbitrary bytes are decoded, disassembled and run as
 * guest code (writable, so they may modify themselves) with registers
 * pointing in and around mapped memory. The contract under test: no guest
 * instruction can crash reprise or touch host memory outside the guest
 * address space (run under ASan/UBSan).
 *
 * Built two ways: with -DREPRISE_LIBFUZZER and clang -fsanitize=fuzzer it
 * is a libFuzzer target; otherwise main() below replays files given on the
 * command line, or runs a seeded, reproducible batch of random inputs:
 *   fuzz_exec [--seed N] [--count N] [FILE...]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "isa.h"
#include "vm.h"

#define CODE 0x10000ull
#define DATA 0x11000ull   /* right after the code: accesses cross into it */

static struct vm *vm;

static uint64_t time_src(void *ctx, struct vm_cpu *cpu, uint64_t icount, uint64_t pc)
{
    (void)ctx; (void)cpu;
    return icount ^ pc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!vm) {
        char err[256];
        struct vm_config cfg = { .addr_bits = 32, .read_time = time_src };
        if (vm_create(&cfg, &vm, err, sizeof err)) {
            fprintf(stderr, "vm_create: %s\n", err);
            abort();
        }
    }
    /* Decoder and disassembler on every 2-byte offset. */
    char text[128];
    for (size_t i = 0; i + 2 <= size; i += 2) {
        uint32_t bits = 0;
        memcpy(&bits, data + i, size - i >= 4 ? 4 : 2);
        struct rv_decoded d;
        rv_decode(bits, &d);
        rv_disas(&d, CODE + i, text, sizeof text);
    }
    /* Fresh memory each time: code (RWX) then data (RW), then a hole. */
    vm_map(vm, CODE, 0x1000, VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC);
    vm_map(vm, DATA, 0x1000, VM_PROT_READ | VM_PROT_WRITE);
    size_t n = size > 0x1000 ? 0x1000 : size;
    vm_poke(vm, CODE, data, n);
    struct vm_cpu *cpu = vm_cpu_create(vm);
    if (!cpu) abort();
    for (int r = 1; r < 32; r++) {
        uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)r ^ (size ? data[r % size] : 0);
        switch (r % 4) {
        case 0: cpu->x[r] = DATA + (seed & 0xfff); break;   /* inside data */
        case 1: cpu->x[r] = CODE + (seed & 0x1fff); break;  /* code, data, or past */
        case 2: cpu->x[r] = seed; break;                     /* anywhere */
        default: cpu->x[r] = seed & 0xff; break;
        }
        cpu->f[r] = seed * 31;
    }
    cpu->pc = CODE;
    /* Keep going past exceptions, as a signal handler that skips the
     * faulting instruction would, to reach deeper states. */
    for (int k = 0; k < 64; k++) {
        struct vm_exit ex;
        if (vm_run(cpu, 5000, &ex)) break;
        if (ex.reason != VM_EXIT_EXCEPTION) break;
        if (ex.cause == RV_EXC_INSN_PAGE_FAULT || ex.cause == RV_EXC_INSN_MISALIGNED) {
            cpu->pc = CODE + ((cpu->pc + 2) & 0xffe);
            continue;
        }
        vm_cpu_retire(cpu);
    }
    vm_cpu_destroy(cpu);
    vm_unmap(vm, CODE, 0x2000);
    return 0;
}

#ifndef REPRISE_LIBFUZZER
static uint64_t rng;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, count = 2000;
    int files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 0);
        else {
            FILE *f = fopen(argv[i], "rb");
            if (!f) { perror(argv[i]); return 1; }
            static uint8_t buf[0x1000];
            size_t n = fread(buf, 1, sizeof buf, f);
            fclose(f);
            LLVMFuzzerTestOneInput(buf, n);
            files++;
        }
    }
    if (files) {
        printf("%d passed, 0 failed\n", files);
        return 0;
    }
    if (getenv("REPRISE_LONG_TESTS")) count *= 20;
    static uint8_t buf[1024];
    for (uint64_t it = 0; it < count; it++) {
        rng = (seed + it) * 0x2545f4914f6cdd1dull | 1;
        size_t n = 64 + rnd() % (sizeof buf - 64);
        /* Half the inputs are valid instructions drawn from the table (so
         * execution goes deep), the rest raw bytes. */
        for (size_t i = 0; i + 4 <= n;) {
            if (rnd() & 1) {
                const struct rv_insn_desc *r = &rv_insns[rnd() % RV_N_INSNS];
                uint32_t w = r->match | (rnd() & ~r->mask);
                if (r->flags & (RVF_BRANCH | RVF_JUMP)) w &= 0x80ffffffu; /* short forward/back */
                memcpy(buf + i, &w, 4);
                i += 4;
            } else {
                uint16_t h = (uint16_t)rnd();
                memcpy(buf + i, &h, 2);
                i += 2;
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    vm_destroy(vm);
    printf("%llu passed, 0 failed\n", (unsigned long long)count);
    return 0;
}
#endif
