/*
 * test_engine.c - behaviour of the execution engine through the VM API:
 * semantics with expected values from the spec, exact instruction counting
 * and stops, guest exceptions, memory rights, self-modifying code,
 * chaining and return prediction, instrumentation, CSRs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "cpu.h"
#include "isa.h"
#include "vm.h"

#define CODE 0x10000ull
#define DATA 0x20000ull

/* ---- encoders built from the table's match values ---- */
static uint32_t R(int id, unsigned rd, unsigned rs1, unsigned rs2)
{
    return rv_insns[id].match | rd << 7 | rs1 << 15 | rs2 << 20;
}
static uint32_t I(int id, unsigned rd, unsigned rs1, int32_t imm)
{
    return rv_insns[id].match | rd << 7 | rs1 << 15 | ((uint32_t)imm & 0xfff) << 20;
}
static uint32_t S(int id, unsigned rs1, unsigned rs2, int32_t imm)
{
    uint32_t i = (uint32_t)imm;
    return rv_insns[id].match | (i & 0x1f) << 7 | rs1 << 15 | rs2 << 20 | ((i >> 5) & 0x7f) << 25;
}
static uint32_t B(int id, unsigned rs1, unsigned rs2, int32_t off)
{
    uint32_t i = (uint32_t)off;
    return rv_insns[id].match | ((i >> 11) & 1) << 7 | ((i >> 1) & 0xf) << 8 | rs1 << 15 |
           rs2 << 20 | ((i >> 5) & 0x3f) << 25 | ((i >> 12) & 1) << 31;
}
static uint32_t J(int id, unsigned rd, int32_t off)
{
    uint32_t i = (uint32_t)off;
    return rv_insns[id].match | rd << 7 | ((i >> 12) & 0xff) << 12 | ((i >> 11) & 1) << 20 |
           ((i >> 1) & 0x3ff) << 21 | ((i >> 20) & 1) << 31;
}
static uint32_t CSRI(int id, unsigned rd, unsigned csr, unsigned rs1)
{
    return rv_insns[id].match | rd << 7 | rs1 << 15 | csr << 20;
}
#define EBREAK rv_insns[RV_ebreak].match

enum { ZERO, RA, SP, GP, TP, T0, T1, T2, S0, S1, A0, A1, A2, A3, A4, A5, A6, A7 };

struct fx {
    struct vm *vm;
    struct vm_cpu *cpu;
};

static struct vm *new_vm(const struct vm_config *cfg)
{
    struct vm *vm;
    char err[256];
    struct vm_config c = cfg ? *cfg : (struct vm_config){ 0 };
    if (!c.addr_bits) c.addr_bits = 32;
    int r = vm_create(&c, &vm, err, sizeof err);
    if (r) fail_msg("vm_create: %s", err);
    assert_int_equal(vm_map(vm, CODE, 0x4000, VM_PROT_READ | VM_PROT_EXEC), 0);
    assert_int_equal(vm_map(vm, DATA, 0x4000, VM_PROT_READ | VM_PROT_WRITE), 0);
    return vm;
}

static int setup(void **state)
{
    static struct fx f;
    f.vm = new_vm(NULL);
    f.cpu = vm_cpu_create(f.vm);
    assert_non_null(f.cpu);
    f.cpu->pc = CODE;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vm_destroy(f->vm);
    return 0;
}

static void load_code(struct vm *vm, uint64_t at, const uint32_t *w, size_t n)
{
    assert_int_equal(vm_poke(vm, at, w, n * 4), 0);
}

/* Runs until the ebreak that ends every snippet. */
static struct vm_exit run_to_ebreak(struct vm_cpu *cpu)
{
    struct vm_exit ex;
    assert_int_equal(vm_run(cpu, 1000000, &ex), 0);
    assert_int_equal(ex.reason, VM_EXIT_EXCEPTION);
    assert_int_equal(ex.cause, RV_EXC_BREAKPOINT);
    return ex;
}

/* M extension: division corner cases of the spec's table 7.1. */
static void test_division_table(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = {
        R(RV_div, A2, A0, ZERO),  R(RV_divu, A3, A0, ZERO), R(RV_rem, A4, A0, ZERO),
        R(RV_remu, A5, A0, ZERO), R(RV_div, S0, A1, T0),    R(RV_rem, S1, A1, T0),
        R(RV_divw, T1, A1, T0),   R(RV_mulh, T2, A1, A1),   EBREAK,
    };
    load_code(f->vm, CODE, code, sizeof code / 4);
    f->cpu->x[A0] = 42;
    f->cpu->x[A1] = 0x8000000000000000ull;
    f->cpu->x[T0] = (uint64_t)-1;
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->x[A2], (uint64_t)-1);   /* x/0 = -1 */
    assert_int_equal(f->cpu->x[A3], UINT64_MAX);     /* x/0 = 2^64-1 */
    assert_int_equal(f->cpu->x[A4], 42);             /* x%0 = x */
    assert_int_equal(f->cpu->x[A5], 42);
    assert_int_equal(f->cpu->x[S0], 0x8000000000000000ull); /* overflow: -2^63 */
    assert_int_equal(f->cpu->x[S1], 0);
    assert_int_equal(f->cpu->x[T1], 0);   /* divw: low word of a1 is 0, 0 / -1 = 0 */
    assert_int_equal(f->cpu->x[T2], 0x4000000000000000ull); /* (-2^63)^2 >> 64 */
    assert_int_equal(f->cpu->icount, 8);
}

/* x0 stays zero whatever is written to it. */
static void test_x0_hardwired(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = { I(RV_addi, ZERO, ZERO, 5), R(RV_add, A0, ZERO, ZERO), EBREAK };
    load_code(f->vm, CODE, code, 3);
    f->cpu->x[A0] = 7;
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->x[ZERO], 0);
    assert_int_equal(f->cpu->x[A0], 0);
}

/* A loop: a0 counts down from 100; stopping after any number of
 * instructions and resuming must give the state of an uninterrupted run. */
static const uint32_t loop_code[] = {
    0, /* filled: addi a0, a0, -1 */
    0, /* addi a1, a1, 3 */
    0, /* bne a0, zero, -8 */
    0, /* ebreak */
};

static void fill_loop(uint32_t *c)
{
    c[0] = I(RV_addi, A0, A0, -1);
    c[1] = I(RV_addi, A1, A1, 3);
    c[2] = B(RV_bne, A0, ZERO, -8);
    c[3] = EBREAK;
}

static void test_exact_stop(void **state)
{
    struct fx *f = *state;
    uint32_t c[4];
    (void)loop_code;
    fill_loop(c);
    load_code(f->vm, CODE, c, 4);
    for (uint64_t budget = 1; budget < 20; budget++) {
        f->cpu->pc = CODE;
        f->cpu->icount = 0;
        f->cpu->x[A0] = 100;
        f->cpu->x[A1] = 0;
        struct vm_exit ex;
        assert_int_equal(vm_run(f->cpu, budget, &ex), 0);
        assert_int_equal(ex.reason, VM_EXIT_BUDGET);
        assert_int_equal(f->cpu->icount, budget);
        /* After k instructions of the 3-instruction loop body: */
        uint64_t k = budget, iters = k / 3, rem = k % 3;
        assert_int_equal(f->cpu->pc, CODE + 4 * rem);
        assert_int_equal(f->cpu->x[A0], 100 - iters - (rem >= 1));
        assert_int_equal(f->cpu->x[A1], 3 * (iters + (rem >= 2)));
        /* Resume to the end. */
        run_to_ebreak(f->cpu);
        assert_int_equal(f->cpu->icount, 300);
        assert_int_equal(f->cpu->x[A1], 300);
    }
}

/* Single-stepping gives the same result as running. */
static void test_single_step(void **state)
{
    struct fx *f = *state;
    uint32_t c[4];
    fill_loop(c);
    load_code(f->vm, CODE, c, 4);
    f->cpu->x[A0] = 10;
    f->cpu->x[A1] = 0;
    struct vm_exit ex;
    uint64_t steps = 0;
    for (;;) {
        assert_int_equal(vm_run(f->cpu, 1, &ex), 0);
        if (ex.reason == VM_EXIT_EXCEPTION) break;
        assert_int_equal(f->cpu->icount, ++steps);
    }
    assert_int_equal(steps, 30);
    assert_int_equal(ex.cause, RV_EXC_BREAKPOINT);
    assert_int_equal(ex.pc, CODE + 12);
    assert_int_equal(f->cpu->x[A1], 30);
}

/* Faulting load: exact pc, address, and count of retired instructions. */
static void test_load_fault(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = { I(RV_addi, A1, ZERO, 1), I(RV_addi, A1, A1, 1), I(RV_ld, A2, A0, 8), EBREAK };
    load_code(f->vm, CODE, code, 4);
    f->cpu->x[A0] = 0x7000000; /* unmapped */
    struct vm_exit ex;
    assert_int_equal(vm_run(f->cpu, 100, &ex), 0);
    assert_int_equal(ex.reason, VM_EXIT_EXCEPTION);
    assert_int_equal(ex.cause, RV_EXC_LOAD_PAGE_FAULT);
    assert_int_equal(ex.pc, CODE + 8);
    assert_int_equal(ex.tval, 0x7000008);
    assert_int_equal(f->cpu->icount, 2);
    assert_int_equal(f->cpu->pc, CODE + 8);
    assert_int_equal(f->cpu->x[A1], 2);
}

/* Addresses beyond the guest address space and far outside it fault. */
static void test_isolation(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = { S(RV_sd, A0, A1, 0), EBREAK };
    load_code(f->vm, CODE, code, 2);
    uint64_t bad[] = { 1ull << 32, (1ull << 32) - 4, 0xfffffffffffffff8ull, 0x8000000000000000ull };
    for (size_t i = 0; i < 4; i++) {
        f->cpu->pc = CODE;
        f->cpu->x[A0] = bad[i];
        struct vm_exit ex;
        assert_int_equal(vm_run(f->cpu, 10, &ex), 0);
        assert_int_equal(ex.cause, RV_EXC_STORE_PAGE_FAULT);
        assert_int_equal(ex.tval, bad[i]);
    }
}

/* Stores to read-only pages fault; fetches from non-executable ones too. */
static void test_page_rights(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = { S(RV_sw, A0, A1, 0), EBREAK };
    load_code(f->vm, CODE, code, 2);
    assert_int_equal(vm_protect(f->vm, DATA, 0x1000, VM_PROT_READ), 0);
    f->cpu->x[A0] = DATA + 16;
    struct vm_exit ex;
    assert_int_equal(vm_run(f->cpu, 10, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_STORE_PAGE_FAULT);
    assert_int_equal(vm_protect(f->vm, DATA, 0x1000, VM_PROT_READ | VM_PROT_WRITE), 0);
    assert_int_equal(vm_run(f->cpu, 1, &ex), 0);
    assert_int_equal(ex.reason, VM_EXIT_BUDGET);

    /* jump into the data page */
    f->cpu->pc = DATA;
    assert_int_equal(vm_run(f->cpu, 10, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_INSN_PAGE_FAULT);
    assert_int_equal(ex.tval, DATA);
    assert_int_equal(vm_protect(f->vm, 0x30000, 0x1000, 0), -ENOMEM);
}

/* Misaligned loads and stores, also across a page boundary, just work. */
static void test_misaligned(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = { S(RV_sd, A0, A1, 0), I(RV_ld, A2, A0, 0), I(RV_lw, A3, A0, 1), EBREAK };
    load_code(f->vm, CODE, code, 4);
    f->cpu->x[A0] = DATA + 0x1000 - 3;
    f->cpu->x[A1] = 0x8877665544332211ull;
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->x[A2], 0x8877665544332211ull);
    assert_int_equal(f->cpu->x[A3], (uint64_t)(int64_t)(int32_t)0x55443322u);
    /* but not across into an unmapped page */
    f->cpu->pc = CODE;
    f->cpu->x[A0] = DATA + 0x4000 - 4;
    struct vm_exit ex;
    assert_int_equal(vm_run(f->cpu, 10, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_STORE_PAGE_FAULT);
    uint64_t v = 0;
    assert_int_equal(vm_peek(f->vm, DATA + 0x4000 - 4, &v, 4), 0);
    assert_int_equal(v, 0); /* nothing was written */
}

/* A store into a later instruction of the running block takes effect. */
static void test_self_modifying_same_block(void **state)
{
    struct vm_config cfg = { .addr_bits = 32 };
    struct vm *vm = new_vm(&cfg);
    assert_int_equal(vm_protect(vm, CODE, 0x1000, VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC), 0);
    struct vm_cpu *cpu = vm_cpu_create(vm);
    (void)state;
    uint32_t code[] = {
        S(RV_sw, A0, A1, 8),          /* overwrite the instruction at +8 */
        I(RV_addi, A2, ZERO, 1),
        I(RV_addi, A3, ZERO, 1),      /* becomes addi a3, zero, 99 */
        EBREAK,
    };
    load_code(vm, CODE, code, 4);
    for (int round = 0; round < 2; round++) {
        /* round 0: translated fresh; round 1: the cached block is stale */
        load_code(vm, CODE, code, 4);
        cpu->pc = CODE;
        cpu->x[A0] = CODE;
        cpu->x[A1] = I(RV_addi, A3, ZERO, 99);
        cpu->x[A3] = 0;
        run_to_ebreak(cpu);
        assert_int_equal(cpu->x[A3], 99);
        assert_int_equal(cpu->x[A2], 1);
    }
    struct vm_stats st;
    vm_get_stats(vm, &st);
    assert_true(st.tb_invalidated >= 2);
    vm_destroy(vm);
}

/* vm_poke over translated code replaces it (loader, debugger, syscalls). */
static void test_poke_invalidates(void **state)
{
    struct fx *f = *state;
    uint32_t a[] = { I(RV_addi, A0, ZERO, 1), EBREAK };
    uint32_t b[] = { I(RV_addi, A0, ZERO, 2), EBREAK };
    load_code(f->vm, CODE, a, 2);
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->x[A0], 1);
    load_code(f->vm, CODE, b, 2);
    f->cpu->pc = CODE;
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->x[A0], 2);
}

/* Calls and returns: results are right and the return prediction and
 * chaining are used. */
static void test_calls_chain_and_ras(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = {
        /* 0: */ I(RV_addi, S0, ZERO, 50),
        /* 4: */ J(RV_jal, RA, 16),            /* call f at 0x14 */
        /* 8: */ I(RV_addi, S0, S0, -1),
        /* c: */ B(RV_bne, S0, ZERO, -8),
        /* 10: */ EBREAK,
        /* 14: f */ I(RV_addi, A0, A0, 2),
        /* 18: */ I(RV_jalr, ZERO, RA, 0),     /* ret */
    };
    load_code(f->vm, CODE, code, 7);
    f->cpu->x[A0] = 0;
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->x[A0], 100);
    assert_int_equal(f->cpu->icount, 1 + 50 * 5);
    struct vm_stats st;
    vm_get_stats(f->vm, &st);
    assert_true(st.ras_hits >= 40);
    assert_true(st.chain_hits >= 40);
    assert_true(st.tb_translated <= 6);
}

/* ecall exits with the exact execution point; the platform retires it. */
static void test_ecall(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = { I(RV_addi, A7, ZERO, 93), rv_insns[RV_ecall].match, I(RV_addi, A0, ZERO, 5), EBREAK };
    load_code(f->vm, CODE, code, 4);
    struct vm_exit ex;
    assert_int_equal(vm_run(f->cpu, 100, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_ECALL);
    assert_int_equal(ex.pc, CODE + 4);
    assert_int_equal(f->cpu->icount, 1);
    vm_cpu_retire(f->cpu);
    assert_int_equal(f->cpu->pc, CODE + 8);
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->x[A0], 5);
    assert_int_equal(f->cpu->icount, 3);
}

/* Undecodable bits raise illegal-instruction with the bits in tval. */
static void test_illegal(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = { I(RV_addi, A0, ZERO, 1), 0xffffffff, EBREAK };
    load_code(f->vm, CODE, code, 3);
    struct vm_exit ex;
    assert_int_equal(vm_run(f->cpu, 100, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_ILLEGAL);
    assert_int_equal(ex.pc, CODE + 4);
    assert_int_equal(ex.tval, 0xffffffff);
    assert_int_equal(f->cpu->icount, 1);
}

/* cycle and instret read the instruction count; time asks the callback. */
static uint64_t fake_time(void *ctx, struct vm_cpu *cpu, uint64_t icount, uint64_t pc)
{
    (void)cpu;
    uint64_t *calls = ctx;
    (*calls)++;
    return 1000000 + icount * 10 + (pc & 0xff);
}

static void test_counters_and_time(void **state)
{
    (void)state;
    uint64_t calls = 0;
    struct vm_config cfg = { .addr_bits = 32, .read_time = fake_time, .time_ctx = &calls };
    struct vm *vm = new_vm(&cfg);
    struct vm_cpu *cpu = vm_cpu_create(vm);
    uint32_t code[] = {
        I(RV_addi, A0, ZERO, 0), CSRI(RV_csrrs, A1, 0xc00, 0), CSRI(RV_csrrs, A2, 0xc02, 0),
        CSRI(RV_csrrs, A3, 0xc01, 0), EBREAK,
    };
    load_code(vm, CODE, code, 5);
    cpu->pc = CODE;
    cpu->icount = 1000;
    run_to_ebreak(cpu);
    assert_int_equal(cpu->x[A1], 1001);
    assert_int_equal(cpu->x[A2], 1002);
    assert_int_equal(cpu->x[A3], 1000000 + 1003 * 10 + ((CODE + 12) & 0xff));
    assert_int_equal(calls, 1);
    vm_destroy(vm);

    /* Without a time source, reading time is illegal; writing a read-only
     * counter is illegal too. */
    vm = new_vm(NULL);
    cpu = vm_cpu_create(vm);
    uint32_t code2[] = { CSRI(RV_csrrs, A3, 0xc01, 0), EBREAK };
    load_code(vm, CODE, code2, 2);
    cpu->pc = CODE;
    struct vm_exit ex;
    assert_int_equal(vm_run(cpu, 10, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_ILLEGAL);
    uint32_t code3[] = { CSRI(RV_csrrw, ZERO, 0xc00, A0), EBREAK };
    load_code(vm, CODE, code3, 2);
    cpu->pc = CODE;
    assert_int_equal(vm_run(cpu, 10, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_ILLEGAL);
    vm_destroy(vm);
}

/* fcsr fields; an invalid dynamic rounding mode makes FP ops illegal. */
static void test_fcsr_and_rounding_mode(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = {
        CSRI(RV_csrrwi, ZERO, 0x003, 0),        /* fcsr = 0 */
        CSRI(RV_csrrsi, ZERO, 0x001, 0x1f),     /* fflags |= 31 */
        CSRI(RV_csrrwi, ZERO, 0x002, 3),        /* frm = RUP */
        CSRI(RV_csrrs, A0, 0x003, 0),           /* a0 = fcsr */
        CSRI(RV_csrrwi, ZERO, 0x002, 5),        /* frm = 5 (reserved) */
        R(RV_fadd_d, 1, 2, 3) | (7u << 12),     /* fadd.d dyn: illegal now */
        EBREAK,
    };
    load_code(f->vm, CODE, code, 7);
    struct vm_exit ex;
    assert_int_equal(vm_run(f->cpu, 100, &ex), 0);
    assert_int_equal(f->cpu->x[A0], (3 << 5) | 31);
    assert_int_equal(ex.cause, RV_EXC_ILLEGAL);
    assert_int_equal(ex.pc, CODE + 20);
}

/* Single-precision operands must be NaN-boxed (F extension 11.2? "NaN
 * boxing"): an unboxed one reads as the canonical NaN. */
static void test_nan_boxing(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = { R(RV_fsgnj_s, 1, 2, 2), R(RV_fsgnj_s, 3, 4, 4), R(RV_fadd_d, 5, 6, 7), EBREAK };
    load_code(f->vm, CODE, code, 4);
    f->cpu->f[2] = 0x000000003f800000ull;          /* not boxed */
    f->cpu->f[4] = 0xffffffff3f800000ull;          /* boxed 1.0f */
    f->cpu->f[6] = 0x3ff8000000000000ull;          /* 1.5 */
    f->cpu->f[7] = 0x4002000000000000ull;          /* 2.25 */
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->f[1], 0xffffffff7fc00000ull);
    assert_int_equal(f->cpu->f[3], 0xffffffff3f800000ull);
    assert_int_equal(f->cpu->f[5], 0x400e000000000000ull); /* 3.75 */
    assert_int_equal(f->cpu->fflags, 0);
}

/* LR/SC and AMOs. */
static void test_atomics(void **state)
{
    struct fx *f = *state;
    uint32_t code[] = {
        R(RV_lr_d, A1, A0, 0),
        R(RV_sc_d, A2, A0, A3),     /* succeeds: a2 = 0 */
        R(RV_sc_d, A4, A0, A3),     /* no reservation: a4 = 1 */
        R(RV_amoadd_w, A5, A0, A3), /* returns old low word, sign-extended */
        R(RV_amomaxu_d, S0, A0, S1),
        EBREAK,
    };
    load_code(f->vm, CODE, code, 6);
    uint64_t init = 0x00000000fffffff0ull;
    vm_poke(f->vm, DATA, &init, 8);
    f->cpu->x[A0] = DATA;
    f->cpu->x[A3] = 0x7ffffffe;
    f->cpu->x[S1] = 5;
    run_to_ebreak(f->cpu);
    assert_int_equal(f->cpu->x[A1], 0xfffffff0ull);
    assert_int_equal(f->cpu->x[A2], 0);
    assert_int_equal(f->cpu->x[A4], 1);
    assert_int_equal(f->cpu->x[A5], 0x7ffffffe);
    uint64_t m;
    vm_peek(f->vm, DATA, &m, 8);
    /* amoadd.w: 0x7ffffffe + 0x7ffffffe = 0xfffffffc in the low word; then
     * amomaxu.d(0xfffffffc, 5) keeps it */
    assert_int_equal(m, 0xfffffffcull);
    assert_int_equal(f->cpu->x[S0], 0xfffffffcull);
    /* misaligned AMO traps */
    f->cpu->pc = CODE + 12;
    f->cpu->x[A0] = DATA + 2;
    struct vm_exit ex;
    assert_int_equal(vm_run(f->cpu, 10, &ex), 0);
    assert_int_equal(ex.cause, RV_EXC_STORE_MISALIGNED);
}

/* Instrumentation: callbacks see every block, instruction and access with
 * exact execution points; nothing is called when nothing is requested. */
struct counts {
    uint64_t blocks, insns, reads, writes, last_icount, last_addr, last_value;
};
static void cb_block(void *u, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    (void)cpu; (void)pc; (void)icount;
    ((struct counts *)u)->blocks++;
}
static void cb_insn(void *u, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    struct counts *c = u;
    assert_int_equal(cpu->pc, pc);
    assert_int_equal(icount, c->insns); /* icount is instructions retired so far */
    c->insns++;
}
static void cb_mem(void *u, struct vm_cpu *cpu, uint64_t pc, uint64_t icount, uint64_t addr,
                   unsigned size, uint64_t value, enum vm_mem_kind kind)
{
    struct counts *c = u;
    (void)cpu; (void)pc; (void)size;
    if (kind == VM_MEM_READ) c->reads++; else c->writes++;
    c->last_icount = icount;
    c->last_addr = addr;
    c->last_value = value;
}
static void hook(void *ctx, struct vm_tb_desc *tb)
{
    tb->block_cb = cb_block;
    tb->block_udata = ctx;
    for (unsigned i = 0; i < tb->n_insns; i++) {
        tb->insns[i].exec_cb = cb_insn;
        tb->insns[i].exec_udata = ctx;
        if (tb->insns[i].flags & (RVF_LOAD | RVF_STORE | RVF_AMO)) {
            tb->insns[i].mem_cb = cb_mem;
            tb->insns[i].mem_udata = ctx;
        }
    }
}

static void test_instrumentation(void **state)
{
    (void)state;
    struct counts c = { 0 };
    struct vm_instrument ins = { .ctx = &c, .translate = hook };
    struct vm_config cfg = { .addr_bits = 32, .instrument = &ins };
    struct vm *vm = new_vm(&cfg);
    struct vm_cpu *cpu = vm_cpu_create(vm);
    uint32_t code[] = {
        I(RV_addi, A1, ZERO, 10),
        S(RV_sh, A0, A1, 6),
        I(RV_lhu, A2, A0, 6),
        I(RV_addi, A1, A1, -1),
        B(RV_bne, A1, ZERO, -12),
        EBREAK,
    };
    load_code(vm, CODE, code, 6);
    cpu->pc = CODE;
    cpu->x[A0] = DATA;
    run_to_ebreak(cpu);
    assert_int_equal(c.insns, 1 + 10 * 4 + 1); /* ebreak's callback runs before it traps */
    assert_int_equal(c.reads, 10);
    assert_int_equal(c.writes, 10);
    assert_int_equal(c.last_addr, DATA + 6);
    assert_int_equal(c.last_value, 1);
    assert_int_equal(c.last_icount, 1 + 9 * 4 + 1); /* the lhu of the last iteration */
    assert_true(c.blocks >= 11);
    vm_destroy(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_division_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x0_hardwired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misaligned, setup, teardown),
        cmocka_unit_test(test_self_modifying_same_block),
        cmocka_unit_test_setup_teardown(test_poke_invalidates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls_chain_and_ras, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ecall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_illegal, setup, teardown),
        cmocka_unit_test(test_counters_and_time),
        cmocka_unit_test_setup_teardown(test_fcsr_and_rounding_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nan_boxing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomics, setup, teardown),
        cmocka_unit_test(test_instrumentation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
