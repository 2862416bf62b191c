/*
 * record_port.c - the record event port: live port + log.
 *
 * Every operation is performed by the live port, then logged as one event
 * of the stream of the current guest process with its execution point. The
 * guest memory a host call wrote is learned from the personality's write
 * journal, so exactly those bytes are logged (rr's approach: log what the
 * kernel wrote, not what the call could have written). File contents go to
 * blobs, stored once per content hash.
 */
#include "recorder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Default digest spacing per byte of mapped guest memory (rec_tick). */
#define DIGEST_PER_BYTE 64u

struct rec_port {
    struct lx_port base;
    struct lx_port *live;
    struct rpr_writer *w;
    uint32_t stream;           /* this process's stream (its pid) */
    uint64_t digest_interval, next_digest;
    bool digest_auto; /* no --digest-every: spacing also by memory size */
    char failure[512];         /* first logging failure (the run stops) */
};

static struct rec_port *rp(struct lx_port *p) { return (struct rec_port *)p; }

static void point(struct lx_thread *t, struct rpr_point *at)
{
    struct lx_point pt;
    lx_thread_point(t, &pt);
    *at = (struct rpr_point){ pt.icount, pt.tid, pt.ticount, pt.pc };
}

/* Appends ev to this process's stream; the first failure halts the run,
 * since a recording that silently lacks an event would not replay. */
static void append(struct rec_port *r, struct lx_thread *t, struct rpr_event *ev)
{
    if (r->failure[0]) return;
    if (t) point(t, &ev->at);
    int rc = rpr_writer_append(r->w, r->stream, ev);
    if (rc) {
        snprintf(r->failure, sizeof r->failure, "recording failed: %s", rpr_writer_errmsg(r->w));
        r->base.halt = r->failure;
    }
}

static int rec_load_file(struct lx_port *p, struct lx_thread *t, const char *path, void **data,
                         size_t *len)
{
    struct rec_port *r = rp(p);
    int rc = r->live->ops->load_file(r->live, t, path, data, len);
    struct rpr_event ev = { .kind = RPR_EV_LOAD_FILE };
    ev.u.load_file.path = path;
    ev.u.load_file.result = rc;
    ev.u.load_file.content.data = rc ? NULL : *data;
    ev.u.load_file.content.len = rc ? 0 : *len;
    ev.u.load_file.content.blob = true;
    append(r, t, &ev);
    return rc;
}

static int rec_resolve_path(struct lx_port *p, struct lx_thread *t, const char *path, char *out,
                            size_t n)
{
    struct rec_port *r = rp(p);
    int rc = r->live->ops->resolve_path(r->live, t, path, out, n);
    struct rpr_event ev = { .kind = RPR_EV_RESOLVE_PATH };
    ev.u.resolve_path.result = rc;
    ev.u.resolve_path.resolved = rc ? "" : out;
    append(r, t, &ev);
    return rc;
}

static long rec_read_fd_at(struct lx_port *p, struct lx_thread *t, int fd, uint64_t off,
                           void *buf, size_t len)
{
    struct rec_port *r = rp(p);
    long rc = r->live->ops->read_fd_at(r->live, t, fd, off, buf, len);
    struct rpr_event ev = { .kind = RPR_EV_READ_FD_AT };
    ev.u.read_fd_at.fd = fd;
    ev.u.read_fd_at.offset = off;
    ev.u.read_fd_at.result = rc;
    ev.u.read_fd_at.bytes.data = rc > 0 ? buf : NULL;
    ev.u.read_fd_at.bytes.len = rc > 0 ? (uint64_t)rc : 0;
    /* Mapped file contents are blobs: the same library mapped by many
     * processes, or many times, is stored once. */
    ev.u.read_fd_at.bytes.blob = rc > 0;
    append(r, t, &ev);
    return rc;
}

static void rec_random(struct lx_port *p, struct lx_thread *t, void *buf, size_t len)
{
    struct rec_port *r = rp(p);
    r->live->ops->random(r->live, t, buf, len);
    struct rpr_event ev = { .kind = RPR_EV_RANDOM };
    ev.u.random.bytes.data = buf;
    ev.u.random.bytes.len = len;
    append(r, t, &ev);
}

static uint64_t rec_read_time(struct lx_port *p, struct lx_thread *t, uint64_t icount,
                              uint64_t pc)
{
    struct rec_port *r = rp(p);
    uint64_t v = r->live->ops->read_time(r->live, t, icount, pc);
    struct rpr_event ev = { .kind = RPR_EV_READ_TIME };
    ev.u.read_time.value = v;
    struct lx_point pt;
    lx_thread_point_at(t, icount, pc, &pt);
    ev.at = (struct rpr_point){ pt.icount, pt.tid, pt.ticount, pt.pc };
    append(r, NULL, &ev);
    return v;
}

static long rec_syscall(struct lx_port *p, struct lx_thread *t, const struct lx_syscall *c)
{
    struct rec_port *r = rp(p);
    struct lx_proc *proc = lx_thread_proc(t);
    size_t mark = lx_journal_start(proc);
    long ret = r->live->ops->syscall(r->live, t, c);
    const struct lx_range *ranges;
    size_t n;
    bool complete = lx_journal_stop(proc, mark, &ranges, &n);
    if (!complete) {
        snprintf(r->failure, sizeof r->failure,
                 "recording failed: out of memory noting the guest memory written by syscall %ld",
                 c->nr);
        r->base.halt = r->failure;
        return ret;
    }
    /* The bytes the call wrote, read back from guest memory. */
    struct rpr_mem_write *writes = n ? calloc(n, sizeof *writes) : NULL;
    void **bufs = n ? calloc(n, sizeof *bufs) : NULL;
    size_t nw = 0;
    if (n && (!writes || !bufs)) {
        snprintf(r->failure, sizeof r->failure, "recording failed: out of memory");
        r->base.halt = r->failure;
        free(writes);
        free(bufs);
        return ret;
    }
    for (size_t i = 0; i < n; i++) {
        void *b = malloc(ranges[i].len ? ranges[i].len : 1);
        if (!b || lx_guest_peek(proc, ranges[i].addr, b, ranges[i].len)) {
            free(b);
            continue;
        }
        bufs[nw] = b;
        writes[nw] = (struct rpr_mem_write){ .addr = ranges[i].addr,
                                             .bytes = { .data = b, .len = ranges[i].len } };
        nw++;
    }
    struct rpr_event ev = { .kind = RPR_EV_SYSCALL };
    ev.u.syscall.nr = (uint64_t)c->nr;
    ev.u.syscall.args_digest = rpr_args_digest((uint64_t)c->nr, c->a);
    ev.u.syscall.ret = ret;
    ev.u.syscall.writes = (struct rpr_mem_writes){ nw, writes };
    append(r, t, &ev);
    for (size_t i = 0; i < nw; i++) free(bufs[i]);
    free(bufs);
    free(writes);
    return ret;
}

static long rec_host_id(struct lx_port *p, struct lx_thread *t, int what)
{
    struct rec_port *r = rp(p);
    long v = r->live->ops->host_id(r->live, t, what);
    struct rpr_event ev = { .kind = RPR_EV_HOST_ID };
    ev.u.host_id.what = (uint64_t)what;
    ev.u.host_id.value = v;
    append(r, t, &ev);
    return v;
}

static uint64_t rec_clock_ns(struct lx_port *p, struct lx_thread *t, int clock)
{
    struct rec_port *r = rp(p);
    uint64_t v = r->live->ops->clock_ns(r->live, t, clock);
    struct rpr_event ev = { .kind = RPR_EV_CLOCK };
    ev.u.clock.clock = (uint64_t)clock;
    ev.u.clock.ns = v;
    append(r, t, &ev);
    return v;
}

static void rec_idle(struct lx_port *p, struct lx_thread *t, uint64_t until_ns)
{
    struct rec_port *r = rp(p);
    /* Idle periods may be long: what was recorded so far reaches the file
     * first, so a kill while waiting loses nothing. */
    rpr_writer_poll(r->w);
    r->live->ops->idle(r->live, t, until_ns);
    struct rpr_event ev = { .kind = RPR_EV_IDLE };
    append(r, t, &ev);
}

static long rec_fork(struct lx_port *p, struct lx_thread *t)
{
    struct rec_port *r = rp(p);
    struct rpr_point at;
    point(t, &at);
    rpr_writer_fork_prepare(r->w);
    long pid = r->live->ops->fork(r->live, t);
    if (pid == 0) {
        /* The child: a stream of its own, starting at the fork. */
        rpr_writer_fork_child(r->w);
        uint32_t parent = r->stream;
        r->stream = (uint32_t)getpid();
        rpr_writer_stream_begin(r->w, r->stream, parent, at.icount, NULL);
    } else {
        rpr_writer_fork_parent(r->w, pid > 0);
    }
    struct rpr_event ev = { .kind = RPR_EV_FORK, .at = at };
    ev.u.fork.result = pid;
    append(r, NULL, &ev);
    return pid;
}

static long rec_exec_host(struct lx_port *p, struct lx_thread *t, const char *path,
                          char *const *argv, char *const *envp)
{
    struct rec_port *r = rp(p);
    struct rpr_event ev = { .kind = RPR_EV_EXEC_HOST };
    ev.u.exec_host.result = 0;
    append(r, t, &ev);
    rpr_writer_exec_prepare(r->w);
    long rc = r->live->ops->exec_host(r->live, t, path, argv, envp);
    /* Still here: the exec failed and this process goes on. */
    rpr_writer_exec_failed(r->w);
    ev.u.exec_host.result = rc;
    append(r, t, &ev);
    return rc;
}

static int rec_fd_would_block(struct lx_port *p, struct lx_thread *t, int fd, short events)
{
    struct rec_port *r = rp(p);
    int v = r->live->ops->fd_would_block(r->live, t, fd, events);
    struct rpr_event ev = { .kind = RPR_EV_FD_WOULD_BLOCK };
    ev.u.fd_would_block.fd = fd;
    ev.u.fd_would_block.events = (uint64_t)(unsigned short)events;
    ev.u.fd_would_block.answer = (uint64_t)v;
    append(r, t, &ev);
    return v;
}

static int rec_take_signals(struct lx_port *p, struct lx_thread *t, struct lx_siginfo *out,
                            int max)
{
    struct rec_port *r = rp(p);
    int n = r->live->ops->take_signals ? r->live->ops->take_signals(r->live, t, out, max) : 0;
    /* Only deliveries are logged: the run loop asks at many points, and in
     * replay an absent event means "none here". */
    if (n > 0) {
        struct rpr_event ev = { .kind = RPR_EV_SIGNALS };
        ev.u.signals.infos = (struct rpr_siginfos){ (size_t)n, (const uint8_t *)out };
        append(r, t, &ev);
    }
    return n;
}

static void rec_thread_event(struct lx_port *p, struct lx_thread *t, bool start)
{
    struct rpr_event ev = { .kind = start ? RPR_EV_THREAD_START : RPR_EV_THREAD_EXIT };
    append(rp(p), t, &ev);
}

static void rec_tick(struct lx_port *p, struct lx_thread *t)
{
    struct rec_port *r = rp(p);
    struct lx_point pt;
    lx_thread_point(t, &pt);
    if (pt.icount < r->next_digest) return;
    /* A digest hashes all guest memory: by default they are spaced by at
     * least DIGEST_PER_BYTE instructions per mapped byte as well, so that
     * their cost stays around 1 % of a recording whatever the program's
     * size (hashing runs at about 10 GB/s, the guest at 1-4 billion
     * instructions/s). The spacing depends only on guest state. */
    uint64_t gap = r->digest_interval;
    if (r->digest_auto) {
        uint64_t bytes = lx_mapped_bytes(lx_thread_proc(t));
        if (bytes < UINT64_MAX / DIGEST_PER_BYTE && bytes * DIGEST_PER_BYTE > gap)
            gap = bytes * DIGEST_PER_BYTE;
    }
    r->next_digest = pt.icount + gap;
    struct rpr_point at = { pt.icount, pt.tid, pt.ticount, pt.pc };
    if (rpr_writer_add_digest(r->w, r->stream, &at, lx_state_digest(lx_thread_proc(t))) &&
        !r->failure[0]) {
        snprintf(r->failure, sizeof r->failure, "recording failed: %s", rpr_writer_errmsg(r->w));
        r->base.halt = r->failure;
    }
    /* The registers beside the digest: a replay whose digest differs can
     * then say which registers differ. */
    uint64_t regs[LX_MAX_REGS];
    size_t n = lx_thread_regs(lx_thread_proc(t), pt.tid, regs, LX_MAX_REGS);
    struct rpr_event ev = { .kind = RPR_EV_REGS, .at = at };
    ev.u.regs.regs.data = regs;
    ev.u.regs.regs.len = n * 8;
    append(r, NULL, &ev);
}

static void rec_destroy(struct lx_port *p)
{
    struct rec_port *r = rp(p);
    if (r->w) rpr_writer_close(r->w);
    free(r);
}

static const struct lx_port_ops rec_ops = {
    .load_file = rec_load_file,
    .resolve_path = rec_resolve_path,
    .read_fd_at = rec_read_fd_at,
    .random = rec_random,
    .read_time = rec_read_time,
    .syscall = rec_syscall,
    .host_id = rec_host_id,
    .clock_ns = rec_clock_ns,
    .idle = rec_idle,
    .fork = rec_fork,
    .exec_host = rec_exec_host,
    .fd_would_block = rec_fd_would_block,
    .take_signals = rec_take_signals,
    .thread_event = rec_thread_event,
    .tick = rec_tick,
    .destroy = rec_destroy,
};

int rec_port_create(struct lx_port *live, const char *path, const json_t *meta,
                    const struct rec_options *opt, struct lx_port **out, char *err,
                    size_t errlen)
{
    *out = NULL;
    struct rec_port *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    r->base.ops = &rec_ops;
    r->live = live;
    r->digest_auto = !(opt && opt->digest_interval);
    r->digest_interval = r->digest_auto ? 1ull << 27 : opt->digest_interval;
    r->next_digest = r->digest_interval;
    struct rpr_writer_options wo = { .exclusive = true };
    int rc = rpr_writer_create(path, meta, &wo, &r->w, err, errlen);
    if (rc) {
        free(r);
        return rc;
    }
    r->stream = (uint32_t)getpid();
    rpr_writer_stream_begin(r->w, r->stream, 0, 0, NULL);
    lx_hide_host_fd(rpr_writer_fd(r->w));
    *out = &r->base;
    return 0;
}

void rec_port_summary(struct lx_port *port, struct rec_summary *s)
{
    struct rec_port *r = rp(port);
    struct rpr_writer_stats st;
    rpr_writer_flush(r->w);
    rpr_writer_stats(r->w, &st);
    s->events = st.events;
    s->file_bytes = st.stored_bytes + st.blob_stored;
    s->raw_bytes = st.raw_bytes + st.blob_raw;
}

int rec_port_finish(struct lx_port *port, struct lx_proc *p, const struct lx_exit *ex, char *err,
                    size_t errlen)
{
    struct rec_port *r = rp(port);
    if (!p) {
        /* The program never started (it could not be loaded): no exit and
         * no final state to log. */
        int rc = rpr_writer_close(r->w);
        r->w = NULL;
        free(r);
        if (rc) snprintf(err, errlen, "closing the recording failed");
        return rc;
    }
    struct rpr_event ev = { .kind = RPR_EV_EXIT };
    ev.u.exit.signaled = ex->signaled;
    ev.u.exit.status = ex->signaled ? ex->signal : ex->status;
    /* The exit and the final digest are at the process's last point. */
    struct rpr_point at = { lx_icount(p), 0, 0, 0 };
    ev.at = at;
    append(r, NULL, &ev);
    rpr_writer_add_digest(r->w, r->stream, &at, lx_state_digest(p));
    int rc = rpr_writer_close(r->w);
    r->w = NULL;
    if (rc) snprintf(err, errlen, "closing the recording failed: %s", r->failure[0] ? r->failure : "I/O error");
    else if (r->failure[0]) {
        snprintf(err, errlen, "%s", r->failure);
        rc = -EIO;
    }
    free(r);
    return rc;
}
