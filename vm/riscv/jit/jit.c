/*
 * jit.c - the x86-64 JIT: compiles a hot translation block to host code,
 * one template per ISA row (templates.def) or a call of the interpreter's
 * handler for rows without one, into a W^X code cache.
 *
 * Design (docs/jit.md):
 * - Guest registers live in struct vm_cpu; rbx points 128 bytes into it so
 *   that x1..x31 are all reachable with 8-bit displacements. a5, a4 and
 *   sp stay in rbp, r13, r14 while compiled code runs, across chained
 *   jumps (fixed_guest); a block's other most used registers (up to five)
 *   are cached in r8-r11 and rdi: loaded at entry, written back before exits and
 *   helper calls, reloaded after. x0 is the constant zero.
 * - r12 = guest memory base (vm->mem.host); the page-flag table and
 *   vm->mem.limit8 are in the frame. A load or store checks the address
 *   range inline, a store also natural alignment and the page's CODE
 *   flag; the page's rights are checked by the host MMU (vm/mem.c keeps
 *   the host mapping as strict as the guest's rights), and a host fault
 *   resumes at the access's slow path (on_segv, struct jit_fault).
 *   Anything else goes to the interpreter's own slow paths
 *   (vm_mem_load_slow / vm_mem_store_slow) through a helper, so faults,
 *   page-crossing accesses and stores into code behave identically.
 * - Instruction counting: a frame slot = count + budget at entry, r15 =
 *   budget left at the start of the current block; cpu->icount is written
 *   (that slot - r15 +
 *   instructions retired in the block: n, idx for a fault at instruction
 *   idx, idx + 1 after a store that hit the block's own code) at every
 *   return to the dispatcher and before every handler call.
 * - The code cache is a memfd mapped read+execute and, elsewhere,
 *   read+write (W^X without mprotect); a forked child copies it.
 * - Exits chain to the compiled blocks the dispatcher linked: static
 *   successors through direct jumps kept patched by jit_link_patch(), jalr
 *   through the inline cache, the return-address stack and the jump
 *   cache. Every block's entry checks the budget; the exits of blocks
 *   that call out check for stop requests (struct cc, calls_out).
 */
#include "jit_internal.h"
#include "../isa.h"
#include "../../vm_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define JIT_DEFAULT_THRESHOLD 50u
#define JIT_DEFAULT_CACHE (64u << 20)   /* bytes of host code before a full flush */
#define JIT_MIN_PREFIX 4u               /* compile a partial block only if it covers this many */
#define JIT_MAX_BLOCK_CODE (128u << 10) /* emission buffer: 256 insns at < 512 bytes each */

static struct vm_engine_config jit_defaults = { .engine = VM_ENGINE_AUTO };

void vm_set_engine_defaults(const struct vm_engine_config *ec)
{
    jit_defaults = *ec;
    if (jit_defaults.engine == VM_ENGINE_DEFAULT) jit_defaults.engine = VM_ENGINE_AUTO;
}

void jit_configure(struct vm *vm)
{
    struct vm_engine_config *c = &vm->cfg.engine;
    if (c->engine == VM_ENGINE_DEFAULT) {
        *c = jit_defaults;
    } else {
        if (!c->prof_clock) c->prof_clock = jit_defaults.prof_clock;
    }
    if (!c->jit_threshold) c->jit_threshold = jit_defaults.jit_threshold ? jit_defaults.jit_threshold
                                                                         : JIT_DEFAULT_THRESHOLD;
#if defined(__x86_64__)
    switch (c->engine) {
    case VM_ENGINE_JIT: vm->jit_hot = 1; break;
    case VM_ENGINE_INTERP: vm->jit_hot = 0; break;
    default: vm->jit_hot = c->jit_threshold; break;
    }
#else
    vm->jit_hot = 0;
#endif
}

#if defined(__x86_64__)

/* The JIT's jump cache, indexed like the vm's (vm_jc_index): a guest pc
 * and the compiled entry of the block there, side by side, so that an
 * indirect jump finds its target with one load and one compare instead of
 * going through the block (vm->jc). pc 1 (odd, never a jump target) marks
 * an empty entry. Filled when a block is compiled or entered from the
 * dispatcher, emptied when its block is invalidated and at flushes. */
struct jit_jc {
    uint64_t pc;
    const uint8_t *entry;
};

static void hjc_clear(struct jit_jc *hjc)
{
    for (unsigned i = 0; i < 1u << VM_JC_BITS; i++) hjc[i] = (struct jit_jc){ 1, NULL };
}

/* A compiled block as the fault handler finds it: its code and fault
 * sites (sorted by `at`, in the block arena). */
struct jit_blk {
    const uint8_t *code;
    uint32_t len, nfaults;
    const struct jit_fault *faults;
};

struct jit {
    uint8_t *base;       /* code cache, mapped read+execute */
    uint8_t *wbase;      /* the same memory mapped read+write elsewhere */
    int fd;              /* the memory (memfd) */
    size_t size, used;
    uint8_t *tmp;        /* emission buffer (read-write) */
    struct jit *next;    /* in the list of caches (fork_child) */
    struct jit_jc *hjc;  /* [1 << VM_JC_BITS] */
    /* Every block in the cache, in address order (the cache only grows
     * until a flush empties it). */
    struct jit_blk *blk;
    size_t nblk, cap;
};

/* Bytes of the prologue every block starts with; a chained jump enters the
 * next block right after it (registers are already set up). */
static size_t prologue_len;

/* Where chained jumps enter compiled block tb (its code must be set). */
static uint8_t *chained_entry(const struct vm_tb *tb) { return (uint8_t *)tb->jit_code + prologue_len; }

int jit_supports(unsigned id);

/* ---- host faults of guest accesses ---- */

/* The cache whose code this thread runs (jit_run), for the fault handler:
 * a fault is synchronous, so it happens on the thread running the code. */
static __thread struct jit *running;
static struct sigaction old_segv;

/* Where the code faulting at host address pc resumes, or NULL if pc is no
 * guest access of a compiled block. Async-signal-safe: it reads only what
 * the faulting thread itself writes, between blocks. */
static const uint8_t *fault_resume(const struct jit *j, const uint8_t *pc)
{
    if (!j || pc < j->base || pc >= j->base + j->used) return NULL;
    size_t lo = 0, hi = j->nblk;
    while (lo < hi) { /* the last block starting at or before pc */
        size_t mid = lo + (hi - lo) / 2;
        if (j->blk[mid].code <= pc) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return NULL;
    const struct jit_blk *b = &j->blk[lo - 1];
    if (pc >= b->code + b->len) return NULL;
    uint32_t at = (uint32_t)(pc - b->code);
    size_t flo = 0, fhi = b->nfaults;
    while (flo < fhi) {
        size_t mid = flo + (fhi - flo) / 2;
        if (b->faults[mid].at == at) return b->code + b->faults[mid].to;
        if (b->faults[mid].at < at) flo = mid + 1;
        else fhi = mid;
    }
    return NULL;
}

/* SIGSEGV: a guest access of compiled code that the host mapping refused
 * goes on in its slow path, which raises the guest exception (or makes
 * the access, for what the MMU cannot tell apart). Anything else is
 * passed to the handler that was there before (a sanitizer's), or gets the
 * default action when the instruction faults again. */
static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    const uint8_t *to = fault_resume(running, (const uint8_t *)uc->uc_mcontext.gregs[REG_RIP]);
    if (to) {
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)to;
        return;
    }
    if ((old_segv.sa_flags & SA_SIGINFO) && old_segv.sa_sigaction) {
        old_segv.sa_sigaction(sig, si, ucv);
        return;
    }
    if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
        old_segv.sa_handler(sig);
        return;
    }
    signal(SIGSEGV, SIG_DFL);
}

/* Installs on_segv unless it is the handler already. Called for every new
 * code cache rather than once: whoever replaced it since (a test harness
 * catching signals around each test) is then chained to. */
static bool segv_install(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    struct sigaction cur, sa;
    bool ok = sigaction(SIGSEGV, NULL, &cur) == 0;
    if (ok && !((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_segv)) {
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        old_segv = cur;
        ok = sigaction(SIGSEGV, &sa, NULL) == 0;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

int jit_run(struct vm *vm, struct vm_cpu *cpu, const struct vm_tb *tb, uint64_t budget)
{
    struct jit *prev = running;
    running = vm->jit;
    struct jit_jc *h = &vm->jit->hjc[vm_jc_index(tb->pc)];
    if (h->pc != tb->pc) *h = (struct jit_jc){ tb->pc, chained_entry(tb) };
    int x = ((jit_entry_fn)tb->jit_code)(cpu, vm->mem.host, vm->mem.limit8, budget);
    running = prev;
    return x;
}

/* ---- the code cache ---- */

/* The code lives in one memfd mapped twice: read+execute where it runs,
 * read+write at another address where it is written (W^X without changing
 * protections: an mprotect costs a TLB shootdown on every processor the
 * process runs on, and compiling and linking made thousands). A fork would
 * share the memory between the two processes, so the child copies every
 * cache into a memfd of its own at the same addresses (fork_child). */
static pthread_mutex_t caches_lock = PTHREAD_MUTEX_INITIALIZER;
static struct jit *caches;

/* Maps size bytes of fd read+execute at rx (NULL: anywhere) and
 * read+write anywhere. */
static bool map_views(int fd, size_t size, uint8_t **rx, uint8_t **rw)
{
    void *x = mmap(*rx, size, PROT_READ | PROT_EXEC, MAP_SHARED | (*rx ? MAP_FIXED : 0), fd, 0);
    if (x == MAP_FAILED) return false;
    void *w = mmap(*rw, size, PROT_READ | PROT_WRITE, MAP_SHARED | (*rw ? MAP_FIXED : 0), fd, 0);
    if (w == MAP_FAILED) {
        if (!*rx) munmap(x, size);
        return false;
    }
    *rx = x, *rw = w;
    return true;
}

/* In a forked child: the caches get memory of their own, same addresses,
 * same contents. If that fails the child cannot run compiled code safely
 * (its writes would change the parent's): it ends. */
static void fork_child(void)
{
    for (struct jit *j = caches; j; j = j->next) {
        int fd = memfd_create("reprise-jit", MFD_CLOEXEC);
        if (fd < 0 || ftruncate(fd, (off_t)j->size) ||
            (j->used && pwrite(fd, j->base, j->used, 0) != (ssize_t)j->used) ||
            !map_views(fd, j->size, &j->base, &j->wbase)) {
            static const char msg[] = "reprise: cannot copy the JIT's code cache into a forked process\n";
            ssize_t r = write(2, msg, sizeof msg - 1);
            (void)r;
            _exit(127);
        }
        close(j->fd);
        j->fd = fd;
    }
    pthread_mutex_init(&caches_lock, NULL);
}

static void fork_prepare(void) { pthread_mutex_lock(&caches_lock); }
static void fork_parent(void) { pthread_mutex_unlock(&caches_lock); }
static void jit_atfork(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

static struct jit *cache_create(size_t size)
{
    /* Compiled code needs the fault handler (its loads are checked by the
     * host MMU): without it, no cache and every block is interpreted. */
    if (!segv_install()) return NULL;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, jit_atfork);
    struct jit *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->size = (size + 4095) & ~(size_t)4095;
    j->fd = memfd_create("reprise-jit", MFD_CLOEXEC);
    j->tmp = malloc(JIT_MAX_BLOCK_CODE);
    j->hjc = malloc((sizeof *j->hjc) << VM_JC_BITS);
    if (j->fd < 0 || ftruncate(j->fd, (off_t)j->size) || !j->tmp || !j->hjc ||
        !map_views(j->fd, j->size, &j->base, &j->wbase)) {
        if (j->fd >= 0) close(j->fd);
        free(j->tmp);
        free(j->hjc);
        free(j);
        return NULL;
    }
    hjc_clear(j->hjc);
    pthread_mutex_lock(&caches_lock);
    j->next = caches;
    caches = j;
    pthread_mutex_unlock(&caches_lock);
    return j;
}

void jit_cache_flush(struct vm *vm)
{
    /* Only called with no compiled code running (between blocks), after
     * every block that pointed into the cache was dropped. */
    if (!vm->jit || !vm->jit->used) return;
    vm->jit->used = 0;
    vm->jit->nblk = 0;
    hjc_clear(vm->jit->hjc);
    vm->stats.jit_flushes++;
}

void jit_cache_destroy(struct vm *vm)
{
    struct jit *j = vm->jit;
    if (!j) return;
    pthread_mutex_lock(&caches_lock);
    for (struct jit **pp = &caches; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    pthread_mutex_unlock(&caches_lock);
    munmap(j->base, j->size);
    munmap(j->wbase, j->size);
    close(j->fd);
    free(j->tmp);
    free(j->blk);
    free(j->hjc);
    free(j);
    vm->jit = NULL;
}

/* Copies len bytes of code into the cache (through its writable view),
 * at a 64-byte boundary: a block's code then sits the same way on the
 * host's cache lines (and instruction-fetch windows) whatever was compiled
 * before it, so its speed no longer depends on the order blocks became
 * hot. With 16-byte boundaries bench_int's loops ran 5-10 % faster or
 * slower from one mode (run, record, replay) to another; 64: 7 % faster
 * in all three (docs/jit.md). NULL if full. */
static void *cache_put(struct jit *j, const uint8_t *code, size_t len)
{
    size_t at = (j->used + 63) & ~(size_t)63;
    if (at + len > j->size) return NULL;
    memcpy(j->wbase + at, code, len);
    j->used = at + len;
    return j->base + at;
}

/* Sets l->host to the target's compiled entry (just after the shared
 * prologue, at the entry checks) or NULL, and points the chaining jump of
 * the edge, if any, there or at the source's return to the dispatcher.
 * Called between blocks or from helpers, never concurrently with the code
 * it patches running on another thread (one vm runs on one thread); the
 * rel32 is written through the cache's writable view. */
void jit_forget(struct vm *vm, const struct vm_tb *tb)
{
    if (!vm->jit || !tb->jit_code) return;
    struct jit_jc *h = &vm->jit->hjc[vm_jc_index(tb->pc)];
    if (h->entry == chained_entry(tb)) *h = (struct jit_jc){ 1, NULL };
}

void jit_link_patch(struct vm_tb_link *l)
{
    const struct vm_tb *to = l->to;
    l->host = to && to->valid && to->jit_code ? chained_entry(to) : NULL;
    if (!l->jmp) return;
    uint8_t *dst = l->host ? l->host : l->unlinked;
    int32_t rel = (int32_t)(dst - (l->jmp + 4));
    memcpy(l->jmp_w, &rel, 4);
}

/* ---- helpers called from compiled code (slow paths) ---- */

int jit_helper_load(struct vm_cpu *cpu, uint64_t a, unsigned kind)
{
    unsigned size = kind & 15, rd = kind >> 8;
    uint64_t v = 0;
    if (vm_mem_load_slow(cpu->vm, a, &v, size)) {
        cpu->exc_cause = RV_EXC_LOAD_PAGE_FAULT;
        cpu->exc_tval = a;
        return 1;
    }
    if (kind & JIT_FREG) {
        /* A binary32 is NaN-boxed in its f register (F extension, 11.2). */
        cpu->f[rd] = size == 4 ? 0xffffffff00000000ull | v : v;
        return 0;
    }
    if ((kind & JIT_SIGNED) && size < 8) {
        unsigned sh = 64 - 8 * size;
        v = (uint64_t)((int64_t)(v << sh) >> sh);
    }
    cpu->x[rd] = v;
    return 0;
}

/* Returns 0, 1 if the store overwrote code of the running block (which
 * must end after this instruction), or -1 on a fault. */
static int helper_store(struct vm_cpu *cpu, uint64_t a, uint64_t v, unsigned size)
{
    int r = vm_mem_store_slow(cpu->vm, a, &v, size, cpu->cur_tb);
    if (r < 0) {
        cpu->exc_cause = RV_EXC_STORE_PAGE_FAULT;
        cpu->exc_tval = a;
        return -1;
    }
    return r;
}

/* ---- templates ---- */

static const struct tmpl tmpls[RV_N_INSNS] = {
#define JIT_T(row, t, a) [RV_##row] = { t, a },
#include "templates.def"
#undef JIT_T
};

int jit_supports(unsigned id) { return id == RV_ILLEGAL || (id < RV_N_INSNS && tmpls[id].kind); }

/* Fixed registers: a5, a4 and sp live in rbp, r13 and r14 for as long as
 * compiled code runs, across chained jumps; only the dispatcher's entry
 * loads them and only returns to it (and helper calls) store them. gcc's
 * RISC-V code uses a5 and a4 as its first temporaries and sp in every
 * prologue and epilogue: in the bench_* samples they are the registers
 * most often live across block boundaries (measured choices in
 * docs/jit.md). */
static const uint8_t fixed_guest[] = { 15, 14, 2 };
static const int fixed_host[] = { RBP, R13, R14 };
#define N_FIXED ((unsigned)(sizeof fixed_guest / sizeof fixed_guest[0]))
static const uint32_t fixed_mask = 1u << 15 | 1u << 14 | 1u << 2;

/* Host registers that cache a block's other most used guest registers,
 * for the block only (loaded at its entry, written back at its exits).
 * All are caller-saved: helper calls are followed by reloads. rdi is also
 * the first argument of those calls and scratch in exit paths (RAS push,
 * jump-cache probe), always after the write-back. */
static const int cache_regs[] = { R8, R9, R10, R11, RDI };
#define N_CACHE ((unsigned)(sizeof cache_regs / sizeof cache_regs[0]))

/* Callee-saved registers the blocks use (SysV ABI 3.2.1). */
static const int saved[] = { RBX, R12, R13, R14, R15, RBP };

/* The frame below the saved registers: values the block needs only now and
 * then live here rather than in registers. 8 + 6 * 8 + FRAME is a multiple
 * of 16, so helper calls see an aligned stack (SysV ABI 3.2.2); the last
 * 8 bytes are that padding. */
#define FRAME 24
#define SLOT_END x86_m(RSP, 0)     /* count + budget at entry (see emit_icount) */
#define SLOT_LIMIT x86_m(RSP, 8)   /* vm->mem.limit8 */

static void emit_epilogue(struct x86_buf *e)
{
    x86_alu_ri(e, true, ALU_ADD, RSP, FRAME);
    for (int i = 5; i >= 0; i--) x86_pop(e, saved[i]);
    x86_ret(e);
}

/* cpu->icount = the count at the start of the current block + count.
 * Compiled code does not update cpu->icount as it goes from block to
 * block: SLOT_END holds (count + budget) at entry and r15 the budget left
 * at the start of the current block, so SLOT_END - r15 is the count there. */
void emit_icount(struct x86_buf *e, uint32_t count)
{
    x86_mov_rm(e, true, RAX, SLOT_END);
    x86_alu_rr(e, true, ALU_SUB, RAX, R15);
    if (count) x86_alu_ri(e, true, ALU_ADD, RAX, (int32_t)count);
    x86_mov_mr(e, true, x86_m(RBX, CPU_OFF(icount)), RAX);
}

/* cpu->cur_tb = this block. Compiled code sets it only where it is read:
 * before calls of helpers (stores into code compare with it) and at
 * returns to the dispatcher (the last block run), not at every chained
 * block entry. */
static void emit_cur_tb(struct cc *c)
{
    x86_mov_ri64(&c->e, RAX, (uint64_t)(uintptr_t)c->tb);
    x86_mov_mr(&c->e, true, x86_m(RBX, CPU_OFF(cur_tb)), RAX);
}

/* Leaves the block: cpu->pc = pc, cpu->icount = block start + count,
 * returns code. */
void emit_exit(struct cc *c, uint64_t pc, uint32_t count, int code)
{
    struct x86_buf *e = &c->e;
    x86_mov_ri64(e, RAX, pc);
    x86_mov_mr(e, true, x86_m(RBX, CPU_OFF(pc)), RAX);
    emit_icount(e, count);
    emit_cur_tb(c);
    x86_mov_ri64(e, RAX, (uint64_t)code);
    emit_epilogue(e);
}

/* Before a helper call or a return to the dispatcher: the registers the
 * block wrote, and the fixed ones (chained blocks before it may have
 * written them). */
void writeback(struct cc *c)
{
    uint32_t m = c->wmask | fixed_mask;
    for (unsigned g = 1; g < 32; g++)
        if (c->host[g] >= 0 && (m >> g & 1)) x86_mov_mr(&c->e, true, XR(g), c->host[g]);
}

/* Before a chained jump: the registers the next block loads itself (the
 * fixed ones stay live in their host registers). */
static void writeback_chain(struct cc *c)
{
    uint32_t m = c->wmask & ~fixed_mask;
    for (unsigned g = 1; g < 32; g++)
        if (c->host[g] >= 0 && (m >> g & 1)) x86_mov_mr(&c->e, true, XR(g), c->host[g]);
}

/* Stores the fixed registers (live in their host registers) before a
 * return to the dispatcher that did not write them back. */
static void store_fixed(struct cc *c)
{
    for (unsigned i = 0; i < N_FIXED; i++) x86_mov_mr(&c->e, true, XR(fixed_guest[i]), fixed_host[i]);
}

void reload_all(struct cc *c)
{
    for (unsigned g = 1; g < 32; g++)
        if (c->host[g] >= 0) x86_mov_rm(&c->e, true, c->host[g], XR(g));
    c->small = 0;
}

/* dst = x[g] (w: 64 bits, else the low 32 bits zero-extended). x0 is the
 * constant zero. */
void get(struct cc *c, bool w, int dst, unsigned g)
{
    if (g == 0) x86_alu_rr(&c->e, false, ALU_XOR, dst, dst);
    else if (g < 33 && c->host[g] >= 0) {
        if (c->host[g] != dst || !w) x86_mov_rr(&c->e, w, dst, c->host[g]);
    } else x86_mov_rm(&c->e, w, dst, XR(g));
}

/* dst = the low 32 bits of x[g], for 32-bit operations that ignore the
 * upper half of their operand (none emitted when dst already holds x[g]). */
static void get32(struct cc *c, int dst, unsigned g)
{
    if (g < 33 && g && c->host[g] == dst) return;
    get(c, false, dst, g);
}

/* dst op= x[g]. */
static void alu_src(struct cc *c, bool w, enum x86_alu op, int dst, unsigned g)
{
    if (g == 0) x86_alu_ri(&c->e, w, op, dst, 0);
    else if (g < 33 && c->host[g] >= 0) x86_alu_rr(&c->e, w, op, dst, c->host[g]);
    else x86_alu_rm(&c->e, w, op, dst, XR(g));
}

/* The host register to compute instruction `in`'s result in: rd's own
 * cached register when it has one and the computation does not read
 * x[avoid] after writing it (avoid: a source other than the first one),
 * else rax. */
static int dest(const struct cc *c, const struct jit_insn *in, unsigned avoid)
{
    if (in->rd < 32 && c->host[in->rd] >= 0 && (in->rd != avoid || avoid == in->rs1))
        return c->host[in->rd];
    return RAX;
}

/* rdx:rax = rax * x[g]. */
static void mul_src(struct cc *c, bool is_signed, unsigned g)
{
    if (g < 33 && c->host[g] >= 0) {
        x86_mov_rr(&c->e, true, RCX, c->host[g]);
        x86_mul_r(&c->e, is_signed, RCX);
    } else {
        x86_mul_m(&c->e, is_signed, XR(g));
    }
}

/* rax = the low `size` bytes of x[g], sign- or zero-extended. */
static void ext_src(struct cc *c, unsigned g, unsigned size, bool sign)
{
    if (g < 33 && c->host[g] >= 0) {
        x86_mov_rr(&c->e, true, RAX, c->host[g]);
        x86_shift_ri(&c->e, true, SH_SHL, RAX, (uint8_t)(64 - 8 * size));
        x86_shift_ri(&c->e, true, sign ? SH_SAR : SH_SHR, RAX, (uint8_t)(64 - 8 * size));
    } else {
        x86_load(&c->e, RAX, XR(g), size, sign);
    }
}

/* x[rd] = src (64 bits), unless rd is the x0 sink. */
void put(struct cc *c, const struct jit_insn *in, int src)
{
    if (in->rd == 32) return;
    if (c->host[in->rd] >= 0) {
        if (c->host[in->rd] != src) x86_mov_rr(&c->e, true, c->host[in->rd], src);
    }
    else x86_mov_mr(&c->e, true, XR(in->rd), src);
}

static void put_imm(struct cc *c, const struct jit_insn *in, int32_t imm)
{
    if (in->rd == 32) return;
    if (c->host[in->rd] >= 0) x86_mov_ri64(&c->e, c->host[in->rd], (uint64_t)(int64_t)imm);
    else x86_mov_mi32(&c->e, XR(in->rd), imm);
}

/* emit_exit after writing cached registers back. */
static void exit_wb(struct cc *c, uint64_t pc, uint32_t count, int code)
{
    writeback(c);
    emit_exit(c, pc, count, code);
}

/* For a block ending in a call that chains on: push its return pc and the
 * block itself on the return-address stack, as the interpreter's ras_push
 * does when it chains (a call that returns to the dispatcher is pushed by
 * the dispatcher). Clobbers rsi, rdi. */
static void emit_ras_push(struct cc *c)
{
    struct x86_buf *e = &c->e;
    if (c->tb->exit_kind != TB_EXIT_CALL) return;
    x86_mov_rm(e, false, RSI, x86_m(RBX, CPU_OFF(ras_top)));
    x86_alu_mi(e, false, ALU_ADD, x86_m(RBX, CPU_OFF(ras_top)), 1);
    x86_alu_ri(e, false, ALU_AND, RSI, RV_RAS_SIZE - 1);
    x86_shift_ri(e, false, SH_SHL, RSI, 4);
    x86_mov_ri64(e, RDI, c->tb->end);
    x86_mov_mr(e, true, (struct x86_mem){ RBX, RSI, CPU_OFF(ras[0].ret_pc) }, RDI);
    x86_mov_ri64(e, RDI, (uint64_t)(uintptr_t)c->tb);
    x86_mov_mr(e, true, (struct x86_mem){ RBX, RSI, CPU_OFF(ras[0].caller) }, RDI);
}

/* The normal end of a block with a static successor (slot 0: taken/jump,
 * 1: fallthrough): count the block, then go on to the compiled block
 * linked there through a jump that jit_link_patch() keeps pointing at the
 * linked block's code, or at the return to the dispatcher while there is
 * none. The budget check is at the target's entry; a block that calls out
 * checks for a stop request first (struct cc, calls_out). */
static void emit_link_exit(struct cc *c, int slot, uint64_t pc, int code)
{
    struct x86_buf *e = &c->e;
    uint32_t n = c->n;
    if (c->counted) x86_alu_ri(e, true, ALU_SUB, R15, (int32_t)n);
    if (pc == c->insns[0].pc) {
        /* A loop onto itself: no link to read. The block cannot have been
         * invalidated while running (its own stores leave it through the
         * SMC exit), so jumping back to its body is safe. */
        /* Cached registers stay live around the loop. */
        if (c->counted && !c->calls_out) {
            x86_alu_ri(e, true, ALU_CMP, R15, (int32_t)n);
            x86_jcc_to(e, CC_AE, c->loop_top);
        } else {
            size_t f1 = 0;
            if (c->counted) {
                x86_alu_ri(e, true, ALU_CMP, R15, (int32_t)n);
                f1 = x86_jcc_fwd(e, CC_B);
            }
            if (c->calls_out) {
                x86_alu_mi(e, false, ALU_CMP, x86_m(RBX, CPU_OFF(stop_request)), 0);
                x86_jcc_to(e, CC_E, c->loop_top);
            } else {
                x86_jmp_to(e, c->loop_top);
            }
            if (f1) x86_patch_here(e, f1);
        }
        exit_wb(c, pc, 0, code);
        return;
    }
    writeback_chain(c);
    emit_ras_push(c);
    size_t stop = 0;
    if (c->calls_out) {
        x86_alu_mi(e, false, ALU_CMP, x86_m(RBX, CPU_OFF(stop_request)), 0);
        stop = x86_jcc_fwd(e, CC_NE);
    }
    c->link_jmp[slot] = x86_jmp_fwd(e);
    x86_patch_here(e, c->link_jmp[slot]);
    if (stop) x86_patch_here(e, stop);
    c->link_unl[slot] = e->len;
    store_fixed(c);
    /* Not chained: the dispatcher pushes a call's return itself. */
    if (c->tb->exit_kind == TB_EXIT_CALL)
        x86_alu_mi(e, false, ALU_SUB, x86_m(RBX, CPU_OFF(ras_top)), 1);
    emit_exit(c, pc, 0, code);
}


/* The end of an indirect jump's lookup (rcx = the target pc, rax = a
 * candidate block, not NULL; miss: the rel32 of a jump taken when there
 * was none): if the candidate starts at the target and is compiled, push
 * a call's return and go to its entry (which checks the budget); else
 * fall through, with every jump to a miss patched to land
 * after this code. Clobbers rdx, rsi, rdi. */
static void emit_goto_candidate(struct cc *c, size_t miss)
{
    struct x86_buf *e = &c->e;
    x86_alu_rm(e, true, ALU_CMP, RCX, x86_m(RAX, (int32_t)offsetof(struct vm_tb, pc)));
    size_t f2 = x86_jcc_fwd(e, CC_NE);
    x86_mov_rm(e, true, RDX, x86_m(RAX, (int32_t)offsetof(struct vm_tb, jit_code)));
    x86_test_rr(e, true, RDX, RDX);
    size_t f3 = x86_jcc_fwd(e, CC_E);
    emit_ras_push(c);
    x86_alu_ri(e, true, ALU_ADD, RDX, (int32_t)prologue_len);
    x86_jmp_r(e, RDX);
    x86_patch_here(e, miss);
    x86_patch_here(e, f2);
    x86_patch_here(e, f3);
}

/* Sets rsi = x[rs1] + imm (wrapping, as the interpreter's uint64_t sum). */
void emit_addr(struct cc *c, const struct jit_insn *in)
{
    struct x86_buf *e = &c->e;
    get(c, true, RSI, in->rs1);
    if (in->imm) x86_alu_ri(e, true, ALU_ADD, RSI, (int32_t)in->imm);
}

/* What vm_mem_fast() checks, split between code and the host MMU: the
 * address must be <= limit8 (so the access stays in the reservation); the
 * host mapping allows exactly the guest's loads and stores, and no stores
 * into pages holding translated code (vm/mem.c, host_prot), so nothing
 * more is checked here: the access faults on the host if a page refuses
 * it, and the fault handler resumes at slow path s (jit_fault), which
 * does what the interpreter does (vm_mem_store_slow drops the page's
 * translations). Misaligned and page-crossing accesses are done by the
 * host too: the MMU checks both pages. */
void emit_fast_check(struct cc *c, struct slow *s)
{
    struct x86_buf *e = &c->e;
    if (!c->unchecked) { /* else see emit_group_check */
        x86_alu_rm(e, true, ALU_CMP, RSI, SLOT_LIMIT);
        s->patch[s->npatch++] = x86_jcc_fwd(e, CC_A);
    }
    s->fault_at = e->len;
    s->grouped = c->unchecked;
}

/* Records that a fault of the host instruction at code offset `at`
 * resumes at offset `to`. */
static void add_fault(struct cc *c, size_t at, size_t to)
{
    if (c->nfaults >= JIT_MAX_FAULTS) {
        c->e.overflow = true;
        return;
    }
    c->faults[c->nfaults++] = (struct jit_fault){ (uint32_t)at, (uint32_t)to };
}

void emit_call(struct x86_buf *e, const void *fn)
{
    x86_mov_ri64(e, RAX, (uint64_t)(uintptr_t)fn);
    x86_call_r(e, RAX);
}

/* Writes the exception of a trapping instruction and leaves at it. */
static void emit_trap(struct cc *c, const struct jit_insn *in, unsigned idx, unsigned cause,
                      uint64_t tval)
{
    struct x86_buf *e = &c->e;
    writeback(c);
    x86_mov_mi32d(e, x86_m(RBX, CPU_OFF(exc_cause)), cause);
    x86_mov_ri64(e, RAX, tval);
    x86_mov_mr(e, true, x86_m(RBX, CPU_OFF(exc_tval)), RAX);
    emit_exit(c, in->pc, idx, JIT_X_EXC);
}

static void emit_div(struct cc *c, const struct jit_insn *in, int f)
{
    struct x86_buf *e = &c->e;
    bool w = !(f & DIV_W), sg = f & DIV_SIGNED, rem = f & DIV_REM;
    /* Table 7.1 of the M chapter: x/0 gives all ones (quotient) or x
     * (remainder); the signed overflow -2^(L-1)/-1 gives the dividend
     * (quotient) or 0 (remainder). x86 div faults on both, so they are
     * branched around. W forms sign-extend their 32-bit result. */
    get(c, w, RAX, in->rs1);
    get(c, w, RCX, in->rs2);
    x86_test_rr(e, w, RCX, RCX);
    size_t to_zero = x86_jcc_fwd(e, CC_E);
    size_t to_ovf = 0, to_do = 0;
    if (sg) {
        x86_alu_ri(e, w, ALU_CMP, RCX, -1);
        to_do = x86_jcc_fwd(e, CC_NE);
        if (w) {
            x86_mov_ri64(e, RDX, 0x8000000000000000ull);
            x86_alu_rr(e, true, ALU_CMP, RAX, RDX);
        } else {
            x86_alu_ri(e, false, ALU_CMP, RAX, INT32_MIN);
        }
        to_ovf = x86_jcc_fwd(e, CC_E);
        x86_patch_here(e, to_do);
        x86_cqo(e, w);
    } else {
        x86_alu_rr(e, false, ALU_XOR, RDX, RDX);
    }
    x86_div_r(e, w, sg, RCX);
    if (rem) x86_mov_rr(e, true, RAX, RDX);
    size_t to_store = x86_jmp_fwd(e);
    x86_patch_here(e, to_zero);
    if (!rem) x86_mov_ri64(e, RAX, w ? ~0ull : 0xffffffffull); /* rem: rax is x1 already */
    size_t to_store2 = x86_jmp_fwd(e);
    if (sg) {
        x86_patch_here(e, to_ovf);
        if (rem) x86_alu_rr(e, false, ALU_XOR, RAX, RAX); /* quotient: rax is x1 already */
    }
    x86_patch_here(e, to_store);
    x86_patch_here(e, to_store2);
    if (!w) x86_movsxd(e, RAX, RAX);
    put(c, in, RAX);
}

/* Calls an instrumentation callback, fn(udata, cpu, pc, block count +
 * idx), with the guest state where the interpreter has it when it calls
 * one: registers in cpu->x, cpu->pc = pc, cpu->icount = the count at the
 * block's start. Cached registers are reloaded after it (the call
 * clobbers some; a debugger may have written others). */
static void emit_callback(struct cc *c, struct jit_callback cb, uint64_t pc, unsigned idx)
{
    struct x86_buf *e = &c->e;
    writeback(c);
    emit_icount(e, 0);
    x86_mov_rr(e, true, RCX, RAX);
    if (idx) x86_alu_ri(e, true, ALU_ADD, RCX, (int32_t)idx);
    x86_mov_ri64(e, RDX, pc);
    x86_mov_mr(e, true, x86_m(RBX, CPU_OFF(pc)), RDX);
    x86_mov_rr(e, true, RSI, RBX);
    x86_alu_ri(e, true, ALU_SUB, RSI, BIAS);
    x86_mov_ri64(e, RDI, (uint64_t)(uintptr_t)cb.udata);
    emit_call(e, cb.fn);
    reload_all(c);
}

/*
 * Memory access groups. A run of consecutive loads and stores with the
 * same base register (a function's saves and restores through sp, the
 * fields of one structure) needs one check, not one each: if the whole
 * span they touch, [x[rs1] + lowest offset, x[rs1] + highest offset +
 * size), is in range, inside one page, and (if the run stores) that page
 * holds no translated code, none of them can leave the reservation or hit
 * code (no instruction of the run changes page flags or the base register
 * before the last one computes its address), so they run with no check of
 * their own; the page's rights are the host MMU's to check, and a member
 * that faults resumes at its own copy in the out-of-line run. When the
 * group check fails, the run is executed again out of line with the usual
 * check on every access (the interpreter's semantics, misaligned and
 * page-crossing accesses included), joining after it.
 */
struct group { unsigned first, last; size_t fail[2], join; };

static bool emit_insn(struct cc *c, unsigned idx);

/* Whether instruction i can belong to a group; *size = its access size,
 * *store = whether it writes memory. */
static bool groupable(const struct jit_insn *in, unsigned *size, bool *store)
{
    if (in->id == RV_ILLEGAL || in->mem_cb || in->exec_cb.fn || !in->rs1 || in->rs1 >= 32) return false;
    const struct tmpl *t = &tmpls[in->id];
    switch (t->kind) {
    case T_LOAD: case T_FLOAD: *store = false; break;
    case T_STORE: case T_FSTORE: *store = true; break;
    default: return false;
    }
    *size = (unsigned)t->arg & 15;
    return true;
}

/* The group starting at instruction i, or false (fewer than two members). */
static bool find_group(const struct cc *c, unsigned i, unsigned k, struct group *g)
{
    unsigned size;
    bool store;
    const struct jit_insn *in = c->insns;
    if (!groupable(&in[i], &size, &store)) return false;
    unsigned base = in[i].rs1, j = i;
    int64_t lo = in[i].imm, hi = in[i].imm + size;
    /* A member that loads into the base register ends the run. */
    bool base_written = in[i].rd == base && !store && tmpls[in[i].id].kind == T_LOAD;
    while (!base_written && j + 1 < k && groupable(&in[j + 1], &size, &store) && in[j + 1].rs1 == base) {
        int64_t l = in[j + 1].imm < lo ? in[j + 1].imm : lo;
        int64_t h = in[j + 1].imm + size > hi ? in[j + 1].imm + (int64_t)size : hi;
        if (h - l > 512) break;
        lo = l, hi = h;
        j++;
        base_written = in[j].rd == base && !store && tmpls[in[j].id].kind == T_LOAD;
    }
    if (j == i) return false;
    *g = (struct group){ .first = i, .last = j };
    return true;
}

/* The check of group g: jumps to its fail offset (patched later) unless
 * the span is in range and inside one page (the host MMU checks the
 * page's rights, see emit_fast_check). Clobbers rax, rsi. */
static void emit_group_check(struct cc *c, struct group *g)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = c->insns;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (unsigned i = g->first; i <= g->last; i++) {
        unsigned size = 0;
        bool store = false;
        groupable(&in[i], &size, &store);
        if (in[i].imm < lo) lo = in[i].imm;
        if (in[i].imm + (int64_t)size > hi) hi = in[i].imm + (int64_t)size;
    }
    get(c, true, RSI, in[g->first].rs1);
    if (lo) x86_alu_ri(e, true, ALU_ADD, RSI, (int32_t)lo);
    /* a <= limit8: a's page, which holds the whole span, is in range. */
    x86_alu_rm(e, true, ALU_CMP, RSI, SLOT_LIMIT);
    size_t f1 = x86_jcc_fwd(e, CC_A);
    x86_mov_rr(e, false, RAX, RSI);
    x86_alu_ri(e, false, ALU_AND, RAX, (int32_t)VM_PAGE_MASK);
    x86_alu_ri(e, false, ALU_CMP, RAX, (int32_t)(VM_PAGE_SIZE - (hi - lo)));
    g->fail[0] = f1, g->fail[1] = x86_jcc_fwd(e, CC_A);
}

/* The out-of-line run of group g with every access checked (after the
 * block's code, before the slow paths it adds). A host fault of a member's
 * unchecked access resumes here, at that member: the members before it
 * have run, and must not run again (a store may have changed what an
 * earlier load read). */
static void emit_group_fallback(struct cc *c, const struct group *g)
{
    struct x86_buf *e = &c->e;
    for (unsigned q = 0; q < 2; q++) x86_patch_here(e, g->fail[q]);
    for (unsigned i = g->first; i <= g->last; i++) {
        for (unsigned k = 0; k < c->nslow; k++)
            if (c->slow[k].grouped && c->slow[k].idx == i && c->slow[k].fault_at)
                add_fault(c, c->slow[k].fault_at, e->len);
        emit_insn(c, i);
    }
    x86_jmp_to(e, g->join);
}

/* Emits instruction idx. Returns true if it ended the block (it emitted
 * its own exits). */
static bool emit_insn(struct cc *c, unsigned idx)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[idx];
    uint64_t npc = in->pc + in->len;
    uint32_t n = c->n;
    if (in->exec_cb.fn) emit_callback(c, in->exec_cb, in->pc, idx);
    /* What is known of the sources; rd's old value is gone. */
    const uint64_t small = c->small;
    if (in->rd < 33) c->small &= ~(1ull << in->rd);
    if (in->id == RV_ILLEGAL) {
        emit_trap(c, in, idx, RV_EXC_ILLEGAL, in->raw);
        return true;
    }
    const struct tmpl *t = &tmpls[in->id];
    if ((!t->kind || in->mem_cb) && in->helper) {
        /* No template: call the interpreter's handler for the row. */
        if (c->nslow >= 256) { e->overflow = true; return false; }
        struct slow *s = &c->slow[c->nslow++];
        *s = (struct slow){ .type = SLOW_HELPER, .idx = idx, .npc = npc };
        writeback(c);
        emit_icount(e, 0); /* handlers read it (instret, cycle, time) */
        emit_cur_tb(c);
        x86_mov_rr(e, true, RDI, RBX);
        x86_alu_ri(e, true, ALU_SUB, RDI, BIAS);
        x86_mov_ri64(e, RSI, (uint64_t)(uintptr_t)in->helper_arg);
        emit_call(e, in->helper);
        reload_all(c); /* the handler works on cpu->x; the call clobbered r8-r11, rdi */
        x86_test_rr(e, false, RAX, RAX);
        s->patch[s->npatch++] = x86_jcc_fwd(e, CC_NE);
        s->resume = e->len;
        return false;
    }
    int32_t imm = (int32_t)in->imm;
    bool pure = in->rd == 32; /* a pure computation into x0 has no effect */
    switch (t->kind) {
    case T_NOP:
        return false;
    case T_LI:
        if (!pure) put_imm(c, in, imm);
        return false;
    case T_AUIPC:
        if (pure) return false;
        x86_mov_ri64(e, RAX, in->pc + (uint64_t)in->imm);
        put(c, in, RAX);
        return false;
    case T_ALU_RI:
    case T_ALU_RI_W: {
        if (pure) return false;
        if (in->rs1 == 0 && t->kind == T_ALU_RI) {
            /* li: 0 op imm is imm (add, or, xor) or 0 (and). */
            put_imm(c, in, t->arg == ALU_AND ? 0 : imm);
            return false;
        }
        int d = dest(c, in, in->rs1);
        if (t->kind == T_ALU_RI_W && t->arg == ALU_ADD && !imm && (small >> in->rs1 & 1)) {
            /* sext.w of a value that is its own sign extension: a move */
            get(c, true, d, in->rs1);
            put(c, in, d);
            c->small |= 1ull << in->rd;
            return false;
        }
        if (t->kind == T_ALU_RI_W && t->arg == ALU_ADD && !imm && in->rs1 < 33 && c->host[in->rs1] >= 0) {
            /* sext.w */
            x86_movsxd(e, d, c->host[in->rs1]);
            put(c, in, d);
            return false;
        }
        if (t->kind == T_ALU_RI) get(c, true, d, in->rs1);
        else get32(c, d, in->rs1);
        if (imm || t->arg == ALU_AND) x86_alu_ri(e, t->kind == T_ALU_RI, (enum x86_alu)t->arg, d, imm);
        if (t->kind == T_ALU_RI_W) x86_movsxd(e, d, d);
        put(c, in, d);
        if (t->kind == T_ALU_RI && t->arg == ALU_AND && imm >= 0) c->small |= 1ull << in->rd;
        return false;
    }
    case T_ALU_RR:
    case T_ALU_RR_W: {
        if (pure) return false;
        bool w = t->kind == T_ALU_RR;
        enum x86_alu op = (enum x86_alu)t->arg;
        if (in->rs1 == 0) {
            /* mv (0 + x, 0 | x, 0 ^ x), neg (0 - x), sext.w of a move (W). */
            int d = dest(c, in, 0);
            /* A W operation on a value in [0, 2^31) gives the 64-bit
             * result: -x is in (-2^31, 0], x is itself. */
            bool sm = !w && (small >> in->rs2 & 1) && op != ALU_AND;
            if (w || sm) get(c, true, d, in->rs2);
            else get32(c, d, in->rs2);
            if (op == ALU_SUB) x86_neg(e, w || sm, d);
            else if (op == ALU_AND) x86_alu_rr(e, false, ALU_XOR, d, d);
            if (!w && !sm) x86_movsxd(e, d, d);
            put(c, in, d);
            if (sm && op != ALU_SUB) c->small |= 1ull << in->rd;
            return false;
        }
        if (in->rd < 32 && in->rd == in->rs2 && in->rs1 != in->rs2 && op != ALU_SUB &&
            c->host[in->rd] >= 0) {
            /* rd = rs1 op rd, commutative: in place. */
            alu_src(c, w, op, c->host[in->rd], in->rs1);
            if (!w) x86_movsxd(e, c->host[in->rd], c->host[in->rd]);
            return false;
        }
        int d = dest(c, in, in->rs2);
        if (w) get(c, true, d, in->rs1);
        else get32(c, d, in->rs1);
        alu_src(c, w, op, d, in->rs2);
        if (!w) x86_movsxd(e, d, d);
        put(c, in, d);
        return false;
    }
    case T_SLT_RI:
    case T_SLT_RR:
        if (pure) return false;
        x86_alu_rr(e, false, ALU_XOR, RCX, RCX);
        get(c, true, RAX, in->rs1);
        if (t->kind == T_SLT_RI) x86_alu_ri(e, true, ALU_CMP, RAX, imm);
        else alu_src(c, true, ALU_CMP, RAX, in->rs2);
        x86_setcc(e, (enum x86_cc)t->arg, RCX);
        put(c, in, RCX);
        c->small |= 1ull << in->rd;
        return false;
    case T_SH_RI:
    case T_SH_RI_W: {
        if (pure) return false;
        int d = dest(c, in, in->rs1);
        if (t->kind == T_SH_RI) get(c, true, d, in->rs1);
        else get32(c, d, in->rs1);
        x86_shift_ri(e, t->kind == T_SH_RI, (enum x86_shift)t->arg, d, (uint8_t)in->imm);
        /* A 32-bit logical shift right by 1 or more clears bit 31: the
         * result is its own sign extension (the 32-bit op zero-extended). */
        bool srl_w = t->kind == T_SH_RI_W && t->arg == SH_SHR && (in->imm & 31);
        if (t->kind == T_SH_RI_W && !srl_w) x86_movsxd(e, d, d);
        put(c, in, d);
        if (srl_w) c->small |= 1ull << in->rd;
        return false;
    }
    case T_SH_RR:
    case T_SH_RR_W:
        /* x86 masks the count in cl to 6 (64-bit) or 5 (32-bit) bits, the
         * same masking as X2 & 63 and X2 & 31 in the table. */
        if (pure) return false;
        get(c, true, RCX, in->rs2);
        { /* rs2 is read already: rd's own register may take the result */
            int d = dest(c, in, in->rs1);
            if (t->kind == T_SH_RR) get(c, true, d, in->rs1);
            else get32(c, d, in->rs1); /* a 32-bit shift reads the low half only */
            x86_shift_rcl(e, t->kind == T_SH_RR, (enum x86_shift)t->arg, d);
            if (t->kind == T_SH_RR_W) x86_movsxd(e, d, d);
            put(c, in, d);
        }
        return false;
    case T_MUL:
    case T_MUL_W: {
        if (pure) return false;
        bool w = t->kind == T_MUL;
        int d = dest(c, in, in->rs2);
        if (w) get(c, true, d, in->rs1);
        else get32(c, d, in->rs1);
        if (in->rs2 && in->rs2 < 33 && c->host[in->rs2] >= 0) x86_imul_rr(e, w, d, c->host[in->rs2]);
        else x86_imul_rm(e, w, d, XR(in->rs2));
        if (!w) x86_movsxd(e, d, d);
        put(c, in, d);
        return false;
    }
    case T_MULH:
        if (pure) return false;
        get(c, true, RAX, in->rs1);
        mul_src(c, t->arg == MULH_SS, in->rs2);
        if (t->arg == MULH_SU) {
            /* signed x unsigned high half = unsigned high half minus x2
             * when x1 is negative (two's complement correction). */
            get(c, true, RCX, in->rs1);
            x86_shift_ri(e, true, SH_SAR, RCX, 63);
            alu_src(c, true, ALU_AND, RCX, in->rs2);
            x86_alu_rr(e, true, ALU_SUB, RDX, RCX);
        }
        x86_mov_rr(e, true, RAX, RDX);
        put(c, in, RAX);
        return false;
    case T_DIV:
        if (pure) return false;
        emit_div(c, in, t->arg);
        return false;
    case T_SHADD: {
        /* (X1 or its zero-extended low word) << n, plus X2. */
        if (pure) return false;
        /* x[rs2] is read after the shift changed d: never compute in it. */
        int d = in->rd == in->rs2 ? RAX : dest(c, in, in->rs2);
        get(c, !(t->arg & SHADD_UW), d, in->rs1);
        if (t->arg & 7) x86_shift_ri(e, true, SH_SHL, d, (uint8_t)(t->arg & 7));
        alu_src(c, true, ALU_ADD, d, in->rs2);
        put(c, in, d);
        return false;
    }
    case T_SLLI_UW:
        if (pure) return false;
        get(c, false, RAX, in->rs1);
        if (in->imm) x86_shift_ri(e, true, SH_SHL, RAX, (uint8_t)in->imm);
        put(c, in, RAX);
        return false;
    case T_LOGN:
        /* X1 op ~X2, and for xnor ~(X1 ^ X2), which is the same value. */
        if (pure) return false;
        get(c, true, RAX, in->rs2);
        x86_not(e, true, RAX);
        alu_src(c, true, (enum x86_alu)t->arg, RAX, in->rs1);
        put(c, in, RAX);
        return false;
    case T_MINMAX:
        /* rax = X1; if (X1 cc X2) rax = X2. */
        if (pure) return false;
        get(c, true, RAX, in->rs1);
        get(c, true, RCX, in->rs2);
        x86_alu_rr(e, true, ALU_CMP, RAX, RCX);
        x86_cmov(e, (enum x86_cc)t->arg, RAX, RCX);
        put(c, in, RAX);
        return false;
    case T_EXT:
        /* The low bytes of a register, read in place (little-endian host). */
        if (pure) return false;
        ext_src(c, in->rs1, (unsigned)t->arg & 15, t->arg & JIT_SIGNED);
        put(c, in, RAX);
        if (!(t->arg & JIT_SIGNED)) c->small |= 1ull << in->rd;
        return false;
    case T_REV8:
        if (pure) return false;
        get(c, true, RAX, in->rs1);
        x86_bswap(e, RAX);
        put(c, in, RAX);
        return false;
    case T_LOAD:
    case T_STORE: {
        if (c->nslow >= 256) { e->overflow = true; return false; }
        struct slow *s = &c->slow[c->nslow++];
        *s = (struct slow){ .type = t->kind == T_STORE ? SLOW_STORE : SLOW_LOAD, .idx = idx, .npc = npc };
        unsigned size = (unsigned)t->arg & 15;
        emit_addr(c, in);
        if (t->kind == T_LOAD) {
            s->kind = (uint32_t)t->arg | (uint32_t)in->rd << 8;
            emit_fast_check(c, s);
            x86_load(e, RAX, x86_mi(R12, RSI), size, t->arg & JIT_SIGNED);
            put(c, in, RAX);
        } else {
            s->kind = size;
            get(c, true, RDX, in->rs2);
            emit_fast_check(c, s);
            x86_store(e, x86_mi(R12, RSI), RDX, size);
        }
        s->resume = e->len;
        return false;
    }
    case T_BRANCH: {
        int a = RAX;
        if (in->rs1 && c->host[in->rs1] >= 0) a = c->host[in->rs1];
        else get(c, true, RAX, in->rs1);
        if (in->rs2 == 0) x86_test_rr(e, true, a, a); /* the same flags as cmp a, 0 */
        else alu_src(c, true, ALU_CMP, a, in->rs2);
        size_t taken = x86_jcc_fwd(e, (enum x86_cc)t->arg);
        emit_link_exit(c, 1, npc, JIT_X_LINK1);
        x86_patch_here(e, taken);
        emit_link_exit(c, 0, in->pc + (uint64_t)in->imm, JIT_X_LINK0);
        return true;
    }
    case T_JAL:
        if (in->rd != 32) {
            x86_mov_ri64(e, RAX, npc);
            put(c, in, RAX);
        }
        emit_link_exit(c, 0, in->pc + (uint64_t)in->imm, JIT_X_LINK0);
        return true;
    case T_JALR:
        /* The target is computed before rd is written: rd may be rs1. */
        get(c, true, RCX, in->rs1);
        if (imm) x86_alu_ri(e, true, ALU_ADD, RCX, imm);
        x86_alu_ri(e, true, ALU_AND, RCX, -2);
        if (in->rd != 32) {
            x86_mov_ri64(e, RAX, npc);
            put(c, in, RAX);
        }
        writeback_chain(c);
        if (c->counted) x86_alu_ri(e, true, ALU_SUB, R15, (int32_t)n); /* the block retired */
        size_t stop = 0;
        if (c->chain && c->calls_out) {
            x86_alu_mi(e, false, ALU_CMP, x86_m(RBX, CPU_OFF(stop_request)), 0);
            stop = x86_jcc_fwd(e, CC_NE);
        }
        if (c->chain && c->tb->exit_kind == TB_EXIT_RET) {
            /* Return prediction, as the interpreter: the top of the
             * return-address stack names the calling block; if its return
             * pc is the target, go on to the block after the call. */
            x86_mov_rm(e, false, RSI, x86_m(RBX, CPU_OFF(ras_top)));
            x86_alu_ri(e, false, ALU_SUB, RSI, 1);
            x86_alu_ri(e, false, ALU_AND, RSI, RV_RAS_SIZE - 1);
            x86_shift_ri(e, false, SH_SHL, RSI, 4);
            x86_alu_rr(e, true, ALU_ADD, RSI, RBX);
            x86_alu_rm(e, true, ALU_CMP, RCX, x86_m(RSI, CPU_OFF(ras[0].ret_pc)));
            size_t f1 = x86_jcc_fwd(e, CC_NE);
            x86_mov_rm(e, true, RAX, x86_m(RSI, CPU_OFF(ras[0].caller)));
            x86_test_rr(e, true, RAX, RAX);
            size_t f2 = x86_jcc_fwd(e, CC_E);
            /* The caller's fallthrough link: its compiled entry, NULL when
             * it has none or the caller was invalidated (links cleared). */
            x86_mov_rm(e, true, RDX, x86_m(RAX, (int32_t)offsetof(struct vm_tb, link[1].host)));
            x86_test_rr(e, true, RDX, RDX);
            size_t f3 = x86_jcc_fwd(e, CC_E);
            /* The target's entry checks the budget. */
            x86_alu_mi(e, false, ALU_SUB, x86_m(RBX, CPU_OFF(ras_top)), 1);
            x86_jmp_r(e, RDX);
            size_t fs[] = { f1, f2, f3 };
            for (unsigned q = 0; q < 3; q++) x86_patch_here(e, fs[q]);
        } else if (c->chain) {
            /* Inline cache: link[0] is the last target the dispatcher saw. */
            x86_mov_ri64(e, RAX, (uint64_t)(uintptr_t)&c->tb->link[0].to);
            x86_mov_rm(e, true, RAX, x86_m(RAX, 0));
            x86_test_rr(e, true, RAX, RAX);
            size_t f1 = x86_jcc_fwd(e, CC_E);
            emit_goto_candidate(c, f1);
        }
        if (c->chain) {
            /* Missed: look the target up in the JIT's jump cache (one
             * load for the pc, one for the entry next to it), then in the
             * vm's, as the dispatcher would first (vm_tb_lookup), so that
             * indirect calls and jumps with many targets stay in compiled
             * code. */
            x86_mov_rr(e, false, RAX, RCX);
            x86_shift_ri(e, false, SH_SHR, RAX, 1);
            x86_alu_ri(e, false, ALU_AND, RAX, (1 << VM_JC_BITS) - 1);
            x86_shift_ri(e, false, SH_SHL, RAX, 4);
            x86_mov_ri64(e, RDX, (uint64_t)(uintptr_t)c->hjc);
            x86_alu_rr(e, true, ALU_ADD, RAX, RDX);
            x86_alu_rm(e, true, ALU_CMP, RCX, x86_m(RAX, 0));
            size_t hmiss = x86_jcc_fwd(e, CC_NE);
            x86_mov_rm(e, true, RDX, x86_m(RAX, 8));
            emit_ras_push(c);
            x86_jmp_r(e, RDX);
            x86_patch_here(e, hmiss);
            x86_mov_rr(e, false, RAX, RCX);
            x86_shift_ri(e, false, SH_SHR, RAX, 1);
            x86_alu_ri(e, false, ALU_AND, RAX, (1 << VM_JC_BITS) - 1);
            x86_shift_ri(e, false, SH_SHL, RAX, 3);
            x86_mov_ri64(e, RDX, (uint64_t)(uintptr_t)c->jc);
            x86_mov_rm(e, true, RAX, x86_mi(RDX, RAX));
            x86_test_rr(e, true, RAX, RAX);
            emit_goto_candidate(c, x86_jcc_fwd(e, CC_E));
        }
        if (stop) x86_patch_here(e, stop);
        /* Only the dispatcher reads the target from cpu->pc (rcx kept it). */
        x86_mov_mr(e, true, x86_m(RBX, CPU_OFF(pc)), RCX);
        store_fixed(c);
        emit_icount(e, 0);
        emit_cur_tb(c);
        x86_mov_ri64(e, RAX, JIT_X_JALR);
        emit_epilogue(e);
        return true;
    case T_TRAP:
        emit_trap(c, in, idx, (unsigned)t->arg, t->arg == RV_EXC_BREAKPOINT ? in->pc : 0);
        return true;
    case T_FP_FIRST ... T_FP_LAST:
        jit_fp_emit(c, idx, t);
        return false;
    }
    e->overflow = true; /* a row listed without a template: refuse the block */
    return true;
}

static void emit_slow(struct cc *c, struct slow *s)
{
    struct x86_buf *e = &c->e;
    const struct jit_insn *in = &c->insns[s->idx];
    if ((s->type == SLOW_LOAD || s->type == SLOW_STORE) && s->grouped) return; /* see fallback */
    for (unsigned i = 0; i < s->npatch; i++) x86_patch_here(e, s->patch[i]);
    if ((s->type == SLOW_LOAD || s->type == SLOW_STORE) && s->fault_at) add_fault(c, s->fault_at, e->len);
    if (s->type == SLOW_FP) {
        jit_fp_emit_slow(c, s);
        return;
    }
    if (s->type == SLOW_HELPER) {
        /* eax is JIT_H_EXC or JIT_H_SMC. */
        x86_alu_ri(e, false, ALU_CMP, RAX, JIT_H_SMC);
        size_t smc = x86_jcc_fwd(e, CC_E);
        emit_exit(c, in->pc, s->idx, JIT_X_EXC);
        x86_patch_here(e, smc);
        emit_exit(c, s->npc, s->idx + 1, JIT_X_SMC);
        return;
    }
    /* rsi = guest address; for stores rdx = value. Cached registers go to
     * memory first (the call clobbers them, the exits need them there) and
     * come back after a successful access. */
    writeback(c);
    if (s->type == SLOW_STORE) emit_cur_tb(c); /* clobbers rax only */
    x86_mov_rr(e, true, RDI, RBX);
    x86_alu_ri(e, true, ALU_SUB, RDI, BIAS);
    if (s->type == SLOW_LOAD) {
        x86_mov_ri64(e, RDX, s->kind);
        emit_call(e, (const void *)jit_helper_load);
        x86_test_rr(e, false, RAX, RAX);
        size_t fault = x86_jcc_fwd(e, CC_NE);
        reload_all(c);
        x86_jmp_to(e, s->resume);
        x86_patch_here(e, fault);
        emit_exit(c, in->pc, s->idx, JIT_X_EXC);
    } else {
        x86_mov_ri64(e, RCX, s->kind);
        emit_call(e, (const void *)helper_store);
        x86_test_rr(e, false, RAX, RAX);
        size_t notok = x86_jcc_fwd(e, CC_NE);
        reload_all(c);
        x86_jmp_to(e, s->resume);
        x86_patch_here(e, notok);
        size_t smc = x86_jcc_fwd(e, CC_G);
        emit_exit(c, in->pc, s->idx, JIT_X_EXC);
        x86_patch_here(e, smc);
        /* The store went to a page this block was translated from (its
         * translations are dropped): the instructions after it may be
         * stale, so leave right after it (as the interpreter). */
        emit_exit(c, s->npc, s->idx + 1, JIT_X_SMC);
    }
}

static int by_at(const void *a, const void *b)
{
    uint32_t x = ((const struct jit_fault *)a)->at, y = ((const struct jit_fault *)b)->at;
    return (x > y) - (x < y);
}

enum jit_result jit_compile(struct vm *vm, struct vm_tb *tb, const struct jit_insn *insns,
                            unsigned n, uint64_t end_pc, struct jit_callback block_cb)
{
    uint64_t t0 = vm->cfg.engine.prof_clock ? vm->cfg.engine.prof_clock() : 0;
    unsigned k = 0;
    while (k < n && (jit_supports(insns[k].id) || insns[k].helper)) k++;
    if (k == 0 || (k < n && k < JIT_MIN_PREFIX)) {
        tb->jit_failed = 1;
        return JIT_DECLINED;
    }
    /* A block that would be mostly handler calls runs faster in the
     * interpreter, whose dispatch costs less than a call with registers
     * written back and reloaded around it: under auto it stays
     * interpreted. FP rows count as calls only when they have no inline
     * fast path (jit_fp_inline). VM_ENGINE_JIT compiles it anyway (tests). */
    if (vm->cfg.engine.engine != VM_ENGINE_JIT) {
        unsigned calls = 0;
        for (unsigned i = 0; i < k; i++) {
            if (insns[i].id == RV_ILLEGAL) continue;
            const struct tmpl *t = &tmpls[insns[i].id];
            if (!t->kind || insns[i].mem_cb ||
                (t->kind >= T_FP_FIRST && t->kind <= T_FP_LAST && !jit_fp_inline(&insns[i], t)))
                calls++;
        }
        if (2 * calls > k) {
            tb->jit_failed = 1;
            return JIT_DECLINED;
        }
    }
    size_t csize = vm->cfg.engine.jit_cache_kib ? (size_t)vm->cfg.engine.jit_cache_kib << 10
                                                : JIT_DEFAULT_CACHE;
    if (!vm->jit && !(vm->jit = cache_create(csize))) {
        tb->jit_failed = 1;
        return JIT_NOMEM;
    }
    struct jit *j = vm->jit;
    struct slow slow[256];
    struct jit_fault faults[JIT_MAX_FAULTS];
    struct cc c = { .e = { .buf = j->tmp, .cap = JIT_MAX_BLOCK_CODE }, .insns = insns, .n = n,
                    .slow = slow, .tb = tb, .chain = true, .jc = vm->jc,
                    .counted = !vm->cfg.engine.jit_uncounted, .faults = faults,
                    .hjc = j->hjc };
    struct x86_buf *e = &c.e;
    c.calls_out = block_cb.fn != NULL;
    for (unsigned i = 0; i < n; i++)
        if (insns[i].exec_cb.fn || insns[i].mem_cb ||
            (insns[i].id != RV_ILLEGAL && !tmpls[insns[i].id].kind))
            c.calls_out = true;

    /* Prologue: callee-saved registers, the frame. */
    for (int i = 0; i < 6; i++) x86_push(e, saved[i]);
    x86_alu_ri(e, true, ALU_SUB, RSP, FRAME);
    x86_mov_rm(e, true, RAX, x86_m(RDI, (int32_t)offsetof(struct vm_cpu, icount)));
    x86_alu_rr(e, true, ALU_ADD, RAX, RCX);
    x86_mov_mr(e, true, SLOT_END, RAX);
    x86_mov_mr(e, true, SLOT_LIMIT, RDX);
    x86_mov_rr(e, true, RBX, RDI);
    x86_alu_ri(e, true, ALU_ADD, RBX, BIAS);
    x86_mov_rr(e, true, R12, RSI);
    x86_mov_rr(e, true, R15, RCX);
    for (unsigned i = 0; i < N_FIXED; i++) x86_mov_rm(e, true, fixed_host[i], XR(fixed_guest[i]));
    /* Jump targets 16-byte aligned, as compilers align loops and branch
     * targets (blocks are, cache_put): the chained entry here, and the top
     * of a loop onto itself below. Measured: bench_int 1.11 to 1.05 s,
     * bench_calls 0.58 to 0.56 s (docs/jit.md). */
    x86_nops(e, (unsigned)(-e->len % 16));
    prologue_len = e->len; /* the same bytes for every block */

    /* Chained jumps enter here: the block must fit in the budget left,
     * else the dispatcher resumes at it. Stop requests are checked by the
     * dispatcher and by the exits of blocks that call out (calls_out). */
    size_t bail1 = 0;
    if (c.counted) {
        x86_alu_ri(e, true, ALU_CMP, R15, (int32_t)n);
        bail1 = x86_jcc_fwd(e, CC_B);
    }

    /* Register caching: the most used guest registers (at least twice) go
     * to cache_regs for the whole block. */
    unsigned uses[33] = { 0 };
    uint32_t xdest[256 / 32] = { 0 }; /* instruction i writes an x register */
    for (unsigned i = 0; i < k; i++) {
        const struct jit_insn *in = &insns[i];
        if (in->id == RV_ILLEGAL) continue;
        /* The row's operands say which fields name x registers ('d', 's',
         * 't'); the others name f registers or hold immediate bits. */
        const char *ops = rv_insns[in->id].operands;
        if (strchr(ops, 's')) uses[in->rs1]++;
        if (strchr(ops, 't')) uses[in->rs2]++;
        if (ops[0] == 'd') {
            uses[in->rd]++;
            xdest[i / 32] |= 1u << (i % 32);
        }
    }
    memset(c.host, -1, sizeof c.host);
    for (unsigned i = 0; i < N_FIXED; i++) c.host[fixed_guest[i]] = (int8_t)fixed_host[i];
    for (unsigned r = 0; r < N_CACHE; r++) {
        unsigned best = 0, most = 1; /* x0 is a constant, never cached */
        for (unsigned g = 1; g < 32; g++)
            if (c.host[g] < 0 && uses[g] > most) best = g, most = uses[g];
        if (best == 0) break;
        c.host[best] = (int8_t)cache_regs[r];
    }
    for (unsigned i = 0; i < k; i++)
        if ((xdest[i / 32] >> (i % 32) & 1) && insns[i].rd < 32 && c.host[insns[i].rd] >= 0)
            c.wmask |= 1u << insns[i].rd;
    for (unsigned g = 1; g < 32; g++) /* the fixed ones are live already */
        if (c.host[g] >= 0 && !(fixed_mask >> g & 1)) x86_mov_rm(e, true, c.host[g], XR(g));
    if (tb->succ_ok[0] && tb->succ_pc[0] == tb->pc) x86_nops(e, (unsigned)(-e->len % 16));
    c.loop_top = e->len;
    if (block_cb.fn) emit_callback(&c, block_cb, insns[0].pc, 0);

    bool ended = false;
    unsigned done = 0;
    struct group groups[128];
    unsigned ngroups = 0;
    for (unsigned i = 0; i < k && !ended; i++) {
        c.off[i] = (uint32_t)e->len;
        struct group *g = &groups[ngroups];
        if (ngroups < 128 && find_group(&c, i, k, g)) {
            emit_group_check(&c, g);
            c.unchecked = true;
            for (unsigned m = i; m <= g->last; m++) {
                if (m > i) c.off[m] = (uint32_t)e->len;
                emit_insn(&c, m); /* loads and stores never end a block */
            }
            c.unchecked = false;
            g->join = e->len;
            ngroups++;
            i = g->last;
            done = i + 1;
            continue;
        }
        ended = emit_insn(&c, i);
        done = i + 1;
    }
    c.off[done] = (uint32_t)e->len;
    if (!ended) {
        if (k < n) exit_wb(&c, insns[k].pc, k, JIT_X_PARTIAL);
        else emit_link_exit(&c, 1, end_pc, JIT_X_LINK1);
    }
    c.small = 0; /* out-of-line code: nothing known where it joins */
    for (unsigned i = 0; i < ngroups; i++) emit_group_fallback(&c, &groups[i]);
    for (unsigned i = 0; i < c.nslow; i++) emit_slow(&c, &slow[i]);
    if (bail1) x86_patch_here(e, bail1);
    store_fixed(&c);
    emit_exit(&c, insns[0].pc, 0, JIT_X_RESUME);
    /* The fault sites go with the block (the arena lives until a flush,
     * like the cache) and the block into the cache's address-ordered
     * list; without room for them the block stays interpreted. */
    struct jit_fault *fs = NULL;
    if (x86_ok(e) && c.nfaults) {
        qsort(faults, c.nfaults, sizeof *faults, by_at);
        if ((fs = vm_tb_alloc(vm, c.nfaults * sizeof *fs))) memcpy(fs, faults, c.nfaults * sizeof *fs);
    }
    if (j->nblk == j->cap) {
        size_t cap = j->cap ? 2 * j->cap : 256;
        struct jit_blk *nb = realloc(j->blk, cap * sizeof *nb);
        if (nb) j->blk = nb, j->cap = cap;
    }
    if (!x86_ok(e) || (c.nfaults && !fs) || j->nblk == j->cap) {
        tb->jit_failed = 1;
        return JIT_DECLINED;
    }
    void *code = cache_put(j, e->buf, e->len);
    if (!code) {
        /* Full: drop every block and all host code, as the arena does. */
        vm_tb_flush(vm);
        return JIT_FLUSHED;
    }
    tb->jit_code = code;
    tb->jit_len = (uint32_t)e->len;
    j->hjc[vm_jc_index(tb->pc)] = (struct jit_jc){ tb->pc, chained_entry(tb) };
    j->blk[j->nblk++] = (struct jit_blk){ code, (uint32_t)e->len, c.nfaults, fs };
    for (int slot = 0; slot < 2; slot++) {
        if (!c.link_jmp[slot]) continue;
        tb->link[slot].jmp = (uint8_t *)code + c.link_jmp[slot];
        tb->link[slot].jmp_w = j->wbase + ((uint8_t *)code - j->base) + c.link_jmp[slot];
        tb->link[slot].unlinked = (uint8_t *)code + c.link_unl[slot];
        if (tb->link[slot].to) jit_link_patch(&tb->link[slot]);
    }
    for (struct vm_tb_link *l = tb->incoming; l; l = l->in_next) jit_link_patch(l);
    /* Offsets for --jit-dump, in the block arena (they die with the block);
     * none if the arena is full. */
    tb->jit_off = vm_tb_alloc(vm, (done + 1) * sizeof(uint32_t));
    if (tb->jit_off) memcpy(tb->jit_off, c.off, (done + 1) * sizeof(uint32_t));
    tb->jit_ndone = (uint16_t)done;
    vm->stats.jit_blocks++;
    vm->stats.jit_insns += k;
    vm->stats.jit_bytes += e->len;
    if (vm->cfg.engine.prof_clock) vm->stats.jit_compile_ns += vm->cfg.engine.prof_clock() - t0;
    return JIT_OK;
}

void vm_jit_foreach(struct vm *vm, void (*fn)(void *ctx, const struct vm_jit_block *b), void *ctx)
{
    for (unsigned h = 0; h < (1u << VM_TB_HASH_BITS); h++)
        for (struct vm_tb *tb = vm->tb_hash[h]; tb; tb = tb->hash_next) {
            if (!tb->valid || !tb->jit_code) continue;
            struct vm_jit_block b = { .pc = tb->pc, .n_insns = tb->jit_ndone, .code = tb->jit_code,
                                      .code_len = tb->jit_len, .insn_off = tb->jit_off };
            fn(ctx, &b);
        }
}

#else /* not an x86-64 host: no JIT, every engine interprets */

void vm_jit_foreach(struct vm *vm, void (*fn)(void *ctx, const struct vm_jit_block *b), void *ctx)
{
    (void)vm; (void)fn; (void)ctx;
}

void jit_cache_flush(struct vm *vm) { (void)vm; }
int jit_run(struct vm *vm, struct vm_cpu *cpu, const struct vm_tb *tb, uint64_t budget)
{
    (void)vm; (void)cpu; (void)tb; (void)budget;
    return 0;
}
void jit_link_patch(struct vm_tb_link *l) { (void)l; }
void jit_forget(struct vm *vm, const struct vm_tb *tb) { (void)vm; (void)tb; }
void jit_cache_destroy(struct vm *vm) { (void)vm; }
int jit_supports(unsigned id) { (void)id; return 0; }
enum jit_result jit_compile(struct vm *vm, struct vm_tb *tb, const struct jit_insn *insns,
                            unsigned n, uint64_t end_pc, struct jit_callback block_cb)
{
    (void)vm; (void)insns; (void)n; (void)end_pc; (void)block_cb;
    tb->jit_failed = 1;
    return JIT_DECLINED;
}

#endif
