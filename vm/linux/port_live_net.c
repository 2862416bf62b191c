/*
 * port_live_net.c - the live event port's sockets, polling and epoll calls
 * whose arguments need conversion between riscv64 and x86-64 layouts or
 * carry guest pointers inside structures (msghdr, epoll_event, fd_set).
 *
 * Layouts, checked against /usr/riscv64-linux-gnu/include and the host's
 * headers (both LP64, both asm-generic socket/fcntl constants):
 *   struct sockaddr*, socklen_t (4), struct msghdr (56: name@0 namelen@8
 *   iov@16 iovlen@24 control@32 controllen@40 flags@48), struct cmsghdr
 *   (16, data 8-aligned), struct iovec (16), fd_set (bit arrays of longs),
 *   struct timespec (16): identical, but msghdr and pselect6's sigset
 *   argument hold guest pointers.
 *   struct epoll_event: x86-64 packs it (12 bytes: events@0 data@4);
 *   riscv64 does not (16 bytes: events@0 data@8). Converted.
 * SCM_RIGHTS control messages carry file descriptors; guest descriptors are
 * host descriptors in the live port, so they pass unchanged.
 *
 * Every byte the host kernel writes into guest memory through a host
 * pointer is reported with lx_guest_written(); bytes converted here are
 * written with lx_copy_to().
 */
#include "lx.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

long live_net_syscall(struct lx_thread *t, const struct lx_syscall *c);

#define RV_MSGHDR_SIZE 56
#define RV_EPOLL_EVENT_SIZE 16
#define NET_MAX_IOV 1024          /* UIO_MAXIOV */
#define NET_MAX_EVENTS 1024       /* epoll events fetched per call (fewer is allowed) */

/* An address that the host accepts for a zero-length buffer: it is never
 * dereferenced. */
static void *empty_buf(struct lx_thread *t)
{
    static char dummy;
    void *hp = vm_host_ptr(t->proc->vm, 0, 1, 0);
    return hp ? hp : &dummy;
}

/* Host pointer to a guest buffer of len bytes, NULL for a NULL guest
 * pointer (*err 0) or an inaccessible range (*err -EFAULT). */
static void *guest_buf(struct lx_thread *t, uint64_t addr, size_t len, bool write, int *err)
{
    *err = 0;
    if (!addr) return NULL;
    if (!len) return empty_buf(t);
    void *hp = lx_guest_ptr(t, addr, len, write);
    if (!hp) *err = -EFAULT;
    return hp;
}

/* ---- socket addresses with an in-out length (accept, getsockname, ...) ---- */

/* A socket address the host kernel returns, for a guest (sockaddr *,
 * socklen_t *) pair. Like Linux's move_addr_to_user(), the address lands in
 * a kernel-side buffer first and is copied out afterwards: min(capacity,
 * length) bytes, then the full length. */
struct addr_out {
    uint64_t addr, lenp;   /* guest pointers; addr 0: caller wants no address */
    struct sockaddr_storage ss;
    socklen_t cap, len;    /* guest capacity; the kernel's length after */
};

static long addr_out_prepare(struct lx_thread *t, struct addr_out *a, uint64_t addr,
                             uint64_t lenp)
{
    a->addr = addr;
    a->lenp = lenp;
    a->cap = 0;
    a->len = sizeof a->ss;
    if (!addr) return 0;
    int32_t cap;
    if (lx_copy_from(t, &cap, lenp, 4)) return -EFAULT;
    if (cap < 0) return -EINVAL;
    a->cap = (socklen_t)cap;
    return 0;
}

/* Host arguments for the address and its length (NULL when not wanted). */
static void *addr_out_host(struct addr_out *a) { return a->addr ? &a->ss : NULL; }
static socklen_t *addr_out_hostlen(struct addr_out *a) { return a->addr ? &a->len : NULL; }

/* After a successful host call: copies the address out; 0 or -EFAULT. */
static long addr_out_finish(struct lx_thread *t, const struct addr_out *a)
{
    if (!a->addr) return 0;
    size_t n = a->len < a->cap ? a->len : a->cap;
    if (n > sizeof a->ss) n = sizeof a->ss;
    if (n && lx_copy_to(t, a->addr, &a->ss, n)) return -EFAULT;
    return lx_copy_to(t, a->lenp, &a->len, 4) ? -EFAULT : 0;
}

/* accept4 (242) and accept (202). */
static long do_accept(struct lx_thread *t, const struct lx_syscall *c)
{
    struct addr_out a;
    long e = addr_out_prepare(t, &a, c->a[1], c->a[2]);
    if (e) return e;
    int flags = c->nr == 242 ? (int)c->a[3] : 0;
    long r = syscall(SYS_accept4, (int)c->a[0], addr_out_host(&a), addr_out_hostlen(&a), flags);
    if (r == -1) return -errno;
    if (addr_out_finish(t, &a)) {
        /* Linux drops the new connection when the address cannot be
         * stored. */
        close((int)r);
        return -EFAULT;
    }
    return r;
}

/* getsockname (204) and getpeername (205): the address is not optional. */
static long do_sockname(struct lx_thread *t, const struct lx_syscall *c)
{
    struct addr_out a;
    if (!c->a[1]) return -EFAULT;
    long e = addr_out_prepare(t, &a, c->a[1], c->a[2]);
    if (e) return e;
    long r = syscall(c->nr == 204 ? SYS_getsockname : SYS_getpeername, (int)c->a[0], &a.ss, &a.len);
    if (r == -1) return -errno;
    return addr_out_finish(t, &a) ? -EFAULT : r;
}

/* recvfrom(fd, buf, len, flags, src_addr, addrlen). */
static long do_recvfrom(struct lx_thread *t, const struct lx_syscall *c)
{
    size_t len = (size_t)c->a[2];
    if (len > INT_MAX) len = INT_MAX;
    int err;
    void *buf = guest_buf(t, c->a[1], len, true, &err);
    if (err) return err;
    if (!buf && len) return -EFAULT;
    if (!buf) buf = empty_buf(t);
    struct addr_out a;
    long e = addr_out_prepare(t, &a, c->a[4], c->a[5]);
    if (e) return e;
    long r = syscall(SYS_recvfrom, (int)c->a[0], buf, len, (int)c->a[3], addr_out_host(&a),
                     addr_out_hostlen(&a));
    if (r == -1) return -errno;
    /* MSG_TRUNC on a datagram socket reports the real length, which may
     * exceed what was written. */
    size_t wrote = (size_t)r < len ? (size_t)r : len;
    if (wrote) lx_guest_written(t, c->a[1], wrote);
    return addr_out_finish(t, &a) ? -EFAULT : r;
}

/* getsockopt(fd, level, name, optval, optlen): optval's capacity is
 * *optlen; option values have the same layout on both ABIs (int, struct
 * timeval, linger, ucred). The host fills optval in place. */
static long do_getsockopt(struct lx_thread *t, const struct lx_syscall *c)
{
    int32_t cap;
    if (lx_copy_from(t, &cap, c->a[4], 4)) return -EFAULT;
    if (!lx_guest_ptr(t, c->a[4], 4, true)) return -EFAULT;
    if (cap < 0) return -EINVAL;
    /* A NULL optval is passed on: the kernel decides (most options fault,
     * a few only report the length). */
    int err;
    void *val = guest_buf(t, c->a[3], (size_t)cap, true, &err);
    if (err) return err;
    socklen_t len = (socklen_t)cap;
    long r = syscall(SYS_getsockopt, (int)c->a[0], (int)c->a[1], (int)c->a[2], val, &len);
    if (r == -1) return -errno;
    size_t n = len < (socklen_t)cap ? len : (socklen_t)cap;
    if (val && n) lx_guest_written(t, c->a[3], n);
    lx_copy_to(t, c->a[4], &len, 4);
    return r;
}

/* ---- sendmsg / recvmsg ---- */

/* A guest struct msghdr (riscv64 layout, which is also the host's). */
struct rv_msghdr {
    uint64_t name;
    uint32_t namelen, pad0;
    uint64_t iov, iovlen, control, controllen;
    int32_t flags, pad1;
};
_Static_assert(sizeof(struct rv_msghdr) == RV_MSGHDR_SIZE, "riscv64 struct msghdr is 56 bytes");

/* A host msghdr whose pointers reach guest memory (except the address a
 * receive returns, which lands in `ss` and is copied out afterwards). */
struct host_msg {
    struct rv_msghdr g;            /* the guest's copy */
    struct msghdr h;
    struct sockaddr_storage ss;
    struct iovec iov[NET_MAX_IOV];
    uint64_t giov[NET_MAX_IOV][2]; /* guest iovecs (base, len) */
};

/* Translates the guest msghdr at addr. write: the host kernel fills the
 * buffers (recvmsg). */
static long msg_prepare(struct lx_thread *t, uint64_t addr, bool write, struct host_msg *m)
{
    if (lx_copy_from(t, &m->g, addr, sizeof m->g)) return -EFAULT;
    if (write && !lx_guest_ptr(t, addr, sizeof m->g, true)) return -EFAULT;
    memset(&m->h, 0, sizeof m->h);
    int err;
    if (m->g.name) {
        /* The kernel caps the name at sizeof(struct sockaddr_storage) and
         * rejects a negative length. */
        if ((int32_t)m->g.namelen < 0) return -EINVAL;
        size_t n = m->g.namelen > sizeof m->ss ? sizeof m->ss : m->g.namelen;
        if (write) {
            m->h.msg_name = &m->ss;
            m->h.msg_namelen = sizeof m->ss;
        } else {
            m->h.msg_name = guest_buf(t, m->g.name, n, false, &err);
            if (err) return err;
            m->h.msg_namelen = (socklen_t)n;
        }
    }
    if (m->g.iovlen > NET_MAX_IOV) return -EMSGSIZE;
    size_t cnt = (size_t)m->g.iovlen;
    if (cnt && lx_copy_from(t, m->giov, m->g.iov, cnt * 16)) return -EFAULT;
    uint64_t total = 0;
    for (size_t i = 0; i < cnt; i++) {
        uint64_t len = m->giov[i][1];
        if ((int64_t)len < 0) return -EINVAL;
        total += len;
        if (total > SSIZE_MAX) return -EINVAL;
        m->iov[i].iov_len = len;
        m->iov[i].iov_base = len ? lx_guest_ptr(t, m->giov[i][0], len, write) : NULL;
        if (len && !m->iov[i].iov_base) return -EFAULT;
    }
    m->h.msg_iov = cnt ? m->iov : NULL;
    m->h.msg_iovlen = cnt;
    if (m->g.controllen > INT_MAX) return -ENOBUFS;
    if (m->g.control && m->g.controllen) {
        m->h.msg_control = guest_buf(t, m->g.control, m->g.controllen, write, &err);
        if (err) return err;
        m->h.msg_controllen = m->g.controllen;
    } else if (!write && m->g.controllen) {
        return -EFAULT;
    }
    m->h.msg_flags = 0;
    return 0;
}

/* sendmsg(fd, msg, flags). */
static long do_sendmsg(struct lx_thread *t, const struct lx_syscall *c)
{
    struct host_msg *m = malloc(sizeof *m);
    if (!m) return -ENOMEM;
    long r = msg_prepare(t, c->a[1], false, m);
    if (!r) {
        r = syscall(SYS_sendmsg, (int)c->a[0], &m->h, (int)c->a[2]);
        if (r == -1) r = -errno;
    }
    free(m);
    return r;
}

/* recvmsg(fd, msg, flags): fills the buffers, then updates the guest
 * msghdr's namelen, controllen and flags as the kernel does. */
static long do_recvmsg(struct lx_thread *t, const struct lx_syscall *c)
{
    struct host_msg *m = malloc(sizeof *m);
    if (!m) return -ENOMEM;
    uint64_t addr = c->a[1];
    long r = msg_prepare(t, addr, true, m);
    if (r) goto out;
    r = syscall(SYS_recvmsg, (int)c->a[0], &m->h, (int)c->a[2]);
    if (r == -1) {
        r = -errno;
        goto out;
    }
    size_t left = (size_t)r;
    for (size_t i = 0; i < m->h.msg_iovlen && left; i++) {
        size_t n = m->giov[i][1] < left ? m->giov[i][1] : left;
        if (n) lx_guest_written(t, m->giov[i][0], n);
        left -= n;
    }
    uint64_t controllen = m->h.msg_control ? m->h.msg_controllen : 0;
    if (controllen) lx_guest_written(t, m->g.control, controllen);
    if (m->g.name) {
        /* As the kernel: min(capacity, length) bytes of the address, then
         * the full length; a fault here loses the message, as in Linux. */
        size_t n = m->h.msg_namelen < m->g.namelen ? m->h.msg_namelen : m->g.namelen;
        if (n > sizeof m->ss) n = sizeof m->ss;
        if (n && lx_copy_to(t, m->g.name, &m->ss, n)) {
            r = -EFAULT;
            goto out;
        }
    }
    int32_t flags = m->h.msg_flags;
    if (m->g.name) {
        /* The kernel reports the full address length, like accept. */
        uint32_t namelen = m->h.msg_namelen;
        lx_copy_to(t, addr + 8, &namelen, 4);
    }
    lx_copy_to(t, addr + 40, &controllen, 8);
    lx_copy_to(t, addr + 48, &flags, 4);
out:
    free(m);
    return r;
}

/* ---- epoll ---- */

/* epoll_ctl(epfd, op, fd, event): the riscv64 event is 16 bytes, the
 * host's 12. */
static long do_epoll_ctl(struct lx_thread *t, const struct lx_syscall *c)
{
    struct epoll_event ev, *evp = NULL;
    if (c->a[3]) {
        struct { uint32_t events, pad; uint64_t data; } g;
        if (lx_copy_from(t, &g, c->a[3], sizeof g)) return -EFAULT;
        ev.events = g.events;
        ev.data.u64 = g.data;
        evp = &ev;
    } else if ((int)c->a[1] != EPOLL_CTL_DEL) {
        return -EFAULT;
    }
    long r = syscall(SYS_epoll_ctl, (int)c->a[0], (int)c->a[1], (int)c->a[2], evp);
    return r == -1 ? -errno : r;
}

/* epoll_pwait (22) and epoll_pwait2 (441): events fetched on the host,
 * converted one by one; like the kernel, a fault after some events reports
 * those. With c->nowait the host call does not wait. */
static long do_epoll_pwait(struct lx_thread *t, const struct lx_syscall *c)
{
    int maxevents = (int)c->a[2];
    if (maxevents <= 0 || maxevents > INT_MAX / RV_EPOLL_EVENT_SIZE) return -EINVAL;
    if (!lx_guest_ptr(t, c->a[1], RV_EPOLL_EVENT_SIZE, true)) return -EFAULT;
    uint64_t mask, *maskp = NULL;
    if (c->a[4]) {
        if (c->a[5] != 8) return -EINVAL;
        if (lx_copy_from(t, &mask, c->a[4], 8)) return -EFAULT;
        maskp = &mask;
    }
    struct timespec ts, *tsp = NULL;
    if (c->nr == 441 && c->a[3]) {
        if (lx_copy_from(t, &ts, c->a[3], sizeof ts)) return -EFAULT;
        tsp = &ts;
    }
    /* nowait: the scheduler retries the call (port.h). */
    struct timespec zero = { 0, 0 };
    int timeout = c->nowait ? 0 : (int)c->a[3];
    if (c->nowait) tsp = &zero;
    int n = maxevents < NET_MAX_EVENTS ? maxevents : NET_MAX_EVENTS;
    struct epoll_event ev[NET_MAX_EVENTS];
    long r;
    if (c->nr == 441)
        r = syscall(SYS_epoll_pwait2, (int)c->a[0], ev, n, tsp, maskp, maskp ? 8 : 0);
    else
        r = syscall(SYS_epoll_pwait, (int)c->a[0], ev, n, timeout, maskp, maskp ? 8 : 0);
    if (r == -1) return -errno;
    for (long i = 0; i < r; i++) {
        struct { uint32_t events, pad; uint64_t data; } g = { ev[i].events, 0, ev[i].data.u64 };
        if (lx_copy_to(t, c->a[1] + (uint64_t)i * RV_EPOLL_EVENT_SIZE, &g, sizeof g))
            return i ? i : -EFAULT;
    }
    return r;
}

/* ---- pselect6 ---- */

/* pselect6(nfds, readfds, writefds, exceptfds, timeout, sigdata): fd_sets
 * are ceil(nfds/64) longs, read and rewritten in place; the remaining time
 * is written back; sigdata points to { sigset_t *ss; size_t ss_len }. With
 * c->nowait the host call does not wait and the timeout is left alone. */
static long do_pselect6(struct lx_thread *t, const struct lx_syscall *c)
{
    int nfds = (int)c->a[0];
    if (nfds < 0) return -EINVAL;
    /* The kernel clamps nfds to the size of the fd table; so do we, to a
     * bound well above any real table, and the host clamps further. */
    if (nfds > 65536) nfds = 65536;
    size_t bytes = ((size_t)nfds + 63) / 64 * 8;
    void *sets[3];
    for (int i = 0; i < 3; i++) {
        int err;
        sets[i] = guest_buf(t, c->a[1 + i], bytes, true, &err);
        if (err) return err;
    }
    struct timespec ts, *tsp = NULL;
    if (c->a[4]) {
        if (lx_copy_from(t, &ts, c->a[4], sizeof ts)) return -EFAULT;
        tsp = &ts;
    }
    uint64_t mask;
    struct { const uint64_t *ss; size_t len; } sig = { NULL, 0 }, *sigp = NULL;
    if (c->a[5]) {
        uint64_t g[2];
        if (lx_copy_from(t, g, c->a[5], sizeof g)) return -EFAULT;
        if (g[0]) {
            if (g[1] != 8) return -EINVAL;
            if (lx_copy_from(t, &mask, g[0], 8)) return -EFAULT;
            sig.ss = &mask;
            sig.len = 8;
        }
        sigp = &sig;
    }
    /* nowait: poll once; the scheduler retries the call (port.h). */
    struct timespec zero = { 0, 0 };
    long r = syscall(SYS_pselect6, nfds, sets[0], sets[1], sets[2], c->nowait ? &zero : tsp, sigp);
    if (r == -1) return -errno;
    for (int i = 0; i < 3; i++)
        if (sets[i] && bytes) lx_guest_written(t, c->a[1 + i], bytes);
    if (tsp && !c->nowait) lx_copy_to(t, c->a[4], &ts, sizeof ts);
    return r;
}

/* Returns -ENOSYS for calls it does not handle, so the caller falls back to
 * the pass-through table. */
long live_net_syscall(struct lx_thread *t, const struct lx_syscall *c)
{
    switch (c->nr) {
    case 202: case 242: return do_accept(t, c);
    case 204: case 205: return do_sockname(t, c);
    case 207: return do_recvfrom(t, c);
    case 209: return do_getsockopt(t, c);
    case 211: return do_sendmsg(t, c);
    case 212: return do_recvmsg(t, c);
    case 21: return do_epoll_ctl(t, c);
    case 22: case 441: return do_epoll_pwait(t, c);
    case 72: return do_pselect6(t, c);
    }
    return -ENOSYS;
}
