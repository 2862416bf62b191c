/*
 * tracer.c - plugin loading, argument validation, the bridge from the
 * virtual machine's instrumentation hook to the plugin API, and the plugin
 * API functions themselves (exported by the `reprise` executable, which
 * plugins resolve at load).
 *
 * Block executions: the vm calls a block callback before each block; the
 * tracer keeps the one block execution in flight (guest threads are
 * serialized, so at most one is) and reports it when the next block starts
 * or the replay ends, with the exact number of instructions it retired: the
 * difference of the process instruction counts.
 */
#include "tracer.h"

#include "db.h"
#include "hostsys.h"
#include "isa.h"
#include "linux.h"
#include "reprise/plugin.h"
#include "reprise_version.h"
#include "symtab.h"
#include "vm.h"

#include <dirent.h>
#include <sqlite3.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PLUGINS 16

struct arg_val {
    const struct reprise_arg_spec *spec;
    const char *text;  /* user's text or the default (owned copy) */
    int64_t i;
    bool b;
};

struct reprise_host {
    struct tracer *tr;
    void *dl;
    const struct reprise_plugin_info *info;
    char *path;
    struct arg_val *args;
    size_t n_args;
    reprise_translate_cb translate;
    void *translate_udata;
    reprise_finish_cb finish;
    void *finish_udata;
    reprise_syscall_cb sys_enter, sys_exit;
    void *sys_enter_udata, *sys_exit_udata;
    reprise_signal_cb signal;
    void *signal_udata;
    reprise_thread_cb thread;
    void *thread_udata;
    reprise_exit_cb exit;
    void *exit_udata;
};

struct reprise_table {
    struct reprise_host *host;
    struct tdb_table *t;
};

/* Execution-time requests of one instruction (kept until the end: the vm
 * holds pointers to it inside translated code). */
struct req_exec { reprise_insn_cb cb; void *udata; };
struct req_mem { reprise_mem_cb cb; void *udata; };
struct insn_rec {
    struct tracer *tr;
    unsigned n_exec, n_mem, n_count;
    struct req_exec *exec;
    struct req_mem *mem;
    uint64_t **count;
};
struct req_block { reprise_block_cb cb; void *udata; };
struct tb_rec {
    struct tracer *tr;
    unsigned n_insns;
    uint64_t *pcs;
    unsigned n_cb;
    struct req_block *cb;
    struct insn_rec *last;      /* the last instruction's requests, or NULL */
    struct tb_rec *next_all;    /* every block translated, newest first */
};

/* The translation-time views handed to plugins. */
struct reprise_insn {
    uint64_t pc;
    uint32_t raw;
    unsigned size, cls, dest;
    char disas[80];
    struct insn_rec rec;
};
struct reprise_tb {
    uint64_t id, pc;
    unsigned n;
    struct reprise_insn *insns;
    struct tb_rec *rec;
};

/* What the tracer knows of one guest thread. */
struct thr {
    uint32_t tid, parent;
    uint64_t start, end;       /* process icounts of its first and after its last instruction */
    int status;
    bool ended;
    bool in_fn;                /* --function: inside an activation of the function */
    uint64_t fn_sp, fn_ra;     /* sp and ra at that activation's entry */
    char *open_path;           /* openat in progress: its path */
    uint64_t sys_enter_icount; /* icount of its system call in progress */
    bool created;              /* its create event was seen */
};

/* A guest file descriptor's path (from openat), to name mapped modules. */
struct fdpath {
    int fd;
    char *path;
};

struct tracer {
    struct tdb *db;
    struct tracer_params params;
    char *function;            /* params.function, owned */
    char *sysroot;             /* params.sysroot, owned */
    struct lx_observer obs;
    struct lx_proc *proc;      /* the process observed (from its first event) */
    struct tdb_table *t_thread, *t_module;
    struct thr *thr;
    size_t n_thr, cap_thr;
    struct fdpath *fds;
    size_t n_fds, cap_fds;
    int64_t n_modules;
    struct { uint64_t lo, hi; } *fn;   /* --function: its address ranges, once known */
    size_t n_fn;
    uint64_t sample_ctr;
    bool sampled;              /* the block execution in progress is reported */
    uint64_t plugin_rows;
    bool limit_hit;            /* no more rows: --limit reached or the writer failed */
    void (*stop)(void *ctx, const char *why);
    void *stop_ctx;
    void (*progress)(void *ctx, uint64_t icount, uint64_t rows);
    void *progress_ctx;
    uint64_t cb_pc;            /* pc of the instruction whose callback runs */
    struct reprise_host hosts[MAX_PLUGINS];
    size_t n_hosts;
    struct vm_instrument instr;
    uint64_t next_tb_id;
    struct tb_rec *all_tbs;
    void **allocs;           /* per-instruction request arrays */
    size_t n_allocs, cap_allocs;
    bool any_block_cb;
    /* The block execution in flight. */
    struct {
        bool on;
        struct tb_rec *rec;
        uint64_t icount, ticount;
        uint32_t tid;
    } pend;
    char err[512];
};

/* ---- plugin loading ---- */

static bool valid_name(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
    return true;
}

/* Opens and checks a plugin file; fills h->dl, h->info. */
static int open_plugin(const char *path, struct reprise_host *h, char *err, size_t errlen)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(err, errlen, "cannot load plugin %s: %s", path, dlerror());
        return -1;
    }
    reprise_plugin_entry_fn entry;
    *(void **)&entry = dlsym(dl, "reprise_plugin_entry");
    if (!entry) {
        snprintf(err, errlen, "%s is not a reprise plugin (no reprise_plugin_entry symbol)",
                 path);
        dlclose(dl);
        return -1;
    }
    const struct reprise_plugin_info *info = entry();
    if (!info) {
        snprintf(err, errlen, "%s: reprise_plugin_entry returned nothing", path);
        dlclose(dl);
        return -1;
    }
    if (info->api_version != REPRISE_PLUGIN_API_VERSION) {
        snprintf(err, errlen,
                 "%s: plugin built for API version %u, this reprise provides version %u; "
                 "rebuild the plugin against this reprise's <reprise/plugin.h>",
                 path, info->api_version, REPRISE_PLUGIN_API_VERSION);
        dlclose(dl);
        return -1;
    }
    if (!info->name || !valid_name(info->name) || !info->install) {
        snprintf(err, errlen, "%s: the plugin's description lacks a valid name or install", path);
        dlclose(dl);
        return -1;
    }
    h->dl = dl;
    h->info = info;
    return 0;
}

static void plugin_path(const char *name, const char *dir, char *out, size_t n)
{
    if (strchr(name, '/')) snprintf(out, n, "%s", name);
    else snprintf(out, n, "%s/%s.so", dir ? dir : ".", name);
}

/* Parses `text` as an argument of type spec->type into a. */
static int parse_arg(const struct reprise_arg_spec *spec, const char *text, struct arg_val *a,
                     char *err, size_t errlen, const char *plugin)
{
    char *end;
    a->spec = spec;
    a->text = NULL;   /* set by the caller once valid: it owns `text` */
    switch (spec->type) {
    case REPRISE_ARG_INT:
        errno = 0;
        a->i = strtoll(text, &end, 0);
        if (!*text || *end || errno) {
            snprintf(err, errlen, "plugin %s: argument %s wants an integer, not '%s'", plugin,
                     spec->name, text);
            return -1;
        }
        return 0;
    case REPRISE_ARG_BOOL:
        if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcasecmp(text, "on") ||
            !strcmp(text, "1"))
            a->b = true;
        else if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
                 !strcasecmp(text, "off") || !strcmp(text, "0"))
            a->b = false;
        else {
            snprintf(err, errlen, "plugin %s: argument %s wants true or false, not '%s'", plugin,
                     spec->name, text);
            return -1;
        }
        return 0;
    case REPRISE_ARG_STRING: return 0;
    }
    snprintf(err, errlen, "plugin %s: argument %s has an unknown type", plugin, spec->name);
    return -1;
}

int tracer_add_plugin(struct tracer *tr, const char *spec, const char *plugin_dir, char *err,
                      size_t errlen)
{
    if (tr->n_hosts == MAX_PLUGINS) {
        snprintf(err, errlen, "at most %d plugins", MAX_PLUGINS);
        return -1;
    }
    char *copy = strdup(spec);
    if (!copy) return -1;
    char *colon = strchr(copy, ':');
    if (colon) *colon = 0;
    char path[4096];
    plugin_path(copy, plugin_dir, path, sizeof path);
    struct reprise_host *h = &tr->hosts[tr->n_hosts];
    memset(h, 0, sizeof *h);
    h->tr = tr;
    if (open_plugin(path, h, err, errlen)) {
        if (!strchr(copy, '/'))
            snprintf(err + strlen(err), errlen - strlen(err),
                     " (unknown plugin '%s'? 'reprise plugins' lists them)", copy);
        free(copy);
        return -1;
    }
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (!strcmp(tr->hosts[i].info->name, h->info->name)) {
            snprintf(err, errlen, "plugin %s given twice", h->info->name);
            goto fail;
        }
    size_t n = 0;
    for (const struct reprise_arg_spec *a = h->info->args; a && a->name; a++) n++;
    h->args = calloc(n + 1, sizeof *h->args);
    h->n_args = n;
    h->path = strdup(path);
    if (!h->args || !h->path) goto fail;
    /* User arguments. */
    for (char *kv = colon ? strtok(colon + 1, ",") : NULL; kv; kv = strtok(NULL, ",")) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(err, errlen, "plugin %s: argument '%s' is not KEY=VALUE", h->info->name, kv);
            goto fail;
        }
        *eq = 0;
        size_t i;
        for (i = 0; i < n && strcmp(h->info->args[i].name, kv); i++) {}
        if (i == n) {
            snprintf(err, errlen, "plugin %s has no argument '%s' ('reprise plugins %s' lists "
                     "them)", h->info->name, kv, h->info->name);
            goto fail;
        }
        if (h->args[i].text) {
            snprintf(err, errlen, "plugin %s: argument %s given twice", h->info->name, kv);
            goto fail;
        }
        char *t = strdup(eq + 1);
        if (!t || parse_arg(&h->info->args[i], t, &h->args[i], err, errlen, h->info->name)) {
            free(t);
            goto fail;
        }
        h->args[i].text = t;
    }
    /* Defaults. */
    for (size_t i = 0; i < n; i++) {
        if (h->args[i].text) continue;
        const struct reprise_arg_spec *s = &h->info->args[i];
        if (!s->def) {
            snprintf(err, errlen, "plugin %s: argument %s is required", h->info->name, s->name);
            goto fail;
        }
        char *t = strdup(s->def);
        if (!t || parse_arg(s, t, &h->args[i], err, errlen, h->info->name)) {
            free(t);
            goto fail;
        }
        h->args[i].text = t;
    }
    free(copy);
    tr->n_hosts++;
    return 0;
fail:
    free(copy);
    for (size_t i = 0; h->args && i < h->n_args; i++) free((char *)h->args[i].text);
    free(h->args);
    free(h->path);
    if (h->dl) dlclose(h->dl);
    memset(h, 0, sizeof *h);
    return -1;
}

/* ---- the bridge from struct vm_instrument ---- */

static void *keep(struct tracer *tr, size_t size)
{
    if (tr->n_allocs == tr->cap_allocs) {
        size_t cap = tr->cap_allocs ? tr->cap_allocs * 2 : 256;
        void **v = realloc(tr->allocs, cap * sizeof *v);
        if (!v) return NULL;
        tr->allocs = v;
        tr->cap_allocs = cap;
    }
    void *p = calloc(1, size);
    if (p) tr->allocs[tr->n_allocs++] = p;
    return p;
}

/* Execution point of an instruction at (ticount, pc) of cpu. */
static bool point_of(struct vm_cpu *cpu, uint64_t ticount, uint64_t pc, struct reprise_point *pt)
{
    struct lx_thread *t = lx_cpu_thread(cpu);
    if (!t) return false;
    struct lx_point lp;
    lx_thread_point_at(t, ticount, pc, &lp);
    pt->icount = lp.icount;
    pt->thread = lp.tid;
    pt->pc = pc;
    pt->cpu = (struct reprise_cpu *)cpu;
    pt->ticount = ticount;
    return true;
}

static inline bool in_window(const struct tracer *tr, uint64_t icount)
{
    return icount >= tr->params.from && icount < tr->params.to;
}

/* The tracer's record of thread tid (created on first sight). NULL only
 * when out of memory. */
static struct thr *thr_of(struct tracer *tr, uint32_t tid)
{
    for (size_t i = tr->n_thr; i-- > 0;)
        if (tr->thr[i].tid == tid) return &tr->thr[i];
    if (tr->n_thr == tr->cap_thr) {
        size_t cap = tr->cap_thr ? tr->cap_thr * 2 : 8;
        struct thr *v = realloc(tr->thr, cap * sizeof *v);
        if (!v) return NULL;
        tr->thr = v;
        tr->cap_thr = cap;
    }
    struct thr *t = &tr->thr[tr->n_thr++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    return t;
}

/* Whether an observation of thread tid spanning [icount, icount + n)
 * overlaps the window and passes the filters that apply to every
 * observation (--thread, --function). */
static bool observed_span(struct tracer *tr, uint32_t tid, uint64_t icount, uint64_t n)
{
    if (icount >= tr->params.to || icount + n <= tr->params.from || tr->limit_hit) return false;
    if (tr->params.thread && tid != tr->params.thread) return false;
    if (tr->function) {
        struct thr *t = thr_of(tr, tid);
        if (!t || !t->in_fn) return false;
    }
    return true;
}

static inline bool observed(struct tracer *tr, uint32_t tid, uint64_t icount)
{
    return observed_span(tr, tid, icount, 1);
}

static inline bool pc_passes(const struct tracer *tr, uint64_t pc)
{
    return !tr->params.has_pc || (pc >= tr->params.pc_lo && pc < tr->params.pc_hi);
}

static void on_insn(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    struct insn_rec *r = udata;
    struct tracer *tr = r->tr;
    struct reprise_point pt;
    if (!tr->sampled || !pc_passes(tr, pc) || !point_of(cpu, icount, pc, &pt) ||
        !observed(tr, pt.thread, pt.icount))
        return;
    tr->cb_pc = pc;
    for (unsigned i = 0; i < r->n_count; i++) ++*r->count[i];
    for (unsigned i = 0; i < r->n_exec; i++) r->exec[i].cb(r->exec[i].udata, &pt);
}

static void on_mem(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount, uint64_t addr,
                   unsigned size, uint64_t value, enum vm_mem_kind kind)
{
    struct insn_rec *r = udata;
    struct tracer *tr = r->tr;
    struct reprise_point pt;
    if (!tr->sampled || !pc_passes(tr, pc)) return;
    if (tr->params.has_mem && (addr + size <= tr->params.mem_lo || addr >= tr->params.mem_hi))
        return;
    if (!point_of(cpu, icount, pc, &pt) || !observed(tr, pt.thread, pt.icount)) return;
    tr->cb_pc = pc;
    struct reprise_mem m = { .addr = addr, .size = size, .value = value,
                             .kind = kind == VM_MEM_READ    ? REPRISE_MEM_READ
                                     : kind == VM_MEM_WRITE ? REPRISE_MEM_WRITE
                                                            : REPRISE_MEM_AMO };
    for (unsigned i = 0; i < r->n_mem; i++) r->mem[i].cb(r->mem[i].udata, &pt, &m);
}

/* Reports instructions [first, first + n) of an execution of block r by
 * thread tid that started at process icount s (thread count ts): the part
 * inside the window and the --pc range. */
static void report_range(struct tracer *tr, struct tb_rec *r, uint32_t tid, uint64_t s, uint64_t ts,
                         uint64_t first, uint64_t n)
{
    if (first >= r->n_insns) return;
    if (n > r->n_insns - first) n = r->n_insns - first;
    uint64_t lo = s + first, hi = lo + n;
    if (lo < tr->params.from) lo = tr->params.from;
    if (hi > tr->params.to) hi = tr->params.to;
    /* A block's instructions are contiguous and increasing: the --pc range
     * keeps a sub-range of them. */
    while (lo < hi && !pc_passes(tr, r->pcs[lo - s])) lo++;
    while (hi > lo && !pc_passes(tr, r->pcs[hi - 1 - s])) hi--;
    if (lo >= hi) return;
    struct reprise_block_exec bx = {
        .point = { .icount = lo, .thread = tid, .pc = r->pcs[lo - s], .cpu = NULL,
                   .ticount = ts + (lo - s) },
        .first = (unsigned)(lo - s),
        .count = (unsigned)(hi - lo),
    };
    for (unsigned i = 0; i < r->n_cb; i++) r->cb[i].cb(r->cb[i].udata, &bx);
}

/* Reports the block execution in flight, which retired `n` instructions. */
static void report_pending(struct tracer *tr, uint64_t n)
{
    if (!tr->pend.on) return;
    tr->pend.on = false;
    report_range(tr, tr->pend.rec, tr->pend.tid, tr->pend.icount, tr->pend.ticount, 0, n);
}

/* --function: a thread enters an activation when a block starts at the
 * function's address, and leaves it when a block starts at the return
 * address with the entry's stack pointer, or once its stack pointer is
 * above the entry's (longjmp, exception unwinding). Recursive entries
 * inside an activation belong to it. */
static void track_function(struct tracer *tr, struct lx_thread *lt, uint32_t tid, uint64_t pc)
{
    struct thr *t = thr_of(tr, tid);
    if (!t) return;
    uint64_t sp = lx_thread_reg(lt, 1), ra = lx_thread_reg(lt, 0);
    if (t->in_fn && (sp > t->fn_sp || (pc == t->fn_ra && sp >= t->fn_sp))) t->in_fn = false;
    if (t->in_fn) return;
    for (size_t i = 0; i < tr->n_fn; i++)
        if (pc == tr->fn[i].lo) {
            t->in_fn = true;
            t->fn_sp = sp;
            t->fn_ra = ra;
            return;
        }
}

static void on_block(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    struct tb_rec *r = udata;
    struct tracer *tr = r->tr;
    struct reprise_point pt;
    if (!point_of(cpu, icount, pc, &pt)) return;
    if (tr->pend.on) report_pending(tr, pt.icount - tr->pend.icount);
    if (tr->function) track_function(tr, lx_cpu_thread(cpu), pt.thread, pc);
    bool obs = observed_span(tr, pt.thread, pt.icount, r->n_insns);
    tr->sampled = true;
    if (tr->params.sample > 1 && obs) tr->sampled = tr->sample_ctr++ % tr->params.sample == 0;
    if (r->n_cb == 0 || !tr->sampled || !obs) return;
    tr->pend.on = true;
    tr->pend.rec = r;
    tr->pend.icount = pt.icount;
    tr->pend.ticount = pt.ticount;
    tr->pend.tid = pt.thread;
}

static unsigned insn_class(const struct rv_decoded *d)
{
    unsigned f = d->id < RV_N_INSNS ? rv_insns[d->id].flags : 0, c = 0;
    if (f & RVF_BRANCH) c |= REPRISE_INSN_BRANCH;
    if (f & (RVF_JUMP | RVF_JALR)) {
        bool link = d->rd == 1 || d->rd == 5;
        c |= link ? REPRISE_INSN_CALL : REPRISE_INSN_JUMP;
        if ((f & RVF_JALR) && !link && (d->rs1 == 1 || d->rs1 == 5)) c |= REPRISE_INSN_RETURN;
    }
    if (f & RVF_LOAD) c |= REPRISE_INSN_LOAD;
    if (f & RVF_STORE) c |= REPRISE_INSN_STORE;
    /* LR/SC are atomics too (the API's class), though the table flags
     * them as a load and a store */
    if ((f & RVF_AMO) || d->id == RV_lr_w || d->id == RV_lr_d || d->id == RV_sc_w ||
        d->id == RV_sc_d)
        c |= REPRISE_INSN_AMO;
    if (f & RVF_CSR) c |= REPRISE_INSN_CSR;
    if (f & RVF_FP) c |= REPRISE_INSN_FP;
    if (d->id == RV_ecall) c |= REPRISE_INSN_SYSCALL;
    return c;
}

/* The register an instruction writes (reprise_reg_read numbering): the
 * ISA table's operand string names rd first when the row writes it ('d'
 * an x register, 'D' an f register). */
static unsigned insn_dest(const struct rv_decoded *d)
{
    if (d->id >= RV_N_INSNS) return 0;
    const char *ops = rv_insns[d->id].operands;
    if (ops[0] == 'd') return d->rd;
    if (ops[0] == 'D') return REPRISE_REG_F0 + d->rd;
    return 0;
}

static void translate(void *ctx, struct vm_tb_desc *desc)
{
    struct tracer *tr = ctx;
    struct reprise_tb tb = { .id = ++tr->next_tb_id, .pc = desc->pc, .n = desc->n_insns };
    tb.insns = calloc(desc->n_insns ? desc->n_insns : 1, sizeof *tb.insns);
    struct tb_rec *rec = keep(tr, sizeof *rec);
    if (!tb.insns || !rec || !(rec->pcs = keep(tr, desc->n_insns * sizeof *rec->pcs + 8))) {
        free(tb.insns);
        snprintf(tr->err, sizeof tr->err, "out of memory");
        return;
    }
    rec->tr = tr;
    rec->n_insns = desc->n_insns;
    rec->next_all = tr->all_tbs;
    tr->all_tbs = rec;
    tb.rec = rec;
    for (unsigned i = 0; i < desc->n_insns; i++) {
        const struct vm_tb_insn *vi = &desc->insns[i];
        struct reprise_insn *pi = &tb.insns[i];
        struct rv_decoded d;
        pi->pc = vi->pc;
        pi->raw = vi->raw;
        pi->size = vi->len;
        rec->pcs[i] = vi->pc;
        if (rv_decode(vi->raw, &d) == 0) {
            rv_disas(&d, vi->pc, pi->disas, sizeof pi->disas);
            pi->cls = insn_class(&d);
            pi->dest = insn_dest(&d);
        } else {
            snprintf(pi->disas, sizeof pi->disas, ".insn 0x%x", vi->raw);
        }
        pi->rec.tr = tr;
    }
    for (size_t k = 0; k < tr->n_hosts; k++) {
        struct reprise_host *h = &tr->hosts[k];
        if (h->translate) h->translate(h->translate_udata, &tb);
    }
    /* Move the requests where the translated code can reach them. */
    for (unsigned i = 0; i < desc->n_insns; i++) {
        struct reprise_insn *pi = &tb.insns[i];
        if (!pi->rec.n_exec && !pi->rec.n_mem && !pi->rec.n_count) continue;
        struct insn_rec *r = keep(tr, sizeof *r);
        if (!r) continue;
        *r = pi->rec;
        if (r->n_exec || r->n_count) {
            desc->insns[i].exec_cb = on_insn;
            desc->insns[i].exec_udata = r;
            if (i + 1 == desc->n_insns) rec->last = r;
        }
        if (r->n_mem) {
            desc->insns[i].mem_cb = on_mem;
            desc->insns[i].mem_udata = r;
        }
    }
    /* Every block reports its start once any block execution is asked for:
     * a block's start is how the previous one's end is known. */
    if (tr->any_block_cb) {
        desc->block_cb = on_block;
        desc->block_udata = rec;
    }
    free(tb.insns);
}

/* ---- runtime events: the personality's observer ---- */

/* Input buffers of the system calls whose rows hostsys.def declares
 * (rK: length in argument K; RN: N bytes). */
static const struct { long nr; const char *spec; } host_specs[] = {
#define HOSTSYS(nr, name, host, spec) { nr, spec },
#include "hostsys.def"
#undef HOSTSYS
};

static size_t input_ranges(const struct lx_syscall *c, struct reprise_range *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof host_specs / sizeof host_specs[0]; i++) {
        if (host_specs[i].nr != c->nr) continue;
        const char *s = host_specs[i].spec;
        struct hostsys_tok tk;
        for (unsigned a = 0; a < 6 && hostsys_next_tok(&s, &tk); a++) {
            uint64_t len = tk.kind == 'r' && tk.num < 6 ? c->a[tk.num]
                           : tk.kind == 'R'             ? tk.num
                                                        : 0;
            if ((tk.kind == 'r' || tk.kind == 'R') && c->a[a] && len && n < max)
                out[n++] = (struct reprise_range){ c->a[a], len };
        }
        break;
    }
    return n;
}

static void event_point(struct lx_thread *t, struct reprise_point *pt, bool with_cpu)
{
    struct lx_point lp;
    lx_thread_point(t, &lp);
    pt->icount = lp.icount;
    pt->thread = lp.tid;
    pt->pc = lp.pc;
    pt->cpu = with_cpu ? (struct reprise_cpu *)lx_thread_cpu(t) : NULL;
    pt->ticount = lp.ticount;
}

static const char *fd_path(struct tracer *tr, int fd)
{
    for (size_t i = 0; i < tr->n_fds; i++)
        if (tr->fds[i].fd == fd) return tr->fds[i].path;
    return NULL;
}

static void fd_set_path(struct tracer *tr, int fd, const char *path)
{
    for (size_t i = 0; i < tr->n_fds; i++)
        if (tr->fds[i].fd == fd) {
            free(tr->fds[i].path);
            tr->fds[i] = tr->fds[--tr->n_fds];
            break;
        }
    if (!path) return;
    if (tr->n_fds == tr->cap_fds) {
        size_t cap = tr->cap_fds ? tr->cap_fds * 2 : 16;
        struct fdpath *v = realloc(tr->fds, cap * sizeof *v);
        if (!v) return;
        tr->fds = v;
        tr->cap_fds = cap;
    }
    char *dup = strdup(path);
    if (dup) tr->fds[tr->n_fds++] = (struct fdpath){ fd, dup };
}

/* Guest descriptor -> path, from openat/dup/close, so a file mapping can be
 * named (the module table). */
static void track_fds(struct tracer *tr, struct thr *th, const struct lx_syscall *c, long ret)
{
    switch (c->nr) {
    case 56: /* openat */
        if (ret >= 0 && th->open_path) fd_set_path(tr, (int)ret, th->open_path);
        break;
    case 57: /* close */
        if (ret == 0) fd_set_path(tr, (int)c->a[0], NULL);
        break;
    case 23: case 24: { /* dup, dup3 */
        const char *p = fd_path(tr, (int)c->a[0]);
        if (ret >= 0) fd_set_path(tr, (int)ret, p);
        break;
    }
    }
    free(th->open_path);
    th->open_path = NULL;
}

static void obs_syscall_enter(void *ctx, struct lx_thread *t, const struct lx_syscall *c)
{
    struct tracer *tr = ctx;
    struct reprise_point pt;
    event_point(t, &pt, true);
    struct thr *th = thr_of(tr, pt.thread);
    if (!th) return;
    th->sys_enter_icount = pt.icount;
    if (c->nr == 56) {
        char path[4096];
        size_t n = reprise_mem_read(pt.cpu, c->a[1], path, sizeof path - 1);
        path[n] = 0;
        free(th->open_path);
        th->open_path = strlen(path) < n || n == sizeof path - 1 ? strdup(path) : NULL;
    }
    if (!observed(tr, pt.thread, pt.icount)) return;
    tr->cb_pc = 0;
    struct reprise_range in[6];
    struct reprise_syscall sc = { .nr = c->nr, .name = lx_syscall_name(c->nr),
                                  .enter_icount = pt.icount, .read = in };
    memcpy(sc.args, c->a, sizeof sc.args);
    sc.n_read = input_ranges(c, in, 6);
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (tr->hosts[i].sys_enter) tr->hosts[i].sys_enter(tr->hosts[i].sys_enter_udata, &pt, &sc);
}

static void obs_syscall_exit(void *ctx, struct lx_thread *t, const struct lx_syscall *c, long ret,
                             const struct lx_range *w, size_t n)
{
    struct tracer *tr = ctx;
    struct reprise_point pt;
    event_point(t, &pt, true);
    struct thr *th = thr_of(tr, pt.thread);
    if (!th) return;
    track_fds(tr, th, c, ret);
    if (!observed(tr, pt.thread, pt.icount)) return;
    tr->cb_pc = 0;
    _Static_assert(sizeof(struct lx_range) == sizeof(struct reprise_range),
                   "guest ranges share a layout");
    struct reprise_range in[6];
    struct reprise_syscall sc = { .nr = c->nr, .name = lx_syscall_name(c->nr), .ret = ret,
                                  .enter_icount = th->sys_enter_icount,
                                  .written = (const struct reprise_range *)w, .n_written = n,
                                  .read = in };
    memcpy(sc.args, c->a, sizeof sc.args);
    sc.n_read = input_ranges(c, in, 6);
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (tr->hosts[i].sys_exit) tr->hosts[i].sys_exit(tr->hosts[i].sys_exit_udata, &pt, &sc);
}

static void obs_signal(void *ctx, struct lx_thread *t, const struct lx_siginfo *si,
                       uint64_t handler, bool terminates)
{
    struct tracer *tr = ctx;
    struct reprise_point pt;
    event_point(t, &pt, true);
    if (!observed(tr, pt.thread, pt.icount)) return;
    tr->cb_pc = 0;
    int s = si->signo;
    struct reprise_signal sig = { .signo = s, .code = si->code, .handler = handler > 1 ? handler : 0 };
    if (s == 4 || s == 5 || s == 7 || s == 8 || s == 11) sig.addr = si->u.fault.addr;
    if (handler > 1) sig.action = REPRISE_SIG_HANDLER;
    else if (handler == 1) sig.action = REPRISE_SIG_IGNORE;
    else if (terminates) sig.action = REPRISE_SIG_TERMINATE;
    else if (s == 17 || s == 19 || s == 18 || s == 20 || s == 21 || s == 22) sig.action = s == 17 ? REPRISE_SIG_IGNORE : REPRISE_SIG_STOP;
    else sig.action = REPRISE_SIG_IGNORE;
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (tr->hosts[i].signal) tr->hosts[i].signal(tr->hosts[i].signal_udata, &pt, &sig);
}

static void obs_thread(void *ctx, struct lx_thread *t, enum lx_obs_thread ev,
                       struct lx_thread *other, int status)
{
    struct tracer *tr = ctx;
    struct reprise_point pt;
    event_point(t, &pt, true);
    tr->proc = lx_thread_proc(t);
    struct thr *th = thr_of(tr, pt.thread);
    uint32_t other_tid = 0;
    if (other) {
        struct lx_point op;
        lx_thread_point(other, &op);
        other_tid = op.tid;
    }
    if (!th) return;
    if (ev == LX_OBS_THREAD_CREATE) {
        th->start = pt.icount;
        th->parent = other_tid;
        th->created = true;
    } else if (ev == LX_OBS_THREAD_EXIT) {
        th->end = pt.icount;
        th->status = status;
        th->ended = true;
    }
    if (!observed(tr, pt.thread, pt.icount)) return;
    tr->cb_pc = 0;
    struct reprise_thread rt = { .event = ev == LX_OBS_THREAD_CREATE ? REPRISE_THREAD_CREATE
                                          : ev == LX_OBS_THREAD_EXIT ? REPRISE_THREAD_EXIT
                                                                     : REPRISE_THREAD_SWITCH,
                                 .parent = other_tid, .status = status };
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (tr->hosts[i].thread) tr->hosts[i].thread(tr->hosts[i].thread_udata, &pt, &rt);
}

/* Reads a whole host file (at most 1 GiB). NULL on failure. */
static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= (1u << 30)) break;
            cap = cap ? cap * 2 : 1 << 16;
            char *b = realloc(buf, cap);
            if (!b) break;
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            fclose(f);
            *len = n;
            return buf;
        }
    }
    fclose(f);
    free(buf);
    return NULL;
}

/* The file image of a module: the loader's (from the recording), else the
 * host file the guest opened, looked for in the sysroot first as the
 * guest's own lookups are, and used only if its first page is what the
 * guest mapped. Caller frees *owned. */
static const void *module_image(struct tracer *tr, struct reprise_cpu *cpu, const char *path,
                                const struct lx_map_event *m, size_t *len, void **owned)
{
    *owned = NULL;
    if (m->image) {
        *len = m->image_len;
        return m->image;
    }
    char host[8192];
    void *data = NULL;
    if (path[0] == '/' && tr->sysroot) {
        snprintf(host, sizeof host, "%s%s", tr->sysroot, path);
        data = read_file(host, len);
    }
    if (!data) data = read_file(path, len);
    if (!data) return NULL;
    size_t cmp = *len < 4096 ? *len : 4096;
    if (cmp > m->len) cmp = (size_t)m->len;
    unsigned char page[4096];
    if (reprise_mem_read(cpu, m->addr, page, cmp) != cmp || memcmp(page, data, cmp)) {
        free(data);
        return NULL;
    }
    *owned = data;
    return data;
}

/* --function: the address ranges of the function in module id, once its
 * symbols are in. */
static void resolve_function(struct tracer *tr, int64_t id)
{
    sqlite3 *h = tdb_sqlite(tr->db);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h,
                           "SELECT addr, size FROM symbol WHERE module_id = ?1 AND name = ?2 "
                           "AND kind = 'func'",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, tr->function, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        void *v = realloc(tr->fn, (tr->n_fn + 1) * sizeof *tr->fn);
        if (!v) break;
        tr->fn = v;
        tr->fn[tr->n_fn].lo = (uint64_t)sqlite3_column_int64(st, 0);
        tr->fn[tr->n_fn].hi = tr->fn[tr->n_fn].lo + (uint64_t)sqlite3_column_int64(st, 1);
        tr->n_fn++;
    }
    sqlite3_finalize(st);
}

/* Loads the module's symbols and line table (tracer/symtab.c). A module
 * whose file cannot be found or read keeps its row, without symbols: a
 * trace is still worth having. */
static void add_module_symbols(struct tracer *tr, struct reprise_cpu *cpu, int64_t id,
                               const char *path, const struct lx_map_event *m, uint64_t *bias)
{
    size_t len;
    void *owned;
    const void *image = module_image(tr, cpu, path, m, &len, &owned);
    if (!image) return;
    char err[256];
    if (tsym_add_module(tdb_sqlite(tr->db), id, path, m->addr, image, len, bias, err,
                        sizeof err) == 0 &&
        tr->function)
        resolve_function(tr, id);
    free(owned);
}

static void obs_map(void *ctx, struct lx_thread *t, const struct lx_map_event *m)
{
    struct tracer *tr = ctx;
    struct reprise_point pt;
    event_point(t, &pt, true);
    tr->proc = lx_thread_proc(t);
    /* A module is an ELF image mapped from its start: the loader's images,
     * and file mappings at offset 0 that begin with the ELF magic (how the
     * dynamic linker maps a library: the whole span first, then its
     * segments over it). */
    unsigned char magic[4];
    if (m->offset != 0 || reprise_mem_read(pt.cpu, m->addr, magic, 4) != 4 ||
        memcmp(magic, "\x7f" "ELF", 4))
        return;
    const char *path = m->path ? m->path : fd_path(tr, m->fd);
    char unknown[32];
    if (!path) {
        snprintf(unknown, sizeof unknown, "(fd %d)", m->fd);
        path = unknown;
    }
    int64_t id = ++tr->n_modules;
    uint64_t bias = 0;
    add_module_symbols(tr, pt.cpu, id, path, m, &bias);
    tdb_set_int(tr->t_module, 0, id);
    tdb_set_bytes(tr->t_module, 1, path, strlen(path), 0);
    tdb_set_int(tr->t_module, 2, (int64_t)m->addr);
    tdb_set_int(tr->t_module, 3, (int64_t)(m->addr + m->len));
    tdb_set_int(tr->t_module, 4, (int64_t)bias);
    tdb_set_int(tr->t_module, 5, (int64_t)pt.icount);
    tdb_row_end(tr->t_module);
}

static void obs_exit(void *ctx, struct lx_thread *t, const struct lx_exit *ex)
{
    struct tracer *tr = ctx;
    struct reprise_point pt;
    event_point(t, &pt, false);
    /* Threads still running end with the process. */
    for (size_t i = 0; i < tr->n_thr; i++)
        if (!tr->thr[i].ended) {
            tr->thr[i].ended = true;
            tr->thr[i].end = pt.icount;
            tr->thr[i].status = ex->signaled ? 128 + ex->signal : ex->status;
        }
    if (pt.icount < tr->params.from || pt.icount > tr->params.to || tr->limit_hit) return;
    tr->cb_pc = 0;
    struct reprise_exit re = { .signaled = ex->signaled, .status = ex->status,
                               .signo = ex->signal };
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (tr->hosts[i].exit) tr->hosts[i].exit(tr->hosts[i].exit_udata, &pt, &re);
}

/* A blocked ecall retires outside the vm (lx_observer.retire), while
 * another thread's block may be in flight: that block ends here, and the
 * ecall is a one-instruction execution of the block it ends, and the
 * retiring attempt of the instruction (its callbacks fire again, as when
 * a blocked ecall is re-executed). */
static void obs_retire(void *ctx, struct lx_thread *lt)
{
    struct tracer *tr = ctx;
    struct reprise_point pt;
    event_point(lt, &pt, true);
    if (tr->pend.on) report_pending(tr, pt.icount - tr->pend.icount);
    struct tb_rec *r = tr->all_tbs;
    while (r && !(r->n_insns && r->pcs[r->n_insns - 1] == pt.pc)) r = r->next_all;
    if (!r) return;
    if (r->n_cb && observed(tr, pt.thread, pt.icount)) {
        uint64_t back = r->n_insns - 1;
        report_range(tr, r, pt.thread, pt.icount - back, pt.ticount - back, back, 1);
    }
    if (r->last) on_insn(r->last, lx_thread_cpu(lt), pt.pc, pt.ticount);
}

static void obs_tick(void *ctx, struct lx_thread *t)
{
    struct tracer *tr = ctx;
    if (!tr->progress) return;
    struct lx_point lp;
    lx_thread_point(t, &lp);
    tr->progress(tr->progress_ctx, lp.icount, tdb_rows(tr->db));
}

/* ---- the plugin API (declared in include/reprise/plugin.h) ---- */

static struct arg_val *find_arg(struct reprise_host *h, const char *name, int type)
{
    for (size_t i = 0; i < h->n_args; i++)
        if (!strcmp(h->args[i].spec->name, name))
            return (int)h->args[i].spec->type == type ? &h->args[i] : NULL;
    return NULL;
}

int64_t reprise_arg_int(struct reprise_host *host, const char *name)
{
    struct arg_val *a = find_arg(host, name, REPRISE_ARG_INT);
    return a ? a->i : 0;
}

bool reprise_arg_bool(struct reprise_host *host, const char *name)
{
    struct arg_val *a = find_arg(host, name, REPRISE_ARG_BOOL);
    return a ? a->b : false;
}

const char *reprise_arg_string(struct reprise_host *host, const char *name)
{
    struct arg_val *a = find_arg(host, name, REPRISE_ARG_STRING);
    return a ? a->text : NULL;
}

int reprise_error(struct reprise_host *host, const char *fmt, ...)
{
    struct tracer *tr = host->tr;
    if (tr->err[0]) return -1;
    int n = snprintf(tr->err, sizeof tr->err, "%s: ", host->info->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tr->err + n, sizeof tr->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

struct reprise_table *reprise_table_declare(struct reprise_host *host, const char *name,
                                            const struct reprise_column *cols, size_t n)
{
    if (!name || !valid_name(name) || !cols || n == 0 || n > 64) {
        reprise_error(host, "bad declaration of table '%s'", name ? name : "(null)");
        return NULL;
    }
    const char *names[64];
    int types[64];
    for (size_t i = 0; i < n; i++) {
        names[i] = cols[i].name;
        types[i] = cols[i].type;
    }
    struct reprise_table *t = keep(host->tr, sizeof *t);
    if (!t) return NULL;
    t->host = host;
    t->t = tdb_table_create(host->tr->db, name, names, types, n);
    if (!t->t) {
        reprise_error(host, "table %s: %s", name, tdb_error(host->tr->db));
        return NULL;
    }
    return t;
}

int reprise_table_index(struct reprise_table *t, const char *columns)
{
    return t && columns ? tdb_table_index(t->t, columns) : -1;
}

int reprise_sql_at_end(struct reprise_host *host, const char *sql)
{
    return sql ? tdb_exec_at_end(host->tr->db, sql) : -1;
}

/* Rows past --limit, or after a write error, are dropped (and the replay
 * asked to stop). */
void reprise_row_int(struct reprise_table *t, unsigned col, int64_t v)
{
    if (!t->host->tr->limit_hit) tdb_set_int(t->t, col, v);
}

void reprise_row_real(struct reprise_table *t, unsigned col, double v)
{
    if (!t->host->tr->limit_hit) tdb_set_real(t->t, col, v);
}

void reprise_row_text(struct reprise_table *t, unsigned col, const char *s)
{
    if (s && !t->host->tr->limit_hit) tdb_set_bytes(t->t, col, s, strlen(s), 0);
}

void reprise_row_blob(struct reprise_table *t, unsigned col, const void *p, size_t n)
{
    if (!t->host->tr->limit_hit) tdb_set_bytes(t->t, col, p, n, 1);
}

void reprise_row_end(struct reprise_table *t)
{
    struct tracer *tr = t->host->tr;
    if (tr->limit_hit) return;
    if (tdb_row_end(t->t)) {
        /* The database cannot be written: tracer_finish reports why. */
        tr->limit_hit = true;
        if (tr->stop) tr->stop(tr->stop_ctx, "the trace database cannot be written");
        return;
    }
    if (tr->params.limit && ++tr->plugin_rows >= tr->params.limit) {
        tr->limit_hit = true;
        if (tr->stop) tr->stop(tr->stop_ctx, "row limit reached (--limit)");
    }
}

void reprise_on_translate(struct reprise_host *host, reprise_translate_cb cb, void *udata)
{
    host->translate = cb;
    host->translate_udata = udata;
}

void reprise_on_finish(struct reprise_host *host, reprise_finish_cb cb, void *udata)
{
    host->finish = cb;
    host->finish_udata = udata;
}

uint64_t reprise_tb_id(const struct reprise_tb *tb) { return tb->id; }
uint64_t reprise_tb_pc(const struct reprise_tb *tb) { return tb->pc; }
unsigned reprise_tb_n_insns(const struct reprise_tb *tb) { return tb->n; }

struct reprise_insn *reprise_tb_insn(struct reprise_tb *tb, unsigned i)
{
    return i < tb->n ? &tb->insns[i] : NULL;
}

uint64_t reprise_insn_pc(const struct reprise_insn *insn) { return insn->pc; }
unsigned reprise_insn_size(const struct reprise_insn *insn) { return insn->size; }
uint32_t reprise_insn_raw(const struct reprise_insn *insn) { return insn->raw; }
unsigned reprise_insn_class(const struct reprise_insn *insn) { return insn->cls; }
const char *reprise_insn_disas(const struct reprise_insn *insn) { return insn->disas; }

void reprise_tb_on_exec(struct reprise_tb *tb, reprise_block_cb cb, void *udata)
{
    struct tb_rec *r = tb->rec;
    struct req_block *v = keep(r->tr, (r->n_cb + 1) * sizeof *v);
    if (!v) return;
    if (r->n_cb) memcpy(v, r->cb, r->n_cb * sizeof *v);
    v[r->n_cb++] = (struct req_block){ cb, udata };
    r->cb = v;
}

void reprise_insn_on_exec(struct reprise_insn *insn, reprise_insn_cb cb, void *udata)
{
    struct insn_rec *r = &insn->rec;
    struct req_exec *v = keep(r->tr, (r->n_exec + 1) * sizeof *v);
    if (!v) return;
    if (r->n_exec) memcpy(v, r->exec, r->n_exec * sizeof *v);
    v[r->n_exec++] = (struct req_exec){ cb, udata };
    r->exec = v;
}

void reprise_insn_on_mem(struct reprise_insn *insn, reprise_mem_cb cb, void *udata)
{
    struct insn_rec *r = &insn->rec;
    struct req_mem *v = keep(r->tr, (r->n_mem + 1) * sizeof *v);
    if (!v) return;
    if (r->n_mem) memcpy(v, r->mem, r->n_mem * sizeof *v);
    v[r->n_mem++] = (struct req_mem){ cb, udata };
    r->mem = v;
}

void reprise_insn_count(struct reprise_insn *insn, uint64_t *counter)
{
    struct insn_rec *r = &insn->rec;
    uint64_t **v = keep(r->tr, (r->n_count + 1) * sizeof *v);
    if (!v) return;
    if (r->n_count) memcpy(v, r->count, r->n_count * sizeof *v);
    v[r->n_count++] = counter;
    r->count = v;
}

unsigned reprise_insn_dest(const struct reprise_insn *insn) { return insn->dest; }

static struct tracer *cpu_tracer;  /* the expansion running (one per process) */

uint64_t reprise_reg_read(struct reprise_cpu *cpu, unsigned reg)
{
    struct lx_thread *t = lx_cpu_thread((struct vm_cpu *)cpu);
    if (!t || reg == 0 || reg > REPRISE_REG_FCSR) return 0;
    /* lx_thread_reg order: x1-x31, f0-f31, pc, fcsr. Inside a block the
     * cpu's pc is the block's; the callback's instruction is cb_pc. */
    if (reg == REPRISE_REG_PC) return cpu_tracer && cpu_tracer->cb_pc ? cpu_tracer->cb_pc
                                                                      : lx_thread_reg(t, 63);
    if (reg < 32) return lx_thread_reg(t, reg - 1);
    if (reg == REPRISE_REG_FCSR) return lx_thread_reg(t, 64);
    return lx_thread_reg(t, 31 + (reg - REPRISE_REG_F0));
}

size_t reprise_mem_read(struct reprise_cpu *cpu, uint64_t addr, void *buf, size_t len)
{
    struct lx_thread *t = lx_cpu_thread((struct vm_cpu *)cpu);
    if (!t || !buf) return 0;
    struct lx_proc *p = lx_thread_proc(t);
    size_t done = 0;
    while (done < len) {
        /* Page by page, so a range running into unmapped memory gives the
         * part before it. */
        uint64_t a = addr + done;
        size_t chunk = 4096 - (size_t)(a & 4095);
        if (chunk > len - done) chunk = len - done;
        if (a < addr || lx_guest_peek(p, a, (char *)buf + done, chunk)) break;
        done += chunk;
    }
    return done;
}

const char *reprise_syscall_name(long nr) { return lx_syscall_name(nr); }

void reprise_on_syscall_enter(struct reprise_host *host, reprise_syscall_cb cb, void *udata)
{
    host->sys_enter = cb;
    host->sys_enter_udata = udata;
}

void reprise_on_syscall_exit(struct reprise_host *host, reprise_syscall_cb cb, void *udata)
{
    host->sys_exit = cb;
    host->sys_exit_udata = udata;
}

void reprise_on_signal(struct reprise_host *host, reprise_signal_cb cb, void *udata)
{
    host->signal = cb;
    host->signal_udata = udata;
}

void reprise_on_thread(struct reprise_host *host, reprise_thread_cb cb, void *udata)
{
    host->thread = cb;
    host->thread_udata = udata;
}

void reprise_on_exit(struct reprise_host *host, reprise_exit_cb cb, void *udata)
{
    host->exit = cb;
    host->exit_udata = udata;
}

/* ---- the expansion ---- */

int tracer_create(const char *db_path, const struct tracer_params *params, struct tracer **out,
                  char *err, size_t errlen)
{
    struct tracer *tr = calloc(1, sizeof *tr);
    if (!tr) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    tr->params = *params;
    if (!tr->params.to) tr->params.to = UINT64_MAX;
    tr->sampled = true;
    if ((params->function && !(tr->function = strdup(params->function))) ||
        (params->sysroot && !(tr->sysroot = strdup(params->sysroot)))) {
        free(tr->function);
        free(tr);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    tr->params.function = tr->function;
    tr->params.sysroot = tr->sysroot;
    if (tdb_open(db_path, &tr->db, err, errlen)) {
        free(tr->function);
        free(tr->sysroot);
        free(tr);
        return -EIO;
    }
    if (tdb_exec(tr->db,
                 "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                 "CREATE TABLE plugin (id INTEGER PRIMARY KEY, name TEXT, path TEXT, "
                 "api_version INTEGER);"
                 "CREATE TABLE plugin_arg (plugin_id INTEGER, name TEXT, value TEXT, "
                 "is_default INTEGER)")) {
        snprintf(err, errlen, "%s: %s", db_path, tdb_error(tr->db));
        tdb_close(tr->db);
        free(tr->function);
        free(tr->sysroot);
        free(tr);
        return -EIO;
    }
    static const char *const thread_cols[] = { "id", "parent_id", "start_icount", "end_icount",
                                               "exit_status" };
    static const char *const module_cols[] = { "id", "path", "base", "end", "bias", "icount" };
    static const int ints5[] = { REPRISE_COL_INT, REPRISE_COL_INT, REPRISE_COL_INT,
                                 REPRISE_COL_INT, REPRISE_COL_INT };
    static const int module_types[] = { REPRISE_COL_INT, REPRISE_COL_TEXT, REPRISE_COL_INT,
                                        REPRISE_COL_INT, REPRISE_COL_INT, REPRISE_COL_INT };
    tr->t_thread = tdb_table_create(tr->db, "thread", thread_cols, ints5, 5);
    tr->t_module = tdb_table_create(tr->db, "module", module_cols, module_types, 6);
    if (!tr->t_thread || !tr->t_module) {
        snprintf(err, errlen, "%s: %s", db_path, tdb_error(tr->db));
        tracer_destroy(tr);
        return -EIO;
    }
    tr->instr.ctx = tr;
    tr->instr.translate = translate;
    tr->obs = (struct lx_observer){ .ctx = tr, .syscall_enter = obs_syscall_enter,
                                    .syscall_exit = obs_syscall_exit, .signal = obs_signal,
                                    .thread = obs_thread, .map = obs_map, .exit = obs_exit,
                                    .tick = obs_tick, .retire = obs_retire };
    cpu_tracer = tr;
    *out = tr;
    char buf[64];
    tracer_meta(tr, "reprise_version", REPRISE_VERSION);
    tracer_meta(tr, "schema_version", "4");
    snprintf(buf, sizeof buf, "%" PRIu64, tr->params.from);
    tracer_meta(tr, "from", buf);
    if (tr->params.to != UINT64_MAX) {
        snprintf(buf, sizeof buf, "%" PRIu64, tr->params.to);
        tracer_meta(tr, "to", buf);
    }
    return 0;
}

static char *sql_quote(const char *s)
{
    size_t n = 3;
    for (const char *p = s; *p; p++) n += *p == '\'' ? 2 : 1;
    char *q = malloc(n), *o = q;
    if (!q) return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') *o++ = '\'';
        *o++ = *p;
    }
    *o++ = '\'';
    *o = 0;
    return q;
}

int tracer_meta(struct tracer *tr, const char *key, const char *value)
{
    char *k = sql_quote(key), *v = sql_quote(value ? value : "");
    int rc = -1;
    if (k && v) {
        size_t n = strlen(k) + strlen(v) + 64;
        char *sql = malloc(n);
        if (sql) {
            snprintf(sql, n, "INSERT OR REPLACE INTO meta VALUES (%s, %s)", k, v);
            rc = tdb_exec(tr->db, sql);
            free(sql);
        }
    }
    free(k);
    free(v);
    return rc;
}

int tracer_start(struct tracer *tr, char *err, size_t errlen)
{
    for (size_t i = 0; i < tr->n_hosts; i++) {
        struct reprise_host *h = &tr->hosts[i];
        char *name = sql_quote(h->info->name), *path = sql_quote(h->path);
        char sql[8192];
        if (!name || !path) {
            free(name);
            free(path);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        snprintf(sql, sizeof sql, "INSERT INTO plugin VALUES (%zu, %s, %s, %u)", i + 1, name,
                 path, h->info->api_version);
        free(name);
        free(path);
        tdb_exec(tr->db, sql);
        for (size_t a = 0; a < h->n_args; a++) {
            char *an = sql_quote(h->args[a].spec->name), *av = sql_quote(h->args[a].text);
            if (an && av) {
                snprintf(sql, sizeof sql, "INSERT INTO plugin_arg VALUES (%zu, %s, %s, %d)",
                         i + 1, an, av,
                         h->args[a].spec->def && h->args[a].text &&
                             !strcmp(h->args[a].text, h->args[a].spec->def));
                tdb_exec(tr->db, sql);
            }
            free(an);
            free(av);
        }
        if (h->info->install(h) || tr->err[0]) {
            snprintf(err, errlen, "%s", tr->err[0] ? tr->err : "a plugin failed to install");
            return -1;
        }
    }
    if (tdb_error(tr->db)) {
        snprintf(err, errlen, "%s", tdb_error(tr->db));
        return -1;
    }
    /* Whether any plugin may ask for block executions is not known before
     * translation; assume so when any plugin translates (the block
     * callback costs one call per executed block). */
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (tr->hosts[i].translate) tr->any_block_cb = true;
    /* --function and --sample decide at block starts. */
    if (tr->function || tr->params.sample > 1) tr->any_block_cb = true;
    return 0;
}

const struct vm_instrument *tracer_instrument(struct tracer *tr) { return &tr->instr; }

const struct lx_observer *tracer_observer(struct tracer *tr) { return &tr->obs; }

void tracer_on_stop(struct tracer *tr, void (*stop)(void *ctx, const char *why), void *ctx)
{
    tr->stop = stop;
    tr->stop_ctx = ctx;
}

void tracer_on_progress(struct tracer *tr, void (*progress)(void *ctx, uint64_t icount,
                                                            uint64_t rows),
                        void *ctx)
{
    tr->progress = progress;
    tr->progress_ctx = ctx;
}

uint64_t tracer_rows(const struct tracer *tr) { return tdb_rows(tr->db); }

double tracer_index_seconds(const struct tracer *tr) { return tdb_index_seconds(tr->db); }

int tracer_finish(struct tracer *tr, struct lx_proc *p, char *err, size_t errlen)
{
    if (tr->pend.on) {
        uint64_t end = p ? lx_icount(p) : tr->pend.icount;
        report_pending(tr, end - tr->pend.icount);
    }
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (tr->hosts[i].finish) tr->hosts[i].finish(tr->hosts[i].finish_udata);
    for (size_t i = 0; i < tr->n_thr; i++) {
        const struct thr *t = &tr->thr[i];
        if (!t->created) continue;
        tdb_set_int(tr->t_thread, 0, t->tid);
        if (t->parent) tdb_set_int(tr->t_thread, 1, t->parent);
        tdb_set_int(tr->t_thread, 2, (int64_t)t->start);
        if (t->ended) {
            tdb_set_int(tr->t_thread, 3, (int64_t)t->end);
            tdb_set_int(tr->t_thread, 4, t->status);
        }
        tdb_row_end(tr->t_thread);
    }
    if (tr->function && tr->n_fn == 0 && !tr->err[0])
        snprintf(tr->err, sizeof tr->err,
                 "--function %s: no function of that name in the program's symbols",
                 tr->function);
    if (tr->err[0]) {
        snprintf(err, errlen, "%s", tr->err);
        return -1;
    }
    /* What icount_id() accepts: tables whose rowid order is time order. */
    char *ordered = tdb_icount_ordered(tr->db);
    int rc = ordered ? tracer_meta(tr, "icount_ordered", ordered) : -1;
    free(ordered);
    if (rc || tdb_finish(tr->db)) {
        const char *msg = tdb_error(tr->db);
        snprintf(err, errlen, "%s", msg ? msg : "out of memory");
        return -1;
    }
    return 0;
}

void tracer_destroy(struct tracer *tr)
{
    if (!tr) return;
    tdb_close(tr->db);
    for (size_t i = 0; i < tr->n_hosts; i++) {
        struct reprise_host *h = &tr->hosts[i];
        for (size_t a = 0; a < h->n_args; a++) free((char *)h->args[a].text);
        free(h->args);
        free(h->path);
        if (h->dl) dlclose(h->dl);
    }
    for (size_t i = 0; i < tr->n_allocs; i++) free(tr->allocs[i]);
    free(tr->allocs);
    for (size_t i = 0; i < tr->n_thr; i++) free(tr->thr[i].open_path);
    free(tr->thr);
    for (size_t i = 0; i < tr->n_fds; i++) free(tr->fds[i].path);
    free(tr->fds);
    free(tr->fn);
    free(tr->function);
    free(tr->sysroot);
    if (cpu_tracer == tr) cpu_tracer = NULL;
    free(tr);
}

static const char *type_word(enum reprise_arg_type t)
{
    return t == REPRISE_ARG_INT ? "int" : t == REPRISE_ARG_BOOL ? "bool" : "string";
}

static void describe(const struct reprise_plugin_info *info, bool args, FILE *out)
{
    fprintf(out, "%-10s %s\n", info->name, info->summary ? info->summary : "");
    if (!args) return;
    for (const struct reprise_arg_spec *a = info->args; a && a->name; a++)
        fprintf(out, "  %s=%s (default %s)\n      %s\n", a->name, type_word(a->type),
                a->def ? a->def : "none: required", a->help ? a->help : "");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int tracer_list_plugins(const char *plugin_dir, const char *name, FILE *out, char *err,
                        size_t errlen)
{
    struct reprise_host h = { 0 };
    char path[4096];
    if (name) {
        plugin_path(name, plugin_dir, path, sizeof path);
        if (open_plugin(path, &h, err, errlen)) return -1;
        describe(h.info, true, out);
        dlclose(h.dl);
        return 0;
    }
    DIR *d = opendir(plugin_dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", plugin_dir, strerror(errno));
        return -1;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 3 && !strcmp(e->d_name + l - 3, ".so")) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) continue;
        snprintf(path, sizeof path, "%s/%s", plugin_dir, names[i]);
        char e2[512];
        if (open_plugin(path, &h, e2, sizeof e2) == 0) {
            describe(h.info, false, out);
            dlclose(h.dl);
        } else {
            fprintf(out, "(%s)\n", e2);
        }
        free(names[i]);
    }
    return 0;
}
