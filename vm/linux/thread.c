/*
 * thread.c - guest threads: clone, futex and the deterministic scheduler's
 * blocking rules. All threads of a guest process run on one host thread,
 * one at a time, switched after an instruction quantum or when the running
 * thread blocks, so an execution is a deterministic function of its inputs.
 * futex is emulated here (futex(2)): waiters queue in FIFO order per
 * address, which makes wake-ups deterministic too.
 */
#include "lx.h"

#include <stdlib.h>

/* clone flags (include/uapi/linux/sched.h) */
enum {
    LX_CLONE_VM = 0x100, LX_CLONE_FS = 0x200, LX_CLONE_FILES = 0x400, LX_CLONE_SIGHAND = 0x800,
    LX_CLONE_VFORK = 0x4000, LX_CLONE_PARENT = 0x8000, LX_CLONE_THREAD = 0x10000,
    LX_CLONE_SYSVSEM = 0x40000, LX_CLONE_SETTLS = 0x80000, LX_CLONE_PARENT_SETTID = 0x100000,
    LX_CLONE_CHILD_CLEARTID = 0x200000, LX_CLONE_CHILD_SETTID = 0x1000000,
};

/* futex operations (include/uapi/linux/futex.h) */
enum {
    FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
    FUTEX_WAKE_OP = 5, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
    FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256,
};

struct lx_thread *lx_thread_new(struct lx_proc *p)
{
    if (p->n_threads == p->cap_threads) {
        size_t cap = p->cap_threads ? p->cap_threads * 2 : 4;
        struct lx_thread **n = realloc(p->threads, cap * sizeof *n);
        if (!n) return NULL;
        p->threads = n;
        p->cap_threads = cap;
    }
    struct lx_thread *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cpu = vm_cpu_create(p->vm);
    if (!t->cpu) {
        free(t);
        return NULL;
    }
    t->cpu->user = t;
    t->proc = p;
    t->state = LX_RUNNABLE;
    p->threads[p->n_threads++] = t;
    return t;
}

/* ---- blocking and waking ---- */

void lx_block(struct lx_thread *t, enum lx_block_kind kind)
{
    t->state = LX_BLOCKED;
    t->block = kind;
    t->wait_seq = ++t->proc->wait_seq;
}

void lx_wake(struct lx_thread *t, long result)
{
    if (t->state != LX_BLOCKED) return;
    /* A thread waiting to re-execute its call (fd wait, retried wait) had
     * its ecall put back; completing the call retires it again. */
    if (t->block == LX_BLOCK_FD || t->block == LX_BLOCK_RETRY) lx_retire_ecall(t);
    t->state = LX_RUNNABLE;
    t->block = LX_BLOCK_NONE;
    t->has_deadline = false;
    t->cpu->x[10] = (uint64_t)result;
    lx_obs_sys_exit(t, result, NULL, 0);
}

void lx_wake_retry(struct lx_thread *t)
{
    if (t->state != LX_BLOCKED) return;
    t->state = LX_RUNNABLE;
    t->block = LX_BLOCK_NONE;
    t->retrying = true;
}

bool lx_poll_blocked(struct lx_proc *p, bool *poll_soon)
{
    bool woke = false;
    *poll_soon = false;
    struct lx_port *port = p->port;
    for (size_t i = 0; i < p->n_threads; i++) {
        struct lx_thread *t = p->threads[i];
        if (t->state != LX_BLOCKED) continue;
        if (t->block == LX_BLOCK_FD) {
            if (!port->ops->fd_would_block(port, t, t->wait_fd, t->wait_events)) {
                lx_wake_retry(t);
                woke = true;
            } else {
                *poll_soon = true;
            }
        } else if (t->block == LX_BLOCK_RETRY) {
            /* A wait call with the deadline kept in has_deadline: retry it;
             * it completes, times out, or blocks again. */
            bool keep = t->has_deadline;
            lx_wake_retry(t);
            t->has_deadline = keep;
            woke = true;
        }
    }
    return woke;
}

/* nanosleep and clock_nanosleep are deadlines for the scheduler, so a
 * sleeping thread never holds up the others (nanosleep(2),
 * clock_nanosleep(2)). */
static long sys_sleep(struct lx_thread *t, const struct lx_syscall *c)
{
    bool abs = false;
    int clock = 1;
    uint64_t req = c->a[0];
    if (c->nr == 115) {
        clock = (int)c->a[0];
        abs = c->a[1] & 1; /* TIMER_ABSTIME */
        req = c->a[2];
        if (clock != 0 && clock != 1 && clock != 7) {
            struct lx_port *port = t->proc->port;
            return port->ops->syscall(port, t, c);
        }
        if (clock == 7) clock = 1; /* BOOTTIME: monotonic here */
    }
    struct { int64_t sec, nsec; } ts;
    if (lx_copy_from(t, &ts, req, sizeof ts)) return -EFAULT;
    if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000) return -EINVAL;
    uint64_t ns = (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
    uint64_t now = lx_clock_ns(t, clock);
    if (abs) ns = ns > now ? ns - now : 0;
    if (ns == 0) return 0;
    lx_block(t, LX_BLOCK_SLEEP);
    t->has_deadline = true;
    t->deadline_ns = (clock == 1 ? now : lx_clock_ns(t, 1)) + ns;
    t->deadline_result = 0;
    return LX_SYS_BLOCKED;
}

long lx_futex_wake(struct lx_proc *p, uint64_t addr, int n, uint32_t bitset)
{
    /* Wake in the order the waiters went to sleep (FIFO). */
    long woken = 0;
    while (woken < n) {
        struct lx_thread *best = NULL;
        for (size_t i = 0; i < p->n_threads; i++) {
            struct lx_thread *w = p->threads[i];
            if (w->state == LX_BLOCKED && w->block == LX_BLOCK_FUTEX && w->futex_addr == addr &&
                (w->futex_bitset & bitset) && (!best || w->wait_seq < best->wait_seq))
                best = w;
        }
        if (!best) break;
        lx_wake(best, 0);
        woken++;
    }
    return woken;
}

/* Moves up to n waiters of addr to addr2, oldest first. */
static long futex_requeue(struct lx_proc *p, uint64_t addr, uint64_t addr2, long n)
{
    long moved = 0;
    while (moved < n) {
        struct lx_thread *best = NULL;
        for (size_t i = 0; i < p->n_threads; i++) {
            struct lx_thread *w = p->threads[i];
            if (w->state == LX_BLOCKED && w->block == LX_BLOCK_FUTEX && w->futex_addr == addr &&
                !w->requeued && (!best || w->wait_seq < best->wait_seq))
                best = w;
        }
        if (!best) break;
        best->futex_addr = addr2;
        best->requeued = true;
        moved++;
    }
    for (size_t i = 0; i < p->n_threads; i++) p->threads[i]->requeued = false;
    return moved;
}

/* FUTEX_WAKE_OP's operation on *addr2 (futex(2), "FUTEX_WAKE_OP"). */
static int futex_op(uint32_t encoded, uint32_t old, uint32_t *new_val)
{
    unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff;
    if ((encoded >> 31) & 1) oparg = oparg < 32 ? 1u << oparg : 0; /* FUTEX_OP_OPARG_SHIFT */
    switch (op) {
    case 0: *new_val = oparg; break;
    case 1: *new_val = old + oparg; break;
    case 2: *new_val = old | oparg; break;
    case 3: *new_val = old & ~oparg; break;
    case 4: *new_val = old ^ oparg; break;
    default: return -ENOSYS;
    }
    int32_t o = (int32_t)old, a = (int32_t)cmparg;
    switch (cmp) {
    case 0: return o == a;
    case 1: return o != a;
    case 2: return o < a;
    case 3: return o <= a;
    case 4: return o > a;
    case 5: return o >= a;
    }
    return -ENOSYS;
}

static long sys_futex(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t addr = c->a[0];
    int op = (int)c->a[1] & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    uint32_t val = (uint32_t)c->a[2];
    if (addr & 3) return -EINVAL;
    switch (op) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        uint32_t bitset = op == FUTEX_WAIT ? ~0u : (uint32_t)c->a[5];
        if (!bitset) return -EINVAL;
        uint32_t cur;
        if (lx_copy_from(t, &cur, addr, 4)) return -EFAULT;
        if (cur != val) return -EAGAIN;
        struct { int64_t sec, nsec; } ts;
        bool timed = c->a[3] != 0;
        if (timed) {
            if (lx_copy_from(t, &ts, c->a[3], sizeof ts)) return -EFAULT;
            if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000) return -EINVAL;
        }
        t->futex_addr = addr;
        t->futex_bitset = bitset;
        lx_block(t, LX_BLOCK_FUTEX);
        if (timed) {
            /* FUTEX_WAIT: relative; WAIT_BITSET: absolute on the chosen
             * clock. Both become a deadline on the port's clock. */
            uint64_t ns = (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec;
            if (op == FUTEX_WAIT_BITSET) {
                int clock = (c->a[1] & FUTEX_CLOCK_REALTIME) ? 0 : 1;
                uint64_t now = lx_clock_ns(t, clock);
                ns = ns > now ? ns - now : 0;
            }
            t->has_deadline = true;
            t->deadline_ns = lx_clock_ns(t, 1) + ns;
            t->deadline_result = -ETIMEDOUT;
        }
        return LX_SYS_BLOCKED;
    }
    case FUTEX_WAKE:
        return lx_futex_wake(p, addr, (int)(val > 0x7fffffff ? 0x7fffffff : val), ~0u);
    case FUTEX_WAKE_BITSET:
        if (!(uint32_t)c->a[5]) return -EINVAL;
        return lx_futex_wake(p, addr, (int)(val > 0x7fffffff ? 0x7fffffff : val), (uint32_t)c->a[5]);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
        if (op == FUTEX_CMP_REQUEUE) {
            uint32_t cur;
            if (lx_copy_from(t, &cur, addr, 4)) return -EFAULT;
            if (cur != (uint32_t)c->a[5]) return -EAGAIN;
        }
        long n2 = (long)(uint32_t)c->a[3];
        if ((int32_t)val < 0 || n2 < 0) return -EINVAL;
        long woken = lx_futex_wake(p, addr, (int)val, ~0u);
        return woken + futex_requeue(p, addr, c->a[4], n2);
    }
    case FUTEX_WAKE_OP: {
        uint64_t addr2 = c->a[4];
        uint32_t old, nv;
        if (addr2 & 3) return -EINVAL;
        if (lx_copy_from(t, &old, addr2, 4)) return -EFAULT;
        int cond = futex_op((uint32_t)c->a[5], old, &nv);
        if (cond < 0) return cond;
        if (lx_copy_to(t, addr2, &nv, 4)) return -EFAULT;
        long woken = lx_futex_wake(p, addr, (int)val, ~0u);
        if (cond) woken += lx_futex_wake(p, addr2, (int)(uint32_t)c->a[3], ~0u);
        return woken;
    }
    }
    /* Priority-inheritance futexes (LOCK_PI, ...) are not emulated;
     * glibc only uses them for PTHREAD_PRIO_INHERIT mutexes. */
    return -ENOSYS;
}

/* ---- clone ---- */

static long sys_clone(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t flags = c->a[0], newsp = c->a[1], ptid = c->a[2], tls = c->a[3], ctid = c->a[4];
    if ((flags & 0xff) > LX_NSIG) return -EINVAL;
    if (!(flags & LX_CLONE_VM)) return lx_fork(t, c);
    if ((flags & (LX_CLONE_THREAD | LX_CLONE_SIGHAND)) != (LX_CLONE_THREAD | LX_CLONE_SIGHAND)) {
        /* CLONE_VM without a thread group (e.g. posix_spawn's CLONE_VFORK
         * child) would need a second process sharing our memory. */
        if (flags & LX_CLONE_VFORK) return lx_fork(t, c);
        lx_warn_once(p, 220, "clone with CLONE_VM but without CLONE_THREAD is not supported");
        return -EINVAL;
    }
    struct lx_thread *n = lx_thread_new(p);
    if (!n) return -EAGAIN;
    n->tid = p->next_tid++;
    /* The child starts as a copy of the parent at the instruction after the
     * ecall (lx_syscall already retired it), returning 0. */
    memcpy(n->cpu->x, t->cpu->x, sizeof n->cpu->x);
    memcpy(n->cpu->f, t->cpu->f, sizeof n->cpu->f);
    n->cpu->fflags = t->cpu->fflags;
    n->cpu->frm = t->cpu->frm;
    n->cpu->pc = t->cpu->pc;
    n->cpu->x[10] = 0;
    if (newsp) n->cpu->x[2] = newsp;
    if (flags & LX_CLONE_SETTLS) n->cpu->x[4] = tls;
    n->sigmask = t->sigmask;
    uint32_t tid = (uint32_t)n->tid;
    if ((flags & LX_CLONE_PARENT_SETTID) && lx_copy_to(t, ptid, &tid, 4)) return -EFAULT;
    if ((flags & LX_CLONE_CHILD_SETTID) && lx_copy_to(t, ctid, &tid, 4)) return -EFAULT;
    if (flags & LX_CLONE_CHILD_CLEARTID) n->clear_child_tid = ctid;
    if (p->port->ops->thread_event) p->port->ops->thread_event(p->port, n, true);
    if (p->obs && p->obs->thread) p->obs->thread(p->obs->ctx, n, LX_OBS_THREAD_CREATE, t, 0);
    return n->tid;
}

void lx_thread_exit(struct lx_thread *t, int code)
{
    struct lx_port *port = t->proc->port;
    if (port->ops->thread_event) port->ops->thread_event(port, t, false);
    const struct lx_observer *obs = t->proc->obs;
    if (obs && obs->thread) obs->thread(obs->ctx, t, LX_OBS_THREAD_EXIT, NULL, code);
    t->obs_in_sys = false;
    t->state = LX_EXITED;
    t->exit_code = code;
    if (t->clear_child_tid) {
        /* CLONE_CHILD_CLEARTID: zero the tid word and wake one waiter, which
         * is how pthread_join learns the thread is gone. */
        uint32_t zero = 0;
        if (!lx_copy_to(t, t->clear_child_tid, &zero, 4))
            lx_futex_wake(t->proc, t->clear_child_tid, 1, ~0u);
    }
}

const struct lx_sys_entry lx_sys_thread[] = {
    { 98, "futex", sys_futex },
    { 220, "clone", sys_clone },
    { 101, "nanosleep", sys_sleep },
    { 115, "clock_nanosleep", sys_sleep },
    { 0, NULL, NULL },
};
