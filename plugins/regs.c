/*
 * regs.c - the `regs` plugin: every register write by a guest instruction
 * (table `regs`): the instruction's icount, the register and the value it
 * holds after the instruction. Off unless named (-p regs): it costs a
 * callback on nearly every instruction. Built only against
 * <reprise/plugin.h>.
 *
 * The API reads registers before an instruction, never after, so a write
 * is kept pending per thread and its value read at the thread's next
 * instruction: every instruction that writes a register (reprise_insn_dest)
 * and every instruction that may follow one gets an execution callback
 * (the next one in the block, or the first of any block, since blocks end
 * at control flow). Other ways a thread stops between two instructions:
 *   - a synchronous signal at the pending instruction's pc means it did not
 *     complete (a fault): the write is dropped;
 *   - an asynchronous signal comes between instructions: the pending write
 *     is read in the signal callback, before the handler runs;
 *   - a system call entry, or the thread's exit, resolves it likewise;
 *   - the window end drops it (its value is never observed inside the
 *     window), and so do filters that hide the thread's next instruction
 *     (--pc, --sample, --function): a write is kept only when the next
 *     instruction seen comes at the next process icount or after the
 *     thread was switched back in.
 * What regs cannot see: registers the kernel writes (a0 on return from a
 * system call, all registers on signal delivery and sigreturn, a new
 * thread's registers at clone), and side effects beyond the one
 * destination register (fflags/fcsr updated by floating-point arithmetic).
 */
#include <reprise/plugin.h>

#include <stdlib.h>

static struct reprise_table *t_regs;
static struct reprise_host *host;

enum { R_ICOUNT, R_THREAD, R_REG, R_REGNO, R_VALUE };
static const struct reprise_column regs_cols[] = {
    { "icount", REPRISE_COL_INT },   /* the writing instruction */
    { "thread", REPRISE_COL_INT },
    { "reg", REPRISE_COL_TEXT },     /* ABI name: a0, sp, fa0, ... */
    { "regno", REPRISE_COL_INT },    /* 1..31 x1..x31, 33..64 f0..f31 */
    { "value", REPRISE_COL_INT },    /* after the instruction; f registers as raw bits */
};

/* ABI register names (RISC-V ELF psABI, "Register Convention"). */
static const char *const names[65] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2",
    "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
    "s10", "s11", "t3", "t4", "t5", "t6", "pc",
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* The write in flight of one thread. */
struct pending {
    uint32_t tid;
    unsigned reg;   /* 0: none */
    uint64_t icount, pc;
    bool resumed;   /* the thread was switched out and back in since */
};
static struct pending *pend;
static size_t n_pend, cap_pend;

static struct pending *pending_of(uint32_t tid)
{
    static size_t last;
    if (last < n_pend && pend[last].tid == tid) return &pend[last];
    for (size_t i = 0; i < n_pend; i++)
        if (pend[i].tid == tid) return &pend[last = i];
    if (n_pend == cap_pend) {
        size_t cap = cap_pend ? cap_pend * 2 : 8;
        struct pending *v = realloc(pend, cap * sizeof *v);
        if (!v) {
            reprise_error(host, "out of memory for %zu threads", n_pend);
            return NULL;
        }
        pend = v;
        cap_pend = cap;
    }
    pend[n_pend] = (struct pending){ .tid = tid };
    return &pend[last = n_pend++];
}

/* Writes the pending write of p with the value cpu holds now. */
static void resolve(struct pending *p, struct reprise_cpu *cpu)
{
    if (!p->reg) return;
    if (cpu) {
        reprise_row_int(t_regs, R_ICOUNT, (int64_t)p->icount);
        reprise_row_int(t_regs, R_THREAD, p->tid);
        reprise_row_text(t_regs, R_REG, names[p->reg]);
        reprise_row_int(t_regs, R_REGNO, p->reg);
        reprise_row_int(t_regs, R_VALUE, (int64_t)reprise_reg_read(cpu, p->reg));
        reprise_row_end(t_regs);
    }
    p->reg = 0;
}

static void on_exec(void *udata, const struct reprise_point *pt)
{
    struct pending *p = pending_of(pt->thread);
    if (!p) return;
    /* The next instruction of the thread comes at the next process icount
     * unless the thread was switched out in between. Otherwise filters
     * (--pc, --sample, --function) hid instructions of the thread, which
     * may have changed the register since: drop the write. */
    if (p->reg && pt->icount != p->icount + 1 && !p->resumed) p->reg = 0;
    resolve(p, pt->cpu);
    unsigned reg = (unsigned)(uintptr_t)udata;
    if (reg) {
        p->reg = reg;
        p->icount = pt->icount;
        p->pc = pt->pc;
        p->resumed = false;
    }
}

static void on_translate(void *udata, struct reprise_tb *tb)
{
    (void)udata;
    unsigned n = reprise_tb_n_insns(tb);
    bool prev_writes = true;   /* the first instruction may follow any write */
    for (unsigned i = 0; i < n; i++) {
        struct reprise_insn *in = reprise_tb_insn(tb, i);
        unsigned reg = reprise_insn_dest(in);
        if (reg >= sizeof names / sizeof *names || reg == 32) reg = 0;   /* not a data register */
        if (reg || prev_writes) reprise_insn_on_exec(in, on_exec, (void *)(uintptr_t)reg);
        prev_writes = reg != 0;
    }
}

static void on_signal(void *udata, const struct reprise_point *pt, const struct reprise_signal *sig)
{
    (void)udata;
    (void)sig;
    struct pending *p = pending_of(pt->thread);
    if (!p || !p->reg) return;
    if (pt->pc == p->pc) p->reg = 0;   /* synchronous: the instruction did not complete */
    else resolve(p, pt->cpu);
}

static void on_syscall(void *udata, const struct reprise_point *pt, const struct reprise_syscall *sc)
{
    (void)udata;
    (void)sc;
    struct pending *p = pending_of(pt->thread);
    if (p) resolve(p, pt->cpu);
}

static void on_thread(void *udata, const struct reprise_point *pt, const struct reprise_thread *ev)
{
    (void)udata;
    struct pending *p = pending_of(pt->thread);
    if (!p) return;
    if (ev->event == REPRISE_THREAD_SWITCH) p->resumed = true;
    if (ev->event == REPRISE_THREAD_EXIT) resolve(p, pt->cpu);
}

static void finish(void *udata)
{
    (void)udata;
    free(pend);
    pend = NULL;
    n_pend = cap_pend = 0;
}

static int install(struct reprise_host *h)
{
    host = h;
    t_regs = reprise_table_declare(h, "regs", regs_cols, 5);
    if (!t_regs) return -1;
    reprise_table_index(t_regs, "icount");
    reprise_on_translate(h, on_translate, NULL);
    reprise_on_signal(h, on_signal, NULL);
    reprise_on_syscall_enter(h, on_syscall, NULL);
    reprise_on_thread(h, on_thread, NULL);
    reprise_on_finish(h, finish, NULL);
    return 0;
}

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "regs",
    .summary = "register writes: icount, thread, register, value after the instruction",
    .args = NULL,
    .install = install,
};

/* The plugin's one exported entry point. */
__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
