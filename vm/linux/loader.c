/*
 * loader.c - loads a riscv64 ELF program (static or dynamic, PIE or not)
 * and its interpreter into the guest address space, and builds the initial
 * stack (argv, envp, auxv) as Linux's binfmt_elf does (fs/binfmt_elf.c,
 * create_elf_tables) and the RISC-V psABI expects. File contents come from
 * the event port, so a recording carries them.
 */
#include "lx.h"

#include <gelf.h>
#include <stdlib.h>

/* auxv types come from <elf.h> (the values of include/uapi/linux/auxvec.h). */

/* AT_HWCAP: one bit per single-letter extension, bit (letter - 'A'):
 * I, M, A, F, D, C (arch/riscv/kernel/cpufeature.c). */
#define LX_HWCAP_IMAFDC                                                                    \
    ((1ul << ('I' - 'A')) | (1ul << ('M' - 'A')) | (1ul << ('A' - 'A')) |                 \
     (1ul << ('F' - 'A')) | (1ul << ('D' - 'A')) | (1ul << ('C' - 'A')))

#define PAGE_DOWN(a) ((a) & ~(uint64_t)(VM_PAGE_SIZE - 1))
#define PAGE_UP(a) (((a) + VM_PAGE_SIZE - 1) & ~(uint64_t)(VM_PAGE_SIZE - 1))

struct image {
    uint64_t bias;     /* load address - link address */
    uint64_t entry;    /* with bias */
    uint64_t phdr;     /* guest address of the program headers, 0 if not loaded */
    uint64_t phnum, phent;
    uint64_t start;    /* lowest mapped address (page aligned) */
    uint64_t end;      /* highest mapped address (page aligned) */
    char interp[4096]; /* PT_INTERP, or empty */
};

static unsigned prot_of(uint32_t pf)
{
    return ((pf & PF_R) ? VM_PROT_READ : 0) | ((pf & PF_W) ? VM_PROT_WRITE : 0) |
           ((pf & PF_X) ? VM_PROT_EXEC : 0);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/*
 * Maps one ELF image. `main_image` selects the placement of ET_DYN files:
 * the main program goes at LX_PIE_BASE, the interpreter wherever mmap would
 * put it. Errors name the file and the problem.
 */
static int load_image(struct lx_proc *p, const char *path, const void *data, size_t len,
                      bool main_image, struct image *im, char *err, size_t errlen)
{
    memset(im, 0, sizeof *im);
    Elf *elf = elf_memory((char *)data, len);
    GElf_Ehdr eh;
    int rc = -ENOEXEC;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
        snprintf(err, errlen, "%s: not an ELF file", path);
        goto out;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_RISCV) {
        snprintf(err, errlen, "%s: not a riscv64 program (ELF class %u, machine %u)", path,
                 eh.e_ident[EI_CLASS], eh.e_machine);
        goto out;
    }
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
        snprintf(err, errlen, "%s: not an executable (ELF type %u)", path, eh.e_type);
        goto out;
    }
    size_t phnum;
    if (elf_getphdrnum(elf, &phnum) || phnum == 0 || phnum > 1024) {
        snprintf(err, errlen, "%s: bad program header table", path);
        goto out;
    }
    /* Extent of the PT_LOAD segments. */
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) goto bad_ph;
        if (ph.p_type == PT_INTERP && main_image) {
            if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset || ph.p_filesz == 0 ||
                ph.p_filesz >= sizeof im->interp)
                goto bad_ph;
            memcpy(im->interp, (const char *)data + ph.p_offset, ph.p_filesz);
            im->interp[ph.p_filesz - 1] = 0;
        }
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        /* Lengths within the file, and an end that cannot wrap even once
         * rounded up to a page. */
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset ||
            ph.p_vaddr > UINT64_MAX - ph.p_memsz - VM_PAGE_SIZE)
            goto bad_ph;
        if (ph.p_vaddr < lo) lo = ph.p_vaddr;
        if (ph.p_vaddr + ph.p_memsz > hi) hi = ph.p_vaddr + ph.p_memsz;
    }
    if (lo == UINT64_MAX) {
        snprintf(err, errlen, "%s: no loadable segment", path);
        goto out;
    }
    lo = PAGE_DOWN(lo);
    hi = PAGE_UP(hi);
    uint64_t limit = vm_addr_limit(p->vm);
    if (eh.e_type == ET_DYN) {
        uint64_t base = main_image ? LX_PIE_BASE : lx_find_free(p, hi - lo);
        if (!base || base + (hi - lo) > limit) {
            snprintf(err, errlen, "%s: no room for %llu bytes in the guest address space", path,
                     (unsigned long long)(hi - lo));
            rc = -ENOMEM;
            goto out;
        }
        im->bias = base - lo;
    }
    if (lo + im->bias < LX_MMAP_MIN || hi + im->bias > limit || hi + im->bias < hi) {
        snprintf(err, errlen, "%s: segments at 0x%llx-0x%llx lie outside the guest address space",
                 path, (unsigned long long)(lo + im->bias), (unsigned long long)(hi + im->bias));
        rc = -ENOMEM;
        goto out;
    }
    /* Map each segment; a page shared with the previous segment keeps its
     * contents and gets the union of both rights. */
    uint64_t mapped_end = 0;
    unsigned prev_prot = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) goto bad_ph;
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        uint64_t start = PAGE_DOWN(ph.p_vaddr + im->bias);
        uint64_t end = PAGE_UP(ph.p_vaddr + ph.p_memsz + im->bias);
        unsigned prot = prot_of(ph.p_flags);
        uint64_t map_from = start;
        if (start < mapped_end) {
            map_from = mapped_end;
            vm_protect(p->vm, start, mapped_end - start, prot | prev_prot);
        }
        if (map_from < end) {
            if (vm_map(p->vm, map_from, end - map_from, prot)) {
                snprintf(err, errlen, "%s: cannot map segment at 0x%llx", path,
                         (unsigned long long)map_from);
                rc = -ENOMEM;
                goto out;
            }
            lx_vma_add(p, map_from, end, prot, path);
        }
        if (ph.p_filesz &&
            vm_poke(p->vm, ph.p_vaddr + im->bias, (const char *)data + ph.p_offset, ph.p_filesz)) {
            snprintf(err, errlen, "%s: cannot load segment at 0x%llx", path,
                     (unsigned long long)(ph.p_vaddr + im->bias));
            rc = -ENOEXEC;
            goto out;
        }
        if (ph.p_offset <= eh.e_phoff && eh.e_phoff - ph.p_offset < ph.p_filesz)
            im->phdr = ph.p_vaddr + im->bias + (eh.e_phoff - ph.p_offset);
        if (end > mapped_end) mapped_end = end;
        prev_prot = prot;
    }
    im->entry = eh.e_entry + im->bias;
    im->phnum = phnum;
    im->phent = eh.e_phentsize;
    im->start = lo + im->bias;
    im->end = hi + im->bias;
    rc = 0;
    goto out;
bad_ph:
    snprintf(err, errlen, "%s: damaged program header", path);
    rc = -ENOEXEC;
out:
    if (elf) elf_end(elf);
    return rc;
}

/* Tells the observer about a loaded image (the file itself comes along, so
 * a tracer can read its symbols even when the file exists only in the
 * recording). */
static void observe_image(struct lx_proc *p, struct lx_thread *t, const char *path,
                          const struct image *im, const void *data, size_t len)
{
    if (!p->obs || !p->obs->map) return;
    struct lx_map_event m = { .addr = im->start, .len = im->end - im->start,
                              .prot = VM_PROT_READ | VM_PROT_EXEC, .fd = -1, .path = path,
                              .image = data, .image_len = len };
    p->obs->map(p->obs->ctx, t, &m);
}

/* Pushes bytes onto the guest stack being built; returns their address. */
static uint64_t push_bytes(struct lx_proc *p, uint64_t *sp, const void *b, size_t n)
{
    *sp -= n;
    vm_poke(p->vm, *sp, b, n);
    return *sp;
}

int lx_load(struct lx_proc *p, struct lx_thread *t, const char *path, int argc,
            char *const *argv, char *const *envp, char *err, size_t errlen)
{
    if (elf_version(EV_CURRENT) == EV_NONE) {
        snprintf(err, errlen, "libelf initialisation failed");
        return -ENOEXEC;
    }
    void *data = NULL, *idata = NULL;
    size_t len = 0, ilen = 0;
    int rc = p->port->ops->load_file(p->port, t, path, &data, &len);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    struct image main_im, interp_im;
    rc = load_image(p, path, data, len, true, &main_im, err, errlen);
    if (!rc) observe_image(p, t, path, &main_im, data, len);
    free(data);
    if (rc) return rc;

    p->brk_start = p->brk_cur = main_im.end;
    uint64_t entry = main_im.entry, base = 0;
    if (main_im.interp[0]) {
        char ipath[4200];
        snprintf(ipath, sizeof ipath, "%s%s", p->sysroot, main_im.interp);
        rc = p->port->ops->load_file(p->port, t, ipath, &idata, &ilen);
        if (rc) {
            snprintf(err, errlen, "%s: interpreter %s: %s (is --sysroot right?)", path, ipath,
                     strerror(-rc));
            return rc;
        }
        rc = load_image(p, ipath, idata, ilen, false, &interp_im, err, errlen);
        if (!rc) observe_image(p, t, ipath, &interp_im, idata, ilen);
        free(idata);
        if (rc) return rc;
        entry = interp_im.entry;
        base = interp_im.bias;
    }

    /* The stack: strings at the top, then the vectors (create_elf_tables). */
    uint64_t stack_lo = p->stack_top - LX_STACK_SIZE;
    if (vm_map(p->vm, stack_lo, LX_STACK_SIZE, VM_PROT_READ | VM_PROT_WRITE)) {
        snprintf(err, errlen, "cannot map the guest stack");
        return -ENOMEM;
    }
    lx_vma_add(p, stack_lo, p->stack_top, VM_PROT_READ | VM_PROT_WRITE, "[stack]");
    uint64_t sp = p->stack_top - 16;
    int envc = 0;
    while (envp && envp[envc]) envc++;
    uint64_t execfn = push_bytes(p, &sp, path, strlen(path) + 1);
    uint64_t *env_ptrs = calloc((size_t)envc + 1, 8), *arg_ptrs = calloc((size_t)argc + 1, 8);
    if (!env_ptrs || !arg_ptrs) {
        free(env_ptrs);
        free(arg_ptrs);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    size_t strings = 0;
    for (int i = envc - 1; i >= 0; i--) strings += strlen(envp[i]) + 1;
    for (int i = argc - 1; i >= 0; i--) strings += strlen(argv[i]) + 1;
    if (strings > LX_STACK_SIZE / 4) {
        free(env_ptrs);
        free(arg_ptrs);
        snprintf(err, errlen, "argument list too long (%zu bytes)", strings);
        return -E2BIG;
    }
    for (int i = envc - 1; i >= 0; i--) env_ptrs[i] = push_bytes(p, &sp, envp[i], strlen(envp[i]) + 1);
    for (int i = argc - 1; i >= 0; i--) arg_ptrs[i] = push_bytes(p, &sp, argv[i], strlen(argv[i]) + 1);
    uint8_t rnd[16];
    p->port->ops->random(p->port, t, rnd, sizeof rnd);
    sp &= ~15ull;
    uint64_t at_random = push_bytes(p, &sp, rnd, sizeof rnd);

    uint64_t aux[][2] = {
        { AT_PHDR, main_im.phdr },   { AT_PHENT, main_im.phent },
        { AT_PHNUM, main_im.phnum }, { AT_PAGESZ, VM_PAGE_SIZE },
        { AT_BASE, base },           { AT_FLAGS, 0 },
        { AT_ENTRY, main_im.entry }, { AT_UID, (uint64_t)p->port->ops->host_id(p->port, t, LX_ID_UID) },
        { AT_EUID, (uint64_t)p->port->ops->host_id(p->port, t, LX_ID_EUID) },
        { AT_GID, (uint64_t)p->port->ops->host_id(p->port, t, LX_ID_GID) },
        { AT_EGID, (uint64_t)p->port->ops->host_id(p->port, t, LX_ID_EGID) },
        { AT_HWCAP, LX_HWCAP_IMAFDC }, { AT_CLKTCK, 100 },
        { AT_SECURE, 0 },            { AT_RANDOM, at_random },
        { AT_HWCAP2, 0 },            { AT_EXECFN, execfn },
        { AT_NULL, 0 },
    };
    size_t naux = sizeof aux / sizeof aux[0];
    p->n_auxv = 0;
    for (size_t i = 0; i < naux && p->n_auxv + 2 <= sizeof p->auxv / 8; i++) {
        p->auxv[p->n_auxv++] = aux[i][0];
        p->auxv[p->n_auxv++] = aux[i][1];
    }
    /* argc, argv[], NULL, envp[], NULL, auxv[]; sp ends 16-byte aligned. */
    size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * naux;
    sp -= words * 8;
    sp &= ~15ull;
    uint64_t w = sp, v = (uint64_t)argc;
    vm_poke(p->vm, w, &v, 8), w += 8;
    for (int i = 0; i < argc; i++) vm_poke(p->vm, w, &arg_ptrs[i], 8), w += 8;
    v = 0;
    vm_poke(p->vm, w, &v, 8), w += 8;
    for (int i = 0; i < envc; i++) vm_poke(p->vm, w, &env_ptrs[i], 8), w += 8;
    vm_poke(p->vm, w, &v, 8), w += 8;
    vm_poke(p->vm, w, aux, 16 * naux);
    free(env_ptrs);
    free(arg_ptrs);

    struct vm_cpu *cpu = t->cpu;
    memset(cpu->x, 0, sizeof cpu->x);
    cpu->x[2] = sp;
    cpu->pc = entry;
    (void)base_name;
    return 0;
}
