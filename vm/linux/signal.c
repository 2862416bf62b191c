/*
 * signal.c - guest signals: dispositions, masks, pending queues with
 * siginfo, generation (kill, tgkill, sigqueue, faults, host signals through
 * the event port), delivery to handlers (frames in sigframe.c), default
 * actions, interrupted system calls and their restart, and the signal
 * system calls. Semantics: signal(7), rt_sigaction(2), rt_sigprocmask(2),
 * sigaltstack(2), sigsuspend(2), sigtimedwait(2), sigqueue(3),
 * rt_sigqueueinfo(2), sigreturn(2); kernel/signal.c and
 * arch/riscv/kernel/signal.c for what the man pages leave open. Numbers
 * are Linux's generic ones (riscv64 and x86-64 agree).
 *
 * Job control is not emulated: stop signals (SIGSTOP, SIGTSTP, SIGTTIN,
 * SIGTTOU) with the default action are ignored, and SIGCONT's default
 * action does nothing beyond what a handler for it does.
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

/* si_code values (asm-generic/siginfo.h) */
enum { LX_SI_USER = 0, LX_SI_KERNEL = 0x80, LX_SI_QUEUE = -1, LX_SI_TKILL = -6 };

#define SIGBIT(s) (1ull << ((s) - 1))
#define LX_SIG_DFL 0
#define LX_SIG_IGN 1
/* Signals a fault raises: dequeued before the others (kernel
 * SYNCHRONOUS_MASK). */
#define SYNC_MASK (SIGBIT(LX_SIGSEGV) | SIGBIT(LX_SIGBUS) | SIGBIT(LX_SIGILL) | \
                   SIGBIT(LX_SIGTRAP) | SIGBIT(LX_SIGFPE) | SIGBIT(LX_SIGSYS))

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

/* Whether sig's action discards it (SIG_IGN, or a default that ignores;
 * stop/continue defaults included, see the top). */
static bool action_ignores(const struct lx_proc *p, int sig)
{
    if (sig == LX_SIGKILL) return false;
    uint64_t h = p->sigact[sig].handler;
    if (h == LX_SIG_IGN) return true;
    if (h != LX_SIG_DFL) return false;
    enum lx_dfl d = default_action(sig);
    return d == DFL_IGN || d == DFL_STOP || d == DFL_CONT;
}

/* Whether sig's default action ends the process and will be taken. */
static bool action_kills(const struct lx_proc *p, int sig)
{
    if (sig == LX_SIGKILL) return true;
    if (p->sigact[sig].handler != LX_SIG_DFL) return false;
    enum lx_dfl d = default_action(sig);
    return d == DFL_TERM || d == DFL_CORE;
}

/* ---- pending queues ---- */

static void rt_remove(struct lx_sigqueue *q, unsigned i)
{
    memmove(&q->rt[i], &q->rt[i + 1], (q->n_rt - i - 1) * sizeof q->rt[0]);
    q->n_rt--;
}

static void rt_purge(struct lx_sigqueue *q, int sig)
{
    for (unsigned i = 0; i < q->n_rt;) {
        if (q->rt[i].signo == sig) rt_remove(q, i);
        else i++;
    }
}

/* Adds an instance of info->signo. Standard signals coalesce with a
 * pending one; real-time ones queue. */
static int sq_add(uint64_t *pending, struct lx_sigqueue *q, const struct lx_siginfo *info,
                  bool may_fail)
{
    int sig = info->signo;
    if (sig < 32) {
        if (*pending & SIGBIT(sig)) return 0;
        q->std[sig] = *info;
        *pending |= SIGBIT(sig);
        return 0;
    }
    /* Entries of a signal whose bit is clear are stale (a fork or execve
     * cleared the bits). */
    if (!(*pending & SIGBIT(sig))) rt_purge(q, sig);
    if (q->n_rt == LX_SIGQ_RT) {
        /* The kernel's RLIMIT_SIGPENDING case: sigqueue fails with EAGAIN,
         * kill still makes the signal pending, without its own siginfo. */
        if (may_fail) return -EAGAIN;
        *pending |= SIGBIT(sig);
        return 0;
    }
    q->rt[q->n_rt++] = *info;
    *pending |= SIGBIT(sig);
    return 0;
}

/* Removes one instance of pending signal sig into *out. */
static void sq_take(uint64_t *pending, struct lx_sigqueue *q, int sig, struct lx_siginfo *out)
{
    if (sig < 32) {
        *out = q->std[sig];
        *pending &= ~SIGBIT(sig);
        return;
    }
    for (unsigned i = 0; i < q->n_rt; i++) {
        if (q->rt[i].signo != sig) continue;
        *out = q->rt[i];
        rt_remove(q, i);
        bool more = false;
        for (unsigned j = 0; j < q->n_rt; j++) more |= q->rt[j].signo == sig;
        if (!more) *pending &= ~SIGBIT(sig);
        return;
    }
    /* Pending beyond the queue's capacity. */
    *out = (struct lx_siginfo){ .signo = sig, .code = LX_SI_USER };
    *pending &= ~SIGBIT(sig);
}

static void sq_discard(uint64_t *pending, struct lx_sigqueue *q, int sig)
{
    *pending &= ~SIGBIT(sig);
    if (sig >= 32) rt_purge(q, sig);
}

/* Dequeues the signal t takes next among `set`: its own queue first,
 * faults before the others, then the lowest number; then the process's
 * queue (kernel dequeue_signal). Returns the signal, or 0 if none. */
static int dequeue(struct lx_thread *t, uint64_t set, struct lx_siginfo *out)
{
    struct lx_proc *p = t->proc;
    uint64_t own = t->pending & set;
    if (own) {
        uint64_t s = own & SYNC_MASK ? own & SYNC_MASK : own;
        int sig = __builtin_ctzll(s) + 1;
        sq_take(&t->pending, &t->sigq, sig, out);
        return sig;
    }
    uint64_t shared = p->pending & set;
    if (shared) {
        int sig = __builtin_ctzll(shared) + 1;
        sq_take(&p->pending, &p->sigq, sig, out);
        return sig;
    }
    return 0;
}

/* Pending signals t takes when it next runs. */
static uint64_t deliverable(const struct lx_thread *t)
{
    uint64_t all = t->pending | t->proc->pending;
    return all & (~t->sigmask | LX_UNBLOCKABLE);
}

bool lx_signal_wakes(const struct lx_thread *t)
{
    if (t->state != LX_BLOCKED) return false;
    if (deliverable(t)) return true;
    return t->block == LX_BLOCK_SIGNAL && ((t->pending | t->proc->pending) & t->sigwait_set);
}

/* Whether thread t would take sig now. */
static bool wants(const struct lx_thread *t, int sig)
{
    if (t->state == LX_EXITED) return false;
    if (!(t->sigmask & SIGBIT(sig)) || (SIGBIT(sig) & LX_UNBLOCKABLE)) return true;
    return t->state == LX_BLOCKED && t->block == LX_BLOCK_SIGNAL && (t->sigwait_set & SIGBIT(sig));
}

/* The thread that takes a process-directed sig: the current one, else
 * a runnable one, else a blocked one, in thread order (kernel
 * complete_signal: any thread that does not block it). NULL if all block it. */
static struct lx_thread *pick_taker(struct lx_proc *p, int sig)
{
    if (p->cur < p->n_threads && lx_cur(p)->state == LX_RUNNABLE && wants(lx_cur(p), sig))
        return lx_cur(p);
    for (size_t i = 0; i < p->n_threads; i++)
        if (p->threads[i]->state == LX_RUNNABLE && wants(p->threads[i], sig)) return p->threads[i];
    for (size_t i = 0; i < p->n_threads; i++)
        if (wants(p->threads[i], sig)) return p->threads[i];
    return NULL;
}

static struct lx_thread *first_live(struct lx_proc *p)
{
    for (size_t i = 0; i < p->n_threads; i++)
        if (p->threads[i]->state != LX_EXITED) return p->threads[i];
    return NULL;
}

static int send_signal(struct lx_proc *p, struct lx_thread *to, const struct lx_siginfo *info,
                       bool may_fail, bool *woke)
{
    int sig = info->signo;
    if (sig < 1 || sig > LX_NSIG) return -EINVAL;
    if (p->exited) return 0;
    /* Ignored signals are dropped at once, unless blocked: the action may
     * change before they are unblocked (kernel sig_ignored). */
    struct lx_thread *chk = to ? to : first_live(p);
    if (!chk) return 0;
    if (action_ignores(p, sig) && !(chk->sigmask & SIGBIT(sig))) return 0;
    int r = to ? sq_add(&to->pending, &to->sigq, info, may_fail)
               : sq_add(&p->pending, &p->sigq, info, may_fail);
    if (r) return r;
    struct lx_thread *w = to ? (wants(to, sig) ? to : NULL) : pick_taker(p, sig);
    if (!w) return 0; /* stays pending until some thread unblocks it */
    if (action_kills(p, sig) && !(w->sigmask & SIGBIT(sig) & ~LX_UNBLOCKABLE)) {
        /* A fatal signal ends the whole process right away
         * (complete_signal). */
        lx_kill_process(p, sig);
        if (woke) *woke = true;
        return 0;
    }
    if (w->state == LX_BLOCKED) {
        lx_signal_interrupt(w);
        if (woke) *woke = true;
    }
    return 0;
}

int lx_signal_send(struct lx_proc *p, struct lx_thread *to, const struct lx_siginfo *info,
                   bool may_fail)
{
    return send_signal(p, to, info, may_fail, NULL);
}

/* Completes rt_sigtimedwait for t: a waited signal, or -EINTR when woken
 * for another one (which then runs its handler). */
static void finish_sigwait(struct lx_thread *t)
{
    struct lx_siginfo info;
    int sig = dequeue(t, t->sigwait_set, &info);
    long r = -EINTR;
    if (sig) {
        r = sig;
        if (t->sigwait_info && lx_copy_to(t, t->sigwait_info, &info, sizeof info)) r = -EFAULT;
    }
    t->sigwait_set = 0;
    lx_wake(t, r);
}

void lx_signal_interrupt(struct lx_thread *t)
{
    if (t->state != LX_BLOCKED) return;
    if (t->block == LX_BLOCK_SIGNAL && t->sigwait_set) {
        finish_sigwait(t);
        return;
    }
    /* Runnable again, the call unfinished; lx_deliver_signals settles it.
     * Deadline and wait fields stay for going back to sleep. */
    t->sig_intr = true;
    t->intr_block = t->block;
    t->state = LX_RUNNABLE;
    t->block = LX_BLOCK_NONE;
}

void lx_force_signal(struct lx_thread *t, int sig, int code, uint64_t addr)
{
    struct lx_proc *p = t->proc;
    struct lx_sigaction *sa = &p->sigact[sig];
    /* A synchronous fault that is blocked or ignored cannot be skipped: the
     * instruction would fault again. Linux then kills (force_sig_info). */
    if ((t->sigmask & SIGBIT(sig)) || sa->handler == LX_SIG_IGN) {
        sa->handler = LX_SIG_DFL;
        t->sigmask &= ~SIGBIT(sig);
    }
    struct lx_siginfo info = { .signo = sig, .code = code };
    info.u.fault.addr = addr;
    sq_add(&t->pending, &t->sigq, &info, false);
}

/* ---- interrupted system calls ---- */

/* The restart code Linux's version of call nr returns when a signal
 * interrupts it: signal(7) lists the calls never restarted after a
 * handler, whatever SA_RESTART says. */
static long restart_code(long nr)
{
    switch (nr) {
    case 72: case 73: case 22: case 441:   /* pselect6, ppoll, epoll_pwait(2) */
    case 133:                              /* rt_sigsuspend */
    case 4: case 188: case 189: case 192: case 193: /* io_getevents, msgrcv/snd, semop */
        return LX_ERESTARTNOHAND;
    case 101: case 115:                    /* nanosleep, clock_nanosleep */
        return LX_ERESTART_RESTARTBLOCK;
    }
    return LX_ERESTARTSYS;
}

static bool is_restart_code(long r)
{
    return r == -LX_ERESTARTSYS || r == -LX_ERESTARTNOINTR || r == -LX_ERESTARTNOHAND ||
           r == -LX_ERESTART_RESTARTBLOCK;
}

static void mark_restart(struct lx_thread *t, long nr, uint64_t a0, long code)
{
    t->sys_restart = true;
    t->sys_nr = nr;
    t->sys_orig_a0 = a0;
    t->cpu->x[10] = (uint64_t)-code;
}

/* Writes the time left of an interrupted sleep where nanosleep(2) and
 * clock_nanosleep(2) report it. */
static void sleep_remaining(struct lx_thread *t)
{
    struct vm_cpu *cpu = t->cpu;
    long nr = (long)cpu->x[17];
    uint64_t rem = nr == 101 ? cpu->x[11] : (cpu->x[11] & 1) ? 0 : cpu->x[13];
    if (!rem || !t->has_deadline) return;
    uint64_t now = lx_clock_ns(t, 1);
    uint64_t left = t->deadline_ns > now ? t->deadline_ns - now : 0;
    int64_t ts[2] = { (int64_t)(left / 1000000000ull), (int64_t)(left % 1000000000ull) };
    lx_copy_to(t, rem, ts, sizeof ts);
}

/* A handler is about to run on t: an unfinished call becomes one that
 * returned a restart code, then Linux's rules turn that into -EINTR or a
 * re-execution (arch/riscv/kernel/signal.c handle_signal). */
static void settle_for_handler(struct lx_thread *t, const struct lx_sigaction *sa)
{
    struct vm_cpu *cpu = t->cpu;
    if (t->sig_intr || t->retrying) {
        enum lx_block_kind kind = t->sig_intr ? t->intr_block : LX_BLOCK_RETRY;
        long nr = (long)cpu->x[17], code;
        t->sig_intr = t->retrying = false;
        switch (kind) {
        case LX_BLOCK_FUTEX:
            code = t->has_deadline ? LX_ERESTART_RESTARTBLOCK : LX_ERESTARTSYS;
            break;
        case LX_BLOCK_SLEEP:
            sleep_remaining(t);
            code = LX_ERESTART_RESTARTBLOCK;
            break;
        case LX_BLOCK_FD:
        case LX_BLOCK_RETRY:
            /* The scheduler put the ecall back to re-execute it; it did
             * execute once. */
            lx_retire_ecall(t);
            code = restart_code(nr);
            break;
        default:
            code = restart_code(nr);
            break;
        }
        t->has_deadline = false;
        mark_restart(t, nr, cpu->x[10], code);
        lx_obs_sys_exit(t, -code, NULL, 0);
    }
    if (!t->sys_restart) return;
    t->sys_restart = false;
    switch (-(long)cpu->x[10]) {
    case LX_ERESTART_RESTARTBLOCK:
    case LX_ERESTARTNOHAND:
        cpu->x[10] = (uint64_t)-EINTR;
        break;
    case LX_ERESTARTSYS:
        if (!(sa->flags & LX_SA_RESTART)) {
            cpu->x[10] = (uint64_t)-EINTR;
            break;
        }
        /* fall through */
    case LX_ERESTARTNOINTR:
        cpu->x[10] = t->sys_orig_a0;
        cpu->pc -= 4;
        break;
    }
}

/* No handler ran: an interrupted wait resumes, a call that returned a
 * restart code re-executes (do_signal's no-handler path), and
 * rt_sigsuspend's mask comes back. */
static void settle_without_handler(struct lx_thread *t)
{
    struct vm_cpu *cpu = t->cpu;
    if (t->sig_intr) {
        t->sig_intr = false;
        if (t->intr_block == LX_BLOCK_FUTEX) {
            /* Re-execute: the futex word may have changed meanwhile, and a
             * wake may have passed while we were not waiting. A timeout
             * starts again (Linux keeps the original expiry). */
            t->has_deadline = false;
            cpu->pc -= 4;
            lx_obs_sys_exit(t, -LX_ERESTARTSYS, NULL, 0);
        } else {
            lx_block(t, t->intr_block);
            return; /* still inside rt_sigsuspend/sleep/fd wait: keep the mask */
        }
    }
    if (t->sys_restart) {
        /* ERESTART_RESTARTBLOCK too: the call re-executes with its
         * original arguments. */
        t->sys_restart = false;
        cpu->x[10] = t->sys_orig_a0;
        cpu->pc -= 4;
    }
    if (t->restore_sigmask) {
        t->sigmask = t->saved_sigmask;
        t->restore_sigmask = false;
    }
}

/* Calls that raise SIGPIPE when they fail with EPIPE, unless MSG_NOSIGNAL. */
static bool raises_sigpipe(const struct lx_thread *t, long nr)
{
    const uint64_t *x = t->cpu->x;
    enum { MSG_NOSIGNAL = 0x4000 };
    switch (nr) {
    case 64: case 66: case 68: case 70: case 287: /* write, writev, pwrite64, pwritev(2) */
    case 71: case 75: case 76: case 77:           /* sendfile, vmsplice, splice, tee */
        return true;
    case 206: return !(x[13] & MSG_NOSIGNAL);     /* sendto flags: a3 */
    case 211: return !(x[12] & MSG_NOSIGNAL);     /* sendmsg flags: a2 */
    case 269: return !(x[13] & MSG_NOSIGNAL);     /* sendmmsg flags: a3 */
    }
    return false;
}

static struct lx_siginfo user_info(struct lx_thread *t, int sig, int code)
{
    struct lx_port *port = t->proc->port;
    struct lx_siginfo info = { .signo = sig, .code = code };
    info.u.kill.pid = t->proc->pid;
    info.u.kill.uid = (uint32_t)port->ops->host_id(port, t, LX_ID_UID);
    return info;
}

void lx_signal_syscall_done(struct lx_thread *t, long nr, uint64_t a0)
{
    struct lx_proc *p = t->proc;
    if (p->exited || t->state != LX_RUNNABLE || nr == 139 /* rt_sigreturn */) return;
    long r = (long)t->cpu->x[10];
    if (r == -EINTR) r = -restart_code(nr);
    if (is_restart_code(r)) {
        mark_restart(t, nr, a0, -r);
        return;
    }
    if (r == -EPIPE && raises_sigpipe(t, nr)) {
        struct lx_siginfo info = user_info(t, LX_SIGPIPE, LX_SI_USER);
        send_signal(p, t, &info, false, NULL);
    }
}

/* ---- delivery ---- */

void lx_deliver_signals(struct lx_thread *t)
{
    struct lx_proc *p = t->proc;
    if (t->sigwait_set && t->state == LX_RUNNABLE) t->sigwait_set = 0; /* sigtimedwait timed out */
    while (!p->exited) {
        struct lx_siginfo info;
        int sig = dequeue(t, ~t->sigmask | LX_UNBLOCKABLE, &info);
        if (!sig) break;
        struct lx_sigaction *sa = &p->sigact[sig];
        if (p->obs && p->obs->signal) {
            bool dfl = sig == LX_SIGKILL || sa->handler == LX_SIG_DFL;
            enum lx_dfl d = default_action(sig);
            p->obs->signal(p->obs->ctx, t, &info, dfl ? LX_SIG_DFL : sa->handler,
                           dfl && (d == DFL_TERM || d == DFL_CORE));
        }
        if (sig == LX_SIGKILL || sa->handler == LX_SIG_DFL) {
            switch (default_action(sig)) {
            case DFL_TERM:
            case DFL_CORE:
                lx_kill_process(p, sig);
                return;
            default:
                continue; /* ignore; stop and continue: see the top */
            }
        }
        if (sa->handler == LX_SIG_IGN) continue;
        settle_for_handler(t, sa);
        uint64_t saved = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
        if (lx_sigframe_setup(t, &info, sa, saved)) {
            /* No room for the frame: SIGSEGV, with the default action if
             * that was the signal (force_sigsegv). */
            if (sig == LX_SIGSEGV) sa->handler = LX_SIG_DFL;
            lx_force_signal(t, LX_SIGSEGV, LX_SI_KERNEL, 0);
            continue;
        }
        t->restore_sigmask = false;
        t->sigmask |= sa->mask;
        if (!(sa->flags & LX_SA_NODEFER)) t->sigmask |= SIGBIT(sig);
        t->sigmask &= ~LX_UNBLOCKABLE;
        if (sa->flags & LX_SA_RESETHAND) sa->handler = LX_SIG_DFL;
    }
    if (!p->exited) settle_without_handler(t);
}

/* ---- host signals ---- */

bool lx_signal_poll(struct lx_proc *p, struct lx_thread *t)
{
    struct lx_port *port = p->port;
    if (!port->ops->take_signals || p->exited) return false;
    bool woke = false;
    struct lx_siginfo buf[8];
    int n;
    do {
        n = port->ops->take_signals(port, t, buf, 8);
        for (int i = 0; i < n; i++) send_signal(p, NULL, &buf[i], false, &woke);
    } while (n == 8);
    return woke || p->exited;
}

void lx_signal_detach(struct lx_proc *p)
{
    struct lx_port *port = p->port;
    if (port->ops->take_signals) port->ops->take_signals(port, NULL, NULL, 0);
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
        p->sigact[sig] = (struct lx_sigaction){ n[0], n[1], n[2] & ~LX_UNBLOCKABLE };
        /* Setting an action that ignores discards the pending instances
         * (POSIX; kernel do_sigaction). */
        if (action_ignores(p, sig)) {
            sq_discard(&p->pending, &p->sigq, sig);
            for (size_t i = 0; i < p->n_threads; i++)
                sq_discard(&p->threads[i]->pending, &p->threads[i]->sigq, sig);
        }
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
        t->sigmask &= ~LX_UNBLOCKABLE;
    }
    if (c->a[2] && lx_copy_to(t, c->a[2], &old, 8)) return -EFAULT;
    return 0;
}

static long sys_sigaltstack(struct lx_thread *t, const struct lx_syscall *c)
{
    /* stack_t on riscv64: ss_sp (8), ss_flags (4, padded), ss_size (8). */
    struct ss { uint64_t sp; int32_t flags; int32_t pad; uint64_t size; };
    uint64_t sp = t->cpu->x[2];
    struct ss old = { t->altstack_sp, lx_altstack_flags(t, sp), 0, t->altstack_size };
    if (c->a[0]) {
        struct ss n;
        if (lx_copy_from(t, &n, c->a[0], sizeof n)) return -EFAULT;
        uint32_t mode = (uint32_t)n.flags & ~LX_SS_AUTODISARM;
        if (lx_on_altstack(t, sp)) return -EPERM;
        if (mode != 0 && mode != LX_SS_DISABLE && mode != LX_SS_ONSTACK) return -EINVAL;
        if (mode == LX_SS_DISABLE) {
            t->altstack_sp = t->altstack_size = 0;
        } else {
            if (n.size < LX_MINSIGSTKSZ) return -ENOMEM;
            t->altstack_sp = n.sp;
            t->altstack_size = n.size;
        }
        t->altstack_flags = (int)((uint32_t)n.flags & LX_SS_AUTODISARM);
    }
    if (c->a[1] && lx_copy_to(t, c->a[1], &old, sizeof old)) return -EFAULT;
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
        if (!sig) return 0;
        struct lx_siginfo info = user_info(t, sig, LX_SI_USER);
        return send_signal(p, NULL, &info, false, NULL);
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
    if (sig < 0 || sig > LX_NSIG || tid <= 0 || (c->nr == 131 && tgid <= 0)) return -EINVAL;
    if (tgid != p->pid) return -ESRCH;
    struct lx_thread *target = find_thread(p, tid);
    if (!target) return -ESRCH;
    if (!sig) return 0;
    struct lx_siginfo info = user_info(t, sig, LX_SI_TKILL);
    return send_signal(p, target, &info, false, NULL);
}

/* rt_sigqueueinfo(2) (138) and rt_tgsigqueueinfo (240): the caller's
 * siginfo; only negative si_codes other than SI_TKILL may be sent to
 * another process (the kernel's rule against forging kernel signals). */
static long sys_rt_sigqueueinfo(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    bool tg = c->nr == 240;
    int pid = (int)c->a[0], tid = tg ? (int)c->a[1] : 0;
    int sig = (int)c->a[tg ? 2 : 1];
    uint64_t uinfo = c->a[tg ? 3 : 2];
    struct lx_siginfo info;
    if (lx_copy_from(t, &info, uinfo, sizeof info)) return -EFAULT;
    if (sig < 0 || sig > LX_NSIG || (tg && (pid <= 0 || tid <= 0))) return -EINVAL;
    if (pid != p->pid) {
        if (info.code >= 0 || info.code == LX_SI_TKILL) return -EPERM;
        lx_warn_once(p, c->nr, "queueing signals to other processes is not supported");
        return -EPERM;
    }
    struct lx_thread *target = NULL;
    if (tg && !(target = find_thread(p, tid))) return -ESRCH;
    if (!sig) return 0;
    return send_signal(p, target, &info, true, NULL);
}

static long sys_rt_sigpending(struct lx_thread *t, const struct lx_syscall *c)
{
    if (c->a[1] > 8) return -EINVAL;
    uint64_t set = (t->pending | t->proc->pending) & t->sigmask;
    return lx_copy_to(t, c->a[0], &set, (size_t)c->a[1]) ? -EFAULT : 0;
}

static long sys_rt_sigsuspend(struct lx_thread *t, const struct lx_syscall *c)
{
    if (c->a[1] != 8) return -EINVAL;
    uint64_t mask;
    if (lx_copy_from(t, &mask, c->a[0], 8)) return -EFAULT;
    t->saved_sigmask = t->sigmask;
    t->restore_sigmask = true;
    t->sigmask = mask & ~LX_UNBLOCKABLE;
    /* Returns once a signal handler ran (-EINTR); if a signal is already
     * pending, at once. */
    if (deliverable(t)) return -LX_ERESTARTNOHAND;
    t->sigwait_set = 0;
    lx_block(t, LX_BLOCK_SIGNAL);
    return LX_SYS_BLOCKED;
}

static long sys_rt_sigtimedwait(struct lx_thread *t, const struct lx_syscall *c)
{
    if (c->a[3] != 8) return -EINVAL;
    uint64_t set;
    int64_t ts[2] = { 0, 0 };
    if (lx_copy_from(t, &set, c->a[0], 8)) return -EFAULT;
    set &= ~LX_UNBLOCKABLE;
    if (c->a[2]) {
        if (lx_copy_from(t, ts, c->a[2], sizeof ts)) return -EFAULT;
        if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000) return -EINVAL;
    }
    struct lx_siginfo info;
    int sig = dequeue(t, set, &info);
    if (sig) {
        if (c->a[1] && lx_copy_to(t, c->a[1], &info, sizeof info)) return -EFAULT;
        return sig;
    }
    if (c->a[2] && ts[0] == 0 && ts[1] == 0) return -EAGAIN;
    /* Wait for a signal of the set (or a handled one: -EINTR); the
     * timeout is a scheduler deadline. */
    t->sigwait_set = set;
    t->sigwait_info = c->a[1];
    lx_block(t, LX_BLOCK_SIGNAL);
    if (c->a[2]) {
        t->has_deadline = true;
        t->deadline_ns = lx_clock_ns(t, 1) + (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
        t->deadline_result = -EAGAIN;
    }
    return LX_SYS_BLOCKED;
}

static long sys_rt_sigreturn(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)c;
    t->sys_restart = false;
    if (lx_sigframe_restore(t)) {
        /* A bad frame: SIGSEGV (the kernel's badframe path). */
        lx_force_signal(t, LX_SIGSEGV, LX_SI_KERNEL, 0);
    }
    return LX_SYS_NORETURN;
}

const struct lx_sys_entry lx_sys_signal[] = {
    { 134, "rt_sigaction", sys_rt_sigaction },
    { 135, "rt_sigprocmask", sys_rt_sigprocmask },
    { 132, "sigaltstack", sys_sigaltstack },
    { 129, "kill", sys_kill },
    { 130, "tkill", sys_tgkill },
    { 131, "tgkill", sys_tgkill },
    { 133, "rt_sigsuspend", sys_rt_sigsuspend },
    { 136, "rt_sigpending", sys_rt_sigpending },
    { 137, "rt_sigtimedwait", sys_rt_sigtimedwait },
    { 138, "rt_sigqueueinfo", sys_rt_sigqueueinfo },
    { 139, "rt_sigreturn", sys_rt_sigreturn },
    { 240, "rt_tgsigqueueinfo", sys_rt_sigqueueinfo },
    { 0, NULL, NULL },
};
