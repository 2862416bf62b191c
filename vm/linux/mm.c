/*
 * mm.c - the guest address space of a Linux process: the mapping list,
 * placement of new mappings, and the memory system calls (brk, mmap,
 * munmap, mprotect, mremap, madvise), emulated inside reprise. Only the
 * contents of file-backed mappings come from the event port.
 * Semantics: mmap(2), mprotect(2), mremap(2), brk(2), madvise(2).
 */
#include "lx.h"

#include <stdlib.h>

#define PAGE_UP(a) (((a) + VM_PAGE_SIZE - 1) & ~(uint64_t)(VM_PAGE_SIZE - 1))
#define PAGE_OK(a) (((a) & (VM_PAGE_SIZE - 1)) == 0)

/* mmap flags and prot bits (asm-generic, as riscv64 uses) */
enum {
    LX_PROT_READ = 1, LX_PROT_WRITE = 2, LX_PROT_EXEC = 4,
    LX_MAP_SHARED = 0x01, LX_MAP_PRIVATE = 0x02, LX_MAP_TYPE = 0x0f, LX_MAP_FIXED = 0x10,
    LX_MAP_ANONYMOUS = 0x20, LX_MAP_FIXED_NOREPLACE = 0x100000,
    LX_MREMAP_MAYMOVE = 1, LX_MREMAP_FIXED = 2,
    LX_MADV_DONTNEED = 4,
};

/* ---- the mapping list: sorted, non-overlapping ---- */

void lx_vma_remove(struct lx_proc *p, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < p->n_vmas;) {
        struct lx_vma *v = &p->vmas[i];
        if (v->end <= start || v->start >= end) {
            i++;
            continue;
        }
        if (v->start < start && v->end > end) {
            /* split in two */
            if (p->n_vmas == p->cap_vmas) {
                size_t cap = p->cap_vmas * 2 + 16;
                struct lx_vma *n = realloc(p->vmas, cap * sizeof *n);
                if (!n) return;
                p->vmas = n;
                p->cap_vmas = cap;
                v = &p->vmas[i];
            }
            memmove(v + 1, v, (p->n_vmas - i) * sizeof *v);
            p->n_vmas++;
            v[0].end = start;
            v[1].start = end;
            return;
        }
        if (v->start < start) {
            v->end = start;
            i++;
        } else if (v->end > end) {
            v->start = end;
            i++;
        } else {
            memmove(v, v + 1, (p->n_vmas - i - 1) * sizeof *v);
            p->n_vmas--;
        }
    }
}

int lx_vma_add(struct lx_proc *p, uint64_t start, uint64_t end, unsigned prot, const char *name)
{
    lx_vma_remove(p, start, end);
    if (p->n_vmas == p->cap_vmas) {
        size_t cap = p->cap_vmas * 2 + 16;
        struct lx_vma *n = realloc(p->vmas, cap * sizeof *n);
        if (!n) return -ENOMEM;
        p->vmas = n;
        p->cap_vmas = cap;
    }
    size_t i = 0;
    while (i < p->n_vmas && p->vmas[i].start < start) i++;
    memmove(&p->vmas[i + 1], &p->vmas[i], (p->n_vmas - i) * sizeof *p->vmas);
    p->n_vmas++;
    struct lx_vma *v = &p->vmas[i];
    v->start = start;
    v->end = end;
    v->prot = prot;
    snprintf(v->name, sizeof v->name, "%s", name ? name : "");
    return 0;
}

void lx_vma_protect(struct lx_proc *p, uint64_t start, uint64_t end, unsigned prot)
{
    /* Split at the boundaries, then set. */
    for (size_t i = 0; i < p->n_vmas; i++) {
        struct lx_vma v = p->vmas[i];
        if (v.end <= start || v.start >= end) continue;
        if (v.start < start) {
            lx_vma_add(p, v.start, start, v.prot, v.name);
            lx_vma_add(p, start, v.end, v.prot, v.name);
            i = 0;
            continue;
        }
        if (v.end > end) {
            lx_vma_add(p, v.start, end, v.prot, v.name);
            lx_vma_add(p, end, v.end, v.prot, v.name);
            i = 0;
            continue;
        }
    }
    for (size_t i = 0; i < p->n_vmas; i++)
        if (p->vmas[i].start >= start && p->vmas[i].end <= end) p->vmas[i].prot = prot;
}

bool lx_range_free(struct lx_proc *p, uint64_t start, uint64_t end)
{
    if (start < LX_MMAP_MIN || end > vm_addr_limit(p->vm) || end <= start) return false;
    for (size_t i = 0; i < p->n_vmas; i++)
        if (p->vmas[i].start < end && start < p->vmas[i].end) return false;
    return true;
}

uint64_t lx_find_free(struct lx_proc *p, uint64_t len)
{
    /* Top-down from mmap_base, as Linux's default layout does. */
    uint64_t top = p->mmap_base;
    for (size_t i = p->n_vmas; i-- > 0;) {
        struct lx_vma *v = &p->vmas[i];
        if (v->start >= top) continue;
        if (v->end < top && top - v->end >= len) return top - len;
        if (v->start < top) top = v->start;
    }
    if (top >= LX_MMAP_MIN + len) return top - len;
    return 0;
}

/* ---- system calls ---- */

static unsigned vm_prot(uint64_t prot)
{
    return ((prot & LX_PROT_READ) ? VM_PROT_READ : 0) | ((prot & LX_PROT_WRITE) ? VM_PROT_WRITE : 0) |
           ((prot & LX_PROT_EXEC) ? VM_PROT_EXEC : 0);
}

static long sys_brk(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t want = c->a[0];
    if (want < p->brk_start) return (long)p->brk_cur;
    uint64_t old_top = PAGE_UP(p->brk_cur), new_top = PAGE_UP(want);
    if (new_top > old_top) {
        if (!lx_range_free(p, old_top, new_top)) return (long)p->brk_cur;
        if (vm_map(p->vm, old_top, new_top - old_top, VM_PROT_READ | VM_PROT_WRITE))
            return (long)p->brk_cur;
        lx_vma_add(p, old_top, new_top, VM_PROT_READ | VM_PROT_WRITE, "[heap]");
    } else if (new_top < old_top) {
        vm_unmap(p->vm, new_top, old_top - new_top);
        lx_vma_remove(p, new_top, old_top);
    }
    p->brk_cur = want;
    return (long)want;
}

static long sys_mmap(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t addr = c->a[0], len = c->a[1], prot = c->a[2], flags = c->a[3], off = c->a[5];
    int fd = (int)c->a[4];
    if (!len || !PAGE_OK(off)) return -EINVAL;
    if (prot & ~7ull) return -EINVAL;
    uint64_t type = flags & LX_MAP_TYPE;
    if (type != LX_MAP_SHARED && type != LX_MAP_PRIVATE && type != 0x03) return -EINVAL;
    len = PAGE_UP(len);
    if (!len || len > vm_addr_limit(p->vm)) return -ENOMEM;
    bool anon = flags & LX_MAP_ANONYMOUS;
    if (!anon && type != LX_MAP_PRIVATE && (prot & LX_PROT_WRITE)) {
        /* A shared writable file mapping would make the file a second
         * channel of nondeterministic input; not supported. */
        lx_warn_once(p, 222, "mmap: shared writable file mappings are not supported");
        return -ENODEV;
    }
    uint64_t start;
    if (flags & (LX_MAP_FIXED | LX_MAP_FIXED_NOREPLACE)) {
        if (!PAGE_OK(addr)) return -EINVAL;
        if (addr < LX_MMAP_MIN || addr + len > vm_addr_limit(p->vm) || addr + len < addr)
            return -ENOMEM;
        if ((flags & LX_MAP_FIXED_NOREPLACE) && !(flags & LX_MAP_FIXED) &&
            !lx_range_free(p, addr, addr + len))
            return -EEXIST;
        start = addr;
    } else if (addr && PAGE_OK(addr) && lx_range_free(p, addr, addr + len)) {
        start = addr;
    } else {
        start = lx_find_free(p, len);
        if (!start) return -ENOMEM;
    }
    /* File contents first: if the fd is bad nothing must change. */
    void *buf = NULL;
    long got = 0;
    if (!anon) {
        buf = malloc(len);
        if (!buf) return -ENOMEM;
        got = p->port->ops->read_fd_at(p->port, t, fd, off, buf, len);
        if (got < 0) {
            free(buf);
            return got;
        }
    }
    if (vm_map(p->vm, start, len, VM_PROT_READ | VM_PROT_WRITE)) {
        free(buf);
        return -ENOMEM;
    }
    if (got > 0) vm_poke(p->vm, start, buf, (size_t)got);
    free(buf);
    vm_protect(p->vm, start, len, vm_prot(prot));
    lx_vma_add(p, start, start + len, vm_prot(prot), anon ? "" : "[file]");
    if (!anon && p->obs && p->obs->map) {
        struct lx_map_event m = { .addr = start, .len = len, .prot = vm_prot(prot), .fd = fd,
                                  .offset = off };
        p->obs->map(p->obs->ctx, t, &m);
    }
    return (long)start;
}

static long sys_munmap(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t addr = c->a[0], len = PAGE_UP(c->a[1]);
    if (!PAGE_OK(addr) || !len || addr + len > vm_addr_limit(p->vm) || addr + len < addr)
        return -EINVAL;
    vm_unmap(p->vm, addr, len);
    lx_vma_remove(p, addr, addr + len);
    return 0;
}

static long sys_mprotect(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t addr = c->a[0], len = PAGE_UP(c->a[1]), prot = c->a[2];
    if (!PAGE_OK(addr) || (prot & ~(7ull | 0x03000000ull))) return -EINVAL;
    if (!len) return 0;
    if (addr + len > vm_addr_limit(p->vm) || addr + len < addr) return -ENOMEM;
    int r = vm_protect(p->vm, addr, len, vm_prot(prot));
    if (r) return r;
    lx_vma_protect(p, addr, addr + len, vm_prot(prot));
    return 0;
}

static long sys_mremap(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t old = c->a[0], old_len = PAGE_UP(c->a[1]), new_len = PAGE_UP(c->a[2]);
    uint64_t flags = c->a[3], new_addr = c->a[4];
    if (!PAGE_OK(old) || !new_len || (flags & ~3ull)) return -EINVAL;
    if ((flags & LX_MREMAP_FIXED) && !(flags & LX_MREMAP_MAYMOVE)) return -EINVAL;
    int prot = vm_page_prot(p->vm, old);
    if (prot < 0 || !old_len) return -EFAULT;
    for (uint64_t a = old; a < old + old_len; a += VM_PAGE_SIZE)
        if (vm_page_prot(p->vm, a) < 0) return -EFAULT;
    if (!(flags & LX_MREMAP_FIXED)) {
        if (new_len <= old_len) {
            if (new_len < old_len) {
                vm_unmap(p->vm, old + new_len, old_len - new_len);
                lx_vma_remove(p, old + new_len, old + old_len);
            }
            return (long)old;
        }
        if (lx_range_free(p, old + old_len, old + new_len)) {
            if (vm_map(p->vm, old + old_len, new_len - old_len, (unsigned)prot)) return -ENOMEM;
            lx_vma_add(p, old + old_len, old + new_len, (unsigned)prot, "");
            return (long)old;
        }
        if (!(flags & LX_MREMAP_MAYMOVE)) return -ENOMEM;
        new_addr = lx_find_free(p, new_len);
        if (!new_addr) return -ENOMEM;
    } else {
        if (!PAGE_OK(new_addr) || new_addr < LX_MMAP_MIN ||
            new_addr + new_len > vm_addr_limit(p->vm) ||
            (new_addr < old + old_len && old < new_addr + new_len))
            return -EINVAL;
    }
    /* Move: copy the contents over, then drop the old range. */
    uint64_t keep = old_len < new_len ? old_len : new_len;
    void *buf = malloc(keep);
    if (!buf) return -ENOMEM;
    vm_peek(p->vm, old, buf, keep);
    if (vm_map(p->vm, new_addr, new_len, VM_PROT_READ | VM_PROT_WRITE)) {
        free(buf);
        return -ENOMEM;
    }
    vm_poke(p->vm, new_addr, buf, keep);
    free(buf);
    vm_protect(p->vm, new_addr, new_len, (unsigned)prot);
    lx_vma_add(p, new_addr, new_addr + new_len, (unsigned)prot, "");
    vm_unmap(p->vm, old, old_len);
    lx_vma_remove(p, old, old + old_len);
    return (long)new_addr;
}

static long sys_madvise(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t addr = c->a[0], len = PAGE_UP(c->a[1]);
    if (!PAGE_OK(addr)) return -EINVAL;
    if (c->a[2] == LX_MADV_DONTNEED && len) {
        /* Private anonymous pages read back as zero after DONTNEED, and
         * programs (allocators) rely on it. */
        for (uint64_t a = addr; a < addr + len; a += VM_PAGE_SIZE) {
            int prot = vm_page_prot(p->vm, a);
            if (prot < 0) return -ENOMEM;
            vm_map(p->vm, a, VM_PAGE_SIZE, (unsigned)prot);
        }
    }
    return 0;
}

const struct lx_sys_entry lx_sys_mm[] = {
    { 214, "brk", sys_brk },
    { 222, "mmap", sys_mmap },
    { 215, "munmap", sys_munmap },
    { 226, "mprotect", sys_mprotect },
    { 216, "mremap", sys_mremap },
    { 233, "madvise", sys_madvise },
    { 0, NULL, NULL },
};
