/*
 * call.c - the `call` plugin: the call tree of every thread (table `call`),
 * reconstructed from the RISC-V link-register conventions (RISC-V
 * unprivileged ISA, "Unconditional Jumps": a jal/jalr whose rd is x1 or x5
 * is a call, a jalr through x1/x5 that does not link is a return). Built
 * only against <reprise/plugin.h>.
 *
 * Each thread has a shadow stack. A call instruction pushes a frame with
 * a0..a5 as the arguments; the thread's next executed instruction (always
 * the first of a block: a jump ends a block) is the callee and gives the
 * frame's icount. A return pops down to the frame whose return address
 * (call pc + size) is the return's target: frames above it were unwound
 * without returning (longjmp, exceptions) and keep ret NULL. A return that
 * matches no frame (a signal handler returning to its trampoline, longjmp
 * to a frame entered before the window) changes nothing. Frames still open
 * at the end, or when their thread exits, are written with end_icount and
 * ret NULL. With filters that hide instructions (--pc, --sample,
 * --function), a call whose callee's first instruction is hidden keeps
 * icount and callee NULL.
 */
#include <reprise/plugin.h>

#include <stdlib.h>
#include <string.h>

static struct reprise_table *t_call;
static struct reprise_host *host;

/* The column set is a contract: calls(name) in the query layer reads it. */
enum { C_ID, C_THREAD, C_ICOUNT, C_END, C_DEPTH, C_PARENT, C_CALL_PC, C_CALLEE, C_SYMBOL,
       C_ARG0, C_RET = C_ARG0 + 6, C_INSNS, C_NCOLS };
static const struct reprise_column call_cols[] = {
    { "id", REPRISE_COL_INT },
    { "thread", REPRISE_COL_INT },
    { "icount", REPRISE_COL_INT },     /* the callee's first instruction */
    { "end_icount", REPRISE_COL_INT }, /* the return instruction + 1 */
    { "depth", REPRISE_COL_INT },      /* 0: no enclosing call in the window */
    { "parent_id", REPRISE_COL_INT },
    { "call_pc", REPRISE_COL_INT },
    { "callee", REPRISE_COL_INT },
    { "symbol", REPRISE_COL_TEXT },
    { "arg0", REPRISE_COL_INT },
    { "arg1", REPRISE_COL_INT },
    { "arg2", REPRISE_COL_INT },
    { "arg3", REPRISE_COL_INT },
    { "arg4", REPRISE_COL_INT },
    { "arg5", REPRISE_COL_INT },
    { "ret", REPRISE_COL_INT },
    /* the calling thread's own instructions from the callee's first to the
     * return, callees included (end_icount - icount also counts the other
     * threads that ran meanwhile) */
    { "insns", REPRISE_COL_INT },
};

#define REG_A0 10

struct frame {
    int64_t id, parent_id;   /* parent_id 0: none */
    uint64_t icount;         /* UINT64_MAX until the callee's first instruction ran */
    uint64_t call_icount;    /* the call instruction's */
    uint64_t call_ticount;   /* the same, in the thread's own count */
    bool lost;               /* the callee's first instruction was not observed */
    uint64_t call_pc, callee, ret_addr;
    uint64_t args[6];
};

struct thread {
    uint32_t tid;
    struct frame *stack;
    size_t depth, cap;
    bool resumed;            /* switched out and back in since the last call */
};
static struct thread *threads;
static size_t n_threads, cap_threads;
static int64_t next_id;

/* What the exec callback of an instruction must do, packed into its udata:
 * bit 0 block start, bit 1 call, bit 2 return, bits 3-5 size in bytes,
 * bits 8-12 rs1 of a return, bits 16-31 its immediate (signed). */
enum { K_START = 1, K_CALL = 2, K_RETURN = 4 };

static struct thread *thread_of(uint32_t tid)
{
    static size_t last;
    if (last < n_threads && threads[last].tid == tid) return &threads[last];
    for (size_t i = 0; i < n_threads; i++)
        if (threads[i].tid == tid) return &threads[last = i];
    if (n_threads == cap_threads) {
        size_t cap = cap_threads ? cap_threads * 2 : 8;
        struct thread *v = realloc(threads, cap * sizeof *v);
        if (!v) return NULL;
        threads = v;
        cap_threads = cap;
    }
    threads[n_threads] = (struct thread){ .tid = tid };
    return &threads[last = n_threads++];
}

/* Writes frame f of thread th; end NULL: it did not end in the window;
 * ret NULL: it did not return normally. */
static void emit(const struct thread *th, size_t depth, const uint64_t *end, const uint64_t *ret,
                 uint64_t end_ticount)
{
    const struct frame *f = &th->stack[depth];
    reprise_row_int(t_call, C_ID, f->id);
    reprise_row_int(t_call, C_THREAD, th->tid);
    if (f->icount != UINT64_MAX) {
        reprise_row_int(t_call, C_ICOUNT, (int64_t)f->icount);
        reprise_row_int(t_call, C_CALLEE, (int64_t)f->callee);
    }
    if (end) {
        reprise_row_int(t_call, C_END, (int64_t)*end);
        reprise_row_int(t_call, C_INSNS, (int64_t)(end_ticount - f->call_ticount - 1));
    }
    reprise_row_int(t_call, C_DEPTH, (int64_t)depth);
    if (f->parent_id) reprise_row_int(t_call, C_PARENT, f->parent_id);
    reprise_row_int(t_call, C_CALL_PC, (int64_t)f->call_pc);
    for (unsigned i = 0; i < 6; i++) reprise_row_int(t_call, C_ARG0 + i, (int64_t)f->args[i]);
    if (ret) reprise_row_int(t_call, C_RET, (int64_t)*ret);
    reprise_row_end(t_call);
}

/* The callee of the frame on top, once the thread runs again after the
 * call: at the next process icount, or later if the thread was switched
 * out meanwhile. Any other gap means filters (--pc, --sample, --function)
 * hid the callee's first instruction: the callee stays unknown rather
 * than wrong. A signal taken right after the call is exact too (`exact`). */
static void resolve_callee(struct thread *th, uint64_t pc, uint64_t icount, bool exact)
{
    if (!th->depth) return;
    struct frame *f = &th->stack[th->depth - 1];
    if (f->icount != UINT64_MAX || f->lost) return;
    if (!exact && icount != f->call_icount + 1 && !th->resumed) {
        f->lost = true;
        return;
    }
    f->icount = icount;
    f->callee = pc;
}

static void on_exec(void *udata, const struct reprise_point *pt)
{
    uintptr_t k = (uintptr_t)udata;
    struct thread *th = thread_of(pt->thread);
    if (!th) {
        reprise_error(host, "out of memory for %zu threads", n_threads);
        return;
    }
    if (k & K_START) resolve_callee(th, pt->pc, pt->icount, false);
    if (k & K_CALL) {
        if (th->depth == th->cap) {
            size_t cap = th->cap ? th->cap * 2 : 64;
            struct frame *v = realloc(th->stack, cap * sizeof *v);
            if (!v) {
                reprise_error(host, "out of memory for a call depth of %zu", th->depth);
                return;
            }
            th->stack = v;
            th->cap = cap;
        }
        struct frame *f = &th->stack[th->depth];
        f->id = ++next_id;
        f->parent_id = th->depth ? th->stack[th->depth - 1].id : 0;
        f->icount = UINT64_MAX;
        f->call_icount = pt->icount;
        f->call_ticount = pt->ticount;
        f->lost = false;
        th->resumed = false;
        f->call_pc = pt->pc;
        f->callee = 0;
        f->ret_addr = pt->pc + ((k >> 3) & 7);
        for (unsigned i = 0; i < 6; i++) f->args[i] = reprise_reg_read(pt->cpu, REG_A0 + i);
        th->depth++;
    }
    if (k & K_RETURN) {
        unsigned rs1 = (k >> 8) & 31;
        int64_t imm = (int16_t)(uint16_t)(k >> 16);
        uint64_t target = (reprise_reg_read(pt->cpu, rs1) + (uint64_t)imm) & ~(uint64_t)1;
        size_t d = th->depth;
        while (d > 0 && th->stack[d - 1].ret_addr != target) d--;
        if (d == 0) return;   /* matches no frame */
        uint64_t end = pt->icount + 1, ret = reprise_reg_read(pt->cpu, REG_A0);
        while (th->depth > d) emit(th, --th->depth, &end, NULL, pt->ticount + 1);
        emit(th, --th->depth, &end, &ret, pt->ticount + 1);
    }
}

static void on_translate(void *udata, struct reprise_tb *tb)
{
    (void)udata;
    unsigned n = reprise_tb_n_insns(tb);
    for (unsigned i = 0; i < n; i++) {
        struct reprise_insn *in = reprise_tb_insn(tb, i);
        unsigned cls = reprise_insn_class(in), size = reprise_insn_size(in);
        uintptr_t k = i == 0 ? K_START : 0;
        if (cls & REPRISE_INSN_CALL) k |= K_CALL | (uintptr_t)size << 3;
        if (cls & REPRISE_INSN_RETURN) {
            /* jalr rs1, imm(rs1) (I-type) or c.jr rs1 (CR format, imm 0). */
            uint32_t raw = reprise_insn_raw(in);
            unsigned rs1 = size == 2 ? (raw >> 7) & 31 : (raw >> 15) & 31;
            int32_t imm = size == 2 ? 0 : (int32_t)raw >> 20;
            k |= K_RETURN | (uintptr_t)rs1 << 8 | (uintptr_t)(uint16_t)(int16_t)imm << 16;
        }
        if (k) reprise_insn_on_exec(in, on_exec, (void *)k);
    }
}

static void on_signal(void *udata, const struct reprise_point *pt, const struct reprise_signal *sig)
{
    (void)udata;
    (void)sig;
    /* A signal taken right after a call interrupts the thread at the callee,
     * before its first instruction: that is the callee, not the handler. */
    struct thread *th = thread_of(pt->thread);
    if (th) resolve_callee(th, pt->pc, pt->icount, true);
}

static void flush_thread(struct thread *th)
{
    while (th->depth) emit(th, --th->depth, NULL, NULL, 0);
}

static void on_thread(void *udata, const struct reprise_point *pt, const struct reprise_thread *ev)
{
    (void)udata;
    if (ev->event == REPRISE_THREAD_SWITCH) {
        struct thread *th = thread_of(pt->thread);
        if (th) th->resumed = true;
        return;
    }
    if (ev->event != REPRISE_THREAD_EXIT) return;
    /* Its frames never return; a later thread may reuse the id. */
    for (size_t i = 0; i < n_threads; i++)
        if (threads[i].tid == pt->thread) flush_thread(&threads[i]);
}

static void finish(void *udata)
{
    (void)udata;
    for (size_t i = 0; i < n_threads; i++) {
        flush_thread(&threads[i]);
        free(threads[i].stack);
    }
    free(threads);
    threads = NULL;
    n_threads = cap_threads = 0;
}

static int install(struct reprise_host *h)
{
    host = h;
    t_call = reprise_table_declare(h, "call", call_cols, C_NCOLS);
    if (!t_call) return -1;
    reprise_table_index(t_call, "icount");
    reprise_table_index(t_call, "callee");
    /* Every module is mapped by then; sym() gives 'func' at a function's
     * first instruction, the name calls(name) matches. Once per distinct
     * callee, and before the symbol index exists, so the update does not
     * maintain it row by row. */
    if (reprise_arg_bool(h, "symbols"))
        reprise_sql_at_end(h,
                           "CREATE TEMP TABLE call_sym (callee INTEGER PRIMARY KEY, symbol TEXT);"
                           "INSERT INTO call_sym SELECT callee, sym(callee) FROM "
                           "(SELECT DISTINCT callee FROM call WHERE callee IS NOT NULL);"
                           "UPDATE call SET symbol = (SELECT s.symbol FROM call_sym s "
                           "WHERE s.callee = call.callee) WHERE callee IS NOT NULL;"
                           "DROP TABLE call_sym");
    reprise_sql_at_end(h, "CREATE INDEX call_symbol ON call(symbol)");
    reprise_on_translate(h, on_translate, NULL);
    reprise_on_signal(h, on_signal, NULL);
    reprise_on_thread(h, on_thread, NULL);
    reprise_on_finish(h, finish, NULL);
    return 0;
}

static const struct reprise_arg_spec args[] = {
    { "symbols", REPRISE_ARG_BOOL, "true",
      "name the callees (column symbol, what calls(name) looks for) at the end" },
    { 0 },
};

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "call",
    .summary = "call tree: caller, callee, depth, parent, arguments, return value, icounts",
    .args = args,
    .install = install,
};

/* The plugin's one exported entry point. */
__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
