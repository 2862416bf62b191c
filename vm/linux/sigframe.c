/*
 * sigframe.c - the riscv64 Linux signal frame: what a handler finds on its
 * stack (struct rt_sigframe: siginfo_t, then struct ucontext with the
 * saved registers in uc_mcontext), the return trampoline, and
 * rt_sigreturn. Behaviour follows arch/riscv/kernel/signal.c (setup_rt_frame,
 * get_sigframe, restore_sigcontext) and kernel/signal.c (sigaltstack); the
 * layout is the uapi one (asm/ucontext.h, asm/sigcontext.h, asm/ptrace.h),
 * written out in lx.h's LX_SF_* offsets.
 */
#include "lx.h"

/* `addi a7, zero, 139` (li a7, __NR_rt_sigreturn) and `ecall`. */
static const uint32_t trampoline[2] = { (139u << 20) | (17u << 7) | 0x13u, 0x00000073u };

uint64_t lx_sigpage(struct lx_proc *p)
{
    uint64_t a = p->mmap_base;
    uint32_t code[2];
    int prot = vm_page_prot(p->vm, a);
    if (prot >= 0) {
        /* Ours, or something the guest mapped there with MAP_FIXED (then a
         * handler returns into it, as after unmapping Linux's vDSO). */
        return a;
    }
    if (!lx_range_free(p, a, a + VM_PAGE_SIZE)) return 0;
    if (vm_map(p->vm, a, VM_PAGE_SIZE, VM_PROT_READ | VM_PROT_EXEC)) return 0;
    memcpy(code, trampoline, sizeof code);
    if (vm_poke(p->vm, a, code, sizeof code)) return 0;
    lx_vma_add(p, a, a + VM_PAGE_SIZE, VM_PROT_READ | VM_PROT_EXEC, "[sigpage]");
    return a;
}

bool lx_on_altstack(const struct lx_thread *t, uint64_t sp)
{
    /* With SS_AUTODISARM the stack is disarmed while in use, so by
     * construction we are not on it (kernel on_sig_stack()). */
    if ((uint32_t)t->altstack_flags & LX_SS_AUTODISARM) return false;
    return sp > t->altstack_sp && sp - t->altstack_sp <= t->altstack_size;
}

/* SS_DISABLE, SS_ONSTACK or 0 (kernel sas_ss_flags()). */
static int32_t ss_state(const struct lx_thread *t, uint64_t sp)
{
    if (!t->altstack_size) return LX_SS_DISABLE;
    return lx_on_altstack(t, sp) ? LX_SS_ONSTACK : 0;
}

int32_t lx_altstack_flags(const struct lx_thread *t, uint64_t sp)
{
    return ss_state(t, sp) | (int32_t)((uint32_t)t->altstack_flags & LX_SS_AUTODISARM);
}

static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static uint64_t get64(const uint8_t *b, size_t off)
{
    uint64_t v;
    memcpy(&v, b + off, 8);
    return v;
}
static uint32_t get32(const uint8_t *b, size_t off)
{
    uint32_t v;
    memcpy(&v, b + off, 4);
    return v;
}

int lx_sigframe_setup(struct lx_thread *t, const struct lx_siginfo *info,
                      const struct lx_sigaction *sa, uint64_t saved_mask)
{
    struct vm_cpu *cpu = t->cpu;
    struct lx_proc *p = t->proc;
    uint64_t sp = cpu->x[2], usp = sp;
    /* A frame that would overflow the alternate stack while on it is a
     * SIGSEGV (get_sigframe). */
    if (lx_on_altstack(t, sp) && !lx_on_altstack(t, sp - LX_SF_SIZE)) return -EFAULT;
    /* SA_ONSTACK: switch to the alternate stack if it is enabled and we
     * are not on it already (sigsp()). */
    if ((sa->flags & LX_SA_ONSTACK) && ss_state(t, sp) == 0) sp = t->altstack_sp + t->altstack_size;
    uint64_t frame = (sp - LX_SF_SIZE) & ~(uint64_t)15;
    uint64_t tramp = lx_sigpage(p);
    if (!tramp || frame > sp) return -EFAULT;

    uint8_t b[LX_SF_SIZE];
    memset(b, 0, sizeof b);
    memcpy(b + LX_SF_INFO, info, sizeof *info);
    /* uc_flags and uc_link are 0; uc_stack is the alternate stack as it was
     * (__save_altstack), evaluated at the interrupted sp. */
    put64(b, LX_SF_UC_STACK, t->altstack_sp);
    put32(b, LX_SF_UC_STACK + 8, (uint32_t)lx_altstack_flags(t, usp));
    put64(b, LX_SF_UC_STACK + 16, t->altstack_size);
    put64(b, LX_SF_UC_SIGMASK, saved_mask);
    /* sc_regs: pc, then x1..x31. */
    put64(b, LX_SF_REGS, cpu->pc);
    for (int i = 1; i < 32; i++) put64(b, LX_SF_REGS + 8 * (size_t)i, cpu->x[i]);
    /* sc_fpregs as the D extension's state: f[32], fcsr; the rest (the Q
     * view's reserved words, the extension header of newer kernels) 0. */
    for (int i = 0; i < 32; i++) put64(b, LX_SF_FPREGS + 8 * (size_t)i, cpu->f[i]);
    put32(b, LX_SF_FCSR, (cpu->fflags & 0x1f) | (cpu->frm & 7) << 5);
    if (lx_copy_to(t, frame, b, sizeof b)) return -EFAULT;

    /* SS_AUTODISARM: the alternate stack is off while the handler runs;
     * rt_sigreturn puts it back from uc_stack. */
    if ((uint32_t)t->altstack_flags & LX_SS_AUTODISARM) {
        t->altstack_sp = t->altstack_size = 0;
        t->altstack_flags = 0;
    }
    cpu->x[1] = tramp;
    cpu->x[2] = frame;
    cpu->x[10] = (uint64_t)(int64_t)info->signo;
    cpu->x[11] = frame + LX_SF_INFO;
    cpu->x[12] = frame + LX_SF_UC;
    cpu->pc = sa->handler;
    /* The kernel's trap return clears any LR reservation. */
    cpu->res_valid = 0;
    return 0;
}

int lx_sigframe_restore(struct lx_thread *t)
{
    struct vm_cpu *cpu = t->cpu;
    uint64_t frame = cpu->x[2];
    uint8_t b[LX_SF_SIZE];
    if (lx_copy_from(t, b, frame, sizeof b)) return -EFAULT;
    /* Reserved FP words must be 0 (restore_fp_state / the extension
     * header's reserved word in newer kernels). */
    for (int i = 0; i < 3; i++)
        if (get32(b, LX_SF_FP_RESERVED + 4 * (size_t)i)) return -EFAULT;
    uint64_t mask = get64(b, LX_SF_UC_SIGMASK);
    t->sigmask = mask & ~LX_UNBLOCKABLE;
    cpu->pc = get64(b, LX_SF_REGS);
    for (int i = 1; i < 32; i++) cpu->x[i] = get64(b, LX_SF_REGS + 8 * (size_t)i);
    for (int i = 0; i < 32; i++) cpu->f[i] = get64(b, LX_SF_FPREGS + 8 * (size_t)i);
    uint32_t fcsr = get32(b, LX_SF_FCSR);
    cpu->fflags = fcsr & 0x1f;
    cpu->frm = (fcsr >> 5) & 7;
    cpu->res_valid = 0;
    /* restore_altstack: sigaltstack(&uc_stack, NULL) at the restored sp,
     * errors ignored (the kernel squashes them). */
    uint64_t ss_sp = get64(b, LX_SF_UC_STACK), ss_size = get64(b, LX_SF_UC_STACK + 16);
    uint32_t ss_flags = get32(b, LX_SF_UC_STACK + 8);
    uint32_t mode = ss_flags & ~LX_SS_AUTODISARM;
    if (!lx_on_altstack(t, cpu->x[2]) &&
        (mode == 0 || mode == LX_SS_DISABLE || mode == LX_SS_ONSTACK)) {
        if (mode == LX_SS_DISABLE) {
            t->altstack_sp = t->altstack_size = 0;
            t->altstack_flags = 0;
        } else if (ss_size >= LX_MINSIGSTKSZ) {
            t->altstack_sp = ss_sp;
            t->altstack_size = ss_size;
            t->altstack_flags = (int)(ss_flags & LX_SS_AUTODISARM);
        }
    }
    return 0;
}
