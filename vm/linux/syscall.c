/*
 * syscall.c - system call dispatch for the Linux personality, guest memory
 * helpers with syscall semantics, and the process-level calls emulated
 * inside reprise (exit, ids, tid address, rseq, scheduling queries).
 * Numbers are the riscv64 ones (asm-generic unistd.h).
 */
#include "lx.h"

#include <stdarg.h>
#include <stdlib.h>

int lx_copy_from(struct lx_thread *t, void *dst, uint64_t src, size_t len)
{
    return vm_read(t->proc->vm, src, dst, len) ? -EFAULT : 0;
}

void lx_journal_note(struct lx_proc *p, uint64_t addr, size_t len)
{
    struct lx_journal *j = &p->journal;
    if (!j->depth || !len) return;
    if (j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 16;
        void *n = realloc(j->r, cap * sizeof *j->r);
        if (!n) {
            /* Losing a range would make the recording wrong: say so. */
            j->failed = true;
            return;
        }
        j->r = n;
        j->cap = cap;
    }
    j->r[j->n].addr = addr;
    j->r[j->n].len = len;
    j->n++;
}

int lx_copy_to(struct lx_thread *t, uint64_t dst, const void *src, size_t len)
{
    if (vm_write(t->proc->vm, dst, src, len)) return -EFAULT;
    lx_journal_note(t->proc, dst, len);
    return 0;
}

long lx_read_string(struct lx_thread *t, uint64_t addr, char *buf, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (vm_read(t->proc->vm, addr + i, &buf[i], 1)) return -EFAULT;
        if (!buf[i]) return (long)i;
    }
    return -ENAMETOOLONG;
}

void *lx_guest_ptr(struct lx_thread *t, uint64_t addr, size_t len, bool write)
{
    return vm_host_ptr(t->proc->vm, addr, len, write ? VM_PROT_WRITE : VM_PROT_READ);
}

void lx_guest_written(struct lx_thread *t, uint64_t addr, size_t len)
{
    vm_code_written(t->proc->vm, addr, len);
    lx_journal_note(t->proc, addr, len);
}

void lx_warn_once(struct lx_proc *p, long nr, const char *fmt, ...)
{
    if (nr >= 0 && nr < (long)sizeof p->warned) {
        if (p->warned[nr]) return;
        p->warned[nr] = 1;
    }
    va_list ap;
    fprintf(stderr, "reprise: warning: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- process-level calls ---- */

static long sys_exit(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    size_t live = 0;
    for (size_t i = 0; i < p->n_threads; i++)
        if (p->threads[i]->state != LX_EXITED) live++;
    if (live <= 1) {
        lx_exit_process(p, (int)(c->a[0] & 0xff));
        return LX_SYS_NORETURN;
    }
    lx_thread_exit(t, (int)(c->a[0] & 0xff));
    return LX_SYS_NORETURN;
}

static long sys_exit_group(struct lx_thread *t, const struct lx_syscall *c)
{
    lx_exit_process(t->proc, (int)(c->a[0] & 0xff));
    return LX_SYS_NORETURN;
}

static long sys_getpid(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)c;
    return t->proc->pid;
}

static long sys_gettid(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)c;
    return t->tid;
}

static long sys_set_tid_address(struct lx_thread *t, const struct lx_syscall *c)
{
    t->clear_child_tid = c->a[0];
    return t->tid;
}

static long sys_set_robust_list(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)t;
    /* The list is only consulted when a thread dies holding a robust
     * mutex; accepting it is enough for glibc. */
    return c->a[1] == 24 ? 0 : -EINVAL;
}

static long sys_enosys_quiet(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)t; (void)c;
    /* rseq and clone3: glibc probes them and falls back cleanly. */
    return -ENOSYS;
}

static long sys_sched_yield(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)c;
    /* End the time slice: the scheduler moves on to the next runnable
     * thread (sched_yield(2)), deterministically, at this instruction. */
    t->proc->slice_len = 0;
    return 0;
}

static long sys_sched_getaffinity(struct lx_thread *t, const struct lx_syscall *c)
{
    /* Guest threads share one host thread: the guest sees one CPU, which
     * is also what keeps it deterministic. */
    uint64_t len = c->a[1];
    if (len < 8 || (len & 7)) return -EINVAL;
    uint64_t mask = 1;
    if (lx_copy_to(t, c->a[2], &mask, 8)) return -EFAULT;
    return 8;
}

static long sys_zero(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)t; (void)c;
    return 0;
}

static long sys_membarrier(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)t;
    /* MEMBARRIER_CMD_QUERY reports no commands; the others are no-ops for
     * serialized threads. */
    return c->a[0] == 0 ? 0 : 0;
}

static long sys_ids(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_port *port = t->proc->port;
    switch (c->nr) {
    case 174: return port->ops->host_id(port, t, LX_ID_UID);
    case 175: return port->ops->host_id(port, t, LX_ID_EUID);
    case 176: return port->ops->host_id(port, t, LX_ID_GID);
    case 177: return port->ops->host_id(port, t, LX_ID_EGID);
    case 173: return port->ops->host_id(port, t, LX_ID_PPID);
    }
    return -ENOSYS;
}

static long sys_getres(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_port *port = t->proc->port;
    int r = c->nr == 148 ? LX_ID_UID : LX_ID_GID, e = c->nr == 148 ? LX_ID_EUID : LX_ID_EGID;
    uint32_t v[3] = { (uint32_t)port->ops->host_id(port, t, r),
                      (uint32_t)port->ops->host_id(port, t, e), 0 };
    v[2] = v[1];
    for (int i = 0; i < 3; i++)
        if (lx_copy_to(t, c->a[i], &v[i], 4)) return -EFAULT;
    return 0;
}

static long sys_readlinkat(struct lx_thread *t, const struct lx_syscall *c)
{
    /* /proc/self/exe names the guest program, not reprise. */
    char path[64];
    long n = lx_read_string(t, c->a[1], path, sizeof path);
    if (n > 0 && (!strcmp(path, "/proc/self/exe") ||
                  (t->proc->pid && !strncmp(path, "/proc/", 6) && atoi(path + 6) == t->proc->pid &&
                   strstr(path, "/exe")))) {
        const char *exe = t->proc->exe_path;
        size_t len = strlen(exe), bufsz = c->a[3];
        if (len > bufsz) len = bufsz;
        if (lx_copy_to(t, c->a[2], exe, len)) return -EFAULT;
        return (long)len;
    }
    struct lx_port *port = t->proc->port;
    return port->ops->syscall(port, t, c);
}

const struct lx_sys_entry lx_sys_proc[] = {
    { 93, "exit", sys_exit },
    { 94, "exit_group", sys_exit_group },
    { 172, "getpid", sys_getpid },
    { 178, "gettid", sys_gettid },
    { 173, "getppid", sys_ids },
    { 174, "getuid", sys_ids },
    { 175, "geteuid", sys_ids },
    { 176, "getgid", sys_ids },
    { 177, "getegid", sys_ids },
    { 148, "getresuid", sys_getres },
    { 150, "getresgid", sys_getres },
    { 96, "set_tid_address", sys_set_tid_address },
    { 99, "set_robust_list", sys_set_robust_list },
    { 293, "rseq", sys_enosys_quiet },
    { 435, "clone3", sys_enosys_quiet },
    { 124, "sched_yield", sys_sched_yield },
    { 123, "sched_getaffinity", sys_sched_getaffinity },
    { 122, "sched_setaffinity", sys_zero },
    { 259, "riscv_flush_icache", sys_zero },
    { 283, "membarrier", sys_membarrier },
    { 78, "readlinkat", sys_readlinkat },
    { 0, NULL, NULL },
};

/* Calls the event port serves: the pass-through rows of hostsys.def and the
 * ones it converts by hand. */
const struct lx_sys_entry lx_sys_host[] = {
#define HOSTSYS(nr, name, host, spec) { nr, #name, NULL },
#include "hostsys.def"
#undef HOSTSYS
    { 80, "fstat", NULL },
    { 79, "newfstatat", NULL },
    { 29, "ioctl", NULL },
    { 25, "fcntl", NULL },
    { 65, "readv", NULL },
    { 66, "writev", NULL },
    { 69, "preadv", NULL },
    { 70, "pwritev", NULL },
    { 73, "ppoll", NULL },
    /* converted in port_live_net.c */
    { 242, "accept4", NULL },
    { 202, "accept", NULL },
    { 204, "getsockname", NULL },
    { 205, "getpeername", NULL },
    { 207, "recvfrom", NULL },
    { 209, "getsockopt", NULL },
    { 211, "sendmsg", NULL },
    { 212, "recvmsg", NULL },
    { 21, "epoll_ctl", NULL },
    { 22, "epoll_pwait", NULL },
    { 441, "epoll_pwait2", NULL },
    { 72, "pselect6", NULL },
    { 0, NULL, NULL },
};

/* ---- dispatch ---- */

#define LX_MAX_NR 512

static const struct lx_sys_entry *table[LX_MAX_NR];

__attribute__((constructor)) static void build_table(void)
{
    /* Later groups override earlier ones: emulation wins over pass-through. */
    const struct lx_sys_entry *groups[] = { lx_sys_host, lx_sys_mm, lx_sys_proc, lx_sys_signal,
                                            lx_sys_thread, lx_sys_process };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        for (const struct lx_sys_entry *e = groups[g]; e->name; e++)
            if (e->nr >= 0 && e->nr < LX_MAX_NR) table[e->nr] = e;
}

/* Name of a syscall number, for warnings and traces. */
const char *lx_syscall_name(long nr)
{
    if (nr >= 0 && nr < LX_MAX_NR && table[nr]) return table[nr]->name;
    return NULL;
}

/* Calls that wait on one fd (fd argument, poll events). */
static const struct { int nr; int fd_arg; short events; } fd_calls[] = {
    { 63, 0, 1 }, { 65, 0, 1 }, { 67, 0, 1 }, { 202, 0, 1 }, { 242, 0, 1 }, { 207, 0, 1 },
    { 212, 0, 1 }, { 64, 0, 4 }, { 66, 0, 4 }, { 206, 0, 4 }, { 211, 0, 4 },
};
/* Calls whose wait the port can skip (nowait) so that they are retried. */
static bool is_wait_call(long nr)
{
    return nr == 73 || nr == 260 || nr == 22 || nr == 72 || nr == 441;
}

/* The timeout of a wait call in nanoseconds; false if it waits forever. */
static bool wait_timeout_ns(struct lx_thread *t, const struct lx_syscall *c, uint64_t *ns)
{
    struct { int64_t sec, nsec; } ts;
    uint64_t at = 0;
    switch (c->nr) {
    case 22: /* epoll_pwait: milliseconds, negative = forever */
        if ((int)c->a[3] < 0) return false;
        *ns = (uint64_t)(int)c->a[3] * 1000000ull;
        return true;
    case 73: at = c->a[2]; break;  /* ppoll: timespec */
    case 72: at = c->a[4]; break;  /* pselect6: timespec */
    case 441: at = c->a[3]; break; /* epoll_pwait2: timespec */
    default: return false;         /* wait4 */
    }
    if (!at || lx_copy_from(t, &ts, at, sizeof ts) || ts.sec < 0 || ts.nsec < 0) return false;
    *ns = (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
    return true;
}

/* Whether another guest thread exists that could need the host thread while
 * t waits: any live one (a sleeper's deadline or a blocked fd can come due
 * while t would sit in a host call). */
static bool others_runnable(struct lx_thread *t)
{
    struct lx_proc *p = t->proc;
    for (size_t i = 0; i < p->n_threads; i++)
        if (p->threads[i] != t && p->threads[i]->state != LX_EXITED) return true;
    return false;
}

void lx_syscall(struct lx_thread *t)
{
    struct vm_cpu *cpu = t->cpu;
    struct lx_syscall c = { .nr = (long)cpu->x[17] };
    for (int i = 0; i < 6; i++) c.a[i] = cpu->x[10 + i];
    bool retrying = t->retrying;
    t->retrying = false;
    const struct lx_observer *obs = t->proc->obs;
    size_t mark = 0;
    if (obs) {
        if (!t->obs_in_sys) {
            t->obs_in_sys = true;
            t->obs_call = c;
            if (obs->syscall_enter) obs->syscall_enter(obs->ctx, t, &c);
        }
        mark = lx_journal_start(t->proc);
    }
    long r = LX_SYS_BLOCKED;  /* the result, once the call completes */
    /* A host call that would block must not hold up the other guest
     * threads, which share this host thread: the guest thread waits with its
     * ecall not yet retired, and the call runs again when it can proceed.
     * (Deciding before retiring keeps every count monotonic, which the
     * recording's execution points rely on.) */
    if (others_runnable(t) || retrying) {
        struct lx_port *port = t->proc->port;
        for (size_t i = 0; i < sizeof fd_calls / sizeof fd_calls[0]; i++) {
            if (fd_calls[i].nr != c.nr) continue;
            int fd = (int)c.a[fd_calls[i].fd_arg];
            if (others_runnable(t) && port->ops->fd_would_block(port, t, fd, fd_calls[i].events)) {
                t->wait_fd = fd;
                t->wait_events = fd_calls[i].events;
                lx_block(t, LX_BLOCK_FD);
                goto out;
            }
        }
        if (is_wait_call(c.nr)) {
            c.nowait = true;
            long w = port->ops->syscall(port, t, &c);
            if (w != 0) {
                t->has_deadline = false;
                vm_cpu_retire(cpu);
                cpu->x[10] = (uint64_t)w;
                r = w;
                goto out;
            }
            if (!retrying) {
                /* First attempt: the call's own timeout becomes a deadline. */
                uint64_t ns;
                t->has_deadline = wait_timeout_ns(t, &c, &ns);
                if (t->has_deadline) {
                    t->deadline_ns = lx_clock_ns(t, 1) + ns;
                    t->deadline_result = 0;
                }
            } else if (t->has_deadline && lx_clock_ns(t, 1) >= t->deadline_ns) {
                t->has_deadline = false;
                vm_cpu_retire(cpu);
                cpu->x[10] = 0;
                r = 0;
                goto out;
            }
            bool keep = t->has_deadline;
            lx_block(t, LX_BLOCK_RETRY);
            t->has_deadline = keep;
            goto out;
        }
    }
    /* The ecall retires now: a handler that delivers a signal or switches
     * threads sees the pc after it. */
    vm_cpu_retire(cpu);
    const struct lx_sys_entry *e = c.nr >= 0 && c.nr < LX_MAX_NR ? table[c.nr] : NULL;
    if (!e) {
        lx_warn_once(t->proc, c.nr, "unsupported system call %ld, returning ENOSYS", c.nr);
        r = -ENOSYS;
    } else if (e->fn) {
        r = e->fn(t, &c);
    } else {
        r = t->proc->port->ops->syscall(t->proc->port, t, &c);
        if (r == -ENOSYS) lx_warn_once(t->proc, c.nr, "system call %s is not supported", e->name);
    }
    if (r != LX_SYS_NORETURN && r != LX_SYS_BLOCKED) cpu->x[10] = (uint64_t)r;
    /* a0 already set (rt_sigreturn, execve) unless the thread is gone;
     * execve gave the thread a new cpu */
    else if (r == LX_SYS_NORETURN && t->state != LX_EXITED && !t->proc->exited)
        r = (long)t->cpu->x[10];
out:
    if (obs) {
        const struct lx_range *w;
        size_t n;
        lx_journal_stop(t->proc, mark, &w, &n);
        if (r != LX_SYS_BLOCKED && r != LX_SYS_NORETURN && t->state != LX_EXITED)
            lx_obs_sys_exit(t, r, w, n);
    }
}

void lx_retire_ecall(struct lx_thread *t)
{
    const struct lx_observer *obs = t->proc->obs;
    if (obs && obs->retire) obs->retire(obs->ctx, t);
    vm_cpu_retire(t->cpu);
}

void lx_obs_sys_exit(struct lx_thread *t, long ret, const struct lx_range *w, size_t n)
{
    const struct lx_observer *obs = t->proc->obs;
    if (!obs || !t->obs_in_sys) return;
    t->obs_in_sys = false;
    if (obs->syscall_exit) obs->syscall_exit(obs->ctx, t, &t->obs_call, ret, w, n);
}
