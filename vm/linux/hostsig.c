/*
 * hostsig.c - asynchronous host signals for the guest. reprise catches the
 * signals a Linux process would receive from outside (terminal keys, kill,
 * timers it armed, children, I/O readiness) with handlers that only record
 * the signal and its siginfo and stop the running guest cpu at its next
 * block boundary. The live event port hands them to the guest
 * (lx_hostsig_take); they never reach the guest any other way, so the
 * recorder can log them at the execution point where the guest got them.
 *
 * Handlers are installed without SA_RESTART, so a blocking host call made
 * for the guest ends with EINTR when one arrives; signal.c then applies the
 * guest's own restart rules. SIGPIPE is ignored on the host while the guest
 * runs (a write to a broken pipe returns EPIPE and signal.c raises the
 * guest's SIGPIPE). Synchronous fault signals (SIGSEGV, SIGBUS, ...),
 * SIGABRT and the job-control signals keep the host's behaviour: they
 * concern reprise itself.
 *
 * Only the live port (port_live.c) calls these; nothing in here touches
 * guest state.
 */
#include "lx.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

/* Standard signals forwarded to the guest (signal(7) numbers, the same on
 * x86-64 and riscv64). The real-time ones SIGRTMIN..SIGRTMAX (the host
 * libc keeps a few below SIGRTMIN for itself) are forwarded too. */
static const int forwarded[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD, SIGURG,
    SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR,
};

#define RTQ 64

static struct {
    atomic_flag lock;            /* between handlers on other host threads and the reader */
    _Atomic uint64_t arrived;    /* bit n-1: signal n recorded and not taken */
    siginfo_t std[32];           /* [sig] for 1..31: the first unread instance */
    siginfo_t rt[RTQ];           /* real-time instances in arrival order */
    unsigned rt_n;
    _Atomic(struct lx_thread *) target;
    bool installed;
    uint64_t caught;             /* signals with our handler installed (bit n-1) */
    struct sigaction old[65];
    struct sigaction old_pipe;
    sigset_t set;                /* the caught signals, as a host set */
    pid_t pid;                   /* of the process that installed them */
} hs = { .lock = ATOMIC_FLAG_INIT };

static void lock(void)
{
    while (atomic_flag_test_and_set_explicit(&hs.lock, memory_order_acquire)) {
    }
}

static void unlock(void) { atomic_flag_clear_explicit(&hs.lock, memory_order_release); }

/* The handler: async-signal-safe (atomics, a spin lock the reader only
 * holds with these signals blocked, and a flag store in the cpu). */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    if (sig >= 1 && sig <= LX_NSIG) {
        uint64_t bit = 1ull << (sig - 1);
        lock();
        if (sig < 32) {
            if (!(atomic_load_explicit(&hs.arrived, memory_order_relaxed) & bit)) {
                hs.std[sig] = *si;
                atomic_fetch_or(&hs.arrived, bit);
            }
        } else if (hs.rt_n < RTQ) {
            hs.rt[hs.rt_n++] = *si;
            atomic_fetch_or(&hs.arrived, bit);
        }
        unlock();
        struct lx_thread *t = atomic_load(&hs.target);
        if (t && t->cpu) vm_cpu_request_stop(t->cpu);
    }
    errno = saved;
}

static void catch_signal(int sig)
{
    struct sigaction sa, old;
    if (sigaction(sig, NULL, &old) || old.sa_handler == SIG_IGN) return; /* nohup & co. */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: blocking host calls end with EINTR */
    sa.sa_mask = hs.set;      /* handlers never nest */
    if (sigaction(sig, &sa, NULL)) return;
    hs.old[sig] = old;
    hs.caught |= 1ull << (sig - 1);
}

void lx_hostsig_start(void)
{
    if (hs.installed) return;
    hs.installed = true;
    hs.pid = getpid();
    hs.caught = 0;
    sigemptyset(&hs.set);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&hs.set, forwarded[i]);
    for (int s = SIGRTMIN; s <= SIGRTMAX && s <= LX_NSIG; s++) sigaddset(&hs.set, s);
    for (int s = 1; s <= LX_NSIG; s++)
        if (sigismember(&hs.set, s) == 1) catch_signal(s);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &hs.old_pipe);
}

void lx_hostsig_stop(void)
{
    if (!hs.installed) return;
    atomic_store(&hs.target, NULL);
    for (int s = 1; s <= LX_NSIG; s++)
        if (hs.caught & (1ull << (s - 1))) sigaction(s, &hs.old[s], NULL);
    sigaction(SIGPIPE, &hs.old_pipe, NULL);
    hs.caught = 0;
    hs.installed = false;
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &hs.set, &old);
    lock();
    atomic_store(&hs.arrived, 0);
    hs.rt_n = 0;
    unlock();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void lx_hostsig_target(struct lx_thread *t) { atomic_store(&hs.target, t); }

/* Copies a host siginfo_t to the guest layout: the same 128 bytes on both
 * 64-bit ABIs (asm-generic siginfo.h). */
static void to_guest(struct lx_siginfo *out, const siginfo_t *si)
{
    _Static_assert(sizeof(siginfo_t) == sizeof(struct lx_siginfo), "siginfo layouts agree");
    memcpy(out, si, sizeof *out);
}

int lx_hostsig_take(struct lx_siginfo *out, int max)
{
    if (!atomic_load(&hs.arrived) || max <= 0) return 0;
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &hs.set, &old);
    lock();
    int n = 0;
    if (getpid() != hs.pid) {
        /* A forked child: what arrived before the fork was the parent's. */
        hs.pid = getpid();
        atomic_store(&hs.arrived, 0);
        hs.rt_n = 0;
    }
    uint64_t arrived = atomic_load(&hs.arrived);
    for (int s = 1; s < 32 && n < max; s++) {
        if (!(arrived & (1ull << (s - 1)))) continue;
        to_guest(&out[n++], &hs.std[s]);
        arrived &= ~(1ull << (s - 1));
    }
    unsigned used = 0;
    while (used < hs.rt_n && n < max) to_guest(&out[n++], &hs.rt[used++]);
    memmove(hs.rt, hs.rt + used, (hs.rt_n - used) * sizeof hs.rt[0]);
    hs.rt_n -= used;
    arrived &= (1ull << 31) - 1;
    for (unsigned i = 0; i < hs.rt_n; i++) arrived |= 1ull << (hs.rt[i].si_signo - 1);
    atomic_store(&hs.arrived, arrived);
    unlock();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return n;
}

void lx_hostsig_idle(const struct timespec *timeout)
{
    sigset_t old, wait;
    pthread_sigmask(SIG_BLOCK, &hs.set, &old);
    /* Checked with the signals blocked, then waited for with them
     * unblocked atomically (ppoll): one arriving in between is not lost. */
    if (!atomic_load(&hs.arrived)) {
        wait = old;
        for (int s = 1; s <= LX_NSIG; s++)
            if (hs.caught & (1ull << (s - 1))) sigdelset(&wait, s);
        ppoll(NULL, 0, timeout, &wait);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static struct sigaction exec_saved[LX_NSIG + 1];
static sigset_t exec_saved_mask;
static bool exec_restart;

void lx_hostsig_exec_begin(uint64_t ignored, uint64_t mask)
{
    exec_restart = hs.installed;
    lx_hostsig_stop();
    /* execve(2): caught signals revert to the default, ignored ones stay
     * ignored, the mask stays: the guest's, not reprise's. */
    for (int s = 1; s <= LX_NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP || sigaction(s, NULL, &exec_saved[s])) continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = (ignored & (1ull << (s - 1))) ? SIG_IGN : SIG_DFL;
        sigaction(s, &sa, NULL); /* fails for the host libc's internal signals: fine */
    }
    sigset_t m;
    sigemptyset(&m);
    for (int s = 1; s <= LX_NSIG; s++)
        if ((mask & (1ull << (s - 1))) && s != SIGKILL && s != SIGSTOP) sigaddset(&m, s);
    pthread_sigmask(SIG_SETMASK, &m, &exec_saved_mask);
}

void lx_hostsig_exec_failed(void)
{
    for (int s = 1; s <= LX_NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &exec_saved[s], NULL);
    pthread_sigmask(SIG_SETMASK, &exec_saved_mask, NULL);
    if (exec_restart) lx_hostsig_start();
}
