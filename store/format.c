/*
 * format.c - the byte-level pieces of the recording format: chunk headers,
 * buffers, event record headers and payload decoding (driven by the kind
 * table), result codes, hashes, decompression.
 */
#include "log_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

/* ---- result codes ---- */

const char *rpr_strerror(int code)
{
    switch (code) {
    case RPR_OK: return "success";
    case RPR_END: return "end of iteration";
    case RPR_E_IO: return "input/output error";
    case RPR_E_NOMEM: return "out of memory";
    case RPR_E_FORMAT: return "not a reprise recording";
    case RPR_E_VERSION: return "unsupported format version";
    case RPR_E_CORRUPT: return "corrupt recording";
    case RPR_E_TRUNCATED: return "truncated recording";
    case RPR_E_NOTFOUND: return "not found";
    case RPR_E_INVAL: return "invalid argument";
    case RPR_E_TOOBIG: return "too big for the format";
    }
    return "unknown error";
}

/* ---- the kind table ---- */

#define RPR_FIELD_INFO(x, T, f, doc) { RPR_T_##T, #f, doc, offsetof(struct rpr_event, u.x.f) },
#define RPR_KIND(NAME, name, num, desc, FIELDS) \
    static const struct rpr_field_info fields_##name[] = { FIELDS(RPR_FIELD_INFO, name) { 0, NULL, NULL, 0 } }; \
    static const struct rpr_kind_info kind_##name = { \
        num, #name, desc, sizeof fields_##name / sizeof fields_##name[0] - 1, fields_##name };
#include "kinds.def"
#undef RPR_KIND

static const struct rpr_kind_info *const kind_table[256] = {
#define RPR_KIND(NAME, name, num, desc, FIELDS) [num] = &kind_##name,
#include "kinds.def"
#undef RPR_KIND
};

#define RPR_KIND(NAME, name, num, desc, FIELDS) \
    _Static_assert(num > 0 && num < RPR_KIND_LIMIT, "kind number out of range");
#include "kinds.def"
#undef RPR_KIND

const struct rpr_kind_info *rpr_kind_info(unsigned kind)
{
    return kind < 256 ? kind_table[kind] : NULL;
}

unsigned rpr_kind_from_name(const char *name)
{
    if (!name || !*name) return 0;
    if (isdigit((unsigned char)*name)) {
        char *end;
        unsigned long v = strtoul(name, &end, 10);
        return !*end && v >= 1 && v <= 255 ? (unsigned)v : 0;
    }
    for (unsigned k = 1; k < 256; k++)
        if (kind_table[k] && !strcasecmp(kind_table[k]->name, name)) return k;
    return 0;
}

/* ---- hashes ---- */

uint64_t rpr_args_digest(uint64_t nr, const uint64_t args[6])
{
    uint8_t b[56];
    rpr_le64(b, nr);
    for (int i = 0; i < 6; i++) rpr_le64(b + 8 + 8 * i, args[i]);
    return XXH3_64bits(b, sizeof b);
}

void rpr_blob_hash(const void *data, size_t len, uint8_t hash[16])
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(len ? data : "", len));
    memcpy(hash, c.digest, 16);
}

/* ---- chunk headers ---- */

void rpr_chunk_encode(const struct rpr_chunk *h, uint8_t out[RPR_CHUNK_HDR])
{
    memcpy(out, RPR_CHUNK_MAGIC, 4);
    out[4] = h->type;
    out[5] = h->codec;
    rpr_le16(out + 6, h->flags);
    rpr_le32(out + 8, h->stream);
    rpr_le32(out + 12, h->seq);
    if (h->type == RPR_CH_BLOB) {
        memcpy(out + 16, h->hash, 16);
    } else {
        rpr_le64(out + 16, h->a);
        rpr_le64(out + 24, h->b);
    }
    rpr_le32(out + 32, h->count);
    rpr_le32(out + 36, h->stored);
    rpr_le32(out + 40, h->raw);
    rpr_le32(out + 44, 0);
    rpr_le64(out + 48, h->payload_sum);
    rpr_le64(out + 56, XXH64(out, 56, 0));
}

int rpr_chunk_decode(const uint8_t in[RPR_CHUNK_HDR], struct rpr_chunk *h)
{
    if (memcmp(in, RPR_CHUNK_MAGIC, 4)) return -1;
    if (!RPR_CHECKSUM_OK(XXH64(in, 56, 0), rpr_rd64(in + 56))) return -1;
    h->type = in[4];
    h->codec = in[5];
    h->flags = rpr_rd16(in + 6);
    h->stream = rpr_rd32(in + 8);
    h->seq = rpr_rd32(in + 12);
    h->a = rpr_rd64(in + 16);
    h->b = rpr_rd64(in + 24);
    memcpy(h->hash, in + 16, 16);
    h->count = rpr_rd32(in + 32);
    h->stored = rpr_rd32(in + 36);
    h->raw = rpr_rd32(in + 40);
    h->payload_sum = rpr_rd64(in + 48);
    return 0;
}

/* ---- buffers and arenas ---- */

int rpr_buf_grow(struct rpr_buf *b, size_t more)
{
    if (more > SIZE_MAX / 2 - b->len) return -1;
    size_t need = b->len + more, cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

void rpr_buf_free(struct rpr_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

struct rpr_arena_block {
    struct rpr_arena_block *next;
    size_t used, size;
    max_align_t data[];
};

#define ARENA_BLOCK 16384u

void *rpr_arena_alloc(struct rpr_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct rpr_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        if (size > SIZE_MAX - sizeof *b) return NULL;
        b = malloc(sizeof *b + size);
        if (!b) return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

void rpr_arena_reset(struct rpr_arena *a)
{
    /* Keep one standard block for the next event. */
    struct rpr_arena_block *keep = NULL, *b = a->head;
    while (b) {
        struct rpr_arena_block *next = b->next;
        if (!keep && b->size == ARENA_BLOCK) {
            keep = b;
        } else {
            free(b);
        }
        b = next;
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
}

void rpr_arena_free(struct rpr_arena *a)
{
    while (a->head) {
        struct rpr_arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* ---- record headers ---- */

int rpr_record_head(struct rpr_buf *b, struct rpr_delta *d, unsigned kind,
                    const struct rpr_point *at, size_t payload_len)
{
    if (rpr_buf_reserve(b, 1 + 5 * RPR_VARINT_MAX)) return -1;
    uint8_t *p = b->p + b->len;
    size_t n = 0;
    uint64_t tdiff = at->ticount - at->icount;
    p[n++] = (uint8_t)kind;
    n += rpr_varint_put(p + n, at->icount - d->icount);
    n += rpr_varint_put(p + n, rpr_zz((uint64_t)at->tid - d->tid));
    n += rpr_varint_put(p + n, rpr_zz(tdiff - d->tdiff));
    n += rpr_varint_put(p + n, rpr_zz(at->pc - d->pc));
    n += rpr_varint_put(p + n, payload_len);
    b->len += n;
    d->icount = at->icount;
    d->tid = at->tid;
    d->tdiff = tdiff;
    d->pc = at->pc;
    return 0;
}

int rpr_record_parse(const uint8_t **pp, const uint8_t *end, struct rpr_delta *d,
                     unsigned *kind, struct rpr_point *at, const uint8_t **payload,
                     size_t *payload_len)
{
    const uint8_t *p = *pp;
    uint64_t di, dt, dd, dp, len;
    if (p >= end || *p == 0) return -1;
    *kind = *p++;
    if (rpr_varint_get(&p, end, &di) || rpr_varint_get(&p, end, &dt) ||
        rpr_varint_get(&p, end, &dd) || rpr_varint_get(&p, end, &dp) ||
        rpr_varint_get(&p, end, &len))
        return -1;
    if (di > UINT64_MAX - d->icount) return -1;   /* icount never wraps */
    if (len > (uint64_t)(end - p)) return -1;
    uint64_t tid = d->tid + rpr_unzz(dt);
    if (tid > UINT32_MAX) return -1;
    d->icount += di;
    d->tid = tid;
    d->tdiff += rpr_unzz(dd);
    d->pc += rpr_unzz(dp);
    at->icount = d->icount;
    at->tid = (uint32_t)tid;
    at->ticount = d->icount + d->tdiff;
    at->pc = d->pc;
    *payload = p;
    *payload_len = (size_t)len;
    *pp = p + len;
    return 0;
}

/* ---- payload decoding, driven by the kind table ---- */

static int get_data(const uint8_t **pp, const uint8_t *end, struct rpr_data *d)
{
    uint64_t tag;
    if (rpr_varint_get(pp, end, &tag)) return -1;
    d->len = tag >> 1;
    d->blob = tag & 1;
    if (d->blob) {
        if (end - *pp < 16) return -1;
        memcpy(d->hash, *pp, 16);
        *pp += 16;
        d->data = NULL;
    } else {
        if (d->len > (uint64_t)(end - *pp)) return -1;
        d->data = *pp;
        *pp += d->len;
    }
    return 0;
}

int rpr_payload_decode(unsigned kind, const uint8_t *p, size_t len, struct rpr_event *ev,
                       struct rpr_arena *ar)
{
    const struct rpr_kind_info *k = rpr_kind_info(kind);
    memset(&ev->u, 0, sizeof ev->u);
    if (!k) return 0;
    const uint8_t *end = p + len;
    for (size_t i = 0; i < k->n_fields && p < end; i++) {
        const struct rpr_field_info *f = &k->fields[i];
        void *dst = (char *)ev + f->offset;
        uint64_t v;
        switch (f->type) {
        case RPR_T_U:
            if (rpr_varint_get(&p, end, &v)) return -1;
            *(uint64_t *)dst = v;
            break;
        case RPR_T_I:
            if (rpr_varint_get(&p, end, &v)) return -1;
            *(int64_t *)dst = (int64_t)rpr_unzz(v);
            break;
        case RPR_T_STR: {
            if (rpr_varint_get(&p, end, &v) || v > (uint64_t)(end - p)) return -1;
            char *s = rpr_arena_alloc(ar, (size_t)v + 1);
            if (!s) return -1;
            memcpy(s, p, (size_t)v);
            s[v] = 0;
            p += v;
            *(const char **)dst = s;
            break;
        }
        case RPR_T_DATA:
        case RPR_T_BLOB:
            if (get_data(&p, end, dst)) return -1;
            break;
        case RPR_T_WRITES: {
            struct rpr_mem_writes *w = dst;
            if (rpr_varint_get(&p, end, &v) || v > (uint64_t)(end - p) / 2) return -1;
            struct rpr_mem_write *arr = NULL;
            if (v) {
                arr = rpr_arena_alloc(ar, (size_t)v * sizeof *arr);
                if (!arr) return -1;
            }
            for (uint64_t j = 0; j < v; j++) {
                memset(&arr[j], 0, sizeof arr[j]);
                if (rpr_varint_get(&p, end, &arr[j].addr) || get_data(&p, end, &arr[j].bytes))
                    return -1;
            }
            w->n = (size_t)v;
            w->v = arr;
            break;
        }
        case RPR_T_SIGINFOS: {
            struct rpr_siginfos *s = dst;
            if (rpr_varint_get(&p, end, &v) || v > (uint64_t)(end - p) / RPR_SIGINFO_SIZE)
                return -1;
            s->n = (size_t)v;
            s->v = p;
            p += v * RPR_SIGINFO_SIZE;
            break;
        }
        }
    }
    return 0;
}

/* ---- sources and decompression ---- */

int rpr_src_read(const struct rpr_src *s, uint64_t off, void *buf, size_t len)
{
    if (off > s->size || len > s->size - off) return RPR_E_TRUNCATED;
    if (s->mem) {
        memcpy(buf, s->mem + off, len);
        return 0;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(s->fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return RPR_E_IO;
        }
        if (n == 0) return RPR_E_TRUNCATED;
        done += (size_t)n;
    }
    return 0;
}

#define SINGLE_SHOT_MAX (1u << 20)

int rpr_decompress(void *dctx, uint8_t codec, const uint8_t *in, size_t stored, size_t raw,
                   struct rpr_buf *out)
{
    out->len = 0;
    if (codec == RPR_CODEC_NONE) {
        if (stored != raw) return -1;
        return rpr_buf_put(out, in, raw);
    }
    if (codec != RPR_CODEC_ZSTD || !dctx) return -1;
    ZSTD_DCtx *d = dctx;
    ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
    if (raw <= SINGLE_SHOT_MAX) {
        if (rpr_buf_reserve(out, raw + 1)) return -1;
        size_t r = ZSTD_decompressDCtx(d, out->p, raw + 1, in, stored);
        if (ZSTD_isError(r) || r != raw) return -1;
        out->len = raw;
        return 0;
    }
    /* Large: grow the output as it appears, so that a claimed size costs
     * nothing until the data is really there. */
    ZSTD_inBuffer ib = { in, stored, 0 };
    size_t lim = raw + 1;
    for (;;) {
        if (out->cap == out->len && out->cap < lim) {
            size_t more = out->cap ? out->cap : SINGLE_SHOT_MAX;
            if (more > lim - out->len) more = lim - out->len;
            if (rpr_buf_reserve(out, more)) return -1;
        }
        ZSTD_outBuffer ob = { out->p, out->cap < lim ? out->cap : lim, out->len };
        size_t r = ZSTD_decompressStream(d, &ob, &ib);
        if (ZSTD_isError(r)) return -1;
        out->len = ob.pos;
        if (out->len > raw) return -1;
        if (r == 0 && ib.pos == ib.size) return out->len == raw ? 0 : -1;
        if (ib.pos == ib.size && ob.pos < ob.size) return -1;   /* input ends mid-frame */
        if (ob.pos == ob.size && ob.size == lim) return -1;
    }
}
