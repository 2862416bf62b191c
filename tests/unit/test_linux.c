/*
 * test_linux.c - the Linux personality without a host: a scripted event
 * port feeds a hand-built ELF, and the tests check the loader's initial
 * stack and auxv (binfmt_elf's create_elf_tables layout), PIE placement,
 * errors on malformed files, and the futex and scheduler rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <elf.h>

#include "lx.h"

/* ---- a guest program: a0 = 7; exit ---- */
struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    uint32_t code[3];
};

static struct image img;
static size_t img_len;

static void build_image(int type)
{
    memset(&img, 0, sizeof img);
    memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
    img.eh.e_ident[EI_CLASS] = ELFCLASS64;
    img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    img.eh.e_ident[EI_VERSION] = EV_CURRENT;
    img.eh.e_type = (Elf64_Half)type;
    img.eh.e_machine = EM_RISCV;
    img.eh.e_version = EV_CURRENT;
    uint64_t base = type == ET_EXEC ? 0x10000 : 0;
    img.eh.e_entry = base + offsetof(struct image, code);
    img.eh.e_phoff = sizeof(Elf64_Ehdr);
    img.eh.e_ehsize = sizeof(Elf64_Ehdr);
    img.eh.e_phentsize = sizeof(Elf64_Phdr);
    img.eh.e_phnum = 1;
    img.ph.p_type = PT_LOAD;
    img.ph.p_flags = PF_R | PF_X;
    img.ph.p_vaddr = img.ph.p_paddr = base;
    img.ph.p_filesz = img.ph.p_memsz = sizeof img;
    img.ph.p_align = 0x1000;
    img.code[0] = 0x00700513; /* addi a0, zero, 7 */
    img.code[1] = 0x05d00893; /* addi a7, zero, 93 (exit) */
    img.code[2] = 0x00000073; /* ecall */
    img_len = sizeof img;
}

/* ---- a scripted port ---- */
static uint64_t fake_clock;

static int t_load_file(struct lx_port *p, struct lx_thread *t, const char *path, void **data,
                       size_t *len)
{
    (void)p; (void)t;
    if (strcmp(path, "/prog")) return -ENOENT;
    *data = malloc(img_len);
    memcpy(*data, &img, img_len);
    *len = img_len;
    return 0;
}
static int t_resolve_path(struct lx_port *p, struct lx_thread *t, const char *path, char *out,
                          size_t n)
{
    (void)p; (void)t;
    snprintf(out, n, "/canonical%s", path);
    return 0;
}
static long t_read_fd_at(struct lx_port *p, struct lx_thread *t, int fd, uint64_t off, void *buf,
                         size_t len)
{
    (void)p; (void)t; (void)fd; (void)off; (void)buf; (void)len;
    return -EBADF;
}
static void t_random(struct lx_port *p, struct lx_thread *t, void *buf, size_t len)
{
    (void)p; (void)t;
    for (size_t i = 0; i < len; i++) ((uint8_t *)buf)[i] = (uint8_t)(0xa0 + i);
}
static uint64_t t_read_time(struct lx_port *p, struct lx_thread *t, uint64_t icount, uint64_t pc)
{
    (void)p; (void)t; (void)icount; (void)pc;
    return 0;
}
static long t_syscall(struct lx_port *p, struct lx_thread *t, const struct lx_syscall *c)
{
    (void)p; (void)t; (void)c;
    return -ENOSYS;
}
static long t_host_id(struct lx_port *p, struct lx_thread *t, int what)
{
    (void)p; (void)t;
    return what == LX_ID_PID ? 4242 : 1000 + what;
}
static uint64_t t_clock_ns(struct lx_port *p, struct lx_thread *t, int clock)
{
    (void)p; (void)t; (void)clock;
    return fake_clock;
}
static void t_idle(struct lx_port *p, struct lx_thread *t, uint64_t until)
{
    (void)p; (void)t;
    if (until != UINT64_MAX && until > fake_clock) fake_clock = until;
}
static long t_fork(struct lx_port *p, struct lx_thread *t)
{
    (void)p; (void)t;
    return -ENOSYS;
}
static long t_exec_host(struct lx_port *p, struct lx_thread *t, const char *path,
                        char *const *argv, char *const *envp)
{
    (void)p; (void)t; (void)path; (void)argv; (void)envp;
    return -ENOEXEC;
}
static int t_would_block(struct lx_port *p, struct lx_thread *t, int fd, short ev)
{
    (void)p; (void)t; (void)fd; (void)ev;
    return 0;
}
static void t_destroy(struct lx_port *p) { (void)p; }

static struct lx_port_ops test_ops = {
    .load_file = t_load_file, .resolve_path = t_resolve_path, .read_fd_at = t_read_fd_at, .random = t_random,
    .read_time = t_read_time, .syscall = t_syscall, .host_id = t_host_id,
    .clock_ns = t_clock_ns, .idle = t_idle, .fork = t_fork, .exec_host = t_exec_host,
    .fd_would_block = t_would_block, .destroy = t_destroy,
};
static struct lx_port test_port = { .ops = &test_ops };

static struct lx_proc *create(int argc, char **argv, char **envp)
{
    struct lx_config cfg = { .path = "/prog", .argc = argc, .argv = argv, .envp = envp,
                             .sysroot = "/nonexistent", .port = &test_port, .addr_bits = 38 };
    struct lx_proc *p;
    char err[256];
    int r = lx_create(&cfg, &p, err, sizeof err);
    if (r) fail_msg("lx_create: %s", err);
    return p;
}

static uint64_t peek64(struct lx_proc *p, uint64_t a)
{
    uint64_t v = 0;
    assert_int_equal(vm_peek(p->vm, a, &v, 8), 0);
    return v;
}

static void peek_str(struct lx_proc *p, uint64_t a, char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(vm_peek(p->vm, a + i, &buf[i], 1), 0);
        if (!buf[i]) return;
    }
    fail_msg("unterminated string");
}

/* argc, argv[], NULL, envp[], NULL, auxv pairs: create_elf_tables order. */
static void test_initial_stack(void **state)
{
    (void)state;
    build_image(ET_EXEC);
    char *argv[] = { "prog", "one", "two", NULL };
    char *envp[] = { "A=1", "LONGER=value", NULL };
    struct lx_proc *p = create(3, argv, envp);
    struct vm_cpu *cpu = p->threads[0]->cpu;
    uint64_t sp = cpu->x[2];
    assert_int_equal(sp & 15, 0);
    assert_int_equal(cpu->pc, 0x10000 + offsetof(struct image, code));
    assert_int_equal(peek64(p, sp), 3);
    char s[64];
    for (int i = 0; i < 3; i++) {
        peek_str(p, peek64(p, sp + 8 + 8 * (uint64_t)i), s, sizeof s);
        assert_string_equal(s, argv[i]);
    }
    assert_int_equal(peek64(p, sp + 32), 0);
    for (int i = 0; i < 2; i++) {
        peek_str(p, peek64(p, sp + 40 + 8 * (uint64_t)i), s, sizeof s);
        assert_string_equal(s, envp[i]);
    }
    assert_int_equal(peek64(p, sp + 56), 0);
    /* auxv */
    uint64_t a = sp + 64, seen = 0, random_at = 0;
    for (;; a += 16) {
        uint64_t type = peek64(p, a), val = peek64(p, a + 8);
        if (type == AT_NULL) break;
        assert_true(type < 64);
        seen |= 1ull << type;
        switch (type) {
        case AT_PAGESZ: assert_int_equal(val, 4096); break;
        case AT_PHDR: assert_int_equal(val, 0x10000 + sizeof(Elf64_Ehdr)); break;
        case AT_PHENT: assert_int_equal(val, sizeof(Elf64_Phdr)); break;
        case AT_PHNUM: assert_int_equal(val, 1); break;
        case AT_ENTRY: assert_int_equal(val, cpu->pc); break;
        case AT_BASE: assert_int_equal(val, 0); break; /* no interpreter */
        case AT_HWCAP: assert_int_equal(val, 0x112d); break; /* I M A F D C */
        case AT_UID: assert_int_equal(val, 1000 + LX_ID_UID); break;
        case AT_EGID: assert_int_equal(val, 1000 + LX_ID_EGID); break;
        case AT_SECURE: assert_int_equal(val, 0); break;
        case AT_CLKTCK: assert_int_equal(val, 100); break;
        case AT_RANDOM: random_at = val; break;
        case AT_EXECFN:
            peek_str(p, val, s, sizeof s);
            assert_string_equal(s, "/prog");
            break;
        }
    }
    uint64_t want = (1ull << AT_PHDR) | (1ull << AT_PHENT) | (1ull << AT_PHNUM) |
                    (1ull << AT_PAGESZ) | (1ull << AT_BASE) | (1ull << AT_ENTRY) |
                    (1ull << AT_UID) | (1ull << AT_EUID) | (1ull << AT_GID) | (1ull << AT_EGID) |
                    (1ull << AT_HWCAP) | (1ull << AT_CLKTCK) | (1ull << AT_SECURE) |
                    (1ull << AT_RANDOM) | (1ull << AT_EXECFN);
    assert_int_equal(seen & want, want);
    uint8_t rnd[16];
    assert_int_equal(vm_peek(p->vm, random_at, rnd, 16), 0);
    for (int i = 0; i < 16; i++) assert_int_equal(rnd[i], 0xa0 + i);
    /* and the program runs to its exit */
    struct lx_exit ex;
    char err[128];
    assert_int_equal(lx_run(p, &ex, err, sizeof err), 0);
    assert_false(ex.signaled);
    assert_int_equal(ex.status, 7);
    lx_destroy(p);
}

static void test_pie_placement(void **state)
{
    (void)state;
    build_image(ET_DYN);
    char *argv[] = { "prog", NULL };
    char *envp[] = { NULL };
    struct lx_proc *p = create(1, argv, envp);
    assert_int_equal(p->threads[0]->cpu->pc, LX_PIE_BASE + offsetof(struct image, code));
    assert_int_equal(vm_page_prot(p->vm, LX_PIE_BASE), VM_PROT_READ | VM_PROT_EXEC);
    struct lx_exit ex;
    char err[128];
    assert_int_equal(lx_run(p, &ex, err, sizeof err), 0);
    assert_int_equal(ex.status, 7);
    lx_destroy(p);
}

static void expect_load_error(const char *what)
{
    struct lx_config cfg = { .path = "/prog", .argc = 0, .argv = NULL, .envp = NULL,
                             .port = &test_port };
    struct lx_proc *p = NULL;
    char err[256] = "";
    int r = lx_create(&cfg, &p, err, sizeof err);
    if (r >= 0) fail_msg("loading an image that should fail (%s) succeeded", what);
    assert_null(p);
    if (!strstr(err, what)) fail_msg("error '%s' does not mention '%s'", err, what);
}

static void test_bad_elf(void **state)
{
    (void)state;
    build_image(ET_EXEC);
    img.eh.e_machine = EM_X86_64;
    expect_load_error("not a riscv64 program");
    build_image(ET_EXEC);
    img_len = 10;
    expect_load_error("not an ELF file");
    build_image(ET_EXEC);
    img.ph.p_filesz = 1u << 30; /* beyond the file */
    img.ph.p_memsz = 1u << 30;
    expect_load_error("damaged program header");
    build_image(ET_EXEC);
    img.ph.p_vaddr = 0xfffffffffffff000ull; /* wraps */
    expect_load_error("program header");
    build_image(ET_EXEC);
    img.ph.p_vaddr = 1ull << 40; /* outside the guest address space */
    expect_load_error("outside the guest address space");
}

/* ---- futex and scheduling through the real system-call path ---- */

static long call(struct lx_thread *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                 uint64_t a4, uint64_t a5)
{
    /* Execute an ecall at a scratch address so lx_syscall can retire it. */
    struct vm_cpu *cpu = t->cpu;
    cpu->pc = 0x10000 + offsetof(struct image, code) + 8;
    cpu->x[17] = (uint64_t)nr;
    uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
    for (int i = 0; i < 6; i++) cpu->x[10 + i] = a[i];
    lx_syscall(t);
    return (long)cpu->x[10];
}

static void test_futex_fifo_and_bitset(void **state)
{
    (void)state;
    build_image(ET_EXEC);
    char *argv[] = { "prog", NULL };
    char *envp[] = { NULL };
    struct lx_proc *p = create(1, argv, envp);
    uint64_t word = p->stack_top - 64;
    uint32_t v = 5;
    vm_poke(p->vm, word, &v, 4);
    struct lx_thread *th[4];
    th[0] = p->threads[0];
    for (int i = 1; i < 4; i++) {
        th[i] = lx_thread_new(p);
        th[i]->tid = 100 + i;
    }
    /* wrong value: EAGAIN, no block */
    assert_int_equal(call(th[1], 98, word, 0 /* WAIT */, 4, 0, 0, 0), -EAGAIN);
    assert_int_equal(th[1]->state, LX_RUNNABLE);
    /* three waiters, the middle one with bitset 2 */
    call(th[3], 98, word, 0, 5, 0, 0, 0);
    call(th[1], 98, word, 9 /* WAIT_BITSET */, 5, 0, 0, 2);
    call(th[2], 98, word, 0, 5, 0, 0, 0);
    for (int i = 1; i < 4; i++) assert_int_equal(th[i]->state, LX_BLOCKED);
    /* WAKE_BITSET 1 skips th[1]; FIFO order wakes th[3] first */
    assert_int_equal(call(th[0], 98, word, 10 /* WAKE_BITSET */, 1, 0, 0, 1), 1);
    assert_int_equal(th[3]->state, LX_RUNNABLE);
    assert_int_equal(th[3]->cpu->x[10], 0);
    assert_int_equal(th[2]->state, LX_BLOCKED);
    /* requeue th[1] and th[2] to a second word, waking none */
    uint64_t word2 = word + 8;
    assert_int_equal(call(th[0], 98, word, 4 /* CMP_REQUEUE */, 0, 10, word2, 5), 2);
    assert_int_equal(call(th[0], 98, word, 1 /* WAKE */, 10, 0, 0, 0), 0);
    assert_int_equal(call(th[0], 98, word2, 1, 10, 0, 0, 0), 2);
    assert_int_equal(th[1]->state, LX_RUNNABLE);
    assert_int_equal(th[2]->state, LX_RUNNABLE);
    /* misaligned and PI */
    assert_int_equal(call(th[0], 98, word + 1, 1, 1, 0, 0, 0), -EINVAL);
    assert_int_equal(call(th[0], 98, word, 6 /* LOCK_PI */, 0, 0, 0, 0), -ENOSYS);
    lx_destroy(p);
}

static void test_futex_timeout(void **state)
{
    (void)state;
    build_image(ET_EXEC);
    char *argv[] = { "prog", NULL };
    char *envp[] = { NULL };
    struct lx_proc *p = create(1, argv, envp);
    struct lx_thread *t = p->threads[0];
    uint64_t word = p->stack_top - 64, ts = p->stack_top - 128;
    int64_t rel[2] = { 0, 5000 };
    vm_poke(p->vm, ts, rel, 16);
    fake_clock = 1000;
    call(t, 98, word, 0, 0, ts, 0, 0);
    assert_int_equal(t->state, LX_BLOCKED);
    assert_true(t->has_deadline);
    assert_int_equal(t->deadline_ns, 6000);
    lx_destroy(p);
}

/* clone: a thread with its own stack and TLS, tids written as asked;
 * CLONE_CHILD_CLEARTID clears the word and wakes a joiner at exit. */
static void test_clone_and_cleartid(void **state)
{
    (void)state;
    build_image(ET_EXEC);
    char *argv[] = { "prog", NULL };
    char *envp[] = { NULL };
    struct lx_proc *p = create(1, argv, envp);
    struct lx_thread *t = p->threads[0];
    uint64_t ptid = p->stack_top - 256, ctid = p->stack_top - 260;
    uint64_t flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000 | 0x100000 |
                     0x200000; /* what glibc's pthread_create passes */
    long tid = call(t, 220, flags, 0x5000, ptid, 0x7777, ctid, 0);
    assert_int_equal(tid, 4243);
    assert_int_equal(p->n_threads, 2);
    struct lx_thread *c = p->threads[1];
    assert_int_equal(c->cpu->x[2], 0x5000);
    assert_int_equal(c->cpu->x[4], 0x7777);
    assert_int_equal(c->cpu->x[10], 0);
    assert_int_equal(c->cpu->pc, t->cpu->pc);
    uint32_t w;
    vm_peek(p->vm, ptid, &w, 4);
    assert_int_equal(w, 4243);
    /* a joiner waits on the tid word */
    w = 4243;
    vm_poke(p->vm, ctid, &w, 4);
    call(t, 98, ctid, 0, 4243, 0, 0, 0);
    assert_int_equal(t->state, LX_BLOCKED);
    call(c, 93 /* exit */, 0, 0, 0, 0, 0, 0);
    assert_int_equal(c->state, LX_EXITED);
    vm_peek(p->vm, ctid, &w, 4);
    assert_int_equal(w, 0);
    assert_int_equal(t->state, LX_RUNNABLE);
    assert_false(p->exited);
    lx_destroy(p);
}

/* A wait that was put back for re-execution (fd wait, retried ppoll) and
 * then completed by a waker (a passed deadline) must retire its ecall and
 * take the result, not re-execute with a0 clobbered. */
static void test_wake_completes_put_back_call(void **state)
{
    (void)state;
    build_image(ET_EXEC);
    char *argv[] = { "prog", NULL };
    char *envp[] = { NULL };
    struct lx_proc *p = create(1, argv, envp);
    struct lx_thread *t = p->threads[0];
    uint64_t ecall_pc = 0x10000 + offsetof(struct image, code) + 8;
    t->cpu->pc = ecall_pc; /* put back: at the ecall */
    t->cpu->icount = 10;
    t->cpu->x[10] = 0x1234; /* the call's first argument */
    lx_block(t, LX_BLOCK_RETRY);
    lx_wake(t, 0);
    assert_int_equal(t->state, LX_RUNNABLE);
    assert_int_equal(t->cpu->pc, ecall_pc + 4);
    assert_int_equal(t->cpu->icount, 11);
    assert_int_equal(t->cpu->x[10], 0);
    /* a futex waiter's ecall had retired already: only a0 changes */
    t->cpu->pc = ecall_pc + 4;
    lx_block(t, LX_BLOCK_FUTEX);
    lx_wake(t, -ETIMEDOUT);
    assert_int_equal(t->cpu->pc, ecall_pc + 4);
    assert_int_equal(t->cpu->icount, 11);
    assert_int_equal((long)t->cpu->x[10], -ETIMEDOUT);
    lx_destroy(p);
}

/* sched_yield ends the time slice, so the scheduler moves on. */
static void test_sched_yield_ends_slice(void **state)
{
    (void)state;
    build_image(ET_EXEC);
    char *argv[] = { "prog", NULL };
    char *envp[] = { NULL };
    struct lx_proc *p = create(1, argv, envp);
    p->slice_len = 50000;
    assert_int_equal(call(p->threads[0], 124, 0, 0, 0, 0, 0, 0), 0);
    assert_int_equal(p->slice_len, 0);
    lx_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_stack),
        cmocka_unit_test(test_pie_placement),
        cmocka_unit_test(test_bad_elf),
        cmocka_unit_test(test_futex_fifo_and_bitset),
        cmocka_unit_test(test_futex_timeout),
        cmocka_unit_test(test_clone_and_cleartid),
        cmocka_unit_test(test_wake_completes_put_back_call),
        cmocka_unit_test(test_sched_yield_ends_slice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
