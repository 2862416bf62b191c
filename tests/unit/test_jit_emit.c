/*
 * test_jit_emit.c - the JIT's x86-64 encoder (vm/riscv/jit/x86emit.c):
 * every instruction form it can emit, with the operand shapes that need
 * special encodings (REX.B/R/X registers, rsp/r12 bases that need a SIB
 * byte, rbp/r13 bases that need a displacement, 8- and 32-bit
 * displacements, byte registers that need a REX prefix), decoded back with
 * Capstone and compared with the instruction text intended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <capstone/capstone.h>

#include "jit/x86emit.h"

static csh cs;

/* Disassembles e's bytes, which must be exactly one instruction per line
 * of `want` (lines separated by ';'). */
static void check(const struct x86_buf *e, const char *want, const char *what)
{
    assert_true(x86_ok(e));
    cs_insn *insn;
    size_t n = cs_disasm(cs, e->buf, e->len, 0x1000, 0, &insn);
    char got[512] = "";
    size_t used = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(got + used, sizeof got - used, "%s%s%s%s", i ? "; " : "",
                                 insn[i].mnemonic, insn[i].op_str[0] ? " " : "", insn[i].op_str);
        bytes += insn[i].size;
    }
    if (n) cs_free(insn, n);
    if (strcmp(got, want) || bytes != e->len) {
        char hex[200] = "";
        for (size_t i = 0; i < e->len && i < 60; i++) sprintf(hex + 3 * i, "%02x ", e->buf[i]);
        fail_msg("%s\n  bytes: %s\n  want:  %s\n  got:   %s (%zu of %zu bytes decoded)", what, hex,
                 want, got, bytes, e->len);
    }
}

#define T(want, ...) do {                                                        \
    uint8_t buf_[64];                                                            \
    struct x86_buf e_ = { .buf = buf_, .cap = sizeof buf_ }, *e = &e_;           \
    __VA_ARGS__;                                                                 \
    check(e, want, #__VA_ARGS__);                                                \
} while (0)

static void test_moves(void **state)
{
    (void)state;
    T("mov rax, rcx", x86_mov_rr(e, true, RAX, RCX));
    T("mov r12, rdi", x86_mov_rr(e, true, R12, RDI));
    T("mov eax, r15d", x86_mov_rr(e, false, RAX, R15));
    T("mov rax, qword ptr [rbx - 0x80]", x86_mov_rm(e, true, RAX, x86_m(RBX, -128)));
    T("mov rsi, qword ptr [rbx + 0x78]", x86_mov_rm(e, true, RSI, x86_m(RBX, 120)));
    T("mov rdx, qword ptr [rbx + 0x1000]", x86_mov_rm(e, true, RDX, x86_m(RBX, 4096)));
    T("mov eax, dword ptr [rbx - 0x80]", x86_mov_rm(e, false, RAX, x86_m(RBX, -128)));
    T("mov rcx, qword ptr [rsp]", x86_mov_rm(e, true, RCX, x86_m(RSP, 0)));
    T("mov rcx, qword ptr [r12 + 8]", x86_mov_rm(e, true, RCX, x86_m(R12, 8)));
    T("mov rcx, qword ptr [rbp]", x86_mov_rm(e, true, RCX, x86_m(RBP, 0)));
    T("mov r9, qword ptr [r13]", x86_mov_rm(e, true, R9, x86_m(R13, 0)));
    T("mov qword ptr [rbx - 0x78], rax", x86_mov_mr(e, true, x86_m(RBX, -120), RAX));
    T("mov qword ptr [rbx + 0x100], r11", x86_mov_mr(e, true, x86_m(RBX, 256), R11));
    T("mov eax, 0x12345678", x86_mov_ri64(e, RAX, 0x12345678));
    T("mov r10d, 7", x86_mov_ri64(e, R10, 7));
    T("mov rax, -0x80", x86_mov_ri64(e, RAX, (uint64_t)-128));
    T("movabs rcx, 0x123456789a", x86_mov_ri64(e, RCX, 0x123456789aull));
    T("movabs r8, 0x8000000000000000", x86_mov_ri64(e, R8, 0x8000000000000000ull));
    T("mov qword ptr [rbx - 0x70], -0x800", x86_mov_mi32(e, x86_m(RBX, -112), -2048));
    T("mov dword ptr [rbx + 0x200], 2", x86_mov_mi32d(e, x86_m(RBX, 512), 2));
    T("lea rsi, [rax + rax - 1]", x86_lea(e, true, RSI, x86_mid(RAX, RAX, -1)));
    T("lea edi, [rcx + rcx - 1]", x86_lea(e, false, RDI, x86_mid(RCX, RCX, -1)));
    T("lea r9, [r10 + r11 + 0x100]", x86_lea(e, true, R9, x86_mid(R10, R11, 256)));
    T("movsxd rax, eax", x86_movsxd(e, RAX, RAX));
    T("movsxd r9, r10d", x86_movsxd(e, R9, R10));
    T("movzx eax, sil", x86_movzx8(e, RAX, RSI));
    T("movzx ecx, al", x86_movzx8(e, RCX, RAX));
}

static void test_loads_stores(void **state)
{
    (void)state;
    /* [r12 + rsi]: the guest memory access of every template. */
    T("movsx rax, byte ptr [r12 + rsi]", x86_load(e, RAX, x86_mi(R12, RSI), 1, true));
    T("movzx eax, byte ptr [r12 + rsi]", x86_load(e, RAX, x86_mi(R12, RSI), 1, false));
    T("movsx rax, word ptr [r12 + rsi]", x86_load(e, RAX, x86_mi(R12, RSI), 2, true));
    T("movzx eax, word ptr [r12 + rsi]", x86_load(e, RAX, x86_mi(R12, RSI), 2, false));
    T("movsxd rax, dword ptr [r12 + rsi]", x86_load(e, RAX, x86_mi(R12, RSI), 4, true));
    T("mov eax, dword ptr [r12 + rsi]", x86_load(e, RAX, x86_mi(R12, RSI), 4, false));
    T("mov rax, qword ptr [r12 + rsi]", x86_load(e, RAX, x86_mi(R12, RSI), 8, false));
    /* The page-flag lookup [r13 + rax]: r13 as a base needs a disp8. */
    T("movzx eax, byte ptr [r13 + rax]", x86_load(e, RAX, x86_mi(R13, RAX), 1, false));
    T("mov r8, qword ptr [rax + r9]", x86_load(e, R8, x86_mi(RAX, R9), 8, false));
    T("mov byte ptr [r12 + rsi], dl", x86_store(e, x86_mi(R12, RSI), RDX, 1));
    T("mov byte ptr [r12 + rsi], sil", x86_store(e, x86_mi(R12, RSI), RSI, 1));
    T("mov byte ptr [rax], dil", x86_store(e, x86_m(RAX, 0), RDI, 1));
    T("mov word ptr [r12 + rsi], dx", x86_store(e, x86_mi(R12, RSI), RDX, 2));
    T("mov dword ptr [r12 + rsi], edx", x86_store(e, x86_mi(R12, RSI), RDX, 4));
    T("mov qword ptr [r12 + rsi], rdx", x86_store(e, x86_mi(R12, RSI), RDX, 8));
    T("mov qword ptr [r12 + r13], r14", x86_store(e, x86_mi(R12, R13), R14, 8));
}

static void test_alu(void **state)
{
    (void)state;
    T("add rax, rcx", x86_alu_rr(e, true, ALU_ADD, RAX, RCX));
    T("sub rdx, rcx", x86_alu_rr(e, true, ALU_SUB, RDX, RCX));
    T("xor ecx, ecx", x86_alu_rr(e, false, ALU_XOR, RCX, RCX));
    T("cmp rsi, r14", x86_alu_rr(e, true, ALU_CMP, RSI, R14));
    T("and r8, r15", x86_alu_rr(e, true, ALU_AND, R8, R15));
    T("or eax, edx", x86_alu_rr(e, false, ALU_OR, RAX, RDX));
    T("add rax, qword ptr [rbx - 0x68]", x86_alu_rm(e, true, ALU_ADD, RAX, x86_m(RBX, -104)));
    T("sub eax, dword ptr [rbx + 0x10]", x86_alu_rm(e, false, ALU_SUB, RAX, x86_m(RBX, 16)));
    T("xor rax, qword ptr [rbx]", x86_alu_rm(e, true, ALU_XOR, RAX, x86_m(RBX, 0)));
    T("or rax, qword ptr [rbx + 8]", x86_alu_rm(e, true, ALU_OR, RAX, x86_m(RBX, 8)));
    T("and rcx, qword ptr [rbx - 8]", x86_alu_rm(e, true, ALU_AND, RCX, x86_m(RBX, -8)));
    T("cmp rax, qword ptr [rbx + 0x18]", x86_alu_rm(e, true, ALU_CMP, RAX, x86_m(RBX, 24)));
    T("add rax, 0x7ff", x86_alu_ri(e, true, ALU_ADD, RAX, 2047));
    T("add rsi, -0x800", x86_alu_ri(e, true, ALU_ADD, RSI, -2048));
    T("add rbx, 0x7f", x86_alu_ri(e, true, ALU_ADD, RBX, 127));
    T("sub rdi, 0x80", x86_alu_ri(e, true, ALU_SUB, RDI, 128));
    T("and rcx, 0xfffffffffffffffe", x86_alu_ri(e, true, ALU_AND, RCX, -2));
    T("and eax, 0xfff", x86_alu_ri(e, false, ALU_AND, RAX, 0xfff));
    T("cmp eax, 0xffc", x86_alu_ri(e, false, ALU_CMP, RAX, 0xffc));
    T("cmp eax, 0x80000000", x86_alu_ri(e, false, ALU_CMP, RAX, INT32_MIN));
    T("cmp rcx, -1", x86_alu_ri(e, true, ALU_CMP, RCX, -1));
    T("xor rax, 0x555", x86_alu_ri(e, true, ALU_XOR, RAX, 0x555));
    T("or r9, 1", x86_alu_ri(e, true, ALU_OR, R9, 1));
    T("add qword ptr [rbx + 0x88], 5", x86_alu_mi(e, true, ALU_ADD, x86_m(RBX, 136), 5));
    T("add qword ptr [rbx + 0x88], 0x100", x86_alu_mi(e, true, ALU_ADD, x86_m(RBX, 136), 256));
    T("test rcx, rcx", x86_test_rr(e, true, RCX, RCX));
    T("test eax, eax", x86_test_rr(e, false, RAX, RAX));
}

static void test_shift_mul_div(void **state)
{
    (void)state;
    T("shl rax, 0x3f", x86_shift_ri(e, true, SH_SHL, RAX, 63));
    T("shr rax, 0xc", x86_shift_ri(e, true, SH_SHR, RAX, 12));
    T("sar rcx, 0x3f", x86_shift_ri(e, true, SH_SAR, RCX, 63));
    T("shl eax, 0x1f", x86_shift_ri(e, false, SH_SHL, RAX, 31));
    T("sar r11d, 3", x86_shift_ri(e, false, SH_SAR, R11, 3));
    T("shl rax, cl", x86_shift_rcl(e, true, SH_SHL, RAX));
    T("shr eax, cl", x86_shift_rcl(e, false, SH_SHR, RAX));
    T("sar r10, cl", x86_shift_rcl(e, true, SH_SAR, R10));
    T("imul rax, qword ptr [rbx - 0x60]", x86_imul_rm(e, true, RAX, x86_m(RBX, -96)));
    T("imul eax, dword ptr [rbx + 0x70]", x86_imul_rm(e, false, RAX, x86_m(RBX, 112)));
    T("imul qword ptr [rbx - 0x58]", x86_mul_m(e, true, x86_m(RBX, -88)));
    T("mul qword ptr [rbx + 0x78]", x86_mul_m(e, false, x86_m(RBX, 120)));
    T("imul rax, rcx", x86_imul_rr(e, true, RAX, RCX));
    T("imul eax, r9d", x86_imul_rr(e, false, RAX, R9));
    T("imul rcx", x86_mul_r(e, true, RCX));
    T("mul r10", x86_mul_r(e, false, R10));
    T("idiv rcx", x86_div_r(e, true, true, RCX));
    T("div rcx", x86_div_r(e, true, false, RCX));
    T("idiv ecx", x86_div_r(e, false, true, RCX));
    T("div r9d", x86_div_r(e, false, false, R9));
    T("cqo", x86_cqo(e, true));
    T("cdq", x86_cqo(e, false));
    T("setl cl", x86_setcc(e, CC_L, RCX));
    T("setb al", x86_setcc(e, CC_B, RAX));
    T("sete sil", x86_setcc(e, CC_E, RSI));
    T("setge r8b", x86_setcc(e, CC_GE, R8));
    T("rol rax, cl", x86_shift_rcl(e, true, SH_ROL, RAX));
    T("ror eax, cl", x86_shift_rcl(e, false, SH_ROR, RAX));
    T("ror rax, 0x3f", x86_shift_ri(e, true, SH_ROR, RAX, 63));
    T("ror eax, 5", x86_shift_ri(e, false, SH_ROR, RAX, 5));
    T("cmovl rax, rcx", x86_cmov(e, CC_L, RAX, RCX));
    T("cmova r9, r10", x86_cmov(e, CC_A, R9, R10));
    T("not rax", x86_not(e, true, RAX));
    T("not r11d", x86_not(e, false, R11));
    T("neg rbp", x86_neg(e, true, RBP));
    T("neg eax", x86_neg(e, false, RAX));
    T("neg r13d", x86_neg(e, false, R13));
    T("test esi, 7", x86_test_ri(e, false, RSI, 7));
    T("test r14, 0x7fffffff", x86_test_ri(e, true, R14, 0x7fffffff));
    T("bswap rax", x86_bswap(e, RAX));
    T("bswap r12", x86_bswap(e, R12));
}

static void test_control(void **state)
{
    (void)state;
    T("push rbx; push r12; push r15", x86_push(e, RBX), x86_push(e, R12), x86_push(e, R15));
    T("push rbp; sub rsp, 8", x86_push(e, RBP), x86_alu_ri(e, true, ALU_SUB, RSP, 8));
    T("add rsp, 8; pop rbp", x86_alu_ri(e, true, ALU_ADD, RSP, 8), x86_pop(e, RBP));
    T("mov rbp, qword ptr [rdi + 0x110]", x86_mov_rm(e, true, RBP, x86_m(RDI, 0x110)));
    T("add rbp, r8", x86_alu_rr(e, true, ALU_ADD, RBP, R8));
    T("pop r15; pop rbx; ret", x86_pop(e, R15), x86_pop(e, RBX), x86_ret(e));
    T("call rax", x86_call_r(e, RAX));
    T("call r11", x86_call_r(e, R11));
    T("jmp rcx", x86_jmp_r(e, RCX));
    T("jmp r9", x86_jmp_r(e, R9));
    /* Branches: addresses are relative to 0x1000, where the test decodes. */
    T("jne 0x1006", x86_jcc_fwd(e, CC_NE));
    T("jmp 0x1005", x86_jmp_fwd(e));
    T("ja 0x100b; ret; ret; ret; ret; ret",
      size_t at = x86_jcc_fwd(e, CC_A); for (int i = 0; i < 5; i++) x86_ret(e); x86_patch_here(e, at));
    T("ret; jmp 0x1000", x86_ret(e), x86_jmp_to(e, 0));
    T("ret; je 0x1000", x86_ret(e), x86_jcc_to(e, CC_E, 0));
    T("jl 0x1006", x86_jcc_fwd(e, CC_L));
    T("jge 0x1006", x86_jcc_fwd(e, CC_GE));
    T("jb 0x1006", x86_jcc_fwd(e, CC_B));
    T("jae 0x1006", x86_jcc_fwd(e, CC_AE));
    T("jg 0x1006", x86_jcc_fwd(e, CC_G));
}

/* SSE2 scalar and FMA3 forms of the floating-point templates (fp.c),
 * with xmm8-15 (REX.R/REX.B, VEX.R/VEX.B and the inverted vvvv). */
static void test_sse(void **state)
{
    (void)state;
    T("addsd xmm0, xmm1", x86_sse_rr(e, true, SSE_ADD, 0, 1));
    T("subsd xmm2, xmm3", x86_sse_rr(e, true, SSE_SUB, 2, 3));
    T("mulsd xmm4, xmm5", x86_sse_rr(e, true, SSE_MUL, 4, 5));
    T("divsd xmm8, xmm1", x86_sse_rr(e, true, SSE_DIV, 8, 1));
    T("sqrtsd xmm2, xmm15", x86_sse_rr(e, true, SSE_SQRT, 2, 15));
    T("cvtsd2ss xmm2, xmm0", x86_sse_rr(e, true, SSE_CVT, 2, 0));
    T("addss xmm0, xmm1", x86_sse_rr(e, false, SSE_ADD, 0, 1));
    T("subss xmm9, xmm10", x86_sse_rr(e, false, SSE_SUB, 9, 10));
    T("mulss xmm3, xmm4", x86_sse_rr(e, false, SSE_MUL, 3, 4));
    T("divss xmm2, xmm1", x86_sse_rr(e, false, SSE_DIV, 2, 1));
    T("sqrtss xmm2, xmm0", x86_sse_rr(e, false, SSE_SQRT, 2, 0));
    T("cvtss2sd xmm0, xmm0", x86_sse_rr(e, false, SSE_CVT, 0, 0));
    T("movaps xmm3, xmm2", x86_movaps(e, 3, 2));
    T("movaps xmm11, xmm12", x86_movaps(e, 11, 12));
    T("ucomisd xmm0, xmm1", x86_ucomis(e, true, 0, 1));
    T("ucomiss xmm1, xmm0", x86_ucomis(e, false, 1, 0));
    T("ucomisd xmm3, xmm14", x86_ucomis(e, true, 3, 14));
    T("movq xmm0, rax", x86_movq_xr(e, true, 0, RAX));
    T("movq xmm9, r10", x86_movq_xr(e, true, 9, R10));
    T("movd xmm1, ecx", x86_movq_xr(e, false, 1, RCX));
    T("movq rdx, xmm2", x86_movq_rx(e, true, RDX, 2));
    T("movq r11, xmm13", x86_movq_rx(e, true, R11, 13));
    T("movd edx, xmm2", x86_movq_rx(e, false, RDX, 2));
    T("movsd xmm0, qword ptr [rbx + 0x88]", x86_movs_xm(e, true, 0, x86_m(RBX, 0x88)));
    T("movss xmm9, dword ptr [rbx + 0x100]", x86_movs_xm(e, false, 9, x86_m(RBX, 0x100)));
    T("movsd qword ptr [rbx + 0x180], xmm2", x86_movs_mx(e, true, x86_m(RBX, 0x180), 2));
    T("movss dword ptr [r12 + rsi], xmm10", x86_movs_mx(e, false, x86_mi(R12, RSI), 10));
    T("cvtsi2sd xmm0, rax", x86_cvtsi2s(e, true, 0, RAX));
    T("cvtsi2ss xmm9, r8", x86_cvtsi2s(e, false, 9, R8));
    T("cvttsd2si rcx, xmm0", x86_cvtts2si(e, true, RCX, 0));
    T("cvttss2si r10, xmm11", x86_cvtts2si(e, false, R10, 11));
    T("vfmadd231sd xmm2, xmm0, xmm1", x86_vfma231(e, true, X86_FMA, 2, 0, 1));
    T("vfmsub231sd xmm3, xmm0, xmm1", x86_vfma231(e, true, X86_FMA_NEG_ADD, 3, 0, 1));
    T("vfnmadd231sd xmm3, xmm2, xmm1", x86_vfma231(e, true, X86_FMA_NEG_MUL, 3, 2, 1));
    T("vfnmsub231sd xmm2, xmm0, xmm1",
      x86_vfma231(e, true, X86_FMA_NEG_MUL | X86_FMA_NEG_ADD, 2, 0, 1));
    T("vfmadd231ss xmm2, xmm0, xmm1", x86_vfma231(e, false, X86_FMA, 2, 0, 1));
    T("vfmsub231ss xmm2, xmm0, xmm1", x86_vfma231(e, false, X86_FMA_NEG_ADD, 2, 0, 1));
    T("vfnmadd231ss xmm3, xmm2, xmm2", x86_vfma231(e, false, X86_FMA_NEG_MUL, 3, 2, 2));
    T("vfnmsub231ss xmm2, xmm0, xmm1",
      x86_vfma231(e, false, X86_FMA_NEG_MUL | X86_FMA_NEG_ADD, 2, 0, 1));
    T("vfmadd231sd xmm8, xmm9, xmm15", x86_vfma231(e, true, X86_FMA, 8, 9, 15));
    T("vfnmadd231ss xmm12, xmm0, xmm7", x86_vfma231(e, false, X86_FMA_NEG_MUL, 12, 0, 7));
    /* The fcsr tests and updates of the templates. */
    T("test dword ptr [rbx + 0x1c0], 1", x86_test_mi(e, x86_m(RBX, 0x1c0), 1));
    T("cmp dword ptr [rbx + 0x94], -1", x86_alu_mi(e, false, ALU_CMP, x86_m(RBX, 0x94), -1));
}

static void test_overflow(void **state)
{
    (void)state;
    /* A full buffer drops bytes and says so instead of writing past it. */
    uint8_t buf[8];
    memset(buf, 0xcc, sizeof buf);
    struct x86_buf e = { .buf = buf, .cap = 5 };
    x86_mov_ri64(&e, RCX, 0x123456789aull); /* 10 bytes */
    assert_false(x86_ok(&e));
    assert_int_equal(e.len, 5);
    assert_int_equal(buf[5], 0xcc);
}

int main(void)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        fprintf(stderr, "cannot open capstone\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_loads_stores),
        cmocka_unit_test(test_alu),
        cmocka_unit_test(test_shift_mul_div),
        cmocka_unit_test(test_control),
        cmocka_unit_test(test_sse),
        cmocka_unit_test(test_overflow),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    cs_close(&cs);
    return r;
}
