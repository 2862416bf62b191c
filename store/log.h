/*
 * log.h - the recording file (*.rpr): writer and reader of the event log.
 *
 * A recording holds one header with JSON metadata, then chunks: zstd frames
 * of compact event records (one stream of events per guest process),
 * content-addressed blobs (XXH3-128), stream descriptions and summaries, and
 * at clean close a footer index. Every chunk is checksummed (XXH64); a
 * reader rebuilds the index by scanning when the footer is missing or
 * damaged, and keeps everything before any damage readable. The byte layout,
 * versioning and recovery rules are in docs/log-format.md.
 *
 * Conventions (as in zstd.h / sqlite3.h):
 * - Functions return an int result code: RPR_OK (0), RPR_END (1, end of an
 *   iteration) or a negative RPR_E_* code. rpr_strerror() names a code; the
 *   handle's errmsg function gives the message of its last failure, which
 *   names the file and, for damage, the frame and the byte offset, e.g.
 *   "run.rpr: stream 4242 frame 12 at offset 0x4f00: checksum mismatch".
 * - Instruction counts are retired guest instructions; sizes are bytes;
 *   times are nanoseconds.
 * - Pointers returned by the reader are owned by the reader (or iterator)
 *   and valid as documented; nothing here keeps pointers passed in after
 *   the call returns.
 * - A handle is used by one thread at a time. Different readers and
 *   iterators are independent. The writer runs a compression thread of
 *   its own unless struct rpr_writer_options.sync is set.
 */
#ifndef REPRISE_STORE_LOG_H
#define REPRISE_STORE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Format version this library writes. A reader accepts any minor of its
 * major and refuses a newer major (RPR_E_VERSION). */
#define RPR_FORMAT_MAJOR 1
#ifndef RPR_FORMAT_MINOR
#define RPR_FORMAT_MINOR 1
#endif

/* Result codes. */
enum rpr_result {
    RPR_OK = 0,
    RPR_END = 1,            /* iteration finished (not an error) */
    RPR_E_IO = -1,          /* the operating system refused (open, read, write) */
    RPR_E_NOMEM = -2,       /* out of memory */
    RPR_E_FORMAT = -3,      /* not a reprise recording (bad magic) or a bad header */
    RPR_E_VERSION = -4,     /* written by a newer, incompatible format major version */
    RPR_E_CORRUPT = -5,     /* checksum mismatch, or a length/offset/count out of bounds */
    RPR_E_TRUNCATED = -6,   /* the file ends inside a structure, or a frame is missing */
    RPR_E_NOTFOUND = -7,    /* no such stream or blob */
    RPR_E_INVAL = -8,       /* bad argument (e.g. icount going backwards in a stream) */
    RPR_E_TOOBIG = -9,      /* a record or blob exceeds the format's limits */
};

/* Static English name of a result code ("checksum or bounds error", ...). */
const char *rpr_strerror(int code);

/* ---- event kinds (store/kinds.def) ---- */

enum rpr_kind {
#define RPR_KIND(NAME, name, num, desc, FIELDS) RPR_EV_##NAME = num,
#include "kinds.def"
#undef RPR_KIND
};

/* One more than the largest kind number this library knows. */
#define RPR_KIND_LIMIT 20

/* Bytes of one guest siginfo record (asm-generic layout, struct lx_siginfo). */
#define RPR_SIGINFO_SIZE 128

/* A byte array of an event. Writer: set data and len; set blob to force
 * blob storage (then hash is computed), or set blob with data == NULL and
 * hash/len of a blob already added with rpr_writer_add_blob() (by this
 * writer, or its parent before a fork; else RPR_E_INVAL). Arrays above
 * 64 KiB (and BLOB fields always) are stored as blobs. Reader: data is the
 * bytes, or NULL for a blob that was not resolved (RPR_ITER_NO_BLOBS);
 * blob and hash say how it is stored. */
struct rpr_data {
    const void *data;
    uint64_t len;
    bool blob;
    uint8_t hash[16];  /* XXH3-128 of the bytes, canonical (big-endian) form; valid if blob */
};

/* A write the kernel made into guest memory: the guest address and exactly
 * the bytes written there. */
struct rpr_mem_write {
    uint64_t addr;
    struct rpr_data bytes;
};

struct rpr_mem_writes {
    size_t n;
    const struct rpr_mem_write *v;
};

/* n guest siginfo records of RPR_SIGINFO_SIZE bytes each, back to back. */
struct rpr_siginfos {
    size_t n;
    const uint8_t *v;
};

#define RPR_CTYPE_U uint64_t
#define RPR_CTYPE_I int64_t
#define RPR_CTYPE_STR const char *
#define RPR_CTYPE_DATA struct rpr_data
#define RPR_CTYPE_BLOB struct rpr_data
#define RPR_CTYPE_WRITES struct rpr_mem_writes
#define RPR_CTYPE_SIGINFOS struct rpr_siginfos
#define RPR_FIELD_DECL(x, T, f, doc) RPR_CTYPE_##T f;

/* Per-kind payload structs: struct rpr_ev_syscall { uint64_t nr; ... }. */
#define RPR_KIND(NAME, name, num, desc, FIELDS) struct rpr_ev_##name { FIELDS(RPR_FIELD_DECL, name) };
#include "kinds.def"
#undef RPR_KIND

/* Where an event happened. icount orders the events of a stream (it never
 * decreases within a stream); tid/ticount/pc locate it in its thread. */
struct rpr_point {
    uint64_t icount;   /* the stream's (process's) global retired-instruction count */
    uint32_t tid;      /* guest thread id */
    uint64_t ticount;  /* that thread's retired-instruction count */
    uint64_t pc;       /* guest pc */
};

/* One event. kind selects the member of u; kinds unknown to this library
 * (from a newer minor version) come with only kind, at and payload. */
struct rpr_event {
    unsigned kind;            /* enum rpr_kind or another number 1-255 */
    struct rpr_point at;
    const void *payload;      /* reader: the encoded payload; writer: ignored */
    size_t payload_len;
    union {
#define RPR_KIND(NAME, name, num, desc, FIELDS) struct rpr_ev_##name name;
#include "kinds.def"
#undef RPR_KIND
    } u;
};

/* Description of the kind table, for generic printing and tests. */
enum rpr_ftype { RPR_T_U, RPR_T_I, RPR_T_STR, RPR_T_DATA, RPR_T_BLOB, RPR_T_WRITES,
                 RPR_T_SIGINFOS };

struct rpr_field_info {
    enum rpr_ftype type;
    const char *name;
    const char *doc;
    size_t offset;   /* offset of the field in struct rpr_event */
};

struct rpr_kind_info {
    unsigned kind;
    const char *name;   /* "syscall", as `reprise dump --kind` takes it */
    const char *doc;
    size_t n_fields;
    const struct rpr_field_info *fields;
};

/* The description of kind, or NULL if this library does not know it. */
const struct rpr_kind_info *rpr_kind_info(unsigned kind);

/* The kind named name ("syscall", case-insensitive) or a decimal number
 * 1-255; 0 if neither. */
unsigned rpr_kind_from_name(const char *name);

/* The digest a SYSCALL record stores for its arguments: XXH3-64 of nr and
 * the six argument registers as little-endian u64s. */
uint64_t rpr_args_digest(uint64_t nr, const uint64_t args[6]);

/* XXH3-128 of len bytes in canonical (big-endian) form, the blob hash. */
void rpr_blob_hash(const void *data, size_t len, uint8_t hash[16]);

/* ---- writer ---- */

struct rpr_writer;

struct rpr_writer_options {
    size_t frame_size;     /* close a frame at this many uncompressed bytes; 0: 256 KiB */
    uint64_t frame_ns;     /* close a frame that has been open this long; 0: 1 s */
    int level;             /* zstd compression level; 0: 3 */
    bool sync;             /* compress and write in the calling thread (default: on a
                              writer thread, off the guest's critical path) */
    bool exclusive;        /* fail if the file exists (O_EXCL) instead of replacing it */
    /* The clock for frame_ns: nanoseconds, monotonic; called from the
     * writer thread too. NULL: CLOCK_MONOTONIC_COARSE. */
    uint64_t (*now_ns)(void *ctx);
    void *now_ctx;
    unsigned format_minor; /* tests only: the minor version to claim; 0: RPR_FORMAT_MINOR */
};

/* Creates the recording at path and writes its header. meta must be a JSON
 * object (the caller keeps ownership); the writer adds the keys it can fill
 * itself if absent (reprise_version, host, page_size, start_time; see
 * docs/log-format.md). opt may be NULL for defaults. On success *out is the
 * writer; on failure *out is NULL, a message goes to err (errlen bytes,
 * may be 0) and a negative code is returned. */
int rpr_writer_create(const char *path, const json_t *meta, const struct rpr_writer_options *opt,
                      struct rpr_writer **out, char *err, size_t errlen);

/* Describes stream `stream` (a guest process; by convention its pid):
 * parent stream (0: none), the parent's icount at the fork, the program
 * path (may be NULL). Optional: appending to an unknown stream begins it
 * with parent 0. RPR_E_INVAL if the stream already has events. */
int rpr_writer_stream_begin(struct rpr_writer *w, uint32_t stream, uint32_t parent,
                            uint64_t fork_icount, const char *program);

/* Appends ev to stream. ev->at.icount must not be below the stream's
 * previous event (RPR_E_INVAL). The event's arrays are copied (large ones
 * into blobs, deduplicated) before the call returns. A frame is closed and
 * handed to compression when it reaches frame_size or frame_ns. */
int rpr_writer_append(struct rpr_writer *w, uint32_t stream, const struct rpr_event *ev);

/* Appends a record whose payload is already encoded (kind 1-255, any
 * number): for tools and tests of forward compatibility. */
int rpr_writer_append_raw(struct rpr_writer *w, uint32_t stream, unsigned kind,
                          const struct rpr_point *at, const void *payload, size_t len);

/* Shorthand: appends a DIGEST event (state digest at point at). */
int rpr_writer_add_digest(struct rpr_writer *w, uint32_t stream, const struct rpr_point *at,
                          uint64_t digest);

/* Stores len bytes as a blob unless a blob with the same XXH3-128 was
 * already stored by this writer (or by its parent before a fork); the
 * hash goes to hash (may be NULL). Blobs are limited to 4 GiB - 1. */
int rpr_writer_add_blob(struct rpr_writer *w, const void *data, size_t len, uint8_t hash[16]);

/* Ends stream: closes its open frame and writes its summary (events by
 * kind, digest table). Further appends to it fail with RPR_E_INVAL. */
int rpr_writer_stream_end(struct rpr_writer *w, uint32_t stream);

/* Closes every open frame and waits until all of them are written to the
 * file (not fsync'd). After it returns, a crash loses nothing appended. */
int rpr_writer_flush(struct rpr_writer *w);

/* Closes the frames that have been open for frame_ns or longer. Cheap.
 * Appends check this too, and the writer thread checks it twice per
 * frame_ns even while nothing is appended; with sync set, call it now and
 * then (before a host call that may block long) to keep that bound. */
int rpr_writer_poll(struct rpr_writer *w);

/* Fork protocol: a guest process forks into two host processes that share
 * the file (O_APPEND: one write() per chunk, so chunks never interleave).
 * Call rpr_writer_fork_prepare() just before fork(2); then
 * rpr_writer_fork_parent(w, forked) in the parent (forked: fork succeeded)
 * and rpr_writer_fork_child() in the child. The child's writer starts with
 * no streams (the parent's belong to the parent): begin the child's own. */
int rpr_writer_fork_prepare(struct rpr_writer *w);
int rpr_writer_fork_parent(struct rpr_writer *w, bool forked);
int rpr_writer_fork_child(struct rpr_writer *w);

/* Before execve of a host program (the process stops writing if it
 * succeeds): flushes, writes summaries and leaves the set of live writers
 * (the last one to leave writes the footer). If the execve fails, call
 * rpr_writer_exec_failed() and go on writing. */
int rpr_writer_exec_prepare(struct rpr_writer *w);
int rpr_writer_exec_failed(struct rpr_writer *w);

/* Ends every open stream, writes all frames and, if this is the last
 * writer process of the file, the footer index; frees w (also on error).
 * Returns the first error the writer met, if any. */
int rpr_writer_close(struct rpr_writer *w);

/* The writer's file descriptor (moved to RPR_WRITER_FD_MIN or above at
 * creation), so that a recorder can keep the guest away from it. */
#define RPR_WRITER_FD_MIN 1000
int rpr_writer_fd(const struct rpr_writer *w);

/* Message of the writer's last failure ("" if none). Owned by w. */
const char *rpr_writer_errmsg(const struct rpr_writer *w);

/* What this writer (this process) wrote so far. */
struct rpr_writer_stats {
    uint64_t events;        /* records appended */
    uint64_t frames;        /* event frames written */
    uint64_t raw_bytes;     /* uncompressed event records */
    uint64_t stored_bytes;  /* bytes of event frames in the file, chunk headers included */
    uint64_t blobs;         /* blobs stored (after deduplication) */
    uint64_t blob_raw;      /* their uncompressed size */
    uint64_t blob_stored;   /* their size in the file, chunk headers included */
};

/* Fills st; counts of frames still being compressed are not included
 * until rpr_writer_flush(). */
void rpr_writer_stats(const struct rpr_writer *w, struct rpr_writer_stats *st);

/* ---- reader ---- */

struct rpr_reader;
struct rpr_iter;

/* Opens a recording. A missing or damaged footer is not an error: the
 * reader rebuilds the index by scanning (rpr_reader_info().clean is false)
 * and records the damage it skipped (rpr_reader_damage). Fails with
 * RPR_E_FORMAT (not a recording, damaged header), RPR_E_VERSION (newer
 * major), RPR_E_IO, RPR_E_NOMEM; then *out is NULL and err (errlen bytes,
 * may be 0) holds the message. */
int rpr_reader_open(const char *path, struct rpr_reader **out, char *err, size_t errlen);

/* The same on len bytes in memory, which must stay valid and unchanged
 * until rpr_reader_close (they are not copied). name is used in messages. */
int rpr_reader_open_mem(const void *data, size_t len, const char *name,
                        struct rpr_reader **out, char *err, size_t errlen);

/* Frees r. Iterators of r must be closed first. NULL is accepted. */
void rpr_reader_close(struct rpr_reader *r);

/* Message of the reader's last failure ("" if none). Owned by r. */
const char *rpr_reader_errmsg(const struct rpr_reader *r);

/* The metadata object (owned by r, valid until rpr_reader_close). */
const json_t *rpr_reader_meta(const struct rpr_reader *r);

struct rpr_file_info {
    unsigned major, minor;    /* format version of the file */
    bool clean;               /* closed cleanly: valid footer index at the end */
    uint64_t file_size;       /* bytes */
    uint64_t data_end;        /* offset just past the last valid chunk */
    uint64_t header_size;     /* file header + metadata, bytes */
    size_t n_streams, n_blobs, n_frames, n_damage;
    uint64_t events;          /* event records in the frames (from frame headers) */
    uint64_t events_raw;      /* uncompressed bytes of the event records */
    uint64_t events_stored;   /* bytes of event frames in the file, headers included */
    uint64_t blobs_raw, blobs_stored;
};

/* Facts about the whole file (no decoding, cheap). */
void rpr_reader_info(const struct rpr_reader *r, struct rpr_file_info *out);

/* The i-th damaged region (0 <= i < n_damage): its offset and a message
 * naming file, frame and offset (owned by r). RPR_E_NOTFOUND past the end. */
int rpr_reader_damage(const struct rpr_reader *r, size_t i, uint64_t *offset, const char **msg);

/* Checks the header and payload checksum of every frame and blob the index
 * names (a recovered file's were checked when it was opened; a clean file's
 * are otherwise checked as they are read). Damage found is added to the
 * damage list (rpr_reader_damage). Reads the whole file once; later calls
 * return the first result. RPR_OK, RPR_E_CORRUPT (see the damage list),
 * RPR_E_IO or RPR_E_NOMEM. */
int rpr_reader_verify(struct rpr_reader *r);

struct rpr_stream_info {
    uint32_t id;              /* stream id (guest pid) */
    uint32_t parent;          /* parent stream, 0: none */
    uint64_t fork_icount;     /* parent's icount at the fork */
    const char *program;      /* program path, NULL if unknown (owned by r) */
    uint64_t first_icount;    /* icount of the first and last event */
    uint64_t last_icount;
    uint64_t events;          /* events in the stream's frames */
    size_t frames;            /* frames found */
    bool ended;               /* its writer ended it (stream_end or close) */
    bool complete;            /* no frame is missing (sequence numbers 0..frames-1) */
};

/* Number of streams; streams are ordered by id. */
size_t rpr_reader_stream_count(const struct rpr_reader *r);

/* The i-th stream (0 <= i < count). RPR_E_NOTFOUND past the end. */
int rpr_reader_stream(const struct rpr_reader *r, size_t i, struct rpr_stream_info *out);

/* Index of stream id for rpr_reader_stream, or RPR_E_NOTFOUND. */
int rpr_reader_find_stream(const struct rpr_reader *r, uint32_t id);

/* Events of stream id by kind (counts[k] for kind k, 256 entries): from
 * the stream's summary, or by decoding its frames when it has none
 * (recovered recordings). An error (damage) leaves the counts up to it. */
int rpr_reader_stream_counts(struct rpr_reader *r, uint32_t id, uint64_t counts[256]);

/* State digests of stream id in icount order (owned by r; from the summary,
 * or by decoding). */
struct rpr_digest {
    struct rpr_point at;
    uint64_t digest;
};
int rpr_reader_digests(struct rpr_reader *r, uint32_t id, const struct rpr_digest **v,
                       size_t *n);

/* Copies the blob with this hash into a malloc'd buffer (*data, caller
 * frees; a 0-byte blob gives a non-NULL 1-byte buffer) of *len bytes.
 * RPR_E_NOTFOUND if the file has no such blob, RPR_E_CORRUPT if damaged. */
int rpr_reader_blob(struct rpr_reader *r, const uint8_t hash[16], void **data, size_t *len);

/* The i-th blob (in hash order): its hash and size. */
int rpr_reader_blob_at(const struct rpr_reader *r, size_t i, uint8_t hash[16], uint64_t *len);

/* Which events an iterator returns. */
struct rpr_filter {
    uint64_t from, to;        /* inclusive range of at.icount */
    uint64_t kinds[4];        /* bit k: kind k; all zero: every kind */
    unsigned flags;           /* RPR_ITER_* */
};
#define RPR_ITER_NO_BLOBS 1u  /* leave blob-stored arrays unresolved (data NULL) */

/* Sets f to every event of a stream (from 0, to UINT64_MAX, every kind). */
void rpr_filter_init(struct rpr_filter *f);
/* Adds kind to f's kinds. */
void rpr_filter_kind(struct rpr_filter *f, unsigned kind);

/* Starts iterating the events of stream id in order (f NULL: all). Frames
 * before f->from are skipped through the index without decoding. */
int rpr_iter_open(struct rpr_reader *r, uint32_t id, const struct rpr_filter *f,
                  struct rpr_iter **out);

/* The next event: RPR_OK and *ev (owned by it, valid until the next call
 * or rpr_iter_close), RPR_END when done, or an error (the iterator then
 * stays at the error; the message names file, frame and offset). The
 * events returned before an error are exactly those of the intact frames
 * before the damage. */
int rpr_iter_next(struct rpr_iter *it, const struct rpr_event **ev);

/* Message of the iterator's last failure. Owned by it. */
const char *rpr_iter_errmsg(const struct rpr_iter *it);

/* Frees it. NULL is accepted. */
void rpr_iter_close(struct rpr_iter *it);

#endif
