/*
 * fp.c - the JIT's floating-point templates (F and D, unprivileged ISA
 * chapters 11 and 12): loads and stores of f registers with the same
 * inline memory check and slow paths as the integer ones, and moves
 * between register files.
 *
 * f registers live in struct vm_cpu (cpu->f) and are read and written in
 * memory at every instruction; xmm registers and rax, rcx, rdx, rsi, rdi
 * are scratch within one instruction. Binary32 values are NaN-boxed in
 * their f register (11.2): writes set the upper 32 bits to ones.
 */
#include "jit_internal.h"
#include "../../vm_internal.h"

/* The NaN box of a binary32 in an f register (F extension, 11.2). */
#define BOX32 0xffffffff00000000ull

int jit_fp_helper_load(struct vm_cpu *cpu, uint64_t a, unsigned kind)
{
    unsigned size = kind & 15, rd = kind >> 8;
    uint64_t v = 0;
    if (vm_mem_load_slow(cpu->vm, a, &v, size)) {
        cpu->exc_cause = RV_EXC_LOAD_PAGE_FAULT;
        cpu->exc_tval = a;
        return 1;
    }
    cpu->f[rd] = size == 4 ? BOX32 | v : v;
    return 0;
}

/* A new slow path of type `type` for instruction idx; NULL (and the block
 * refused) when the block has too many. */
static struct slow *new_slow(struct cc *c, unsigned idx, uint8_t type)
{
    if (c->nslow >= 256) {
        c->e.overflow = true;
        return NULL;
    }
    struct slow *s = &c->slow[c->nslow++];
    const struct jit_insn *in = &c->insns[idx];
    *s = (struct slow){ .type = type, .idx = idx, .npc = in->pc + in->len };
    return s;
}

/* r |= the NaN box (r holds a zero-extended binary32). Clobbers rsi. */
static void emit_box(struct x86_buf *e, int r)
{
    x86_mov_ri64(e, RSI, BOX32);
    x86_alu_rr(e, true, ALU_OR, r, RSI);
}

/* flw, fld (and c.fld, c.fldsp): f[rd] = the loaded bits, binary32
 * NaN-boxed; fsw, fsd (c.fsd, c.fsdsp): the low 32 or all 64 bits of
 * f[rs2] stored. As T_LOAD/T_STORE in jit.c, with an f register. */
static void emit_mem(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    unsigned size = (unsigned)t->arg;
    struct slow *s = new_slow(c, idx, t->kind == T_FLOAD ? SLOW_FLOAD : SLOW_STORE);
    if (!s) return;
    emit_addr(c, in);
    if (t->kind == T_FLOAD) {
        s->kind = size | (uint32_t)in->rd << 8;
        emit_fast_check(c, s, size, PF_R, PF_R);
        x86_load(e, RAX, guest_mem(), size, false);
        if (size == 4) emit_box(e, RAX);
        x86_mov_mr(e, true, FR(in->rd), RAX);
    } else {
        s->kind = size;
        x86_mov_rm(e, size == 8, RDX, FR(in->rs2));
        emit_fast_check(c, s, size, PF_W | PF_CODE, PF_W);
        x86_store(e, guest_mem(), RDX, size);
    }
    s->resume = e->len;
}

void jit_fp_emit(struct cc *c, unsigned idx, const struct tmpl *t)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    switch (t->kind) {
    case T_FLOAD:
    case T_FSTORE:
        emit_mem(c, idx, t);
        return;
    case T_FMV_X:
        /* fmv.x.d: x[rd] = f[rs1]; fmv.x.w: the low 32 bits, sign-extended
         * (not unboxed: 11.7). */
        x86_load(e, RAX, FR(in->rs1), (unsigned)t->arg, true);
        put(c, in, RAX);
        return;
    case T_FMV_F:
        /* fmv.d.x: f[rd] = x[rs1]; fmv.w.x: the low 32 bits, NaN-boxed. */
        get(c, t->arg == 8, RAX, in->rs1);
        if (t->arg == 4) emit_box(e, RAX);
        x86_mov_mr(e, true, FR(in->rd), RAX);
        return;
    }
    e->overflow = true; /* a kind without an emitter here: refuse the block */
}
