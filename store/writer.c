/*
 * writer.c - writes a recording: header, event frames per stream, blobs,
 * stream descriptions and summaries, and the footer index at clean close.
 *
 * Crash safety and process trees: the file is opened O_APPEND and every
 * chunk (header + payload) goes out in a single write(), so chunks of
 * concurrent writer processes (forked guests sharing the file) never
 * interleave, and a crash loses at most what was not yet written. The last
 * writer process to close builds the footer by scanning the file.
 *
 * Compression runs on a writer thread by default (the caller only encodes
 * records into the open frame); rpr_writer_options.sync does it inline.
 */
#include "log_internal.h"
#include "reprise_version.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#define DEFAULT_FRAME_SIZE (256u << 10)
#define DEFAULT_FRAME_NS 1000000000ull
#define DEFAULT_LEVEL 3
#define MAX_LEVEL 19                 /* keeps the window within what readers accept */
#define RPR_BLOB_MAX 0x7ff00000u     /* a blob goes out in one write() (Linux: < 2 GiB) */
#define QUEUE_BYTES (32u << 20)      /* raw bytes waiting for the writer thread, at most */

struct wstream {
    uint32_t id;
    bool begun, ended, has_events;
    struct rpr_buf raw;          /* records of the open frame */
    uint32_t count, seq;         /* records in the open frame; its sequence number */
    uint64_t first, last;        /* icount of its first and last record */
    uint64_t opened_ns;
    struct rpr_delta d;
    uint64_t last_icount, events;
    uint64_t counts[256];
    struct rpr_digest *digests;
    size_t n_digests, cap_digests;
};

/* A chunk waiting to be compressed and written. */
struct job {
    struct job *next;
    struct rpr_chunk h;      /* type, stream, seq, a, b, hash, count */
    const uint8_t *data;
    size_t len, cap;         /* cap: allocated size of an owned frame buffer */
    bool owned, compress;
};

/* Shared by all writer processes of the file (MAP_SHARED, survives fork). */
struct wshared {
    atomic_long live;        /* writer processes that have not closed */
};

struct rpr_writer {
    char *path;
    int fd;
    struct rpr_writer_options opt;
    uint64_t data_start;
    struct wshared *shared;
    bool left;               /* left the live set (exec_prepare) */
    bool fork_locked;        /* fork_prepare took mu */

    struct wstream **streams;
    size_t n_streams, cap_streams;
    struct wstream *cache;
    struct rpr_buf scratch;

    /* blobs written: open addressing set of hashes */
    uint8_t (*bset)[16];
    uint8_t *bused;
    size_t bcap, bn;

    /* compression in the caller (sync) */
    ZSTD_CCtx *cctx;
    struct rpr_buf out;

    /* Held by every public function and by the writer thread when it closes
     * frames that have been open too long (lock order: amu, then mu). */
    pthread_mutex_t amu;
    bool worker_closing;     /* the writer thread is closing frames (under amu) */

    /* the writer thread */
    bool thread_running;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    struct job *qhead, *qtail;
    size_t qbytes;
    bool busy, stop;
    ZSTD_CCtx *tcctx;
    struct rpr_buf tout;
    struct rpr_buf spare[4]; /* frame buffers to reuse (under mu) */
    size_t n_spare;
    int async_err;           /* under mu */
    char async_msg[256];
    atomic_int async_flag;

    int err;                 /* sticky I/O error */
    char errmsg[512];

    uint64_t events, raw_bytes, blobs, blob_raw;
    atomic_uint_least64_t frames, stored_bytes, blob_stored;
};

/* Fresh synchronization objects (at creation, and in a forked child). */
static void sync_init(struct rpr_writer *w)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->amu, NULL);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv_work, &ca);
    pthread_cond_init(&w->cv_done, NULL);
    pthread_condattr_destroy(&ca);
}

static int fail(struct rpr_writer *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct rpr_writer *w, int code, const char *fmt, ...)
{
    int n = snprintf(w->errmsg, sizeof w->errmsg, "%s: ", w->path);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof w->errmsg)
        vsnprintf(w->errmsg + n, sizeof w->errmsg - (size_t)n, fmt, ap);
    va_end(ap);
    if (code == RPR_E_IO || code == RPR_E_NOMEM) w->err = code;
    return code;
}

const char *rpr_writer_errmsg(const struct rpr_writer *w)
{
    return w ? w->errmsg : "";
}

static uint64_t now_ns(const struct rpr_writer *w)
{
    if (w->opt.now_ns) return w->opt.now_ns(w->opt.now_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- writing chunks ---- */

/* One write() for the whole chunk: O_APPEND makes it atomic with respect
 * to the other writer processes. A short write is an error (a second
 * write could interleave). */
static int write_once(int fd, const void *p, size_t n)
{
    for (;;) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        return (size_t)r == n ? 0 : -ENOSPC;
    }
}

static int write_chunk(struct rpr_writer *w, ZSTD_CCtx **cctx, struct rpr_buf *out,
                       const struct job *j, char *msg, size_t msglen)
{
    struct rpr_chunk h = j->h;
    size_t stored = j->len;
    h.codec = RPR_CODEC_NONE;
    out->len = 0;
    if (j->compress && j->len >= 32) {
        size_t bound = ZSTD_compressBound(j->len);
        if (rpr_buf_reserve(out, RPR_CHUNK_HDR + bound)) goto nomem;
        if (!*cctx) {
            if (!(*cctx = ZSTD_createCCtx())) goto nomem;
            ZSTD_CCtx_setParameter(*cctx, ZSTD_c_compressionLevel, w->opt.level);
            ZSTD_CCtx_setParameter(*cctx, ZSTD_c_checksumFlag, 0);
        }
        size_t r = ZSTD_compress2(*cctx, out->p + RPR_CHUNK_HDR, bound, j->data, j->len);
        if (!ZSTD_isError(r) && r < j->len) {
            h.codec = RPR_CODEC_ZSTD;
            stored = r;
        }
    }
    if (h.codec == RPR_CODEC_NONE) {
        if (rpr_buf_reserve(out, RPR_CHUNK_HDR + j->len)) goto nomem;
        if (j->len) memcpy(out->p + RPR_CHUNK_HDR, j->data, j->len);
    }
    h.raw = (uint32_t)j->len;
    h.stored = (uint32_t)stored;
    h.payload_sum = XXH64(out->p + RPR_CHUNK_HDR, stored, 0);
    rpr_chunk_encode(&h, out->p);
    int rc = write_once(w->fd, out->p, RPR_CHUNK_HDR + stored);
    if (rc) {
        snprintf(msg, msglen, "writing a %zu-byte chunk: %s", RPR_CHUNK_HDR + stored,
                 rc == -ENOSPC ? "short write (disk full?)" : strerror(-rc));
        return RPR_E_IO;
    }
    if (h.type == RPR_CH_FRAME) {
        atomic_fetch_add(&w->frames, 1);
        atomic_fetch_add(&w->stored_bytes, RPR_CHUNK_HDR + stored);
    } else if (h.type == RPR_CH_BLOB) {
        atomic_fetch_add(&w->blob_stored, RPR_CHUNK_HDR + stored);
    }
    return 0;
nomem:
    snprintf(msg, msglen, "out of memory compressing a %zu-byte chunk", j->len);
    return RPR_E_NOMEM;
}

static void job_free(struct job *j)
{
    if (j->owned) free((void *)j->data);
    free(j);
}

static int close_frame(struct rpr_writer *w, struct wstream *s);

/* The writer thread's watchdog: frames open for frame_ns are closed even
 * when the caller appends nothing (the guest blocks in a host call), so a
 * crash loses at most that much. Skipped while the caller is inside the
 * writer (it checks the time itself then). */
static void age_frames(struct rpr_writer *w)
{
    if (pthread_mutex_trylock(&w->amu)) return;
    uint64_t now = now_ns(w);
    w->worker_closing = true;
    for (size_t i = 0; i < w->n_streams; i++) {
        struct wstream *s = w->streams[i];
        if (s->count && now - s->opened_ns >= w->opt.frame_ns) close_frame(w, s);
    }
    w->worker_closing = false;
    pthread_mutex_unlock(&w->amu);
}

static void deadline(struct timespec *ts, uint64_t ns)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ns += (uint64_t)ts->tv_nsec;
    ts->tv_sec += (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
}

static void *worker(void *arg)
{
    struct rpr_writer *w = arg;
    /* Check twice per frame_ns (at least every 10 ms, at most every 1 s). */
    uint64_t tick = w->opt.frame_ns / 2;
    if (tick < 10000000) tick = 10000000;
    if (tick > 1000000000) tick = 1000000000;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->qhead && !w->stop) {
            struct timespec ts;
            deadline(&ts, tick);
            if (pthread_cond_timedwait(&w->cv_work, &w->mu, &ts) == ETIMEDOUT) {
                pthread_mutex_unlock(&w->mu);
                age_frames(w);
                pthread_mutex_lock(&w->mu);
            }
        }
        if (!w->qhead) break;
        struct job *j = w->qhead;
        w->qhead = j->next;
        if (!w->qhead) w->qtail = NULL;
        w->busy = true;
        pthread_mutex_unlock(&w->mu);
        char msg[256];
        int rc = w->async_err ? 0 : write_chunk(w, &w->tcctx, &w->tout, j, msg, sizeof msg);
        pthread_mutex_lock(&w->mu);
        w->qbytes -= j->len;
        if (j->h.type == RPR_CH_FRAME && j->owned && j->cap && w->n_spare < 4) {
            /* Reused by close_frame: no fresh pages to fault in per frame. */
            w->spare[w->n_spare++] = (struct rpr_buf){ (uint8_t *)j->data, 0, j->cap };
            j->owned = false;
        }
        job_free(j);
        if (rc && !w->async_err) {
            w->async_err = rc;
            snprintf(w->async_msg, sizeof w->async_msg, "%s", msg);
            atomic_store(&w->async_flag, 1);
        }
        w->busy = false;
        pthread_cond_broadcast(&w->cv_done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Reports an error of the writer thread on the caller's side, once. */
static int check_async(struct rpr_writer *w)
{
    if (w->err) return w->err;
    if (!atomic_load_explicit(&w->async_flag, memory_order_relaxed)) return 0;
    pthread_mutex_lock(&w->mu);
    int rc = w->async_err;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", w->async_msg);
    pthread_mutex_unlock(&w->mu);
    return fail(w, rc, "%s", msg);
}

/* Hands a chunk to the writer thread (or writes it now in sync mode).
 * Takes ownership of data if owned. */
static int submit_cap(struct rpr_writer *w, const struct rpr_chunk *h, const void *data,
                      size_t len, size_t cap, bool owned, bool compress);

static int submit(struct rpr_writer *w, const struct rpr_chunk *h, const void *data, size_t len,
                  bool owned, bool compress)
{
    return submit_cap(w, h, data, len, 0, owned, compress);
}

/* A frame's buffer (cap bytes allocated) is reused once written. */
static int submit_frame(struct rpr_writer *w, const struct rpr_chunk *h, const void *data,
                        size_t len, size_t cap)
{
    return submit_cap(w, h, data, len, cap, true, true);
}

static int submit_cap(struct rpr_writer *w, const struct rpr_chunk *h, const void *data,
                      size_t len, size_t cap, bool owned, bool compress)
{
    int rc = check_async(w);
    if (rc) {
        if (owned) free((void *)data);
        return rc;
    }
    struct job jl = { NULL, *h, data, len, cap, owned, compress };
    if (w->opt.sync) {
        char msg[256];
        rc = write_chunk(w, &w->cctx, &w->out, &jl, msg, sizeof msg);
        if (owned && cap && w->n_spare < 4)
            w->spare[w->n_spare++] = (struct rpr_buf){ (uint8_t *)data, 0, cap };
        else if (owned)
            free((void *)data);
        return rc ? fail(w, rc, "%s", msg) : 0;
    }
    struct job *j = malloc(sizeof *j);
    if (!j) {
        if (owned) free((void *)data);
        return fail(w, RPR_E_NOMEM, "out of memory");
    }
    *j = jl;
    if (!owned && len) {
        void *copy = malloc(len);
        if (!copy) {
            free(j);
            return fail(w, RPR_E_NOMEM, "out of memory copying %zu bytes", len);
        }
        memcpy(copy, data, len);
        j->data = copy;
        j->owned = true;
    }
    pthread_mutex_lock(&w->mu);
    if (!w->thread_running) {
        w->stop = false;
        if (pthread_create(&w->thread, NULL, worker, w)) {
            pthread_mutex_unlock(&w->mu);
            job_free(j);
            return fail(w, RPR_E_IO, "cannot start the writer thread");
        }
        w->thread_running = true;
    }
    while (w->qbytes > QUEUE_BYTES && (w->qhead || w->busy) && !w->worker_closing)
        pthread_cond_wait(&w->cv_done, &w->mu);
    if (w->qtail) w->qtail->next = j;
    else w->qhead = j;
    w->qtail = j;
    w->qbytes += len;
    pthread_cond_signal(&w->cv_work);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* Waits until every submitted chunk is written. */
static int drain(struct rpr_writer *w)
{
    if (w->thread_running) {
        pthread_mutex_lock(&w->mu);
        while (w->qhead || w->busy) pthread_cond_wait(&w->cv_done, &w->mu);
        pthread_mutex_unlock(&w->mu);
    }
    return check_async(w);
}

static void stop_thread(struct rpr_writer *w)
{
    if (!w->thread_running) return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv_work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->thread_running = false;
}

/* ---- streams and frames ---- */

static struct wstream *find_stream(struct rpr_writer *w, uint32_t id)
{
    if (w->cache && w->cache->id == id) return w->cache;
    for (size_t i = 0; i < w->n_streams; i++)
        if (w->streams[i]->id == id) return w->cache = w->streams[i];
    return NULL;
}

static struct wstream *get_stream(struct rpr_writer *w, uint32_t id)
{
    struct wstream *s = find_stream(w, id);
    if (s) return s;
    if (w->n_streams == w->cap_streams) {
        size_t cap = w->cap_streams ? 2 * w->cap_streams : 4;
        struct wstream **p = realloc(w->streams, cap * sizeof *p);
        if (!p) return NULL;
        w->streams = p;
        w->cap_streams = cap;
    }
    if (!(s = calloc(1, sizeof *s))) return NULL;
    s->id = id;
    w->streams[w->n_streams++] = s;
    return w->cache = s;
}

static void stream_free(struct wstream *s)
{
    rpr_buf_free(&s->raw);
    free(s->digests);
    free(s);
}

static int close_frame(struct rpr_writer *w, struct wstream *s)
{
    if (!s->count) return 0;
    struct rpr_chunk h = { 0 };
    h.type = RPR_CH_FRAME;
    h.stream = s->id;
    h.seq = s->seq++;
    h.a = s->first;
    h.b = s->last;
    h.count = s->count;
    const uint8_t *data = s->raw.p;
    size_t len = s->raw.len, cap = s->raw.cap;
    s->raw = (struct rpr_buf){ 0 };
    if (w->thread_running) pthread_mutex_lock(&w->mu);
    if (w->n_spare) s->raw = w->spare[--w->n_spare];
    if (w->thread_running) pthread_mutex_unlock(&w->mu);
    s->count = 0;
    s->d = (struct rpr_delta){ 0 };
    w->raw_bytes += len;
    return submit_frame(w, &h, data, len, cap);
}

static int write_stream_chunk(struct rpr_writer *w, struct wstream *s, uint32_t parent,
                              uint64_t fork_icount, const char *program)
{
    struct rpr_buf b = { 0 };
    if (rpr_stream_encode(&b, s->id, parent, fork_icount, program)) {
        rpr_buf_free(&b);
        return fail(w, RPR_E_NOMEM, "out of memory");
    }
    struct rpr_chunk h = { 0 };
    h.type = RPR_CH_STREAM;
    h.stream = s->id;
    return submit(w, &h, b.p, b.len, true, false);
}

static int write_summary(struct rpr_writer *w, struct wstream *s, bool ended)
{
    struct rpr_buf b = { 0 };
    if (rpr_summary_encode(&b, s->id, s->seq, s->events, s->last_icount, ended, s->counts,
                           s->digests, s->n_digests)) {
        rpr_buf_free(&b);
        return fail(w, RPR_E_NOMEM, "out of memory");
    }
    struct rpr_chunk h = { 0 };
    h.type = RPR_CH_SUMMARY;
    h.stream = s->id;
    h.seq = s->seq;
    return submit(w, &h, b.p, b.len, true, true);
}

static int w_stream_begin(struct rpr_writer *w, uint32_t stream, uint32_t parent,
                          uint64_t fork_icount, const char *program)
{
    int rc = check_async(w);
    if (rc) return rc;
    struct wstream *s = get_stream(w, stream);
    if (!s) return fail(w, RPR_E_NOMEM, "out of memory");
    if (s->has_events || s->ended)
        return fail(w, RPR_E_INVAL, "stream %" PRIu32 " already has events", stream);
    s->begun = true;
    return write_stream_chunk(w, s, parent, fork_icount, program);
}

/* ---- blobs ---- */

static size_t bslot(const struct rpr_writer *w, const uint8_t hash[16])
{
    return (size_t)rpr_rd64(hash) & (w->bcap - 1);
}

static bool bset_has(const struct rpr_writer *w, const uint8_t hash[16])
{
    if (!w->bcap) return false;
    for (size_t i = bslot(w, hash);; i = (i + 1) & (w->bcap - 1)) {
        if (!w->bused[i]) return false;
        if (!memcmp(w->bset[i], hash, 16)) return true;
    }
}

static int bset_add(struct rpr_writer *w, const uint8_t hash[16])
{
    if (2 * (w->bn + 1) > w->bcap) {
        size_t cap = w->bcap ? 2 * w->bcap : 64;
        uint8_t (*set)[16] = calloc(cap, 16);
        uint8_t *used = calloc(cap, 1);
        if (!set || !used) {
            free(set);
            free(used);
            return -1;
        }
        uint8_t (*old)[16] = w->bset;
        uint8_t *oldused = w->bused;
        size_t oldcap = w->bcap;
        w->bset = set;
        w->bused = used;
        w->bcap = cap;
        for (size_t i = 0; i < oldcap; i++) {
            if (!oldused[i]) continue;
            size_t j = bslot(w, old[i]);
            while (w->bused[j]) j = (j + 1) & (cap - 1);
            memcpy(w->bset[j], old[i], 16);
            w->bused[j] = 1;
        }
        free(old);
        free(oldused);
    }
    size_t j = bslot(w, hash);
    while (w->bused[j]) j = (j + 1) & (w->bcap - 1);
    memcpy(w->bset[j], hash, 16);
    w->bused[j] = 1;
    w->bn++;
    return 0;
}

static int w_add_blob(struct rpr_writer *w, const void *data, size_t len, uint8_t hash[16])
{
    uint8_t h16[16];
    int rc = check_async(w);
    if (rc) return rc;
    if (!data && len) return fail(w, RPR_E_INVAL, "blob without data");
    if (len > RPR_BLOB_MAX)
        return fail(w, RPR_E_TOOBIG, "blob of %zu bytes exceeds the limit of %u", len,
                    RPR_BLOB_MAX);
    rpr_blob_hash(data, len, h16);
    if (hash) memcpy(hash, h16, 16);
    if (bset_has(w, h16)) return 0;
    struct rpr_chunk h = { 0 };
    h.type = RPR_CH_BLOB;
    memcpy(h.hash, h16, 16);
    if ((rc = submit(w, &h, data, len, false, true))) return rc;
    if (bset_add(w, h16)) return fail(w, RPR_E_NOMEM, "out of memory");
    w->blobs++;
    w->blob_raw += len;
    return 0;
}

/* ---- events ---- */

static int put_data(struct rpr_writer *w, struct rpr_buf *b, const struct rpr_data *d,
                    bool force_blob, size_t *inline_total)
{
    if (d->len > (UINT64_MAX >> 1)) return fail(w, RPR_E_TOOBIG, "array too long");
    bool blob = d->len && (force_blob || d->blob || d->len > RPR_INLINE_MAX ||
                           *inline_total + d->len > RPR_INLINE_RECORD_MAX);
    if (!blob) {
        if (d->len && !d->data) return fail(w, RPR_E_INVAL, "array without data");
        *inline_total += (size_t)d->len;
        if (rpr_buf_varint(b, d->len << 1) || rpr_buf_put(b, d->data, (size_t)d->len))
            return fail(w, RPR_E_NOMEM, "out of memory");
        return 0;
    }
    uint8_t hash[16];
    if (d->data) {
        if (d->len > SIZE_MAX) return fail(w, RPR_E_TOOBIG, "array too long");
        int rc = w_add_blob(w, d->data, (size_t)d->len, hash);
        if (rc) return rc;
    } else {
        /* A reference to a blob added before: it must be in this file. */
        memcpy(hash, d->hash, 16);
        if (!bset_has(w, hash))
            return fail(w, RPR_E_INVAL, "an event refers to a blob this writer has not stored");
    }
    if (rpr_buf_varint(b, d->len << 1 | 1) || rpr_buf_put(b, hash, 16))
        return fail(w, RPR_E_NOMEM, "out of memory");
    return 0;
}

static int encode_payload(struct rpr_writer *w, const struct rpr_kind_info *k,
                          const struct rpr_event *ev, struct rpr_buf *b)
{
    size_t inline_total = 0;
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct rpr_field_info *f = &k->fields[i];
        const void *src = (const char *)ev + f->offset;
        int e = 0, rc;
        switch (f->type) {
        case RPR_T_U: e = rpr_buf_varint(b, *(const uint64_t *)src); break;
        case RPR_T_I: e = rpr_buf_varint(b, rpr_zz((uint64_t) * (const int64_t *)src)); break;
        case RPR_T_STR: e = rpr_buf_str(b, *(const char *const *)src); break;
        case RPR_T_DATA:
        case RPR_T_BLOB:
            if ((rc = put_data(w, b, src, f->type == RPR_T_BLOB, &inline_total))) return rc;
            break;
        case RPR_T_WRITES: {
            const struct rpr_mem_writes *mw = src;
            if (mw->n && !mw->v) return fail(w, RPR_E_INVAL, "writes without array");
            e = rpr_buf_varint(b, mw->n);
            for (size_t j = 0; j < mw->n && !e; j++) {
                e = rpr_buf_varint(b, mw->v[j].addr);
                if (!e && (rc = put_data(w, b, &mw->v[j].bytes, false, &inline_total))) return rc;
            }
            break;
        }
        case RPR_T_SIGINFOS: {
            const struct rpr_siginfos *si = src;
            if (si->n && !si->v) return fail(w, RPR_E_INVAL, "siginfos without array");
            if (si->n > RPR_INLINE_RECORD_MAX / RPR_SIGINFO_SIZE)
                return fail(w, RPR_E_TOOBIG, "%zu siginfo records", si->n);
            e = rpr_buf_varint(b, si->n) || rpr_buf_put(b, si->v, si->n * RPR_SIGINFO_SIZE);
            break;
        }
        }
        if (e) return fail(w, RPR_E_NOMEM, "out of memory");
    }
    return 0;
}

static int append_record(struct rpr_writer *w, uint32_t stream, unsigned kind,
                         const struct rpr_point *at, const void *payload, size_t len)
{
    struct wstream *s = get_stream(w, stream);
    if (!s) return fail(w, RPR_E_NOMEM, "out of memory");
    if (s->ended) return fail(w, RPR_E_INVAL, "stream %" PRIu32 " has ended", stream);
    if (s->has_events && at->icount < s->last_icount)
        return fail(w, RPR_E_INVAL,
                    "stream %" PRIu32 ": icount %" PRIu64 " is below the previous event's %" PRIu64,
                    stream, at->icount, s->last_icount);
    if (len > RPR_FRAME_MAX_RAW / 2)
        return fail(w, RPR_E_TOOBIG, "a %zu-byte record", len);
    int rc;
    if (!s->begun) {
        s->begun = true;
        if ((rc = write_stream_chunk(w, s, 0, 0, NULL))) return rc;
    }
    if (!s->count) {
        if (rpr_buf_reserve(&s->raw, w->opt.frame_size + 64))
            return fail(w, RPR_E_NOMEM, "out of memory");
        s->first = at->icount;
        s->opened_ns = now_ns(w);
    }
    if (rpr_record_head(&s->raw, &s->d, kind, at, len) || rpr_buf_put(&s->raw, payload, len))
        return fail(w, RPR_E_NOMEM, "out of memory");
    s->count++;
    s->last = s->last_icount = at->icount;
    s->has_events = true;
    s->events++;
    s->counts[kind & 255]++;
    w->events++;
    if (s->raw.len >= w->opt.frame_size || s->count == UINT32_MAX ||
        now_ns(w) - s->opened_ns >= w->opt.frame_ns)
        return close_frame(w, s);
    return 0;
}

static int w_append(struct rpr_writer *w, uint32_t stream, const struct rpr_event *ev)
{
    int rc = check_async(w);
    if (rc) return rc;
    const struct rpr_kind_info *k = rpr_kind_info(ev->kind);
    if (!k) return fail(w, RPR_E_INVAL, "unknown event kind %u", ev->kind);
    w->scratch.len = 0;
    if ((rc = encode_payload(w, k, ev, &w->scratch))) return rc;
    if ((rc = append_record(w, stream, ev->kind, &ev->at, w->scratch.p, w->scratch.len)))
        return rc;
    if (ev->kind == RPR_EV_DIGEST) {
        struct wstream *s = find_stream(w, stream);
        if (s->n_digests == s->cap_digests) {
            size_t cap = s->cap_digests ? 2 * s->cap_digests : 16;
            struct rpr_digest *p = realloc(s->digests, cap * sizeof *p);
            if (!p) return fail(w, RPR_E_NOMEM, "out of memory");
            s->digests = p;
            s->cap_digests = cap;
        }
        s->digests[s->n_digests++] = (struct rpr_digest){ ev->at, ev->u.digest.digest };
    }
    return 0;
}

static int w_append_raw(struct rpr_writer *w, uint32_t stream, unsigned kind,
                        const struct rpr_point *at, const void *payload, size_t len)
{
    int rc = check_async(w);
    if (rc) return rc;
    if (kind < 1 || kind > 255) return fail(w, RPR_E_INVAL, "event kind %u out of range", kind);
    if (len && !payload) return fail(w, RPR_E_INVAL, "payload without data");
    return append_record(w, stream, kind, at, payload, len);
}

static int w_add_digest(struct rpr_writer *w, uint32_t stream, const struct rpr_point *at,
                        uint64_t digest)
{
    struct rpr_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = RPR_EV_DIGEST;
    ev.at = *at;
    ev.u.digest.digest = digest;
    return w_append(w, stream, &ev);
}

static int w_stream_end(struct rpr_writer *w, uint32_t stream)
{
    int rc = check_async(w);
    if (rc) return rc;
    struct wstream *s = find_stream(w, stream);
    if (!s) return fail(w, RPR_E_NOTFOUND, "no stream %" PRIu32, stream);
    if (s->ended) return 0;
    if ((rc = close_frame(w, s)) || (rc = write_summary(w, s, true))) return rc;
    s->ended = true;
    return 0;
}

static int w_poll(struct rpr_writer *w)
{
    int rc = check_async(w);
    if (rc) return rc;
    uint64_t now = now_ns(w);
    for (size_t i = 0; i < w->n_streams; i++) {
        struct wstream *s = w->streams[i];
        if (s->count && now - s->opened_ns >= w->opt.frame_ns && (rc = close_frame(w, s)))
            return rc;
    }
    return 0;
}

static int w_flush(struct rpr_writer *w)
{
    int rc = check_async(w);
    if (rc) return rc;
    for (size_t i = 0; i < w->n_streams; i++)
        if ((rc = close_frame(w, w->streams[i]))) return rc;
    return drain(w);
}

void rpr_writer_stats(const struct rpr_writer *w, struct rpr_writer_stats *st)
{
    struct rpr_writer *m = (struct rpr_writer *)w;
    pthread_mutex_lock(&m->amu);
    st->events = w->events;
    st->frames = atomic_load(&m->frames);
    st->raw_bytes = w->raw_bytes;
    for (size_t i = 0; i < w->n_streams; i++) st->raw_bytes += w->streams[i]->raw.len;
    st->stored_bytes = atomic_load(&m->stored_bytes);
    st->blobs = w->blobs;
    st->blob_raw = w->blob_raw;
    st->blob_stored = atomic_load(&m->blob_stored);
    pthread_mutex_unlock(&m->amu);
}

/* ---- metadata and creation ---- */

static void meta_host(json_t *m)
{
    if (!json_object_get(m, "reprise_version"))
        json_object_set_new(m, "reprise_version", json_string(REPRISE_VERSION));
    if (!json_object_get(m, "host")) {
        json_t *h = json_object();
        struct utsname u;
        if (!uname(&u)) {
            json_object_set_new(h, "system", json_string(u.sysname));
            json_object_set_new(h, "release", json_string(u.release));
            json_object_set_new(h, "version", json_string(u.version));
            json_object_set_new(h, "machine", json_string(u.machine));
        }
        FILE *f = fopen("/proc/cpuinfo", "r");
        if (f) {
            char line[512];
            while (fgets(line, sizeof line, f)) {
                if (strncmp(line, "model name", 10)) continue;
                char *v = strchr(line, ':');
                if (!v) break;
                v++;
                while (*v == ' ' || *v == '\t') v++;
                v[strcspn(v, "\n")] = 0;
                json_object_set_new(h, "cpu", json_string(v));
                break;
            }
            fclose(f);
        }
        json_object_set_new(h, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
        json_object_set_new(m, "host", h);
    }
    if (!json_object_get(m, "page_size"))
        json_object_set_new(m, "page_size", json_integer(sysconf(_SC_PAGESIZE)));
    if (!json_object_get(m, "start_time")) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char buf[64];
        snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000);
        json_object_set_new(m, "start_time", json_string(buf));
        json_object_set_new(m, "start_time_ns",
                            json_integer((json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
    }
}

static void writer_free(struct rpr_writer *w)
{
    for (size_t i = 0; i < w->n_streams; i++) stream_free(w->streams[i]);
    free(w->streams);
    while (w->qhead) {
        struct job *j = w->qhead;
        w->qhead = j->next;
        job_free(j);
    }
    for (size_t i = 0; i < w->n_spare; i++) free(w->spare[i].p);
    rpr_buf_free(&w->scratch);
    rpr_buf_free(&w->out);
    rpr_buf_free(&w->tout);
    ZSTD_freeCCtx(w->cctx);
    ZSTD_freeCCtx(w->tcctx);
    free(w->bset);
    free(w->bused);
    if (w->fd >= 0) close(w->fd);
    if (w->shared) munmap(w->shared, sizeof *w->shared);
    pthread_mutex_destroy(&w->amu);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv_work);
    pthread_cond_destroy(&w->cv_done);
    free(w->path);
    free(w);
}

int rpr_writer_create(const char *path, const json_t *meta, const struct rpr_writer_options *opt,
                      struct rpr_writer **out, char *err, size_t errlen)
{
    *out = NULL;
    if (errlen) err[0] = 0;
    struct rpr_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path ? path : ""))) {
        free(w);
        if (errlen) snprintf(err, errlen, "%s: out of memory", path ? path : "");
        return RPR_E_NOMEM;
    }
    w->fd = -1;
    sync_init(w);
    if (opt) w->opt = *opt;
    if (!w->opt.frame_size) w->opt.frame_size = DEFAULT_FRAME_SIZE;
    if (w->opt.frame_size > RPR_FRAME_MAX_RAW / 4) w->opt.frame_size = RPR_FRAME_MAX_RAW / 4;
    if (!w->opt.frame_ns) w->opt.frame_ns = DEFAULT_FRAME_NS;
    if (!w->opt.level) w->opt.level = DEFAULT_LEVEL;
    if (w->opt.level > MAX_LEVEL) w->opt.level = MAX_LEVEL;
    unsigned minor = w->opt.format_minor ? w->opt.format_minor : RPR_FORMAT_MINOR;
    int rc = RPR_OK;

    if (meta && !json_is_object(meta)) {
        rc = fail(w, RPR_E_INVAL, "metadata is not a JSON object");
        goto out;
    }
    json_t *m = meta ? json_deep_copy(meta) : json_object();
    char *text = NULL;
    if (m) {
        meta_host(m);
        text = json_dumps(m, JSON_COMPACT);
        json_decref(m);
    }
    if (!text) {
        rc = fail(w, RPR_E_NOMEM, "cannot encode the metadata");
        goto out;
    }
    size_t mlen = strlen(text);
    if (mlen > RPR_META_MAX) {
        free(text);
        rc = fail(w, RPR_E_TOOBIG, "metadata of %zu bytes exceeds %u", mlen, RPR_META_MAX);
        goto out;
    }
    w->shared = mmap(NULL, sizeof *w->shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
    if (w->shared == MAP_FAILED) {
        w->shared = NULL;
        free(text);
        rc = fail(w, RPR_E_NOMEM, "mmap: %s", strerror(errno));
        goto out;
    }
    atomic_init(&w->shared->live, 1);
    w->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC |
                           (w->opt.exclusive ? O_EXCL : O_TRUNC), 0644);
    if (w->fd < 0) {
        free(text);
        rc = fail(w, RPR_E_IO, "%s", strerror(errno));
        goto out;
    }
    /* Out of the way of the guest's descriptors, which start low: a guest
     * that closes or dup2s onto fd 3 must not hit the recording. */
    int high = fcntl(w->fd, F_DUPFD_CLOEXEC, RPR_WRITER_FD_MIN);
    if (high >= 0) {
        close(w->fd);
        w->fd = high;
    }
    size_t hlen = RPR_FILE_HDR + mlen;
    uint8_t *hdr = malloc(hlen);
    if (!hdr) {
        free(text);
        rc = fail(w, RPR_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(hdr, RPR_FILE_MAGIC, 8);
    rpr_le16(hdr + 8, RPR_FORMAT_MAJOR);
    rpr_le16(hdr + 10, (uint16_t)minor);
    rpr_le32(hdr + 12, 0);
    rpr_le32(hdr + 16, (uint32_t)mlen);
    rpr_le32(hdr + 20, 0);
    memcpy(hdr + RPR_FILE_HDR, text, mlen);
    free(text);
    XXH64_state_t st;
    XXH64_reset(&st, 0);
    XXH64_update(&st, hdr, 24);
    XXH64_update(&st, hdr + RPR_FILE_HDR, mlen);
    rpr_le64(hdr + 24, XXH64_digest(&st));
    int wr = write_once(w->fd, hdr, hlen);
    free(hdr);
    if (wr) {
        rc = fail(w, RPR_E_IO, "writing the header: %s", strerror(-wr));
        goto out;
    }
    w->data_start = hlen;
out:
    if (rc) {
        if (errlen) snprintf(err, errlen, "%s", w->errmsg);
        if (w->fd >= 0 && !w->data_start) unlink(path);
        writer_free(w);
        return rc;
    }
    *out = w;
    return RPR_OK;
}

/* ---- footer ---- */

/* Scans the whole file and appends the footer index and trailer in one
 * write. Called by the last writer process to close. */
static int write_footer(struct rpr_writer *w)
{
    struct stat sb;
    if (fstat(w->fd, &sb)) return fail(w, RPR_E_IO, "fstat: %s", strerror(errno));
    struct rpr_src src = { w->fd, NULL, (uint64_t)sb.st_size };
    struct rpr_catalog c = { 0 };
    struct rpr_buf idx = { 0 }, buf = { 0 };
    ZSTD_CCtx *cctx = NULL;
    int rc = rpr_scan(&src, w->data_start, &c);
    if (rc) {
        rc = fail(w, rc, "scanning for the footer: %s", rpr_strerror(rc));
        goto out;
    }
    if (rpr_index_encode(&c, &idx)) goto nomem;
    if (idx.len > RPR_SMALL_MAX_RAW) {
        rc = fail(w, RPR_E_TOOBIG, "footer index of %zu bytes", idx.len);
        goto out;
    }
    size_t bound = ZSTD_compressBound(idx.len);
    if (rpr_buf_reserve(&buf, 2 * RPR_CHUNK_HDR + bound + RPR_TRAILER_PAYLOAD)) goto nomem;
    if (!(cctx = ZSTD_createCCtx())) goto nomem;
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, w->opt.level);
    size_t n = ZSTD_compress2(cctx, buf.p + RPR_CHUNK_HDR, bound, idx.p, idx.len);
    struct rpr_chunk h = { 0 };
    h.type = RPR_CH_INDEX;
    h.raw = (uint32_t)idx.len;
    if (ZSTD_isError(n) || n >= idx.len) {
        memcpy(buf.p + RPR_CHUNK_HDR, idx.p, idx.len);
        n = idx.len;
        h.codec = RPR_CODEC_NONE;
    } else {
        h.codec = RPR_CODEC_ZSTD;
    }
    h.stored = (uint32_t)n;
    h.payload_sum = XXH64(buf.p + RPR_CHUNK_HDR, n, 0);
    rpr_chunk_encode(&h, buf.p);
    /* The trailer: where the index starts and how long it is. */
    uint8_t *t = buf.p + RPR_CHUNK_HDR + n;
    struct rpr_chunk th = { 0 };
    th.type = RPR_CH_TRAILER;
    th.stored = th.raw = RPR_TRAILER_PAYLOAD;
    rpr_le64(t + RPR_CHUNK_HDR, src.size);
    rpr_le64(t + RPR_CHUNK_HDR + 8, RPR_CHUNK_HDR + n);
    th.payload_sum = XXH64(t + RPR_CHUNK_HDR, RPR_TRAILER_PAYLOAD, 0);
    rpr_chunk_encode(&th, t);
    int wr = write_once(w->fd, buf.p, 2 * RPR_CHUNK_HDR + n + RPR_TRAILER_PAYLOAD);
    if (wr) rc = fail(w, RPR_E_IO, "writing the footer: %s", strerror(-wr));
    goto out;
nomem:
    rc = fail(w, RPR_E_NOMEM, "out of memory building the footer");
out:
    rpr_catalog_free(&c);
    rpr_buf_free(&idx);
    rpr_buf_free(&buf);
    ZSTD_freeCCtx(cctx);
    return rc;
}

/* Closes the frames of every stream and writes the summaries. */
static int finish_streams(struct rpr_writer *w, bool ended)
{
    int rc = 0, r;
    for (size_t i = 0; i < w->n_streams; i++) {
        struct wstream *s = w->streams[i];
        if (s->ended) continue;
        if ((r = close_frame(w, s)) && !rc) rc = r;
        if ((r = write_summary(w, s, ended)) && !rc) rc = r;
    }
    return rc;
}

int rpr_writer_close(struct rpr_writer *w)
{
    if (!w) return 0;
    pthread_mutex_lock(&w->amu);
    int rc = w->err, r;
    if (!rc) rc = finish_streams(w, true);
    if ((r = drain(w)) && !rc) rc = r;
    stop_thread(w);
    if (!w->left && atomic_fetch_sub(&w->shared->live, 1) == 1 && !w->err)
        if ((r = write_footer(w)) && !rc) rc = r;
    pthread_mutex_unlock(&w->amu);
    writer_free(w);
    return rc;
}

/* ---- process trees ---- */

int rpr_writer_fork_prepare(struct rpr_writer *w)
{
    /* An error is reported, but the protocol goes on the same way, so that
     * _parent and _child find the state they expect. */
    pthread_mutex_lock(&w->amu);
    int rc = drain(w);
    /* The writer thread is idle now; keep it off both locks across fork(2)
     * so that the child inherits consistent state. */
    w->fork_locked = w->thread_running;
    if (w->fork_locked) pthread_mutex_lock(&w->mu);
    atomic_fetch_add(&w->shared->live, 1);
    return rc;
}

int rpr_writer_fork_parent(struct rpr_writer *w, bool forked)
{
    if (w->fork_locked) pthread_mutex_unlock(&w->mu);
    w->fork_locked = false;
    if (!forked) atomic_fetch_sub(&w->shared->live, 1);
    int rc = check_async(w);
    pthread_mutex_unlock(&w->amu);
    return rc;
}

int rpr_writer_fork_child(struct rpr_writer *w)
{
    /* The thread does not exist here: fresh synchronization objects (the
     * mutexes were locked by _prepare, the condition variables may name the
     * parent's waiting thread). */
    sync_init(w);
    w->thread_running = false;
    w->busy = w->stop = w->worker_closing = false;
    w->fork_locked = false;
    /* Chunks the parent had queued are the parent's to write. */
    while (w->qhead) {
        struct job *j = w->qhead;
        w->qhead = j->next;
        job_free(j);
    }
    w->qtail = NULL;
    w->qbytes = 0;
    /* The parent's streams and their open frames belong to the parent. */
    for (size_t i = 0; i < w->n_streams; i++) stream_free(w->streams[i]);
    w->n_streams = 0;
    w->cache = NULL;
    w->left = false;
    w->events = w->raw_bytes = w->blobs = w->blob_raw = 0;
    atomic_store(&w->frames, 0);
    atomic_store(&w->stored_bytes, 0);
    atomic_store(&w->blob_stored, 0);
    return 0;
}

static int w_exec_prepare(struct rpr_writer *w)
{
    int rc = check_async(w);
    if (rc) return rc;
    if (w->left) return 0;
    if ((rc = finish_streams(w, true)) || (rc = drain(w))) return rc;
    w->left = true;
    if (atomic_fetch_sub(&w->shared->live, 1) == 1) rc = write_footer(w);
    return rc;
}

static int w_exec_failed(struct rpr_writer *w)
{
    if (!w->left) return 0;
    atomic_fetch_add(&w->shared->live, 1);
    w->left = false;
    return check_async(w);
}

/* ---- the public functions that take amu ---- */

#define LOCKED(call)                       \
    do {                                   \
        pthread_mutex_lock(&w->amu);       \
        int rc_ = (call);                  \
        pthread_mutex_unlock(&w->amu);     \
        return rc_;                        \
    } while (0)

int rpr_writer_stream_begin(struct rpr_writer *w, uint32_t stream, uint32_t parent,
                            uint64_t fork_icount, const char *program)
{
    LOCKED(w_stream_begin(w, stream, parent, fork_icount, program));
}

int rpr_writer_append(struct rpr_writer *w, uint32_t stream, const struct rpr_event *ev)
{
    LOCKED(w_append(w, stream, ev));
}

int rpr_writer_append_raw(struct rpr_writer *w, uint32_t stream, unsigned kind,
                          const struct rpr_point *at, const void *payload, size_t len)
{
    LOCKED(w_append_raw(w, stream, kind, at, payload, len));
}

int rpr_writer_add_digest(struct rpr_writer *w, uint32_t stream, const struct rpr_point *at,
                          uint64_t digest)
{
    LOCKED(w_add_digest(w, stream, at, digest));
}

int rpr_writer_add_blob(struct rpr_writer *w, const void *data, size_t len, uint8_t hash[16])
{
    LOCKED(w_add_blob(w, data, len, hash));
}

int rpr_writer_stream_end(struct rpr_writer *w, uint32_t stream)
{
    LOCKED(w_stream_end(w, stream));
}

int rpr_writer_poll(struct rpr_writer *w)
{
    LOCKED(w_poll(w));
}

int rpr_writer_flush(struct rpr_writer *w)
{
    LOCKED(w_flush(w));
}

int rpr_writer_exec_prepare(struct rpr_writer *w)
{
    LOCKED(w_exec_prepare(w));
}

int rpr_writer_exec_failed(struct rpr_writer *w)
{
    LOCKED(w_exec_failed(w));
}

int rpr_writer_fd(const struct rpr_writer *w) { return w ? w->fd : -1; }
