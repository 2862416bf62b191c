/*
 * disas.c - the disassembler: prints a decoded instruction exactly as GNU
 * objdump (binutils 2.40, `objdump -d`, default aliases) prints it, so that
 * traces, the debugger and the differential tests can be compared with the
 * toolchain's view of the same bytes.
 *
 * Everything that is a property of the instruction comes from insns.def: the
 * mnemonic (rv_insns[id].name) and the operand string. The only hand-written
 * knowledge is the alias table below: which preferred spelling objdump picks
 * for which field values, plus the few encodings that reprise executes but
 * binutils 2.40 does not recognize (objdump prints those as data). Compressed
 * instructions are printed from their 32-bit expansion, as objdump does, with
 * a handful of compressed-only spellings in the same table.
 */
#include "isa.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output buffer with snprintf semantics ---- */

struct out {
    char *buf;
    size_t cap;
    size_t len; /* length that would have been written */
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

/* ---- names ---- */

/* Rounding modes; binutils prints "unknown" for the reserved values 5 and 6. */
static const char *const rm_names[8] = {"rne", "rtz", "rdn", "rup", "rmm",
                                        "unknown", "unknown", "dyn"};

/* FENCE predecessor/successor sets (bits i,o,r,w); the empty set has no name. */
static const char *const fence_sets[16] = {
    "unknown", "w", "r", "rw", "o", "ow", "or", "orw",
    "i", "iw", "ir", "irw", "io", "iow", "ior", "iorw"};

/*
 * CSR names binutils 2.40 knows under its default privileged spec (1.12):
 * the unprivileged, supervisor, hypervisor, machine and debug CSRs of the
 * privileged spec plus those of the ratified extensions (V, Zkr, Sstc,
 * Smstateen, Smaia/Ssaia, Sscofpmf). Numbered families are ranges. (objdump
 * follows a file's Tag_RISCV_priv_spec attribute instead, e.g. 1.11 in
 * Debian's libc, which adds the N-extension CSRs; user code never uses them.)
 */
static const struct {
    uint16_t num;
    const char *name;
} csr_names[] = {
    {0x001, "fflags"}, {0x002, "frm"}, {0x003, "fcsr"}, {0xc00, "cycle"},
    {0xc01, "time"}, {0xc02, "instret"},
    {0x008, "vstart"}, {0x009, "vxsat"}, {0x00a, "vxrm"}, {0x00f, "vcsr"}, {0x015, "seed"},
    {0x100, "sstatus"}, {0x104, "sie"}, {0x105, "stvec"}, {0x106, "scounteren"},
    {0x10a, "senvcfg"}, {0x10c, "sstateen0"}, {0x10d, "sstateen1"}, {0x10e, "sstateen2"},
    {0x10f, "sstateen3"}, {0x114, "sieh"}, {0x140, "sscratch"}, {0x141, "sepc"},
    {0x142, "scause"}, {0x143, "stval"}, {0x144, "sip"}, {0x14d, "stimecmp"},
    {0x150, "siselect"}, {0x151, "sireg"}, {0x154, "siph"}, {0x15c, "stopei"},
    {0x15d, "stimecmph"}, {0x180, "satp"}, {0x200, "vsstatus"}, {0x204, "vsie"},
    {0x205, "vstvec"}, {0x214, "vsieh"}, {0x240, "vsscratch"}, {0x241, "vsepc"},
    {0x242, "vscause"}, {0x243, "vstval"}, {0x244, "vsip"}, {0x24d, "vstimecmp"},
    {0x250, "vsiselect"}, {0x251, "vsireg"}, {0x254, "vsiph"}, {0x25c, "vstopei"},
    {0x25d, "vstimecmph"}, {0x280, "vsatp"}, {0x300, "mstatus"}, {0x301, "misa"},
    {0x302, "medeleg"}, {0x303, "mideleg"}, {0x304, "mie"}, {0x305, "mtvec"},
    {0x306, "mcounteren"}, {0x308, "mvien"}, {0x309, "mvip"}, {0x30a, "menvcfg"},
    {0x30c, "mstateen0"}, {0x30d, "mstateen1"}, {0x30e, "mstateen2"}, {0x30f, "mstateen3"},
    {0x310, "mstatush"}, {0x313, "midelegh"}, {0x314, "mieh"}, {0x318, "mvienh"},
    {0x319, "mviph"}, {0x31a, "menvcfgh"}, {0x31c, "mstateen0h"}, {0x31d, "mstateen1h"},
    {0x31e, "mstateen2h"}, {0x31f, "mstateen3h"}, {0x320, "mcountinhibit"},
    {0x340, "mscratch"}, {0x341, "mepc"}, {0x342, "mcause"}, {0x343, "mtval"},
    {0x344, "mip"}, {0x34a, "mtinst"}, {0x34b, "mtval2"}, {0x350, "miselect"},
    {0x351, "mireg"}, {0x354, "miph"}, {0x35c, "mtopei"}, {0x5a8, "scontext"},
    {0x600, "hstatus"}, {0x602, "hedeleg"}, {0x603, "hideleg"}, {0x604, "hie"},
    {0x605, "htimedelta"}, {0x606, "hcounteren"}, {0x607, "hgeie"}, {0x608, "hvien"},
    {0x609, "hvictl"}, {0x60a, "henvcfg"}, {0x60c, "hstateen0"}, {0x60d, "hstateen1"},
    {0x60e, "hstateen2"}, {0x60f, "hstateen3"}, {0x613, "hidelegh"}, {0x615, "htimedeltah"},
    {0x618, "hvienh"}, {0x61a, "henvcfgh"}, {0x61c, "hstateen0h"}, {0x61d, "hstateen1h"},
    {0x61e, "hstateen2h"}, {0x61f, "hstateen3h"}, {0x643, "htval"}, {0x644, "hip"},
    {0x645, "hvip"}, {0x646, "hviprio1"}, {0x647, "hviprio2"}, {0x64a, "htinst"},
    {0x655, "hviph"}, {0x656, "hviprio1h"}, {0x657, "hviprio2h"}, {0x680, "hgatp"},
    {0x6a8, "hcontext"}, {0x747, "mseccfg"}, {0x757, "mseccfgh"}, {0x7a0, "tselect"},
    {0x7a1, "tdata1"}, {0x7a2, "tdata2"}, {0x7a3, "tdata3"}, {0x7a4, "tinfo"},
    {0x7a5, "tcontrol"}, {0x7a8, "mcontext"}, {0x7aa, "mscontext"}, {0x7b0, "dcsr"},
    {0x7b1, "dpc"}, {0x7b2, "dscratch0"}, {0x7b3, "dscratch1"}, {0xb00, "mcycle"},
    {0xb02, "minstret"}, {0xb80, "mcycleh"}, {0xb82, "minstreth"}, {0xc20, "vl"},
    {0xc21, "vtype"}, {0xc22, "vlenb"}, {0xc80, "cycleh"}, {0xc81, "timeh"},
    {0xc82, "instreth"}, {0xda0, "scountovf"}, {0xdb0, "stopi"}, {0xe12, "hgeip"},
    {0xeb0, "vstopi"}, {0xf11, "mvendorid"}, {0xf12, "marchid"}, {0xf13, "mimpid"},
    {0xf14, "mhartid"}, {0xf15, "mconfigptr"}, {0xfb0, "mtopi"},
};

/* Numbered CSR families: `count` CSRs from `num`, named fmt % (first + i). */
static const struct {
    uint16_t num, count, first;
    const char *fmt;
} csr_ranges[] = {
    {0x323, 29, 3, "mhpmevent%u"},   {0x723, 29, 3, "mhpmevent%uh"},
    {0x3a0, 16, 0, "pmpcfg%u"},      {0x3b0, 64, 0, "pmpaddr%u"},
    {0xb03, 29, 3, "mhpmcounter%u"}, {0xb83, 29, 3, "mhpmcounter%uh"},
    {0xc03, 29, 3, "hpmcounter%u"},  {0xc83, 29, 3, "hpmcounter%uh"},
};

static void put_csr(struct out *o, unsigned csr)
{
    for (size_t i = 0; i < sizeof csr_names / sizeof csr_names[0]; i++)
        if (csr_names[i].num == csr) {
            put(o, "%s", csr_names[i].name);
            return;
        }
    for (size_t i = 0; i < sizeof csr_ranges / sizeof csr_ranges[0]; i++)
        if (csr >= csr_ranges[i].num && csr < csr_ranges[i].num + csr_ranges[i].count) {
            put(o, csr_ranges[i].fmt, csr - csr_ranges[i].num + csr_ranges[i].first);
            return;
        }
    put(o, "0x%x", csr);
}

/* ---- aliases ---- */

/*
 * Preferred spellings, tried in order for the row `id`; the first whose
 * condition holds is printed, otherwise the row itself (rv_insns[id]). This
 * mirrors binutils, which prints the first entry of its opcode table that
 * matches, and lists aliases before (and, by name order, sometimes instead
 * of) the canonical instruction.
 *
 * form   which encodings the row applies to: ANY, or only those expanded
 *        from one rvc.def row (RVC_xxx)
 * when   space-separated conditions, all of which must hold. Each is
 *        <field><op><value>: field d s t r (register numbers), i (imm),
 *        m (rm) or [hi:lo] (bits of the 32-bit encoding); op '=' or '!'
 *        (not equal); value an integer (C syntax) or another field letter.
 * name   the mnemonic to print; NULL keeps the row's own; UNKNOWN means
 *        binutils 2.40 does not decode this encoding and prints it as data.
 * ops    operand string (insns.def letters); NULL keeps the row's own.
 */
enum { ANY = -1 };
static const char UNKNOWN[] = "(data)"; /* compared by address */

struct alias {
    uint16_t id;
    int16_t form;
    const char *when, *name, *ops;
};

#define A(row, when, name, ops) {RV_##row, ANY, when, name, ops},
#define AC(crow, row, when, name, ops) {RV_##row, RVC_##crow, when, name, ops},
#define DATA(row, when) {RV_##row, ANY, when, UNKNOWN, NULL},

static const struct alias aliases[] = {
    /* RV64I */
    A(jal, "d=0", "j", "a")
    A(jal, "d=1", "jal", "a")
    A(jalr, "d=0 s=1 i=0", "ret", "")
    A(jalr, "d=0 i=0", "jr", "s")
    A(jalr, "d=0", "jr", "o(s)")
    A(jalr, "d=1 i=0", "jalr", "s")
    A(jalr, "d=1", "jalr", "o(s)")
    A(jalr, "i=0", "jalr", "d,s")
    A(beq, "t=0", "beqz", "s,p")
    A(bne, "t=0", "bnez", "s,p")
    A(bge, "s=0", "blez", "t,p")
    A(bge, "t=0", "bgez", "s,p")
    A(blt, "t=0", "bltz", "s,p")
    A(blt, "s=0", "bgtz", "t,p")
    AC(c_addi, addi, "d=0 i=0", "nop", "")
    AC(c_addi, addi, "d=0", "c.nop", "j") /* HINT */
    AC(c_addi, addi, "", "add", "d,s,j") /* also for imm 0 (a HINT): never "mv" */
    AC(c_li, addi, "d=0", "c.li", "d,j") /* HINT */
    A(addi, "d=0 s=0 i=0", "nop", "")
    A(addi, "s=0", "li", "d,j")
    A(addi, "i=0", "mv", "d,s")
    A(addi, "", "add", NULL)
    A(sltiu, "i=1", "seqz", "d,s")
    A(xori, "i=-1", "not", "d,s")
    A(xori, "", "xor", NULL)
    A(ori, "", "or", NULL)
    A(andi, "i=255", "zext.b", "d,s")
    A(andi, "", "and", NULL)
    AC(c_slli, slli, "i=0", "c.slli64", "d") /* HINT */
    AC(c_slli, slli, "d=0", "c.slli", "d,>") /* HINT */
    A(slli, "", "sll", NULL)
    AC(c_srli, srli, "i=0", "c.srli64", "d") /* HINT */
    A(srli, "", "srl", NULL)
    AC(c_srai, srai, "i=0", "c.srai64", "d") /* HINT */
    A(srai, "", "sra", NULL)
    AC(c_lui, lui, "d=0", "c.lui", "d,u") /* HINT */
    AC(c_mv, add, "d=0", "c.mv", "d,t") /* HINT */
    AC(c_mv, add, "", "mv", "d,t")
    AC(c_add, add, "d=0", "c.add", "d,t") /* HINT */
    A(sub, "s=0", "neg", "d,t")
    A(slt, "t=0", "sltz", "d,s")
    A(slt, "s=0", "sgtz", "d,t")
    A(sltu, "s=0", "snez", "d,t")
    A(addiw, "i=0", "sext.w", "d,s")
    A(addiw, "", "addw", NULL)
    A(slliw, "", "sllw", NULL)
    A(srliw, "", "srlw", NULL)
    A(sraiw, "", "sraw", NULL)
    A(subw, "s=0", "negw", "d,t")
    /* FENCE: binutils knows only fm=0 with rd=rs1=0, and FENCE.TSO. */
    A(fence, "[31:20]=0x833 d=0 s=0", "fence.tso", "")
    DATA(fence, "[31:28]!0")
    DATA(fence, "d!0")
    DATA(fence, "s!0")
    A(fence, "[27:20]=0xff", "fence", "")
    DATA(fence_i, "d!0")
    DATA(fence_i, "s!0")
    DATA(fence_i, "[31:20]!0")

    /* Zicsr */
    A(csrrw, "d=0 s=0 [31:20]=0xc00", "unimp", "")
    A(csrrw, "d=0 [31:20]=3", "fscsr", "s")
    A(csrrw, "[31:20]=3", "fscsr", "d,s")
    A(csrrw, "d=0 [31:20]=2", "fsrm", "s")
    A(csrrw, "[31:20]=2", "fsrm", "d,s")
    A(csrrw, "d=0 [31:20]=1", "fsflags", "s")
    A(csrrw, "[31:20]=1", "fsflags", "d,s")
    A(csrrw, "d=0", "csrw", "E,s")
    A(csrrs, "s=0 [31:20]=0xc00", "rdcycle", "d")
    A(csrrs, "s=0 [31:20]=0xc01", "rdtime", "d")
    A(csrrs, "s=0 [31:20]=0xc02", "rdinstret", "d")
    A(csrrs, "s=0 [31:20]=3", "frcsr", "d")
    A(csrrs, "s=0 [31:20]=2", "frrm", "d")
    A(csrrs, "s=0 [31:20]=1", "frflags", "d")
    A(csrrs, "s=0", "csrr", "d,E")
    A(csrrs, "d=0", "csrs", "E,s")
    A(csrrc, "d=0", "csrc", "E,s")
    A(csrrwi, "[31:20]=2", "fsrmi", "d,Z")
    A(csrrwi, "[31:20]=1", "fsflagsi", "d,Z")
    A(csrrwi, "d=0", "csrw", "E,Z")
    A(csrrwi, "", "csrrw", NULL)
    A(csrrsi, "d=0", "csrs", "E,Z")
    A(csrrsi, "", "csrrs", NULL)
    A(csrrci, "d=0", "csrc", "E,Z")
    A(csrrci, "", "csrrc", NULL)

    /* F and D */
    A(fsgnj_s, "s=t", "fmv.s", "D,S")
    A(fsgnjn_s, "s=t", "fneg.s", "D,S")
    A(fsgnjx_s, "s=t", "fabs.s", "D,S")
    A(fsgnj_d, "s=t", "fmv.d", "D,S")
    A(fsgnjn_d, "s=t", "fneg.d", "D,S")
    A(fsgnjx_d, "s=t", "fabs.d", "D,S")
    /* Exact conversions: binutils 2.40 accepts only rm=0 and prints none. */
    DATA(fcvt_d_s, "m!0")
    A(fcvt_d_s, "", NULL, "D,S")
    DATA(fcvt_d_w, "m!0")
    A(fcvt_d_w, "", NULL, "D,s")
    DATA(fcvt_d_wu, "m!0")
    A(fcvt_d_wu, "", NULL, "D,s")

    /* Zba, Zbb, Zbs */
    A(add_uw, "t=0", "zext.w", "d,s")
    A(rori, "", "ror", NULL)
    A(roriw, "", "rorw", NULL)
    A(bclri, "", "bclr", NULL)
    A(bexti, "", "bext", NULL)
    A(binvi, "", "binv", NULL)
    A(bseti, "", "bset", NULL)
};

/* aliases[] rows of each insns.def row: [first, first + count). */
static uint16_t alias_first[RV_N_INSNS], alias_count[RV_N_INSNS];

__attribute__((constructor)) static void init_aliases(void)
{
    for (size_t i = sizeof aliases / sizeof aliases[0]; i-- > 0;) {
        alias_first[aliases[i].id] = (uint16_t)i;
        alias_count[aliases[i].id]++;
    }
}

static int64_t field(const struct rv_decoded *d, const char **pp)
{
    const char *p = *pp;
    int64_t v = 0;
    if (*p == '[') {
        char *end;
        unsigned hi = (unsigned)strtoul(p + 1, &end, 10);
        unsigned lo = (unsigned)strtoul(end + 1, &end, 10);
        *pp = end + 1;
        return (d->word >> lo) & ((1ull << (hi - lo + 1)) - 1);
    }
    switch (*p) {
    case 'd': v = d->rd; break;
    case 's': v = d->rs1; break;
    case 't': v = d->rs2; break;
    case 'r': v = d->rs3; break;
    case 'i': v = d->imm; break;
    case 'm': v = d->rm; break;
    }
    *pp = p + 1;
    return v;
}

static int holds(const struct rv_decoded *d, const char *when)
{
    const char *p = when;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        int64_t lhs = field(d, &p), rhs;
        char op = *p++;
        if ((*p >= '0' && *p <= '9') || *p == '-') {
            char *end;
            rhs = strtoll(p, &end, 0);
            p = end;
        } else {
            rhs = field(d, &p);
        }
        if ((op == '=') != (lhs == rhs)) return 0;
    }
    return 1;
}

/* ---- printing ---- */

static void put_operands(struct out *o, const char *ops, const struct rv_decoded *d, uint64_t pc)
{
    for (const char *p = ops; *p; p++) {
        switch (*p) {
        case 'd': put(o, "%s", rv_xreg_names[d->rd]); break;
        case 's': put(o, "%s", rv_xreg_names[d->rs1]); break;
        case 't': put(o, "%s", rv_xreg_names[d->rs2]); break;
        case 'D': put(o, "%s", rv_freg_names[d->rd]); break;
        case 'S': put(o, "%s", rv_freg_names[d->rs1]); break;
        case 'T': put(o, "%s", rv_freg_names[d->rs2]); break;
        case 'R': put(o, "%s", rv_freg_names[d->rs3]); break;
        case 'j': case 'o': case 'q': put(o, "%lld", (long long)d->imm); break;
        case 'p': case 'a': put(o, "%llx", (unsigned long long)(pc + (uint64_t)d->imm)); break;
        case 'u': put(o, "0x%llx", (unsigned long long)(((uint64_t)d->imm >> 12) & 0xfffff)); break;
        case '>': case '<': put(o, "0x%llx", (unsigned long long)d->imm); break;
        case 'E': put_csr(o, (unsigned)d->imm & 0xfff); break;
        case 'Z': put(o, "%u", d->rs1); break;
        case 'm': put(o, "%s", rm_names[d->rm & 7]); break;
        case 'f':
            put(o, "%s,%s", fence_sets[(d->word >> 24) & 15], fence_sets[(d->word >> 20) & 15]);
            break;
        case '0': break; /* binutils prints "(rs1)", not "0(rs1)" */
        case ',':
            /* the dynamic rounding mode is the default and not printed */
            if (p[1] == 'm' && d->rm == 7) {
                p++;
                break;
            }
            put(o, ",");
            break;
        default: put(o, "%c", *p); break;
        }
    }
}

static const struct alias *find_alias(const struct rv_decoded *d)
{
    for (unsigned i = alias_first[d->id], n = alias_count[d->id]; n; i++) {
        const struct alias *a = &aliases[i];
        if (a->id != d->id) continue; /* rows of one id need not be adjacent */
        n--;
        if (a->form >= 0 && a->form != d->cid) continue;
        if (holds(d, a->when)) return a;
    }
    return NULL;
}

/*
 * See isa.h. pc is the guest address of the instruction (branch and jump
 * targets are printed as absolute hex addresses, like objdump does). Never
 * fails: an illegal encoding prints as objdump's data directive
 * (".4byte\t0x..."). Returns the untruncated length, like snprintf.
 */
int rv_disas(const struct rv_decoded *d, uint64_t pc, char *buf, size_t buflen)
{
    struct out o = {buf, buflen, 0};
    if (buflen) buf[0] = 0;
    if (d->id >= RV_N_INSNS && d->len == 2 && d->raw == 0) {
        /* the all-zero parcel, defined to be illegal forever */
        put(&o, "unimp");
        return (int)o.len;
    }
    const struct alias *a = d->id < RV_N_INSNS ? find_alias(d) : NULL;
    if (d->id >= RV_N_INSNS || (a && a->name == UNKNOWN)) {
        put(&o, ".%ubyte\t0x%x", d->len == 2 ? 2u : 4u, d->raw);
        return (int)o.len;
    }
    const struct rv_insn_desc *r = &rv_insns[d->id];
    const char *name = a && a->name ? a->name : r->name;
    const char *ops = a && a->ops ? a->ops : r->operands;
    put(&o, "%s", name);
    if (r->ext == RV_EXT_A) {
        /* aq/rl are ordering bits of every AMO row; binutils spells them as
         * mnemonic suffixes */
        static const char *const aqrl[4] = {"", ".rl", ".aq", ".aqrl"};
        put(&o, "%s", aqrl[(d->word >> 25) & 3]);
    }
    if (*ops) {
        put(&o, "\t");
        put_operands(&o, ops, d, pc);
    }
    return (int)o.len;
}
