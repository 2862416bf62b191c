/*
 * checkpoint.c - process snapshots for reverse debugging (see
 * checkpoint.h). Sources for the mechanisms: fork(2) (copy-on-write,
 * descriptors shared), prctl(2) (PR_SET_CHILD_SUBREAPER,
 * PR_SET_PDEATHSIG), unix(7) (SOCK_SEQPACKET, SCM_RIGHTS), pidfd_open(2),
 * signal(2) (SIGCHLD ignored: children reaped by the kernel).
 */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int life_rd = -1;   /* lifeline read end (every process but the supervisor) */
static int result_wr = -1; /* messages to the supervisor */

/* A message to the supervisor: kind 'A' (value: the new active replay's
 * pid) or 'R' (value: the session's exit status). Smaller than PIPE_BUF,
 * so writes from several processes never interleave (pipe(7)). */
struct sup_msg {
    int32_t kind, value;
};

/* The resume header, sent with the descriptors; the blob follows as a
 * second record. */
struct resume_hdr {
    uint32_t magic, len, nfds;
};
#define RESUME_MAGIC 0x52434b50u /* "RCKP" */

static void sup_send(int kind, int value)
{
    if (result_wr < 0) return;
    struct sup_msg m = { kind, value };
    ssize_t w;
    do w = write(result_wr, &m, sizeof m);
    while (w < 0 && errno == EINTR);
}

bool ckpt_supervised(void) { return life_rd >= 0; }

int ckpt_lifeline_fd(void) { return life_rd; }

bool ckpt_orphaned(void)
{
    if (life_rd < 0) return false;
    struct pollfd pf = { .fd = life_rd, .events = POLLIN };
    return poll(&pf, 1, 0) > 0;
}

void ckpt_report_result(int status) { sup_send('R', status); }

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Whether pid is gone: through its pidfd if there is one, else kill(2). */
static bool active_gone(pid_t pid, int pidfd)
{
    if (pidfd >= 0) {
        struct pollfd pf = { .fd = pidfd, .events = POLLIN };
        return poll(&pf, 1, 0) > 0;
    }
    return kill(pid, 0) < 0 && errno == ESRCH;
}

static volatile sig_atomic_t sup_signal;

static void sup_on_signal(int sig) { sup_signal = sig; }

/* Only interrupts poll() so that exited processes are reaped promptly. */
static void sup_on_child(int sig) { (void)sig; }

int ckpt_supervise(int *status)
{
    int life[2], res[2];
    if (pipe2(life, O_CLOEXEC)) return -1;
    if (pipe2(res, O_CLOEXEC)) {
        close(life[0]);
        close(life[1]);
        return -1;
    }
    /* Orphans of the session come to this process, which reaps them. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) goto fail;
    fflush(NULL);
    pid_t sup = getpid();
    pid_t pid = fork();
    if (pid < 0) goto fail;
    if (pid == 0) {
        close(life[1]);
        close(res[0]);
        life_rd = life[0];
        result_wr = res[1];
        prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        /* Snapshots that end are reaped by the kernel. */
        signal(SIGCHLD, SIG_IGN);
        /* The first replay's parent is the supervisor: die with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != sup) _exit(1);
        return 0;
    }
    close(life[0]);
    close(res[1]);
    /* Terminated or interrupted: end the session's processes first. */
    struct sigaction sa = { .sa_handler = sup_on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    struct sigaction sc = { .sa_handler = sup_on_child };
    sigemptyset(&sc.sa_mask);
    sigaction(SIGCHLD, &sc, NULL);
    int st = 1;
    bool done = false;
    pid_t active = pid;
    int pidfd = pidfd_of(active);
    while (!done) {
        struct pollfd pf[2] = { { .fd = res[0], .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
        int r = poll(pf, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 200);
        if (sup_signal) {
            st = 128 + sup_signal;
            break;
        }
        if (r < 0 && errno != EINTR) break;
        bool changed = false;
        if (r > 0 && pf[0].revents) {
            struct sup_msg m;
            ssize_t n = read(res[0], &m, sizeof m);
            if (n <= 0) break; /* every writer is gone */
            if (n != sizeof m) continue;
            if (m.kind == 'R') {
                st = m.value;
                done = true;
            } else if (m.kind == 'A') {
                active = m.value;
                if (pidfd >= 0) close(pidfd);
                pidfd = pidfd_of(active);
                changed = true;
            }
        }
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (!done && !changed && active_gone(active, pidfd)) {
            /* The replay died without reporting (a crash): end it all. */
            fprintf(stderr, "reprise: debug: the replaying process ended unexpectedly\n");
            break;
        }
    }
    if (pidfd >= 0) close(pidfd);
    /* Ends every snapshot, then waits for all of the session's processes
     * (orphans are reparented here). */
    close(life[1]);
    close(res[0]);
    if (sup_signal && active > 0) kill(active, SIGKILL); /* it may be running, not polling */
    for (;;) {
        pid_t w = waitpid(-1, NULL, 0);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
    }
    *status = st;
    return 1;
fail:;
    int e = errno;
    close(life[0]);
    close(life[1]);
    close(res[0]);
    close(res[1]);
    errno = e;
    return -1;
}

/* A snapshot's life: waits for resume requests on ctrl; each one forks the
 * process that takes over. Returns (1) only in such a child. */
static int snapshot_wait(int ctrl, struct ckpt_resume *r)
{
    for (;;) {
        struct pollfd pf[2] = { { .fd = ctrl, .events = POLLIN }, { .fd = life_rd, .events = POLLIN } };
        int n = poll(pf, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || pf[1].revents) _exit(0);
        struct resume_hdr h;
        char cbuf[CMSG_SPACE(CKPT_MAX_FDS * sizeof(int))];
        struct iovec iov = { .iov_base = &h, .iov_len = sizeof h };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                             .msg_controllen = sizeof cbuf };
        ssize_t got = recvmsg(ctrl, &mh, MSG_CMSG_CLOEXEC);
        if (got <= 0) _exit(0); /* the active process closed it: this snapshot ends */
        int fds[CKPT_MAX_FDS];
        size_t nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k && nfds < CKPT_MAX_FDS; i++)
                memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
        void *blob = NULL;
        /* The last descriptor is the acknowledgement's pipe. */
        bool ok = got == sizeof h && h.magic == RESUME_MAGIC && h.len <= CKPT_MAX_BLOB &&
                  h.nfds == nfds && nfds >= 1 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
        if (ok) {
            blob = malloc(h.len ? h.len : 1);
            ssize_t b = blob ? recv(ctrl, blob, h.len ? h.len : 1, 0) : -1;
            ok = b == (ssize_t)h.len || (h.len == 0 && b >= 0);
        }
        pid_t pid = ok ? fork() : -1;
        if (pid == 0) {
            r->blob = blob;
            r->len = h.len;
            close(ctrl); /* only the snapshot itself is resumed through it */
            memcpy(r->fds, fds, (nfds - 1) * sizeof(int));
            r->nfds = nfds - 1;
            r->ack_fd = fds[nfds - 1];
            return 1;
        }
        /* Closing the acknowledgement's pipe unacknowledged tells the
         * sender that this resume failed. */
        for (size_t i = 0; i < nfds; i++) close(fds[i]);
        free(blob);
    }
}

int ckpt_take(const int *close_fds, size_t n, int *ctrl, int *pidp, struct ckpt_resume *r)
{
    if (life_rd < 0) {
        errno = ENOTSUP;
        return -1;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        for (size_t i = 0; i < n; i++)
            if (close_fds[i] >= 0) close(close_fds[i]);
        return snapshot_wait(sv[1], r);
    }
    close(sv[1]);
    *ctrl = sv[0];
    if (pidp) *pidp = pid;
    return 0;
}

void ckpt_resumed(struct ckpt_resume *r)
{
    sup_send('A', (int)getpid());
    char ack = 1;
    ssize_t w;
    do w = write(r->ack_fd, &ack, 1);
    while (w < 0 && errno == EINTR);
    close(r->ack_fd);
    r->ack_fd = -1;
}

int ckpt_resume(int ctrl, const void *blob, size_t len, const int *fds, size_t nfds)
{
    if (len > CKPT_MAX_BLOB || nfds + 1 > CKPT_MAX_FDS) {
        errno = E2BIG;
        return -1;
    }
    /* A pipe of its own for the acknowledgement: the control socket is
     * shared by every process that ever held the session, and an earlier
     * resume's acknowledgement may still be unread there. */
    int ack[2];
    if (pipe2(ack, O_CLOEXEC)) return -1;
    int all[CKPT_MAX_FDS];
    memcpy(all, fds, nfds * sizeof(int));
    all[nfds++] = ack[1];
    fds = all;
    struct resume_hdr h = { RESUME_MAGIC, (uint32_t)len, (uint32_t)nfds };
    char cbuf[CMSG_SPACE(CKPT_MAX_FDS * sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = { .iov_base = &h, .iov_len = sizeof h };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds) {
        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    ssize_t w;
    do w = sendmsg(ctrl, &mh, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    close(ack[1]);
    if (w != (ssize_t)sizeof h) {
        close(ack[0]);
        return -1;
    }
    char one = 0;
    do w = send(ctrl, len ? blob : &one, len ? len : 1, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    int rc = -1;
    while (w >= 0) {
        struct pollfd pf[2] = { { .fd = ack[0], .events = POLLIN }, { .fd = life_rd, .events = POLLIN } };
        int n = poll(pf, life_rd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        if (life_rd >= 0 && pf[1].revents) _exit(1);
        char a = 0;
        ssize_t g = read(ack[0], &a, 1);
        if (g < 0 && errno == EINTR) continue;
        rc = g == 1 && a == 1 ? 0 : -1;
        break;
    }
    close(ack[0]);
    return rc;
}
