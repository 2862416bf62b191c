/*
 * test_store_gen.h - deterministic random events for the recording-file tests,
 * the fuzz target's seed corpus and the benchmark: every kind of the kind
 * table, filled field by field, and a fingerprint of what a reader returns.
 * Header-only (static functions), included by one file per program.
 */
#ifndef REPRISE_TESTS_STORE_GEN_H
#define REPRISE_TESTS_STORE_GEN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "log.h"

/* Memory that lives as long as the generated events. */
struct gen_pool {
    void **p;
    size_t n, cap;
};

static inline void *gen_alloc(struct gen_pool *pool, size_t n)
{
    if (pool->n == pool->cap) {
        pool->cap = pool->cap ? 2 * pool->cap : 64;
        pool->p = realloc(pool->p, pool->cap * sizeof *pool->p);
        if (!pool->p) abort();
    }
    void *m = calloc(1, n ? n : 1);
    if (!m) abort();
    return pool->p[pool->n++] = m;
}

static inline void gen_pool_free(struct gen_pool *pool)
{
    for (size_t i = 0; i < pool->n; i++) free(pool->p[i]);
    free(pool->p);
    memset(pool, 0, sizeof *pool);
}

struct gen {
    uint64_t s;
    struct gen_pool *pool;
    size_t big;          /* 0: no arrays above 64 KiB; else their size */
};

static inline uint64_t gen_u64(struct gen *g)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return g->s * 0x2545f4914f6cdd1dull;
}

/* Values of every magnitude, and the edges. */
static inline uint64_t gen_num(struct gen *g)
{
    switch (gen_u64(g) % 8) {
    case 0: return 0;
    case 1: return UINT64_MAX;
    case 2: return 1ull << 63;
    case 3: return gen_u64(g);
    case 4: return gen_u64(g) & 0xffffffffull;
    default: return gen_u64(g) % 300;
    }
}

static inline void gen_bytes(struct gen *g, uint8_t *p, size_t n)
{
    /* Compressible, like real data: runs of a few values. */
    uint8_t v = (uint8_t)gen_u64(g);
    for (size_t i = 0; i < n; i++) {
        if (gen_u64(g) % 8 == 0) v = (uint8_t)gen_u64(g);
        p[i] = v;
    }
}

static inline void gen_data(struct gen *g, struct rpr_data *d, bool blob)
{
    size_t n;
    uint64_t r = gen_u64(g) % 16;
    if (r == 0) n = 0;
    else if (r == 1 && g->big) n = g->big;
    else if (blob) n = 1 + gen_u64(g) % 3000;
    else n = 1 + gen_u64(g) % 200;
    uint8_t *p = gen_alloc(g->pool, n);
    gen_bytes(g, p, n);
    memset(d, 0, sizeof *d);
    d->data = p;
    d->len = n;
}

/* A random event of kind at point at. */
static inline void gen_event(struct gen *g, unsigned kind, const struct rpr_point *at,
                             struct rpr_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->at = *at;
    const struct rpr_kind_info *k = rpr_kind_info(kind);
    for (size_t i = 0; k && i < k->n_fields; i++) {
        const struct rpr_field_info *f = &k->fields[i];
        void *dst = (char *)ev + f->offset;
        switch (f->type) {
        case RPR_T_U: *(uint64_t *)dst = gen_num(g); break;
        case RPR_T_I: *(int64_t *)dst = (int64_t)gen_num(g); break;
        case RPR_T_STR: {
            size_t n = gen_u64(g) % 40;
            char *s = gen_alloc(g->pool, n + 1);
            for (size_t j = 0; j < n; j++) s[j] = (char)(' ' + gen_u64(g) % 95);
            *(const char **)dst = s;
            break;
        }
        case RPR_T_DATA: gen_data(g, dst, false); break;
        case RPR_T_BLOB: gen_data(g, dst, true); break;
        case RPR_T_WRITES: {
            struct rpr_mem_writes *w = dst;
            w->n = gen_u64(g) % 4;
            struct rpr_mem_write *v = gen_alloc(g->pool, (w->n + 1) * sizeof *v);
            for (size_t j = 0; j < w->n; j++) {
                v[j].addr = gen_num(g);
                gen_data(g, &v[j].bytes, false);
            }
            w->v = v;
            break;
        }
        case RPR_T_SIGINFOS: {
            struct rpr_siginfos *s = dst;
            s->n = gen_u64(g) % 3;
            uint8_t *v = gen_alloc(g->pool, s->n * RPR_SIGINFO_SIZE);
            gen_bytes(g, v, s->n * RPR_SIGINFO_SIZE);
            if (s->n) v[0] = 14;   /* SIGALRM */
            s->v = v;
            break;
        }
        }
    }
}

/* A stream of points: icount never decreases; threads come and go. */
static inline void gen_step(struct gen *g, struct rpr_point *at)
{
    uint64_t r = gen_u64(g) % 16;
    uint64_t d = r < 2 ? 0 : r < 12 ? gen_u64(g) % 5000 : gen_u64(g) % 100000000;
    at->icount += d;
    if (gen_u64(g) % 8 == 0) at->tid = 1000 + (uint32_t)(gen_u64(g) % 4);
    at->ticount += d / 2;
    at->pc = gen_u64(g) % 4 ? at->pc + (gen_u64(g) % 64) * 2 : 0x10000 + gen_u64(g) % 0x100000;
}

static inline void fp_put(XXH3_state_t *st, const void *p, size_t n) { XXH3_64bits_update(st, p, n); }
static inline void fp_u64(XXH3_state_t *st, uint64_t v) { fp_put(st, &v, sizeof v); }

static inline void fp_data(XXH3_state_t *st, const struct rpr_data *d)
{
    fp_u64(st, d->len);
    if (d->data) fp_put(st, d->data, (size_t)d->len);
    else fp_u64(st, 0xb10b);   /* unresolved blob */
}

/* A digest of everything an event says (how it is stored aside), so that
 * what was written and what is read back compare as two numbers. */
static inline uint64_t fp_event(const struct rpr_event *ev)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    fp_u64(&st, ev->kind);
    fp_u64(&st, ev->at.icount);
    fp_u64(&st, ev->at.tid);
    fp_u64(&st, ev->at.ticount);
    fp_u64(&st, ev->at.pc);
    const struct rpr_kind_info *k = rpr_kind_info(ev->kind);
    if (!k) {
        fp_put(&st, ev->payload, ev->payload_len);
        return XXH3_64bits_digest(&st);
    }
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct rpr_field_info *f = &k->fields[i];
        const void *v = (const char *)ev + f->offset;
        switch (f->type) {
        case RPR_T_U:
        case RPR_T_I: fp_u64(&st, *(const uint64_t *)v); break;
        case RPR_T_STR: {
            const char *s = *(const char *const *)v;
            fp_u64(&st, s ? strlen(s) : 0);
            if (s) fp_put(&st, s, strlen(s));
            break;
        }
        case RPR_T_DATA:
        case RPR_T_BLOB: fp_data(&st, v); break;
        case RPR_T_WRITES: {
            const struct rpr_mem_writes *w = v;
            fp_u64(&st, w->n);
            for (size_t j = 0; j < w->n; j++) {
                fp_u64(&st, w->v[j].addr);
                fp_data(&st, &w->v[j].bytes);
            }
            break;
        }
        case RPR_T_SIGINFOS: {
            const struct rpr_siginfos *s = v;
            fp_u64(&st, s->n);
            fp_put(&st, s->v, s->n * RPR_SIGINFO_SIZE);
            break;
        }
        }
    }
    return XXH3_64bits_digest(&st);
}

/* Kinds the generator cycles through: every kind of the table. */
static inline unsigned gen_kind(struct gen *g)
{
    for (;;) {
        unsigned k = 1 + (unsigned)(gen_u64(g) % (RPR_KIND_LIMIT - 1));
        if (rpr_kind_info(k)) return k;
    }
}

#endif
