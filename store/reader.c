/*
 * reader.c - reads a recording: header and metadata, the footer index (or a
 * rebuilt one when the footer is missing or damaged), stream iteration with
 * filters, blobs. Every length, offset, count and varint from the file is
 * checked; damage gives an error naming the file, frame and byte offset,
 * and everything before it stays readable.
 */
#include "log_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

struct rpr_reader {
    char *name;
    struct rpr_src src;
    int fd;
    unsigned major, minor;
    uint64_t header_size;
    json_t *meta;
    bool clean;
    bool verified;
    int verify_rc;
    struct rpr_catalog cat;
    char **damage_msgs;      /* "name: message" per catalog damage entry */
    ZSTD_DCtx *dctx;
    struct rpr_buf tmp;
    char errmsg[512];
};

struct rpr_iter {
    struct rpr_reader *r;
    struct rpr_cat_stream *s;
    struct rpr_filter f;
    size_t fi;               /* frame to load next, or the loaded one */
    bool loaded, have_prev;
    const uint8_t *p, *end;
    uint32_t left, index;    /* records left in the loaded frame; index of the next */
    struct rpr_delta d;
    uint64_t prev_icount;
    struct rpr_buf stored, raw;
    ZSTD_DCtx *dctx;
    struct rpr_arena ar;
    void **blobs;
    size_t n_blobs, cap_blobs;
    struct rpr_event ev;
    int err;
    char errmsg[512];
};

static int rfail(char *buf, size_t n, int code, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int rfail(char *buf, size_t n, int code, const char *name, const char *fmt, ...)
{
    if (!n) return code;
    int k = snprintf(buf, n, "%s: ", name);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < n) vsnprintf(buf + k, n - (size_t)k, fmt, ap);
    va_end(ap);
    return code;
}

#define RFAIL(r, code, ...) rfail((r)->errmsg, sizeof (r)->errmsg, code, (r)->name, __VA_ARGS__)
#define IFAIL(it, code, ...) \
    ((it)->err = rfail((it)->errmsg, sizeof (it)->errmsg, code, (it)->r->name, __VA_ARGS__))

const char *rpr_reader_errmsg(const struct rpr_reader *r)
{
    return r ? r->errmsg : "";
}

const char *rpr_iter_errmsg(const struct rpr_iter *it)
{
    return it ? it->errmsg : "";
}

const json_t *rpr_reader_meta(const struct rpr_reader *r)
{
    return r->meta;
}

void rpr_reader_close(struct rpr_reader *r)
{
    if (!r) return;
    if (r->damage_msgs)
        for (size_t i = 0; i < r->cat.n_damage; i++) free(r->damage_msgs[i]);
    free(r->damage_msgs);
    rpr_catalog_free(&r->cat);
    json_decref(r->meta);
    ZSTD_freeDCtx(r->dctx);
    rpr_buf_free(&r->tmp);
    if (r->fd >= 0) close(r->fd);
    free(r->name);
    free(r);
}

static void hex16(char out[33], const uint8_t h[16])
{
    for (int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Formats the damage messages noted since the last call. */
static int format_damage(struct rpr_reader *r, size_t from)
{
    char **p = realloc(r->damage_msgs, (r->cat.n_damage ? r->cat.n_damage : 1) * sizeof *p);
    if (!p) return RFAIL(r, RPR_E_NOMEM, "out of memory");
    r->damage_msgs = p;
    for (size_t i = from; i < r->cat.n_damage; i++) {
        size_t n = strlen(r->name) + strlen(r->cat.damage[i].msg) + 3;
        if (!(p[i] = malloc(n))) {
            r->cat.n_damage = i;   /* keep the lists parallel */
            return RFAIL(r, RPR_E_NOMEM, "out of memory");
        }
        snprintf(p[i], n, "%s: %s", r->name, r->cat.damage[i].msg);
    }
    return 0;
}

/* ---- opening ---- */

/* The footer: trailer chunk at the very end, index chunk right before it. */
static int load_footer(struct rpr_reader *r, uint64_t data_start)
{
    const struct rpr_src *s = &r->src;
    uint64_t tsize = RPR_CHUNK_HDR + RPR_TRAILER_PAYLOAD;
    if (s->size < data_start + RPR_CHUNK_HDR + tsize) return -1;
    uint64_t toff = s->size - tsize;
    uint8_t tb[RPR_CHUNK_HDR + RPR_TRAILER_PAYLOAD], ib[RPR_CHUNK_HDR];
    struct rpr_chunk th, ih;
    if (rpr_src_read(s, toff, tb, sizeof tb) || rpr_chunk_decode(tb, &th)) return -1;
    if (th.type != RPR_CH_TRAILER || th.codec != RPR_CODEC_NONE ||
        th.stored != RPR_TRAILER_PAYLOAD || th.raw != RPR_TRAILER_PAYLOAD ||
        !RPR_CHECKSUM_OK(XXH64(tb + RPR_CHUNK_HDR, RPR_TRAILER_PAYLOAD, 0), th.payload_sum))
        return -1;
    /* From here on the footer claims to be there: damage is worth a note. */
    uint64_t ioff = rpr_rd64(tb + RPR_CHUNK_HDR), ilen = rpr_rd64(tb + RPR_CHUNK_HDR + 8);
    const char *why = NULL;
    if (ioff < data_start || ilen < RPR_CHUNK_HDR || ioff > toff || ilen != toff - ioff) {
        why = "trailer points outside the file";
    } else if (rpr_src_read(s, ioff, ib, sizeof ib) || rpr_chunk_decode(ib, &ih) ||
               ih.type != RPR_CH_INDEX || RPR_CHUNK_HDR + (uint64_t)ih.stored != ilen) {
        why = "bad index header";
    } else if (ih.stored > RPR_SMALL_MAX_RAW || ih.raw > RPR_SMALL_MAX_RAW) {
        why = "index too large";
    } else {
        r->tmp.len = 0;
        struct rpr_buf out = { 0 };
        if (rpr_buf_reserve(&r->tmp, ih.stored + 1) ||
            rpr_src_read(s, ioff + RPR_CHUNK_HDR, r->tmp.p, ih.stored)) {
            why = "cannot read the index";
        } else if (!RPR_CHECKSUM_OK(XXH64(r->tmp.p, ih.stored, 0), ih.payload_sum)) {
            why = "index checksum mismatch";
        } else if ((ih.codec == RPR_CODEC_ZSTD && !r->dctx && !(r->dctx = ZSTD_createDCtx())) ||
                   rpr_decompress(r->dctx, ih.codec, r->tmp.p, ih.stored, ih.raw, &out)) {
            why = "index does not decompress";
        } else if (rpr_index_decode(out.p, out.len, &r->cat) || r->cat.data_end > ioff) {
            why = "malformed index";
        }
        rpr_buf_free(&out);
        if (!why) return 0;
    }
    rpr_catalog_free(&r->cat);
    rpr_catalog_note(&r->cat, ioff < toff ? ioff : toff,
                     "footer at offset 0x%" PRIx64 ": %s; index rebuilt by scanning", toff, why);
    return -1;
}

static int reader_open(struct rpr_reader *r)
{
    const struct rpr_src *s = &r->src;
    uint8_t h[RPR_FILE_HDR];
    if (s->size < RPR_FILE_HDR) {
        uint8_t m[8];
        size_t n = s->size < 8 ? (size_t)s->size : 8;
        if (n && !rpr_src_read(s, 0, m, n) && memcmp(m, RPR_FILE_MAGIC, n))
            return RFAIL(r, RPR_E_FORMAT, "not a reprise recording (bad magic)");
        return RFAIL(r, RPR_E_FORMAT, "truncated: %" PRIu64 " bytes, too short for a recording header",
                     s->size);
    }
    if (rpr_src_read(s, 0, h, sizeof h)) return RFAIL(r, RPR_E_IO, "cannot read the header");
    if (memcmp(h, RPR_FILE_MAGIC, 8)) return RFAIL(r, RPR_E_FORMAT, "not a reprise recording (bad magic)");
    r->major = rpr_rd16(h + 8);
    r->minor = rpr_rd16(h + 10);
    if (r->major > RPR_FORMAT_MAJOR)
        return RFAIL(r, RPR_E_VERSION,
                     "format version %u.%u is newer than this reprise reads (%u.x); use a newer reprise",
                     r->major, r->minor, RPR_FORMAT_MAJOR);
    if (r->major < RPR_FORMAT_MAJOR)
        return RFAIL(r, RPR_E_VERSION, "format version %u.%u is not supported (this reprise reads %u.x)",
                     r->major, r->minor, RPR_FORMAT_MAJOR);
    uint32_t mlen = rpr_rd32(h + 16);
    if (mlen > RPR_META_MAX) return RFAIL(r, RPR_E_FORMAT, "bad header: metadata length %" PRIu32, mlen);
    if (s->size - RPR_FILE_HDR < mlen)
        return RFAIL(r, RPR_E_FORMAT, "truncated in the header (%" PRIu64 " of %" PRIu64 " bytes)",
                     s->size, (uint64_t)RPR_FILE_HDR + mlen);
    char *text = malloc(mlen + 1u);
    if (!text) return RFAIL(r, RPR_E_NOMEM, "out of memory");
    if (rpr_src_read(s, RPR_FILE_HDR, text, mlen)) {
        free(text);
        return RFAIL(r, RPR_E_IO, "cannot read the metadata");
    }
    text[mlen] = 0;
    XXH64_state_t st;
    XXH64_reset(&st, 0);
    XXH64_update(&st, h, 24);
    XXH64_update(&st, text, mlen);
    if (!RPR_CHECKSUM_OK(XXH64_digest(&st), rpr_rd64(h + 24))) {
        free(text);
        return RFAIL(r, RPR_E_FORMAT, "header at offset 0x0: checksum mismatch");
    }
    json_error_t je;
    r->meta = json_loadb(text, mlen, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!r->meta || !json_is_object(r->meta))
        return RFAIL(r, RPR_E_FORMAT, "header: metadata is not a JSON object (%s)",
                     r->meta ? "not an object" : je.text);
    r->header_size = RPR_FILE_HDR + (uint64_t)mlen;

    if (!load_footer(r, r->header_size)) {
        r->clean = true;
    } else {
        /* Keep the footer's damage note, if any, and scan. */
        int rc = rpr_scan(s, r->header_size, &r->cat);
        if (rc) return RFAIL(r, rc, "scanning: %s", rpr_strerror(rc));
    }
    if (r->cat.n_damage) {
        int rc = format_damage(r, 0);
        if (rc) return rc;
    }
    return 0;
}

static int open_common(struct rpr_reader *r, struct rpr_reader **out, char *err, size_t errlen)
{
    int rc = reader_open(r);
    if (rc) {
        if (errlen) snprintf(err, errlen, "%s", r->errmsg);
        rpr_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

static struct rpr_reader *reader_new(const char *name)
{
    struct rpr_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->fd = -1;
    r->src.fd = -1;
    if (!(r->name = strdup(name ? name : "(recording)"))) {
        free(r);
        return NULL;
    }
    return r;
}

int rpr_reader_open(const char *path, struct rpr_reader **out, char *err, size_t errlen)
{
    *out = NULL;
    if (errlen) err[0] = 0;
    struct rpr_reader *r = reader_new(path);
    if (!r) {
        if (errlen) snprintf(err, errlen, "%s: out of memory", path);
        return RPR_E_NOMEM;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (r->fd < 0 || fstat(r->fd, &sb)) {
        if (errlen) snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rpr_reader_close(r);
        return RPR_E_IO;
    }
    if (!S_ISREG(sb.st_mode)) {
        if (errlen) snprintf(err, errlen, "%s: not a regular file", path);
        rpr_reader_close(r);
        return RPR_E_IO;
    }
    r->src.fd = r->fd;
    r->src.size = (uint64_t)sb.st_size;
    return open_common(r, out, err, errlen);
}

int rpr_reader_open_mem(const void *data, size_t len, const char *name,
                        struct rpr_reader **out, char *err, size_t errlen)
{
    *out = NULL;
    if (errlen) err[0] = 0;
    struct rpr_reader *r = reader_new(name);
    if (!r) {
        if (errlen) snprintf(err, errlen, "%s: out of memory", name ? name : "(recording)");
        return RPR_E_NOMEM;
    }
    r->src.mem = len ? data : (const uint8_t *)"";
    r->src.size = len;
    return open_common(r, out, err, errlen);
}

/* ---- file facts ---- */

void rpr_reader_info(const struct rpr_reader *r, struct rpr_file_info *o)
{
    memset(o, 0, sizeof *o);
    o->major = r->major;
    o->minor = r->minor;
    o->clean = r->clean;
    o->file_size = r->src.size;
    o->data_end = r->cat.data_end;
    o->header_size = r->header_size;
    o->n_streams = r->cat.n_streams;
    o->n_blobs = r->cat.n_blobs;
    o->n_damage = r->cat.n_damage;
    for (size_t i = 0; i < r->cat.n_streams; i++) {
        const struct rpr_cat_stream *s = &r->cat.streams[i];
        o->n_frames += s->n_frames;
        for (size_t j = 0; j < s->n_frames; j++) {
            o->events += s->frames[j].count;
            o->events_raw += s->frames[j].raw;
            o->events_stored += RPR_CHUNK_HDR + (uint64_t)s->frames[j].stored;
        }
    }
    for (size_t i = 0; i < r->cat.n_blobs; i++) {
        o->blobs_raw += r->cat.blobs[i].raw;
        o->blobs_stored += RPR_CHUNK_HDR + (uint64_t)r->cat.blobs[i].stored;
    }
}

int rpr_reader_damage(const struct rpr_reader *r, size_t i, uint64_t *offset, const char **msg)
{
    if (i >= r->cat.n_damage) return RPR_E_NOTFOUND;
    if (offset) *offset = r->cat.damage[i].off;
    if (msg) *msg = r->damage_msgs[i];
    return 0;
}

/* Checks one indexed chunk; a problem is noted. */
static int verify_chunk(struct rpr_reader *r, uint64_t off, uint8_t type, uint32_t stream,
                        uint32_t seq, uint32_t stored, uint32_t raw, const char *what)
{
    uint8_t hb[RPR_CHUNK_HDR];
    struct rpr_chunk h;
    const char *why = NULL;
    uint64_t sum = 0;
    int rc = rpr_src_read(&r->src, off, hb, sizeof hb);
    if (rc == RPR_E_IO) return RFAIL(r, rc, "cannot read at offset 0x%" PRIx64, off);
    if (rc) why = "truncated";
    else if (rpr_chunk_decode(hb, &h)) why = "bad header";
    else if (h.type != type || h.stored != stored || h.raw != raw ||
             (type == RPR_CH_FRAME && (h.stream != stream || h.seq != seq)))
        why = "header does not match the index";
    else if ((rc = rpr_checksum_region(&r->src, off + RPR_CHUNK_HDR, stored, &sum, &r->tmp)))
        why = "truncated";
    else if (!RPR_CHECKSUM_OK(sum, h.payload_sum))
        why = "checksum mismatch";
    if (rc == RPR_E_IO || rc == RPR_E_NOMEM) return RFAIL(r, rc, "verifying: %s", rpr_strerror(rc));
    if (!why) return 0;
    if (rpr_catalog_note(&r->cat, off, "%s at offset 0x%" PRIx64 ": %s", what, off, why))
        return RFAIL(r, RPR_E_NOMEM, "out of memory");
    return RPR_E_CORRUPT;
}

int rpr_reader_verify(struct rpr_reader *r)
{
    if (r->verified) return r->verify_rc;
    size_t before = r->cat.n_damage;
    int rc = 0, e;
    char what[96];
    for (size_t i = 0; i < r->cat.n_streams; i++) {
        const struct rpr_cat_stream *s = &r->cat.streams[i];
        for (size_t j = 0; j < s->n_frames; j++) {
            const struct rpr_cat_frame *f = &s->frames[j];
            snprintf(what, sizeof what, "frame %" PRIu32 " of stream %" PRIu32, f->seq, s->id);
            e = verify_chunk(r, f->off, RPR_CH_FRAME, s->id, f->seq, f->stored, f->raw, what);
            if (e == RPR_E_IO || e == RPR_E_NOMEM) return e;
            if (e && !rc) rc = e;
        }
    }
    for (size_t i = 0; i < r->cat.n_blobs; i++) {
        const struct rpr_cat_blob *b = &r->cat.blobs[i];
        char hx[33];
        hex16(hx, b->hash);
        snprintf(what, sizeof what, "blob %s", hx);
        e = verify_chunk(r, b->off, RPR_CH_BLOB, 0, 0, b->stored, b->raw, what);
        if (e == RPR_E_IO || e == RPR_E_NOMEM) return e;
        if (e && !rc) rc = e;
    }
    if ((e = format_damage(r, before))) return e;
    if (rc) RFAIL(r, rc, "%s", r->cat.damage[before].msg);
    r->verified = true;
    return r->verify_rc = rc;
}

size_t rpr_reader_stream_count(const struct rpr_reader *r)
{
    return r->cat.n_streams;
}

int rpr_reader_find_stream(const struct rpr_reader *r, uint32_t id)
{
    size_t lo = 0, hi = r->cat.n_streams;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->cat.streams[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < r->cat.n_streams && r->cat.streams[lo].id == id ? (int)lo : RPR_E_NOTFOUND;
}

int rpr_reader_stream(const struct rpr_reader *r, size_t i, struct rpr_stream_info *o)
{
    if (i >= r->cat.n_streams) return RPR_E_NOTFOUND;
    const struct rpr_cat_stream *s = &r->cat.streams[i];
    memset(o, 0, sizeof *o);
    o->id = s->id;
    o->parent = s->parent;
    o->fork_icount = s->fork_icount;
    o->program = s->have_begin && s->program && *s->program ? s->program : NULL;
    o->frames = s->n_frames;
    o->ended = s->have_summary && s->ended;
    bool complete = true;
    for (size_t j = 0; j < s->n_frames; j++) {
        o->events += s->frames[j].count;
        if (s->frames[j].seq != j) complete = false;
    }
    if (s->have_summary && s->sum_frames > s->n_frames) complete = false;
    o->complete = complete;
    if (s->n_frames) {
        o->first_icount = s->frames[0].first;
        o->last_icount = s->frames[s->n_frames - 1].last;
    }
    return 0;
}

/* ---- blobs ---- */

static const struct rpr_cat_blob *find_blob(const struct rpr_reader *r, const uint8_t hash[16])
{
    size_t lo = 0, hi = r->cat.n_blobs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp(r->cat.blobs[mid].hash, hash, 16);
        if (!c) return &r->cat.blobs[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}


int rpr_reader_blob_at(const struct rpr_reader *r, size_t i, uint8_t hash[16], uint64_t *len)
{
    if (i >= r->cat.n_blobs) return RPR_E_NOTFOUND;
    if (hash) memcpy(hash, r->cat.blobs[i].hash, 16);
    if (len) *len = r->cat.blobs[i].raw;
    return 0;
}

/* Fetches a blob with r's scratch state; errors go to msg. */
static int fetch_blob(struct rpr_reader *r, const uint8_t hash[16], uint64_t want_len,
                      void **data, size_t *len, char *msg, size_t msglen)
{
    char hx[33];
    hex16(hx, hash);
    const struct rpr_cat_blob *b = find_blob(r, hash);
    if (!b) return rfail(msg, msglen, RPR_E_NOTFOUND, r->name, "no blob %s", hx);
    if (want_len != UINT64_MAX && b->raw != want_len)
        return rfail(msg, msglen, RPR_E_CORRUPT, r->name,
                     "blob %s has %" PRIu32 " bytes, the event says %" PRIu64, hx, b->raw, want_len);
    if (b->off > r->src.size || RPR_CHUNK_HDR + (uint64_t)b->stored > r->src.size - b->off)
        return rfail(msg, msglen, RPR_E_TRUNCATED, r->name,
                     "blob %s at offset 0x%" PRIx64 ": truncated", hx, b->off);
    uint8_t hb[RPR_CHUNK_HDR];
    struct rpr_chunk h;
    int rc = rpr_src_read(&r->src, b->off, hb, sizeof hb);
    if (rc)
        return rfail(msg, msglen, rc == RPR_E_IO ? rc : RPR_E_CORRUPT, r->name,
                     "blob %s at offset 0x%" PRIx64 ": cannot read", hx, b->off);
    if (rpr_chunk_decode(hb, &h) || h.type != RPR_CH_BLOB || memcmp(h.hash, hash, 16) ||
        h.stored != b->stored || h.raw != b->raw)
        return rfail(msg, msglen, RPR_E_CORRUPT, r->name,
                     "blob %s at offset 0x%" PRIx64 ": bad header", hx, b->off);
    r->tmp.len = 0;
    if (rpr_buf_reserve(&r->tmp, (size_t)h.stored + 1))
        return rfail(msg, msglen, RPR_E_NOMEM, r->name, "out of memory");
    if ((rc = rpr_src_read(&r->src, b->off + RPR_CHUNK_HDR, r->tmp.p, h.stored)))
        return rfail(msg, msglen, rc == RPR_E_IO ? rc : RPR_E_TRUNCATED, r->name,
                     "blob %s at offset 0x%" PRIx64 ": truncated", hx, b->off);
    if (!RPR_CHECKSUM_OK(XXH64(r->tmp.p, h.stored, 0), h.payload_sum))
        return rfail(msg, msglen, RPR_E_CORRUPT, r->name,
                     "blob %s at offset 0x%" PRIx64 ": checksum mismatch", hx, b->off);
    if (h.codec == RPR_CODEC_ZSTD && !r->dctx && !(r->dctx = ZSTD_createDCtx()))
        return rfail(msg, msglen, RPR_E_NOMEM, r->name, "out of memory");
    struct rpr_buf out = { 0 };
    if (rpr_decompress(r->dctx, h.codec, r->tmp.p, h.stored, h.raw, &out)) {
        rpr_buf_free(&out);
        return rfail(msg, msglen, RPR_E_CORRUPT, r->name,
                     "blob %s at offset 0x%" PRIx64 ": does not decompress to %" PRIu32 " bytes",
                     hx, b->off, h.raw);
    }
    uint8_t check[16];
    rpr_blob_hash(out.p, out.len, check);
    if (!RPR_CHECKSUM_OK(memcmp(check, hash, 16), 0)) {
        rpr_buf_free(&out);
        return rfail(msg, msglen, RPR_E_CORRUPT, r->name,
                     "blob %s at offset 0x%" PRIx64 ": content does not match its hash", hx,
                     b->off);
    }
    if (!out.p && !(out.p = malloc(1))) return rfail(msg, msglen, RPR_E_NOMEM, r->name, "out of memory");
    *data = out.p;
    *len = out.len;
    return 0;
}

int rpr_reader_blob(struct rpr_reader *r, const uint8_t hash[16], void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    return fetch_blob(r, hash, UINT64_MAX, data, len, r->errmsg, sizeof r->errmsg);
}

/* ---- iteration ---- */

void rpr_filter_init(struct rpr_filter *f)
{
    memset(f, 0, sizeof *f);
    f->to = UINT64_MAX;
}

void rpr_filter_kind(struct rpr_filter *f, unsigned kind)
{
    if (kind < 256) f->kinds[kind >> 6] |= 1ull << (kind & 63);
}

static bool kind_wanted(const struct rpr_filter *f, unsigned kind)
{
    if (!(f->kinds[0] | f->kinds[1] | f->kinds[2] | f->kinds[3])) return true;
    return kind < 256 && (f->kinds[kind >> 6] >> (kind & 63) & 1);
}

int rpr_iter_open(struct rpr_reader *r, uint32_t id, const struct rpr_filter *f,
                  struct rpr_iter **out)
{
    *out = NULL;
    int i = rpr_reader_find_stream(r, id);
    if (i < 0) return RFAIL(r, RPR_E_NOTFOUND, "no stream %" PRIu32, id);
    struct rpr_iter *it = calloc(1, sizeof *it);
    if (!it) return RFAIL(r, RPR_E_NOMEM, "out of memory");
    it->r = r;
    it->s = &r->cat.streams[i];
    if (f) it->f = *f;
    else rpr_filter_init(&it->f);
    /* The first frame that can hold events at or after from. */
    size_t lo = 0, hi = it->s->n_frames;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (it->s->frames[mid].last < it->f.from) lo = mid + 1;
        else hi = mid;
    }
    it->fi = lo;
    *out = it;
    return 0;
}

static void iter_reset_event(struct rpr_iter *it)
{
    rpr_arena_reset(&it->ar);
    for (size_t i = 0; i < it->n_blobs; i++) free(it->blobs[i]);
    it->n_blobs = 0;
}

void rpr_iter_close(struct rpr_iter *it)
{
    if (!it) return;
    iter_reset_event(it);
    rpr_arena_free(&it->ar);
    free(it->blobs);
    rpr_buf_free(&it->stored);
    rpr_buf_free(&it->raw);
    ZSTD_freeDCtx(it->dctx);
    free(it);
}

#define FRAME_FMT "frame %" PRIu32 " of stream %" PRIu32 " at offset 0x%" PRIx64
#define FRAME_ARGS(f, s) (f)->seq, (s)->id, (f)->off

static int load_frame(struct rpr_iter *it)
{
    const struct rpr_cat_stream *s = it->s;
    const struct rpr_cat_frame *f = &s->frames[it->fi];
    uint32_t want = it->fi ? s->frames[it->fi - 1].seq + 1 : 0;
    if (f->seq != want) {
        const char *more = it->r->cat.n_damage ? it->r->damage_msgs[0] : NULL;
        return IFAIL(it, RPR_E_TRUNCATED, "stream %" PRIu32 ": frame %" PRIu32 " is missing%s%s%s",
                     s->id, want, more ? " (" : "", more ? more : "", more ? ")" : "");
    }
    uint8_t hb[RPR_CHUNK_HDR];
    struct rpr_chunk h;
    int rc = rpr_src_read(&it->r->src, f->off, hb, sizeof hb);
    if (rc)
        return IFAIL(it, rc == RPR_E_IO ? rc : RPR_E_TRUNCATED, FRAME_FMT ": cannot read the header",
                     FRAME_ARGS(f, s));
    if (rpr_chunk_decode(hb, &h))
        return IFAIL(it, RPR_E_CORRUPT, FRAME_FMT ": bad header", FRAME_ARGS(f, s));
    if (h.type != RPR_CH_FRAME || h.stream != s->id || h.seq != f->seq || h.count != f->count ||
        h.a != f->first || h.b != f->last || h.stored != f->stored || h.raw != f->raw ||
        !h.count || !h.raw || h.raw > RPR_FRAME_MAX_RAW || h.a > h.b)
        return IFAIL(it, RPR_E_CORRUPT, FRAME_FMT ": header does not match the index",
                     FRAME_ARGS(f, s));
    if (f->off > it->r->src.size ||
        RPR_CHUNK_HDR + (uint64_t)h.stored > it->r->src.size - f->off)
        return IFAIL(it, RPR_E_TRUNCATED, FRAME_FMT ": truncated", FRAME_ARGS(f, s));
    it->stored.len = 0;
    if (rpr_buf_reserve(&it->stored, (size_t)h.stored + 1))
        return IFAIL(it, RPR_E_NOMEM, "out of memory");
    if ((rc = rpr_src_read(&it->r->src, f->off + RPR_CHUNK_HDR, it->stored.p, h.stored)))
        return IFAIL(it, rc == RPR_E_IO ? rc : RPR_E_TRUNCATED, FRAME_FMT ": truncated",
                     FRAME_ARGS(f, s));
    if (!RPR_CHECKSUM_OK(XXH64(it->stored.p, h.stored, 0), h.payload_sum))
        return IFAIL(it, RPR_E_CORRUPT, FRAME_FMT ": checksum mismatch", FRAME_ARGS(f, s));
    if (h.codec == RPR_CODEC_ZSTD && !it->dctx && !(it->dctx = ZSTD_createDCtx()))
        return IFAIL(it, RPR_E_NOMEM, "out of memory");
    if (rpr_decompress(it->dctx, h.codec, it->stored.p, h.stored, h.raw, &it->raw))
        return IFAIL(it, RPR_E_CORRUPT, FRAME_FMT ": does not decompress to %" PRIu32 " bytes",
                     FRAME_ARGS(f, s), h.raw);
    it->p = it->raw.p;
    it->end = it->raw.p + it->raw.len;
    it->left = h.count;
    it->index = 0;
    it->d = (struct rpr_delta){ 0 };
    it->loaded = true;
    return 0;
}

/* Resolves the blob-stored arrays of the current event. */
static int resolve_data(struct rpr_iter *it, struct rpr_data *d)
{
    if (!d->blob || d->data) return 0;
    void *data;
    size_t len;
    int rc = fetch_blob(it->r, d->hash, d->len, &data, &len, it->errmsg, sizeof it->errmsg);
    if (rc) return it->err = rc;
    if (it->n_blobs == it->cap_blobs) {
        size_t cap = it->cap_blobs ? 2 * it->cap_blobs : 4;
        void **p = realloc(it->blobs, cap * sizeof *p);
        if (!p) {
            free(data);
            return IFAIL(it, RPR_E_NOMEM, "out of memory");
        }
        it->blobs = p;
        it->cap_blobs = cap;
    }
    it->blobs[it->n_blobs++] = data;
    d->data = data;
    return 0;
}

static int resolve_blobs(struct rpr_iter *it)
{
    const struct rpr_kind_info *k = rpr_kind_info(it->ev.kind);
    if (!k) return 0;
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct rpr_field_info *f = &k->fields[i];
        void *p = (char *)&it->ev + f->offset;
        int rc = 0;
        if (f->type == RPR_T_DATA || f->type == RPR_T_BLOB) {
            rc = resolve_data(it, p);
        } else if (f->type == RPR_T_WRITES) {
            struct rpr_mem_writes *w = p;
            for (size_t j = 0; j < w->n && !rc; j++)
                rc = resolve_data(it, (struct rpr_data *)&w->v[j].bytes);
        }
        if (rc) return rc;
    }
    return 0;
}

int rpr_iter_next(struct rpr_iter *it, const struct rpr_event **ev)
{
    *ev = NULL;
    for (;;) {
        if (it->err) return it->err;
        const struct rpr_cat_stream *s = it->s;
        if (!it->loaded) {
            if (it->fi >= s->n_frames) {
                if (s->have_summary && s->sum_frames > s->n_frames) {
                    const char *more = it->r->cat.n_damage ? it->r->damage_msgs[0] : NULL;
                    return IFAIL(it, RPR_E_TRUNCATED,
                                 "stream %" PRIu32 ": frames %zu to %" PRIu64 " are missing%s%s%s",
                                 s->id, s->n_frames, s->sum_frames - 1, more ? " (" : "",
                                 more ? more : "", more ? ")" : "");
                }
                return RPR_END;
            }
            if (s->frames[it->fi].first > it->f.to) return RPR_END;
            int rc = load_frame(it);
            if (rc) return rc;
        }
        const struct rpr_cat_frame *f = &s->frames[it->fi];
        if (!it->left) {
            if (it->p != it->end)
                return IFAIL(it, RPR_E_CORRUPT, FRAME_FMT ": %zu bytes after the last record",
                             FRAME_ARGS(f, s), (size_t)(it->end - it->p));
            it->loaded = false;
            it->fi++;
            continue;
        }
        unsigned kind;
        const uint8_t *payload;
        size_t plen;
        struct rpr_point at;
        uint64_t rec_off = (uint64_t)(it->p - it->raw.p);
        if (rpr_record_parse(&it->p, it->end, &it->d, &kind, &at, &payload, &plen))
            return IFAIL(it, RPR_E_CORRUPT, FRAME_FMT ": malformed record %" PRIu32 " at byte %" PRIu64,
                         FRAME_ARGS(f, s), it->index, rec_off);
        it->left--;
        bool first = it->index++ == 0;
        if ((first && at.icount != f->first) || (!it->left && at.icount != f->last) ||
            (it->have_prev && at.icount < it->prev_icount))
            return IFAIL(it, RPR_E_CORRUPT, FRAME_FMT ": record %" PRIu32 " has icount %" PRIu64
                         " out of order", FRAME_ARGS(f, s), it->index - 1, at.icount);
        it->have_prev = true;
        it->prev_icount = at.icount;
        if (at.icount > it->f.to) {
            it->fi = s->n_frames;   /* done */
            it->loaded = false;
            it->left = 0;
            return RPR_END;
        }
        if (at.icount < it->f.from || !kind_wanted(&it->f, kind)) continue;
        iter_reset_event(it);
        it->ev.kind = kind;
        it->ev.at = at;
        it->ev.payload = payload;
        it->ev.payload_len = plen;
        if (rpr_payload_decode(kind, payload, plen, &it->ev, &it->ar))
            return IFAIL(it, RPR_E_CORRUPT, FRAME_FMT ": malformed payload in record %" PRIu32,
                         FRAME_ARGS(f, s), it->index - 1);
        if (!(it->f.flags & RPR_ITER_NO_BLOBS) && resolve_blobs(it)) return it->err;
        *ev = &it->ev;
        return RPR_OK;
    }
}

/* ---- per-stream statistics ---- */

static int compute_stats(struct rpr_reader *r, struct rpr_cat_stream *s)
{
    if (s->stats_known) return 0;
    uint64_t *counts = calloc(256, sizeof *counts);
    struct rpr_digest *dg = NULL;
    size_t n = 0, cap = 0;
    if (!counts) return RFAIL(r, RPR_E_NOMEM, "out of memory");
    struct rpr_iter *it;
    int rc = rpr_iter_open(r, s->id, NULL, &it);
    if (rc) {
        free(counts);
        return rc;
    }
    it->f.flags = RPR_ITER_NO_BLOBS;
    const struct rpr_event *ev;
    while ((rc = rpr_iter_next(it, &ev)) == RPR_OK) {
        counts[ev->kind]++;
        if (ev->kind != RPR_EV_DIGEST) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            struct rpr_digest *p = realloc(dg, cap * sizeof *p);
            if (!p) {
                rc = RFAIL(r, RPR_E_NOMEM, "out of memory");
                break;
            }
            dg = p;
        }
        dg[n++] = (struct rpr_digest){ ev->at, ev->u.digest.digest };
    }
    if (rc < 0 && rc != RPR_E_NOMEM) snprintf(r->errmsg, sizeof r->errmsg, "%s", it->errmsg);
    rpr_iter_close(it);
    free(s->counts);
    free(s->digests);
    s->counts = counts;
    s->digests = dg;
    s->n_digests = n;
    /* Partial counts after damage are kept but recomputed next time. */
    s->stats_known = rc == RPR_END;
    return rc == RPR_END ? 0 : rc;
}

int rpr_reader_stream_counts(struct rpr_reader *r, uint32_t id, uint64_t counts[256])
{
    memset(counts, 0, 256 * sizeof *counts);
    int i = rpr_reader_find_stream(r, id);
    if (i < 0) return RFAIL(r, RPR_E_NOTFOUND, "no stream %" PRIu32, id);
    struct rpr_cat_stream *s = &r->cat.streams[i];
    int rc = compute_stats(r, s);
    if (s->counts) memcpy(counts, s->counts, 256 * sizeof *counts);
    return rc;
}

int rpr_reader_digests(struct rpr_reader *r, uint32_t id, const struct rpr_digest **v, size_t *n)
{
    *v = NULL;
    *n = 0;
    int i = rpr_reader_find_stream(r, id);
    if (i < 0) return RFAIL(r, RPR_E_NOTFOUND, "no stream %" PRIu32, id);
    struct rpr_cat_stream *s = &r->cat.streams[i];
    int rc = compute_stats(r, s);
    *v = s->digests;
    *n = s->n_digests;
    return rc;
}
