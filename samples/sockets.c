/*
 * sockets.c - sockets without a second process: a nonblocking socketpair
 * driven by an epoll loop that streams a patterned message one way and its
 * checksum back, descriptor passing with SCM_RIGHTS, datagrams with
 * MSG_TRUNC, a listening abstract-namespace socket with accept4, named
 * datagram sockets (sendmsg/recvmsg/recvfrom with addresses), socket options
 * and names, select/pselect, sendfile, copy_file_range, eventfd and
 * timerfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok) failures++;
}

static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static uint8_t pattern(size_t i) { return (uint8_t)(i * 131 + (i >> 9)); }

/* Streams `total` bytes from sv[0] to sv[1] with nonblocking writes and
 * reads scheduled by epoll; returns the receiver's checksum. */
static uint32_t stream(int a, int b, size_t total, unsigned *rounds, unsigned *eagain)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 0x1122334455660000ull | 0 };
    epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
    ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0x1122334455660000ull | 1 };
    epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
    static uint8_t buf[70000];
    size_t sent = 0, got = 0;
    uint32_t sum = 0;
    *rounds = *eagain = 0;
    while (got < total) {
        struct epoll_event evs[4];
        int n = epoll_wait(ep, evs, 4, 1000);
        if (n <= 0) {
            printf("epoll_wait: %d %s\n", n, err(n));
            break;
        }
        (*rounds)++;
        for (int i = 0; i < n; i++) {
            if ((evs[i].data.u64 >> 16) != 0x112233445566ull) printf("bad epoll data\n");
            if ((evs[i].data.u64 & 0xffff) == 0) {
                /* Writable: fill the socket until it pushes back. */
                for (;;) {
                    size_t chunk = total - sent < 65536 ? total - sent : 65536;
                    if (!chunk) {
                        epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL);
                        break;
                    }
                    for (size_t k = 0; k < chunk; k++) buf[k] = pattern(sent + k);
                    ssize_t w = write(a, buf, chunk);
                    if (w < 0) {
                        if (errno == EAGAIN) (*eagain)++;
                        break;
                    }
                    sent += (size_t)w;
                }
            } else {
                for (;;) {
                    ssize_t r = read(b, buf, 4000);
                    if (r <= 0) break;
                    for (ssize_t k = 0; k < r; k++) {
                        if (buf[k] != pattern(got + (size_t)k)) sum ^= 0x80000000u;
                        sum = sum * 31 + buf[k];
                    }
                    got += (size_t)r;
                }
            }
        }
    }
    close(ep);
    return sum;
}

int main(int argc, char **argv)
{
    (void)argc;
    int sv[2];
    check("socketpair(SOCK_STREAM|SOCK_NONBLOCK)",
          socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    size_t total = 1 << 20;
    unsigned rounds, eagain;
    uint32_t sum = stream(sv[0], sv[1], total, &rounds, &eagain);
    uint32_t want = 0;
    for (size_t i = 0; i < total; i++) want = want * 31 + pattern(i);
    printf("streamed %zu bytes, checksum %08x\n", total, sum);
    check("checksum matches", sum == want);
    check("writer saw EAGAIN at least once", eagain > 0);
    check("several epoll rounds", rounds > 1);
    char c;
    ssize_t r = read(sv[1], &c, 1);
    printf("read on empty nonblocking socket: %s\n", err(r));

    /* Socket options and names. */
    int type = 0;
    socklen_t len = sizeof type;
    check("getsockopt(SO_TYPE)", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    printf("SO_TYPE %d, optlen %u\n", type, (unsigned)len);
    int errv = -1;
    len = sizeof errv;
    getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &errv, &len);
    printf("SO_ERROR %d\n", errv);
    struct ucred cred;
    len = sizeof cred;
    check("getsockopt(SO_PEERCRED)", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
                                         len == sizeof cred && cred.pid == getpid());
    int one = 1;
    check("setsockopt(SO_PASSCRED)", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) == 0);
    struct sockaddr_un sa;
    len = sizeof sa;
    check("getsockname", getsockname(sv[0], (struct sockaddr *)&sa, &len) == 0);
    printf("socketpair name: family %d, length %u\n", sa.sun_family, (unsigned)len);
    len = sizeof sa;
    check("getpeername", getpeername(sv[0], (struct sockaddr *)&sa, &len) == 0);

    /* Descriptor passing: send one end of a pipe, write through the copy. */
    int p[2];
    if (pipe(p)) return 1;
    char data[] = "fd";
    struct iovec iov = { data, 2 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof u.buf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
    r = sendmsg(sv[0], &mh, 0);
    printf("sendmsg with SCM_RIGHTS: %zd %s\n", r, err(r));
    char rbuf[8] = { 0 };
    struct iovec riov[2] = { { rbuf, 1 }, { rbuf + 1, 7 } };
    union { char buf[CMSG_SPACE(sizeof(int)) + 64]; struct cmsghdr align; } ru;
    memset(&ru, 0, sizeof ru);
    struct msghdr rh = { .msg_iov = riov, .msg_iovlen = 2, .msg_control = ru.buf,
                         .msg_controllen = sizeof ru.buf };
    r = recvmsg(sv[1], &rh, MSG_CMSG_CLOEXEC);
    printf("recvmsg: %zd %s, data '%s', controllen %zu, flags %#x\n", r, err(r), rbuf,
           (size_t)rh.msg_controllen, (unsigned)rh.msg_flags);
    int passed = -1;
    for (struct cmsghdr *c2 = CMSG_FIRSTHDR(&rh); c2; c2 = CMSG_NXTHDR(&rh, c2))
        if (c2->cmsg_level == SOL_SOCKET && c2->cmsg_type == SCM_RIGHTS)
            memcpy(&passed, CMSG_DATA(c2), sizeof(int));
        else if (c2->cmsg_level == SOL_SOCKET && c2->cmsg_type == SCM_CREDENTIALS)
            printf("credentials message, length %zu\n", (size_t)c2->cmsg_len);
    check("received a descriptor", passed >= 0 && passed != p[1]);
    check("it is close-on-exec", passed >= 0 && (fcntl(passed, F_GETFD) & FD_CLOEXEC));
    if (passed >= 0) {
        ssize_t w = write(passed, "through", 7);
        char pb[8] = { 0 };
        ssize_t pr = read(p[0], pb, 7);
        printf("wrote through passed fd: %zd, pipe read %zd '%s'\n", w, pr, pb);
        close(passed);
    }
    /* Truncated control buffer. */
    r = sendmsg(sv[0], &mh, 0);
    struct msghdr th = { .msg_iov = riov, .msg_iovlen = 1, .msg_control = ru.buf,
                         .msg_controllen = 4 };
    r = recvmsg(sv[1], &th, 0);
    printf("recvmsg, tiny control buffer: %zd, MSG_CTRUNC %s, controllen %zu\n", r,
           (th.msg_flags & MSG_CTRUNC) ? "set" : "clear", (size_t)th.msg_controllen);
    r = recvmsg(sv[1], &th, 0);
    printf("recvmsg, drained: %zd %s\n", r, err(r));
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);

    /* Datagrams keep boundaries; MSG_TRUNC reports the real length. */
    int dg[2];
    check("socketpair(SOCK_DGRAM)", socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) == 0);
    send(dg[0], "hello datagram", 14, 0);
    send(dg[0], "second", 6, 0);
    char small[5] = { 0 };
    struct sockaddr_un from;
    socklen_t flen = sizeof from;
    r = recvfrom(dg[1], small, 4, MSG_TRUNC, (struct sockaddr *)&from, &flen);
    printf("recvfrom MSG_TRUNC: %zd '%s', from length %u\n", r, small, (unsigned)flen);
    memset(small, 0, sizeof small);
    r = recvfrom(dg[1], small, 4, 0, NULL, NULL);
    printf("recvfrom: %zd '%s'\n", r, small);
    r = recv(dg[1], small, 4, MSG_DONTWAIT);
    printf("recv, empty: %s\n", err(r));

    /* select and pselect on the datagram pair. */
    fd_set rfds, wfds;
    FD_ZERO(&rfds);
    FD_ZERO(&wfds);
    FD_SET(dg[1], &rfds);
    FD_SET(dg[0], &wfds);
    struct timeval tv = { 0, 0 };
    int n = select((dg[0] > dg[1] ? dg[0] : dg[1]) + 1, &rfds, &wfds, NULL, &tv);
    printf("select: %d ready, read %d, write %d\n", n, FD_ISSET(dg[1], &rfds) != 0,
           FD_ISSET(dg[0], &wfds) != 0);
    send(dg[0], "x", 1, 0);
    FD_ZERO(&rfds);
    FD_SET(dg[1], &rfds);
    struct timespec ts = { 1, 0 };
    sigset_t mask;
    sigemptyset(&mask);
    n = pselect(dg[1] + 1, &rfds, NULL, NULL, &ts, &mask);
    printf("pselect: %d ready, read %d\n", n, FD_ISSET(dg[1], &rfds) != 0);
    close(dg[0]);
    close(dg[1]);

    /* Listening socket in the abstract namespace, nonblocking connect,
     * accept4. */
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int nl = snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "reprise-sockets-%d", getpid());
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)nl);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check("bind", bind(ls, (struct sockaddr *)&addr, alen) == 0);
    check("listen", listen(ls, 4) == 0);
    int cl = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    check("connect", connect(cl, (struct sockaddr *)&addr, alen) == 0);
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    int as = accept4(ls, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    printf("accept4: %s, peer family %d, length %u\n", err(as), peer.sun_family, (unsigned)plen);
    check("accepted socket is nonblocking", as >= 0 && (fcntl(as, F_GETFL) & O_NONBLOCK));
    struct sockaddr_un me;
    socklen_t mlen = sizeof me;
    getsockname(as, (struct sockaddr *)&me, &mlen);
    check("accepted socket's name is the listener's", mlen == alen &&
          memcmp(me.sun_path, addr.sun_path, (size_t)alen - offsetof(struct sockaddr_un, sun_path)) == 0);
    mlen = 2;
    getpeername(cl, (struct sockaddr *)&me, &mlen);
    printf("getpeername with a short buffer reports length %u\n", (unsigned)mlen);
    send(cl, "request", 7, 0);
    char req[16] = { 0 };
    recv(as, req, sizeof req, 0);
    send(as, "reply", 5, 0);
    char rep[16] = { 0 };
    recv(cl, rep, sizeof rep, 0);
    printf("exchange: '%s' / '%s'\n", req, rep);
    fcntl(ls, F_SETFL, O_NONBLOCK);
    r = accept(ls, NULL, NULL);
    printf("accept with nothing pending: %s\n", err(r));
    close(as);
    close(cl);
    close(ls);

    /* Named datagram sockets: sendmsg to an address, recvmsg reports the
     * sender's; socket options with struct values. */
    struct sockaddr_un na = { .sun_family = AF_UNIX }, nb = { .sun_family = AF_UNIX };
    int la = snprintf(na.sun_path + 1, sizeof na.sun_path - 1, "reprise-dg-a-%d", getpid());
    int lb = snprintf(nb.sun_path + 1, sizeof nb.sun_path - 1, "reprise-dg-b-%d", getpid());
    socklen_t lena = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)la);
    socklen_t lenb = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)lb);
    int da = socket(AF_UNIX, SOCK_DGRAM, 0), db = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("bind datagram sockets", bind(da, (struct sockaddr *)&na, lena) == 0 &&
                                       bind(db, (struct sockaddr *)&nb, lenb) == 0);
    char dgm[] = "addressed";
    struct iovec div = { dgm, sizeof dgm };
    struct msghdr dmh = { .msg_name = &nb, .msg_namelen = lenb, .msg_iov = &div, .msg_iovlen = 1 };
    r = sendmsg(da, &dmh, 0);
    printf("sendmsg to an address: %zd\n", r);
    struct sockaddr_un src;
    memset(&src, 0, sizeof src);
    char dbuf[32] = { 0 };
    struct iovec riv = { dbuf, sizeof dbuf };
    struct msghdr rmh = { .msg_name = &src, .msg_namelen = sizeof src, .msg_iov = &riv, .msg_iovlen = 1 };
    r = recvmsg(db, &rmh, 0);
    printf("recvmsg: %zd '%s', sender length matches %d, sender matches %d\n", r, dbuf,
           rmh.msg_namelen == lena, memcmp(&src, &na, lena) == 0);
    sendto(db, "back", 4, 0, (struct sockaddr *)&na, lena);
    memset(&src, 0, sizeof src);
    socklen_t sl = 3;   /* shorter than the address: truncated, full length reported */
    r = recvfrom(da, dbuf, sizeof dbuf, 0, (struct sockaddr *)&src, &sl);
    printf("recvfrom with a 3-byte address buffer: %zd, length %s, family %d, byte 3 %d\n", r,
           sl == lenb ? "full" : "wrong", src.sun_family, ((unsigned char *)&src)[3]);
    struct timeval tmo = { 2, 500000 }, got_tmo;
    setsockopt(da, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
    socklen_t tl = sizeof got_tmo;
    getsockopt(da, SOL_SOCKET, SO_RCVTIMEO, &got_tmo, &tl);
    printf("SO_RCVTIMEO %ld.%06ld, optlen %u\n", (long)got_tmo.tv_sec, (long)got_tmo.tv_usec, (unsigned)tl);
    int small_len = 2;
    socklen_t ol = (socklen_t)small_len;
    short tiny_opt = 0;
    r = getsockopt(da, SOL_SOCKET, SO_TYPE, &tiny_opt, &ol);
    printf("getsockopt into 2 bytes: %s, optlen %u\n", err(r), (unsigned)ol);
    close(da);
    close(db);

    /* sendfile from this program's file into a socket; copy_file_range
     * between files. */
    int self = open(argv[0], O_RDONLY);
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    off_t off = 100;
    r = sendfile(sp[0], self, &off, 1000);
    unsigned char sbuf[1000], fbuf[1000];
    ssize_t got = 0;
    while (got < r) {
        ssize_t k = read(sp[1], sbuf + got, (size_t)(r - got));
        if (k <= 0) break;
        got += k;
    }
    ssize_t pr = pread(self, fbuf, sizeof fbuf, 100);
    printf("sendfile: %zd bytes, offset now %lld, same as pread: %d\n", r, (long long)off,
           got == pr && memcmp(sbuf, fbuf, (size_t)got) == 0);
    int tmpf = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (tmpf >= 0) {
        off_t in_off = 0;
        r = copy_file_range(self, &in_off, tmpf, NULL, 4096, 0);
        unsigned char cbuf[4096];
        ssize_t cr = pread(tmpf, cbuf, sizeof cbuf, 0);
        ssize_t sr = pread(self, fbuf, sizeof fbuf, 0);
        printf("copy_file_range: %zd, in offset %lld, copy matches: %d\n", r, (long long)in_off,
               cr == r && sr > 0 && memcmp(cbuf, fbuf, (size_t)sr) == 0);
        close(tmpf);
    } else {
        printf("copy_file_range: no O_TMPFILE in /tmp (skipped)\n");
    }
    close(sp[0]);
    close(sp[1]);
    close(self);

    /* eventfd and timerfd under epoll. */
    int efd = eventfd(3, EFD_NONBLOCK);
    uint64_t v = 4;
    r = write(efd, &v, 8);
    r = read(efd, &v, 8);
    printf("eventfd counter: %llu\n", (unsigned long long)v);
    r = read(efd, &v, 8);
    printf("eventfd empty: %s\n", err(r));
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = { .it_value = { 0, 3000000 } }, old;
    check("timerfd_settime", timerfd_settime(tfd, 0, &its, &old) == 0);
    struct itimerspec cur;
    check("timerfd_gettime", timerfd_gettime(tfd, &cur) == 0 && cur.it_value.tv_sec == 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = tfd };
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = efd };
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
    struct epoll_event out[2];
    n = epoll_wait(ep, out, 2, 2000);
    printf("epoll_wait on timer: %d, is timer %d\n", n, n == 1 && out[0].data.fd == tfd);
    uint64_t exp = 0;
    r = read(tfd, &exp, 8);
    printf("timer expirations: %llu\n", (unsigned long long)exp);
    ev.events = EPOLLIN | EPOLLET;
    check("epoll_ctl MOD", epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) == 0);
    r = epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
    printf("epoll_ctl ADD twice: %s\n", err(r));
    n = epoll_wait(ep, out, 2, 0);
    printf("epoll_wait, nothing ready: %d\n", n);
    close(ep);
    close(tfd);
    close(efd);

    printf("%d failure(s)\n", failures);
    return failures != 0;
}
