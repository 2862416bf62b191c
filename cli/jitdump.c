/*
 * jitdump.c - `reprise run --jit-dump`: every block the JIT compiled, its
 * guest instructions (reprise's disassembler, objdump's text) each followed
 * by the x86-64 instructions they became (Capstone, Intel syntax), then the
 * block's shared exits and slow paths. Design: docs/jit.md.
 */
#include "cli.h"
#include "isa.h"
#include "vm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif

struct blocks {
    struct vm_jit_block *v;
    size_t n, cap;
    int oom;
};

static void collect(void *ctx, const struct vm_jit_block *b)
{
    struct blocks *bs = ctx;
    if (bs->n == bs->cap) {
        size_t cap = bs->cap ? 2 * bs->cap : 256;
        struct vm_jit_block *v = realloc(bs->v, cap * sizeof *v);
        if (!v) {
            bs->oom = 1;
            return;
        }
        bs->v = v;
        bs->cap = cap;
    }
    bs->v[bs->n++] = *b;
}

static int by_pc(const void *a, const void *b)
{
    uint64_t x = ((const struct vm_jit_block *)a)->pc, y = ((const struct vm_jit_block *)b)->pc;
    return x < y ? -1 : x > y;
}

#ifdef HAVE_CAPSTONE
static void host_code(FILE *out, csh cs, const uint8_t *code, size_t len, uint64_t addr)
{
    cs_insn *insn;
    size_t n = cs_disasm(cs, code, len, addr, 0, &insn);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "        %12" PRIx64 ":  %s %s\n", insn[i].address, insn[i].mnemonic, insn[i].op_str);
        done += insn[i].size;
    }
    if (n) cs_free(insn, n);
    if (done < len) fprintf(out, "        (%zu bytes Capstone could not decode)\n", len - done);
}
#endif

int cli_jit_dump(struct vm *vm, FILE *out)
{
    struct blocks bs = { 0 };
    vm_jit_foreach(vm, collect, &bs);
    if (bs.oom) {
        free(bs.v);
        return -1;
    }
    qsort(bs.v, bs.n, sizeof *bs.v, by_pc);
#ifdef HAVE_CAPSTONE
    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        free(bs.v);
        return -1;
    }
#endif
    fprintf(out, "%zu compiled blocks\n", bs.n);
    for (size_t i = 0; i < bs.n; i++) {
        const struct vm_jit_block *b = &bs.v[i];
        fprintf(out, "\nblock %#" PRIx64 ": %u guest instructions, %zu bytes of x86-64 at %p\n", b->pc,
                b->n_insns, b->code_len, (const void *)b->code);
        uint64_t pc = b->pc;
#ifdef HAVE_CAPSTONE
        if (b->insn_off && b->insn_off[0]) {
            fprintf(out, "  entry (registers set up; chained jumps enter after it):\n");
            host_code(out, cs, b->code, b->insn_off[0], (uint64_t)(uintptr_t)b->code);
        }
#endif
        for (unsigned k = 0; k < b->n_insns; k++) {
            uint32_t bits = 0;
            uint16_t lo = 0, hi = 0;
            char text[96] = "(unreadable)";
            if (!vm_peek(vm, pc, &lo, 2)) {
                bits = lo;
                if (rv_insn_len(lo) == 4 && !vm_peek(vm, pc + 2, &hi, 2)) bits |= (uint32_t)hi << 16;
                struct rv_decoded d;
                rv_decode(bits, &d);
                rv_disas(&d, pc, text, sizeof text);
                fprintf(out, "  %10" PRIx64 ":  %s\n", pc, text);
                pc += d.len;
            } else {
                fprintf(out, "  %10" PRIx64 ":  %s\n", pc, text);
                pc += 4;
            }
#ifdef HAVE_CAPSTONE
            if (b->insn_off)
                host_code(out, cs, b->code + b->insn_off[k], b->insn_off[k + 1] - b->insn_off[k],
                          (uint64_t)(uintptr_t)(b->code + b->insn_off[k]));
#endif
        }
#ifdef HAVE_CAPSTONE
        size_t start = b->insn_off ? b->insn_off[b->n_insns] : 0;
        fprintf(out, "  %s:\n", b->insn_off ? "exits and slow paths" : "host code");
        host_code(out, cs, b->code + start, b->code_len - start,
                  (uint64_t)(uintptr_t)(b->code + start));
#else
        fprintf(out, "  (built without Capstone: no host disassembly)\n");
#endif
    }
#ifdef HAVE_CAPSTONE
    cs_close(&cs);
#endif
    free(bs.v);
    return 0;
}
