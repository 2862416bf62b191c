/*
 * test_qemu_bitmanip.c - differential test of reprise's VM against QEMU 7.2
 * user mode (qemu-riscv64) for what Unicorn 2.0.1 lacks or gets wrong:
 * Zba/Zbb/Zbs, and F/D where test_unicorn.c has to work around Unicorn
 * (NaN-boxing, fmin/fmax of signalling NaNs, fused multiply-add of inf*0
 * plus a quiet NaN).
 *
 * Cases are random sequences of 8-32 instructions from the instruction
 * table (diffgen.c): two cases in three draw most of their instructions from
 * Zba/Zbb/Zbs, the third from F/D, the rest from RV64I/M/F/D and compressed
 * encodings; no memory accesses, CSRs or illegal encodings (an exception
 * would end the QEMU process), forward branches and jal only.
 *
 * All cases of a batch go into one static riscv64 ELF generated as assembly:
 * for each case, load f0-f31, fcsr and x1-x30 from an input table, run the
 * sequence (its exact bytes, as .2byte/.4byte), store x1-x30, f0-f31 and fcsr
 * to a results area; at the end write the results to stdout (write, a7=64)
 * and exit (a7=93). x31 holds the table pointers, so sequences never touch
 * it. Each case sits at a fixed address (section .cases at 0x1000000, one
 * 768-byte slot per case, laid out with .org), so pc-relative results
 * (auipc, jal links) are the same in reprise, which runs the same bytes at
 * the same addresses through the VM API from the same registers.
 *
 * Tools: riscv64-linux-gnu-gcc (-nostdlib -static
 * -march=rv64gc_zba_zbb_zbs) and qemu-riscv64 -cpu rv64,zba=true,zbb=true,
 * zbs=true; override with RISCV_GCC and QEMU_RISCV64. Exit status 77
 * (skipped) when they are missing.
 *
 * ORACLE DEVIATIONS (QEMU 7.2), checked against the ratified spec; reprise
 * is not weakened, the case is skipped (detected by an instrumentation
 * callback in reprise, which sees the operands the instruction reads):
 * CTZW     ctzw of a value whose low word is zero but whose upper word is
 *          not: QEMU 7.2 counts the trailing zeros of the whole 64-bit
 *          register (0x8000000000000000 gives 63; its trans_ctzw does not
 *          switch to 32-bit operand length, so the zero-extension of rs1 is
 *          skipped). Bit-manipulation ISA-extensions v1.0.0, ctzw: counts the
 *          trailing zeros of the least-significant word, 32 if it is zero.
 *
 * Usage: test_qemu_bitmanip [--seed N] [--count N] [--only K] [--verbose]
 * REPRISE_LONG_TESTS=1 runs 10x the count; TEST_QEMU_KEEP=1 keeps the
 * generated files. The last line of output is "N passed, N failed, N
 * skipped"; the exit status is 1 on any failure.
 */
#include "diffgen.h"

#include "cpu.h"
#include "isa.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CASES_BASE 0x1000000ull
#define STRIDE 768u     /* bytes per case slot */
#define PRO 288u        /* offset of the sequence in its slot (after the loads) */
#define BATCH 5000u     /* cases per ELF */
#define REC 66u         /* 64-bit words per register record: x[32], f[32], fcsr, pad */
#define SEQ_MIN 8
#define SEQ_MAX 32
#define MAGIC 0x5245505249534521ull
#define EBREAK 0x00100073u

struct regs {
    uint64_t x[32], f[32];
    unsigned fflags, frm;
};

struct qcase {
    uint64_t index;
    unsigned slot;      /* index within the batch: fixes the address */
    int fp;             /* F/D-focused */
    struct dg_seq seq;
    struct regs init;
};

static uint64_t opt_seed = 1;
static int opt_verbose;
static const char *gcc_tool = "riscv64-linux-gnu-gcc";
static const char *qemu_tool = "qemu-riscv64";
static char tmpdir[64];
static unsigned long n_pass, n_fail, n_skip, shown, max_shown = 10;
static int deviation; /* set by the instrumentation callback: a known QEMU deviation ran */
static unsigned long n_ctzw;
/* Executions of what test_unicorn.c has to work around in Unicorn, checked
 * here against QEMU 7.2 instead. */
static unsigned long ev_unbox, ev_minmax_snan, ev_fma_inf0_qnan;

static int snan64(uint64_t v) { return (v & 0x7ff8000000000000ull) == 0x7ff0000000000000ull && (v << 12); }
static int snan32(uint32_t v) { return (v & 0x7fc00000u) == 0x7f800000u && (v << 9); }
static int qnan64(uint64_t v) { return (v & 0x7ff8000000000000ull) == 0x7ff8000000000000ull; }
static int qnan32(uint32_t v) { return (v & 0x7fc00000u) == 0x7fc00000u; }
static int inf0_64(uint64_t a, uint64_t b)
{
    a <<= 1, b <<= 1;
    return (a == 0xffe0000000000000ull && b == 0) || (a == 0 && b == 0xffe0000000000000ull);
}
static int inf0_32(uint32_t a, uint32_t b)
{
    a <<= 1, b <<= 1;
    return (a == 0xff000000u && b == 0) || (a == 0 && b == 0xff000000u);
}
static uint32_t unbox(uint64_t v) { return (v >> 32) == 0xffffffffu ? (uint32_t)v : 0x7fc00000u; }

/* Instrumentation callback before instructions of interest: QEMU's known
 * deviations (skip the case) and events worth counting. */
static void dev_cb(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    (void)udata;
    (void)icount;
    uint32_t bits = 0;
    struct rv_decoded d;
    vm_peek(cpu->vm, pc, &bits, 4);
    if (rv_decode(bits, &d)) return;
    uint64_t *f = cpu->f;
    const struct dg_row *g = &dg_rows[d.id];
    unsigned src[3] = { d.rs1, d.rs2, d.rs3 };
    for (int k = 0; k < 3; k++)
        if (((g->a32src >> k) & 1) && (f[src[k]] >> 32) != 0xffffffffu) ev_unbox++;
    switch (d.id) {
    case RV_ctzw: {
        uint64_t v = cpu->x[d.rs1];
        if ((uint32_t)v == 0 && v != 0) deviation = 1; /* CTZW */
        break;
    }
    case RV_fmin_s: case RV_fmax_s:
        ev_minmax_snan += snan32(unbox(f[d.rs1])) || snan32(unbox(f[d.rs2]));
        break;
    case RV_fmin_d: case RV_fmax_d:
        ev_minmax_snan += snan64(f[d.rs1]) || snan64(f[d.rs2]);
        break;
    case RV_fmadd_s: case RV_fmsub_s: case RV_fnmsub_s: case RV_fnmadd_s:
        ev_fma_inf0_qnan += inf0_32(unbox(f[d.rs1]), unbox(f[d.rs2])) && qnan32(unbox(f[d.rs3]));
        break;
    case RV_fmadd_d: case RV_fmsub_d: case RV_fnmsub_d: case RV_fnmadd_d:
        ev_fma_inf0_qnan += inf0_64(f[d.rs1], f[d.rs2]) && qnan64(f[d.rs3]);
        break;
    default:
        break;
    }
}

static void dev_translate(void *ctx, struct vm_tb_desc *tb)
{
    (void)ctx;
    for (unsigned i = 0; i < tb->n_insns; i++) {
        unsigned id = tb->insns[i].id;
        if (id == RV_ctzw || (id < RV_N_INSNS && dg_rows[id].fsrc)) tb->insns[i].exec_cb = dev_cb;
    }
}
static unsigned long row_runs[RV_N_INSNS];

static uint64_t seq_addr(unsigned slot) { return CASES_BASE + (uint64_t)slot * STRIDE + PRO; }

static void make_case(uint64_t index, struct qcase *c)
{
    struct dg_rng r = dg_rng_for(opt_seed ^ 0x71656d75ull, index);
    memset(c, 0, sizeof *c);
    c->index = index;
    c->slot = (unsigned)(index % BATCH);
    c->fp = index % 3 == 2;
    struct dg_opts o = {
        .exts = DG_EXT(I) | DG_EXT(M) | DG_EXT(F) | DG_EXT(D) | DG_EXT(C) | DG_EXT(Zba) |
                DG_EXT(Zbb) | DG_EXT(Zbs),
        .p_rvc = 150,
        .memory = 0,
        .no_write = 1u << 31,
        .no_read = 1u << 31,
        .min_insns = SEQ_MIN,
        .max_insns = SEQ_MAX,
        .p_control = 30,
        .focus_exts = c->fp ? DG_EXT(F) | DG_EXT(D) : DG_EXT(Zba) | DG_EXT(Zbb) | DG_EXT(Zbs),
        .p_focus = 650,
    };
    dg_generate(&r, &o, &c->seq);
    for (int i = 1; i < 31; i++) c->init.x[i] = dg_xvalue(&r);
    for (int i = 0; i < 32; i++) c->init.f[i] = dg_fvalue(&r, 0);
    if (c->fp) {
        /* A dense pool of specials, so that combinations meet (inf*0+NaN,
         * min/max of NaNs and zeros). */
        static const uint64_t pool64[] = { 0, 1ull << 63, 0x7ff0000000000000ull, 0xfff0000000000000ull,
                                           0x7ff8000000000000ull, 0x7ff4000000000000ull,
                                           0x3ff0000000000000ull, 0x0000000000000001ull };
        static const uint32_t pool32[] = { 0, 1u << 31, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                           0x7fa00000u, 0x3f800000u, 0x00000001u };
        for (int i = 0; i < 32; i++) {
            if (dg_below(&r, 3)) continue;
            unsigned k = (unsigned)dg_below(&r, 8);
            c->init.f[i] = dg_below(&r, 2) ? pool64[k] : 0xffffffff00000000ull | pool32[k];
        }
    }
    c->init.fflags = dg_below(&r, 4) ? 0 : (unsigned)dg_below(&r, 32);
    c->init.frm = (unsigned)dg_below(&r, 5); /* valid: a dynamic rm must not trap here */
}

/* ---- tools ---- */

static int in_path(const char *tool)
{
    if (strchr(tool, '/')) return access(tool, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) return 0;
    char buf[4096];
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n && n + strlen(tool) + 2 < sizeof buf) {
            memcpy(buf, p, n);
            buf[n] = '/';
            strcpy(buf + n + 1, tool);
            if (access(buf, X_OK) == 0) return 1;
        }
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* Runs argv with stdout to out_path (or inherited if NULL) and stderr to
 * err_path; kills it after `secs`. Returns the exit status, or -1. */
static int run_tool(char *const argv[], const char *out_path, const char *err_path, unsigned secs)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (out_path) {
            int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, 1) < 0) _exit(127);
            close(fd);
        }
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        alarm(secs);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

static void show_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    for (int n = 0; n < 30 && fgets(line, sizeof line, f); n++) fprintf(stdout, "    | %s", line);
    fclose(f);
}

/* ---- the program ---- */

static void emit_program(FILE *s, const struct qcase *cs, unsigned n)
{
    fprintf(s, "# generated by test_qemu_bitmanip (seed %" PRIu64 ")\n", opt_seed);
    fprintf(s, "\t.option norvc\n\t.option norelax\n");
    fprintf(s, "\t.macro LOADREGS in\n\tlla x31, \\in\n");
    for (int i = 0; i < 32; i++) fprintf(s, "\tfld f%d, %d(x31)\n", i, 8 * (32 + i));
    fprintf(s, "\tld x5, %d(x31)\n\tfscsr x0, x5\n", 8 * 64);
    for (int i = 1; i < 31; i++) fprintf(s, "\tld x%d, %d(x31)\n", i, 8 * i);
    fprintf(s, "\t.endm\n");
    fprintf(s, "\t.macro SAVEREGS out\n\tlla x31, \\out\n");
    for (int i = 1; i < 31; i++) fprintf(s, "\tsd x%d, %d(x31)\n", i, 8 * i);
    for (int i = 0; i < 32; i++) fprintf(s, "\tfsd f%d, %d(x31)\n", i, 8 * (32 + i));
    fprintf(s, "\tfrcsr x5\n\tsd x5, %d(x31)\n\t.endm\n", 8 * 64);

    fprintf(s, "\t.text\n\t.globl _start\n_start:\n\tlla x31, case_%u\n\tjr x31\n", cs[0].slot);
    fprintf(s, "done:\n"
               "\tli a0, 1\n\tlla a1, header\n\tli a2, 16\n\tli a7, 64\n\tecall\n"
               "\tlla s0, results\n\tli s1, %u\n"
               "1:\tli a0, 1\n\tmv a1, s0\n\tmv a2, s1\n\tli a7, 64\n\tecall\n"
               "\tblez a0, 2f\n\tadd s0, s0, a0\n\tsub s1, s1, a0\n\tbnez s1, 1b\n"
               "\tli a0, 0\n\tli a7, 93\n\tecall\n"
               "2:\tli a0, 3\n\tli a7, 93\n\tecall\n",
            n * REC * 8);

    fprintf(s, "\t.section .cases, \"ax\"\ncases_start:\n");
    for (unsigned k = 0; k < n; k++) {
        const struct qcase *c = &cs[k];
        fprintf(s, "\t.org %u\ncase_%u:\n\tLOADREGS inputs+%u\n\tj seq_%u\n\t.org %u\nseq_%u:\n",
                c->slot * STRIDE, c->slot, k * REC * 8, c->slot, c->slot * STRIDE + PRO, c->slot);
        for (int i = 0; i < c->seq.n; i++) {
            const struct dg_insn *in = &c->seq.in[i];
            fprintf(s, in->len == 2 ? "\t.2byte 0x%04x\n" : "\t.4byte 0x%08x\n", in->bits);
        }
        fprintf(s, "\tSAVEREGS results+%u\n", k * REC * 8);
        if (k + 1 < n) fprintf(s, "\tj case_%u\n", cs[k + 1].slot);
        else fprintf(s, "\tlla x31, done\n\tjr x31\n");
    }

    fprintf(s, "\t.data\n\t.balign 8\nheader:\n\t.8byte 0x%llx, cases_start\ninputs:\n",
            (unsigned long long)MAGIC);
    for (unsigned k = 0; k < n; k++) {
        const struct regs *r = &cs[k].init;
        uint64_t v[REC] = { 0 };
        memcpy(v, r->x, sizeof r->x);
        memcpy(v + 32, r->f, sizeof r->f);
        v[0] = v[31] = 0;
        v[64] = r->frm << 5 | r->fflags;
        for (unsigned i = 0; i < REC; i += 6) {
            fprintf(s, "\t.8byte ");
            for (unsigned j = i; j < i + 6 && j < REC; j++)
                fprintf(s, "%s0x%llx", j > i ? ", " : "", (unsigned long long)v[j]);
            fprintf(s, "\n");
        }
    }
    fprintf(s, "\t.bss\n\t.balign 8\nresults:\n\t.zero %u\n", n * REC * 8);
}

/* Builds and runs one batch; fills out[n] with QEMU's final registers.
 * Returns 0, or -1 after printing why. */
static int run_qemu(const struct qcase *cs, unsigned n, struct regs *out)
{
    char src[96], elf[96], res[96], err[96];
    snprintf(src, sizeof src, "%s/cases.S", tmpdir);
    snprintf(elf, sizeof elf, "%s/cases.elf", tmpdir);
    snprintf(res, sizeof res, "%s/results.bin", tmpdir);
    snprintf(err, sizeof err, "%s/stderr.txt", tmpdir);
    FILE *s = fopen(src, "w");
    if (!s) {
        printf("cannot write %s: %s\n", src, strerror(errno));
        return -1;
    }
    emit_program(s, cs, n);
    if (fclose(s)) {
        printf("cannot write %s\n", src);
        return -1;
    }
    char sect[64];
    snprintf(sect, sizeof sect, "-Wl,--section-start=.cases=0x%llx", (unsigned long long)CASES_BASE);
    char *cc[] = { (char *)gcc_tool, "-nostdlib", "-static", "-march=rv64gc_zba_zbb_zbs",
                   "-mabi=lp64d", "-mno-relax", sect, "-o", elf, src, NULL };
    int st = run_tool(cc, NULL, err, 300);
    if (st) {
        printf("%s failed (status %d):\n", gcc_tool, st);
        show_file(err);
        return -1;
    }
    char *qm[] = { (char *)qemu_tool, "-cpu", "rv64,zba=true,zbb=true,zbs=true", elf, NULL };
    st = run_tool(qm, res, err, 300);
    if (st) {
        printf("%s failed (status %d):\n", qemu_tool, st);
        show_file(err);
        return -1;
    }
    FILE *f = fopen(res, "rb");
    uint64_t hdr[2];
    size_t want = (size_t)n * REC;
    uint64_t *buf = malloc(want * 8);
    int ok = f && buf && fread(hdr, 8, 2, f) == 2 && fread(buf, 8, want, f) == want;
    if (f) fclose(f);
    if (!ok || hdr[0] != MAGIC || hdr[1] != CASES_BASE) {
        printf("unexpected output from %s (header %s, section at %#llx)\n", qemu_tool,
               ok && hdr[0] == MAGIC ? "ok" : "bad", ok ? (unsigned long long)hdr[1] : 0ull);
        free(buf);
        return -1;
    }
    for (unsigned k = 0; k < n; k++) {
        const uint64_t *v = buf + (size_t)k * REC;
        memset(&out[k], 0, sizeof out[k]);
        memcpy(out[k].x, v, sizeof out[k].x);
        memcpy(out[k].f, v + 32, sizeof out[k].f);
        out[k].x[0] = out[k].x[31] = 0;
        out[k].fflags = v[64] & 0x1f;
        out[k].frm = (v[64] >> 5) & 7;
    }
    free(buf);
    return 0;
}

/* ---- reprise ---- */

/* Runs one case; returns 0, or -1 with *why set if it did not end normally. */
static int run_reprise(struct vm *vm, struct vm_cpu *cpu, const struct qcase *c, struct regs *out,
                       char *why, size_t whylen)
{
    uint8_t code[4 * SEQ_MAX + 4];
    uint32_t eb = EBREAK;
    dg_emit(&c->seq, code);
    memcpy(code + c->seq.size, &eb, 4);
    uint64_t begin = seq_addr(c->slot), end = begin + c->seq.size;
    vm_poke(vm, begin, code, c->seq.size + 4);
    memcpy(cpu->x, c->init.x, sizeof c->init.x);
    cpu->x[31] = 0;
    memcpy(cpu->f, c->init.f, sizeof c->init.f);
    cpu->fflags = c->init.fflags;
    cpu->frm = c->init.frm;
    cpu->pc = begin;
    cpu->icount = 0;
    cpu->res_valid = 0;
    struct vm_exit ex;
    deviation = 0;
    int r = vm_run(cpu, (uint64_t)c->seq.n + 1, &ex);
    memset(out, 0, sizeof *out);
    memcpy(out->x, cpu->x, sizeof out->x);
    memcpy(out->f, cpu->f, sizeof out->f);
    out->x[0] = out->x[31] = 0;
    out->fflags = cpu->fflags;
    out->frm = cpu->frm;
    if (r < 0) {
        snprintf(why, whylen, "vm_run failed: %s", strerror(-r));
        return -1;
    }
    if (ex.reason != VM_EXIT_EXCEPTION || ex.pc != end || ex.cause != RV_EXC_BREAKPOINT) {
        if (ex.reason == VM_EXIT_EXCEPTION)
            snprintf(why, whylen, "exception cause %u at pc %#" PRIx64 " (tval %#" PRIx64 ")", ex.cause,
                     ex.pc, ex.tval);
        else
            snprintf(why, whylen, "stopped at pc %#" PRIx64 " without reaching the end", cpu->pc);
        return -1;
    }
    return 0;
}

/* ---- comparison ---- */

static int compare(const struct qcase *c, const struct regs *a, const struct regs *q, int print)
{
    int nd = 0;
#define DIFF(...) do { nd++; if (print) printf(__VA_ARGS__); } while (0)
    for (int i = 1; i < 31; i++)
        if (a->x[i] != q->x[i])
            DIFF("    %-4s reprise %016" PRIx64 "  qemu %016" PRIx64 "  (initial %016" PRIx64 ")\n",
                 rv_xreg_names[i], a->x[i], q->x[i], c->init.x[i]);
    for (int i = 0; i < 32; i++)
        if (a->f[i] != q->f[i])
            DIFF("    %-4s reprise %016" PRIx64 "  qemu %016" PRIx64 "  (initial %016" PRIx64 ")\n",
                 rv_freg_names[i], a->f[i], q->f[i], c->init.f[i]);
    if (a->fflags != q->fflags)
        DIFF("    fflags reprise %02x  qemu %02x  (initial %02x)\n", a->fflags, q->fflags, c->init.fflags);
    if (a->frm != q->frm) DIFF("    frm reprise %u  qemu %u  (initial %u)\n", a->frm, q->frm, c->init.frm);
#undef DIFF
    return nd;
}

static void print_regs(const char *indent, const struct regs *s)
{
    for (int i = 1; i < 31; i++)
        printf("%s%-4s %016" PRIx64 "%s", i % 4 == 1 ? indent : "", rv_xreg_names[i], s->x[i],
               i % 4 == 0 || i == 30 ? "\n" : "  ");
    for (int i = 0; i < 32; i++)
        printf("%s%-4s %016" PRIx64 "%s", i % 4 == 0 ? indent : "", rv_freg_names[i], s->f[i],
               i % 4 == 3 ? "\n" : "  ");
    printf("%sfflags %02x  frm %u\n", indent, s->fflags, s->frm);
}

static void check_case(struct vm *vm, struct vm_cpu *cpu, const struct qcase *c, const struct regs *q,
                       const char *argv0)
{
    struct regs a;
    char why[160] = "";
    int bad = run_reprise(vm, cpu, c, &a, why, sizeof why);
    for (int i = 0; i < c->seq.n; i++)
        if (c->seq.in[i].d.id < RV_N_INSNS) row_runs[c->seq.in[i].d.id]++;
    int nd = compare(c, &a, q, 0);
    if (!bad && nd && deviation) {
        n_skip++;
        n_ctzw++;
        if (opt_verbose) printf("case %" PRIu64 ": skipped (ctzw, QEMU 7.2 deviation)\n", c->index);
        return;
    }
    if (!bad && !nd) {
        n_pass++;
        if (opt_verbose) printf("case %" PRIu64 ": ok\n", c->index);
        if (!opt_verbose) return;
    } else {
        n_fail++;
        if (shown++ >= max_shown && !opt_verbose) return;
        printf("FAIL seed %" PRIu64 " case %" PRIu64 " (%s): %d instructions at %#" PRIx64 "\n", opt_seed,
               c->index, c->fp ? "F/D" : "Zb*", c->seq.n, seq_addr(c->slot));
    }
    dg_print(stdout, &c->seq, seq_addr(c->slot), "    ");
    if (bad) printf("    reprise: %s\n", why);
    compare(c, &a, q, 1);
    if (opt_verbose) {
        printf("    initial state:\n");
        print_regs("      ", &c->init);
        printf("    final state (qemu):\n");
        print_regs("      ", q);
    }
    if (bad || nd)
        printf("    rerun: %s --seed %" PRIu64 " --only %" PRIu64 " --verbose\n", argv0, opt_seed, c->index);
}

static void cleanup(void)
{
    if (!tmpdir[0] || getenv("TEST_QEMU_KEEP")) return;
    const char *names[] = { "cases.S", "cases.elf", "results.bin", "stderr.txt" };
    char p[128];
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    uint64_t count = 5000, only = 0;
    int have_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) opt_seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = strtoull(argv[++i], NULL, 0), have_only = 1;
        else if (!strcmp(argv[i], "--verbose")) opt_verbose = 1;
        else {
            fprintf(stderr, "usage: %s [--seed N] [--count N] [--only K] [--verbose]\n", argv[0]);
            return 2;
        }
    }
    const char *lt = getenv("REPRISE_LONG_TESTS");
    if (lt && *lt && strcmp(lt, "0")) count *= 10;
    if (getenv("RISCV_GCC")) gcc_tool = getenv("RISCV_GCC");
    if (getenv("QEMU_RISCV64")) qemu_tool = getenv("QEMU_RISCV64");
    if (!in_path(gcc_tool) || !in_path(qemu_tool)) {
        printf("test_qemu_bitmanip: skipped: needs %s and %s (set RISCV_GCC / QEMU_RISCV64)%s%s\n",
               gcc_tool, qemu_tool, in_path(gcc_tool) ? "" : "; missing the cross gcc",
               in_path(qemu_tool) ? "" : "; missing qemu-user");
        return 77;
    }
    dg_init();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/reprise-qbm-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    atexit(cleanup);
    printf("test_qemu_bitmanip: %s, seed %" PRIu64 ", %" PRIu64 " cases\n", qemu_tool, opt_seed,
           have_only ? 1 : count);

    struct vm *vm;
    char err[256];
    static const struct vm_instrument ins = { .translate = dev_translate };
    struct vm_config cfg = { .instrument = &ins };
    if (vm_create(&cfg, &vm, err, sizeof err)) {
        fprintf(stderr, "vm_create: %s\n", err);
        return 2;
    }
    struct vm_cpu *cpu = vm_cpu_create(vm);
    uint64_t span = ((uint64_t)BATCH * STRIDE + VM_PAGE_SIZE - 1) & ~(uint64_t)(VM_PAGE_SIZE - 1);
    if (!cpu || vm_map(vm, CASES_BASE, span, VM_PROT_READ | VM_PROT_EXEC)) {
        fprintf(stderr, "vm setup failed\n");
        return 2;
    }

    struct qcase *cs = calloc(BATCH, sizeof *cs);
    struct regs *qr = calloc(BATCH, sizeof *qr);
    if (!cs || !qr) return 2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t first = have_only ? only : 0, last = have_only ? only + 1 : count;
    int broken = 0;
    for (uint64_t b = first; b < last && !broken; b += BATCH) {
        unsigned n = (unsigned)(last - b < BATCH ? last - b : BATCH);
        for (unsigned k = 0; k < n; k++) make_case(b + k, &cs[k]);
        if (run_qemu(cs, n, qr)) {
            n_fail += n;
            broken = 1;
            break;
        }
        for (unsigned k = 0; k < n; k++) check_case(vm, cpu, &cs[k], &qr[k], argv[0]);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    unsigned nr = 0, tr = 0;
    char missing[1024] = "";
    for (unsigned i = 0; i < RV_N_INSNS; i++) {
        unsigned e = rv_insns[i].ext;
        if (e != RV_EXT_Zba && e != RV_EXT_Zbb && e != RV_EXT_Zbs) continue;
        tr++;
        if (row_runs[i]) nr++;
        else if (strlen(missing) + 20 < sizeof missing) strcat(strcat(missing, " "), rv_insns[i].name);
    }
    printf("%.1f s; Zba/Zbb/Zbs coverage: %u of %u rows%s%s\n", secs, nr, tr, *missing ? "; never:" : "",
           missing);
    if (n_fail > max_shown && !opt_verbose && !broken)
        printf("(%lu failures not shown)\n", n_fail - max_shown);
    printf("F/D behaviours Unicorn gets wrong, executed here: %lu improperly NaN-boxed operands, "
           "%lu fmin/fmax with sNaN, %lu fma inf*0+qNaN\n", ev_unbox, ev_minmax_snan, ev_fma_inf0_qnan);
    printf("skipped (oracle deviations): %lu ctzw with a zero low word (Zbb 1.0.0 ctzw)\n", n_ctzw);
    printf("%lu passed, %lu failed, %lu skipped\n", n_pass, n_fail, n_skip);
    free(cs);
    free(qr);
    vm_destroy(vm);
    return n_fail ? 1 : 0;
}
