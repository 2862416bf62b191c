/*
 * mem.c - guest memory: the reserved host region, page permissions, the
 * slow paths of guest accesses, and copies for the platform layer.
 *
 * The host mapping of every guest page allows exactly the loads and
 * stores the guest may make there, and no stores into pages holding
 * translated code (host_prot), so that compiled code can leave those
 * checks to the host MMU (docs/jit.md, "Memory"). C code that writes a
 * page holding code drops the page's translations first (uncode); the
 * copies made for the loader and the debugger, which act with the
 * kernel's rights, raise the host protection around the copy (host_open).
 */
#include "vm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int range_ok(const struct vm *vm, uint64_t addr, uint64_t len)
{
    if ((addr | len) & VM_PAGE_MASK) return 0;
    if (len == 0 || addr >= vm->mem.size || len > vm->mem.size - addr) return 0;
    return 1;
}

int vm_mem_init(struct vm_mem *m, unsigned bits, char *err, size_t errlen)
{
    m->size = 1ull << bits;
    m->limit8 = m->size - 8;
    /* NORESERVE: this is address space, not memory; pages cost memory only
     * once the guest maps and touches them. */
    void *h = mmap(NULL, m->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (h == MAP_FAILED) {
        snprintf(err, errlen, "cannot reserve %llu bytes of host address space for the guest: %s",
                 (unsigned long long)m->size, strerror(errno));
        return -ENOMEM;
    }
    size_t npf = (size_t)(m->size >> VM_PAGE_SHIFT);
    void *pf = mmap(NULL, npf, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                    -1, 0);
    if (pf == MAP_FAILED) {
        munmap(h, m->size);
        snprintf(err, errlen, "cannot allocate the guest page table: %s", strerror(errno));
        return -ENOMEM;
    }
    m->host = h;
    m->pf = pf;
    return 0;
}

void vm_mem_fini(struct vm_mem *m)
{
    if (m->host) munmap(m->host, m->size);
    if (m->pf) munmap(m->pf, (size_t)(m->size >> VM_PAGE_SHIFT));
    m->host = m->pf = NULL;
}

/* Page flags for VM_PROT_* bits. A writable page is also readable: RISC-V
 * page tables reserve write-without-read (privileged ISA, 4.3.1), and Linux
 * maps PROT_WRITE alone readable on riscv. */
static unsigned pf_of_prot(unsigned prot)
{
    if (prot & VM_PROT_WRITE) prot |= VM_PROT_READ;
    return PF_MAPPED | ((prot & VM_PROT_READ) ? PF_R : 0) | ((prot & VM_PROT_WRITE) ? PF_W : 0) |
           ((prot & VM_PROT_EXEC) ? PF_X : 0);
}

/* The host protection of a guest page with flags f: guest loads and
 * stores may do there exactly what the host allows, except that a page
 * holding translated code (CODE) refuses stores: a store into code from
 * compiled code faults into its slow path, which drops the translations
 * (vm_mem_store_slow), as QEMU's user mode write-protects the host pages
 * of translated code. The interpreter checks CODE itself. */
static int host_prot(unsigned f)
{
    if (!(f & PF_R)) return PROT_NONE;
    return (f & (PF_W | PF_CODE)) == PF_W ? PROT_READ | PROT_WRITE : PROT_READ;
}

/* Gives pages [first, first+n) the host protection of their flags, run by
 * run. A failure would leave the host allowing guest accesses that must
 * fault, which compiled code relies on never happening: it ends the
 * process (the kernel refuses only when out of memory for mappings). */
static void host_sync(struct vm *vm, uint64_t first, uint64_t n)
{
    for (uint64_t i = 0; i < n;) {
        int prot = host_prot(vm->mem.pf[first + i]);
        uint64_t j = i + 1;
        while (j < n && host_prot(vm->mem.pf[first + j]) == prot) j++;
        if (mprotect(vm->mem.host + ((first + i) << VM_PAGE_SHIFT), (j - i) << VM_PAGE_SHIFT, prot)) {
            fprintf(stderr, "reprise: cannot restore the protection of guest memory: %s\n",
                    strerror(errno));
            abort();
        }
        i = j;
    }
}

/* Before a copy with the kernel's rights (vm_peek, vm_poke, the
 * translator's fetch from execute-only pages): makes the pages of
 * [a, a+len) (mapped, len > 0) host-readable, and writable if `write`,
 * where their guest rights are less. Returns whether it changed any
 * protection (then host_close must follow the copy), or -1 if the host
 * refused. */
static int host_open(struct vm *vm, uint64_t a, uint64_t len, bool write)
{
    int want = write ? PROT_READ | PROT_WRITE : PROT_READ;
    uint64_t first = a >> VM_PAGE_SHIFT, last = (a + len - 1) >> VM_PAGE_SHIFT;
    bool need = false;
    for (uint64_t p = first; p <= last && !need; p++)
        need = (host_prot(vm->mem.pf[p]) & want) != want;
    if (!need) return 0;
    if (mprotect(vm->mem.host + (first << VM_PAGE_SHIFT), (last - first + 1) << VM_PAGE_SHIFT,
                 PROT_READ | PROT_WRITE))
        return -1;
    return 1;
}

static void host_close(struct vm *vm, uint64_t a, uint64_t len)
{
    uint64_t first = a >> VM_PAGE_SHIFT, last = (a + len - 1) >> VM_PAGE_SHIFT;
    host_sync(vm, first, last - first + 1);
}

int vm_mem_set_code(struct vm *vm, uint64_t pn, bool code)
{
    uint8_t old = vm->mem.pf[pn];
    uint8_t f = (uint8_t)(code ? old | PF_CODE : old & ~PF_CODE);
    if (host_prot(old) == host_prot(f)) {
        vm->mem.pf[pn] = f;
        return 0;
    }
    if (code) {
        /* Refused (no memory for one more host mapping): the caller does
         * not let the block run, so no store can miss it. */
        if (mprotect(vm->mem.host + (pn << VM_PAGE_SHIFT), VM_PAGE_SIZE, host_prot(f))) return -1;
        vm->mem.pf[pn] = f;
        return 0;
    }
    vm->mem.pf[pn] = f;
    host_sync(vm, pn, 1);
    return 0;
}

uint64_t vm_addr_limit(const struct vm *vm) { return vm->mem.size; }

int vm_map(struct vm *vm, uint64_t addr, uint64_t len, unsigned prot)
{
    if (!range_ok(vm, addr, len) || (prot & ~7u)) return -EINVAL;
    vm_tb_invalidate_range(vm, addr, addr + len, NULL);
    /* A fresh private anonymous mapping gives zero-filled pages and drops the
     * old contents, exactly what a new guest mapping needs. */
    unsigned f = pf_of_prot(prot);
    void *p = mmap(vm->mem.host + addr, len, host_prot(f),
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return -ENOMEM;
    memset(vm->mem.pf + (addr >> VM_PAGE_SHIFT), (int)f, len >> VM_PAGE_SHIFT);
    return 0;
}

int vm_unmap(struct vm *vm, uint64_t addr, uint64_t len)
{
    if (!range_ok(vm, addr, len)) return -EINVAL;
    vm_tb_invalidate_range(vm, addr, addr + len, NULL);
    void *p = mmap(vm->mem.host + addr, len, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return -ENOMEM;
    memset(vm->mem.pf + (addr >> VM_PAGE_SHIFT), 0, len >> VM_PAGE_SHIFT);
    return 0;
}

int vm_protect(struct vm *vm, uint64_t addr, uint64_t len, unsigned prot)
{
    if (!range_ok(vm, addr, len) || (prot & ~7u)) return -EINVAL;
    uint64_t first = addr >> VM_PAGE_SHIFT, n = len >> VM_PAGE_SHIFT;
    for (uint64_t i = 0; i < n; i++)
        if (!(vm->mem.pf[first + i] & PF_MAPPED)) return -ENOMEM;
    /* Dropping translations keeps a page's X right and its CODE bit simple:
     * code from a page that loses X must not run, and a page that gains W
     * must trap stores again if it is retranslated. */
    vm_tb_invalidate_range(vm, addr, addr + len, NULL);
    unsigned f = pf_of_prot(prot);
    if (mprotect(vm->mem.host + addr, len, host_prot(f))) return -ENOMEM;
    memset(vm->mem.pf + first, (int)f, n);
    return 0;
}

int vm_page_prot(const struct vm *vm, uint64_t addr)
{
    if (addr >= vm->mem.size) return -1;
    unsigned f = vm->mem.pf[addr >> VM_PAGE_SHIFT];
    if (!(f & PF_MAPPED)) return -1;
    return ((f & PF_R) ? VM_PROT_READ : 0) | ((f & PF_W) ? VM_PROT_WRITE : 0) |
           ((f & PF_X) ? VM_PROT_EXEC : 0);
}

/* Checks that every page of [a, a+len) has all the flags in `need`. */
static int pages_have(const struct vm *vm, uint64_t a, uint64_t len, unsigned need)
{
    if (len == 0) return 1;
    if (a >= vm->mem.size || len > vm->mem.size - a) return 0;
    for (uint64_t p = a >> VM_PAGE_SHIFT; p <= (a + len - 1) >> VM_PAGE_SHIFT; p++)
        if ((vm->mem.pf[p] & need) != need) return 0;
    return 1;
}

static int any_code(const struct vm *vm, uint64_t a, uint64_t len)
{
    for (uint64_t p = a >> VM_PAGE_SHIFT; p <= (a + len - 1) >> VM_PAGE_SHIFT; p++)
        if (vm->mem.pf[p] & PF_CODE) return 1;
    return 0;
}

/* Before C code writes [a, a+len) (len > 0, in range) other than with the
 * kernel's rights: drops every translation built from the pages of the
 * range, which makes the host allow the write (host_prot). Whole pages,
 * not just the bytes: QEMU's user mode does the same, and a page that
 * keeps some of its code would still refuse the write. Returns whether
 * block `cur` was among those dropped (the caller must leave it after the
 * current instruction). */
static int uncode(struct vm *vm, uint64_t a, uint64_t len, const struct vm_tb *cur)
{
    if (!any_code(vm, a, len)) return 0;
    uint64_t lo = a & ~(uint64_t)VM_PAGE_MASK, hi = ((a + len - 1) | VM_PAGE_MASK) + 1;
    return vm_tb_invalidate_range(vm, lo, hi, cur);
}

int vm_read(struct vm *vm, uint64_t addr, void *buf, size_t len)
{
    if (!pages_have(vm, addr, len, PF_R)) return -EFAULT;
    if (len) memcpy(buf, vm->mem.host + addr, len);
    return 0;
}

int vm_peek(struct vm *vm, uint64_t addr, void *buf, size_t len)
{
    if (!pages_have(vm, addr, len, PF_MAPPED)) return -EFAULT;
    if (!len) return 0;
    int opened = host_open(vm, addr, len, false);
    if (opened < 0) return -EFAULT;
    memcpy(buf, vm->mem.host + addr, len);
    if (opened) host_close(vm, addr, len);
    return 0;
}

static int write_common(struct vm *vm, uint64_t addr, const void *buf, size_t len, unsigned need)
{
    if (!pages_have(vm, addr, len, need)) return -EFAULT;
    if (!len) return 0;
    int opened = host_open(vm, addr, len, true);
    if (opened < 0) return -EFAULT;
    memcpy(vm->mem.host + addr, buf, len);
    if (opened) host_close(vm, addr, len);
    if (any_code(vm, addr, len)) vm_tb_invalidate_range(vm, addr, addr + len, NULL);
    return 0;
}

int vm_write(struct vm *vm, uint64_t addr, const void *buf, size_t len)
{
    return write_common(vm, addr, buf, len, PF_W);
}

int vm_poke(struct vm *vm, uint64_t addr, const void *buf, size_t len)
{
    return write_common(vm, addr, buf, len, PF_MAPPED);
}

int vm_mem_load_slow(struct vm *vm, uint64_t a, void *dst, unsigned size)
{
    if (!pages_have(vm, a, size, PF_R)) return -1;
    memcpy(dst, vm->mem.host + a, size);
    return 0;
}

int vm_mem_store_slow(struct vm *vm, uint64_t a, const void *src, unsigned size,
                      const struct vm_tb *cur)
{
    if (!pages_have(vm, a, size, PF_W)) return -1;
    int hit = uncode(vm, a, size, cur);
    memcpy(vm->mem.host + a, src, size);
    return hit;
}

uint8_t *vm_mem_rmw(struct vm *vm, uint64_t a, unsigned size, const struct vm_tb *cur, int *hit_cur)
{
    *hit_cur = 0;
    if (!pages_have(vm, a, size, PF_R | PF_W)) return NULL;
    /* Before the write: the bytes are about to change, the host must allow
     * it, and the block being executed must be left right after this
     * instruction. */
    *hit_cur = uncode(vm, a, size, cur);
    return vm->mem.host + a;
}

void *vm_host_ptr(struct vm *vm, uint64_t addr, size_t len, unsigned prot)
{
    /* Pages the guest may not read are not readable on the host either. */
    unsigned need = PF_MAPPED | PF_R |
                    ((prot & VM_PROT_WRITE) ? PF_W : 0) | ((prot & VM_PROT_EXEC) ? PF_X : 0);
    if (!len || !pages_have(vm, addr, len, need)) return NULL;
    if (prot & VM_PROT_WRITE) uncode(vm, addr, len, NULL);
    return vm->mem.host + addr;
}

int vm_host_peek(struct vm *vm, uint64_t addr, size_t len, const void **p)
{
    if (!len || !pages_have(vm, addr, len, PF_MAPPED)) return -EFAULT;
    int opened = host_open(vm, addr, len, false);
    if (opened < 0) return -EFAULT;
    *p = vm->mem.host + addr;
    return opened;
}

void vm_host_release(struct vm *vm, uint64_t addr, size_t len) { host_close(vm, addr, len); }

void vm_code_written(struct vm *vm, uint64_t addr, size_t len)
{
    if (!len || addr >= vm->mem.size) return;
    if (len > vm->mem.size - addr) len = vm->mem.size - addr;
    if (any_code(vm, addr, len)) vm_tb_invalidate_range(vm, addr, addr + len, NULL);
}
