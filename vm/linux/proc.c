/*
 * proc.c - a guest process: creation, the run loop that turns guest
 * exceptions into system calls and signals, and teardown.
 */
#include "lx.h"

#include <stdlib.h>
#include <xxhash.h>

#include "isa.h"

/* Instructions a thread runs before the scheduler looks at others. */
#define LX_QUANTUM 50000

static uint64_t read_time(void *ctx, struct vm_cpu *cpu, uint64_t icount, uint64_t pc)
{
    struct lx_proc *p = ctx;
    return p->port->ops->read_time(p->port, cpu->user, icount, pc);
}

int lx_create(const struct lx_config *cfg, struct lx_proc **out, char *err, size_t errlen)
{
    *out = NULL;
    struct lx_proc *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->port = cfg->port;
    p->obs = cfg->observer;
    p->sysroot = strdup(cfg->sysroot ? cfg->sysroot : "/usr/riscv64-linux-gnu");
    p->exe_path = strdup(cfg->path);
    p->vmcfg = (struct vm_config){ .addr_bits = cfg->addr_bits, .read_time = read_time,
                                   .time_ctx = p, .instrument = cfg->instrument };
    int r = vm_create(&p->vmcfg, &p->vm, err, errlen);
    if (r || !p->sysroot || !p->exe_path) {
        lx_destroy(p);
        return r ? r : -ENOMEM;
    }
    p->chaos = cfg->chaos_seed;
    p->slice_len = LX_QUANTUM;
    p->stack_top = vm_addr_limit(p->vm);
    p->mmap_base = p->stack_top - LX_STACK_SIZE - LX_STACK_GAP;
    struct lx_thread *t = lx_thread_new(p);
    if (!t) {
        lx_destroy(p);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->pid = (int)p->port->ops->host_id(p->port, t, LX_ID_PID);
    t->tid = p->pid;
    lx_set_exe_path(p, t, cfg->path);
    p->next_tid = p->pid + 1;
    r = lx_load(p, t, cfg->path, cfg->argc, cfg->argv, cfg->envp, err, errlen);
    if (r) {
        lx_destroy(p);
        return r;
    }
    if (p->obs && p->obs->thread) p->obs->thread(p->obs->ctx, t, LX_OBS_THREAD_CREATE, NULL, 0);
    *out = p;
    return 0;
}

void lx_set_exe_path(struct lx_proc *p, struct lx_thread *t, const char *path)
{
    char buf[4096];
    const char *use = path;
    if (p->port->ops->resolve_path(p->port, t, path, buf, sizeof buf) == 0) use = buf;
    char *dup = strdup(use);
    if (!dup) return;
    free(p->exe_path);
    p->exe_path = dup;
}

int lx_exec_reset(struct lx_proc *p, char *err, size_t errlen)
{
    struct lx_thread *t = lx_cur(p);
    struct vm *nvm;
    int r = vm_create(&p->vmcfg, &nvm, err, errlen);
    if (r) return r;
    struct vm_cpu *cpu = vm_cpu_create(nvm);
    if (!cpu) {
        vm_destroy(nvm);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* Other threads end; their instructions still count. */
    for (size_t i = 0; i < p->n_threads; i++) {
        struct lx_thread *o = p->threads[i];
        p->icount_dead += o->cpu->icount;
        if (o != t) free(o);
    }
    p->threads[0] = t;
    p->n_threads = 1;
    p->cur = 0;
    vm_destroy(p->vm);
    p->vm = nvm;
    t->cpu = cpu;
    cpu->user = t;
    t->tid = p->pid;
    t->clear_child_tid = 0;
    t->altstack_sp = t->altstack_size = 0;
    t->state = LX_RUNNABLE;
    p->n_vmas = 0;
    p->slice_start = 0;
    /* Caught signals revert to the default; ignored ones stay ignored. */
    for (int s = 1; s <= LX_NSIG; s++)
        if (p->sigact[s].handler > 1) p->sigact[s] = (struct lx_sigaction){ 0 };
    return 0;
}

void lx_destroy(struct lx_proc *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_threads; i++) free(p->threads[i]);
    free(p->threads);
    vm_destroy(p->vm);
    free(p->vmas);
    free(p->journal.r);
    free(p->sysroot);
    free(p->exe_path);
    free(p);
}

struct vm *lx_vm(struct lx_proc *p) { return p->vm; }

uint64_t lx_icount(const struct lx_proc *p)
{
    uint64_t n = p->icount_dead;
    for (size_t i = 0; i < p->n_threads; i++) n += p->threads[i]->cpu->icount;
    return n;
}

/* si_code values (include/uapi/asm-generic/siginfo.h) */
enum { SEGV_MAPERR = 1, SEGV_ACCERR = 2, BUS_ADRALN = 1, ILL_ILLOPC = 1, TRAP_BRKPT = 1 };

/* Turns a guest exception into what Linux would do for a user process. */
static void handle_exception(struct lx_thread *t, const struct vm_exit *ex)
{
    struct lx_proc *p = t->proc;
    switch (ex->cause) {
    case RV_EXC_ECALL: {
        /* The call's number and a0, for signal.c's restart of interrupted
         * calls and SIGPIPE. */
        long nr = (long)t->cpu->x[17];
        uint64_t a0 = t->cpu->x[10];
        lx_syscall(t);
        lx_signal_syscall_done(t, nr, a0);
        return;
    }
    case RV_EXC_BREAKPOINT:
        lx_force_signal(t, 5 /* SIGTRAP */, TRAP_BRKPT, ex->pc);
        return;
    case RV_EXC_ILLEGAL:
        lx_force_signal(t, 4 /* SIGILL */, ILL_ILLOPC, ex->pc);
        return;
    case RV_EXC_LOAD_MISALIGNED:
    case RV_EXC_STORE_MISALIGNED:
    case RV_EXC_INSN_MISALIGNED:
        lx_force_signal(t, 7 /* SIGBUS */, BUS_ADRALN, ex->tval);
        return;
    default: {
        /* Page faults: MAPERR if nothing is mapped there, else ACCERR. */
        int code = vm_page_prot(p->vm, ex->tval) < 0 ? SEGV_MAPERR : SEGV_ACCERR;
        lx_force_signal(t, 11 /* SIGSEGV */, code, ex->tval);
        return;
    }
    }
}

uint64_t lx_clock_ns(struct lx_thread *t, int clock)
{
    struct lx_port *port = t->proc->port;
    return port->ops->clock_ns(port, t, clock);
}

static uint64_t chaos_next(struct lx_proc *p)
{
    /* xorshift64*: the schedule only needs to be varied and reproducible. */
    p->chaos ^= p->chaos >> 12;
    p->chaos ^= p->chaos << 25;
    p->chaos ^= p->chaos >> 27;
    return p->chaos * 0x2545f4914f6cdd1dull;
}

/* Starts a time slice for thread k. */
static struct lx_thread *start_slice(struct lx_proc *p, size_t k)
{
    if (k != p->cur && p->obs && p->obs->thread)
        p->obs->thread(p->obs->ctx, p->threads[k], LX_OBS_THREAD_SWITCH, p->threads[p->cur], 0);
    p->cur = k;
    p->slice_start = p->threads[k]->cpu->icount;
    /* Chaos: slices from 64 to about 200k instructions, so that threads
     * interleave at very different points from one recording to the next. */
    p->slice_len = p->chaos ? 64 + (chaos_next(p) % 200000) : LX_QUANTUM;
    return p->threads[k];
}

/* Chooses the thread to run: the current one until its time slice is used
 * up, then the next runnable one in thread-creation order (round robin; a
 * random runnable one under chaos). Never switches while the current thread
 * holds an LR reservation, so an LR/SC pair is never split. Returns NULL if
 * no thread can run now. */
static struct lx_thread *pick(struct lx_proc *p)
{
    size_t n = p->n_threads;
    struct lx_thread *cur = lx_cur(p);
    if (cur->state == LX_RUNNABLE &&
        (cur->cpu->icount - p->slice_start < p->slice_len || cur->cpu->res_valid))
        return cur;
    size_t first = 1;
    if (p->chaos) first = 1 + (size_t)(chaos_next(p) % n);
    for (size_t i = 0; i < n; i++) {
        size_t k = (p->cur + first + i) % n;
        if (p->threads[k]->state == LX_RUNNABLE) return start_slice(p, k);
    }
    return NULL;
}

/* Wakes threads whose deadline has passed. Returns the earliest deadline
 * still pending (UINT64_MAX if none). Reads the clock only if some thread
 * has a deadline. */
static uint64_t expire_deadlines(struct lx_proc *p)
{
    uint64_t next = UINT64_MAX, now = 0;
    bool have_now = false;
    for (size_t i = 0; i < p->n_threads; i++) {
        struct lx_thread *t = p->threads[i];
        if (t->state != LX_BLOCKED || !t->has_deadline) continue;
        if (!have_now) {
            now = lx_clock_ns(t, 1);
            have_now = true;
        }
        if (t->deadline_ns <= now) lx_wake(t, t->deadline_result);
        else if (t->deadline_ns < next) next = t->deadline_ns;
    }
    return next;
}

int lx_run(struct lx_proc *p, struct lx_exit *out, char *err, size_t errlen)
{
    (void)err; (void)errlen;
    while (!p->exited) {
        if (p->port->halt) {
            snprintf(err, errlen, "%s", p->port->halt);
            lx_signal_detach(p);
            return -ECANCELED;
        }
        struct lx_thread *t = pick(p);
        if (!t) {
            /* Everyone is blocked: wake sleepers whose time came and threads
             * whose fd became ready, else wait for the earliest deadline or a
             * host event (polling fds and retries every few ms). */
            uint64_t next = expire_deadlines(p);
            bool soon;
            lx_poll_blocked(p, &soon);
            if (pick(p)) continue;
            /* Host signals (through the port) may wake a thread or end
             * the process. */
            if (lx_signal_poll(p, lx_cur(p))) continue;
            if (soon) {
                uint64_t tick = lx_clock_ns(lx_cur(p), 1) + 2000000;
                if (tick < next) next = tick;
            }
            p->port->ops->idle(p->port, lx_cur(p), next);
            expire_deadlines(p);
            continue;
        }
        /* Async host signals are taken here, at a block boundary of the
         * thread about to run (also naming it as the one they interrupt). */
        lx_signal_poll(p, t);
        if (p->exited) break;
        lx_deliver_signals(t);
        if (p->exited) break;
        if (t->state != LX_RUNNABLE) continue;
        uint64_t used = t->cpu->icount - p->slice_start;
        /* Past the slice only to finish an LR/SC sequence: small steps. */
        uint64_t budget = used < p->slice_len ? p->slice_len - used : 16;
        if (p->port->ops->next_stop) {
            /* Stop exactly where the port has an asynchronous event. */
            uint64_t at = p->port->ops->next_stop(p->port, t);
            if (at != UINT64_MAX && at >= t->cpu->icount && at - t->cpu->icount < budget)
                budget = at - t->cpu->icount;
        }
        struct vm_exit ex;
        int r = vm_run(t->cpu, budget, &ex);
        if (r) {
            snprintf(err, errlen, "the virtual machine failed: %s", strerror(-r));
            lx_signal_detach(p);
            return r;
        }
        if (ex.reason == VM_EXIT_EXCEPTION) handle_exception(t, &ex);
        else if (ex.reason == VM_EXIT_BUDGET && used >= p->slice_len + 4096 && t->cpu->res_valid)
            t->cpu->res_valid = 0; /* an LR never followed by its SC: let SC fail */
        /* Deadlines and blocked fds are checked when a time slice ends,
         * never at the other points vm_run may return at (a stop request;
         * in replay, the exact point of an asynchronous event), so the
         * sequence of port calls depends only on the guest's execution. */
        if (ex.reason == VM_EXIT_BUDGET && t->cpu->icount - p->slice_start >= p->slice_len) {
            bool soon;
            if (p->port->ops->tick) p->port->ops->tick(p->port, t);
            if (p->obs && p->obs->tick) p->obs->tick(p->obs->ctx, t);
            expire_deadlines(p);
            lx_poll_blocked(p, &soon);
        }
    }
    lx_signal_detach(p);
    *out = p->exit;
    if (p->obs && p->obs->exit) p->obs->exit(p->obs->ctx, lx_cur(p), &p->exit);
    return 0;
}

/* ---- views for the recorder and the replayer ---- */

void lx_thread_point(const struct lx_thread *t, struct lx_point *pt)
{
    pt->tid = (uint32_t)t->tid;
    pt->ticount = t->cpu->icount;
    pt->pc = t->cpu->pc;
    pt->icount = lx_icount(t->proc);
}

void lx_thread_point_at(const struct lx_thread *t, uint64_t ticount, uint64_t pc,
                        struct lx_point *pt)
{
    /* Inside a block the cpu's count is the block's start; the process
     * count follows the instruction's own. */
    pt->tid = (uint32_t)t->tid;
    pt->ticount = ticount;
    pt->pc = pc;
    pt->icount = lx_icount(t->proc) - t->cpu->icount + ticount;
}

struct lx_proc *lx_thread_proc(const struct lx_thread *t) { return t->proc; }

struct lx_thread *lx_cpu_thread(struct vm_cpu *cpu) { return cpu ? cpu->user : NULL; }

struct vm_cpu *lx_thread_cpu(const struct lx_thread *t) { return t->cpu; }

const char *lx_exe_path(const struct lx_proc *p) { return p->exe_path; }

size_t lx_journal_start(struct lx_proc *p)
{
    if (p->journal.depth++ == 0) {
        p->journal.n = 0;
        p->journal.failed = false;
    }
    return p->journal.n;
}

bool lx_journal_stop(struct lx_proc *p, size_t mark, const struct lx_range **r, size_t *n)
{
    if (p->journal.depth) p->journal.depth--;
    if (mark > p->journal.n) mark = p->journal.n;
    *r = (const struct lx_range *)p->journal.r + mark;
    *n = p->journal.n - mark;
    return !p->journal.failed;
}

int lx_guest_peek(struct lx_proc *p, uint64_t addr, void *buf, size_t len)
{
    return vm_peek(p->vm, addr, buf, len) ? -EFAULT : 0;
}

int lx_guest_poke(struct lx_proc *p, uint64_t addr, const void *buf, size_t len)
{
    if (vm_poke(p->vm, addr, buf, len)) return -EFAULT;
    /* A replay restores what a system call wrote through here: observers
     * see those bytes as the call's writes, as in the recorded run. */
    lx_journal_note(p, addr, len);
    return 0;
}

uint64_t lx_mapped_bytes(const struct lx_proc *p)
{
    uint64_t n = 0;
    for (size_t i = 0; i < p->n_vmas; i++) n += p->vmas[i].end - p->vmas[i].start;
    return n;
}

uint64_t lx_state_digest(struct lx_proc *p)
{
    XXH3_state_t *st = XXH3_createState();
    if (!st) return 0;
    XXH3_64bits_reset(st);
    for (size_t i = 0; i < p->n_threads; i++) {
        const struct lx_thread *t = p->threads[i];
        if (t->state == LX_EXITED) continue;
        const struct vm_cpu *c = t->cpu;
        uint64_t regs[32 + 32 + 3];
        memcpy(regs, c->x, 32 * 8);
        memcpy(regs + 32, c->f, 32 * 8);
        regs[64] = c->pc;
        regs[65] = (uint64_t)c->frm << 5 | c->fflags;
        regs[66] = (uint64_t)t->tid;
        XXH3_64bits_update(st, regs, sizeof regs);
    }
    for (size_t i = 0; i < p->n_vmas; i++) {
        const struct lx_vma *v = &p->vmas[i];
        for (uint64_t a = v->start; a < v->end;) {
            if (vm_page_prot(p->vm, a) < 0) {
                a += VM_PAGE_SIZE;
                continue;
            }
            /* A run of mapped pages, read in place: pages the guest may
             * not read are made readable for the run, once. */
            uint64_t end = a + VM_PAGE_SIZE;
            while (end < v->end && vm_page_prot(p->vm, end) >= 0) end += VM_PAGE_SIZE;
            const uint8_t *h = NULL;
            uint64_t run = a;
            int raised = vm_host_peek(p->vm, run, end - run, (const void **)&h);
            for (; a < end; a += VM_PAGE_SIZE) {
                uint64_t head[2] = { a, (uint64_t)vm_page_prot(p->vm, a) };
                XXH3_64bits_update(st, head, sizeof head);
                if (raised >= 0) XXH3_64bits_update(st, h + (a - run), VM_PAGE_SIZE);
            }
            if (raised > 0) vm_host_release(p->vm, run, end - run);
        }
    }
    uint64_t d = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return d;
}

void lx_describe_insn(struct lx_proc *p, uint64_t pc, char *buf, size_t n)
{
    uint8_t b[4] = { 0 };
    if (vm_peek(p->vm, pc, b, 2)) {
        snprintf(buf, n, "0x%llx: (not mapped)", (unsigned long long)pc);
        return;
    }
    uint32_t bits = (uint32_t)(b[0] | b[1] << 8);
    if (rv_insn_len((uint16_t)bits) == 4 && !vm_peek(p->vm, pc + 2, b + 2, 2))
        bits |= (uint32_t)(b[2] | b[3] << 8) << 16;
    struct rv_decoded d;
    rv_decode(bits, &d);
    char text[96];
    rv_disas(&d, pc, text, sizeof text);
    for (char *c = text; *c; c++)
        if (*c == '\t') *c = ' ';
    snprintf(buf, n, "0x%llx: %s", (unsigned long long)pc, text);
}

void lx_describe_regs(struct lx_proc *p, uint32_t tid, char *buf, size_t n)
{
    if (!n) return;
    buf[0] = 0;
    for (size_t i = 0; i < p->n_threads; i++) {
        const struct lx_thread *t = p->threads[i];
        if ((uint32_t)t->tid != tid || t->state == LX_EXITED) continue;
        size_t len = 0;
        for (int r = 1; r < 32 && len < n; r++) {
            /* four registers a line, each line indented */
            const char *sep = r == 1 ? "    " : (r - 1) % 4 == 0 ? "\n    " : " ";
            int w = snprintf(buf + len, n - len, "%s%s=0x%llx", sep, rv_xreg_names[r],
                             (unsigned long long)t->cpu->x[r]);
            if (w < 0) break;
            len += (size_t)w;
        }
        return;
    }
}

size_t lx_thread_regs(struct lx_proc *p, uint32_t tid, uint64_t *out, size_t max)
{
    for (size_t i = 0; i < p->n_threads; i++) {
        const struct lx_thread *t = p->threads[i];
        if ((uint32_t)t->tid != tid || t->state == LX_EXITED) continue;
        uint64_t v[65];
        memcpy(v, &t->cpu->x[1], 31 * 8);
        memcpy(v + 31, t->cpu->f, 32 * 8);
        v[63] = t->cpu->pc;
        v[64] = (uint64_t)t->cpu->frm << 5 | t->cpu->fflags;
        size_t n = max < 65 ? max : 65;
        memcpy(out, v, n * 8);
        return n;
    }
    return 0;
}

uint64_t lx_thread_reg(const struct lx_thread *t, size_t i)
{
    if (i < 31) return t->cpu->x[i + 1];
    if (i < 63) return t->cpu->f[i - 31];
    if (i == 63) return t->cpu->pc;
    if (i == 64) return (uint64_t)t->cpu->frm << 5 | t->cpu->fflags;
    return 0;
}

const char *lx_reg_name(size_t i)
{
    if (i < 31) return rv_xreg_names[i + 1];
    if (i < 63) return rv_freg_names[i - 31];
    return i == 63 ? "pc" : i == 64 ? "fcsr" : "?";
}
