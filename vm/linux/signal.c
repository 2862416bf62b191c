/*
 * signal.c - guest signals: dispositions, masks, pending sets, default
 * actions, and the signal system calls. Semantics: signal(7),
 * rt_sigaction(2), rt_sigprocmask(2), sigaltstack(2). Numbers are Linux's
 * generic ones (riscv64 and x86-64 agree).
 */
#include "lx.h"

enum {
    LX_SIGHUP = 1, LX_SIGINT = 2, LX_SIGQUIT = 3, LX_SIGILL = 4, LX_SIGTRAP = 5, LX_SIGABRT = 6,
    LX_SIGBUS = 7, LX_SIGFPE = 8, LX_SIGKILL = 9, LX_SIGUSR1 = 10, LX_SIGSEGV = 11,
    LX_SIGUSR2 = 12, LX_SIGPIPE = 13, LX_SIGALRM = 14, LX_SIGTERM = 15, LX_SIGSTKFLT = 16,
    LX_SIGCHLD = 17, LX_SIGCONT = 18, LX_SIGSTOP = 19, LX_SIGTSTP = 20, LX_SIGTTIN = 21,
    LX_SIGTTOU = 22, LX_SIGURG = 23, LX_SIGXCPU = 24, LX_SIGXFSZ = 25, LX_SIGVTALRM = 26,
    LX_SIGPROF = 27, LX_SIGWINCH = 28, LX_SIGIO = 29, LX_SIGPWR = 30, LX_SIGSYS = 31,
};

#define SIGBIT(s) (1ull << ((s) - 1))
#define LX_SIG_DFL 0
#define LX_SIG_IGN 1

/* Default action of each signal (signal(7), "Standard signals"). */
enum lx_dfl { DFL_TERM, DFL_CORE, DFL_IGN, DFL_STOP, DFL_CONT };
static enum lx_dfl default_action(int sig)
{
    switch (sig) {
    case LX_SIGQUIT: case LX_SIGILL: case LX_SIGTRAP: case LX_SIGABRT: case LX_SIGBUS:
    case LX_SIGFPE: case LX_SIGSEGV: case LX_SIGXCPU: case LX_SIGXFSZ: case LX_SIGSYS:
        return DFL_CORE;
    case LX_SIGCHLD: case LX_SIGURG: case LX_SIGWINCH:
        return DFL_IGN;
    case LX_SIGSTOP: case LX_SIGTSTP: case LX_SIGTTIN: case LX_SIGTTOU:
        return DFL_STOP;
    case LX_SIGCONT:
        return DFL_CONT;
    }
    return DFL_TERM;
}

void lx_exit_process(struct lx_proc *p, int status)
{
    if (p->exited) return;
    p->exited = true;
    p->exit = (struct lx_exit){ .signaled = false, .status = status & 0xff };
}

void lx_kill_process(struct lx_proc *p, int sig)
{
    if (p->exited) return;
    p->exited = true;
    p->exit = (struct lx_exit){ .signaled = true, .signal = sig,
                                .core = default_action(sig) == DFL_CORE };
}

/* Queues sig for thread t (thread-directed). */
static void queue_signal(struct lx_thread *t, int sig)
{
    t->pending |= SIGBIT(sig);
}

void lx_force_signal(struct lx_thread *t, int sig, int code, uint64_t addr)
{
    struct lx_proc *p = t->proc;
    struct lx_sigaction *sa = &p->sigact[sig];
    (void)code; (void)addr;
    /* A synchronous fault that is blocked or ignored cannot be skipped: the
     * instruction would fault again. Linux then kills (force_sig_info). */
    if ((t->sigmask & SIGBIT(sig)) || sa->handler == LX_SIG_IGN) {
        sa->handler = LX_SIG_DFL;
        t->sigmask &= ~SIGBIT(sig);
    }
    queue_signal(t, sig);
}

void lx_deliver_signals(struct lx_thread *t)
{
    struct lx_proc *p = t->proc;
    uint64_t ready = (t->pending | p->pending) & ~t->sigmask;
    /* SIGKILL and SIGSTOP cannot be blocked. */
    ready |= (t->pending | p->pending) & (SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP));
    while (ready && !p->exited) {
        int sig = __builtin_ctzll(ready) + 1;
        ready &= ready - 1;
        t->pending &= ~SIGBIT(sig);
        p->pending &= ~SIGBIT(sig);
        struct lx_sigaction *sa = &p->sigact[sig];
        if (sig == LX_SIGKILL || sa->handler == LX_SIG_DFL) {
            switch (default_action(sig)) {
            case DFL_TERM:
            case DFL_CORE:
                lx_kill_process(p, sig);
                return;
            default:
                continue; /* ignore, stop and continue have no effect here yet */
            }
        }
        if (sa->handler == LX_SIG_IGN) continue;
        lx_warn_once(p, 500, "signal handlers are not supported yet; killing on signal %d", sig);
        lx_kill_process(p, sig);
        return;
    }
}

/* ---- system calls ---- */

static long sys_rt_sigaction(struct lx_thread *t, const struct lx_syscall *c)
{
    int sig = (int)c->a[0];
    if (sig < 1 || sig > LX_NSIG || c->a[3] != 8) return -EINVAL;
    struct lx_proc *p = t->proc;
    /* The riscv64 kernel's struct sigaction: handler, flags, mask (no
     * restorer field: the vDSO trampoline returns). */
    uint64_t old[3] = { p->sigact[sig].handler, p->sigact[sig].flags, p->sigact[sig].mask };
    if (c->a[1]) {
        if (sig == LX_SIGKILL || sig == LX_SIGSTOP) return -EINVAL;
        uint64_t n[3];
        if (lx_copy_from(t, n, c->a[1], sizeof n)) return -EFAULT;
        if (c->a[2] && lx_copy_to(t, c->a[2], old, sizeof old)) return -EFAULT;
        p->sigact[sig] = (struct lx_sigaction){ n[0], n[1],
                                                n[2] & ~(SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP)) };
        return 0;
    }
    if (c->a[2] && lx_copy_to(t, c->a[2], old, sizeof old)) return -EFAULT;
    return 0;
}

static long sys_rt_sigprocmask(struct lx_thread *t, const struct lx_syscall *c)
{
    if (c->a[3] != 8) return -EINVAL;
    uint64_t old = t->sigmask, set;
    if (c->a[1]) {
        if (lx_copy_from(t, &set, c->a[1], 8)) return -EFAULT;
        switch (c->a[0]) {
        case 0: t->sigmask |= set; break;   /* SIG_BLOCK */
        case 1: t->sigmask &= ~set; break;  /* SIG_UNBLOCK */
        case 2: t->sigmask = set; break;    /* SIG_SETMASK */
        default: return -EINVAL;
        }
        t->sigmask &= ~(SIGBIT(LX_SIGKILL) | SIGBIT(LX_SIGSTOP));
    }
    if (c->a[2] && lx_copy_to(t, c->a[2], &old, 8)) return -EFAULT;
    return 0;
}

static long sys_sigaltstack(struct lx_thread *t, const struct lx_syscall *c)
{
    /* stack_t on riscv64: ss_sp (8), ss_flags (4, padded), ss_size (8). */
    struct { uint64_t sp; int32_t flags; int32_t pad; uint64_t size; } old = {
        t->altstack_sp, t->altstack_flags | (t->altstack_size ? 0 : 2 /* SS_DISABLE */), 0,
        t->altstack_size };
    if (c->a[1]) {
        struct { uint64_t sp; int32_t flags; int32_t pad; uint64_t size; } n;
        if (lx_copy_from(t, &n, c->a[1], sizeof n)) return -EFAULT;
        if (n.flags & 2) {
            t->altstack_sp = t->altstack_size = 0;
        } else {
            if (n.size < 2048) return -ENOMEM; /* MINSIGSTKSZ */
            t->altstack_sp = n.sp;
            t->altstack_size = n.size;
        }
    }
    if (c->a[0] && lx_copy_to(t, c->a[0], &old, sizeof old)) return -EFAULT;
    return 0;
}

static struct lx_thread *find_thread(struct lx_proc *p, int tid)
{
    for (size_t i = 0; i < p->n_threads; i++)
        if (p->threads[i]->tid == tid && p->threads[i]->state != LX_EXITED) return p->threads[i];
    return NULL;
}

static long sys_kill(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    int pid = (int)c->a[0], sig = (int)c->a[1];
    if (sig < 0 || sig > LX_NSIG) return -EINVAL;
    if (pid == p->pid || pid == 0) {
        if (sig) p->pending |= SIGBIT(sig);
        return 0;
    }
    /* Another process: a host operation. */
    return p->port->ops->syscall(p->port, t, c);
}

static long sys_tgkill(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    int tgid = c->nr == 131 ? (int)c->a[0] : p->pid;
    int tid = (int)(c->nr == 131 ? c->a[1] : c->a[0]);
    int sig = (int)(c->nr == 131 ? c->a[2] : c->a[1]);
    if (sig < 0 || sig > LX_NSIG || tid <= 0) return -EINVAL;
    if (tgid != p->pid) return -ESRCH;
    struct lx_thread *target = find_thread(p, tid);
    if (!target) return -ESRCH;
    if (sig) queue_signal(target, sig);
    return 0;
}

const struct lx_sys_entry lx_sys_signal[] = {
    { 134, "rt_sigaction", sys_rt_sigaction },
    { 135, "rt_sigprocmask", sys_rt_sigprocmask },
    { 132, "sigaltstack", sys_sigaltstack },
    { 129, "kill", sys_kill },
    { 130, "tkill", sys_tgkill },
    { 131, "tgkill", sys_tgkill },
    { 0, NULL, NULL },
};
