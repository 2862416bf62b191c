/*
 * test_disas.c - differential test of the decoder and disassembler against
 * GNU objdump (binutils 2.40), which defines the expected text.
 *
 * Corpora:
 *   rvc     every 16-bit encoding (low two bits != 11)
 *   rows    every insns.def row with random field values (seeded) and edge
 *           immediates, plus full sweeps of the CSR, fence and shift fields
 *   random  random 32-bit words, mostly not instructions (illegal handling)
 *   ELF     every instruction objdump shows in the executable sections of
 *           the riscv64 ELF files named on the command line
 * The generated corpora are emitted as `.insn` directives (which keep them
 * code, unlike .word/.2byte that gas marks as data with a $d mapping symbol),
 * assembled with riscv64-linux-gnu-as -march=rv64gc_zba_zbb_zbs and
 * disassembled with riscv64-linux-gnu-objdump -d; objdump's trailing
 * " <symbol>" and " # comment" annotations are stripped before comparing.
 *
 * Usage: test_disas [ELF...]
 * Environment: RISCV_AS, RISCV_OBJDUMP override the tools; TEST_DISAS_SHOW is
 * the number of mismatches printed in full (20); TEST_DISAS_KEEP keeps the
 * generated .s/.o files. Exit status 77 (skipped) when the tools are
 * missing. The last line of output is "N passed, N failed"; the exit status
 * is nonzero on any failure.
 */
#include "isa.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *as_tool = "riscv64-linux-gnu-as";
static const char *objdump_tool = "riscv64-linux-gnu-objdump";
static char tmpdir[64];
static unsigned long total_pass, total_fail;
static unsigned shown, max_shown = 20; /* mismatches printed in full */

/* ---- comparison ---- */

struct corpus {
    const char *name;
    unsigned long pass, fail, skipped, known;
};

/*
 * Encodings where reprise deliberately prints something else than objdump
 * because binutils decodes an encoding the ISA reserves; reprise's decoder
 * rejects it (it raises illegal-instruction), so the text says so.
 */
static const struct {
    uint32_t raw;
    unsigned len;
    const char *ours, *why;
} known_divergences[] = {
    {0x6101, 2, ".2byte\t0x6101",
     "c.addi16sp with nzimm=0 is reserved (ISA 20191213 16.5); objdump prints add sp,sp,0"},
};

/* Compares our text for the instruction `bits` (len bytes) at `addr` with
 * objdump's. */
static void check(struct corpus *c, uint64_t addr, uint32_t bits, unsigned len,
                  const char *expect)
{
    struct rv_decoded d;
    char got[128];
    rv_decode(bits, &d);
    rv_disas(&d, addr, got, sizeof got);
    if (d.len == len && strcmp(got, expect) == 0) {
        c->pass++;
        return;
    }
    for (size_t i = 0; i < sizeof known_divergences / sizeof known_divergences[0]; i++)
        if (known_divergences[i].raw == bits && known_divergences[i].len == len &&
            strcmp(known_divergences[i].ours, got) == 0) {
            if (c->known++ == 0)
                printf("known divergence %s %llx: %0*x objdump \"%s\" ours \"%s\": %s\n",
                       c->name, (unsigned long long)addr, len * 2, bits, expect, got,
                       known_divergences[i].why);
            c->pass++;
            return;
        }
    c->fail++;
    if (shown++ < max_shown)
        printf("MISMATCH %s %llx: %0*x  objdump \"%s\"  ours \"%s\"%s\n", c->name,
               (unsigned long long)addr, len * 2, len == 2 ? bits & 0xffff : bits, expect,
               got, d.len == len ? "" : "  (length differs)");
}

static void report(struct corpus *c)
{
    printf("%-40s %8lu passed %6lu failed", c->name, c->pass, c->fail);
    if (c->known) printf(" (%lu known divergences)", c->known);
    if (c->skipped) printf(" %6lu data lines skipped", c->skipped);
    printf("\n");
    total_pass += c->pass;
    total_fail += c->fail;
}

/* ---- objdump output ---- */

/*
 * Parses one line of `objdump -d` output. Instruction lines look like
 * "   267a4:\t41c30333          \tsub\tt1,t1,t3"; the raw field holds one
 * 4- or 8-digit parcel for 2- and 4-byte instructions. Returns 1 and fills
 * the fields for such a line (text is cut in place: annotations removed),
 * -1 for a line showing longer data (".byte 0x1f, ..."), 0 for other lines.
 */
static int parse_line(char *line, uint64_t *addr, uint32_t *raw, unsigned *len, char **text)
{
    char *p = line, *end;
    while (*p == ' ') p++;
    unsigned long long a = strtoull(p, &end, 16);
    if (end == p || end[0] != ':' || end[1] != '\t') return 0;
    p = end + 2;
    char *tab = strchr(p, '\t');
    if (!tab) return 0;
    *tab = 0;
    char *hex = p, *q = p;
    while (*q && *q != ' ') q++;
    size_t n = (size_t)(q - hex);
    while (*q == ' ') q++;
    if (*q || (n != 4 && n != 8)) return -1; /* multi-parcel data (.byte) */
    *raw = (uint32_t)strtoul(hex, NULL, 16);
    *len = (unsigned)n / 2;
    *addr = a;
    char *t = tab + 1;
    t[strcspn(t, "\n")] = 0;
    char *c = strstr(t, " # ");
    if (c) *c = 0;
    size_t tl = strlen(t);
    if (tl && t[tl - 1] == '>') {
        char *lt = strstr(t, " <");
        if (lt) *lt = 0;
    }
    tl = strlen(t);
    while (tl && t[tl - 1] == ' ') t[--tl] = 0;
    *text = t;
    return 1;
}

static FILE *run_objdump(const char *file)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' -d '%s'", objdump_tool, file);
    fflush(stdout);
    FILE *f = popen(cmd, "r");
    if (!f) {
        perror("popen");
        exit(2);
    }
    return f;
}

/* ---- generated corpora ---- */

struct gen {
    const char *name;
    uint32_t *w;
    size_t n, cap;
};

static void emit(struct gen *g, uint32_t w)
{
    if ((w & 3) != 3) w &= 0xffff;
    else if ((w & 0x1f) == 0x1f) return; /* 48-bit and longer: not RV64GC */
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 4096;
        g->w = realloc(g->w, g->cap * sizeof *g->w);
        if (!g->w) abort();
    }
    g->w[g->n++] = w;
}

static unsigned len_of(uint32_t w) { return (w & 3) == 3 ? 4 : 2; }

/* Assembles g as .insn directives, disassembles it and compares every line. */
static void run_generated(struct gen *g)
{
    char src[128], obj[128], cmd[512];
    snprintf(src, sizeof src, "%s/%s.s", tmpdir, g->name);
    snprintf(obj, sizeof obj, "%s/%s.o", tmpdir, g->name);
    FILE *f = fopen(src, "w");
    if (!f) {
        perror(src);
        exit(2);
    }
    fprintf(f, "\t.text\n");
    for (size_t i = 0; i < g->n; i++)
        fprintf(f, "\t.insn 0x%0*x\n", len_of(g->w[i]) * 2, g->w[i]);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' -march=rv64gc_zba_zbb_zbs -o '%s' '%s'", as_tool, obj, src);
    fflush(stdout);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s: assembling failed\n", g->name);
        exit(2);
    }

    struct corpus c = {g->name, 0, 0, 0, 0};
    FILE *p = run_objdump(obj);
    char *line = NULL;
    size_t cap = 0, i = 0;
    uint64_t at = 0;
    while (getline(&line, &cap, p) > 0) {
        uint64_t addr;
        uint32_t raw;
        unsigned len;
        char *text;
        int kind = parse_line(line, &addr, &raw, &len, &text);
        if (kind < 0) c.fail++;
        if (kind <= 0) continue;
        while (i < g->n && at < addr) at += len_of(g->w[i++]);
        if (i >= g->n || at != addr || raw != g->w[i] || len != len_of(raw)) {
            printf("%s: objdump line at %llx does not match the generated input\n", g->name,
                   (unsigned long long)addr);
            c.fail++;
            continue;
        }
        check(&c, addr, raw, len, text);
    }
    pclose(p);
    free(line);
    if (c.pass + c.fail < g->n) {
        printf("%s: objdump showed %lu of %zu instructions\n", g->name, c.pass + c.fail, g->n);
        c.fail += g->n - (c.pass + c.fail);
    }
    report(&c);
    if (!getenv("TEST_DISAS_KEEP")) {
        unlink(src);
        unlink(obj);
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Independent immediate encoders (the decoder's are what is being tested). */
static uint32_t put_imm(uint32_t w, enum rv_imm_kind k, int64_t v)
{
    uint32_t i = (uint32_t)v;
    switch (k) {
    case RV_IMM_I: return (w & 0x000fffff) | (i & 0xfff) << 20;
    case RV_IMM_S: return (w & 0x01fff07f) | (i & 0x1f) << 7 | ((i >> 5) & 0x7f) << 25;
    case RV_IMM_B:
        return (w & 0x01fff07f) | ((i >> 11) & 1) << 7 | ((i >> 1) & 0xf) << 8 |
               ((i >> 5) & 0x3f) << 25 | ((i >> 12) & 1) << 31;
    case RV_IMM_J:
        return (w & 0x00000fff) | (i & 0xff000) | ((i >> 11) & 1) << 20 |
               ((i >> 1) & 0x3ff) << 21 | ((i >> 20) & 1) << 31;
    case RV_IMM_U: return (w & 0xfff) | (i & 0xfffff000);
    case RV_IMM_SHAMT6: return (w & ~(0x3fu << 20)) | (i & 0x3f) << 20;
    case RV_IMM_SHAMT5: return (w & ~(0x1fu << 20)) | (i & 0x1f) << 20;
    case RV_IMM_CSR: case RV_IMM_FENCE: return (w & 0x000fffff) | (i & 0xfff) << 20;
    case RV_IMM_NONE: break;
    }
    return w;
}

static const int64_t edge_imms[][12] = {
    [RV_IMM_I] = {0, 1, -1, 2, 255, 2047, -2048, -2, 16, 0x7f0, -16, 1024},
    [RV_IMM_S] = {0, 1, -1, 2, 255, 2047, -2048, -2, 16, 0x7f0, -16, 1024},
    [RV_IMM_B] = {0, 2, -2, 4, 4094, -4096, 8, -8, 2048, -2048, 0x7fe, 0x800},
    [RV_IMM_J] = {0, 2, -2, 4, 0xffffe, -0x100000, 0x800, -0x800, 0x1000, 0x7fe, 0x40000, -4},
    [RV_IMM_U] = {0, 0x1000, -0x1000, 0x7ffff000, INT32_MIN, 0x12345000, 0xfffff000, 0x10000,
                  0x80000, 0xfff000, 0x1f000, 0x20000},
};

/* Words for row `id`: random fields (registers biased towards the values the
 * aliases test for: x0, ra, sp, rs1 == rs2), edge immediates and sweeps. */
static void gen_row(struct gen *g, unsigned id)
{
    const struct rv_insn_desc *r = &rv_insns[id];
    uint32_t free_bits = ~r->mask;
    for (int k = 0; k < 200; k++) {
        uint32_t w = r->match | (rnd() & free_bits);
        static const unsigned shifts[] = {7, 15, 20, 27};
        for (unsigned f = 0; f < 4; f++) {
            unsigned sh = shifts[f];
            if ((free_bits >> sh & 31) != 31) continue;
            unsigned roll = rnd() % 16, v;
            if (roll < 3) v = 0;
            else if (roll < 4) v = 1;
            else if (roll < 5) v = 2;
            else if (roll < 6 && f == 2) v = (w >> 15) & 31; /* rs2 = rs1 */
            else continue;
            w = (w & ~(31u << sh)) | v << sh;
        }
        emit(g, w);
    }
    enum rv_imm_kind k = (enum rv_imm_kind)r->imm_kind;
    if (k <= RV_IMM_U && k != RV_IMM_NONE)
        for (int e = 0; e < 12; e++)
            for (int rep = 0; rep < 7; rep++) {
                /* rd, rs1 = random, x0, ra, and the pairs aliases look for */
                static const int8_t rd_rs1[7][2] = {{-1, -1}, {-1, 0}, {0, -1}, {0, 0},
                                                    {0, 1}, {1, -1}, {2, 2}};
                uint32_t w = r->match | (rnd() & free_bits);
                if (rd_rs1[rep][0] >= 0) w = (w & ~(31u << 7)) | (uint32_t)rd_rs1[rep][0] << 7;
                if (rd_rs1[rep][1] >= 0) w = (w & ~(31u << 15)) | (uint32_t)rd_rs1[rep][1] << 15;
                w = put_imm(w, k, edge_imms[k][e]);
                if ((w & r->mask) == r->match) emit(g, w);
            }
    unsigned sweep = k == RV_IMM_SHAMT6 ? 64 : k == RV_IMM_SHAMT5 ? 32
                   : (k == RV_IMM_CSR || k == RV_IMM_FENCE) ? 4096 : 0;
    for (unsigned v = 0; v < sweep; v++)
        for (unsigned rep = 0; rep < 4; rep++) {
            uint32_t w = r->match | (rnd() & free_bits);
            if (rep & 1) w &= ~(31u << 7);  /* rd = x0 */
            if (rep & 2) w &= ~(31u << 15); /* rs1 = x0 */
            w = put_imm(w, k, v);
            if ((w & r->mask) == r->match) emit(g, w);
        }
}

/* ---- ELF files ---- */

struct xsec {
    const char *name;
    size_t index; /* section header index */
    uint64_t addr, size;
    const uint8_t *data;
};

struct mapsym {
    size_t shndx;
    uint64_t addr;
    int data; /* $d (data) or $x (code) */
};

static int cmp_mapsym(const void *a, const void *b)
{
    const struct mapsym *x = a, *y = b;
    if (x->shndx != y->shndx) return x->shndx < y->shndx ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Whether addr of section shndx lies in a $d range (data in a code section,
 * which objdump shows as data). */
static int in_data(const struct mapsym *m, size_t n, size_t shndx, uint64_t addr)
{
    struct mapsym key = {shndx, addr, 0};
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cmp_mapsym(&m[mid], &key) <= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo > 0 && m[lo - 1].shndx == shndx && m[lo - 1].data;
}

static void run_elf(const char *path)
{
    struct corpus c = {path, 0, 0, 0, 0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: %s (skipped)\n", path, strerror(errno));
        return;
    }
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    if (!e || !gelf_getehdr(e, &eh) || eh.e_machine != EM_RISCV) {
        printf("%s: not a RISC-V ELF file (skipped)\n", path);
        if (e) elf_end(e);
        close(fd);
        return;
    }
    struct xsec secs[64];
    size_t nsec = 0, nmap = 0, mapcap = 0;
    struct mapsym *map = NULL;
    for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(s, &sh)) continue;
        if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) && nsec < 64) {
            Elf_Data *d = elf_getdata(s, NULL);
            const char *nm = elf_strptr(e, eh.e_shstrndx, sh.sh_name);
            if (d && d->d_buf && nm)
                secs[nsec++] = (struct xsec){nm, elf_ndxscn(s), sh.sh_addr, d->d_size, d->d_buf};
        }
        if (sh.sh_type == SHT_SYMTAB) {
            Elf_Data *d = elf_getdata(s, NULL);
            size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            for (size_t i = 0; d && i < n; i++) {
                GElf_Sym sym;
                if (!gelf_getsym(d, (int)i, &sym)) continue;
                const char *nm = elf_strptr(e, sh.sh_link, sym.st_name);
                if (!nm || nm[0] != '$' || (nm[1] != 'd' && nm[1] != 'x')) continue;
                if (nm[2] && nm[1] == 'd' && nm[2] != '.') continue;
                if (nmap == mapcap) {
                    mapcap = mapcap ? mapcap * 2 : 256;
                    map = realloc(map, mapcap * sizeof *map);
                    if (!map) abort();
                }
                map[nmap++] = (struct mapsym){sym.st_shndx, sym.st_value, nm[1] == 'd'};
            }
        }
    }
    if (nmap) qsort(map, nmap, sizeof *map, cmp_mapsym);

    FILE *p = run_objdump(path);
    char *line = NULL;
    size_t cap = 0;
    const struct xsec *sec = NULL; /* the section objdump is showing */
    while (getline(&line, &cap, p) > 0) {
        uint64_t addr;
        uint32_t raw;
        unsigned len;
        char *text;
        static const char hdr[] = "Disassembly of section ";
        if (strncmp(line, hdr, sizeof hdr - 1) == 0) {
            char *nm = line + sizeof hdr - 1;
            nm[strcspn(nm, ":\n")] = 0;
            sec = NULL;
            for (size_t i = 0; i < nsec; i++)
                if (strcmp(secs[i].name, nm) == 0) sec = &secs[i];
            continue;
        }
        int kind = parse_line(line, &addr, &raw, &len, &text);
        if (kind < 0) c.skipped++;
        if (kind <= 0) continue;
        if (!sec || addr < sec->addr || addr + len > sec->addr + sec->size) {
            c.skipped++;
            continue;
        }
        if (in_data(map, nmap, sec->index, addr)) {
            c.skipped++;
            continue;
        }
        const uint8_t *b = sec->data + (addr - sec->addr);
        uint32_t bits = b[0] | (uint32_t)b[1] << 8;
        if (addr + 4 <= sec->addr + sec->size) bits |= (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        uint32_t mask = len == 2 ? 0xffff : 0xffffffff;
        if ((bits & mask) != raw) {
            c.fail++;
            if (shown++ < max_shown)
                printf("MISMATCH %s %llx: objdump shows %x, the file holds %x\n", path,
                       (unsigned long long)addr, raw, bits & mask);
            continue;
        }
        check(&c, addr, len == 2 ? raw : bits, len, text);
    }
    pclose(p);
    free(line);
    free(map);
    elf_end(e);
    close(fd);
    report(&c);
}

/* ---- rv_disas contract: snprintf-like truncation ---- */

static void check_api(void)
{
    struct corpus c = {"api (truncation)", 0, 0, 0, 0};
    static const uint32_t words[] = {0x00b50533, 0x4501, 0x0000, 0xffffffff, 0x42058553};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        struct rv_decoded d;
        char full[128], small[6];
        rv_decode(words[i], &d);
        int n = rv_disas(&d, 0x1000, full, sizeof full);
        int ok = n == (int)strlen(full) && rv_disas(&d, 0x1000, NULL, 0) == n;
        memset(small, 'x', sizeof small);
        ok = ok && rv_disas(&d, 0x1000, small, sizeof small) == n &&
             strncmp(small, full, sizeof small - 1) == 0 && small[sizeof small - 1] == 0;
        if (ok) c.pass++;
        else {
            c.fail++;
            printf("MISMATCH api: rv_disas(%x) truncation/length contract broken\n", words[i]);
        }
    }
    report(&c);
}

/* ---- main ---- */

static int tool_exists(const char *tool)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getenv("RISCV_AS")) as_tool = getenv("RISCV_AS");
    if (getenv("RISCV_OBJDUMP")) objdump_tool = getenv("RISCV_OBJDUMP");
    if (getenv("TEST_DISAS_SHOW")) max_shown = (unsigned)atoi(getenv("TEST_DISAS_SHOW"));
    if (!tool_exists(as_tool) || !tool_exists(objdump_tool)) {
        printf("%s or %s not found: skipped\n0 passed, 0 failed\n", as_tool, objdump_tool);
        return 77;
    }
    if (elf_version(EV_CURRENT) == EV_NONE) {
        fprintf(stderr, "libelf: %s\n", elf_errmsg(-1));
        return 2;
    }
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_disas.XXXXXX", t && strlen(t) < 40 ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }

    check_api();

    struct gen rvc = {"rvc", NULL, 0, 0};
    for (uint32_t c = 0; c < 0x10000; c++)
        if ((c & 3) != 3) emit(&rvc, c);
    run_generated(&rvc);

    struct gen rows = {"rows", NULL, 0, 0};
    for (unsigned id = 0; id < RV_N_INSNS; id++) gen_row(&rows, id);
    run_generated(&rows);

    struct gen rand32 = {"random32", NULL, 0, 0};
    for (int i = 0; i < 50000; i++) emit(&rand32, rnd() | 3);
    run_generated(&rand32);

    for (int i = 1; i < argc; i++) run_elf(argv[i]);

    if (!getenv("TEST_DISAS_KEEP")) rmdir(tmpdir);
    else printf("generated files kept in %s\n", tmpdir);
    free(rvc.w);
    free(rows.w);
    free(rand32.w);
    printf("%lu passed, %lu failed\n", total_pass, total_fail);
    return total_fail ? 1 : 0;
}
