/*
 * guest_calls.c - guest program for the call and regs plugin tests
 * (test_plugins.sh), built static and at -O0 so every call in the source is
 * a call in the code: a binary recursion of known size (fib(15): 1973
 * calls, 15 levels deep), a longjmp out of 5 nested frames, registers set
 * to known constants at labelled instructions (known_lui, known_addiw,
 * known_addi, known_fcvt), a load that faults (SIGSEGV, recovered with
 * siglongjmp: it writes no register), and one write() of a known text.
 */
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) long fib(long n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static jmp_buf env;

__attribute__((noinline)) void deep(int n)
{
    if (n == 0) longjmp(env, 7);
    deep(n - 1);
}

__attribute__((noinline)) long magic(void)
{
    long x;
    __asm__ volatile(".globl known_lui, known_addiw, known_addi\n"
                     "known_lui: lui %0, 0x5eed1\n"
                     "known_addiw: addiw %0, %0, 0x234\n"
                     "known_addi: addi %0, %0, -0x235\n"
                     : "=r"(x));
    return x;
}

__attribute__((noinline)) double seven(void)
{
    double d;
    __asm__ volatile(".globl known_fcvt\n"
                     "known_fcvt: fcvt.d.l %0, %1\n"
                     : "=f"(d)
                     : "r"(7L));
    return d;
}

static sigjmp_buf fault_env;

static void on_segv(int sig)
{
    siglongjmp(fault_env, sig);
}

/* Loads from address 16, which is never mapped: returns the signal. */
__attribute__((noinline)) long fault(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    int sig = sigsetjmp(fault_env, 1);
    if (sig == 0) {
        long v = *(volatile long *)16;
        return v;
    }
    return sig;
}

int main(void)
{
    static const char msg[] = "guest_calls: hello\n";
    long f = fib(15);
    if (setjmp(env) == 0) deep(5);
    long m = magic();
    double s = seven();
    long g = fault();
    write(1, msg, sizeof msg - 1);
    return f == 610 && m == 0x5eed0fff && s == 7.0 && g == SIGSEGV ? 0 : 1;
}
