/*
 * replay_port.c - the replay event port: the mirror image of record_port.c.
 *
 * The port walks the events of one stream in order. Each request of the
 * personality must find, as the next event, the same kind of request at the
 * same execution point (thread, its instruction count, pc); its outcome is
 * then injected: return values, the guest memory a system call wrote, file
 * contents from blobs. Anything else is a divergence, which halts the run
 * with a report. Asynchronous signals are injected where they were taken:
 * next_stop() makes the run loop stop at exactly that instruction.
 */
#include "replayer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct rep_port {
    struct lx_port base;
    struct rpr_reader *r;
    struct rep_options opt;
    uint32_t stream;                 /* stream being replayed now */
    uint32_t chain[64];              /* streams from the root to the target */
    size_t chain_len, chain_pos;
    struct rpr_iter *it;
    const struct rpr_event *next;    /* peeked, not consumed */
    bool at_end;
    uint64_t consumed;
    uint64_t digests_checked;
    bool diverged, truncated, stopped, have_exit;
    struct lx_exit exit;
    uint64_t final_digest;
    bool have_final_digest;
    char msg[1024];
};

static struct rep_port *rp(struct lx_port *p) { return (struct rep_port *)p; }

static const char *kind_name(unsigned kind)
{
    const struct rpr_kind_info *k = rpr_kind_info(kind);
    return k ? k->name : "unknown";
}

static void halt(struct rep_port *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void halt(struct rep_port *r, const char *fmt, ...)
{
    if (r->base.halt) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->base.halt = r->msg;
}

/* The next event, not consumed; NULL at the end or on damage. DIGEST events
 * that nobody asks for (their check happens in tick) are passed over. */
static const struct rpr_event *peek(struct rep_port *r)
{
    while (!r->next && !r->at_end) {
        const struct rpr_event *ev;
        int rc = rpr_iter_next(r->it, &ev);
        if (rc == RPR_END) {
            r->at_end = true;
            break;
        }
        if (rc) {
            r->at_end = true;
            r->truncated = true;
            halt(r, "the recording is damaged here: %s", rpr_iter_errmsg(r->it));
            break;
        }
        if (ev->kind == RPR_EV_EXIT) {
            r->have_exit = true;
            r->exit.signaled = ev->u.exit.signaled;
            if (ev->u.exit.signaled) r->exit.signal = (int)ev->u.exit.status;
            else r->exit.status = (int)ev->u.exit.status;
            continue;
        }
        if (ev->kind == RPR_EV_DIGEST && r->have_exit) {
            r->final_digest = ev->u.digest.digest;
            r->have_final_digest = true;
            continue;
        }
        r->next = ev;
    }
    return r->next;
}

static void consume(struct rep_port *r)
{
    r->next = NULL;
    r->consumed++;
}

static void cur_point(struct lx_thread *t, struct lx_point *pt) { lx_thread_point(t, pt); }

/* Takes the next event, which must be `kind` at thread t's point (or at
 * the given point if pt is not NULL). NULL (and the run halts) if not. */
static const struct rpr_event *expect(struct rep_port *r, struct lx_thread *t, unsigned kind,
                                      const struct lx_point *given)
{
    if (r->base.halt) return NULL;
    struct lx_point pt;
    if (given) pt = *given;
    else cur_point(t, &pt);
    const struct rpr_event *ev = peek(r);
    /* Digests (and their registers) at other points than a tick are
     * skipped. */
    while (ev && (ev->kind == RPR_EV_DIGEST || ev->kind == RPR_EV_REGS)) {
        consume(r);
        ev = peek(r);
    }
    if (!ev) {
        if (!r->base.halt) {
            r->truncated = true;
            halt(r, "the recording ends here: the guest asked for %s at thread %u, instruction %" PRIu64
                    ", pc 0x%" PRIx64 " (the recording was cut short)",
                 kind_name(kind), pt.tid, pt.ticount, pt.pc);
        }
        return NULL;
    }
    if (ev->kind != kind || ev->at.tid != pt.tid || ev->at.ticount != pt.ticount ||
        ev->at.pc != pt.pc) {
        r->diverged = true;
        char insn[128] = "", regs[768] = "";
        struct lx_proc *proc = lx_thread_proc(t);
        lx_describe_insn(proc, pt.pc, insn, sizeof insn);
        lx_describe_regs(proc, pt.tid, regs, sizeof regs);
        halt(r,
             "replay diverged at event %" PRIu64 ":\n"
             "  recorded: %s at thread %u, instruction %" PRIu64 ", pc 0x%" PRIx64
             " (process instruction %" PRIu64 ")\n"
             "  replay:   %s at thread %u, instruction %" PRIu64 ", pc 0x%" PRIx64
             " (process instruction %" PRIu64 ")\n"
             "  replay is at %s\n"
             "  registers of thread %u in the replay:\n%s",
             r->consumed + 1, kind_name(ev->kind), ev->at.tid, ev->at.ticount, ev->at.pc,
             ev->at.icount, kind_name(kind), pt.tid, pt.ticount, pt.pc, pt.icount, insn, pt.tid,
             regs);
        return NULL;
    }
    consume(r);
    return ev;
}

/* ---- port operations ---- */

static int rep_load_file(struct lx_port *p, struct lx_thread *t, const char *path, void **data,
                         size_t *len)
{
    struct rep_port *r = rp(p);
    const struct rpr_event *ev = expect(r, t, RPR_EV_LOAD_FILE, NULL);
    if (!ev) return -EIO;
    if (strcmp(ev->u.load_file.path, path)) {
        r->diverged = true;
        halt(r, "replay diverged: the guest loads %s, the recording has %s", path,
             ev->u.load_file.path);
        return -EIO;
    }
    if (ev->u.load_file.result) return (int)ev->u.load_file.result;
    const struct rpr_data *c = &ev->u.load_file.content;
    void *buf = malloc(c->len ? c->len : 1);
    if (!buf || (c->len && !c->data)) {
        free(buf);
        halt(r, "%s: file content missing from the recording", path);
        return -EIO;
    }
    memcpy(buf, c->data, c->len);
    *data = buf;
    *len = c->len;
    return 0;
}

static int rep_resolve_path(struct lx_port *p, struct lx_thread *t, const char *path, char *out,
                            size_t n)
{
    (void)path;
    const struct rpr_event *ev = expect(rp(p), t, RPR_EV_RESOLVE_PATH, NULL);
    if (!ev) return -EIO;
    if (ev->u.resolve_path.result) return (int)ev->u.resolve_path.result;
    snprintf(out, n, "%s", ev->u.resolve_path.resolved);
    return 0;
}

static long rep_read_fd_at(struct lx_port *p, struct lx_thread *t, int fd, uint64_t off,
                           void *buf, size_t len)
{
    struct rep_port *r = rp(p);
    const struct rpr_event *ev = expect(r, t, RPR_EV_READ_FD_AT, NULL);
    if (!ev) return -EIO;
    if (ev->u.read_fd_at.fd != fd || ev->u.read_fd_at.offset != off) {
        r->diverged = true;
        halt(r, "replay diverged: mapping fd %d at offset %" PRIu64 ", the recording has fd %" PRId64
                " at %" PRIu64, fd, off, ev->u.read_fd_at.fd, ev->u.read_fd_at.offset);
        return -EIO;
    }
    long rc = (long)ev->u.read_fd_at.result;
    if (rc > 0) {
        const struct rpr_data *b = &ev->u.read_fd_at.bytes;
        if ((uint64_t)rc > len || b->len != (uint64_t)rc || !b->data) {
            halt(r, "the recording's mapped file contents are damaged");
            return -EIO;
        }
        memcpy(buf, b->data, (size_t)rc);
    }
    return rc;
}

static void rep_random(struct lx_port *p, struct lx_thread *t, void *buf, size_t len)
{
    const struct rpr_event *ev = expect(rp(p), t, RPR_EV_RANDOM, NULL);
    memset(buf, 0, len);
    if (ev && ev->u.random.bytes.data)
        memcpy(buf, ev->u.random.bytes.data, ev->u.random.bytes.len < len ? ev->u.random.bytes.len : len);
}

static uint64_t rep_read_time(struct lx_port *p, struct lx_thread *t, uint64_t icount, uint64_t pc)
{
    struct lx_point pt;
    lx_thread_point_at(t, icount, pc, &pt);
    const struct rpr_event *ev = expect(rp(p), t, RPR_EV_READ_TIME, &pt);
    return ev ? ev->u.read_time.value : 0;
}

/* Re-emits what the guest wrote to its stdout/stderr (write, writev). */
static void reemit(struct lx_proc *proc, const struct lx_syscall *c, long ret)
{
    int fd = (int)c->a[0];
    if (ret <= 0 || (fd != 1 && fd != 2)) return;
    FILE *out = fd == 1 ? stdout : stderr;
    size_t left = (size_t)ret;
    char buf[4096];
    if (c->nr == 64) {
        for (uint64_t a = c->a[1]; left;) {
            size_t n = left < sizeof buf ? left : sizeof buf;
            if (lx_guest_peek(proc, a, buf, n)) break;
            fwrite(buf, 1, n, out);
            a += n;
            left -= n;
        }
    } else if (c->nr == 66) {
        for (uint64_t i = 0; i < c->a[2] && left; i++) {
            uint64_t iov[2];
            if (lx_guest_peek(proc, c->a[1] + 16 * i, iov, 16)) break;
            uint64_t a = iov[0], l = iov[1] < left ? iov[1] : left;
            left -= l;
            while (l) {
                size_t n = l < sizeof buf ? l : sizeof buf;
                if (lx_guest_peek(proc, a, buf, n)) break;
                fwrite(buf, 1, n, out);
                a += n;
                l -= n;
            }
        }
    }
    fflush(out);
}

static long rep_syscall(struct lx_port *p, struct lx_thread *t, const struct lx_syscall *c)
{
    struct rep_port *r = rp(p);
    const struct rpr_event *ev = expect(r, t, RPR_EV_SYSCALL, NULL);
    if (!ev) return -EIO;
    if (ev->u.syscall.nr != (uint64_t)c->nr ||
        ev->u.syscall.args_digest != rpr_args_digest((uint64_t)c->nr, c->a)) {
        r->diverged = true;
        struct lx_point pt;
        char insn[128] = "";
        cur_point(t, &pt);
        lx_describe_insn(lx_thread_proc(t), pt.pc - 4, insn, sizeof insn);
        halt(r,
             "replay diverged at event %" PRIu64 ": the guest makes system call %ld (a0=0x%" PRIx64
             " a1=0x%" PRIx64 " a2=0x%" PRIx64 "), the recording has system call %" PRIu64
             "%s at the same point (thread %u, instruction %" PRIu64 ", %s)",
             r->consumed, c->nr, c->a[0], c->a[1], c->a[2], ev->u.syscall.nr,
             ev->u.syscall.nr == (uint64_t)c->nr ? " with other arguments" : "", pt.tid,
             pt.ticount, insn);
        return -EIO;
    }
    struct lx_proc *proc = lx_thread_proc(t);
    for (size_t i = 0; i < ev->u.syscall.writes.n; i++) {
        const struct rpr_mem_write *w = &ev->u.syscall.writes.v[i];
        if (!w->bytes.data || lx_guest_poke(proc, w->addr, w->bytes.data, w->bytes.len)) {
            r->diverged = true;
            halt(r, "replay diverged: system call %ld wrote guest memory at 0x%" PRIx64
                    " in the recording, which is not mapped in the replay", c->nr, w->addr);
            return -EIO;
        }
    }
    long ret = (long)ev->u.syscall.ret;
    /* Output is re-emitted for the process asked for only, not for its
     * ancestors replayed up to the forks that lead to it. */
    if (!r->opt.quiet && (c->nr == 64 || c->nr == 66) && r->chain_pos + 1 == r->chain_len)
        reemit(proc, c, ret);
    return ret;
}

static long rep_host_id(struct lx_port *p, struct lx_thread *t, int what)
{
    const struct rpr_event *ev = expect(rp(p), t, RPR_EV_HOST_ID, NULL);
    (void)what;
    return ev ? (long)ev->u.host_id.value : 0;
}

static uint64_t rep_clock_ns(struct lx_port *p, struct lx_thread *t, int clock)
{
    (void)clock;
    const struct rpr_event *ev = expect(rp(p), t, RPR_EV_CLOCK, NULL);
    return ev ? ev->u.clock.ns : 0;
}

static void rep_idle(struct lx_port *p, struct lx_thread *t, uint64_t until_ns)
{
    (void)until_ns;
    /* No waiting in replay: what happened after the wait is in the log. */
    expect(rp(p), t, RPR_EV_IDLE, NULL);
}

static long rep_fork(struct lx_port *p, struct lx_thread *t)
{
    struct rep_port *r = rp(p);
    struct lx_point pt;
    cur_point(t, &pt);
    const struct rpr_event *ev = expect(r, t, RPR_EV_FORK, NULL);
    if (!ev) return -EIO;
    long pid = (long)ev->u.fork.result;
    /* Following a child: switch to its stream, which begins with its own
     * FORK event (result 0) at this same point. No host process is made. */
    if (pid > 0 && r->chain_pos + 1 < r->chain_len && (uint32_t)pid == r->chain[r->chain_pos + 1]) {
        rpr_iter_close(r->it);
        r->it = NULL;
        r->next = NULL;
        r->at_end = false;
        r->chain_pos++;
        r->stream = r->chain[r->chain_pos];
        if (rpr_iter_open(r->r, r->stream, NULL, &r->it)) {
            halt(r, "cannot read stream %u: %s", r->stream, rpr_reader_errmsg(r->r));
            return -EIO;
        }
        ev = expect(r, t, RPR_EV_FORK, &pt);
        if (!ev) return -EIO;
        return (long)ev->u.fork.result;
    }
    return pid;
}

static long rep_exec_host(struct lx_port *p, struct lx_thread *t, const char *path,
                          char *const *argv, char *const *envp)
{
    struct rep_port *r = rp(p);
    (void)argv; (void)envp;
    if (!expect(r, t, RPR_EV_EXEC_HOST, NULL)) return -EIO;
    const struct rpr_event *ev = peek(r);
    if (ev && ev->kind == RPR_EV_EXEC_HOST) {
        consume(r);
        return (long)ev->u.exec_host.result; /* the exec failed when recorded */
    }
    r->stopped = true;
    halt(r, "the guest process replaced itself with the host program %s here; its replay ends",
         path);
    return -ENOEXEC;
}

static int rep_fd_would_block(struct lx_port *p, struct lx_thread *t, int fd, short events)
{
    (void)fd; (void)events;
    const struct rpr_event *ev = expect(rp(p), t, RPR_EV_FD_WOULD_BLOCK, NULL);
    return ev ? (int)ev->u.fd_would_block.answer : 0;
}

void rep_port_stop(struct lx_port *port, const char *why)
{
    struct rep_port *r = rp(port);
    if (r->base.halt) return;
    r->stopped = true;
    halt(r, "stopped: %s", why);
}

static bool until_reached(struct rep_port *r, struct lx_thread *t)
{
    if (!r->opt.until) return false;
    struct lx_point pt;
    cur_point(t, &pt);
    if (pt.icount < r->opt.until) return false;
    r->stopped = true;
    halt(r, "stopped at instruction %" PRIu64 " (--until)", pt.icount);
    return true;
}

static int rep_take_signals(struct lx_port *p, struct lx_thread *t, struct lx_siginfo *out,
                            int max)
{
    struct rep_port *r = rp(p);
    /* t == NULL: the run loop detaches (lx_signal_detach), after the
     * process exited or the replay halted; no host signals to restore. */
    if (!t || r->base.halt || until_reached(r, t)) return 0;
    const struct rpr_event *ev = peek(r);
    if (!ev || ev->kind != RPR_EV_SIGNALS) return 0;
    struct lx_point pt;
    cur_point(t, &pt);
    if (ev->at.tid != pt.tid || ev->at.ticount != pt.ticount || ev->at.pc != pt.pc) return 0;
    int n = (int)ev->u.signals.infos.n;
    if (n > max) n = max;
    memcpy(out, ev->u.signals.infos.v, (size_t)n * RPR_SIGINFO_SIZE);
    consume(r);
    return n;
}

static uint64_t rep_next_stop(struct lx_port *p, struct lx_thread *t)
{
    struct rep_port *r = rp(p);
    struct lx_point pt;
    cur_point(t, &pt);
    uint64_t stop = UINT64_MAX;
    if (r->opt.until && pt.icount <= r->opt.until) stop = pt.ticount + (r->opt.until - pt.icount);
    const struct rpr_event *ev = peek(r);
    if (ev && ev->kind == RPR_EV_SIGNALS && ev->at.tid == pt.tid && ev->at.ticount < stop)
        stop = ev->at.ticount;
    return stop;
}

static void rep_thread_event(struct lx_port *p, struct lx_thread *t, bool start)
{
    expect(rp(p), t, start ? RPR_EV_THREAD_START : RPR_EV_THREAD_EXIT, NULL);
}

/* Lists the registers whose recorded value (rec, n of them) differs from
 * the replay's, as " name 0x.. -> 0x.." items; "" if none (then the
 * difference is in memory). */
static void regs_diff(struct lx_proc *proc, uint32_t tid, const void *rec, size_t n, char *buf,
                      size_t size)
{
    uint64_t now[LX_MAX_REGS], was[LX_MAX_REGS];
    size_t m = lx_thread_regs(proc, tid, now, LX_MAX_REGS), len = 0;
    if (n > m) n = m;
    memcpy(was, rec, n * 8);
    for (size_t i = 0; i < n && len < size; i++) {
        if (was[i] == now[i]) continue;
        int w = snprintf(buf + len, size - len, "\n    %s 0x%" PRIx64 " -> 0x%" PRIx64,
                         lx_reg_name(i), was[i], now[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
    if (!len) snprintf(buf, size, "\n    none: the difference is in guest memory");
}

static void rep_tick(struct lx_port *p, struct lx_thread *t)
{
    struct rep_port *r = rp(p);
    const struct rpr_event *ev = peek(r);
    struct lx_point pt;
    cur_point(t, &pt);
    while (ev && (ev->kind == RPR_EV_DIGEST || ev->kind == RPR_EV_REGS) &&
           ev->at.ticount == pt.ticount && ev->at.tid == pt.tid) {
        if (ev->kind == RPR_EV_REGS) { /* only read beside a differing digest */
            consume(r);
            ev = peek(r);
            continue;
        }
        uint64_t want = ev->u.digest.digest;
        consume(r);
        if (r->opt.verify) {
            uint64_t got = lx_state_digest(lx_thread_proc(t));
            r->digests_checked++;
            if (got != want) {
                char diff[768] = "";
                ev = peek(r);
                if (ev && ev->kind == RPR_EV_REGS && ev->u.regs.regs.data)
                    regs_diff(lx_thread_proc(t), pt.tid, ev->u.regs.regs.data,
                              (size_t)(ev->u.regs.regs.len / 8), diff, sizeof diff);
                r->diverged = true;
                halt(r, "replay diverged: the state digest at thread %u, instruction %" PRIu64
                        ", pc 0x%" PRIx64 " is %016" PRIx64 ", the recording has %016" PRIx64
                        "%s%s",
                     pt.tid, pt.ticount, pt.pc, got, want,
                     diff[0] ? "\n  registers that differ (recorded -> replay):" : "", diff);
                return;
            }
        }
        ev = peek(r);
    }
}

static void rep_destroy(struct lx_port *p)
{
    struct rep_port *r = rp(p);
    rpr_iter_close(r->it);
    free(r);
}

static const struct lx_port_ops rep_ops = {
    .load_file = rep_load_file,
    .resolve_path = rep_resolve_path,
    .read_fd_at = rep_read_fd_at,
    .random = rep_random,
    .read_time = rep_read_time,
    .syscall = rep_syscall,
    .host_id = rep_host_id,
    .clock_ns = rep_clock_ns,
    .idle = rep_idle,
    .fork = rep_fork,
    .exec_host = rep_exec_host,
    .fd_would_block = rep_fd_would_block,
    .take_signals = rep_take_signals,
    .next_stop = rep_next_stop,
    .thread_event = rep_thread_event,
    .tick = rep_tick,
    .destroy = rep_destroy,
};

int rep_port_create(struct rpr_reader *rd, const struct rep_options *opt, struct lx_port **out,
                    char *err, size_t errlen)
{
    *out = NULL;
    size_t n = rpr_reader_stream_count(rd);
    if (!n) {
        snprintf(err, errlen, "the recording holds no process");
        return -EINVAL;
    }
    struct rep_port *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    r->base.ops = &rep_ops;
    r->r = rd;
    r->opt = *opt;
    /* The chain of streams from the root process to the one asked for. */
    struct rpr_stream_info si;
    uint32_t target = opt->stream;
    if (!target) {
        rpr_reader_stream(rd, 0, &si);
        for (size_t i = 0; i < n; i++) {
            rpr_reader_stream(rd, i, &si);
            if (!si.parent) {
                target = si.id;
                break;
            }
        }
    }
    uint32_t rev[64];
    size_t len = 0;
    for (uint32_t id = target; id && len < 64;) {
        int idx = rpr_reader_find_stream(rd, id);
        if (idx < 0) {
            snprintf(err, errlen, "the recording has no process %u%s", id,
                     id == target ? "" : " (a parent of the one asked for)");
            free(r);
            return -ENOENT;
        }
        rpr_reader_stream(rd, (size_t)idx, &si);
        rev[len++] = id;
        id = si.parent;
    }
    for (size_t i = 0; i < len; i++) r->chain[i] = rev[len - 1 - i];
    r->chain_len = len;
    r->stream = r->chain[0];
    if (rpr_iter_open(rd, r->stream, NULL, &r->it)) {
        snprintf(err, errlen, "%s", rpr_reader_errmsg(rd));
        free(r);
        return -EIO;
    }
    *out = &r->base;
    return 0;
}

void rep_port_finish(struct lx_port *port, struct lx_proc *p, int rc, const char *err,
                     const struct lx_exit *ex, struct rep_result *res)
{
    struct rep_port *r = rp(port);
    memset(res, 0, sizeof *res);
    if (rc == 0) {
        /* The process ended: the recording must end the same way, with the
         * same final state. */
        const struct rpr_event *ev = peek(r);
        while (ev && (ev->kind == RPR_EV_DIGEST || ev->kind == RPR_EV_REGS)) {
            consume(r);
            ev = peek(r);
        }
        if (ev) {
            r->diverged = true;
            snprintf(r->msg, sizeof r->msg,
                     "replay diverged: the process ended, but the recording goes on with %s at "
                     "thread %u, instruction %" PRIu64,
                     kind_name(ev->kind), ev->at.tid, ev->at.ticount);
        } else if (r->have_exit && (r->exit.signaled != ex->signaled ||
                                    (ex->signaled ? r->exit.signal != ex->signal
                                                  : r->exit.status != ex->status))) {
            r->diverged = true;
            snprintf(r->msg, sizeof r->msg, "replay diverged: the process %s %d, recorded %s %d",
                     ex->signaled ? "was killed by signal" : "exited with", ex->signaled ? ex->signal : ex->status,
                     r->exit.signaled ? "killed by signal" : "exit", r->exit.signaled ? r->exit.signal : r->exit.status);
        } else if (r->have_final_digest) {
            uint64_t got = lx_state_digest(p);
            r->digests_checked++;
            if (got != r->final_digest) {
                r->diverged = true;
                snprintf(r->msg, sizeof r->msg,
                         "replay diverged: the final state digest is %016" PRIx64
                         ", the recording has %016" PRIx64, got, r->final_digest);
            }
        } else if (!r->have_exit) {
            r->truncated = true;
            snprintf(r->msg, sizeof r->msg, "the recording was cut short: it holds no exit");
        }
    } else if (!r->base.halt && err) {
        snprintf(r->msg, sizeof r->msg, "%s", err);
    }
    res->diverged = r->diverged;
    res->truncated = r->truncated;
    res->stopped = r->stopped;
    res->have_exit = r->have_exit;
    res->exit = r->exit;
    res->digests_checked = r->digests_checked;
    res->events = r->consumed;
    snprintf(res->message, sizeof res->message, "%s", r->msg);
    rep_destroy(port);
}
