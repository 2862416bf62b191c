/*
 * x86emit.c - the x86-64 encoder of x86emit.h. Every public function is
 * one instruction form; the helpers below build the REX prefix, ModR/M,
 * SIB and displacement (Intel SDM vol. 2, sections 2.1 and 2.2).
 */
#include "x86emit.h"

#include <string.h>

void x86_byte(struct x86_buf *e, uint8_t b)
{
    if (e->len >= e->cap) {
        e->overflow = true;
        return;
    }
    e->buf[e->len++] = b;
}

void x86_nops(struct x86_buf *e, unsigned n)
{
    /* The recommended multi-byte NOPs (Intel SDM vol. 2B, NOP), longest
     * first: one instruction per 8 bytes rather than one per byte. */
    static const uint8_t nop[9][8] = {
        { 0 }, { 0x90 }, { 0x66, 0x90 }, { 0x0f, 0x1f, 0x00 }, { 0x0f, 0x1f, 0x40, 0x00 },
        { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    };
    while (n) {
        unsigned k = n > 8 ? 8 : n;
        for (unsigned i = 0; i < k; i++) x86_byte(e, nop[k][i]);
        n -= k;
    }
}

void x86_u32(struct x86_buf *e, uint32_t v)
{
    for (int i = 0; i < 4; i++) x86_byte(e, (uint8_t)(v >> (8 * i)));
}

static void u64(struct x86_buf *e, uint64_t v)
{
    for (int i = 0; i < 8; i++) x86_byte(e, (uint8_t)(v >> (8 * i)));
}

/* Operand kinds of one instruction: reg is the ModR/M reg field (a register
 * or an opcode extension), and the r/m side is a register or memory. */
struct rm {
    bool mem;
    int r;               /* register when !mem */
    struct x86_mem m;
};

enum { F_W = 1, F_66 = 2, F_BYTEREG = 4, F_F2 = 8, F_F3 = 16 };

/* Emits [66|F2|F3] [REX] opcode ModR/M [SIB] [disp]. F_BYTEREG forces a REX
 * prefix when a byte register 4..7 is named, so that it means spl/bpl/sil/
 * dil rather than ah/ch/dh/bh. */
static void op(struct x86_buf *e, unsigned flags, const uint8_t *opc, int nopc, int reg,
               struct rm rm)
{
    if (flags & F_66) x86_byte(e, 0x66);
    if (flags & F_F2) x86_byte(e, 0xf2);
    if (flags & F_F3) x86_byte(e, 0xf3);
    int b = rm.mem ? rm.m.base : rm.r;
    int x = rm.mem && rm.m.index >= 0 ? rm.m.index : 0;
    uint8_t rex = (uint8_t)(0x40 | ((flags & F_W) ? 8 : 0) | ((reg >> 3) & 1) << 2 |
                            ((x >> 3) & 1) << 1 | ((b >> 3) & 1));
    bool force = (flags & F_BYTEREG) && ((reg >= 4 && reg <= 7) || (!rm.mem && rm.r >= 4 && rm.r <= 7));
    if (rex != 0x40 || force) x86_byte(e, rex);
    for (int i = 0; i < nopc; i++) x86_byte(e, opc[i]);
    if (!rm.mem) {
        x86_byte(e, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm.r & 7)));
        return;
    }
    int base = rm.m.base & 7;
    int32_t d = rm.m.disp;
    /* mod 00 with base rbp/r13 means rip-relative/disp32, so those bases
     * always carry a displacement. */
    int mod = (d == 0 && base != RBP) ? 0 : (d >= -128 && d <= 127) ? 1 : 2;
    if (rm.m.index >= 0 || base == RSP) {
        x86_byte(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
        int idx = rm.m.index >= 0 ? (rm.m.index & 7) : 4; /* 4 without REX.X: no index */
        x86_byte(e, (uint8_t)(idx << 3 | base));
    } else {
        x86_byte(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | base));
    }
    if (mod == 1) x86_byte(e, (uint8_t)(int8_t)d);
    else if (mod == 2) x86_u32(e, (uint32_t)d);
}

static struct rm R_(int r) { return (struct rm){ .mem = false, .r = r }; }
static struct rm M_(struct x86_mem m) { return (struct rm){ .mem = true, .m = m }; }
#define OPC(...) (const uint8_t[]){ __VA_ARGS__ }, (int)sizeof((const uint8_t[]){ __VA_ARGS__ })

void x86_mov_rr(struct x86_buf *e, bool w, int dst, int src)
{
    op(e, w ? F_W : 0, OPC(0x8b), dst, R_(src));
}

void x86_mov_rm(struct x86_buf *e, bool w, int dst, struct x86_mem m)
{
    op(e, w ? F_W : 0, OPC(0x8b), dst, M_(m));
}

void x86_mov_mr(struct x86_buf *e, bool w, struct x86_mem m, int src)
{
    op(e, w ? F_W : 0, OPC(0x89), src, M_(m));
}

void x86_mov_ri64(struct x86_buf *e, int dst, uint64_t imm)
{
    if (imm <= 0xffffffffull) {
        /* mov r32, imm32 zero-extends. */
        if (dst >= 8) x86_byte(e, 0x41);
        x86_byte(e, (uint8_t)(0xb8 + (dst & 7)));
        x86_u32(e, (uint32_t)imm);
    } else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
        op(e, F_W, OPC(0xc7), 0, R_(dst));
        x86_u32(e, (uint32_t)imm);
    } else {
        x86_byte(e, (uint8_t)(0x48 | (dst >= 8 ? 1 : 0)));
        x86_byte(e, (uint8_t)(0xb8 + (dst & 7)));
        u64(e, imm);
    }
}

void x86_mov_mi32(struct x86_buf *e, struct x86_mem m, int32_t imm)
{
    op(e, F_W, OPC(0xc7), 0, M_(m));
    x86_u32(e, (uint32_t)imm);
}

void x86_mov_mi32d(struct x86_buf *e, struct x86_mem m, uint32_t imm)
{
    op(e, 0, OPC(0xc7), 0, M_(m));
    x86_u32(e, imm);
}

void x86_load(struct x86_buf *e, int dst, struct x86_mem m, unsigned size, bool sign)
{
    switch (size) {
    case 1: if (sign) op(e, F_W, OPC(0x0f, 0xbe), dst, M_(m)); else op(e, 0, OPC(0x0f, 0xb6), dst, M_(m)); break;
    case 2: if (sign) op(e, F_W, OPC(0x0f, 0xbf), dst, M_(m)); else op(e, 0, OPC(0x0f, 0xb7), dst, M_(m)); break;
    case 4: if (sign) op(e, F_W, OPC(0x63), dst, M_(m)); else op(e, 0, OPC(0x8b), dst, M_(m)); break;
    default: op(e, F_W, OPC(0x8b), dst, M_(m)); break;
    }
}

void x86_store(struct x86_buf *e, struct x86_mem m, int src, unsigned size)
{
    switch (size) {
    case 1: op(e, F_BYTEREG, OPC(0x88), src, M_(m)); break;
    case 2: op(e, F_66, OPC(0x89), src, M_(m)); break;
    case 4: op(e, 0, OPC(0x89), src, M_(m)); break;
    default: op(e, F_W, OPC(0x89), src, M_(m)); break;
    }
}

void x86_movsxd(struct x86_buf *e, int dst, int src) { op(e, F_W, OPC(0x63), dst, R_(src)); }

void x86_lea(struct x86_buf *e, bool w, int dst, struct x86_mem m) { op(e, w ? F_W : 0, OPC(0x8d), dst, M_(m)); }

void x86_movzx8(struct x86_buf *e, int dst, int src8)
{
    op(e, F_BYTEREG, OPC(0x0f, 0xb6), dst, R_(src8));
}

/* ALU reg, r/m opcodes are 8*op + 3 (add 03, or 0b, and 23, sub 2b, xor 33,
 * cmp 3b). */
void x86_alu_rr(struct x86_buf *e, bool w, enum x86_alu o, int dst, int src)
{
    op(e, w ? F_W : 0, OPC((uint8_t)(8 * o + 3)), dst, R_(src));
}

void x86_alu_rm(struct x86_buf *e, bool w, enum x86_alu o, int dst, struct x86_mem m)
{
    op(e, w ? F_W : 0, OPC((uint8_t)(8 * o + 3)), dst, M_(m));
}

void x86_alu_ri(struct x86_buf *e, bool w, enum x86_alu o, int dst, int32_t imm)
{
    if (imm >= -128 && imm <= 127) {
        op(e, w ? F_W : 0, OPC(0x83), o, R_(dst));
        x86_byte(e, (uint8_t)(int8_t)imm);
    } else {
        op(e, w ? F_W : 0, OPC(0x81), o, R_(dst));
        x86_u32(e, (uint32_t)imm);
    }
}

void x86_alu_mi(struct x86_buf *e, bool w, enum x86_alu o, struct x86_mem m, int32_t imm)
{
    if (imm >= -128 && imm <= 127) {
        op(e, w ? F_W : 0, OPC(0x83), o, M_(m));
        x86_byte(e, (uint8_t)(int8_t)imm);
    } else {
        op(e, w ? F_W : 0, OPC(0x81), o, M_(m));
        x86_u32(e, (uint32_t)imm);
    }
}

void x86_test_rr(struct x86_buf *e, bool w, int a, int b) { op(e, w ? F_W : 0, OPC(0x85), b, R_(a)); }

void x86_shift_ri(struct x86_buf *e, bool w, enum x86_shift o, int dst, uint8_t n)
{
    op(e, w ? F_W : 0, OPC(0xc1), o, R_(dst));
    x86_byte(e, n);
}

void x86_shift_rcl(struct x86_buf *e, bool w, enum x86_shift o, int dst)
{
    op(e, w ? F_W : 0, OPC(0xd3), o, R_(dst));
}

void x86_imul_rm(struct x86_buf *e, bool w, int dst, struct x86_mem m)
{
    op(e, w ? F_W : 0, OPC(0x0f, 0xaf), dst, M_(m));
}

void x86_imul_rr(struct x86_buf *e, bool w, int dst, int src)
{
    op(e, w ? F_W : 0, OPC(0x0f, 0xaf), dst, R_(src));
}

void x86_mul_r(struct x86_buf *e, bool is_signed, int src)
{
    op(e, F_W, OPC(0xf7), is_signed ? 5 : 4, R_(src));
}

void x86_mul_m(struct x86_buf *e, bool is_signed, struct x86_mem m)
{
    op(e, F_W, OPC(0xf7), is_signed ? 5 : 4, M_(m));
}

void x86_div_r(struct x86_buf *e, bool w, bool is_signed, int src)
{
    op(e, w ? F_W : 0, OPC(0xf7), is_signed ? 7 : 6, R_(src));
}

void x86_cqo(struct x86_buf *e, bool w)
{
    if (w) x86_byte(e, 0x48);
    x86_byte(e, 0x99);
}

void x86_setcc(struct x86_buf *e, enum x86_cc cc, int dst8)
{
    op(e, F_BYTEREG, OPC(0x0f, (uint8_t)(0x90 + cc)), 0, R_(dst8));
}

void x86_cmov(struct x86_buf *e, enum x86_cc cc, int dst, int src)
{
    op(e, F_W, OPC(0x0f, (uint8_t)(0x40 + cc)), dst, R_(src));
}

void x86_not(struct x86_buf *e, bool w, int r) { op(e, w ? F_W : 0, OPC(0xf7), 2, R_(r)); }
void x86_neg(struct x86_buf *e, bool w, int r) { op(e, w ? F_W : 0, OPC(0xf7), 3, R_(r)); }

void x86_test_ri(struct x86_buf *e, bool w, int r, int32_t imm)
{
    op(e, w ? F_W : 0, OPC(0xf7), 0, R_(r));
    x86_u32(e, (uint32_t)imm);
}

void x86_bswap(struct x86_buf *e, int r)
{
    x86_byte(e, (uint8_t)(0x48 | (r >= 8 ? 1 : 0)));
    x86_byte(e, 0x0f);
    x86_byte(e, (uint8_t)(0xc8 + (r & 7)));
}

void x86_push(struct x86_buf *e, int r)
{
    if (r >= 8) x86_byte(e, 0x41);
    x86_byte(e, (uint8_t)(0x50 + (r & 7)));
}

void x86_pop(struct x86_buf *e, int r)
{
    if (r >= 8) x86_byte(e, 0x41);
    x86_byte(e, (uint8_t)(0x58 + (r & 7)));
}

void x86_ret(struct x86_buf *e) { x86_byte(e, 0xc3); }

void x86_call_r(struct x86_buf *e, int r) { op(e, 0, OPC(0xff), 2, R_(r)); }

void x86_jmp_r(struct x86_buf *e, int r) { op(e, 0, OPC(0xff), 4, R_(r)); }

void x86_test_mi(struct x86_buf *e, struct x86_mem m, uint32_t imm)
{
    op(e, 0, OPC(0xf7), 0, M_(m));
    x86_u32(e, imm);
}

/* SSE2 scalar forms: F2 (sd) or F3 (ss), 0F, opcode (SDM vol. 2, ADDSD etc.). */
void x86_sse_rr(struct x86_buf *e, bool d, enum x86_sse o, int dst, int src)
{
    op(e, d ? F_F2 : F_F3, OPC(0x0f, (uint8_t)o), dst, R_(src));
}

void x86_movaps(struct x86_buf *e, int dst, int src) { op(e, 0, OPC(0x0f, 0x28), dst, R_(src)); }

void x86_ucomis(struct x86_buf *e, bool d, int a, int b)
{
    op(e, d ? F_66 : 0, OPC(0x0f, 0x2e), a, R_(b));
}

void x86_movq_xr(struct x86_buf *e, bool w, int xmm, int gpr)
{
    op(e, F_66 | (w ? F_W : 0), OPC(0x0f, 0x6e), xmm, R_(gpr));
}

void x86_movq_rx(struct x86_buf *e, bool w, int gpr, int xmm)
{
    op(e, F_66 | (w ? F_W : 0), OPC(0x0f, 0x7e), xmm, R_(gpr));
}

void x86_movs_xm(struct x86_buf *e, bool d, int xmm, struct x86_mem m)
{
    op(e, d ? F_F2 : F_F3, OPC(0x0f, 0x10), xmm, M_(m));
}

void x86_movs_mx(struct x86_buf *e, bool d, struct x86_mem m, int xmm)
{
    op(e, d ? F_F2 : F_F3, OPC(0x0f, 0x11), xmm, M_(m));
}

void x86_cvtsi2s(struct x86_buf *e, bool d, int xmm, int gpr)
{
    op(e, (d ? F_F2 : F_F3) | F_W, OPC(0x0f, 0x2a), xmm, R_(gpr));
}

void x86_cvtts2si(struct x86_buf *e, bool d, int gpr, int xmm)
{
    op(e, (d ? F_F2 : F_F3) | F_W, OPC(0x0f, 0x2c), gpr, R_(xmm));
}

/* Three-byte VEX prefix (SDM vol. 2, 2.3.5): C4, then inverted R X B and
 * the map (2: 0F38), then W, the inverted second source, L = 0 and pp
 * (1: 66). Opcodes B9/BB/BD/BF: vf(n)madd231 / vf(n)msub231 (sd with W1,
 * ss with W0). */
void x86_vfma231(struct x86_buf *e, bool d, unsigned neg, int dst, int src1, int src2)
{
    static const uint8_t opc[4] = { 0xb9, 0xbb, 0xbd, 0xbf };
    x86_byte(e, 0xc4);
    x86_byte(e, (uint8_t)((dst & 8 ? 0 : 0x80) | 0x40 | (src2 & 8 ? 0 : 0x20) | 0x02));
    x86_byte(e, (uint8_t)((d ? 0x80 : 0) | (~src1 & 15) << 3 | 0x01));
    x86_byte(e, opc[neg & 3]);
    x86_byte(e, (uint8_t)(0xc0 | (dst & 7) << 3 | (src2 & 7)));
}

size_t x86_jcc_fwd(struct x86_buf *e, enum x86_cc cc)
{
    x86_byte(e, 0x0f);
    x86_byte(e, (uint8_t)(0x80 + cc));
    size_t at = e->len;
    x86_u32(e, 0);
    return at;
}

size_t x86_jmp_fwd(struct x86_buf *e)
{
    x86_byte(e, 0xe9);
    size_t at = e->len;
    x86_u32(e, 0);
    return at;
}

void x86_jmp_to(struct x86_buf *e, size_t target)
{
    x86_byte(e, 0xe9);
    x86_u32(e, (uint32_t)(int32_t)((int64_t)target - (int64_t)(e->len + 4)));
}

void x86_jcc_to(struct x86_buf *e, enum x86_cc cc, size_t target)
{
    x86_byte(e, 0x0f);
    x86_byte(e, (uint8_t)(0x80 + cc));
    x86_u32(e, (uint32_t)(int32_t)((int64_t)target - (int64_t)(e->len + 4)));
}

void x86_patch_here(struct x86_buf *e, size_t at)
{
    if (e->overflow || at + 4 > e->len) return;
    int32_t rel = (int32_t)((int64_t)e->len - (int64_t)(at + 4));
    memcpy(e->buf + at, &rel, 4);
}
