/*
 * test_sigframe.c - guest signals without a host: the riscv64 rt_sigframe
 * layout against the kernel's uapi structs, a frame round trip (setup,
 * handler edits, rt_sigreturn), the alternate stack, and signal.c's
 * generation, delivery, masks, queues and interrupted-syscall rules on a
 * hand-built process with a scripted event port.
 *
 * The layout numbers come from the riscv64 cross headers: meson compiles
 * sigframe_probe.c with riscv64-linux-gnu-gcc -S and passes the assembly's
 * path as argv[1]; its "@@name value" lines are checked here. Without a
 * cross compiler the same numbers, hard-coded below (verified with Debian
 * bookworm's riscv64-linux-gnu-gcc 12 and linux-libc-dev-riscv64-cross
 * 6.1), are checked instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <signal.h>

#include "lx.h"

/* ---- the kernel's numbers ---- */

struct kv {
    const char *name;
    long value;      /* hard-coded, from the cross headers */
    long ours;       /* what vm/linux uses */
};

#define SI_OFF(member) ((long)offsetof(struct lx_siginfo, member))
static const struct kv layout[] = {
    { "frame_size", 1088, LX_SF_SIZE },
    { "frame_info", 0, LX_SF_INFO },
    { "frame_uc", 128, LX_SF_UC },
    { "siginfo_size", 128, (long)sizeof(struct lx_siginfo) },
    { "si_signo", 0, SI_OFF(signo) },
    { "si_errno", 4, SI_OFF(err) },
    { "si_code", 8, SI_OFF(code) },
    { "si_pid", 16, SI_OFF(u.kill.pid) },
    { "si_uid", 20, SI_OFF(u.kill.uid) },
    { "si_value", 24, SI_OFF(u.kill.value) },
    { "si_tid", 16, SI_OFF(u.timer.tid) },
    { "si_overrun", 20, SI_OFF(u.timer.overrun) },
    { "si_addr", 16, SI_OFF(u.fault.addr) },
    { "si_status", 24, SI_OFF(u.chld.status) },
    { "si_utime", 32, SI_OFF(u.chld.utime) },
    { "si_stime", 40, SI_OFF(u.chld.stime) },
    { "si_band", 16, SI_OFF(u.poll.band) },
    { "si_fd", 24, SI_OFF(u.poll.fd) },
    { "uc_flags", 0, LX_SF_UC_FLAGS - LX_SF_UC },
    { "uc_link", 8, LX_SF_UC_LINK - LX_SF_UC },
    { "uc_stack", 16, LX_SF_UC_STACK - LX_SF_UC },
    { "uc_sigmask", 40, LX_SF_UC_SIGMASK - LX_SF_UC },
    { "uc_mcontext", 176, LX_SF_MCONTEXT - LX_SF_UC },
    { "ss_sp", 0, 0 },
    { "ss_flags", 8, 8 },
    { "ss_size", 16, 16 },
    { "sc_regs", 0, LX_SF_REGS - LX_SF_MCONTEXT },
    { "sc_regs_pc", 0, LX_SF_REGS - LX_SF_MCONTEXT },
    { "sc_regs_ra", 8, LX_SF_REGS + 8 * 1 - LX_SF_MCONTEXT },
    { "sc_regs_sp", 16, LX_SF_REGS + 8 * 2 - LX_SF_MCONTEXT },
    { "sc_regs_a0", 80, LX_SF_REGS + 8 * 10 - LX_SF_MCONTEXT },
    { "sc_regs_t6", 248, LX_SF_REGS + 8 * 31 - LX_SF_MCONTEXT },
    { "sc_fpregs", 256, LX_SF_FPREGS - LX_SF_MCONTEXT },
    { "sc_fcsr", 512, LX_SF_FCSR - LX_SF_MCONTEXT },
    { "sc_q_reserved", 772, LX_SF_FP_RESERVED - LX_SF_MCONTEXT },
    { "sigcontext_size", 784, LX_SF_SIZE - LX_SF_MCONTEXT },
    { "minsigstksz", 2048, LX_MINSIGSTKSZ },
    { "sa_siginfo", 4, LX_SA_SIGINFO },
    { "sa_onstack", 0x08000000, LX_SA_ONSTACK },
    { "sa_restart", 0x10000000, LX_SA_RESTART },
    { "sa_nodefer", 0x40000000, LX_SA_NODEFER },
    { "sa_resethand", 0x80000000l, LX_SA_RESETHAND },
    { "ss_onstack", 1, LX_SS_ONSTACK },
    { "ss_disable", 2, LX_SS_DISABLE },
    { "ss_autodisarm", 0x80000000l, LX_SS_AUTODISARM },
    /* Structures the live port hands to the host kernel unconverted must
     * have the host (x86-64) layout too: siginfo_t (hostsig.c copies it)
     * and struct sigevent (hostsys.def's timer_create row). */
    { "siginfo_size", 128, (long)sizeof(siginfo_t) },
    { "si_pid", 16, (long)offsetof(siginfo_t, si_pid) },
    { "si_uid", 20, (long)offsetof(siginfo_t, si_uid) },
    { "si_value", 24, (long)offsetof(siginfo_t, si_value) },
    { "si_addr", 16, (long)offsetof(siginfo_t, si_addr) },
    { "si_status", 24, (long)offsetof(siginfo_t, si_status) },
    { "si_utime", 32, (long)offsetof(siginfo_t, si_utime) },
    { "si_band", 16, (long)offsetof(siginfo_t, si_band) },
    { "si_fd", 24, (long)offsetof(siginfo_t, si_fd) },
    { "si_overrun", 20, (long)offsetof(siginfo_t, si_overrun) },
    { "sigevent_size", 64, (long)sizeof(struct sigevent) },
    { "sigev_value", 0, (long)offsetof(struct sigevent, sigev_value) },
    { "sigev_signo", 8, (long)offsetof(struct sigevent, sigev_signo) },
    { "sigev_notify", 12, (long)offsetof(struct sigevent, sigev_notify) },
    { "sigev_tid", 16, (long)offsetof(struct sigevent, _sigev_un) },
};
#define N_LAYOUT (sizeof layout / sizeof layout[0])

static const char *probe_path;

static void test_layout_hardcoded(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_LAYOUT; i++) {
        if (layout[i].value != layout[i].ours)
            fail_msg("%s: kernel %ld, reprise %ld", layout[i].name, layout[i].value, layout[i].ours);
    }
    assert_int_equal(LX_SF_SIZE % 16, 0);
}

static void test_layout_cross_headers(void **state)
{
    (void)state;
    if (!probe_path) skip();
    FILE *f = fopen(probe_path, "r");
    if (!f) fail_msg("cannot open %s", probe_path);
    char line[512];
    size_t seen = 0;
    while (fgets(line, sizeof line, f)) {
        char *at = strstr(line, "@@");
        if (!at) continue;
        char name[64];
        long v;
        if (sscanf(at + 2, "%63s %ld", name, &v) != 2) continue;
        for (size_t i = 0; i < N_LAYOUT; i++) {
            if (strcmp(layout[i].name, name)) continue;
            if (v != layout[i].ours) fail_msg("%s: cross headers %ld, reprise %ld", name, v,
                                              layout[i].ours);
            if (v != layout[i].value) fail_msg("%s: cross headers %ld, table %ld", name, v,
                                               layout[i].value);
            seen++;
        }
    }
    fclose(f);
    assert_int_equal(seen, N_LAYOUT); /* every row checked (repeated names once per row) */
}

/* ---- a hand-built process and a scripted port ---- */

#define STACK_TOP 0x70000000ull
#define STACK_SIZE 0x40000ull
#define MMAP_BASE 0x40000000ull
#define HANDLER 0x10000ull
#define ALT 0x20000ull  /* an alternate stack, 0x10000 bytes */

static uint64_t fake_clock;
static struct lx_siginfo host_queue[16];
static int n_host;
static int take_calls;

static long t_host_id(struct lx_port *p, struct lx_thread *t, int what)
{
    (void)p; (void)t;
    return what == LX_ID_PID ? 4242 : 1000 + what;
}
static uint64_t t_clock_ns(struct lx_port *p, struct lx_thread *t, int clock)
{
    (void)p; (void)t; (void)clock;
    return fake_clock;
}
static int t_take_signals(struct lx_port *p, struct lx_thread *t, struct lx_siginfo *out, int max)
{
    (void)p;
    take_calls++;
    if (!t) return 0;
    int n = n_host < max ? n_host : max;
    memcpy(out, host_queue, (size_t)n * sizeof *out);
    memmove(host_queue, host_queue + n, (size_t)(n_host - n) * sizeof *out);
    n_host -= n;
    return n;
}
static const struct lx_port_ops ops = {
    .host_id = t_host_id,
    .clock_ns = t_clock_ns,
    .take_signals = t_take_signals,
};
static struct lx_port port = { .ops = &ops };

struct fx {
    struct lx_proc *p;
    struct lx_thread *t;
};

static int setup(void **state)
{
    static struct fx f;
    struct lx_proc *p = calloc(1, sizeof *p);
    char err[256];
    struct vm_config cfg = { .addr_bits = 32 };
    if (!p || vm_create(&cfg, &p->vm, err, sizeof err)) return -1;
    p->port = &port;
    p->pid = 4242;
    p->mmap_base = MMAP_BASE;
    p->stack_top = STACK_TOP;
    if (vm_map(p->vm, STACK_TOP - STACK_SIZE, STACK_SIZE, VM_PROT_READ | VM_PROT_WRITE)) return -1;
    lx_vma_add(p, STACK_TOP - STACK_SIZE, STACK_TOP, VM_PROT_READ | VM_PROT_WRITE, "[stack]");
    if (vm_map(p->vm, ALT, 0x10000, VM_PROT_READ | VM_PROT_WRITE)) return -1;
    lx_vma_add(p, ALT, ALT + 0x10000, VM_PROT_READ | VM_PROT_WRITE, "");
    struct lx_thread *t = lx_thread_new(p);
    if (!t) return -1;
    t->tid = p->pid;
    t->cpu->pc = 0x12340;
    t->cpu->x[2] = STACK_TOP - 0x1008; /* deliberately not 16-aligned */
    n_host = 0;
    take_calls = 0;
    fake_clock = 0;
    f.p = p;
    f.t = t;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    lx_destroy(f->p);
    return 0;
}

#define BIT(s) (1ull << ((s) - 1))

static void set_handler(struct lx_proc *p, int sig, uint64_t flags, uint64_t mask)
{
    p->sigact[sig] = (struct lx_sigaction){ HANDLER + (uint64_t)sig * 4, flags | LX_SA_SIGINFO,
                                            mask };
}

static uint64_t peek64(struct lx_proc *p, uint64_t a)
{
    uint64_t v = 0;
    assert_int_equal(vm_peek(p->vm, a, &v, 8), 0);
    return v;
}
static uint32_t peek32(struct lx_proc *p, uint64_t a)
{
    uint32_t v = 0;
    assert_int_equal(vm_peek(p->vm, a, &v, 4), 0);
    return v;
}

/* Calls a signal system call of signal.c's table, as lx_syscall would
 * (the ecall already retired: pc past it). */
static long call(struct lx_thread *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t a3)
{
    struct lx_syscall c = { .nr = nr, .a = { a0, a1, a2, a3, 0, 0 } };
    for (const struct lx_sys_entry *e = lx_sys_signal; e->name; e++) {
        if (e->nr != nr) continue;
        struct vm_cpu *cpu = t->cpu;
        for (int i = 0; i < 6; i++) cpu->x[10 + i] = c.a[i];
        cpu->x[17] = (uint64_t)nr;
        uint64_t orig = cpu->x[10];
        cpu->pc += 4;
        long r = e->fn(t, &c);
        if (r != LX_SYS_NORETURN && r != LX_SYS_BLOCKED) cpu->x[10] = (uint64_t)r;
        lx_signal_syscall_done(t, nr, orig);
        return r;
    }
    fail_msg("no system call %ld", nr);
    return 0;
}

/* ---- the frame ---- */

static void fill_regs(struct vm_cpu *cpu, uint64_t seed)
{
    for (int i = 1; i < 32; i++)
        if (i != 2) cpu->x[i] = seed * 0x100 + (uint64_t)i;
    for (int i = 0; i < 32; i++) cpu->f[i] = 0x4000000000000000ull + seed * 0x100 + (uint64_t)i;
    cpu->fflags = 0x15;
    cpu->frm = 3;
}

static void test_round_trip(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    fill_regs(cpu, 7);
    uint64_t sp0 = cpu->x[2], pc0 = cpu->pc;
    struct vm_cpu saved = *cpu;
    cpu->res_valid = 1;

    struct lx_siginfo info = { .signo = 10, .code = -6 };
    info.u.kill.pid = 4242;
    info.u.kill.uid = 1000;
    struct lx_sigaction sa = { HANDLER, LX_SA_SIGINFO, 0 };
    assert_int_equal(lx_sigframe_setup(t, &info, &sa, 0x1234), 0);

    uint64_t frame = cpu->x[2];
    assert_true(frame < sp0 && sp0 - frame < LX_SF_SIZE + 16);
    assert_int_equal(frame % 16, 0);
    assert_int_equal(cpu->pc, HANDLER);
    assert_int_equal(cpu->x[10], 10);
    assert_int_equal(cpu->x[11], frame + LX_SF_INFO);
    assert_int_equal(cpu->x[12], frame + LX_SF_UC);
    assert_int_equal(cpu->res_valid, 0);
    /* ra: the trampoline, li a7, 139; ecall, at the fixed sigpage. */
    assert_int_equal(cpu->x[1], MMAP_BASE);
    assert_int_equal(lx_sigpage(p), MMAP_BASE);
    assert_int_equal(peek32(p, MMAP_BASE), 0x08b00893);
    assert_int_equal(peek32(p, MMAP_BASE + 4), 0x00000073);
    assert_int_equal(vm_page_prot(p->vm, MMAP_BASE), VM_PROT_READ | VM_PROT_EXEC);

    /* The frame's contents. */
    struct lx_siginfo got;
    assert_int_equal(vm_peek(p->vm, frame + LX_SF_INFO, &got, sizeof got), 0);
    assert_memory_equal(&got, &info, sizeof info);
    assert_int_equal(peek64(p, frame + LX_SF_UC_FLAGS), 0);
    assert_int_equal(peek64(p, frame + LX_SF_UC_LINK), 0);
    assert_int_equal(peek32(p, frame + LX_SF_UC_STACK + 8), LX_SS_DISABLE);
    assert_int_equal(peek64(p, frame + LX_SF_UC_SIGMASK), 0x1234);
    assert_int_equal(peek64(p, frame + LX_SF_REGS), pc0);
    for (int i = 1; i < 32; i++) assert_int_equal(peek64(p, frame + LX_SF_REGS + 8 * i), saved.x[i]);
    for (int i = 0; i < 32; i++)
        assert_int_equal(peek64(p, frame + LX_SF_FPREGS + 8 * i), saved.f[i]);
    assert_int_equal(peek32(p, frame + LX_SF_FCSR), 0x15 | 3 << 5);
    for (int i = 0; i < 3; i++) assert_int_equal(peek32(p, frame + LX_SF_FP_RESERVED + 4 * i), 0);

    /* The handler runs: clobbers registers, edits the ucontext (a new
     * resume pc and a1), returns with sp back at the frame. */
    fill_regs(cpu, 99);
    cpu->fflags = 0;
    cpu->frm = 0;
    uint64_t newpc = pc0 + 8, newa1 = 0xabcdef;
    assert_int_equal(vm_poke(p->vm, frame + LX_SF_REGS, &newpc, 8), 0);
    assert_int_equal(vm_poke(p->vm, frame + LX_SF_REGS + 8 * 11, &newa1, 8), 0);
    uint64_t mask = BIT(10) | BIT(9) | BIT(19); /* SIGKILL/SIGSTOP never block */
    assert_int_equal(vm_poke(p->vm, frame + LX_SF_UC_SIGMASK, &mask, 8), 0);
    cpu->x[2] = frame;
    t->sigmask = ~0ull;
    assert_int_equal(lx_sigframe_restore(t), 0);
    assert_int_equal(cpu->pc, newpc);
    for (int i = 1; i < 32; i++)
        assert_int_equal(cpu->x[i], i == 11 ? newa1 : saved.x[i]);
    assert_int_equal(cpu->x[2], sp0);
    for (int i = 0; i < 32; i++) assert_int_equal(cpu->f[i], saved.f[i]);
    assert_int_equal(cpu->fflags, 0x15);
    assert_int_equal(cpu->frm, 3);
    assert_int_equal(t->sigmask, BIT(10));
}

static void test_bad_frames(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    struct lx_sigaction sa = { HANDLER, 0, 0 };
    struct lx_siginfo info = { .signo = 12 };
    assert_int_equal(lx_sigframe_setup(t, &info, &sa, 0), 0);
    uint64_t frame = cpu->x[2];
    /* Nonzero reserved FP words: rejected, registers untouched. */
    uint32_t junk = 1;
    assert_int_equal(vm_poke(p->vm, frame + LX_SF_FP_RESERVED + 4, &junk, 4), 0);
    cpu->x[5] = 555;
    assert_int_equal(lx_sigframe_restore(t), -EFAULT);
    assert_int_equal(cpu->x[5], 555);
    /* An unreadable frame. */
    cpu->x[2] = 0x1000;
    assert_int_equal(lx_sigframe_restore(t), -EFAULT);
    /* rt_sigreturn with a bad frame raises SIGSEGV (default: kill). */
    call(t, 139, 0, 0, 0, 0);
    lx_deliver_signals(t);
    assert_true(p->exited);
    assert_true(p->exit.signaled);
    assert_int_equal(p->exit.signal, 11);
    /* No room for a frame at all: the setup fails. */
    p->exited = false;
    cpu->x[2] = STACK_TOP - STACK_SIZE + 64;
    assert_int_equal(lx_sigframe_setup(t, &info, &sa, 0), -EFAULT);
}

static void test_altstack(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    uint64_t sp0 = cpu->x[2];
    /* sigaltstack(2): install ALT, 0x10000 bytes. */
    uint64_t ss[3] = { ALT, 0, 0x10000 };
    uint64_t buf = STACK_TOP - 0x100;
    assert_int_equal(vm_poke(p->vm, buf, ss, sizeof ss), 0);
    assert_int_equal(call(t, 132, buf, 0, 0, 0), 0);
    struct lx_siginfo info = { .signo = 10 };
    struct lx_sigaction sa = { HANDLER, LX_SA_ONSTACK, 0 };
    assert_int_equal(lx_sigframe_setup(t, &info, &sa, 0), 0);
    uint64_t frame = cpu->x[2];
    assert_true(frame > ALT && frame + LX_SF_SIZE <= ALT + 0x10000);
    /* uc_stack: as it was, not on it at the interrupted sp. */
    assert_int_equal(peek64(p, frame + LX_SF_UC_STACK), ALT);
    assert_int_equal(peek32(p, frame + LX_SF_UC_STACK + 8), 0);
    assert_int_equal(peek64(p, frame + LX_SF_UC_STACK + 16), 0x10000);
    /* A nested signal while on it: stays on it, below the first frame;
     * sigaltstack reports SS_ONSTACK and refuses changes (EPERM). */
    assert_int_equal(lx_sigframe_setup(t, &info, &sa, 0), 0);
    uint64_t frame2 = cpu->x[2];
    assert_true(frame2 < frame && frame2 > ALT);
    assert_int_equal(peek32(p, frame2 + LX_SF_UC_STACK + 8), LX_SS_ONSTACK);
    uint64_t out = STACK_TOP - 0x200;
    assert_int_equal(call(t, 132, 0, out, 0, 0), 0);
    assert_int_equal(peek32(p, out + 8), LX_SS_ONSTACK);
    assert_int_equal(call(t, 132, buf, 0, 0, 0), -EPERM);
    /* Overflowing it: no frame. */
    cpu->x[2] = ALT + 100;
    assert_int_equal(lx_sigframe_setup(t, &info, &sa, 0), -EFAULT);
    /* Without SA_ONSTACK: the normal stack. */
    cpu->x[2] = sp0;
    sa.flags = 0;
    assert_int_equal(lx_sigframe_setup(t, &info, &sa, 0), 0);
    assert_true(cpu->x[2] > STACK_TOP - STACK_SIZE);

    /* SS_AUTODISARM: disarmed while the handler runs, back after
     * rt_sigreturn. */
    cpu->x[2] = sp0;
    ss[1] = LX_SS_AUTODISARM;
    assert_int_equal(vm_poke(p->vm, buf, ss, sizeof ss), 0);
    assert_int_equal(call(t, 132, buf, 0, 0, 0), 0);
    sa.flags = LX_SA_ONSTACK;
    assert_int_equal(lx_sigframe_setup(t, &info, &sa, 0), 0);
    frame = cpu->x[2];
    assert_true(frame > ALT && frame < ALT + 0x10000);
    assert_int_equal(t->altstack_size, 0);
    assert_int_equal(peek32(p, frame + LX_SF_UC_STACK + 8), LX_SS_AUTODISARM);
    assert_int_equal(lx_sigframe_restore(t), 0);
    assert_int_equal(t->altstack_sp, ALT);
    assert_int_equal(t->altstack_size, 0x10000);
    assert_int_equal(cpu->x[2], sp0);
    /* Bad sigaltstack arguments. */
    ss[1] = 7;
    assert_int_equal(vm_poke(p->vm, buf, ss, sizeof ss), 0);
    assert_int_equal(call(t, 132, buf, 0, 0, 0), -EINVAL);
    ss[1] = 0;
    ss[2] = 100;
    assert_int_equal(vm_poke(p->vm, buf, ss, sizeof ss), 0);
    assert_int_equal(call(t, 132, buf, 0, 0, 0), -ENOMEM);
}

/* ---- delivery ---- */

static void test_deliver_masks(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    set_handler(p, 10, LX_SA_RESETHAND, BIT(12));
    t->sigmask = BIT(2);
    /* kill(getpid(), SIGUSR1): SI_USER with pid and uid. */
    assert_int_equal(call(t, 129, 4242, 10, 0, 0), 0);
    uint64_t pc_after = cpu->pc;
    lx_deliver_signals(t);
    assert_int_equal(cpu->pc, HANDLER + 40);
    uint64_t frame = cpu->x[2];
    assert_int_equal(peek32(p, frame + 0), 10);
    assert_int_equal(peek32(p, frame + 8), 0);          /* SI_USER */
    assert_int_equal(peek32(p, frame + 16), 4242);      /* si_pid */
    assert_int_equal(peek32(p, frame + 20), 1000);      /* si_uid */
    assert_int_equal(peek64(p, frame + LX_SF_REGS), pc_after);
    assert_int_equal(peek64(p, frame + LX_SF_REGS + 80), 0); /* a0: kill's result */
    assert_int_equal(peek64(p, frame + LX_SF_UC_SIGMASK), BIT(2));
    /* In the handler: old mask | sa_mask | the signal; SA_RESETHAND. */
    assert_int_equal(t->sigmask, BIT(2) | BIT(12) | BIT(10));
    assert_int_equal(p->sigact[10].handler, 0);
    /* rt_sigreturn puts the mask back. */
    call(t, 139, 0, 0, 0, 0);
    assert_int_equal(cpu->pc, pc_after);
    assert_int_equal(cpu->x[10], 0);
    assert_int_equal(t->sigmask, BIT(2));

    /* SA_NODEFER; tgkill gives SI_TKILL. */
    set_handler(p, 12, LX_SA_NODEFER, 0);
    assert_int_equal(call(t, 131, 4242, 4242, 12, 0), 0);
    lx_deliver_signals(t);
    assert_int_equal(peek32(p, cpu->x[2] + 8), (uint32_t)-6);
    assert_int_equal(t->sigmask, BIT(2));
    call(t, 139, 0, 0, 0, 0);
    /* Errors. */
    assert_int_equal(call(t, 131, 4242, 999, 12, 0), -ESRCH);
    assert_int_equal(call(t, 131, 4243, 4242, 12, 0), -ESRCH);
    assert_int_equal(call(t, 129, 4242, 65, 0, 0), -EINVAL);
}

static void test_blocked_pending_and_queue(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    set_handler(p, 12, 0, 0);
    set_handler(p, 34, 0, 0);
    set_handler(p, 35, 0, 0);
    t->sigmask = BIT(12) | BIT(34) | BIT(35);
    /* A standard signal coalesces; real-time ones queue with their info. */
    call(t, 129, 4242, 12, 0, 0);
    call(t, 129, 4242, 12, 0, 0);
    uint64_t buf = STACK_TOP - 0x400;
    for (int i = 0; i < 3; i++) {
        struct lx_siginfo q = { .signo = i == 0 ? 35 : 34, .code = -1 };
        q.u.kill.value = (uint64_t)(100 + i);
        assert_int_equal(vm_poke(p->vm, buf, &q, sizeof q), 0);
        assert_int_equal(call(t, 138, 4242, (uint64_t)q.signo, buf, 0), 0);
    }
    /* Forged codes to others are refused. */
    struct lx_siginfo forged = { .signo = 34, .code = 0 };
    assert_int_equal(vm_poke(p->vm, buf, &forged, sizeof forged), 0);
    assert_int_equal(call(t, 138, 1, 34, buf, 0), -EPERM);
    uint64_t pc = cpu->pc;
    lx_deliver_signals(t);
    assert_int_equal(cpu->pc, pc); /* nothing delivered: all blocked */
    assert_int_equal(t->pending | p->pending, BIT(12) | BIT(34) | BIT(35));
    uint64_t set = 0;
    assert_int_equal(call(t, 136, buf, 8, 0, 0), 0);
    assert_int_equal(vm_peek(p->vm, buf, &set, 8), 0);
    assert_int_equal(set, BIT(12) | BIT(34) | BIT(35));
    /* rt_sigtimedwait dequeues without a handler: lowest first, in order. */
    uint64_t waitset = BIT(34) | BIT(35) | BIT(12), info = STACK_TOP - 0x600;
    assert_int_equal(vm_poke(p->vm, buf, &waitset, 8), 0);
    int expect[][2] = { { 12, 0 }, { 34, 101 }, { 34, 102 }, { 35, 100 } };
    for (int i = 0; i < 4; i++) {
        long r = call(t, 137, buf, info, 0, 8);
        assert_int_equal(r, expect[i][0]);
        if (expect[i][1]) assert_int_equal(peek64(p, info + 24), (uint64_t)expect[i][1]);
        assert_int_equal(peek32(p, info + 8), (uint32_t)(expect[i][0] == 12 ? 0 : -1));
    }
    /* Nothing left: a zero timeout gives EAGAIN. */
    int64_t zero[2] = { 0, 0 };
    uint64_t ts = STACK_TOP - 0x700;
    assert_int_equal(vm_poke(p->vm, ts, zero, sizeof zero), 0);
    assert_int_equal(call(t, 137, buf, info, ts, 8), -EAGAIN);
    /* Ignoring a pending signal discards it. */
    call(t, 129, 4242, 12, 0, 0);
    uint64_t ign[3] = { 1, 0, 0 };
    assert_int_equal(vm_poke(p->vm, buf, ign, sizeof ign), 0);
    assert_int_equal(call(t, 134, 12, buf, 0, 8), 0);
    assert_int_equal(t->pending | p->pending, 0);
}

static void test_fault(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    set_handler(p, 11, 0, 0);
    set_handler(p, 10, 0, 0);
    /* A pending SIGUSR1 and a fault: the fault's SIGSEGV goes first
     * (its frame is pushed first, SIGUSR1's nested on top of it). */
    call(t, 129, 4242, 10, 0, 0);
    uint64_t pc = cpu->pc;
    lx_force_signal(t, 11, 1, 0xdead);
    lx_deliver_signals(t);
    uint64_t top = cpu->x[2];
    assert_int_equal(cpu->pc, HANDLER + 40);
    assert_int_equal(peek64(p, top + LX_SF_REGS), HANDLER + 44); /* interrupted SIGSEGV's handler */
    uint64_t segv = peek64(p, top + LX_SF_REGS + 16);
    assert_int_equal(peek32(p, segv), 11);
    assert_int_equal(peek32(p, segv + 8), 1);
    assert_int_equal(peek64(p, segv + 16), 0xdead);
    assert_int_equal(peek64(p, segv + LX_SF_REGS), pc);
    /* A fault while blocked: the handler is reset and the process dies. */
    t->sigmask = BIT(11);
    lx_force_signal(t, 11, 2, 0xbeef);
    assert_int_equal(p->sigact[11].handler, 0);
    lx_deliver_signals(t);
    assert_true(p->exited);
    assert_int_equal(p->exit.signal, 11);
    assert_true(p->exit.core);
}

static void test_default_actions(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    /* Default-ignored and stop signals do nothing. */
    call(t, 129, 4242, 17, 0, 0); /* SIGCHLD */
    call(t, 129, 4242, 20, 0, 0); /* SIGTSTP */
    lx_deliver_signals(t);
    assert_false(p->exited);
    assert_int_equal(t->pending | p->pending, 0);
    /* A fatal one ends the process at once. */
    call(t, 129, 4242, 15, 0, 0);
    assert_true(p->exited);
    assert_int_equal(p->exit.signal, 15);
    assert_false(p->exit.core);
}

/* ---- interrupted system calls ---- */

static void test_restart(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    /* A host read interrupted (EINTR), SIGALRM with SA_RESTART: the frame
     * resumes at the ecall with the original a0. */
    set_handler(p, 14, LX_SA_RESTART, 0);
    uint64_t ecall = cpu->pc;
    cpu->pc += 4;
    cpu->x[17] = 63;
    cpu->x[10] = (uint64_t)-EINTR;
    lx_signal_syscall_done(t, 63, 5);
    struct lx_siginfo alrm = { .signo = 14, .code = 0x80 };
    host_queue[n_host++] = alrm;
    assert_false(lx_signal_poll(p, t));
    lx_deliver_signals(t);
    uint64_t frame = cpu->x[2];
    assert_int_equal(peek64(p, frame + LX_SF_REGS), ecall);
    assert_int_equal(peek64(p, frame + LX_SF_REGS + 80), 5);
    assert_int_equal(peek32(p, frame + 8), 0x80);
    call(t, 139, 0, 0, 0, 0);
    assert_int_equal(cpu->pc, ecall);
    /* Without SA_RESTART: -EINTR after the ecall. */
    set_handler(p, 14, 0, 0);
    cpu->pc = ecall + 4;
    cpu->x[10] = (uint64_t)-EINTR;
    lx_signal_syscall_done(t, 63, 5);
    host_queue[n_host++] = alrm;
    lx_signal_poll(p, t);
    lx_deliver_signals(t);
    frame = cpu->x[2];
    assert_int_equal(peek64(p, frame + LX_SF_REGS), ecall + 4);
    assert_int_equal(peek64(p, frame + LX_SF_REGS + 80), (uint64_t)-EINTR);
    call(t, 139, 0, 0, 0, 0);
    /* ppoll is never restarted after a handler, whatever SA_RESTART says. */
    set_handler(p, 14, LX_SA_RESTART, 0);
    cpu->pc = ecall + 4;
    cpu->x[10] = (uint64_t)-EINTR;
    lx_signal_syscall_done(t, 73, 5);
    host_queue[n_host++] = alrm;
    lx_signal_poll(p, t);
    lx_deliver_signals(t);
    assert_int_equal(peek64(p, cpu->x[2] + LX_SF_REGS + 80), (uint64_t)-EINTR);
    call(t, 139, 0, 0, 0, 0);
    /* No handler runs (the signal is blocked): the call re-executes. */
    t->sigmask = BIT(14);
    cpu->pc = ecall + 4;
    cpu->x[10] = (uint64_t)-EINTR;
    lx_signal_syscall_done(t, 63, 5);
    host_queue[n_host++] = alrm;
    lx_signal_poll(p, t);
    lx_deliver_signals(t);
    assert_int_equal(cpu->pc, ecall);
    assert_int_equal(cpu->x[10], 5);
    assert_int_equal(p->pending, BIT(14));
    assert_true(take_calls > 0);
}

static void test_sigsuspend(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    set_handler(p, 14, LX_SA_RESTART, 0);
    t->sigmask = BIT(14) | BIT(10);
    uint64_t buf = STACK_TOP - 0x400, none = 0;
    assert_int_equal(vm_poke(p->vm, buf, &none, 8), 0);
    uint64_t ecall = cpu->pc;
    assert_int_equal(call(t, 133, buf, 8, 0, 0), LX_SYS_BLOCKED);
    assert_int_equal(t->state, LX_BLOCKED);
    assert_int_equal(t->sigmask, 0);
    /* Nothing to take: no wake-up. */
    assert_false(lx_signal_poll(p, t));
    /* The host's SIGALRM wakes it; the handler runs with EINTR saved and
     * the original mask in the frame. */
    host_queue[n_host++] = (struct lx_siginfo){ .signo = 14, .code = 0x80 };
    assert_true(lx_signal_poll(p, t));
    assert_int_equal(t->state, LX_RUNNABLE);
    lx_deliver_signals(t);
    uint64_t frame = cpu->x[2];
    assert_int_equal(cpu->pc, HANDLER + 56);
    assert_int_equal(peek64(p, frame + LX_SF_REGS), ecall + 4);
    assert_int_equal(peek64(p, frame + LX_SF_REGS + 80), (uint64_t)-EINTR);
    assert_int_equal(peek64(p, frame + LX_SF_UC_SIGMASK), BIT(14) | BIT(10));
    assert_int_equal(t->sigmask, BIT(14));
    call(t, 139, 0, 0, 0, 0);
    assert_int_equal(t->sigmask, BIT(14) | BIT(10));
    assert_int_equal(cpu->x[10], (uint64_t)-EINTR);

    /* Already pending: returns at once, same outcome. */
    call(t, 129, 4242, 14, 0, 0);
    cpu->pc = ecall;
    assert_int_equal(call(t, 133, buf, 8, 0, 0), -LX_ERESTARTNOHAND);
    lx_deliver_signals(t);
    assert_int_equal(peek64(p, cpu->x[2] + LX_SF_REGS + 80), (uint64_t)-EINTR);
    call(t, 139, 0, 0, 0, 0);
    assert_int_equal(t->sigmask, BIT(14) | BIT(10));

    /* A blocked sigtimedwait is completed by the signal it waits for. */
    uint64_t set = BIT(10), info = STACK_TOP - 0x600;
    assert_int_equal(vm_poke(p->vm, buf, &set, 8), 0);
    assert_int_equal(call(t, 137, buf, info, 0, 8), LX_SYS_BLOCKED);
    struct lx_siginfo usr1 = { .signo = 10, .code = -6 }; /* from another thread */
    assert_int_equal(lx_signal_send(p, t, &usr1, false), 0);
    assert_int_equal(t->state, LX_RUNNABLE);
    assert_int_equal(cpu->x[10], 10);
    assert_int_equal(peek32(p, info + 8), (uint32_t)-6);
    lx_deliver_signals(t);
    assert_int_equal(t->sigwait_set, 0);
}

static void test_interrupt_sleep(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    /* A thread in nanosleep (blocked with a deadline by thread.c). */
    uint64_t rem = STACK_TOP - 0x400;
    cpu->x[10] = STACK_TOP - 0x500;
    cpu->x[11] = rem;
    cpu->x[17] = 101;
    cpu->pc += 4;
    lx_block(t, LX_BLOCK_SLEEP);
    t->has_deadline = true;
    t->deadline_ns = 5000000000ull;
    fake_clock = 1500000000ull;
    /* An ignored signal does not wake it; SIGUSR1 blocked neither. */
    t->sigmask = BIT(10);
    struct lx_siginfo chld = { .signo = 17 }, usr1 = { .signo = 10 }, usr2 = { .signo = 12 };
    lx_signal_send(p, NULL, &chld, false);
    lx_signal_send(p, NULL, &usr1, false);
    assert_int_equal(t->state, LX_BLOCKED);
    assert_int_equal(p->pending, BIT(10));
    p->pending = 0;
    /* A handled one: EINTR, the time left in rem. */
    set_handler(p, 12, LX_SA_RESTART, 0);
    lx_signal_send(p, NULL, &usr2, false);
    assert_int_equal(t->state, LX_RUNNABLE);
    lx_deliver_signals(t);
    uint64_t frame = cpu->x[2];
    assert_int_equal(peek64(p, frame + LX_SF_REGS + 80), (uint64_t)-EINTR);
    assert_int_equal(peek64(p, rem), 3);
    assert_int_equal(peek64(p, rem + 8), 500000000);
    assert_false(t->has_deadline);
    /* Woken for a signal that another path then took: back to sleep. */
    call(t, 139, 0, 0, 0, 0);
    lx_block(t, LX_BLOCK_SLEEP);
    t->has_deadline = true;
    lx_signal_send(p, NULL, &usr2, false);
    assert_int_equal(t->state, LX_RUNNABLE);
    p->pending = 0;
    lx_deliver_signals(t);
    assert_int_equal(t->state, LX_BLOCKED);
    assert_int_equal(t->block, LX_BLOCK_SLEEP);
    assert_true(t->has_deadline);
}

static void test_sigpipe(void **state)
{
    struct fx *f = *state;
    struct lx_proc *p = f->p;
    struct lx_thread *t = f->t;
    struct vm_cpu *cpu = t->cpu;
    /* send with MSG_NOSIGNAL: no signal. */
    cpu->x[10] = (uint64_t)-EPIPE;
    cpu->x[13] = 0x4000;
    lx_signal_syscall_done(t, 206, 3);
    assert_int_equal(t->pending, 0);
    /* write: SIGPIPE, which kills by default. */
    lx_signal_syscall_done(t, 64, 3);
    assert_true(p->exited);
    assert_int_equal(p->exit.signal, 13);
}

int main(int argc, char **argv)
{
    if (argc > 1) probe_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_hardcoded),
        cmocka_unit_test(test_layout_cross_headers),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altstack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deliver_masks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_pending_and_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_actions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigsuspend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_sleep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigpipe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
