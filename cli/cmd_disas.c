/*
 * cmd_disas.c - `reprise disas`: disassembles the executable sections of a
 * riscv64 ELF file with reprise's own decoder, in the layout of
 * `objdump -d`. It exercises the same instruction table the VM executes.
 */
#include "cli.h"
#include "isa.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sym {
    uint64_t addr;
    const char *name;
};

static int sym_cmp(const void *a, const void *b)
{
    const struct sym *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Collects the function and untyped symbols of a symbol table. */
static int load_symbols(Elf *elf, struct sym **out, size_t *n)
{
    Elf_Scn *scn = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB) continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (!data || !sh.sh_entsize) continue;
        size_t count = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < count; i++) {
            GElf_Sym s;
            if (!gelf_getsym(data, (int)i, &s)) break;
            int type = GELF_ST_TYPE(s.st_info);
            if (type != STT_FUNC && type != STT_NOTYPE) continue;
            if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE) continue;
            const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
            /* Mapping symbols ($x, $d) and local labels are not functions. */
            if (!name || !*name || name[0] == '$' || !strncmp(name, ".L", 2)) continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 256;
                struct sym *p = realloc(*out, cap * sizeof *p);
                if (!p) return -ENOMEM;
                *out = p;
            }
            (*out)[(*n)++] = (struct sym){ s.st_value, name };
        }
    }
    if (*n) qsort(*out, *n, sizeof **out, sym_cmp);
    return 0;
}

/* The symbol at or below addr, or NULL. */
static const struct sym *symbolize(const struct sym *syms, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (syms[mid].addr <= addr) lo = mid + 1; else hi = mid;
    }
    return lo ? &syms[lo - 1] : NULL;
}

static void disas_section(const char *secname, const uint8_t *p, size_t size, uint64_t base,
                          const struct sym *syms, size_t nsyms)
{
    printf("\nDisassembly of section %s:\n", secname);
    size_t si = 0;
    while (si < nsyms && syms[si].addr < base) si++;
    for (size_t off = 0; off < size;) {
        uint64_t a = base + off;
        int labelled = 0;
        while (si < nsyms && syms[si].addr <= a) {
            if (syms[si].addr == a && !labelled) {
                printf("\n%016" PRIx64 " <%s>:\n", a, syms[si].name);
                labelled = 1;
            }
            si++;
        }
        if (size - off < 2) {
            printf("%8" PRIx64 ":\t%02x                  \t.byte\t0x%x\n", a, p[off], p[off]);
            off++;
            continue;
        }
        uint16_t lo = (uint16_t)(p[off] | p[off + 1] << 8);
        unsigned len = rv_insn_len(lo);
        if (len > size - off) len = 2;
        uint32_t bits = lo;
        if (len == 4) bits |= (uint32_t)(p[off + 2] | p[off + 3] << 8) << 16;
        struct rv_decoded d;
        rv_decode(bits, &d);
        char text[128];
        rv_disas(&d, a, text, sizeof text);
        char raw[16];
        snprintf(raw, sizeof raw, len == 4 ? "%08x" : "%04x", len == 4 ? bits : lo);
        printf("%8" PRIx64 ":\t%-18s\t%s", a, raw, text);
        if (d.id != RV_ILLEGAL) {
            const char *ops = rv_insns[d.id].operands;
            if (strchr(ops, 'p') || strchr(ops, 'a')) {
                uint64_t t = a + (uint64_t)d.imm;
                const struct sym *s = symbolize(syms, nsyms, t);
                if (s && t == s->addr) printf(" <%s>", s->name);
                else if (s) printf(" <%s+0x%" PRIx64 ">", s->name, t - s->addr);
            }
        }
        putchar('\n');
        off += len;
    }
}

static void disas_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise disas [--section NAME] FILE\n"
            "\n"
            "Disassembles the executable sections of a riscv64 ELF file with reprise's\n"
            "decoder, in the layout of 'objdump -d' (same mnemonics and aliases).\n"
            "\n"
            "  -s, --section NAME   only this section (default: every executable one)\n"
            "  -h, --help           show this help\n");
}

int cmd_disas(int argc, char **argv)
{
    static const struct option opts[] = {
        { "section", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *only = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': only = optarg; break;
        case 'h': disas_usage(stdout); return CLI_OK;
        default: disas_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1) {
        disas_usage(stderr);
        return CLI_USAGE;
    }
    const char *path = argv[optind];
    if (elf_version(EV_CURRENT) == EV_NONE) {
        cli_error("disas", "libelf initialisation failed: %s", elf_errmsg(-1));
        return CLI_FAIL;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        cli_error("disas", "%s: %s", path, strerror(errno));
        return CLI_FAIL;
    }
    int rc = CLI_FAIL;
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    struct sym *syms = NULL;
    size_t nsyms = 0;
    GElf_Ehdr eh;
    size_t shstrndx;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
        cli_error("disas", "%s: not an ELF file", path);
        goto out;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_RISCV) {
        cli_error("disas", "%s: not a 64-bit RISC-V ELF file (machine %u, class %u)", path,
                  eh.e_machine, eh.e_ident[EI_CLASS]);
        goto out;
    }
    if (elf_getshdrstrndx(elf, &shstrndx)) {
        cli_error("disas", "%s: damaged section header table: %s", path, elf_errmsg(-1));
        goto out;
    }
    if (load_symbols(elf, &syms, &nsyms)) {
        cli_error("disas", "out of memory");
        goto out;
    }
    printf("\n%s:     file format elf64-littleriscv\n\n", path);
    Elf_Scn *scn = NULL;
    int found = 0;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh)) continue;
        if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR)) continue;
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name) name = "?";
        if (only && strcmp(only, name)) continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (!data || !data->d_buf || data->d_size < sh.sh_size) {
            cli_error("disas", "%s: section %s: contents cut short or unreadable", path, name);
            goto out;
        }
        found = 1;
        disas_section(name, data->d_buf, sh.sh_size, sh.sh_addr, syms, nsyms);
    }
    if (only && !found) {
        cli_error("disas", "%s: no executable section named %s", path, only);
        goto out;
    }
    rc = CLI_OK;
out:
    free(syms);
    if (elf) elf_end(elf);
    close(fd);
    return rc;
}
