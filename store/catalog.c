/*
 * catalog.c - the index of a recording (streams, their frames, blobs,
 * damaged regions): built by scanning the chunks of a file (recovery, and
 * the last writer building the footer) or decoded from the footer index.
 * Nothing read from the file is trusted: every count, length and offset is
 * checked before use (docs/log-format.md, "Recovery").
 */
#include "log_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <xxhash.h>
#include <zstd.h>

/* ---- catalog helpers ---- */

struct rpr_cat_stream *rpr_catalog_stream(struct rpr_catalog *c, uint32_t id, bool create)
{
    for (size_t i = c->n_streams; i-- > 0;)
        if (c->streams[i].id == id) return &c->streams[i];
    if (!create) return NULL;
    if (c->n_streams == c->cap_streams) {
        size_t cap = c->cap_streams ? 2 * c->cap_streams : 8;
        struct rpr_cat_stream *p = realloc(c->streams, cap * sizeof *p);
        if (!p) return NULL;
        c->streams = p;
        c->cap_streams = cap;
    }
    struct rpr_cat_stream *s = &c->streams[c->n_streams++];
    memset(s, 0, sizeof *s);
    s->id = id;
    return s;
}

static int add_frame(struct rpr_cat_stream *s, const struct rpr_cat_frame *f)
{
    if (s->n_frames == s->cap_frames) {
        size_t cap = s->cap_frames ? 2 * s->cap_frames : 16;
        struct rpr_cat_frame *p = realloc(s->frames, cap * sizeof *p);
        if (!p) return -1;
        s->frames = p;
        s->cap_frames = cap;
    }
    s->frames[s->n_frames++] = *f;
    return 0;
}

static int add_blob(struct rpr_catalog *c, const struct rpr_cat_blob *b)
{
    if (c->n_blobs == c->cap_blobs) {
        size_t cap = c->cap_blobs ? 2 * c->cap_blobs : 16;
        struct rpr_cat_blob *p = realloc(c->blobs, cap * sizeof *p);
        if (!p) return -1;
        c->blobs = p;
        c->cap_blobs = cap;
    }
    c->blobs[c->n_blobs++] = *b;
    return 0;
}

static int add_damage(struct rpr_catalog *c, uint64_t off, char *msg)
{
    if (c->n_damage == c->cap_damage) {
        size_t cap = c->cap_damage ? 2 * c->cap_damage : 4;
        struct rpr_cat_damage *p = realloc(c->damage, cap * sizeof *p);
        if (!p) return -1;
        c->damage = p;
        c->cap_damage = cap;
    }
    c->damage[c->n_damage++] = (struct rpr_cat_damage){ off, msg };
    return 0;
}

int rpr_catalog_note(struct rpr_catalog *c, uint64_t off, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    char *m = strdup(tmp);
    if (!m || add_damage(c, off, m)) {
        free(m);
        return RPR_E_NOMEM;
    }
    return 0;
}

static void stream_free(struct rpr_cat_stream *s)
{
    free(s->program);
    free(s->frames);
    free(s->counts);
    free(s->digests);
}

void rpr_catalog_free(struct rpr_catalog *c)
{
    for (size_t i = 0; i < c->n_streams; i++) stream_free(&c->streams[i]);
    free(c->streams);
    free(c->blobs);
    for (size_t i = 0; i < c->n_damage; i++) free(c->damage[i].msg);
    free(c->damage);
    memset(c, 0, sizeof *c);
}

static int cmp_stream(const void *a, const void *b)
{
    uint32_t x = ((const struct rpr_cat_stream *)a)->id, y = ((const struct rpr_cat_stream *)b)->id;
    return x < y ? -1 : x > y;
}

static int cmp_frame(const void *a, const void *b)
{
    const struct rpr_cat_frame *x = a, *y = b;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_blob(const void *a, const void *b)
{
    const struct rpr_cat_blob *x = a, *y = b;
    int r = memcmp(x->hash, y->hash, 16);
    if (r) return r;
    return x->off < y->off ? -1 : x->off > y->off;
}

void rpr_catalog_finish(struct rpr_catalog *c)
{
    if (c->n_streams > 1) qsort(c->streams, c->n_streams, sizeof *c->streams, cmp_stream);
    for (size_t i = 0; i < c->n_streams; i++) {
        struct rpr_cat_stream *s = &c->streams[i];
        if (s->n_frames > 1) qsort(s->frames, s->n_frames, sizeof *s->frames, cmp_frame);
        size_t n = 0;
        for (size_t j = 0; j < s->n_frames; j++)
            if (!n || s->frames[j].seq != s->frames[n - 1].seq) s->frames[n++] = s->frames[j];
        s->n_frames = n;
    }
    /* Duplicate stream ids can only come from a damaged index. */
    size_t n = 0;
    for (size_t i = 0; i < c->n_streams; i++) {
        if (n && c->streams[i].id == c->streams[n - 1].id) {
            stream_free(&c->streams[i]);
            continue;
        }
        c->streams[n++] = c->streams[i];
    }
    c->n_streams = n;
    if (c->n_blobs > 1) qsort(c->blobs, c->n_blobs, sizeof *c->blobs, cmp_blob);
    n = 0;
    for (size_t i = 0; i < c->n_blobs; i++)
        if (!n || memcmp(c->blobs[i].hash, c->blobs[n - 1].hash, 16)) c->blobs[n++] = c->blobs[i];
    c->n_blobs = n;
}

/* ---- STREAM and SUMMARY payloads ---- */

int rpr_stream_encode(struct rpr_buf *b, uint32_t id, uint32_t parent, uint64_t fork_icount,
                      const char *program)
{
    return rpr_buf_varint(b, id) || rpr_buf_varint(b, parent) ||
                   rpr_buf_varint(b, fork_icount) || rpr_buf_str(b, program)
               ? RPR_E_NOMEM
               : 0;
}

static int summary_body_encode(struct rpr_buf *b, uint64_t frames, uint64_t events,
                               uint64_t last, bool ended, const uint64_t *counts,
                               const struct rpr_digest *dg, size_t n_dg)
{
    int e = rpr_buf_varint(b, frames) | rpr_buf_varint(b, events) | rpr_buf_varint(b, last) |
            rpr_buf_varint(b, ended ? 1 : 0);
    size_t nk = 0;
    for (int k = 0; k < 256; k++) nk += counts && counts[k] ? 1 : 0;
    e |= rpr_buf_varint(b, nk);
    for (int k = 0; k < 256 && nk; k++)
        if (counts[k]) e |= rpr_buf_varint(b, (uint64_t)k) | rpr_buf_varint(b, counts[k]);
    e |= rpr_buf_varint(b, n_dg);
    for (size_t i = 0; i < n_dg; i++)
        e |= rpr_buf_varint(b, dg[i].at.icount) | rpr_buf_varint(b, dg[i].at.tid) |
             rpr_buf_varint(b, dg[i].at.ticount) | rpr_buf_varint(b, dg[i].at.pc) |
             rpr_buf_varint(b, dg[i].digest);
    return e ? RPR_E_NOMEM : 0;
}

int rpr_summary_encode(struct rpr_buf *b, uint32_t id, uint64_t frames, uint64_t events,
                       uint64_t last, bool ended, const uint64_t counts[256],
                       const struct rpr_digest *digests, size_t n_digests)
{
    if (rpr_buf_varint(b, id)) return RPR_E_NOMEM;
    return summary_body_encode(b, frames, events, last, ended, counts, digests, n_digests);
}

/* A cursor over untrusted bytes. */
struct cur {
    const uint8_t *p, *end;
    bool bad;
};

static uint64_t u(struct cur *c)
{
    uint64_t v = 0;
    if (!c->bad && rpr_varint_get(&c->p, c->end, &v)) c->bad = true;
    return c->bad ? 0 : v;
}

static uint32_t u32(struct cur *c)
{
    uint64_t v = u(c);
    if (v > UINT32_MAX) c->bad = true;
    return (uint32_t)v;
}

/* A count of items of at least min_size bytes each that must fit in what
 * is left. */
static size_t count(struct cur *c, size_t min_size)
{
    uint64_t v = u(c);
    if (v > (uint64_t)(c->end - c->p) / min_size) c->bad = true;
    return c->bad ? 0 : (size_t)v;
}

static char *str(struct cur *c)
{
    uint64_t n = u(c);
    if (c->bad || n > (uint64_t)(c->end - c->p)) {
        c->bad = true;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        c->bad = true;
        return NULL;
    }
    memcpy(s, c->p, (size_t)n);
    s[n] = 0;
    c->p += n;
    return s;
}

static void summary_body_decode(struct cur *c, struct rpr_cat_stream *s)
{
    uint64_t frames = u(c), events = u(c), last = u(c), flags = u(c);
    uint64_t *counts = calloc(256, sizeof *counts);
    if (!counts) {
        c->bad = true;
        return;
    }
    size_t nk = count(c, 2);
    for (size_t i = 0; i < nk && !c->bad; i++) {
        uint64_t k = u(c), v = u(c);
        if (k > 255) c->bad = true;
        else counts[k] = v;
    }
    size_t nd = count(c, 5);
    struct rpr_digest *dg = nd ? calloc(nd, sizeof *dg) : NULL;
    if (nd && !dg) c->bad = true;
    for (size_t i = 0; i < nd && !c->bad; i++) {
        dg[i].at.icount = u(c);
        dg[i].at.tid = u32(c);
        dg[i].at.ticount = u(c);
        dg[i].at.pc = u(c);
        dg[i].digest = u(c);
    }
    if (c->bad) {
        free(counts);
        free(dg);
        return;
    }
    free(s->counts);
    free(s->digests);
    s->have_summary = s->stats_known = true;
    s->sum_frames = frames;
    s->sum_events = events;
    s->sum_last = last;
    s->ended = flags & 1;
    s->counts = counts;
    s->digests = dg;
    s->n_digests = nd;
}

/* ---- the footer index ---- */

int rpr_index_encode(const struct rpr_catalog *c, struct rpr_buf *b)
{
    int e = rpr_buf_varint(b, c->n_streams);
    for (size_t i = 0; i < c->n_streams; i++) {
        const struct rpr_cat_stream *s = &c->streams[i];
        e |= rpr_buf_varint(b, s->id) | rpr_buf_varint(b, s->parent) |
             rpr_buf_varint(b, s->fork_icount) | rpr_buf_str(b, s->program) |
             rpr_buf_varint(b, (s->have_begin ? 1u : 0) | (s->have_summary ? 2u : 0));
        e |= rpr_buf_varint(b, s->n_frames);
        for (size_t j = 0; j < s->n_frames; j++) {
            const struct rpr_cat_frame *f = &s->frames[j];
            e |= rpr_buf_varint(b, f->off) | rpr_buf_varint(b, f->seq) |
                 rpr_buf_varint(b, f->count) | rpr_buf_varint(b, f->first) |
                 rpr_buf_varint(b, f->last - f->first) | rpr_buf_varint(b, f->stored) |
                 rpr_buf_varint(b, f->raw);
        }
        if (s->have_summary)
            e |= summary_body_encode(b, s->sum_frames, s->sum_events, s->sum_last, s->ended,
                                     s->counts, s->digests, s->n_digests);
    }
    e |= rpr_buf_varint(b, c->n_blobs);
    for (size_t i = 0; i < c->n_blobs; i++) {
        const struct rpr_cat_blob *bl = &c->blobs[i];
        e |= rpr_buf_put(b, bl->hash, 16) | rpr_buf_varint(b, bl->off) |
             rpr_buf_varint(b, bl->stored) | rpr_buf_varint(b, bl->raw);
    }
    e |= rpr_buf_varint(b, c->n_damage);
    for (size_t i = 0; i < c->n_damage; i++)
        e |= rpr_buf_varint(b, c->damage[i].off) | rpr_buf_str(b, c->damage[i].msg);
    e |= rpr_buf_varint(b, c->data_end);
    return e ? RPR_E_NOMEM : 0;
}

int rpr_index_decode(const uint8_t *p, size_t len, struct rpr_catalog *c)
{
    if (!p) p = (const uint8_t *)"";
    struct cur cu = { p, p + len, false }, *cc = &cu;
    size_t ns = count(cc, 6);
    for (size_t i = 0; i < ns && !cc->bad; i++) {
        uint32_t id = u32(cc);
        if (cc->bad) break;
        struct rpr_cat_stream *s = rpr_catalog_stream(c, id, true);
        if (!s) return RPR_E_NOMEM;
        if (s->have_begin || s->n_frames) {
            cc->bad = true;   /* the same stream twice */
            break;
        }
        s->parent = u32(cc);
        s->fork_icount = u(cc);
        s->program = str(cc);
        uint64_t flags = u(cc);
        s->have_begin = flags & 1;
        if (!s->have_begin) {
            free(s->program);
            s->program = NULL;
        }
        size_t nf = count(cc, 7);
        for (size_t j = 0; j < nf && !cc->bad; j++) {
            struct rpr_cat_frame f;
            f.off = u(cc);
            f.seq = u32(cc);
            f.count = u32(cc);
            f.first = u(cc);
            uint64_t span = u(cc);
            f.stored = u32(cc);
            f.raw = u32(cc);
            if (span > UINT64_MAX - f.first) cc->bad = true;
            f.last = f.first + span;
            if (!cc->bad && add_frame(s, &f)) return RPR_E_NOMEM;
        }
        if (flags & 2) summary_body_decode(cc, s);
    }
    size_t nb = count(cc, 19);
    for (size_t i = 0; i < nb && !cc->bad; i++) {
        struct rpr_cat_blob bl;
        if (cc->end - cc->p < 16) {
            cc->bad = true;
            break;
        }
        memcpy(bl.hash, cc->p, 16);
        cc->p += 16;
        bl.off = u(cc);
        bl.stored = u32(cc);
        bl.raw = u32(cc);
        if (!cc->bad && add_blob(c, &bl)) return RPR_E_NOMEM;
    }
    size_t nd = count(cc, 2);
    for (size_t i = 0; i < nd && !cc->bad; i++) {
        uint64_t off = u(cc);
        char *m = str(cc);
        if (cc->bad) break;
        if (add_damage(c, off, m)) {
            free(m);
            return RPR_E_NOMEM;
        }
    }
    c->data_end = u(cc);
    if (cc->bad) return RPR_E_CORRUPT;
    rpr_catalog_finish(c);
    return 0;
}

/* ---- scanning ---- */

static const char *chunk_name(uint8_t type)
{
    switch (type) {
    case RPR_CH_FRAME: return "frame";
    case RPR_CH_BLOB: return "blob";
    case RPR_CH_STREAM: return "stream description";
    case RPR_CH_SUMMARY: return "stream summary";
    case RPR_CH_INDEX: return "footer index";
    case RPR_CH_TRAILER: return "footer trailer";
    }
    return "chunk";
}

/* "frame 12 of stream 4242 at offset 0x4f00" */
static void describe(char *out, size_t n, const struct rpr_chunk *h, uint64_t off)
{
    if (h && h->type == RPR_CH_FRAME)
        snprintf(out, n, "frame %" PRIu32 " of stream %" PRIu32 " at offset 0x%" PRIx64, h->seq,
                 h->stream, off);
    else
        snprintf(out, n, "%s at offset 0x%" PRIx64, h ? chunk_name(h->type) : "chunk", off);
}

/* XXH64 of len bytes at off, read in pieces. */
int rpr_checksum_region(const struct rpr_src *s, uint64_t off, uint64_t len, uint64_t *sum,
                           struct rpr_buf *tmp)
{
    if (s->mem) {
        if (off > s->size || len > s->size - off) return RPR_E_TRUNCATED;
        *sum = XXH64(s->mem + off, (size_t)len, 0);
        return 0;
    }
    XXH64_state_t st;
    XXH64_reset(&st, 0);
    size_t piece = 1u << 20;
    tmp->len = 0;
    if (rpr_buf_reserve(tmp, piece)) return RPR_E_NOMEM;
    while (len) {
        size_t n = len < piece ? (size_t)len : piece;
        int rc = rpr_src_read(s, off, tmp->p, n);
        if (rc) return rc;
        XXH64_update(&st, tmp->p, n);
        off += n;
        len -= n;
    }
    *sum = XXH64_digest(&st);
    return 0;
}

/* The next offset at or after pos where the chunk magic appears, or size. */
static uint64_t find_magic(const struct rpr_src *s, uint64_t pos, struct rpr_buf *tmp)
{
    if (s->mem) {
        if (pos >= s->size) return s->size;
        const void *m = memmem(s->mem + pos, (size_t)(s->size - pos), RPR_CHUNK_MAGIC, 4);
        return m ? (uint64_t)((const uint8_t *)m - s->mem) : s->size;
    }
    size_t win = 1u << 16;
    tmp->len = 0;
    if (rpr_buf_reserve(tmp, win)) return s->size;
    while (pos < s->size) {
        size_t n = s->size - pos < win ? (size_t)(s->size - pos) : win;
        if (n < 4) return s->size;
        if (rpr_src_read(s, pos, tmp->p, n)) return s->size;
        const void *m = memmem(tmp->p, n, RPR_CHUNK_MAGIC, 4);
        if (m) return pos + (uint64_t)((const uint8_t *)m - tmp->p);
        pos += n - 3;
    }
    return s->size;
}

/* Reads and decompresses a small chunk's payload into out. */
static int small_payload(const struct rpr_src *s, uint64_t off, const struct rpr_chunk *h,
                         struct rpr_buf *tmp, struct rpr_buf *out, ZSTD_DCtx **dctx)
{
    if (h->stored > RPR_SMALL_MAX_RAW || h->raw > RPR_SMALL_MAX_RAW) return RPR_E_CORRUPT;
    tmp->len = 0;
    if (rpr_buf_reserve(tmp, h->stored ? h->stored : 1)) return RPR_E_NOMEM;
    int rc = rpr_src_read(s, off + RPR_CHUNK_HDR, tmp->p, h->stored);
    if (rc) return rc;
    if (h->codec == RPR_CODEC_ZSTD && !*dctx && !(*dctx = ZSTD_createDCtx())) return RPR_E_NOMEM;
    if (rpr_decompress(*dctx, h->codec, tmp->p, h->stored, h->raw, out)) return RPR_E_CORRUPT;
    return 0;
}

static int take_chunk(const struct rpr_src *s, uint64_t off, const struct rpr_chunk *h,
                      struct rpr_catalog *c, struct rpr_buf *tmp, struct rpr_buf *out,
                      ZSTD_DCtx **dctx)
{
    char where[96];
    switch (h->type) {
    case RPR_CH_FRAME: {
        if ((h->codec != RPR_CODEC_NONE && h->codec != RPR_CODEC_ZSTD) || !h->raw ||
            h->raw > RPR_FRAME_MAX_RAW || !h->count || h->count > h->raw || h->a > h->b) {
            describe(where, sizeof where, h, off);
            return rpr_catalog_note(c, off, "%s: bad frame header", where);
        }
        struct rpr_cat_stream *st = rpr_catalog_stream(c, h->stream, true);
        struct rpr_cat_frame f = { off, h->seq, h->count, h->a, h->b, h->stored, h->raw };
        if (!st || add_frame(st, &f)) return RPR_E_NOMEM;
        return 0;
    }
    case RPR_CH_BLOB: {
        if (h->codec != RPR_CODEC_NONE && h->codec != RPR_CODEC_ZSTD) {
            describe(where, sizeof where, h, off);
            return rpr_catalog_note(c, off, "%s: unknown codec %u", where, h->codec);
        }
        struct rpr_cat_blob b = { { 0 }, off, h->stored, h->raw };
        memcpy(b.hash, h->hash, 16);
        return add_blob(c, &b) ? RPR_E_NOMEM : 0;
    }
    case RPR_CH_STREAM:
    case RPR_CH_SUMMARY: {
        int rc = small_payload(s, off, h, tmp, out, dctx);
        if (rc == RPR_E_NOMEM || rc == RPR_E_IO) return rc;
        const uint8_t *op = out->p ? out->p : (const uint8_t *)"";
        struct cur cu = { op, op + out->len, rc != 0 };
        uint32_t id = u32(&cu);
        struct rpr_cat_stream *st = cu.bad ? NULL : rpr_catalog_stream(c, id, true);
        if (!cu.bad && !st) return RPR_E_NOMEM;
        if (!cu.bad && h->type == RPR_CH_STREAM) {
            uint32_t parent = u32(&cu);
            uint64_t fork_icount = u(&cu);
            char *prog = str(&cu);
            if (!cu.bad) {
                free(st->program);
                st->program = prog;
                st->parent = parent;
                st->fork_icount = fork_icount;
                st->have_begin = true;
            } else {
                free(prog);
            }
        } else if (!cu.bad) {
            summary_body_decode(&cu, st);
        }
        if (cu.bad) {
            describe(where, sizeof where, h, off);
            return rpr_catalog_note(c, off, "%s: malformed payload", where);
        }
        return 0;
    }
    default:
        return 0;   /* footer chunks and chunk types of newer minors: skipped */
    }
}

/* Whether a chunk ending at off is followed by what a chunk boundary looks
 * like: the end of the file, a valid chunk header, or the start of one cut
 * by the end of the file. */
static bool boundary(const struct rpr_src *s, uint64_t off)
{
    if (off == s->size) return true;
    uint8_t hb[RPR_CHUNK_HDR];
    struct rpr_chunk h;
    uint64_t left = s->size - off;
    if (left < RPR_CHUNK_HDR) {
        size_t n = left < 4 ? (size_t)left : 4;
        return !rpr_src_read(s, off, hb, n) && !memcmp(hb, RPR_CHUNK_MAGIC, n);
    }
    return !rpr_src_read(s, off, hb, sizeof hb) && !rpr_chunk_decode(hb, &h);
}

int rpr_scan(const struct rpr_src *s, uint64_t start, struct rpr_catalog *c)
{
    struct rpr_buf tmp = { 0 }, out = { 0 };
    ZSTD_DCtx *dctx = NULL;
    uint64_t pos = start, bad_from = UINT64_MAX;
    /* Payload bytes hashed: an intact file hashes each byte once; chunks
     * that do not end on a boundary are hashed only within this budget, so
     * crafted nested headers cannot make the scan quadratic. */
    uint64_t budget = 2 * s->size + (1u << 20);
    char why[200] = "";
    int rc = 0;
    c->data_end = start;
    while (pos < s->size) {
        struct rpr_chunk h;
        uint8_t hb[RPR_CHUNK_HDR];
        char where[96];
        bool ok = false, skip = false;
        if (s->size - pos < RPR_CHUNK_HDR) {
            snprintf(why, sizeof why, "chunk at offset 0x%" PRIx64 ": truncated header", pos);
        } else if ((rc = rpr_src_read(s, pos, hb, sizeof hb))) {
            break;
        } else if (rpr_chunk_decode(hb, &h)) {
            snprintf(why, sizeof why, "chunk at offset 0x%" PRIx64 ": bad header", pos);
        } else {
            describe(where, sizeof where, &h, pos);
            uint64_t sum = 0, end = pos + RPR_CHUNK_HDR + h.stored;
            bool fits = h.stored <= s->size - pos - RPR_CHUNK_HDR && boundary(s, end);
            if (h.stored > s->size - pos - RPR_CHUNK_HDR) {
                snprintf(why, sizeof why, "%s: truncated (%" PRIu32 " of %" PRIu64 " bytes present)",
                         where, h.stored, s->size - pos - RPR_CHUNK_HDR);
            } else if (!fits && budget < h.stored) {
                snprintf(why, sizeof why, "%s: does not end on a chunk boundary", where);
            } else if (budget -= h.stored,
                       (rc = rpr_checksum_region(s, pos + RPR_CHUNK_HDR, h.stored, &sum, &tmp))) {
                if (rc != RPR_E_TRUNCATED) break;
                rc = 0;
                snprintf(why, sizeof why, "%s: truncated", where);
            } else if (!RPR_CHECKSUM_OK(sum, h.payload_sum)) {
                snprintf(why, sizeof why, "%s: checksum mismatch", where);
                /* Its length is trustworthy (the header holds) when the
                 * next chunk starts where it ends: skip just this chunk.
                 * Otherwise it may be a torn write with other writers'
                 * chunks inside: resynchronize within it. */
                skip = fits;
            } else {
                ok = true;
            }
        }
        if (!ok) {
            /* Note where a damaged region starts, then go on after it. */
            if (bad_from == UINT64_MAX) {
                bad_from = pos;
                if ((rc = rpr_catalog_note(c, pos, "%s", why))) break;
            }
            if (skip) {
                pos += RPR_CHUNK_HDR + h.stored;
                bad_from = UINT64_MAX;
            } else {
                pos = find_magic(s, pos + 1, &tmp);
            }
            continue;
        }
        bad_from = UINT64_MAX;
        if ((rc = take_chunk(s, pos, &h, c, &tmp, &out, &dctx))) break;
        pos += RPR_CHUNK_HDR + h.stored;
        c->data_end = pos;
    }
    rpr_buf_free(&tmp);
    rpr_buf_free(&out);
    ZSTD_freeDCtx(dctx);
    if (!rc) rpr_catalog_finish(c);
    return rc;
}
