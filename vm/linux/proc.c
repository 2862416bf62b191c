/*
 * proc.c - a guest process: creation, the run loop that turns guest
 * exceptions into system calls and signals, and teardown.
 */
#include "lx.h"

#include <stdlib.h>

/* Instructions a thread runs before the scheduler looks at others. */
#define LX_QUANTUM 50000

static uint64_t read_time(void *ctx, struct vm_cpu *cpu, uint64_t icount, uint64_t pc)
{
    (void)icount; (void)pc;
    struct lx_proc *p = ctx;
    return p->port->ops->read_time(p->port, cpu->user);
}

static struct lx_thread *new_thread(struct lx_proc *p)
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

int lx_create(const struct lx_config *cfg, struct lx_proc **out, char *err, size_t errlen)
{
    *out = NULL;
    struct lx_proc *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->port = cfg->port;
    p->sysroot = strdup(cfg->sysroot ? cfg->sysroot : "/usr/riscv64-linux-gnu");
    p->exe_path = strdup(cfg->path);
    struct vm_config vc = { .addr_bits = cfg->addr_bits, .read_time = read_time, .time_ctx = p,
                            .instrument = cfg->instrument };
    int r = vm_create(&vc, &p->vm, err, errlen);
    if (r || !p->sysroot || !p->exe_path) {
        lx_destroy(p);
        return r ? r : -ENOMEM;
    }
    p->stack_top = vm_addr_limit(p->vm);
    p->mmap_base = p->stack_top - LX_STACK_SIZE - LX_STACK_GAP;
    struct lx_thread *t = new_thread(p);
    if (!t) {
        lx_destroy(p);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->pid = (int)p->port->ops->host_id(p->port, t, LX_ID_PID);
    t->tid = p->pid;
    p->next_tid = p->pid + 1;
    r = lx_load(p, t, cfg->path, cfg->argc, cfg->argv, cfg->envp, err, errlen);
    if (r) {
        lx_destroy(p);
        return r;
    }
    *out = p;
    return 0;
}

void lx_destroy(struct lx_proc *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_threads; i++) free(p->threads[i]);
    free(p->threads);
    vm_destroy(p->vm);
    free(p->vmas);
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
    case RV_EXC_ECALL:
        lx_syscall(t);
        return;
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

int lx_run(struct lx_proc *p, struct lx_exit *out, char *err, size_t errlen)
{
    while (!p->exited) {
        struct lx_thread *t = lx_cur(p);
        if (t->state != LX_RUNNABLE) {
            /* Pick the next runnable thread, round robin. */
            size_t i, n = p->n_threads;
            for (i = 1; i <= n; i++)
                if (p->threads[(p->cur + i) % n]->state == LX_RUNNABLE) break;
            if (i > n) {
                snprintf(err, errlen, "all guest threads are blocked (deadlock)");
                return -EDEADLK;
            }
            p->cur = (p->cur + i) % n;
            continue;
        }
        lx_deliver_signals(t);
        if (p->exited) break;
        struct vm_exit ex;
        int r = vm_run(t->cpu, LX_QUANTUM, &ex);
        if (r) {
            snprintf(err, errlen, "the virtual machine failed: %s", strerror(-r));
            return r;
        }
        if (ex.reason == VM_EXIT_EXCEPTION) handle_exception(t, &ex);
    }
    *out = p->exit;
    return 0;
}
