/*
 * bench_store.c - speed and size of the recording file (store/log.h).
 *
 * Prints, for a recorder-like mix of events (syscalls with the bytes they
 * wrote, time CSR reads, clocks, fd polls, digests):
 *   - write: CPU ns per append on the caller's thread (what recording pays
 *     per event), events/s and MB/s (raw records) until everything is written,
 *     with compression on the writer thread (default) and in the caller
 *     (sync);
 *   - read: events/s and MB/s decoding every event back;
 *   - bytes per event by kind (compressed, frame headers included) and the
 *     compression ratio.
 * Usage: bench_store [EVENTS] [DIR] [LEVEL]
 *   (default 2000000 events, $TMPDIR or /tmp, zstd level 3)
 * Not part of meson test; build/store/bench_store after `ninja -C build`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the calling thread: what appending costs the guest's thread,
 * without the waits when compression falls behind a synthetic flood. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char text[] =
    "GET /index.html HTTP/1.1\r\nHost: example.org\r\nUser-Agent: reprise-bench/1.0\r\n"
    "Accept: */*\r\n\r\nThe quick brown fox jumps over the lazy dog. 0123456789\n";

/* A recorder-like event of kind k at the stream's next point. */
static void make_event(unsigned k, struct rpr_point *at, struct rpr_event *ev,
                       struct rpr_mem_write *mw, uint8_t *buf)
{
    memset(ev, 0, sizeof *ev);
    at->icount += 200 + rnd() % 20000;
    at->ticount = at->icount;
    static const uint64_t pcs[] = { 0x2aaaab1234, 0x2aaaab5678, 0x2aaaab9abc, 0x10a4e, 0x10b20 };
    at->pc = pcs[rnd() % 5];
    ev->kind = k;
    ev->at = *at;
    switch (k) {
    case RPR_EV_SYSCALL: {
        uint64_t args[6] = { 3, 0x3fffff1000, 4096, 0, 0, 0 };
        bool read = rnd() % 2;
        ev->u.syscall.nr = read ? 63 : 64;
        ev->u.syscall.args_digest = rpr_args_digest(ev->u.syscall.nr, args);
        size_t n = 16 + rnd() % (sizeof text - 17);
        ev->u.syscall.ret = (int64_t)n;
        if (read) {
            memcpy(buf, text, n);
            *mw = (struct rpr_mem_write){ 0x3fffff1000, { buf, n, false, { 0 } } };
            ev->u.syscall.writes = (struct rpr_mem_writes){ 1, mw };
        }
        break;
    }
    case RPR_EV_READ_TIME: ev->u.read_time.value = at->icount / 100; break;
    case RPR_EV_CLOCK:
        ev->u.clock.clock = 1;
        ev->u.clock.ns = 1700000000000000000ull + at->icount * 3;
        break;
    case RPR_EV_FD_WOULD_BLOCK:
        ev->u.fd_would_block.fd = 3;
        ev->u.fd_would_block.events = 1;
        ev->u.fd_would_block.answer = rnd() % 4 == 0;
        break;
    case RPR_EV_DIGEST: ev->u.digest.digest = rnd(); break;
    case RPR_EV_SIGNALS: {
        memset(buf, 0, 128);
        buf[0] = 14;
        buf[8] = 0xfe;
        ev->u.signals.infos = (struct rpr_siginfos){ 1, buf };
        break;
    }
    case RPR_EV_SCHED: ev->u.sched.value = rnd() % 4; break;
    default: break;
    }
}

static unsigned mix_kind(void)
{
    unsigned r = (unsigned)(rnd() % 100);
    if (r < 60) return RPR_EV_SYSCALL;
    if (r < 80) return RPR_EV_READ_TIME;
    if (r < 90) return RPR_EV_CLOCK;
    if (r < 97) return RPR_EV_FD_WOULD_BLOCK;
    if (r < 99) return RPR_EV_SCHED;
    return RPR_EV_DIGEST;
}

struct result {
    double append_ns, write_s, read_s;
    uint64_t raw, file;
};

static int level;

static int run(const char *path, uint64_t n, bool sync, unsigned only_kind, struct result *res)
{
    struct rpr_writer_options o = { .sync = sync, .level = level };
    struct rpr_writer *w;
    char err[512];
    if (rpr_writer_create(path, NULL, &o, &w, err, sizeof err)) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    /* Events made beforehand, so that only appending is timed. */
    enum { RING = 65536 };   /* raw bytes above a frame: no repeats within one */
    static struct rpr_event ring[RING];
    static struct rpr_mem_write mw[RING];
    static uint8_t bufs[RING][256];
    struct rpr_point at = { 0, 1, 0, 0 };
    rng = 88172645463325252ull;
    for (int i = 0; i < RING; i++)
        make_event(only_kind ? only_kind : mix_kind(), &at, &ring[i], &mw[i], bufs[i]);
    uint64_t span = at.icount;
    double t0 = now(), c0 = thread_cpu();
    for (uint64_t i = 0; i < n; i++) {
        struct rpr_event ev = ring[i % RING];
        ev.at.icount += span * (i / RING);
        ev.at.ticount = ev.at.icount;
        if (rpr_writer_append(w, 1, &ev)) {
            fprintf(stderr, "bench_store: %s\n", rpr_writer_errmsg(w));
            return 1;
        }
    }
    res->append_ns = (thread_cpu() - c0) / (double)n * 1e9;
    rpr_writer_flush(w);
    struct rpr_writer_stats st;
    rpr_writer_stats(w, &st);
    if (rpr_writer_close(w)) return 1;
    res->write_s = now() - t0;
    res->raw = st.raw_bytes;
    res->file = st.stored_bytes;

    struct rpr_reader *r;
    if (rpr_reader_open(path, &r, err, sizeof err)) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    t0 = now();
    struct rpr_iter *it;
    rpr_iter_open(r, 1, NULL, &it);
    const struct rpr_event *e;
    uint64_t got = 0;
    while (rpr_iter_next(it, &e) == RPR_OK) got++;
    res->read_s = now() - t0;
    rpr_iter_close(it);
    rpr_reader_close(r);
    unlink(path);
    if (got != n) {
        fprintf(stderr, "bench_store: read %" PRIu64 " of %" PRIu64 " events\n", got, n);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;
    const char *dir = argc > 2 ? argv[2] : getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    level = argc > 3 ? atoi(argv[3]) : 0;
    char path[1024];
    snprintf(path, sizeof path, "%s/bench_store-%d.rpr", dir, (int)getpid());

    printf("recorder-like mix of %" PRIu64 " events (60%% syscalls, 20%% time CSR, 10%% clocks, ...),"
           " zstd level %d\n", n, level ? level : 3);
    printf("%-22s %10s %12s %10s %12s %10s %9s %7s\n", "mode", "caller ns", "write ev/s", "write MB/s",
           "read ev/s", "read MB/s", "B/event", "ratio");
    for (int sync = 0; sync < 2; sync++) {
        struct result res;
        if (run(path, n, sync, 0, &res)) return 1;
        printf("%-22s %10.1f %12.0f %10.1f %12.0f %10.1f %9.2f %6.2fx\n",
               sync ? "compress in caller" : "writer thread", res.append_ns, (double)n / res.write_s,
               (double)res.raw / res.write_s / 1e6, (double)n / res.read_s,
               (double)res.raw / res.read_s / 1e6, (double)res.file / (double)n,
               (double)res.raw / (double)res.file);
    }
    printf("\nbytes per event by kind (%" PRIu64 " events each, frame headers included):\n", n / 10);
    static const unsigned kinds[] = { RPR_EV_SYSCALL, RPR_EV_READ_TIME, RPR_EV_CLOCK,
                                      RPR_EV_FD_WOULD_BLOCK, RPR_EV_SIGNALS, RPR_EV_DIGEST,
                                      RPR_EV_SCHED, RPR_EV_IDLE };
    printf("%-16s %9s %9s %7s\n", "kind", "raw B/ev", "B/event", "ratio");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct result res;
        if (run(path, n / 10, false, kinds[i], &res)) return 1;
        printf("%-16s %9.2f %9.2f %6.2fx\n", rpr_kind_info(kinds[i])->name,
               (double)res.raw / (double)(n / 10), (double)res.file / (double)(n / 10),
               (double)res.raw / (double)res.file);
    }
    return 0;
}
