/*
 * log_internal.h - what the writer and the reader of the recording file
 * share: byte layout constants, varints, growable buffers, event record
 * encoding, and the catalog (the index of a file: streams, frames, blobs),
 * which the reader builds by scanning or by decoding the footer and the
 * last writer builds by scanning to write the footer. docs/log-format.md
 * is the specification; this file implements it.
 */
#ifndef REPRISE_STORE_LOG_INTERNAL_H
#define REPRISE_STORE_LOG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"

/* XXH64_state_t on the stack (the header and library come together). */
#define XXH_STATIC_LINKING_ONLY

/* ---- layout (docs/log-format.md) ---- */

#define RPR_FILE_MAGIC "\x89RPR\r\n\x1a\n"
#define RPR_FILE_HDR 32u                 /* fixed file header before the metadata */
#define RPR_META_MAX (16u << 20)         /* metadata JSON at most */

#define RPR_CHUNK_MAGIC "RPRC"
#define RPR_CHUNK_HDR 64u

enum rpr_chunk_type {
    RPR_CH_FRAME = 1,    /* event records of one stream */
    RPR_CH_BLOB = 2,     /* one blob */
    RPR_CH_STREAM = 3,   /* a stream's description (parent, fork point, program) */
    RPR_CH_SUMMARY = 4,  /* a stream's summary (events by kind, digests) */
    RPR_CH_INDEX = 5,    /* footer index */
    RPR_CH_TRAILER = 6,  /* footer trailer: where the index is; last chunk of a clean file */
};

enum rpr_codec { RPR_CODEC_NONE = 0, RPR_CODEC_ZSTD = 1 };

#define RPR_FRAME_MAX_RAW (64u << 20)     /* uncompressed event frame, at most */
#define RPR_SMALL_MAX_RAW (256u << 20)    /* stream / summary / index chunk, at most */
#define RPR_INLINE_MAX (64u << 10)        /* a byte array stored in a record, at most */
#define RPR_INLINE_RECORD_MAX (256u << 10)/* inline bytes of one record, at most */
#define RPR_TRAILER_PAYLOAD 16u

/* A decoded chunk header. For blobs, a/b hold the hash (bytes 16-31). */
struct rpr_chunk {
    uint8_t type, codec;
    uint16_t flags;
    uint32_t stream, seq;
    uint64_t a, b;          /* FRAME: first and last icount */
    uint8_t hash[16];       /* BLOB: bytes 16-31 */
    uint32_t count, stored, raw;
    uint64_t payload_sum;
};

/* Encodes h into 64 bytes, computing the header checksum (payload_sum must
 * be set). */
void rpr_chunk_encode(const struct rpr_chunk *h, uint8_t out[RPR_CHUNK_HDR]);
/* Decodes and checks magic and header checksum: 0 or -1. */
int rpr_chunk_decode(const uint8_t in[RPR_CHUNK_HDR], struct rpr_chunk *h);

static inline void rpr_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void rpr_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void rpr_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t rpr_rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t rpr_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rpr_rd64(const uint8_t *p)
{
    return (uint64_t)rpr_rd32(p) | (uint64_t)rpr_rd32(p + 4) << 32;
}

/* ---- varints: unsigned LEB128, at most 10 bytes, canonical ---- */

#define RPR_VARINT_MAX 10

static inline size_t rpr_varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Decodes a varint at *pp (not past end): 0 and advances *pp, or -1 when
 * truncated, longer than 10 bytes, above 2^64-1 or overlong (a final 0x00
 * byte after the first: each value has one encoding). */
static inline int rpr_varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int i = 0; i < RPR_VARINT_MAX; i++) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        if (i == RPR_VARINT_MAX - 1 && b > 1) return -1;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (b == 0 && i > 0) return -1;
            *out = v;
            *pp = p;
            return 0;
        }
    }
    return -1;
}

/* Zigzag: signed deltas as small unsigned numbers (0, -1, 1, -2 -> 0 1 2 3). */
static inline uint64_t rpr_zz(uint64_t d) { return (d << 1) ^ (0 - (d >> 63)); }
static inline uint64_t rpr_unzz(uint64_t u) { return (u >> 1) ^ (0 - (u & 1)); }

/* ---- growable buffer ---- */

struct rpr_buf {
    uint8_t *p;
    size_t len, cap;
};

int rpr_buf_grow(struct rpr_buf *b, size_t more);   /* 0 or -1 (ENOMEM) */
static inline int rpr_buf_reserve(struct rpr_buf *b, size_t more)
{
    return b->cap - b->len >= more ? 0 : rpr_buf_grow(b, more);
}
static inline int rpr_buf_put(struct rpr_buf *b, const void *data, size_t n)
{
    if (rpr_buf_reserve(b, n)) return -1;
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}
static inline int rpr_buf_varint(struct rpr_buf *b, uint64_t v)
{
    if (rpr_buf_reserve(b, RPR_VARINT_MAX)) return -1;
    b->len += rpr_varint_put(b->p + b->len, v);
    return 0;
}
static inline int rpr_buf_str(struct rpr_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return rpr_buf_varint(b, n) || rpr_buf_put(b, s, n) ? -1 : 0;
}
void rpr_buf_free(struct rpr_buf *b);

/* ---- event records ---- */

/* Delta state of a frame's records; all zero at the start of a frame. */
struct rpr_delta {
    uint64_t icount, tid, tdiff, pc;
};

/* Appends the record header (kind, deltas of at, payload length) to b and
 * updates d. */
int rpr_record_head(struct rpr_buf *b, struct rpr_delta *d, unsigned kind,
                    const struct rpr_point *at, size_t payload_len);

/* Decodes one record header at *pp: kind, point (updating d), payload
 * bounds. 0 or -1 (malformed). */
int rpr_record_parse(const uint8_t **pp, const uint8_t *end, struct rpr_delta *d,
                     unsigned *kind, struct rpr_point *at, const uint8_t **payload,
                     size_t *payload_len);

/* A bump allocator whose allocations stay valid until reset. */
struct rpr_arena {
    struct rpr_arena_block *head;
};
void *rpr_arena_alloc(struct rpr_arena *a, size_t n);
void rpr_arena_reset(struct rpr_arena *a);   /* frees all but one small block */
void rpr_arena_free(struct rpr_arena *a);

/* Decodes the payload of a known kind into ev->u (fields missing at the
 * end read as zero; unknown trailing bytes are ignored). Strings and
 * arrays are allocated from ar or point into the payload. Blob references
 * are left with data NULL. 0 or -1 (malformed). */
int rpr_payload_decode(unsigned kind, const uint8_t *p, size_t len, struct rpr_event *ev,
                       struct rpr_arena *ar);

/* ---- catalog: the index of a file ---- */

struct rpr_cat_frame {
    uint64_t off;         /* chunk offset */
    uint32_t seq, count;
    uint64_t first, last; /* icount of first and last record */
    uint32_t stored, raw;
};

struct rpr_cat_stream {
    uint32_t id, parent;
    uint64_t fork_icount;
    char *program;
    bool have_begin, have_summary, ended;
    struct rpr_cat_frame *frames;
    size_t n_frames, cap_frames;
    /* summary: what the writer counted */
    uint64_t sum_frames, sum_events, sum_last;
    uint64_t *counts;         /* 256 entries when have_summary (or computed) */
    struct rpr_digest *digests;
    size_t n_digests;
    bool stats_known;         /* counts and digests valid (from summary or decoding) */
};

struct rpr_cat_blob {
    uint8_t hash[16];
    uint64_t off;
    uint32_t stored, raw;
};

struct rpr_cat_damage {
    uint64_t off;
    char *msg;            /* without the file name */
};

struct rpr_catalog {
    struct rpr_cat_stream *streams;
    size_t n_streams, cap_streams;
    struct rpr_cat_blob *blobs;
    size_t n_blobs, cap_blobs;
    struct rpr_cat_damage *damage;
    size_t n_damage, cap_damage;
    uint64_t data_end;
};

/* Where a scan reads from: a file descriptor (pread) or memory. */
struct rpr_src {
    int fd;
    const uint8_t *mem;
    uint64_t size;
};
/* Reads exactly len bytes at off: 0, RPR_E_TRUNCATED (past the end) or RPR_E_IO. */
int rpr_src_read(const struct rpr_src *s, uint64_t off, void *buf, size_t len);

/* XXH64 (seed 0) of len bytes at off, read through tmp in pieces: 0,
 * RPR_E_TRUNCATED, RPR_E_IO or RPR_E_NOMEM. */
int rpr_checksum_region(const struct rpr_src *s, uint64_t off, uint64_t len, uint64_t *sum,
                        struct rpr_buf *tmp);

/* Builds c by scanning the chunks in [start, s->size): every chunk whose
 * header and payload checksums hold is cataloged; damaged bytes are
 * skipped by resynchronizing on the next valid chunk header and noted.
 * Returns 0 or RPR_E_NOMEM / RPR_E_IO. */
int rpr_scan(const struct rpr_src *s, uint64_t start, struct rpr_catalog *c);

/* Sorts streams by id, frames by seq (dropping duplicates), blobs by hash. */
void rpr_catalog_finish(struct rpr_catalog *c);
void rpr_catalog_free(struct rpr_catalog *c);
struct rpr_cat_stream *rpr_catalog_stream(struct rpr_catalog *c, uint32_t id, bool create);
int rpr_catalog_note(struct rpr_catalog *c, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Footer index payload <-> catalog. */
int rpr_index_encode(const struct rpr_catalog *c, struct rpr_buf *out);
int rpr_index_decode(const uint8_t *p, size_t len, struct rpr_catalog *c);

/* STREAM and SUMMARY chunk payloads. */
int rpr_stream_encode(struct rpr_buf *b, uint32_t id, uint32_t parent, uint64_t fork_icount,
                      const char *program);
int rpr_summary_encode(struct rpr_buf *b, uint32_t id, uint64_t frames, uint64_t events,
                       uint64_t last, bool ended, const uint64_t counts[256],
                       const struct rpr_digest *digests, size_t n_digests);

/* Decompresses a chunk payload into out (grown as output appears, never
 * beyond raw bytes): 0, or -1 when the payload does not decompress to
 * exactly raw bytes. dctx is a ZSTD_DCtx *. */
int rpr_decompress(void *dctx, uint8_t codec, const uint8_t *in, size_t stored, size_t raw,
                   struct rpr_buf *out);

/* Whether checksums are verified (off only in fuzzing builds, so that the
 * fuzzer reaches the decoders behind them). */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define RPR_CHECKSUM_OK(a, b) ((void)(a), (void)(b), 1)
#else
#define RPR_CHECKSUM_OK(a, b) ((a) == (b))
#endif

#endif
