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
#include "isa.h"
#include "linux.h"
#include "reprise/plugin.h"
#include "reprise_version.h"
#include "vm.h"

#include <dirent.h>
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
    struct tb_rec *next_all;
};

/* The translation-time views handed to plugins. */
struct reprise_insn {
    uint64_t pc;
    uint32_t raw;
    unsigned size, cls;
    char disas[80];
    struct insn_rec rec;
};
struct reprise_tb {
    uint64_t id, pc;
    unsigned n;
    struct reprise_insn *insns;
    struct tb_rec *rec;
};

struct tracer {
    struct tdb *db;
    struct tracer_params params;
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
        uint64_t icount;
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
    return true;
}

static inline bool in_window(const struct tracer *tr, uint64_t icount)
{
    return icount >= tr->params.from && icount < tr->params.to;
}

static void on_insn(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    struct insn_rec *r = udata;
    struct reprise_point pt;
    if (!point_of(cpu, icount, pc, &pt) || !in_window(r->tr, pt.icount)) return;
    for (unsigned i = 0; i < r->n_count; i++) ++*r->count[i];
    for (unsigned i = 0; i < r->n_exec; i++) r->exec[i].cb(r->exec[i].udata, &pt);
}

static void on_mem(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount, uint64_t addr,
                   unsigned size, uint64_t value, enum vm_mem_kind kind)
{
    struct insn_rec *r = udata;
    struct reprise_point pt;
    if (!point_of(cpu, icount, pc, &pt) || !in_window(r->tr, pt.icount)) return;
    struct reprise_mem m = { .addr = addr, .size = size, .value = value,
                             .kind = kind == VM_MEM_READ    ? REPRISE_MEM_READ
                                     : kind == VM_MEM_WRITE ? REPRISE_MEM_WRITE
                                                            : REPRISE_MEM_AMO };
    for (unsigned i = 0; i < r->n_mem; i++) r->mem[i].cb(r->mem[i].udata, &pt, &m);
}

/* Reports the block execution in flight, which retired `n` instructions. */
static void report_pending(struct tracer *tr, uint64_t n)
{
    if (!tr->pend.on) return;
    tr->pend.on = false;
    struct tb_rec *r = tr->pend.rec;
    if (n > r->n_insns) n = r->n_insns;
    uint64_t s = tr->pend.icount, lo = s, hi = s + n;
    if (lo < tr->params.from) lo = tr->params.from;
    if (hi > tr->params.to) hi = tr->params.to;
    if (lo >= hi) return;
    struct reprise_block_exec bx = {
        .point = { .icount = lo, .thread = tr->pend.tid, .pc = r->pcs[lo - s], .cpu = NULL },
        .first = (unsigned)(lo - s),
        .count = (unsigned)(hi - lo),
    };
    for (unsigned i = 0; i < r->n_cb; i++) r->cb[i].cb(r->cb[i].udata, &bx);
}

static void on_block(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    struct tb_rec *r = udata;
    struct tracer *tr = r->tr;
    struct reprise_point pt;
    if (!point_of(cpu, icount, pc, &pt)) return;
    if (tr->pend.on) report_pending(tr, pt.icount - tr->pend.icount);
    if (r->n_cb == 0 || pt.icount >= tr->params.to) return;
    tr->pend.on = true;
    tr->pend.rec = r;
    tr->pend.icount = pt.icount;
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
    if (f & RVF_AMO) c |= REPRISE_INSN_AMO;
    if (f & RVF_CSR) c |= REPRISE_INSN_CSR;
    if (f & RVF_FP) c |= REPRISE_INSN_FP;
    if (d->id == RV_ecall) c |= REPRISE_INSN_SYSCALL;
    return c;
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

void reprise_row_int(struct reprise_table *t, unsigned col, int64_t v) { tdb_set_int(t->t, col, v); }
void reprise_row_real(struct reprise_table *t, unsigned col, double v) { tdb_set_real(t->t, col, v); }

void reprise_row_text(struct reprise_table *t, unsigned col, const char *s)
{
    if (s) tdb_set_bytes(t->t, col, s, strlen(s), 0);
}

void reprise_row_blob(struct reprise_table *t, unsigned col, const void *p, size_t n)
{
    tdb_set_bytes(t->t, col, p, n, 1);
}

void reprise_row_end(struct reprise_table *t) { tdb_row_end(t->t); }

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

uint64_t reprise_reg_read(struct reprise_cpu *cpu, unsigned reg)
{
    if (!cpu || reg == 0 || reg > 32) return 0;
    struct lx_thread *t = lx_cpu_thread((struct vm_cpu *)cpu);
    if (!t) return 0;
    struct lx_point lp;
    lx_thread_point(t, &lp);
    uint64_t regs[LX_MAX_REGS];
    size_t n = lx_thread_regs(lx_thread_proc(t), lp.tid, regs, LX_MAX_REGS);
    if (reg == 32) return n > 63 ? regs[63] : 0;   /* x1-x31, f0-f31, pc */
    return reg - 1 < n ? regs[reg - 1] : 0;
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
    if (tdb_open(db_path, &tr->db, err, errlen)) {
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
        free(tr);
        return -EIO;
    }
    tr->instr.ctx = tr;
    tr->instr.translate = translate;
    *out = tr;
    char buf[64];
    tracer_meta(tr, "reprise_version", REPRISE_VERSION);
    tracer_meta(tr, "schema_version", "1");
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
    return 0;
}

const struct vm_instrument *tracer_instrument(struct tracer *tr) { return &tr->instr; }

uint64_t tracer_rows(const struct tracer *tr) { return tdb_rows(tr->db); }

int tracer_finish(struct tracer *tr, struct lx_proc *p, char *err, size_t errlen)
{
    if (tr->pend.on) {
        uint64_t end = p ? lx_icount(p) : tr->pend.icount;
        report_pending(tr, end - tr->pend.icount);
    }
    for (size_t i = 0; i < tr->n_hosts; i++)
        if (tr->hosts[i].finish) tr->hosts[i].finish(tr->hosts[i].finish_udata);
    if (tr->err[0]) {
        snprintf(err, errlen, "%s", tr->err);
        return -1;
    }
    if (tdb_finish(tr->db)) {
        snprintf(err, errlen, "%s", tdb_error(tr->db));
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
