/*
 * tb.c - the translation-block cache: arena, lookup by guest pc (jump cache
 * in front of a hash table), per-page lists for exact invalidation of
 * self-modified code, and chaining edges between blocks.
 * ISA-independent: the ops that follow each block belong to the backend.
 */
#include "vm_internal.h"

#include <stdlib.h>

/* Arena limits: when the arena would grow past VM_ARENA_MAX the whole cache
 * is flushed (as QEMU does when its code buffer fills), which bounds memory
 * without per-block bookkeeping. */
#define VM_ARENA_CHUNK (4u << 20)
#define VM_ARENA_MAX (256u << 20)

void *vm_tb_alloc(struct vm *vm, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct vm_arena_chunk *c = vm->arena;
    if (c && c->size - c->used >= size) {
        void *p = c->data + c->used;
        c->used += size;
        return p;
    }
    size_t csize = size > VM_ARENA_CHUNK ? size : VM_ARENA_CHUNK;
    if (vm->arena_total + csize > VM_ARENA_MAX) return NULL;
    c = malloc(sizeof *c + csize);
    if (!c) return NULL;
    c->next = vm->arena;
    c->size = csize;
    c->used = size;
    vm->arena = c;
    vm->arena_total += csize;
    return c->data;
}

static unsigned tb_hash(uint64_t pc)
{
    uint64_t h = (pc >> 1) * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> (64 - VM_TB_HASH_BITS));
}

static unsigned page_hash(uint64_t pn)
{
    uint64_t h = pn * 0x9e3779b97f4a7c15ull;
    return (unsigned)(h >> (64 - VM_PAGE_HASH_BITS));
}

struct vm_tb *vm_tb_lookup(struct vm *vm, uint64_t pc)
{
    struct vm_tb *tb = vm->jc[vm_jc_index(pc)];
    if (tb && tb->pc == pc) {
        vm->stats.jc_hits++;
        return tb;
    }
    vm->stats.hash_lookups++;
    for (tb = vm->tb_hash[tb_hash(pc)]; tb; tb = tb->hash_next)
        if (tb->pc == pc) {
            vm->jc[vm_jc_index(pc)] = tb;
            return tb;
        }
    return NULL;
}

static struct vm_code_page *code_page(struct vm *vm, uint64_t pn, int create)
{
    struct vm_code_page **head = &vm->pages[page_hash(pn)];
    for (struct vm_code_page *p = *head; p; p = p->next)
        if (p->pn == pn) return p;
    if (!create) return NULL;
    struct vm_code_page *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->pn = pn;
    p->next = *head;
    *head = p;
    return p;
}

static void drop_code_page(struct vm *vm, uint64_t pn)
{
    struct vm_code_page **pp = &vm->pages[page_hash(pn)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->pn == pn) {
            struct vm_code_page *p = *pp;
            *pp = p->next;
            free(p);
            vm_mem_set_code(vm, pn, false);
            return;
        }
}

void vm_tb_add_pages(struct vm *vm, struct vm_tb *tb)
{
    for (unsigned i = 0; i < tb->n_pages; i++) {
        struct vm_code_page *p = code_page(vm, tb->page[i], 1);
        if (!p || vm_mem_set_code(vm, tb->page[i], true)) {
            /* Out of memory for the index or the host mapping: without
             * them we could miss a store into this code, so the block must
             * not run from the cache (an empty index entry is harmless). */
            tb->n_pages = (uint8_t)i;
            tb->valid = 0;
            return;
        }
        tb->page_next[i] = p->tbs;
        p->tbs = tb;
    }
}

void vm_tb_insert(struct vm *vm, struct vm_tb *tb)
{
    vm_tb_add_pages(vm, tb);
    if (!tb->valid) return;
    unsigned h = tb_hash(tb->pc);
    tb->hash_next = vm->tb_hash[h];
    vm->tb_hash[h] = tb;
    vm->jc[vm_jc_index(tb->pc)] = tb;
    vm->stats.tb_translated++;
}

static void link_clear(struct vm_tb_link *l)
{
    if (!l->to) return;
    *l->in_pprev = l->in_next;
    if (l->in_next) l->in_next->in_pprev = l->in_pprev;
    l->to = NULL;
    l->in_next = NULL;
    l->in_pprev = NULL;
    jit_link_patch(l); /* compiled code must not jump to it */
}

void vm_tb_link_set(struct vm_tb *from, int slot, struct vm_tb *to)
{
    struct vm_tb_link *l = &from->link[slot];
    if (l->to == to) return;
    link_clear(l);
    if (!from->valid || from->temp || !to || !to->valid || to->temp) return;
    l->to = to;
    l->in_next = to->incoming;
    if (to->incoming) to->incoming->in_pprev = &l->in_next;
    l->in_pprev = &to->incoming;
    to->incoming = l;
    jit_link_patch(l);
}

void vm_tb_invalidate(struct vm *vm, struct vm_tb *tb)
{
    if (!tb->valid && !tb->n_pages) return;
    /* Out of the page lists. */
    for (unsigned i = 0; i < tb->n_pages; i++) {
        struct vm_code_page *p = code_page(vm, tb->page[i], 0);
        if (!p) continue;
        for (struct vm_tb **pp = &p->tbs; *pp;) {
            struct vm_tb *t = *pp;
            unsigned k = (t->n_pages > 1 && t->page[1] == tb->page[i]) ? 1 : 0;
            if (t == tb) {
                *pp = t->page_next[k];
                break;
            }
            pp = &t->page_next[k];
        }
        if (!p->tbs) drop_code_page(vm, tb->page[i]);
    }
    tb->n_pages = 0;
    if (!tb->valid) return;
    tb->valid = 0;
    if (!tb->temp) {
        vm->stats.tb_invalidated++;
        for (struct vm_tb **pp = &vm->tb_hash[tb_hash(tb->pc)]; *pp; pp = &(*pp)->hash_next)
            if (*pp == tb) {
                *pp = tb->hash_next;
                break;
            }
        if (vm->jc[vm_jc_index(tb->pc)] == tb) vm->jc[vm_jc_index(tb->pc)] = NULL;
        jit_forget(vm, tb);
    }
    /* Nothing may chain into it any more, and it chains nowhere. */
    while (tb->incoming) link_clear(tb->incoming);
    link_clear(&tb->link[0]);
    link_clear(&tb->link[1]);
}

int vm_tb_invalidate_range(struct vm *vm, uint64_t start, uint64_t end, const struct vm_tb *cur)
{
    int hit = 0;
    if (start >= end) return 0;
    if (end > vm->mem.size) end = vm->mem.size;
    for (uint64_t pn = start >> VM_PAGE_SHIFT; pn <= (end - 1) >> VM_PAGE_SHIFT; pn++) {
        if (!(vm->mem.pf[pn] & PF_CODE)) continue;
        struct vm_code_page *p;
        /* Restart the walk after each invalidation: it edits the list. */
        while ((p = code_page(vm, pn, 0))) {
            struct vm_tb *victim = NULL;
            for (struct vm_tb *t = p->tbs; t;) {
                if (t->pc < end && start < t->end) {
                    victim = t;
                    break;
                }
                t = t->page_next[(t->n_pages > 1 && t->page[1] == pn) ? 1 : 0];
            }
            if (!victim) break;
            if (victim == cur) hit = 1;
            vm_tb_invalidate(vm, victim);
        }
    }
    return hit;
}

static void free_pages(struct vm *vm)
{
    for (unsigned i = 0; i < (1u << VM_PAGE_HASH_BITS); i++) {
        struct vm_code_page *p = vm->pages[i];
        while (p) {
            struct vm_code_page *n = p->next;
            vm_mem_set_code(vm, p->pn, false);
            free(p);
            p = n;
        }
        vm->pages[i] = NULL;
    }
}

void vm_tb_flush(struct vm *vm)
{
    free_pages(vm);
    memset(vm->jc, 0, sizeof vm->jc);
    memset(vm->tb_hash, 0, sizeof vm->tb_hash);
    for (size_t i = 0; i < vm->n_cpus; i++) vm_isa_cpu_flush(vm->cpus[i]);
    /* Keep one chunk for reuse; blocks in it are dead now. */
    struct vm_arena_chunk *c = vm->arena;
    if (c) {
        struct vm_arena_chunk *n = c->next;
        while (n) {
            struct vm_arena_chunk *nn = n->next;
            vm->arena_total -= n->size;
            free(n);
            n = nn;
        }
        c->next = NULL;
        c->used = 0;
    }
    vm->stats.tb_flushes++;
    jit_cache_flush(vm); /* host code of the dropped blocks */
}

void vm_flush_code(struct vm *vm) { vm_tb_flush(vm); }

void vm_tb_fini(struct vm *vm)
{
    free_pages(vm);
    jit_cache_destroy(vm);
    while (vm->arena) {
        struct vm_arena_chunk *n = vm->arena->next;
        free(vm->arena);
        vm->arena = n;
    }
    vm->arena_total = 0;
}

void vm_get_stats(const struct vm *vm, struct vm_stats *st) { *st = vm->stats; }
