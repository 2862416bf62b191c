/*
 * symtab.c - ELF symbols and DWARF line tables of a module image into the
 * `symbol` and `line` tables (see symtab.h, docs/trace-schema.md).
 *
 * libelf parses a private copy of the image: elf_memory() may convert or
 * decompress sections in place, and the caller's buffer is read-only. Every
 * count and index taken from the file is checked against the section sizes
 * libelf reports, so a damaged image ends the walk instead of reading past
 * it.
 */
#include "symtab.h"

#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Linux maps segments in pages of this size on riscv64. */
#define GUEST_PAGE 4096u

struct ctx {
    sqlite3 *db;
    const char *path;
    int64_t module_id;
    uint64_t bias;
    char *err;
    size_t errlen;
    bool failed;
};

static void fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct ctx *c, const char *fmt, ...)
{
    if (c->failed) return;  /* the first error is the useful one */
    c->failed = true;
    if (!c->err || !c->errlen) return;
    int n = snprintf(c->err, c->errlen, "%s: ", c->path ? c->path : "(module)");
    if (n < 0 || (size_t)n >= c->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static int exec(struct ctx *c, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail(c, "%s (in: %s)", msg ? msg : "SQL error", sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *prepare(struct ctx *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(c, "%s (in: %s)", sqlite3_errmsg(c->db), sql);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static int step_reset(struct ctx *c, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        fail(c, "writing: %s", sqlite3_errmsg(c->db));
        return -1;
    }
    return 0;
}

/* Load bias (see symtab.h). -1 if the program headers are unreadable. */
static int load_bias(struct ctx *c, Elf *elf, const GElf_Ehdr *eh, uint64_t base)
{
    if (eh->e_type == ET_EXEC) {
        c->bias = 0;
        return 0;
    }
    size_t phnum;
    if (elf_getphdrnum(elf, &phnum) != 0) {
        fail(c, "unreadable program headers: %s", elf_errmsg(-1));
        return -1;
    }
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) {
            fail(c, "program header %zu unreadable: %s", i, elf_errmsg(-1));
            return -1;
        }
        if (ph.p_type != PT_LOAD) continue;
        /* The segment's first page holds file offset pagedown(p_offset) at
         * address pagedown(p_vaddr); offset 0 sits that much lower. */
        uint64_t page_va = ph.p_vaddr & ~(uint64_t)(GUEST_PAGE - 1);
        uint64_t page_off = ph.p_offset & ~(uint64_t)(GUEST_PAGE - 1);
        c->bias = base - (page_va - page_off);
        return 0;
    }
    c->bias = base;  /* no PT_LOAD (a relocatable object): offsets are all we have */
    return 0;
}

static int create_tables(struct ctx *c)
{
    return exec(c, "CREATE TABLE IF NOT EXISTS symbol (id INTEGER PRIMARY KEY, "
                   "module_id INTEGER, name TEXT, addr INTEGER, size INTEGER, kind TEXT, "
                   "bind TEXT); "
                   "CREATE INDEX IF NOT EXISTS symbol_addr ON symbol(addr); "
                   "CREATE TABLE IF NOT EXISTS line (id INTEGER PRIMARY KEY, "
                   "module_id INTEGER, addr INTEGER, file TEXT, line INTEGER, col INTEGER, "
                   "is_stmt INTEGER); "
                   "CREATE INDEX IF NOT EXISTS line_addr ON line(addr);");
}

/* The section holding the symbols: SHT_SYMTAB if there is one (complete,
 * with local functions), else SHT_DYNSYM (exported ones only). */
static Elf_Scn *symbol_section(Elf *elf, Elf64_Word type)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && sh.sh_type == type) return scn;
    }
    return NULL;
}

/* Whether section ndx holds instructions (SHF_EXECINSTR). */
static bool in_code(Elf *elf, size_t ndx)
{
    GElf_Shdr sh;
    Elf_Scn *scn = elf_getscn(elf, ndx);
    return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR);
}

static int add_symbols(struct ctx *c, Elf *elf)
{
    Elf_Scn *scn = symbol_section(elf, SHT_SYMTAB);
    if (!scn) scn = symbol_section(elf, SHT_DYNSYM);
    if (!scn) return 0;  /* stripped of both: no symbols, not an error */
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) {
        fail(c, "symbol section header unreadable: %s", elf_errmsg(-1));
        return -1;
    }
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data) {
        fail(c, "symbol section unreadable: %s", elf_errmsg(-1));
        return -1;
    }
    size_t entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
    if (!entsize) {
        fail(c, "unknown ELF class");
        return -1;
    }
    size_t n = data->d_size / entsize;
    sqlite3_stmt *st = prepare(c, "INSERT INTO symbol (module_id, name, addr, size, kind, "
                                  "bind) VALUES (?, ?, ?, ?, ?, ?)");
    if (!st) return -1;
    int rc = 0;
    for (size_t i = 1; i < n && !rc; i++) {  /* entry 0 is the null symbol */
        GElf_Sym s;
        if (!gelf_getsym(data, (int)i, &s)) break;
        int type = GELF_ST_TYPE(s.st_info);
        /* Undefined symbols are imports; absolute ones are not addresses. */
        if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE) continue;
        const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
        /* '$x...'/'$d' are mapping symbols (RISC-V psABI), '.L' local
         * assembler labels: neither names code. */
        if (!name || !*name || name[0] == '$' || !strncmp(name, ".L", 2)) continue;
        const char *kind = NULL;
        if (type == STT_FUNC || type == STT_GNU_IFUNC) kind = "func";
        else if (type == STT_OBJECT) kind = "object";
        /* Untyped labels in code (assembly entry points such as crt1's
         * load_gp) name code the way objdump shows them. */
        else if (type == STT_NOTYPE && in_code(elf, s.st_shndx)) kind = "func";
        if (!kind) continue;
        sqlite3_bind_int64(st, 1, c->module_id);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (int64_t)(s.st_value + c->bias));
        sqlite3_bind_int64(st, 4, (int64_t)s.st_size);
        sqlite3_bind_text(st, 5, kind, -1, SQLITE_STATIC);
        int b = GELF_ST_BIND(s.st_info);
        sqlite3_bind_text(st, 6, b == STB_LOCAL ? "local" : b == STB_WEAK ? "weak" : "global", -1,
                          SQLITE_STATIC);
        rc = step_reset(c, st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The section named `want`, NULL if none (sh: its header). */
static Elf_Scn *named_section(Elf *elf, const char *want, GElf_Shdr *sh)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0) return NULL;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
        if (!gelf_getshdr(scn, sh)) continue;
        const char *name = elf_strptr(elf, shstrndx, sh->sh_name);
        if (name && !strcmp(name, want)) return scn;
    }
    return NULL;
}

static bool has_section(Elf *elf, const char *want)
{
    GElf_Shdr sh;
    return named_section(elf, want, &sh) != NULL;
}

/* Names of the PLT stubs ("strcmp@plt", as objdump shows them): calls to
 * another module's functions go through them, so without these names a
 * call tree shows unnamed callees. RISC-V psABI, "Procedure Linkage
 * Table": a 32-byte header, then one 16-byte entry per R_RISCV_JUMP_SLOT
 * relocation of .rela.plt, in order. */
#define RV_PLT_HEADER 32u
#define RV_PLT_ENTRY 16u
static int add_plt_symbols(struct ctx *c, Elf *elf)
{
    GElf_Shdr plt, rela, dynsym;
    Elf_Scn *rscn;
    if (!named_section(elf, ".plt", &plt) || !(rscn = named_section(elf, ".rela.plt", &rela)))
        return 0;
    Elf_Scn *dscn = elf_getscn(elf, rela.sh_link);
    Elf_Data *rd = elf_getdata(rscn, NULL), *dd = dscn ? elf_getdata(dscn, NULL) : NULL;
    if (!rd || !dd || !gelf_getshdr(dscn, &dynsym) || rela.sh_type != SHT_RELA) return 0;
    size_t relsz = gelf_fsize(elf, ELF_T_RELA, 1, EV_CURRENT);
    if (!relsz) return 0;
    size_t n = rd->d_size / relsz;
    sqlite3_stmt *st = prepare(c, "INSERT INTO symbol (module_id, name, addr, size, kind, "
                                  "bind) VALUES (?, ?, ?, 16, 'func', 'local')");
    if (!st) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        GElf_Rela r;
        GElf_Sym s;
        uint64_t off = RV_PLT_HEADER + (uint64_t)i * RV_PLT_ENTRY;
        if (!gelf_getrela(rd, (int)i, &r) || off + RV_PLT_ENTRY > plt.sh_size) break;
        if (GELF_R_TYPE(r.r_info) != 5 /* R_RISCV_JUMP_SLOT */) continue;
        if (!gelf_getsym(dd, (int)GELF_R_SYM(r.r_info), &s)) continue;
        const char *name = elf_strptr(elf, dynsym.sh_link, s.st_name);
        if (!name || !*name) continue;
        char buf[512];
        snprintf(buf, sizeof buf, "%s@plt", name);
        sqlite3_bind_int64(st, 1, c->module_id);
        sqlite3_bind_text(st, 2, buf, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (int64_t)(plt.sh_addr + off + c->bias));
        rc = step_reset(c, st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* One CU's line program, every row: the last row at an address is the
 * one that describes the instruction there (what addr2line reports), and
 * is_stmt says whether a debugger would stop there for the line. An
 * end_sequence row (DWARF 5, section 6.2.5.1: the first byte after the
 * sequence) is stored with NULL file and line, so that a lookup past the
 * end of a sequence finds no line. */
static int add_cu_lines(struct ctx *c, Dwarf_Lines *lines, size_t nlines, sqlite3_stmt *st)
{
    for (size_t i = 0; i < nlines; i++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, i);
        if (!l) continue;
        Dwarf_Addr addr;
        bool stmt = false, end = false;
        if (dwarf_lineaddr(l, &addr) != 0) continue;
        if (dwarf_linebeginstatement(l, &stmt) != 0) stmt = false;
        if (dwarf_lineendsequence(l, &end) != 0) end = false;
        sqlite3_bind_int64(st, 1, c->module_id);
        sqlite3_bind_int64(st, 2, (int64_t)(addr + c->bias));
        if (!end) {
            int lineno = 0, col = 0;
            const char *file = dwarf_linesrc(l, NULL, NULL);
            if (file) sqlite3_bind_text(st, 3, file, -1, SQLITE_TRANSIENT);
            if (dwarf_lineno(l, &lineno) == 0) sqlite3_bind_int(st, 4, lineno);
            if (dwarf_linecol(l, &col) == 0) sqlite3_bind_int(st, 5, col);
        }
        sqlite3_bind_int(st, 6, stmt && !end);
        if (step_reset(c, st)) return -1;
    }
    return 0;
}

static int add_lines(struct ctx *c, Elf *elf)
{
    if (!has_section(elf, ".debug_line")) return 0;  /* no debug info: no lines */
    Dwarf *dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
    if (!dw) {
        fail(c, "DWARF unreadable: %s", dwarf_errmsg(-1));
        return -1;
    }
    sqlite3_stmt *st = prepare(c, "INSERT INTO line (module_id, addr, file, line, col, "
                                  "is_stmt) VALUES (?, ?, ?, ?, ?, ?)");
    int rc = st ? 0 : -1;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (!rc && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu;
        Dwarf_Lines *lines;
        size_t nlines;
        if (next <= off) break;  /* a unit must move forward */
        if (dwarf_offdie(dw, off + hsize, &cu) &&
            dwarf_getsrclines(&cu, &lines, &nlines) == 0)
            rc = add_cu_lines(c, lines, nlines, st);
        off = next;
    }
    sqlite3_finalize(st);
    dwarf_end(dw);
    return rc;
}

int tsym_add_module(sqlite3 *db, int64_t module_id, const char *path, uint64_t base,
                    const void *image, size_t len, uint64_t *bias_out, char *err, size_t errlen)
{
    struct ctx c = { .db = db, .path = path, .module_id = module_id, .err = err,
                     .errlen = errlen };
    if (err && errlen) err[0] = 0;
    if (bias_out) *bias_out = 0;
    if (!image || len < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG) != 0) {
        fail(&c, "not an ELF file");
        return -1;
    }
    elf_version(EV_CURRENT);
    char *copy = malloc(len);
    if (!copy) {
        fail(&c, "out of memory (%zu bytes)", len);
        return -1;
    }
    memcpy(copy, image, len);
    Elf *elf = elf_memory(copy, len);
    GElf_Ehdr eh;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
        fail(&c, "not a readable ELF file: %s", elf_errmsg(-1));
        elf_end(elf);
        free(copy);
        return -1;
    }
    /* libelf quietly shows a truncated image as one with fewer (or no)
     * sections: check the header's counts (0 with e_shoff set means the
     * count is in section 0, ELF gABI "Extended Section Numbering"). */
    size_t shnum = eh.e_shnum, phnum = eh.e_phnum;
    if ((!shnum && eh.e_shoff && elf_getshdrnum(elf, &shnum) != 0) ||
        (phnum == PN_XNUM && elf_getphdrnum(elf, &phnum) != 0)) {
        fail(&c, "unreadable section or program header count: %s", elf_errmsg(-1));
    } else if ((eh.e_shoff || shnum) &&
               (eh.e_shoff > len || (uint64_t)shnum * eh.e_shentsize > len - eh.e_shoff)) {
        fail(&c, "section headers (%zu at offset %llu) past the end of the file (%zu bytes): "
                 "truncated?", shnum, (unsigned long long)eh.e_shoff, len);
    } else if ((eh.e_phoff || phnum) &&
               (eh.e_phoff > len || (uint64_t)phnum * eh.e_phentsize > len - eh.e_phoff)) {
        fail(&c, "program headers (%zu at offset %llu) past the end of the file (%zu bytes)",
             phnum, (unsigned long long)eh.e_phoff, len);
    }
    if (c.failed) {
        elf_end(elf);
        free(copy);
        return -1;
    }
    int rc = load_bias(&c, elf, &eh, base);
    if (!rc && bias_out) *bias_out = c.bias;
    if (!rc && !(rc = exec(&c, "SAVEPOINT tsym_add_module"))) {
        rc = create_tables(&c);
        /* Symbols and lines are independent: a damaged DWARF section
         * still leaves the symbols in. */
        if (!rc) {
            rc = add_symbols(&c, elf);
            rc |= add_plt_symbols(&c, elf);
            rc |= add_lines(&c, elf);
        }
        if (exec(&c, "RELEASE tsym_add_module")) rc = -1;
    }
    elf_end(elf);
    free(copy);
    return rc || c.failed ? -1 : 0;
}
