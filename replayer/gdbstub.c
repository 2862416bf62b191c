/*
 * gdbstub.c - the gdb remote serial protocol over a replay (see gdbstub.h).
 *
 * Where the guest can stop, and why that never changes the replay:
 *
 * - Safe points: the run loop asks the port for its next stop (next_stop)
 *   before every vm_run. The stub wraps the replay port, so each of those
 *   calls is a point between instructions where the stub may stop, serve
 *   gdb, flush translations (after breakpoints changed) and bound the next
 *   vm_run: a single step is a budget of one instruction. A shorter budget
 *   only makes vm_run return earlier; lx_run is built so that where vm_run
 *   returns never changes the sequence of port calls (the replay port's
 *   own asynchronous events rely on the same property).
 * - Breakpoints: the translate hook compiles a per-instruction callback
 *   into every block that contains a breakpoint pc, from that instruction
 *   to the end of the block. The callback runs before the instruction with
 *   the exact state (registers live in the cpu, pc set, the instruction's
 *   own count passed), so the stub stops right there, inside the block.
 *   Resuming from such a stop with a step, or after the breakpoints
 *   changed, requests a cpu stop: the rest of the block (instrumented, so
 *   still exact) runs and the next safe point retranslates.
 *   Guest memory is never written (no ebreak is planted) and nothing the
 *   guest executes is altered: breakpoints cannot cause a divergence.
 *
 * - Watchpoints: while any exist, blocks are instrumented from their
 *   first memory instruction on; the callback computes the access of the
 *   instruction about to execute (address from its registers, size from its
 *   encoding) and stops before it on a hit (gdb's riscv watchpoints are
 *   "nonsteppable": gdb steps the access itself, then compares values).
 *
 * Reverse execution replays again from an earlier state: the latest
 * checkpoint before the target (a snapshot process, checkpoint.h: go_back
 * hands the session to it and this process exits), or, without
 * checkpoints, the beginning (the run halts and cmd_debug builds a fresh
 * process and replay port over the same recording). The resumed run is in
 * M_SCAN (run up to the point the command started from, every budget
 * bounded so that it lands exactly on its process instruction count,
 * noting breakpoint hits, watched accesses or, for bs, the stepped
 * thread's previous point; with nothing found, scan the stretch before the
 * checkpoint it started from) and then M_SEEK (back again and run exactly
 * to the last hit noted). A stop point is the process's instruction count
 * plus the thread shown to gdb: runs that start alike reach the same state
 * at the same count. Snapshots are taken in w_next_stop (and the first one
 * in gdbstub_start); a process resumed from one carries on from there.
 */
#include "gdbstub.h"
#include "checkpoint.h"
#include "isa.h"
#include "lx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

enum act { ACT_NONE, ACT_CONT, ACT_STEP, ACT_KILL, ACT_LEAVE, ACT_RESTART };

/* What the replay is doing: running under gdb's control, scanning from the
 * start for the target of a reverse command, or seeking to a point. */
enum mode { M_FORWARD, M_SCAN, M_SEEK };
enum rev { REV_BC, REV_BS };

/* An execution point: the process's retired instructions, and the thread
 * shown to gdb with its own count (tid -1: whichever thread runs next). */
struct xpoint {
    uint64_t icount;
    int tid;
    uint64_t ticount;
};

/* A snapshot of the replaying process (checkpoint.h), taken at a safe
 * point where the process had retired `icount` instructions. */
struct snap {
    uint64_t icount;
    int fd;                       /* its control socket (closing it ends it) */
    int pid;
    bool pinned;                  /* never thinned (the start, `monitor checkpoint`) */
};

/* A checkpoint named by `monitor checkpoint`: an execution point. */
struct mark {
    int id;
    struct xpoint at;
};

#define SNAP_CAP 64
#define MARK_CAP 64
/* A resume carries the gdb connection, every snapshot's control socket
 * and the acknowledgement pipe. */
_Static_assert(SNAP_CAP + 2 <= CKPT_MAX_FDS, "checkpoint.h: CKPT_MAX_FDS too small");

/* A watchpoint (Z2 write, Z3 read, Z4 access). */
struct watch {
    uint64_t addr, len;
    int type;
};

struct gdbstub {
    struct lx_port base;          /* the wrapping port (first: ops cast back) */
    struct lx_port_ops ops;
    struct lx_port *inner;        /* the replay port */
    struct vm_instrument ins;
    char *program, *sysroot, *socket_path;
    FILE *info;
    bool verbose;
    void (*events)(void *ctx, uint64_t icount, char *buf, size_t n);
    void *events_ctx;
    int lfd, cfd, lport;
    bool noack;
    struct lx_proc *p;
    /* breakpoints (pcs; Z0 and Z1 alike) */
    uint64_t *bps;
    size_t n_bps, cap_bps;
    bool dirty;                   /* translations predate the breakpoint set */
    struct watch *wps;
    size_t n_wps, cap_wps;
    /* reverse execution: re-replays from the start (see the top) */
    enum mode mode;
    enum rev rev;
    struct xpoint target;         /* M_SCAN: where the scan ends; M_SEEK: where to stop */
    char target_why[64];          /* the stop reason to report on arrival */
    int bs_tid;                   /* REV_BS: the thread stepped back, and the count */
    uint64_t bs_count;            /*   whose last point before the target is wanted */
    bool have_found;
    struct xpoint found;          /* REV_BC/REV_BS: the last hit before the target */
    char found_why[64];
    bool restarting;              /* the run was halted to restart the replay */
    uint64_t scan_from;           /* M_SCAN: the process count this scan started at */
    /* checkpoints (checkpoint.h; docs/debug.md) */
    uint64_t ck_interval;         /* instructions between automatic snapshots; 0: none */
    size_t ck_max;                /* most live snapshots (pinned ones included) */
    struct snap ck[SNAP_CAP];     /* sorted by icount */
    size_t n_ck;
    struct mark marks[MARK_CAP];
    size_t n_marks;
    int next_mark;
    uint64_t end_icount;          /* --stop-at-end: the recording's last count; 0: off */
    int end_signal;               /* its stop reply's signal (0: SIGKILL) */
    bool owe_ok;                  /* a `monitor seek` waits for its OK */
    /* the current stop */
    int stop_tid, stop_sig;
    uint64_t stop_ticount;
    uint64_t stop_icount;         /* the process's count at the stop */
    char stop_why[64];            /* "watch:ADDR;", "replaylog:begin;" or "" */
    struct vm_cpu *stop_cpu;
    bool in_cb;                   /* stopped inside a block (breakpoint callback) */
    bool owe_reply;               /* gdb resumed and waits for a stop reply */
    /* how the guest was resumed */
    bool stepping;
    int step_tid;
    uint64_t step_from;           /* the stepping thread's count when resumed */
    int resume_tid;               /* the point resumed from: no stop there again */
    uint64_t resume_ticount;
    int gtid, ctid;               /* Hg / Hc thread (0: the stop thread) */
    /* end */
    bool killed, exited, exit_known;
    struct lx_exit exit;
    /* i/o */
    unsigned char in[4096];
    size_t in_len, in_pos;
    char *pkt;
    size_t pkt_len, pkt_cap;
    char *out;
    size_t out_len, out_cap;
};

static struct gdbstub *gs(struct lx_port *p) { return (struct gdbstub *)p; }

/* ---- the wrapping port: everything forwarded to the replay port ---- */

static void sync_halt(struct gdbstub *g)
{
    if (!g->base.halt && g->inner->halt) g->base.halt = g->inner->halt;
}

static int w_load_file(struct lx_port *p, struct lx_thread *t, const char *path, void **data,
                       size_t *len)
{
    struct gdbstub *g = gs(p);
    int r = g->inner->ops->load_file(g->inner, t, path, data, len);
    sync_halt(g);
    return r;
}

static int w_resolve_path(struct lx_port *p, struct lx_thread *t, const char *path, char *out,
                          size_t n)
{
    struct gdbstub *g = gs(p);
    int r = g->inner->ops->resolve_path(g->inner, t, path, out, n);
    sync_halt(g);
    return r;
}

static long w_read_fd_at(struct lx_port *p, struct lx_thread *t, int fd, uint64_t off, void *buf,
                         size_t len)
{
    struct gdbstub *g = gs(p);
    long r = g->inner->ops->read_fd_at(g->inner, t, fd, off, buf, len);
    sync_halt(g);
    return r;
}

static void w_random(struct lx_port *p, struct lx_thread *t, void *buf, size_t len)
{
    struct gdbstub *g = gs(p);
    g->inner->ops->random(g->inner, t, buf, len);
    sync_halt(g);
}

static uint64_t w_read_time(struct lx_port *p, struct lx_thread *t, uint64_t icount, uint64_t pc)
{
    struct gdbstub *g = gs(p);
    uint64_t r = g->inner->ops->read_time(g->inner, t, icount, pc);
    sync_halt(g);
    return r;
}

static long w_syscall(struct lx_port *p, struct lx_thread *t, const struct lx_syscall *c)
{
    struct gdbstub *g = gs(p);
    long r = g->inner->ops->syscall(g->inner, t, c);
    sync_halt(g);
    return r;
}

static long w_host_id(struct lx_port *p, struct lx_thread *t, int what)
{
    struct gdbstub *g = gs(p);
    long r = g->inner->ops->host_id(g->inner, t, what);
    sync_halt(g);
    return r;
}

static uint64_t w_clock_ns(struct lx_port *p, struct lx_thread *t, int clock)
{
    struct gdbstub *g = gs(p);
    uint64_t r = g->inner->ops->clock_ns(g->inner, t, clock);
    sync_halt(g);
    return r;
}

static void w_idle(struct lx_port *p, struct lx_thread *t, uint64_t until_ns)
{
    struct gdbstub *g = gs(p);
    g->inner->ops->idle(g->inner, t, until_ns);
    sync_halt(g);
}

static long w_fork(struct lx_port *p, struct lx_thread *t)
{
    struct gdbstub *g = gs(p);
    long r = g->inner->ops->fork(g->inner, t);
    sync_halt(g);
    return r;
}

static long w_exec_host(struct lx_port *p, struct lx_thread *t, const char *path,
                        char *const *argv, char *const *envp)
{
    struct gdbstub *g = gs(p);
    long r = g->inner->ops->exec_host(g->inner, t, path, argv, envp);
    sync_halt(g);
    return r;
}

static int w_fd_would_block(struct lx_port *p, struct lx_thread *t, int fd, short events)
{
    struct gdbstub *g = gs(p);
    int r = g->inner->ops->fd_would_block(g->inner, t, fd, events);
    sync_halt(g);
    return r;
}

static int w_take_signals(struct lx_port *p, struct lx_thread *t, struct lx_siginfo *out, int max)
{
    struct gdbstub *g = gs(p);
    int r = g->inner->ops->take_signals(g->inner, t, out, max);
    sync_halt(g);
    return r;
}

static void w_thread_event(struct lx_port *p, struct lx_thread *t, bool start)
{
    struct gdbstub *g = gs(p);
    g->inner->ops->thread_event(g->inner, t, start);
    sync_halt(g);
}

static void w_tick(struct lx_port *p, struct lx_thread *t)
{
    struct gdbstub *g = gs(p);
    g->inner->ops->tick(g->inner, t);
    sync_halt(g);
}

static void w_destroy(struct lx_port *p) { (void)p; /* the stub owns nothing of the port */ }

static uint64_t w_next_stop(struct lx_port *p, struct lx_thread *t);
static void go_back(struct gdbstub *g, uint64_t icount, bool strict);

/* ---- breakpoints ---- */

static bool bp_has(const struct gdbstub *g, uint64_t pc)
{
    for (size_t i = 0; i < g->n_bps; i++)
        if (g->bps[i] == pc) return true;
    return false;
}

static bool bp_add(struct gdbstub *g, uint64_t pc)
{
    if (bp_has(g, pc)) return true;
    if (g->n_bps == g->cap_bps) {
        size_t cap = g->cap_bps ? 2 * g->cap_bps : 16;
        uint64_t *n = realloc(g->bps, cap * sizeof *n);
        if (!n) return false;
        g->bps = n;
        g->cap_bps = cap;
    }
    g->bps[g->n_bps++] = pc;
    g->dirty = true;
    return true;
}

static void bp_del(struct gdbstub *g, uint64_t pc)
{
    for (size_t i = 0; i < g->n_bps; i++)
        if (g->bps[i] == pc) {
            g->bps[i] = g->bps[--g->n_bps];
            g->dirty = true;
            return;
        }
}

/* ---- watchpoints ---- */

static bool wp_add(struct gdbstub *g, int type, uint64_t addr, uint64_t len)
{
    for (size_t i = 0; i < g->n_wps; i++)
        if (g->wps[i].type == type && g->wps[i].addr == addr && g->wps[i].len == len) return true;
    if (g->n_wps == g->cap_wps) {
        size_t cap = g->cap_wps ? 2 * g->cap_wps : 8;
        struct watch *n = realloc(g->wps, cap * sizeof *n);
        if (!n) return false;
        g->wps = n;
        g->cap_wps = cap;
    }
    g->wps[g->n_wps++] = (struct watch){ .addr = addr, .len = len ? len : 1, .type = type };
    g->dirty = true;
    return true;
}

static void wp_del(struct gdbstub *g, int type, uint64_t addr, uint64_t len)
{
    for (size_t i = 0; i < g->n_wps; i++)
        if (g->wps[i].type == type && g->wps[i].addr == addr && g->wps[i].len == (len ? len : 1)) {
            g->wps[i] = g->wps[--g->n_wps];
            g->dirty = true;
            return;
        }
}

/* Whether the instruction at pc, about to execute on cpu, accesses watched
 * memory; if so writes the stop reason ("watch:ADDR;", "rwatch:..." or
 * "awatch:...") to why. The access is computed from the instruction and
 * the registers before it executes, so the stop is exact: gdb's riscv
 * watchpoints are "nonsteppable" (they trigger before the access), so gdb
 * then steps the instruction itself and shows the old and new values. */
static bool watch_check(struct gdbstub *g, const struct vm_cpu *cpu, uint64_t pc, char *why,
                        size_t n)
{
    if (!g->n_wps || !g->p) return false;
    uint32_t bits = 0;
    if (lx_guest_peek(g->p, pc, &bits, 2)) return false;
    if ((bits & 3) == 3 && lx_guest_peek(g->p, pc, &bits, 4)) return false;
    struct rv_decoded d;
    if (rv_decode(bits, &d) || d.id == RV_ILLEGAL) return false;
    unsigned fl = rv_insns[d.id].flags;
    if (!(fl & RVF_MEMORY)) return false;
    unsigned size = 1u << ((d.word >> 12) & 3);
    bool amo = (d.word & 0x7f) == 0x2f;
    uint64_t addr = cpu->x[d.rs1] + (amo ? 0 : (uint64_t)d.imm);
    bool rd = fl & (RVF_LOAD | RVF_AMO), wr = fl & (RVF_STORE | RVF_AMO);
    for (size_t i = 0; i < g->n_wps; i++) {
        const struct watch *w = &g->wps[i];
        if (addr >= w->addr + w->len || w->addr >= addr + size) continue;
        if ((w->type == 2 && !wr) || (w->type == 3 && !rd)) continue;
        const char *k = w->type == 2 ? "watch" : w->type == 3 ? "rwatch" : "awatch";
        snprintf(why, n, "%s:%" PRIx64 ";", k, addr > w->addr ? addr : w->addr);
        return true;
    }
    return false;
}

/* ---- i/o with the client ---- */

static void vlog(struct gdbstub *g, const char *dir, const char *s, size_t n)
{
    if (g->verbose) fprintf(stderr, "gdbstub %s %.*s\n", dir, (int)(n > 300 ? 300 : n), s);
}

static void close_client(struct gdbstub *g)
{
    if (g->cfd >= 0) close(g->cfd);
    g->cfd = -1;
    g->in_len = g->in_pos = 0;
    g->noack = false;
}

static bool write_all(struct gdbstub *g, const void *buf, size_t n)
{
    const char *b = buf;
    while (n) {
        ssize_t w = send(g->cfd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

/* Waits until fd is readable; ends this process if the session's
 * supervisor is gone meanwhile (checkpoint.h: nothing may outlive it). */
static void wait_readable(int fd)
{
    int life = ckpt_lifeline_fd();
    struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = life, .events = POLLIN } };
    for (;;) {
        int n = poll(pf, life >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0 && life >= 0 && pf[1].revents) _exit(1);
        return;
    }
}

/* Next byte from the client, -1 on end of connection. */
static int get_byte(struct gdbstub *g)
{
    if (g->in_pos == g->in_len) {
        ssize_t r;
        wait_readable(g->cfd);
        do r = recv(g->cfd, g->in, sizeof g->in, 0);
        while (r < 0 && errno == EINTR);
        if (r <= 0) return -1;
        g->in_len = (size_t)r;
        g->in_pos = 0;
    }
    return g->in[g->in_pos++];
}

static bool out_reserve(struct gdbstub *g, size_t more)
{
    if (g->out_len + more + 1 <= g->out_cap) return true;
    size_t cap = g->out_cap ? g->out_cap : 4096;
    while (cap < g->out_len + more + 1) cap *= 2;
    char *n = realloc(g->out, cap);
    if (!n) return false;
    g->out = n;
    g->out_cap = cap;
    return true;
}

static void out_reset(struct gdbstub *g) { g->out_len = 0; }

static void out_raw(struct gdbstub *g, const void *s, size_t n)
{
    if (!out_reserve(g, n)) return;
    memcpy(g->out + g->out_len, s, n);
    g->out_len += n;
}

static void out_str(struct gdbstub *g, const char *s) { out_raw(g, s, strlen(s)); }

static void out_fmt(struct gdbstub *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_fmt(struct gdbstub *g, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) out_raw(g, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void out_hex(struct gdbstub *g, const void *data, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    const unsigned char *d = data;
    if (!out_reserve(g, 2 * n)) return;
    for (size_t i = 0; i < n; i++) {
        g->out[g->out_len++] = hx[d[i] >> 4];
        g->out[g->out_len++] = hx[d[i] & 15];
    }
}

/* Binary data with the protocol's escapes (qXfer replies). */
static void out_binary(struct gdbstub *g, const void *data, size_t n)
{
    const unsigned char *d = data;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = d[i];
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            unsigned char e[2] = { '}', (unsigned char)(c ^ 0x20) };
            out_raw(g, e, 2);
        } else {
            out_raw(g, &c, 1);
        }
    }
}

/* Sends the packet built in g->out. */
static bool send_packet(struct gdbstub *g)
{
    if (g->cfd < 0) return false;
    unsigned sum = 0;
    for (size_t i = 0; i < g->out_len; i++) sum += (unsigned char)g->out[i];
    char head = '$', tail[4];
    snprintf(tail, sizeof tail, "#%02x", sum & 0xff);
    vlog(g, "->", g->out, g->out_len);
    if (!out_reserve(g, 4)) return false;
    /* one write: $ data #cs */
    memmove(g->out + 1, g->out, g->out_len);
    g->out[0] = head;
    memcpy(g->out + 1 + g->out_len, tail, 3);
    bool ok = write_all(g, g->out, g->out_len + 4);
    g->out_len = 0;
    if (!ok) close_client(g);
    return ok;
}

static bool reply(struct gdbstub *g, const char *s)
{
    out_reset(g);
    out_str(g, s);
    return send_packet(g);
}

/* Reads one packet into g->pkt (NUL-terminated). Returns 1 for a packet,
 * 2 for an interrupt byte (0x03), -1 when the client is gone. */
static int read_packet(struct gdbstub *g)
{
    for (;;) {
        int c = get_byte(g);
        if (c < 0) return -1;
        if (c == 3) return 2;
        if (c != '$') continue; /* acks and noise */
        g->pkt_len = 0;
        if (!g->pkt) { /* an empty first packet ("$#00") still needs its NUL */
            g->pkt = malloc(4096);
            if (!g->pkt) return -1;
            g->pkt_cap = 4096;
        }
        unsigned sum = 0;
        for (;;) {
            c = get_byte(g);
            if (c < 0) return -1;
            if (c == '#') break;
            sum += (unsigned)c;
            if (g->pkt_len + 2 > g->pkt_cap) {
                size_t cap = g->pkt_cap ? 2 * g->pkt_cap : 4096;
                char *n = realloc(g->pkt, cap);
                if (!n) return -1;
                g->pkt = n;
                g->pkt_cap = cap;
            }
            g->pkt[g->pkt_len++] = (char)c;
        }
        int h1 = get_byte(g), h2 = get_byte(g);
        if (h1 < 0 || h2 < 0) return -1;
        char cs[3] = { (char)h1, (char)h2, 0 };
        g->pkt[g->pkt_len] = 0;
        if (!g->noack) {
            bool good = strtoul(cs, NULL, 16) == (sum & 0xff);
            if (!write_all(g, good ? "+" : "-", 1)) return -1;
            if (!good) continue;
        }
        vlog(g, "<-", g->pkt, g->pkt_len);
        return 1;
    }
}

static bool accept_client(struct gdbstub *g)
{
    for (;;) {
        wait_readable(g->lfd);
        int fd = accept4(g->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0 && errno == EINTR) continue;
        if (fd < 0) return false;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        g->cfd = fd;
        g->in_len = g->in_pos = 0;
        g->noack = false;
        if (g->info) {
            fprintf(g->info, "reprise: debug: gdb connected\n");
            fflush(g->info);
        }
        return true;
    }
}

/* ---- guest state ---- */

static struct lx_thread *find_thread(struct gdbstub *g, int tid)
{
    if (!g->p) return NULL;
    for (size_t i = 0; i < g->p->n_threads; i++) {
        struct lx_thread *t = g->p->threads[i];
        if (t->tid == tid && t->state != LX_EXITED) return t;
    }
    return NULL;
}

/* The thread an Hg/Hc selection names (0 or -1: the stop thread). */
static struct lx_thread *sel_thread(struct gdbstub *g, int tid)
{
    struct lx_thread *t = tid > 0 ? find_thread(g, tid) : NULL;
    return t ? t : find_thread(g, g->stop_tid);
}

/* A thread's retired-instruction count at the current stop. */
static uint64_t thread_count(struct gdbstub *g, struct lx_thread *t)
{
    if (t->tid == g->stop_tid) return g->stop_ticount;
    return t->cpu->icount;
}

/* Register regnum (gdb's numbering for riscv) as bytes; returns the size,
 * 0 if there is no such register. */
static size_t reg_bytes(struct lx_thread *t, unsigned regnum, unsigned char *buf)
{
    const struct vm_cpu *c = t->cpu;
    uint64_t v;
    size_t n = 8;
    if (regnum < 32) v = regnum ? c->x[regnum] : 0;
    else if (regnum == 32) v = c->pc;
    else if (regnum < 65) v = c->f[regnum - 33];
    else if (regnum == 66) v = c->fflags, n = 4;
    else if (regnum == 67) v = c->frm, n = 4;
    else if (regnum == 68) v = (uint64_t)c->frm << 5 | c->fflags, n = 4;
    else return 0;
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(v >> (8 * i));
    return n;
}

static const char *const xnames[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};
static const char *const fnames[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};

/* The target description (gdb's features/riscv/64bit-cpu.xml and
 * 64bit-fpu.xml: regnums 0-31 x, 32 pc, 33-64 f, 66-68 fflags/frm/fcsr). */
static char *target_xml(void)
{
    size_t cap = 8192, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
#define ADD(...) len += (size_t)snprintf(s + len, cap - len, __VA_ARGS__)
    ADD("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
        "<target version=\"1.0\">\n<architecture>riscv:rv64</architecture>\n"
        "<osabi>GNU/Linux</osabi>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
    for (int i = 0; i < 32; i++) {
        const char *type = i == 1 ? "code_ptr" : (i >= 2 && i <= 4) ? "data_ptr" : "int";
        ADD("  <reg name=\"%s\" bitsize=\"64\" type=\"%s\" regnum=\"%d\"/>\n", xnames[i], type, i);
    }
    ADD("  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n"
        "<feature name=\"org.gnu.gdb.riscv.fpu\">\n"
        "  <union id=\"riscv_double\">\n    <field name=\"float\" type=\"ieee_single\"/>\n"
        "    <field name=\"double\" type=\"ieee_double\"/>\n  </union>\n");
    for (int i = 0; i < 32; i++)
        ADD("  <reg name=\"%s\" bitsize=\"64\" type=\"riscv_double\" regnum=\"%d\"/>\n", fnames[i],
            33 + i);
    ADD("  <reg name=\"fflags\" bitsize=\"32\" type=\"int\" regnum=\"66\"/>\n"
        "  <reg name=\"frm\" bitsize=\"32\" type=\"int\" regnum=\"67\"/>\n"
        "  <reg name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"68\"/>\n</feature>\n</target>\n");
#undef ADD
    return s;
}

/* ---- packets ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A thread id as gdb writes it: hex, -1 or 0. */
static int parse_tid(const char *s)
{
    if (!strncmp(s, "-1", 2)) return -1;
    if (*s == 'p') { /* multiprocess form p<pid>.<tid> */
        const char *dot = strchr(s, '.');
        s = dot ? dot + 1 : s + 1;
    }
    return (int)strtol(s, NULL, 16);
}

static void stop_reply(struct gdbstub *g)
{
    out_reset(g);
    if (g->exited) {
        if (g->exit_known && !g->exit.signaled) out_fmt(g, "W%02x", g->exit.status & 0xff);
        else out_fmt(g, "X%02x", g->exit_known ? g->exit.signal & 0xff : 9);
    } else {
        out_fmt(g, "T%02x%sthread:%x;", g->stop_sig, g->stop_why, g->stop_tid);
    }
    send_packet(g);
}

/* The thread list for qXfer:threads (gdb's "Thread List Format": one
 * <thread id="HEX" name="..."/> per live thread). The name is what Linux
 * would show as the thread's comm: the personality keeps no per-thread
 * name (prctl PR_SET_NAME is not recorded), so it is the program's file
 * name cut to 15 bytes (TASK_COMM_LEN - 1, proc(5) /proc/pid/comm), as
 * for a thread that never renamed itself. Returns a malloc'd string. */
static char *threads_xml(struct gdbstub *g)
{
    const char *path = g->p && lx_exe_path(g->p) ? lx_exe_path(g->p) : g->program;
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : path ? path : "";
    char name[16 * 6 + 1];
    size_t k = 0;
    for (size_t i = 0; base[i] && i < 15; i++) {
        const char *e = NULL;
        switch (base[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&apos;"; break;
        }
        if (e) {
            memcpy(name + k, e, strlen(e));
            k += strlen(e);
        } else {
            name[k++] = base[i];
        }
    }
    name[k] = 0;
    size_t n = g->p ? g->p->n_threads : 0, cap = 64 + n * (48 + k);
    char *x = malloc(cap);
    if (!x) return NULL;
    size_t len = (size_t)snprintf(x, cap, "<?xml version=\"1.0\"?>\n<threads>\n");
    for (size_t i = 0; !g->exited && i < n; i++) {
        struct lx_thread *t = g->p->threads[i];
        if (t->state == LX_EXITED) continue;
        len += (size_t)snprintf(x + len, cap - len, "<thread id=\"%x\" name=\"%s\"/>\n", t->tid, name);
    }
    snprintf(x + len, cap - len, "</threads>\n");
    return x;
}

/* Appends to a growing string (NULL stays NULL on a failed allocation). */
static void sappend(char **s, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void sappend(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
    if (!*s) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*s + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        char *m = realloc(*s, 2 * *cap + (size_t)n);
        if (!m) {
            free(*s);
            *s = NULL;
            return;
        }
        *s = m;
        *cap = 2 * *cap + (size_t)n;
    }
}

/* The loaded objects for qXfer:libraries-svr4 (gdb's "Library List Format
 * for SVR4 Targets"), read from the guest's dynamic linker structures: the
 * executable's program headers (auxv AT_PHDR/AT_PHNUM, the load bias from
 * PT_PHDR), its PT_DYNAMIC section's DT_DEBUG entry, which the dynamic
 * linker points at its struct r_debug (glibc <link.h>: r_map at offset 8),
 * and the link_map chain from there (l_addr 0, l_name 8, l_ld 16, l_next
 * 24). The first link_map is the executable (main-lm). Before the dynamic
 * linker has filled DT_DEBUG in, and for a static program, the list is
 * empty. Everything is read with lx_guest_peek: a bad pointer ends the
 * list. Returns a malloc'd string. */
static char *libraries_xml(struct gdbstub *g)
{
    size_t len = 0, cap = 1024;
    char *x = malloc(cap);
    uint64_t phdr = 0, phnum = 0, rdebug = 0;
    for (size_t i = 0; g->p && i + 1 < g->p->n_auxv; i += 2) {
        if (g->p->auxv[i] == 3) phdr = g->p->auxv[i + 1];
        if (g->p->auxv[i] == 5) phnum = g->p->auxv[i + 1];
    }
    uint64_t bias = 0, dyn = 0, dynsz = 0;
    bool have_bias = false;
    for (uint64_t i = 0; g->p && !g->exited && phdr && i < phnum && i < 256; i++) {
        uint32_t type;
        uint64_t vaddr, memsz;
        uint64_t ph = phdr + i * 56; /* Elf64_Phdr */
        if (lx_guest_peek(g->p, ph, &type, 4) || lx_guest_peek(g->p, ph + 16, &vaddr, 8) ||
            lx_guest_peek(g->p, ph + 40, &memsz, 8))
            break;
        if (type == 6) bias = phdr - vaddr, have_bias = true; /* PT_PHDR */
        if (type == 2) dyn = vaddr, dynsz = memsz;            /* PT_DYNAMIC */
    }
    if (dyn && have_bias) {
        for (uint64_t off = 0; off + 16 <= dynsz && off < 16 * 4096; off += 16) {
            uint64_t tag, val;
            if (lx_guest_peek(g->p, bias + dyn + off, &tag, 8) ||
                lx_guest_peek(g->p, bias + dyn + off + 8, &val, 8) || tag == 0)
                break;
            if (tag == 21) rdebug = val; /* DT_DEBUG */
        }
    }
    uint64_t lm = 0;
    if (rdebug && lx_guest_peek(g->p, rdebug + 8, &lm, 8)) lm = 0;
    if (!lm) {
        sappend(&x, &len, &cap, "<library-list-svr4 version=\"1.0\"/>\n");
        return x;
    }
    sappend(&x, &len, &cap, "<library-list-svr4 version=\"1.0\" main-lm=\"0x%" PRIx64 "\">\n", lm);
    uint64_t next = 0;
    if (lx_guest_peek(g->p, lm + 24, &next, 8)) next = 0;
    for (unsigned n = 0; next && n < 4096; n++) {
        uint64_t f[4];
        if (lx_guest_peek(g->p, next, f, sizeof f)) break;
        char name[4096];
        size_t k = 0;
        while (f[1] && k + 1 < sizeof name && lx_guest_peek(g->p, f[1] + k, &name[k], 1) == 0 && name[k])
            k++;
        name[k] = 0;
        sappend(&x, &len, &cap, "  <library name=\"");
        for (size_t i = 0; i < k; i++) {
            char c = name[i];
            if (c == '&') sappend(&x, &len, &cap, "&amp;");
            else if (c == '<') sappend(&x, &len, &cap, "&lt;");
            else if (c == '>') sappend(&x, &len, &cap, "&gt;");
            else if (c == '"') sappend(&x, &len, &cap, "&quot;");
            else if ((unsigned char)c < 0x20) sappend(&x, &len, &cap, "&#%d;", c);
            else sappend(&x, &len, &cap, "%c", c);
        }
        sappend(&x, &len, &cap, "\" lm=\"0x%" PRIx64 "\" lmid=\"0x0\" l_addr=\"0x%" PRIx64 "\" l_ld=\"0x%" PRIx64 "\"/>\n",
                next, f[0], f[2]);
        next = f[3];
    }
    sappend(&x, &len, &cap, "</library-list-svr4>\n");
    return x;
}

/* Serves a qXfer read of `data` (n bytes) for "off,len". */
static void xfer_reply(struct gdbstub *g, const char *args, const void *data, size_t n)
{
    char *end;
    uint64_t off = strtoull(args, &end, 16), len = *end == ',' ? strtoull(end + 1, NULL, 16) : 0;
    out_reset(g);
    if (off >= n) {
        out_str(g, "l");
    } else {
        size_t k = n - off < len ? n - off : (size_t)len;
        out_str(g, off + k >= n ? "l" : "m");
        out_binary(g, (const char *)data + off, k);
    }
    send_packet(g);
}

/* Console output for monitor commands (O packets, hex text). */
static void console(struct gdbstub *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void console(struct gdbstub *g, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    out_reset(g);
    out_str(g, "O");
    out_hex(g, buf, strlen(buf));
    send_packet(g);
}

/* Starts a reverse command (bc, bs): notes where the guest is, and asks
 * for the replay to restart from the beginning and scan up to here. */
static enum act reverse(struct gdbstub *g, enum rev kind)
{
    if (g->exited || !g->p) {
        /* Reverse execution from the recorded exit is not supported yet. */
        reply(g, "E01");
        return ACT_NONE;
    }
    g->rev = kind;
    g->have_found = false;
    g->found_why[0] = 0;
    g->target = (struct xpoint){ g->stop_icount, g->stop_tid, g->stop_ticount };
    if (kind == REV_BS) {
        struct lx_thread *t = sel_thread(g, g->ctid);
        uint64_t n = t ? thread_count(g, t) : 0;
        if (!t || n == 0) { /* the thread's first instruction: nothing before */
            snprintf(g->stop_why, sizeof g->stop_why, "replaylog:begin;");
            stop_reply(g);
            return ACT_NONE;
        }
        g->bs_tid = t->tid;
        g->bs_count = n - 1;
    }
    g->mode = M_SCAN;
    g->owe_reply = true;
    return ACT_RESTART;
}

static enum act monitor(struct gdbstub *g, const char *hex)
{
    char cmd[256];
    size_t n = 0;
    for (; hex[0] && hex[1] && n + 1 < sizeof cmd; hex += 2) {
        int a = hexval(hex[0]), b = hexval(hex[1]);
        if (a < 0 || b < 0) break;
        cmd[n++] = (char)(a << 4 | b);
    }
    cmd[n] = 0;
    while (n && (cmd[n - 1] == ' ' || cmd[n - 1] == '\n')) cmd[--n] = 0;
    if (!strcmp(cmd, "icount")) {
        struct lx_thread *t = find_thread(g, g->stop_tid);
        if (g->exited || !t) {
            console(g, "the process has ended\n");
        } else {
            struct lx_point pt;
            lx_thread_point_at(t, g->stop_ticount, t->cpu->pc, &pt);
            console(g, "icount %" PRIu64 " (thread %u: %" PRIu64 " instructions), pc 0x%" PRIx64 "\n",
                    pt.icount, pt.tid, pt.ticount, pt.pc);
        }
    } else if (!strncmp(cmd, "seek", 4) && (cmd[4] == ' ' || !cmd[4])) {
        char *e;
        uint64_t n = strtoull(cmd + 4, &e, 0);
        if (!cmd[4] || *e) {
            console(g, "usage: monitor seek ICOUNT\n");
        } else if (g->exited || !g->p) {
            console(g, "the process has ended\n");
        } else {
            /* Replays from the start to that process instruction count;
             * the OK is sent on arrival. */
            g->mode = M_SEEK;
            g->target = (struct xpoint){ n, -1, 0 };
            g->target_why[0] = 0;
            g->owe_ok = true;
            return ACT_RESTART;
        }
    } else if (!strcmp(cmd, "events")) {
        if (!g->events || g->exited) {
            console(g, g->exited ? "the process has ended\n" : "no event list\n");
        } else {
            char *buf = malloc(4096);
            if (buf) {
                g->events(g->events_ctx, g->stop_icount, buf, 4096);
                /* console packets carry at most ~900 bytes each */
                for (size_t off = 0, len = strlen(buf); off < len; off += 400)
                    console(g, "%.400s", buf + off);
                free(buf);
            }
        }
    } else if (!strcmp(cmd, "checkpoint")) {
        if (g->exited || !g->p) {
            console(g, "the process has ended\n");
        } else if (g->n_marks == MARK_CAP) {
            console(g, "too many checkpoints (%d)\n", MARK_CAP);
        } else {
            /* A checkpoint is this execution point; the latest snapshot
             * before it is pinned so that going back costs at most one
             * checkpoint interval of replay. */
            struct mark *m = &g->marks[g->n_marks++];
            m->id = g->next_mark++;
            m->at = (struct xpoint){ g->stop_icount, g->stop_tid, g->stop_ticount };
            for (size_t i = g->n_ck; i-- > 0;)
                if (g->ck[i].icount <= g->stop_icount) {
                    g->ck[i].pinned = true;
                    break;
                }
            console(g, "checkpoint %d at icount %" PRIu64 " (thread %d: %" PRIu64 " instructions)\n",
                    m->id, m->at.icount, m->at.tid, m->at.ticount);
        }
    } else if (!strcmp(cmd, "checkpoints") || !strcmp(cmd, "info checkpoints")) {
        if (!g->n_marks) console(g, "no checkpoints (monitor checkpoint takes one)\n");
        for (size_t i = 0; i < g->n_marks; i++)
            console(g, "  %d  icount %" PRIu64 " (thread %d: %" PRIu64 " instructions)\n",
                    g->marks[i].id, g->marks[i].at.icount, g->marks[i].at.tid, g->marks[i].at.ticount);
        char line[900];
        size_t len = (size_t)snprintf(line, sizeof line, "snapshots (%zu live, every %" PRIu64
                                      " instructions):", g->n_ck, g->ck_interval);
        for (size_t i = 0; i < g->n_ck && len + 24 < sizeof line; i++)
            len += (size_t)snprintf(line + len, sizeof line - len, " %" PRIu64 "%s", g->ck[i].icount,
                                    g->ck[i].pinned ? "*" : "");
        console(g, "%s\n", g->ck_interval ? line : "snapshots: off (reverse commands replay from the start)");
    } else if (!strncmp(cmd, "restart", 7) && (cmd[7] == ' ' || !cmd[7])) {
        char *e;
        long id = strtol(cmd + 7, &e, 10);
        const struct mark *m = NULL;
        for (size_t i = 0; cmd[7] && !*e && i < g->n_marks; i++)
            if (g->marks[i].id == id) m = &g->marks[i];
        if (!cmd[7] || *e) {
            console(g, "usage: monitor restart N\n");
        } else if (!m) {
            console(g, "no checkpoint %ld (monitor checkpoints lists them)\n", id);
        } else if (g->exited || !g->p) {
            console(g, "the process has ended\n");
        } else {
            /* Like seek, to the checkpoint's point and thread; the OK is
             * sent on arrival. */
            g->mode = M_SEEK;
            g->target = m->at;
            g->target_why[0] = 0;
            g->owe_ok = true;
            return ACT_RESTART;
        }
    } else if (!strcmp(cmd, "help") || !cmd[0]) {
        console(g, "reprise monitor commands:\n"
                   "  icount        the current execution point (process and thread instruction counts)\n"
                   "  seek ICOUNT   go to that process instruction count (from the latest checkpoint\n"
                   "                before it; then 'maint flush register-cache' so that gdb rereads)\n"
                   "  events        the recorded events just before and after this point\n"
                   "  checkpoint    make this point checkpoint N (prints N and the icount)\n"
                   "  checkpoints   list the checkpoints and the live snapshots (also: info checkpoints)\n"
                   "  restart N     go back (or forward) to checkpoint N (then 'maint flush register-cache')\n"
                   "  help          this list\n");
    } else {
        console(g, "unknown monitor command '%s' (try 'monitor help')\n", cmd);
    }
    reply(g, "OK");
    return ACT_NONE;
}

/* Refuses a write: a replay's state is the recording's. */
static void refuse_write(struct gdbstub *g, const char *what)
{
    fprintf(stderr, "reprise: debug: refused a %s write: changing the replayed process would "
                    "make it diverge from the recording\n", what);
    reply(g, "E01");
}

/* Handles one packet while stopped; returns what to do next. */
static enum act handle(struct gdbstub *g, char *pkt)
{
    char *end;
    switch (pkt[0]) {
    case '?':
        stop_reply(g);
        return ACT_NONE;
    case 'g': {
        struct lx_thread *t = g->exited ? NULL : sel_thread(g, g->gtid);
        if (!t) return reply(g, "E01"), ACT_NONE;
        unsigned char b[8];
        out_reset(g);
        for (unsigned r = 0; r <= 68; r++) {
            size_t n = reg_bytes(t, r, b);
            if (n) out_hex(g, b, n);
        }
        send_packet(g);
        return ACT_NONE;
    }
    case 'p': {
        struct lx_thread *t = g->exited ? NULL : sel_thread(g, g->gtid);
        unsigned char b[8];
        size_t n = t ? reg_bytes(t, (unsigned)strtoul(pkt + 1, NULL, 16), b) : 0;
        if (!n) return reply(g, "E01"), ACT_NONE;
        out_reset(g);
        out_hex(g, b, n);
        send_packet(g);
        return ACT_NONE;
    }
    case 'G': refuse_write(g, "register"); return ACT_NONE;
    case 'P': refuse_write(g, "register"); return ACT_NONE;
    case 'M': case 'X': refuse_write(g, "memory"); return ACT_NONE;
    case 'm': {
        uint64_t addr = strtoull(pkt + 1, &end, 16);
        uint64_t len = *end == ',' ? strtoull(end + 1, NULL, 16) : 0;
        if (len > 0x2000) len = 0x2000;
        if (g->exited || !g->p) return reply(g, "E01"), ACT_NONE;
        unsigned char buf[0x2000];
        size_t got = 0;
        if (lx_guest_peek(g->p, addr, buf, len) == 0) {
            got = len;
        } else {
            while (got < len && lx_guest_peek(g->p, addr + got, buf + got, 1) == 0) got++;
        }
        if (!got && len) return reply(g, "E14"), ACT_NONE;
        out_reset(g);
        out_hex(g, buf, got);
        send_packet(g);
        return ACT_NONE;
    }
    case 'H': {
        if (!pkt[1]) return reply(g, "E01"), ACT_NONE;
        int tid = parse_tid(pkt + 2);
        if (pkt[1] == 'g') g->gtid = tid;
        else if (pkt[1] == 'c') g->ctid = tid;
        reply(g, "OK");
        return ACT_NONE;
    }
    case 'T':
        reply(g, !g->exited && find_thread(g, parse_tid(pkt + 1)) ? "OK" : "E01");
        return ACT_NONE;
    case 'Z':
    case 'z': {
        /* "Z<type>,<addr>,<kind>": anything shorter than "Z0," is
         * malformed (and the parse below would read past its end). */
        if (strlen(pkt) < 3 || pkt[2] != ',') return reply(g, "E01"), ACT_NONE;
        int type = pkt[1] - '0';
        uint64_t addr = strtoull(pkt + 3, NULL, 16);
        char *comma = strchr(pkt + 3, ',');
        uint64_t len = comma ? strtoull(comma + 1, NULL, 16) : 1;
        if (type < 0 || type > 4) return reply(g, ""), ACT_NONE;
        if (type >= 2) {
            if (pkt[0] == 'z') wp_del(g, type, addr, len);
            else if (!wp_add(g, type, addr, len)) return reply(g, "E01"), ACT_NONE;
        } else if (pkt[0] == 'Z') {
            if (!bp_add(g, addr)) return reply(g, "E01"), ACT_NONE;
        } else {
            bp_del(g, addr);
        }
        reply(g, "OK");
        return ACT_NONE;
    }
    case 'b':
        if (pkt[1] == 'c' || pkt[1] == 's') return reverse(g, pkt[1] == 'c' ? REV_BC : REV_BS);
        reply(g, "");
        return ACT_NONE;
    case 'k':
        return ACT_KILL;
    case 'D':
        reply(g, "OK");
        close_client(g);
        return ACT_NONE;
    case 'c': case 'C': case 's': case 'S': {
        if (g->exited) return stop_reply(g), ACT_NONE;
        bool step = pkt[0] == 's' || pkt[0] == 'S';
        struct lx_thread *t = sel_thread(g, g->ctid);
        g->stepping = step;
        g->step_tid = t ? t->tid : g->stop_tid;
        g->step_from = t ? thread_count(g, t) : 0;
        return step ? ACT_STEP : ACT_CONT;
    }
    case 'v':
        if (!strcmp(pkt, "vCont?")) return reply(g, "vCont;c;C;s;S"), ACT_NONE;
        if (!strncmp(pkt, "vCont;", 6)) {
            if (g->exited) return stop_reply(g), ACT_NONE;
            /* Actions "s:tid", "c", "C09:tid"...: only one thread steps;
             * the others run with it (all-stop). */
            g->stepping = false;
            for (char *a = pkt + 5; a && *a == ';'; a = strchr(a + 1, ';')) {
                char k = a[1];
                if (k != 's' && k != 'S') continue;
                char *colon = strchr(a, ':'), *next = strchr(a + 1, ';');
                int tid = colon && (!next || colon < next) ? parse_tid(colon + 1) : g->ctid;
                struct lx_thread *t = sel_thread(g, tid);
                g->stepping = true;
                g->step_tid = t ? t->tid : g->stop_tid;
                g->step_from = t ? thread_count(g, t) : 0;
                break;
            }
            return g->stepping ? ACT_STEP : ACT_CONT;
        }
        if (!strncmp(pkt, "vKill", 5)) {
            reply(g, "OK");
            return ACT_KILL;
        }
        reply(g, "");
        return ACT_NONE;
    case 'q':
        if (!strncmp(pkt, "qSupported", 10)) {
            reply(g, "PacketSize=4000;qXfer:features:read+;qXfer:exec-file:read+;"
                     "qXfer:auxv:read+;qXfer:threads:read+;qXfer:libraries-svr4:read+;QStartNoAckMode+;vContSupported+;"
                     "ReverseStep+;ReverseContinue+");
        } else if (!strcmp(pkt, "qAttached") || !strncmp(pkt, "qAttached:", 10)) {
            reply(g, "1");
        } else if (!strcmp(pkt, "qC")) {
            out_reset(g);
            out_fmt(g, "QC%x", g->stop_tid);
            send_packet(g);
        } else if (!strcmp(pkt, "qfThreadInfo")) {
            out_reset(g);
            out_str(g, "m");
            bool first = true;
            for (size_t i = 0; !g->exited && g->p && i < g->p->n_threads; i++) {
                struct lx_thread *t = g->p->threads[i];
                if (t->state == LX_EXITED) continue;
                out_fmt(g, first ? "%x" : ",%x", t->tid);
                first = false;
            }
            if (first) out_reset(g), out_str(g, "l");
            send_packet(g);
        } else if (!strcmp(pkt, "qsThreadInfo")) {
            reply(g, "l");
        } else if (!strncmp(pkt, "qXfer:features:read:target.xml:", 31)) {
            char *xml = target_xml();
            if (xml) xfer_reply(g, pkt + 31, xml, strlen(xml));
            else reply(g, "E01");
            free(xml);
        } else if (!strncmp(pkt, "qXfer:libraries-svr4:read:", 26)) {
            char *args = strchr(pkt + 26, ':');
            char *xml = args ? libraries_xml(g) : NULL;
            if (xml) xfer_reply(g, args + 1, xml, strlen(xml));
            else reply(g, "E01");
            free(xml);
        } else if (!strncmp(pkt, "qXfer:threads:read::", 20)) {
            char *xml = threads_xml(g);
            if (xml) xfer_reply(g, pkt + 20, xml, strlen(xml));
            else reply(g, "E01");
            free(xml);
        } else if (!strncmp(pkt, "qXfer:exec-file:read:", 21)) {
            char *args = strchr(pkt + 21, ':');
            const char *path = g->p && lx_exe_path(g->p) ? lx_exe_path(g->p) : g->program;
            if (!args || !path) reply(g, "E01");
            else xfer_reply(g, args + 1, path, strlen(path));
        } else if (!strncmp(pkt, "qXfer:auxv:read::", 17)) {
            if (!g->p) reply(g, "E01");
            else {
                uint64_t aux[66];
                size_t n = g->p->n_auxv;
                memcpy(aux, g->p->auxv, n * 8);
                aux[n] = aux[n + 1] = 0; /* AT_NULL */
                xfer_reply(g, pkt + 17, aux, (n + 2) * 8);
            }
        } else if (!strncmp(pkt, "qRcmd,", 6)) {
            enum act a = monitor(g, pkt + 6);
            if (a != ACT_NONE) return a;
        } else if (!strncmp(pkt, "qSymbol", 7)) {
            reply(g, "OK");
        } else {
            reply(g, "");
        }
        return ACT_NONE;
    case 'Q':
        if (!strcmp(pkt, "QStartNoAckMode")) {
            reply(g, "OK");
            g->noack = true;
        } else {
            reply(g, "");
        }
        return ACT_NONE;
    default:
        reply(g, "");
        return ACT_NONE;
    }
}

/* Serves gdb at the current stop until it resumes the guest (ACT_CONT,
 * ACT_STEP), kills it (ACT_KILL), or, after the end, leaves (ACT_LEAVE).
 * A client that disconnects or detaches is replaced by the next one. */
static enum act serve(struct gdbstub *g)
{
    if (g->owe_reply && g->cfd >= 0) stop_reply(g);
    if (g->owe_ok && g->cfd >= 0) {
        console(g, "at icount %" PRIu64 "\n", g->stop_icount);
        reply(g, "OK");
    }
    g->owe_reply = g->owe_ok = false;
    for (;;) {
        if (g->cfd < 0) {
            if (g->exited) return ACT_LEAVE;
            if (g->info) {
                fprintf(g->info, "reprise: debug: waiting for gdb\n");
                fflush(g->info);
            }
            if (!accept_client(g)) return ACT_KILL;
        }
        int r = read_packet(g);
        if (r < 0) {
            close_client(g);
            continue;
        }
        if (r != 1) continue;
        enum act a = handle(g, g->pkt);
        if (a == ACT_KILL) {
            g->killed = true;
            g->base.halt = "the debugger killed the process";
            close_client(g);
            return a;
        }
        if (a == ACT_RESTART) {
            g->stepping = false;
            g->resume_tid = -1;
            /* Hands the session to a checkpoint's process, or failing
             * that halts the run to replay from the beginning. */
            go_back(g, g->target.icount, g->mode == M_SCAN);
            return a;
        }
        if (a == ACT_CONT || a == ACT_STEP) {
            g->owe_reply = true;
            g->resume_tid = g->stop_tid;
            g->resume_ticount = g->stop_ticount;
            return a;
        }
    }
}

/* Stops at thread t, `count` instructions into it, and serves gdb. */
static enum act stop_at(struct gdbstub *g, struct lx_thread *t, uint64_t count, int sig, bool in_cb,
                        const char *why)
{
    struct lx_point pt;
    lx_thread_point_at(t, count, t->cpu->pc, &pt);
    g->stop_tid = t->tid;
    g->stop_ticount = count;
    g->stop_icount = pt.icount;
    snprintf(g->stop_why, sizeof g->stop_why, "%s", why ? why : "");
    g->stop_sig = sig;
    g->stop_cpu = t->cpu;
    g->in_cb = in_cb;
    g->stepping = false;
    g->gtid = g->ctid = 0;
    enum act a = serve(g);
    g->in_cb = false;
    return a;
}

/* Whether the client sent an interrupt (Ctrl-C) while the guest runs; a
 * client that went away also stops the guest, for the next one. */
static bool interrupted(struct gdbstub *g)
{
    if (ckpt_orphaned()) _exit(1);
    if (g->cfd < 0) return false;
    struct pollfd pf = { .fd = g->cfd, .events = POLLIN };
    while (poll(&pf, 1, 0) > 0) {
        unsigned char c;
        ssize_t r = recv(g->cfd, &c, 1, 0);
        if (r <= 0) {
            close_client(g);
            return true;
        }
        if (c == 3) return true;
    }
    return false;
}

/* Notes a hit of a reverse scan: the last one before the target wins. */
static void note_found(struct gdbstub *g, uint64_t icount, int tid, uint64_t ticount,
                       const char *why)
{
    g->have_found = true;
    g->found = (struct xpoint){ icount, tid, ticount };
    snprintf(g->found_why, sizeof g->found_why, "%s", why);
}

/* Halts the run so that cmd_debug restarts the replay from the start. */
static void request_restart(struct gdbstub *g)
{
    g->restarting = true;
    g->base.halt = "restarting the replay (reverse execution)";
}

/* ---- checkpoints (checkpoint.h; docs/debug.md) ---- */

/* The session state a resumed snapshot takes over (the rest of struct
 * gdbstub is the snapshot's own: its process, port, translations). */
struct sess_hdr {
    uint32_t n_bps, n_wps, n_ck, n_marks, in_len;
    int32_t mode, rev, bs_tid, next_mark;
    uint8_t has_cfd, noack, owe_ok, owe_reply, have_found;
    uint64_t bs_count, scan_from;
    struct xpoint target, found;
    char target_why[64], found_why[64];
};

/* Resumes the latest snapshot at or before icount (strictly before if
 * strict) with this session, and exits once it took over. Snapshots that
 * are gone are dropped. Returns only if none could take over: then the
 * replay restarts from the beginning (request_restart). */
static void go_back(struct gdbstub *g, uint64_t icount, bool strict)
{
    while (g->ck_interval && g->n_ck) {
        size_t k = g->n_ck;
        for (size_t i = 0; i < g->n_ck; i++)
            if (strict ? g->ck[i].icount < icount : g->ck[i].icount <= icount) k = i;
        if (k == g->n_ck) break;
        if (g->mode == M_SCAN) g->scan_from = g->ck[k].icount;
        struct sess_hdr h;
        memset(&h, 0, sizeof h);
        h.n_bps = (uint32_t)g->n_bps;
        h.n_wps = (uint32_t)g->n_wps;
        h.n_ck = (uint32_t)g->n_ck;
        h.n_marks = (uint32_t)g->n_marks;
        h.in_len = (uint32_t)(g->in_len - g->in_pos);
        h.mode = g->mode;
        h.rev = g->rev;
        h.bs_tid = g->bs_tid;
        h.next_mark = g->next_mark;
        h.has_cfd = g->cfd >= 0;
        h.noack = g->noack;
        h.owe_ok = g->owe_ok;
        h.owe_reply = g->owe_reply;
        h.have_found = g->have_found;
        h.bs_count = g->bs_count;
        h.scan_from = g->scan_from;
        h.target = g->target;
        h.found = g->found;
        memcpy(h.target_why, g->target_why, sizeof h.target_why);
        memcpy(h.found_why, g->found_why, sizeof h.found_why);
        size_t len = sizeof h + g->n_bps * sizeof *g->bps + g->n_wps * sizeof *g->wps +
                     g->n_ck * sizeof g->ck[0] + g->n_marks * sizeof g->marks[0] + h.in_len;
        char *blob = len <= CKPT_MAX_BLOB ? malloc(len) : NULL;
        if (!blob) break; /* too many breakpoints to hand over: start over instead */
        char *w = blob;
#define PUT(src, n) (((n) != 0) ? (memcpy(w, (src), (n)), w += (n)) : w)
        PUT(&h, sizeof h);
        PUT(g->bps, g->n_bps * sizeof *g->bps);
        PUT(g->wps, g->n_wps * sizeof *g->wps);
        PUT(g->ck, g->n_ck * sizeof g->ck[0]);
        PUT(g->marks, g->n_marks * sizeof g->marks[0]);
        PUT(g->in + g->in_pos, h.in_len);
#undef PUT
        int fds[CKPT_MAX_FDS];
        size_t nfds = 0;
        if (g->cfd >= 0) fds[nfds++] = g->cfd;
        for (size_t i = 0; i < g->n_ck; i++) fds[nfds++] = g->ck[i].fd;
        fflush(NULL);
        int rc = ckpt_resume(g->ck[k].fd, blob, len, fds, nfds);
        free(blob);
        if (rc == 0) _exit(0); /* the snapshot's process carries on */
        if (g->verbose) fprintf(stderr, "gdbstub: checkpoint at icount %" PRIu64 " is gone\n",
                                g->ck[k].icount);
        close(g->ck[k].fd);
        memmove(&g->ck[k], &g->ck[k + 1], (g->n_ck - k - 1) * sizeof g->ck[0]);
        g->n_ck--;
    }
    g->scan_from = 0;
    request_restart(g);
}

/* In a process resumed from a snapshot: takes over the session sent by
 * go_back. The blob comes from this program's own previous process; its
 * sizes are checked all the same. */
static void install_session(struct gdbstub *g, struct ckpt_resume *r)
{
    struct sess_hdr h;
    const char *b = r->blob;
    size_t len = r->len;
    if (len < sizeof h) _exit(1);
    memcpy(&h, b, sizeof h);
    size_t need = sizeof h + (size_t)h.n_bps * sizeof *g->bps + (size_t)h.n_wps * sizeof *g->wps +
                  (size_t)h.n_ck * sizeof g->ck[0] + (size_t)h.n_marks * sizeof g->marks[0] +
                  h.in_len;
    if (need != len || h.n_ck > SNAP_CAP || h.n_marks > MARK_CAP || h.in_len > sizeof g->in ||
        r->nfds != h.n_ck + (h.has_cfd ? 1u : 0u))
        _exit(1);
    b += sizeof h;
    uint64_t *bps = malloc(h.n_bps ? h.n_bps * sizeof *bps : 1);
    struct watch *wps = malloc(h.n_wps ? h.n_wps * sizeof *wps : 1);
    if (!bps || !wps) _exit(1);
    memcpy(bps, b, h.n_bps * sizeof *bps);
    b += h.n_bps * sizeof *bps;
    memcpy(wps, b, h.n_wps * sizeof *wps);
    b += h.n_wps * sizeof *wps;
    free(g->bps);
    free(g->wps);
    g->bps = bps;
    g->n_bps = g->cap_bps = h.n_bps;
    g->wps = wps;
    g->n_wps = g->cap_wps = h.n_wps;
    memcpy(g->ck, b, h.n_ck * sizeof g->ck[0]);
    b += h.n_ck * sizeof g->ck[0];
    g->n_ck = h.n_ck;
    memcpy(g->marks, b, h.n_marks * sizeof g->marks[0]);
    b += h.n_marks * sizeof g->marks[0];
    g->n_marks = h.n_marks;
    memcpy(g->in, b, h.in_len);
    g->in_pos = 0;
    g->in_len = h.in_len;
    size_t f = 0;
    g->cfd = h.has_cfd ? r->fds[f++] : -1;
    for (size_t i = 0; i < g->n_ck; i++) g->ck[i].fd = r->fds[f++];
    g->mode = (enum mode)h.mode;
    g->rev = (enum rev)h.rev;
    g->bs_tid = h.bs_tid;
    g->next_mark = h.next_mark;
    g->noack = h.noack;
    g->owe_ok = h.owe_ok;
    g->owe_reply = h.owe_reply;
    g->have_found = h.have_found;
    g->bs_count = h.bs_count;
    g->scan_from = h.scan_from;
    g->target = h.target;
    g->found = h.found;
    memcpy(g->target_why, h.target_why, sizeof g->target_why);
    memcpy(g->found_why, h.found_why, sizeof g->found_why);
    g->target_why[sizeof g->target_why - 1] = g->found_why[sizeof g->found_why - 1] = 0;
    g->stepping = false;
    g->resume_tid = -1;
    g->restarting = g->killed = g->exited = false;
    g->dirty = true; /* the translations predate the session's breakpoints */
    free(r->blob);
    r->blob = NULL;
    ckpt_resumed(r);
}

/* Drops snapshots until at most ck_max are live: each time the unpinned
 * one whose removal widens the gap around it the least relative to its
 * distance from `now`, so that recent history stays dense and older
 * history gets exponentially sparser. */
static void ck_thin(struct gdbstub *g, uint64_t now)
{
    while (g->n_ck > g->ck_max) {
        size_t best = g->n_ck;
        double best_score = 0;
        for (size_t i = 1; i < g->n_ck; i++) {
            if (g->ck[i].pinned) continue;
            uint64_t prev = g->ck[i - 1].icount;
            uint64_t next = i + 1 < g->n_ck ? g->ck[i + 1].icount : (now > g->ck[i].icount ? now : g->ck[i].icount);
            uint64_t at = g->ck[i].icount, dist = now > at ? now - at : at - now;
            double score = (double)(next - prev) / ((double)dist + (double)g->ck_interval);
            if (best == g->n_ck || score < best_score) best = i, best_score = score;
        }
        if (best == g->n_ck) return; /* all pinned */
        close(g->ck[best].fd);
        memmove(&g->ck[best], &g->ck[best + 1], (g->n_ck - best - 1) * sizeof g->ck[0]);
        g->n_ck--;
    }
}

/* Takes a snapshot at this safe point (the process has retired `now`
 * instructions). Returns true in a process resumed from it (the session
 * is installed; the caller carries on from this point as the session's
 * replay), false in the process that took it (or if it failed). */
static bool take_snapshot(struct gdbstub *g, uint64_t now, bool pinned)
{
    if (g->n_ck == SNAP_CAP) {
        ck_thin(g, now);
        if (g->n_ck == SNAP_CAP) return false;
    }
    int close_fds[SNAP_CAP + 1];
    size_t n = 0;
    close_fds[n++] = g->cfd;
    for (size_t i = 0; i < g->n_ck; i++) close_fds[n++] = g->ck[i].fd;
    int fd = -1, pid = 0;
    struct ckpt_resume r;
    int rc = ckpt_take(close_fds, n, &fd, &pid, &r);
    if (rc == 1) {
        install_session(g, &r);
        return true;
    }
    if (rc < 0) {
        if (g->verbose) fprintf(stderr, "gdbstub: no checkpoint: %s\n", strerror(errno));
        return false;
    }
    size_t k = g->n_ck;
    while (k && g->ck[k - 1].icount > now) k--;
    memmove(&g->ck[k + 1], &g->ck[k], (g->n_ck - k) * sizeof g->ck[0]);
    g->ck[k] = (struct snap){ .icount = now, .fd = fd, .pid = pid, .pinned = pinned };
    g->n_ck++;
    ck_thin(g, now);
    return false;
}

/* Whether an automatic snapshot is due at `now`: no snapshot within the
 * interval before it, nor within half of it after it. Otherwise *wait is
 * how many instructions on there is no point in looking again (the run
 * bounds its budget with it, so that snapshots land at their spacing). */
static bool ck_due(const struct gdbstub *g, uint64_t now, uint64_t *wait)
{
    *wait = UINT64_MAX;
    if (!g->ck_interval || !ckpt_supervised()) return false;
    bool due = true;
    for (size_t i = 0; i < g->n_ck; i++) {
        uint64_t at = g->ck[i].icount;
        if (at <= now && now - at < g->ck_interval) {
            due = false;
            if (at + g->ck_interval - now < *wait) *wait = at + g->ck_interval - now;
        } else if (at > now && at - now < g->ck_interval / 2) {
            due = false;
            if (at - now + g->ck_interval < *wait) *wait = at - now + g->ck_interval;
        }
    }
    return due;
}

/* The run loop's safe point (see the top of the file). */
/* The process count at which the end stops: before the last retired
 * instruction (rr's SIGKILL stop), or, for a crash, after it, at the
 * faulting instruction, where a live process would stop with the signal. */
static uint64_t end_stop(const struct gdbstub *g)
{
    return g->end_signal ? g->end_icount : g->end_icount - 1;
}

static uint64_t w_next_stop(struct lx_port *p, struct lx_thread *t)
{
    struct gdbstub *g = gs(p);
    uint64_t at = g->inner->ops->next_stop ? g->inner->ops->next_stop(g->inner, t) : UINT64_MAX;
    sync_halt(g);
    if (g->base.halt) return at;
    struct vm_cpu *cpu = t->cpu;
    uint64_t ck_wait = UINT64_MAX;
    if (g->ck_interval && ck_due(g, lx_icount(g->p), &ck_wait)) {
        take_snapshot(g, lx_icount(g->p), false); /* resumed or not, carry on from here */
        ck_wait = g->ck_interval;
    }
    if (g->dirty) {
        vm_flush_code(lx_vm(g->p));
        g->dirty = false;
    }
    int sig = 0;
    struct lx_thread *st = t; /* the thread the stop is shown at */
    const char *why = "";
    if (g->mode != M_FORWARD) {
        /* A reverse scan or a seek: every thread's budget ends at the
         * target's process count, so the run lands exactly on it. */
        uint64_t now = lx_icount(g->p);
        if (now < g->target.icount) {
            if (g->mode == M_SCAN) {
                if (g->rev == REV_BC && bp_has(g, cpu->pc))
                    note_found(g, now, t->tid, cpu->icount, "");
                else if (g->rev == REV_BS && t->tid == g->bs_tid && cpu->icount == g->bs_count)
                    note_found(g, now, t->tid, cpu->icount, "");
            }
            uint64_t lim = cpu->icount + (g->target.icount - now);
            if (lim < at) at = lim;
            if (g->mode == M_SCAN && g->rev == REV_BS && t->tid == g->bs_tid &&
                cpu->icount < g->bs_count && g->bs_count < at)
                at = g->bs_count;
            if (ck_wait != UINT64_MAX && cpu->icount + ck_wait < at) at = cpu->icount + ck_wait;
            return at;
        }
        if (g->mode == M_SCAN && !g->have_found && g->scan_from > 0) {
            /* Nothing between the checkpoint this scan started from and
             * its end: scan the stretch before that checkpoint. */
            g->target = (struct xpoint){ g->scan_from, -1, 0 };
            go_back(g, g->scan_from, true);
            return cpu->icount;
        }
        if (g->mode == M_SCAN) {
            /* The scan reached the point the reverse command started from:
             * go to the last hit before it (or to the beginning). */
            g->mode = M_SEEK;
            if (g->have_found) {
                g->target = g->found;
                snprintf(g->target_why, sizeof g->target_why, "%s", g->found_why);
            } else {
                g->target = (struct xpoint){ 0, -1, 0 };
                snprintf(g->target_why, sizeof g->target_why, "replaylog:begin;");
            }
            if (g->target.icount != now) {
                go_back(g, g->target.icount, false);
                return cpu->icount;
            }
        }
        /* Arrived. */
        g->mode = M_FORWARD;
        struct lx_thread *tt = g->target.tid >= 0 ? find_thread(g, g->target.tid) : NULL;
        if (tt) st = tt;
        why = g->target_why;
        sig = 5;
    } else {
        bool resumed_here = t->tid == g->resume_tid && cpu->icount == g->resume_ticount;
        if (g->stepping && t->tid == g->step_tid && cpu->icount != g->step_from) sig = 5;
        else if (!resumed_here && bp_has(g, cpu->pc)) sig = 5;
        else if (!resumed_here && g->end_icount && lx_icount(g->p) == end_stop(g))
            /* the end, as rr reports it: a SIGKILL stop (or the crash's
             * own signal), the process kept */
            sig = g->end_signal ? g->end_signal : 9;
        else if (interrupted(g)) sig = 2;
    }
    if (sig) {
        /* Checkpoints for reverse execution would be taken here. */
        enum act a = stop_at(g, st, st->cpu->icount, sig, false, why);
        if (a == ACT_KILL || a == ACT_RESTART) return cpu->icount;
        if (g->dirty) {
            vm_flush_code(lx_vm(g->p));
            g->dirty = false;
        }
    }
    if (g->stepping && t->tid == g->step_tid && cpu->icount + 1 < at) at = cpu->icount + 1;
    /* --stop-at-end: land on the last instruction. */
    uint64_t now = lx_icount(g->p);
    if (g->end_icount && now < end_stop(g) && cpu->icount + (end_stop(g) - now) < at)
        at = cpu->icount + (end_stop(g) - now);
    /* Back here by the time the next snapshot is due. */
    if (ck_wait != UINT64_MAX && cpu->icount + ck_wait < at) at = cpu->icount + ck_wait;
    return at;
}

/* The instruction callback (breakpoints, watchpoints, steps inside a
 * block), before the instruction at pc (count: the thread's retired
 * instructions before it). */
static void insn_cb(void *udata, struct vm_cpu *cpu, uint64_t pc, uint64_t count)
{
    struct gdbstub *g = udata;
    struct lx_thread *t = cpu->user;
    if (g->base.halt || !t || g->mode == M_SEEK) return;
    char why[64] = "";
    bool wh = watch_check(g, cpu, pc, why, sizeof why);
    bool bp = bp_has(g, pc);
    if (g->mode == M_SCAN) {
        if (g->rev != REV_BC) return;
        struct lx_point pt;
        lx_thread_point_at(t, count, pc, &pt);
        if (bp && pt.icount < g->target.icount) note_found(g, pt.icount, t->tid, count, "");
        /* Backwards, a watched access is met right after its instruction. */
        if (wh && pt.icount + 1 <= g->target.icount)
            note_found(g, pt.icount + 1, t->tid, count + 1, why);
        return;
    }
    bool stop = false;
    if (g->stepping && t->tid == g->step_tid && count != g->step_from) {
        stop = true;
        why[0] = 0;
    } else if (wh) {
        stop = true;
    } else if (bp && !(t->tid == g->resume_tid && count == g->resume_ticount)) {
        stop = true;
    }
    if (!stop) return;
    enum act a = stop_at(g, t, count, 5, true, why);
    /* Back to a safe point soon: to end a step whose next instruction is
     * past this block, to retranslate with new breakpoints, or to end. */
    if (a == ACT_KILL || a == ACT_RESTART || g->stepping || g->dirty) vm_cpu_request_stop(cpu);
}

static void translate_hook(void *ctx, struct vm_tb_desc *tb)
{
    struct gdbstub *g = ctx;
    if (!g->n_bps && !g->n_wps) return;
    unsigned k = 0;
    while (k < tb->n_insns && !bp_has(g, tb->insns[k].pc) &&
           !(g->n_wps && (tb->insns[k].flags & RVF_MEMORY)))
        k++;
    for (; k < tb->n_insns; k++) {
        tb->insns[k].exec_cb = insn_cb;
        tb->insns[k].exec_udata = g;
    }
}

/* ---- life cycle ---- */

int gdbstub_create(const struct gdbstub_config *cfg, struct lx_port *inner, struct gdbstub **out,
                   char *err, size_t errlen)
{
    struct gdbstub *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    g->inner = inner;
    g->lfd = g->cfd = -1;
    g->program = cfg->program ? strdup(cfg->program) : NULL;
    g->sysroot = cfg->sysroot ? strdup(cfg->sysroot) : NULL;
    g->socket_path = cfg->socket_path ? strdup(cfg->socket_path) : NULL;
    g->info = cfg->info;
    g->verbose = cfg->verbose;
    g->events = cfg->events;
    g->events_ctx = cfg->events_ctx;
    g->resume_tid = -1;
    g->ck_interval = cfg->checkpoint_interval;
    g->ck_max = cfg->checkpoint_max ? cfg->checkpoint_max : 24;
    if (g->ck_max < 2) g->ck_max = 2;
    if (g->ck_max > SNAP_CAP - 1) g->ck_max = SNAP_CAP - 1;
    g->next_mark = 1;
    g->end_icount = cfg->end_icount;
    g->end_signal = cfg->end_signal;
    const struct lx_port_ops *io = inner->ops;
    g->ops = (struct lx_port_ops){
        .load_file = w_load_file, .resolve_path = w_resolve_path, .read_fd_at = w_read_fd_at,
        .random = w_random, .read_time = w_read_time, .syscall = w_syscall,
        .host_id = w_host_id, .clock_ns = w_clock_ns, .idle = w_idle, .fork = w_fork,
        .exec_host = w_exec_host, .fd_would_block = w_fd_would_block,
        .take_signals = io->take_signals ? w_take_signals : NULL, .next_stop = w_next_stop,
        .thread_event = io->thread_event ? w_thread_event : NULL,
        .tick = io->tick ? w_tick : NULL, .destroy = w_destroy,
    };
    g->base.ops = &g->ops;
    g->ins = (struct vm_instrument){ .ctx = g, .translate = translate_hook };

    if (g->socket_path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(g->socket_path) >= sizeof sa.sun_path) {
            snprintf(err, errlen, "%s: socket path too long", g->socket_path);
            gdbstub_destroy(g);
            return -1;
        }
        strcpy(sa.sun_path, g->socket_path);
        unlink(g->socket_path);
        g->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (g->lfd < 0 || bind(g->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(g->lfd, 1)) {
            snprintf(err, errlen, "%s: %s", g->socket_path, strerror(errno));
            gdbstub_destroy(g);
            return -1;
        }
    } else {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int one = 1;
        g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (g->lfd >= 0) setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        socklen_t sl = sizeof sa;
        if (g->lfd < 0 || bind(g->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(g->lfd, 1) ||
            getsockname(g->lfd, (struct sockaddr *)&sa, &sl)) {
            snprintf(err, errlen, "127.0.0.1:%d: %s", cfg->port, strerror(errno));
            gdbstub_destroy(g);
            return -1;
        }
        g->lport = ntohs(sa.sin_port);
    }
    if (g->info) {
        char target[512];
        if (g->socket_path) snprintf(target, sizeof target, "%s", g->socket_path);
        else snprintf(target, sizeof target, ":%d", g->lport);
        fprintf(g->info, "reprise: debug: listening on %s%s; connect with:\n",
                g->socket_path ? "" : "127.0.0.1", target);
        fprintf(g->info, "  gdb-multiarch -ex 'set architecture riscv:rv64'");
        fprintf(g->info, " -ex 'set sysroot %s'", g->sysroot ? g->sysroot : "/usr/riscv64-linux-gnu");
        fprintf(g->info, " -ex 'target remote %s' %s\n", target, g->program ? g->program : "");
        fflush(g->info);
    }
    *out = g;
    return 0;
}

struct lx_port *gdbstub_port(struct gdbstub *g) { return &g->base; }

const struct vm_instrument *gdbstub_instrument(struct gdbstub *g) { return &g->ins; }

int gdbstub_listen_port(const struct gdbstub *g) { return g->lport; }

void gdbstub_attach(struct gdbstub *g, struct lx_proc *p) { g->p = p; }

int gdbstub_start(struct gdbstub *g)
{
    if (g->mode != M_FORWARD) return 0; /* a restarted replay: runs to its target */
    struct lx_thread *t = g->p && g->p->n_threads ? g->p->threads[0] : NULL;
    if (!t) return -1;
    /* The first checkpoint: the beginning, never thinned. A process
     * resumed from it runs to the target it was given. */
    if (g->ck_interval && ckpt_supervised() && !g->n_ck && take_snapshot(g, lx_icount(g->p), true))
        return 0;
    enum act a = stop_at(g, t, t->cpu->icount, 5, false, "");
    if (a == ACT_KILL || a == ACT_RESTART) return -1;
    if (g->dirty) {
        vm_flush_code(lx_vm(g->p));
        g->dirty = false;
    }
    return 0;
}

bool gdbstub_killed(const struct gdbstub *g) { return g->killed; }

bool gdbstub_restarting(const struct gdbstub *g) { return g->restarting; }

void gdbstub_set_inner(struct gdbstub *g, struct lx_port *inner)
{
    g->inner = inner;
    g->base.halt = NULL;
    g->restarting = false;
    g->p = NULL;
    g->dirty = false;
}

void gdbstub_finish(struct gdbstub *g, const struct lx_exit *ex, const char *msg)
{
    if (g->killed) return;
    g->exited = true;
    g->mode = M_FORWARD;
    if (g->owe_ok && g->cfd >= 0) {
        console(g, "the recording ends before that point\n");
        reply(g, "OK");
        g->owe_ok = false;
    }
    g->exit_known = ex != NULL;
    if (ex) g->exit = *ex;
    if (msg && g->info) {
        fprintf(g->info, "reprise: debug: %s\n", msg);
        fflush(g->info);
    }
    if (g->owe_reply && g->cfd >= 0 && msg) console(g, "reprise: %s\n", msg);
    while (serve(g) != ACT_LEAVE && !g->killed) {
        /* c/s after the end only repeat the exit reply */
    }
}

void gdbstub_destroy(struct gdbstub *g)
{
    if (!g) return;
    close_client(g);
    if (g->lfd >= 0) close(g->lfd);
    if (g->socket_path) unlink(g->socket_path);
    free(g->program);
    free(g->sysroot);
    free(g->socket_path);
    free(g->bps);
    free(g->wps);
    free(g->pkt);
    free(g->out);
    for (size_t i = 0; i < g->n_ck; i++) close(g->ck[i].fd);
    free(g);
}

/* ---- fuzzing (tests/fuzz/fuzz_gdbpkt.c) ---- */

int gdbstub_fuzz_input(const void *data, size_t n)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
    struct gdbstub *g = calloc(1, sizeof *g);
    if (!g) {
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    g->lfd = -1;
    g->cfd = sv[0];
    g->resume_tid = -1;
    g->next_mark = 1;
    g->ck_max = 24;
    /* The whole input is queued before the stub reads (it never blocks:
     * end of input reads as the client leaving); input past what the
     * socket holds is dropped. */
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(sv[1], (const char *)data + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
    }
    shutdown(sv[1], SHUT_WR);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    char sink[4096];
    for (unsigned i = 0; i < 100000 && g->cfd >= 0; i++) {
        int r = read_packet(g);
        if (r < 0) break;
        if (r == 1) handle(g, g->pkt);
        while (recv(sv[1], sink, sizeof sink, MSG_DONTWAIT) > 0) {
        }
    }
    close(sv[1]);
    gdbstub_destroy(g);
    return 0;
}
