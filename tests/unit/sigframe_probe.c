/*
 * sigframe_probe.c - compiled with riscv64-linux-gnu-gcc -S (never run): the
 * assembly lists, as "@@name value" lines, the sizes and offsets of the
 * riscv64 kernel's signal structures from the installed cross headers
 * (asm/sigcontext.h, asm/ucontext.h, asm-generic/siginfo.h), for
 * test_sigframe.c to check vm/linux's frame layout against.
 */
#include <stddef.h>
#include <linux/signal.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <asm/siginfo.h>

/* arch/riscv/kernel/signal.c's frame (with an MMU there is nothing more). */
struct rt_sigframe {
    siginfo_t info;
    struct ucontext uc;
};

#define V(name, val) __asm__ volatile(".ascii \"@@" #name " %0\\n\"" ::"n"((long)(val)))

void probe(void)
{
    V(frame_size, sizeof(struct rt_sigframe));
    V(frame_info, offsetof(struct rt_sigframe, info));
    V(frame_uc, offsetof(struct rt_sigframe, uc));
    V(siginfo_size, sizeof(siginfo_t));
    V(si_signo, offsetof(siginfo_t, si_signo));
    V(si_errno, offsetof(siginfo_t, si_errno));
    V(si_code, offsetof(siginfo_t, si_code));
    V(si_pid, offsetof(siginfo_t, si_pid));
    V(si_uid, offsetof(siginfo_t, si_uid));
    V(si_value, offsetof(siginfo_t, si_value));
    V(si_tid, offsetof(siginfo_t, si_tid));
    V(si_overrun, offsetof(siginfo_t, si_overrun));
    V(si_addr, offsetof(siginfo_t, si_addr));
    V(si_status, offsetof(siginfo_t, si_status));
    V(si_utime, offsetof(siginfo_t, si_utime));
    V(si_stime, offsetof(siginfo_t, si_stime));
    V(si_band, offsetof(siginfo_t, si_band));
    V(si_fd, offsetof(siginfo_t, si_fd));
    V(uc_flags, offsetof(struct ucontext, uc_flags));
    V(uc_link, offsetof(struct ucontext, uc_link));
    V(uc_stack, offsetof(struct ucontext, uc_stack));
    V(uc_sigmask, offsetof(struct ucontext, uc_sigmask));
    V(uc_mcontext, offsetof(struct ucontext, uc_mcontext));
    V(ss_sp, offsetof(stack_t, ss_sp));
    V(ss_flags, offsetof(stack_t, ss_flags));
    V(ss_size, offsetof(stack_t, ss_size));
    V(sc_regs, offsetof(struct sigcontext, sc_regs));
    V(sc_regs_pc, offsetof(struct sigcontext, sc_regs.pc));
    V(sc_regs_ra, offsetof(struct sigcontext, sc_regs.ra));
    V(sc_regs_sp, offsetof(struct sigcontext, sc_regs.sp));
    V(sc_regs_a0, offsetof(struct sigcontext, sc_regs.a0));
    V(sc_regs_t6, offsetof(struct sigcontext, sc_regs.t6));
    V(sc_fpregs, offsetof(struct sigcontext, sc_fpregs));
    V(sc_fcsr, offsetof(struct sigcontext, sc_fpregs.d.fcsr));
    V(sc_q_reserved, offsetof(struct sigcontext, sc_fpregs.q.reserved));
    V(sigcontext_size, sizeof(struct sigcontext));
    V(minsigstksz, MINSIGSTKSZ);
    V(sa_siginfo, SA_SIGINFO);
    V(sa_onstack, SA_ONSTACK);
    V(sa_restart, SA_RESTART);
    V(sa_nodefer, SA_NODEFER);
    V(sa_resethand, SA_RESETHAND);
    V(ss_onstack, SS_ONSTACK);
    V(ss_disable, SS_DISABLE);
    V(ss_autodisarm, SS_AUTODISARM);
    /* timer_create's struct sigevent, passed through to the host as is. */
    V(sigevent_size, sizeof(struct sigevent));
    V(sigev_value, offsetof(struct sigevent, sigev_value));
    V(sigev_signo, offsetof(struct sigevent, sigev_signo));
    V(sigev_notify, offsetof(struct sigevent, sigev_notify));
    V(sigev_tid, offsetof(struct sigevent, sigev_notify_thread_id));
}
