/*
 * vm_internal.h - structures shared by the ISA-independent parts of the VM
 * (guest memory, translation-block cache) and the ISA backends. Not for use
 * outside vm/.
 */
#ifndef REPRISE_VM_INTERNAL_H
#define REPRISE_VM_INTERNAL_H

#include "vm.h"

#include <string.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define VM_PAGE_SHIFT 12
#define VM_PAGE_MASK ((uint64_t)VM_PAGE_SIZE - 1)

/* Per-page flags, one byte per guest page. R/W/X are the guest's rights;
 * CODE means translation blocks were built from the page, so stores to it
 * take the slow path that invalidates them (the interpreter checks the
 * flag, compiled code relies on the host mapping, which refuses stores to
 * such pages: vm_mem_set_code). 0 means unmapped. */
enum { PF_R = 1, PF_W = 2, PF_X = 4, PF_MAPPED = 8, PF_CODE = 16 };

/* Guest memory: guest address a lives at host address host + a. The whole
 * range [host, host + size) is reserved at creation; pages the guest has not
 * mapped stay PROT_NONE on the host too. Every access is checked against
 * the size, so a guest access can never leave the reservation; the rights
 * are in pf[] and, for loads and stores, in the host mapping too (mem.c),
 * which compiled code relies on. */
struct vm_mem {
    uint8_t *host;
    uint64_t size;     /* bytes, 2^addr_bits */
    uint64_t limit8;   /* size - 8: an access of <= 8 bytes at a <= limit8 is in range */
    uint8_t *pf;       /* size >> 12 bytes */
};

struct vm_tb;

/* An edge from a block to one of its successors, cached so the dispatcher
 * goes block to block without a lookup (chaining). Each edge is also linked
 * into its target's list of incoming edges, so invalidating a block can
 * clear every pointer to it. */
struct vm_tb_link {
    struct vm_tb *to;
    struct vm_tb_link *in_next, **in_pprev;
    /* JIT (jit_link_patch() keeps these whenever `to` changes or the
     * target is compiled): the target's compiled entry or NULL; the rel32
     * field of the source block's compiled jump for this edge (NULL: none)
     * and where that jump goes while the edge has no compiled target;
     * jmp_w: where the rel32 is written (the cache's writable view). */
    void *host;
    uint8_t *jmp, *unlinked, *jmp_w;
};

/* A translation block: a run of guest instructions decoded once, followed
 * by the ISA backend's ops. Blocks live in an arena and are freed only by a
 * full flush, so a stale pointer (RAS entry, current block) always points at
 * readable memory; `valid` says whether it may still be used. */
struct vm_tb {
    uint64_t pc, end;           /* guest bytes [pc, end) */
    uint64_t succ_pc[2];        /* static successors: [0] taken/jump, [1] fallthrough */
    uint32_t n_insns;           /* guest instructions (not counting pseudo-ops) */
    uint32_t n_ops;
    uint8_t valid;
    uint8_t temp;               /* built for an exact stop; not cached, not chained */
    uint8_t succ_ok[2];         /* succ_pc[i] is meaningful */
    uint8_t exit_kind;          /* TB_EXIT_* of the last instruction */
    uint8_t n_pages;
    uint64_t page[2];           /* guest page numbers it was built from */
    struct vm_tb *page_next[2]; /* next block in the list of page[i] */
    struct vm_tb *hash_next;
    struct vm_tb_link link[2];
    struct vm_tb_link *incoming;
    /* JIT (vm/riscv/jit/): executions seen by the interpreter, and the
     * compiled host code of this block (NULL: interpreted). The code lives
     * in the vm's code cache and dies with the block. */
    uint32_t heat;
    uint8_t jit_failed;         /* compilation was tried and declined */
    void *jit_code;
    uint32_t jit_len;           /* bytes of host code */
    uint16_t jit_ndone;         /* guest instructions it covers */
    uint32_t *jit_off;          /* NULL or n_insns + 1 code offsets (--jit-dump) */
    _Alignas(16) unsigned char ops[];
};

enum { TB_EXIT_PLAIN, TB_EXIT_CALL, TB_EXIT_RET };

#define VM_JC_BITS 12
#define VM_TB_HASH_BITS 15
#define VM_PAGE_HASH_BITS 12

struct vm_code_page {
    uint64_t pn;
    struct vm_tb *tbs;
    struct vm_code_page *next;
};

struct vm_arena_chunk {
    struct vm_arena_chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

struct vm {
    struct vm_config cfg;
    struct vm_mem mem;
    /* translation-block cache */
    struct vm_tb *jc[1u << VM_JC_BITS];           /* jump cache, by pc */
    struct vm_tb *tb_hash[1u << VM_TB_HASH_BITS]; /* all valid cached blocks */
    struct vm_code_page *pages[1u << VM_PAGE_HASH_BITS];
    struct vm_arena_chunk *arena;
    size_t arena_total;
    struct vm_cpu **cpus;
    size_t n_cpus, cap_cpus;
    struct vm_stats stats;
    /* JIT: code cache (NULL until the first compilation) and the number of
     * executions after which a block is compiled (0: never). */
    struct jit *jit;
    uint32_t jit_hot;
};

static inline unsigned vm_jc_index(uint64_t pc)
{
    return (unsigned)(pc >> 1) & ((1u << VM_JC_BITS) - 1);
}

/* Host pointer for a guest access of `size` (1..8) bytes at a if it lies in
 * one page whose flags satisfy (flags & mask) == want; NULL otherwise (the
 * caller takes the slow path, which handles page-crossing and faults). */
static inline uint8_t *vm_mem_fast(const struct vm_mem *m, uint64_t a, unsigned size,
                                   unsigned mask, unsigned want)
{
    if (likely(a <= m->limit8 && (a & VM_PAGE_MASK) <= VM_PAGE_SIZE - size &&
               (m->pf[a >> VM_PAGE_SHIFT] & mask) == want))
        return m->host + a;
    return NULL;
}

/* Slow paths (mem.c). Return 0 on success, -1 on a fault (nothing accessed).
 * A store into a page holding code first drops every translation from the
 * page; vm_mem_store_slow returns 1 if block `cur` was one of them (the
 * caller leaves it after this instruction). */
int vm_mem_load_slow(struct vm *vm, uint64_t a, void *dst, unsigned size);
int vm_mem_store_slow(struct vm *vm, uint64_t a, const void *src, unsigned size,
                      const struct vm_tb *cur);
/* Host pointer for an aligned read-modify-write of `size` bytes at a, or
 * NULL if the page is not readable and writable. Drops the translations
 * from the page first if it holds code; *hit_cur is set if `cur` was one. */
uint8_t *vm_mem_rmw(struct vm *vm, uint64_t a, unsigned size, const struct vm_tb *cur,
                    int *hit_cur);
/* Sets (code) or clears guest page pn's CODE flag and the host protection
 * that goes with it (stores refused while set). Setting returns -1 if the
 * host refused (out of memory for mappings): the flag stays clear and the
 * caller must not run code from the page. Clearing always succeeds. */
int vm_mem_set_code(struct vm *vm, uint64_t pn, bool code);

/* Translation-block cache (tb.c). */
void *vm_tb_alloc(struct vm *vm, size_t size);      /* NULL if the arena is full */
struct vm_tb *vm_tb_lookup(struct vm *vm, uint64_t pc);
void vm_tb_insert(struct vm *vm, struct vm_tb *tb);  /* hash + page lists (+ CODE bits) */
void vm_tb_add_pages(struct vm *vm, struct vm_tb *tb); /* page lists only (temp blocks) */
void vm_tb_invalidate(struct vm *vm, struct vm_tb *tb);
/* Invalidates every block with bytes in [start, end); returns 1 if `cur` was
 * among them. */
int vm_tb_invalidate_range(struct vm *vm, uint64_t start, uint64_t end, const struct vm_tb *cur);
void vm_tb_link_set(struct vm_tb *from, int slot, struct vm_tb *to);
void vm_tb_flush(struct vm *vm);
void vm_tb_fini(struct vm *vm);

/* JIT hooks (vm/riscv/jit/jit.c). */
struct jit;
void jit_cache_flush(struct vm *vm);   /* forget all host code (blocks are gone) */
void jit_cache_destroy(struct vm *vm);
void jit_link_patch(struct vm_tb_link *l); /* l->to changed: l->host, l->jmp */
void jit_forget(struct vm *vm, const struct vm_tb *tb); /* tb is invalidated */

/* ISA backend hooks (vm/riscv/). */
void vm_isa_cpu_flush(struct vm_cpu *cpu); /* forget cached block pointers */

#endif
