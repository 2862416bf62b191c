/*
 * port_live.c - the live event port: performs every nondeterministic
 * operation on the host. The only code in vm/ that calls the host kernel on
 * the guest's behalf. `reprise run` uses it directly; the recorder wraps it.
 *
 * Calls listed in hostsys.def pass through with checked pointers; calls
 * whose structures differ between riscv64 and x86-64 are converted here.
 */
#include "lx.h"
#include "hostsys.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct live_port {
    struct lx_port base;
    char sysroot[4096];
};

/* ---- reprise's own descriptors, hidden from the guest ---- */

static int hidden_fds[8];
static int n_hidden;

void lx_hide_host_fd(int fd)
{
    if (fd >= 0 && n_hidden < (int)(sizeof hidden_fds / sizeof *hidden_fds))
        hidden_fds[n_hidden++] = fd;
}

static bool fd_hidden(long fd)
{
    for (int i = 0; i < n_hidden; i++)
        if (hidden_fds[i] == fd) return true;
    return false;
}

/* ---- the pass-through table ---- */

struct hostsys {
    int nr;
    const char *name;
    long host_nr;
    const char *spec;
};

static const struct hostsys hostsys[] = {
#define HOSTSYS(nr, name, host, spec) { nr, #name, SYS_##host, spec },
#include "hostsys.def"
#undef HOSTSYS
};

#define LX_MAX_NR 512
static const struct hostsys *by_nr[LX_MAX_NR];

__attribute__((constructor)) static void index_hostsys(void)
{
    for (size_t i = 0; i < sizeof hostsys / sizeof hostsys[0]; i++)
        if (hostsys[i].nr < LX_MAX_NR) by_nr[hostsys[i].nr] = &hostsys[i];
}

/* Resolves a guest path: absolute paths are looked up in the sysroot first
 * (so the dynamic linker finds riscv64 libraries), as qemu-user's -L does. */
static const char *resolve(struct lx_thread *t, const char *path, char *buf, size_t n)
{
    const char *sysroot = t->proc->sysroot;
    if (path[0] != '/' || !sysroot[0] || !strcmp(sysroot, "/")) return path;
    if (!strncmp(path, "/proc/", 6) || !strncmp(path, "/dev/", 5) || !strncmp(path, "/sys/", 5))
        return path;
    if ((size_t)snprintf(buf, n, "%s%s", sysroot, path) >= n) return path;
    struct stat st;
    if (lstat(buf, &st) == 0) return buf;
    return path;
}

static long passthrough(struct lx_thread *t, const struct hostsys *h, const struct lx_syscall *c)
{
    long args[6];
    char paths[2][4096], resolved[2][4200];
    int npath = 0;
    struct { uint64_t addr; unsigned len_arg; unsigned fixed; bool by_ret; } outs[6];
    int nout = 0;
    struct hostsys_tok tk;
    const char *s = h->spec;
    for (int i = 0; i < 6; i++) args[i] = (long)c->a[i];
    for (int i = 0; i < 6 && hostsys_next_tok(&s, &tk); i++) {
        uint64_t a = c->a[i];
        if (tk.kind == '-') continue;
        if (tk.kind == 'f') {
            if (fd_hidden((long)(int)a)) return -EBADF;
            continue;
        }
        if (tk.optional && a == 0) {
            args[i] = 0;
            continue;
        }
        switch (tk.kind) {
        case 'p': {
            if (npath == 2) return -EINVAL;
            long n = lx_read_string(t, a, paths[npath], sizeof paths[npath]);
            if (n < 0) return n;
            args[i] = (long)resolve(t, paths[npath], resolved[npath], sizeof resolved[npath]);
            npath++;
            break;
        }
        case 'r':
        case 'w':
        case 'R':
        case 'W': {
            size_t len = (tk.kind == 'r' || tk.kind == 'w') ? (size_t)c->a[tk.num] : tk.num;
            bool write = tk.kind == 'w' || tk.kind == 'W';
            if (len == 0) {
                /* A zero-length buffer is never dereferenced; pass an address
                 * the host accepts without touching (the reservation's base is
                 * inaccessible, but nothing reads it). */
                void *hp = vm_host_ptr(t->proc->vm, 0, 1, 0);
                args[i] = (long)(hp ? hp : (void *)&args[i]);
                break;
            }
            void *hp = lx_guest_ptr(t, a, len, write);
            if (!hp) return -EFAULT;
            args[i] = (long)hp;
            if (write) {
                outs[nout].addr = a;
                outs[nout].len_arg = tk.num;
                outs[nout].fixed = (tk.kind == 'W') ? tk.num : 0;
                outs[nout].by_ret = tk.kind == 'w';
                nout++;
            }
            break;
        }
        default:
            return -ENOSYS;
        }
    }
    long r = syscall(h->host_nr, args[0], args[1], args[2], args[3], args[4], args[5]);
    if (r == -1) return -errno;
    for (int i = 0; i < nout; i++) {
        size_t len = outs[i].by_ret ? (size_t)r : outs[i].fixed;
        lx_guest_written(t, outs[i].addr, len);
    }
    return r;
}

/* ---- conversions ---- */

/* struct stat of riscv64 (asm-generic/stat.h), 128 bytes. */
struct rv_stat {
    uint64_t dev, ino;
    uint32_t mode, nlink, uid, gid;
    uint64_t rdev, pad1;
    int64_t size;
    int32_t blksize, pad2;
    int64_t blocks;
    int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    uint32_t unused[2];
};
_Static_assert(sizeof(struct rv_stat) == 128, "riscv64 struct stat is 128 bytes");

static long put_stat(struct lx_thread *t, uint64_t addr, const struct stat *st)
{
    struct rv_stat r = {
        .dev = st->st_dev, .ino = st->st_ino, .mode = st->st_mode, .nlink = (uint32_t)st->st_nlink,
        .uid = st->st_uid, .gid = st->st_gid, .rdev = st->st_rdev, .size = st->st_size,
        .blksize = (int32_t)st->st_blksize, .blocks = st->st_blocks,
        .atime = st->st_atim.tv_sec, .atime_ns = st->st_atim.tv_nsec,
        .mtime = st->st_mtim.tv_sec, .mtime_ns = st->st_mtim.tv_nsec,
        .ctime = st->st_ctim.tv_sec, .ctime_ns = st->st_ctim.tv_nsec,
    };
    return lx_copy_to(t, addr, &r, sizeof r);
}

static long do_fstat(struct lx_thread *t, const struct lx_syscall *c)
{
    struct stat st;
    if (!lx_guest_ptr(t, c->a[1], sizeof(struct rv_stat), true)) return -EFAULT;
    if (fstat((int)c->a[0], &st)) return -errno;
    return put_stat(t, c->a[1], &st);
}

static long do_newfstatat(struct lx_thread *t, const struct lx_syscall *c)
{
    char path[4096], buf[4200];
    long n = lx_read_string(t, c->a[1], path, sizeof path);
    if (n < 0) return n;
    if (!lx_guest_ptr(t, c->a[2], sizeof(struct rv_stat), true)) return -EFAULT;
    struct stat st;
    if (fstatat((int)c->a[0], resolve(t, path, buf, sizeof buf), &st, (int)c->a[3])) return -errno;
    return put_stat(t, c->a[2], &st);
}

/* ioctl: only requests whose argument layout is known are passed on;
 * terminal and file ones have identical layouts on riscv64 and x86-64. */
static long do_ioctl(struct lx_thread *t, const struct lx_syscall *c)
{
    int fd = (int)c->a[0];
    unsigned long req = (unsigned long)c->a[1];
    size_t len = 0;
    bool out = true;
    switch (req) {
    case TCGETS: len = 36; break;               /* struct termios (kernel) */
    case TCSETS: case TCSETSW: case TCSETSF: len = 36; out = false; break;
    case TIOCGWINSZ: len = 8; break;
    case TIOCSWINSZ: len = 8; out = false; break;
    case FIONREAD: len = 4; break;
    case TIOCGPGRP: len = 4; break;
    case TIOCSPGRP: len = 4; out = false; break;
    case FIONBIO: case FIOCLEX: case FIONCLEX: len = req == FIONBIO ? 4 : 0; out = false; break;
    default:
        return -ENOTTY;
    }
    void *hp = NULL;
    /* A bad guest pointer becomes NULL for the host, which then decides
     * between EFAULT and ENOTTY (not a terminal) as Linux does. */
    if (len) hp = lx_guest_ptr(t, c->a[2], len, out);
    if (len && !hp) {
        long r = ioctl(fd, req, NULL);
        return r == -1 ? -errno : -EFAULT;
    }
    long r = ioctl(fd, req, hp);
    if (r == -1) return -errno;
    if (out && len) lx_guest_written(t, c->a[2], len);
    return r;
}

static long do_fcntl(struct lx_thread *t, const struct lx_syscall *c)
{
    int fd = (int)c->a[0], cmd = (int)c->a[1];
    switch (cmd) {
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW: {
        /* struct flock: same 32-byte layout on both. */
        void *hp = lx_guest_ptr(t, c->a[2], 32, true);
        if (!hp) return -EFAULT;
        long r = fcntl(fd, cmd, hp);
        if (r == -1) return -errno;
        lx_guest_written(t, c->a[2], 32);
        return r;
    }
    case F_DUPFD: case F_DUPFD_CLOEXEC: case F_GETFD: case F_SETFD: case F_GETFL:
    case F_SETFL: case F_GETPIPE_SZ: case F_SETPIPE_SZ: case F_GETOWN: case F_SETOWN: {
        long r = fcntl(fd, cmd, (long)c->a[2]);
        return r == -1 ? -errno : r;
    }
    }
    return -EINVAL;
}

/* readv/writev/preadv/pwritev: struct iovec has the same layout, but its
 * base pointers are guest addresses. As in Linux, a bad buffer ends the
 * transfer there (a short count), or is EFAULT if no byte comes before it. */
static long do_iov(struct lx_thread *t, const struct lx_syscall *c, bool write_to_guest)
{
    int cnt = (int)c->a[2];
    if (cnt < 0 || cnt > 1024) return -EINVAL;
    struct iovec iov[1024];
    uint64_t g[1024][2];
    if (cnt && lx_copy_from(t, g, c->a[1], (size_t)cnt * 16)) return -EFAULT;
    uint64_t before = 0;   /* bytes in the buffers before the current one */
    for (int i = 0; i < cnt; i++) {
        iov[i].iov_len = g[i][1];
        iov[i].iov_base = g[i][1] ? lx_guest_ptr(t, g[i][0], g[i][1], write_to_guest) : NULL;
        if (g[i][1] && !iov[i].iov_base) {
            if (!before) return -EFAULT;
            cnt = i;
            break;
        }
        before += g[i][1];
    }
    long r;
    if (c->nr == 65) r = readv((int)c->a[0], iov, cnt);
    else if (c->nr == 66) r = writev((int)c->a[0], iov, cnt);
    else if (c->nr == 69) r = preadv((int)c->a[0], iov, cnt, (off_t)c->a[3]);
    else r = pwritev((int)c->a[0], iov, cnt, (off_t)c->a[3]);
    if (r == -1) return -errno;
    if (write_to_guest) {
        size_t left = (size_t)r;
        for (int i = 0; i < cnt && left; i++) {
            size_t n = g[i][1] < left ? g[i][1] : left;
            lx_guest_written(t, g[i][0], n);
            left -= n;
        }
    }
    return r;
}

static long do_ppoll(struct lx_thread *t, const struct lx_syscall *c)
{
    uint64_t nfds = c->a[1];
    if (nfds > 4096) return -EINVAL;
    void *fds = nfds ? lx_guest_ptr(t, c->a[0], nfds * 8, true) : NULL;
    if (nfds && !fds) return -EFAULT;
    struct timespec ts, *tsp = NULL, zero = { 0, 0 };
    if (c->a[2]) {
        if (lx_copy_from(t, &ts, c->a[2], 16)) return -EFAULT;
        tsp = &ts;
    }
    if (c->nowait) tsp = &zero;
    uint64_t mask, *maskp = NULL;
    if (c->a[3]) {
        if (c->a[4] != 8) return -EINVAL;
        if (lx_copy_from(t, &mask, c->a[3], 8)) return -EFAULT;
        maskp = &mask;
    }
    long r = syscall(SYS_ppoll, fds, nfds, tsp, maskp, maskp ? 8 : 0);
    if (r == -1) return -errno;
    if (nfds) lx_guest_written(t, c->a[0], nfds * 8);
    if (tsp == &ts) lx_copy_to(t, c->a[2], &ts, 16);
    return r;
}

/* ---- port operations ---- */

long live_net_syscall(struct lx_thread *t, const struct lx_syscall *c);

static long live_syscall(struct lx_port *port, struct lx_thread *t, const struct lx_syscall *c)
{
    (void)port;
    /* Hand-converted calls whose first argument is a descriptor. */
    switch (c->nr) {
    case 80: case 29: case 25: case 65: case 66: case 69: case 70: case 202: case 242:
    case 204: case 205: case 207: case 209: case 211: case 212: case 22: case 441:
        if (fd_hidden((long)(int)c->a[0])) return -EBADF;
        break;
    case 21: /* epoll_ctl: the watched descriptor */
        if (fd_hidden((long)(int)c->a[2])) return -EBADF;
        break;
    }
    long r = live_net_syscall(t, c);
    if (r != -ENOSYS) return r;
    switch (c->nr) {
    case 80: return do_fstat(t, c);
    case 79: return do_newfstatat(t, c);
    case 29: return do_ioctl(t, c);
    case 25: return do_fcntl(t, c);
    case 65: return do_iov(t, c, true);
    case 66: return do_iov(t, c, false);
    case 69: return do_iov(t, c, true);
    case 70: return do_iov(t, c, false);
    case 73: return do_ppoll(t, c);
    case 260:
        if (c->nowait) {
            struct lx_syscall w = *c;
            w.a[2] |= 1; /* WNOHANG */
            return passthrough(t, by_nr[260], &w);
        }
        break;
    }
    if (c->nr >= 0 && c->nr < LX_MAX_NR && by_nr[c->nr]) return passthrough(t, by_nr[c->nr], c);
    return -ENOSYS;
}

static int live_load_file(struct lx_port *port, struct lx_thread *t, const char *path,
                          void **data, size_t *len)
{
    (void)port; (void)t;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
        close(fd);
        return -e;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = got;
    return 0;
}

static int live_resolve_path(struct lx_port *port, struct lx_thread *t, const char *path,
                             char *out, size_t n)
{
    (void)port; (void)t;
    char buf[PATH_MAX];
    if (!realpath(path, buf)) return -errno;
    if (strlen(buf) >= n) return -ENAMETOOLONG;
    strcpy(out, buf);
    return 0;
}

static long live_read_fd_at(struct lx_port *port, struct lx_thread *t, int fd, uint64_t off,
                            void *buf, size_t len)
{
    (void)port; (void)t;
    struct stat st;
    if (fstat(fd, &st)) return -errno;
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) return -ENODEV;
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return got ? (long)got : -errno;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (long)got;
}

static void live_random(struct lx_port *port, struct lx_thread *t, void *buf, size_t len)
{
    (void)port; (void)t;
    size_t got = 0;
    while (got < len) {
        long r = syscall(SYS_getrandom, (char *)buf + got, len - got, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            break;
        }
        got += (size_t)r;
    }
}

static uint64_t live_read_time(struct lx_port *port, struct lx_thread *t, uint64_t icount,
                               uint64_t pc)
{
    (void)port; (void)t; (void)icount; (void)pc;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 10000000ull + (uint64_t)ts.tv_nsec / 100;
}

static long live_host_id(struct lx_port *port, struct lx_thread *t, int what)
{
    (void)port; (void)t;
    switch (what) {
    case LX_ID_UID: return getuid();
    case LX_ID_EUID: return geteuid();
    case LX_ID_GID: return getgid();
    case LX_ID_EGID: return getegid();
    case LX_ID_PID: return getpid();
    case LX_ID_PPID: return getppid();
    }
    return -EINVAL;
}

static uint64_t live_clock_ns(struct lx_port *port, struct lx_thread *t, int clock)
{
    (void)port; (void)t;
    struct timespec ts;
    clock_gettime(clock == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void live_idle(struct lx_port *port, struct lx_thread *t, uint64_t until_ns)
{
    (void)port; (void)t;
    /* ppoll with no fds: sleeps until the deadline, and a host signal (they
     * are caught without SA_RESTART) ends it early. */
    struct timespec ts, *tsp = NULL;
    if (until_ns != UINT64_MAX) {
        uint64_t now = live_clock_ns(port, t, 1);
        uint64_t d = until_ns > now ? until_ns - now : 0;
        ts.tv_sec = (time_t)(d / 1000000000ull);
        ts.tv_nsec = (long)(d % 1000000000ull);
        tsp = &ts;
    }
    lx_hostsig_idle(tsp); /* ppoll without the race against a signal just before it */
}

static long live_fork(struct lx_port *port, struct lx_thread *t)
{
    (void)port; (void)t;
    fflush(NULL);
    pid_t pid = fork();
    return pid < 0 ? -errno : pid;
}

static long live_exec_host(struct lx_port *port, struct lx_thread *t, const char *path,
                           char *const *argv, char *const *envp)
{
    (void)port;
    fflush(NULL);
    uint64_t ignored = 0;
    for (int s = 1; s <= LX_NSIG; s++)
        if (t->proc->sigact[s].handler == 1 /* SIG_IGN */) ignored |= 1ull << (s - 1);
    lx_hostsig_exec_begin(ignored, t->sigmask);
    execve(path, argv, envp);
    int e = errno;
    lx_hostsig_exec_failed();
    return -e;
}

static int live_fd_would_block(struct lx_port *port, struct lx_thread *t, int fd, short events)
{
    (void)port; (void)t;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_NONBLOCK)) return 0;
    struct pollfd pfd = { .fd = fd, .events = events };
    int r = poll(&pfd, 1, 0);
    return r == 0 ? 1 : 0;
}

static void live_destroy(struct lx_port *port) { free(port); }

/* Host signals for the guest (hostsig.c), forwarded from the first call on. */
static int live_take_signals(struct lx_port *port, struct lx_thread *t, struct lx_siginfo *out,
                             int max)
{
    (void)port;
    if (!t) {
        lx_hostsig_stop();
        return 0;
    }
    lx_hostsig_start();
    lx_hostsig_target(t);
    return lx_hostsig_take(out, max);
}

static const struct lx_port_ops live_ops = {
    .load_file = live_load_file,
    .resolve_path = live_resolve_path,
    .read_fd_at = live_read_fd_at,
    .random = live_random,
    .read_time = live_read_time,
    .syscall = live_syscall,
    .host_id = live_host_id,
    .clock_ns = live_clock_ns,
    .idle = live_idle,
    .fork = live_fork,
    .exec_host = live_exec_host,
    .fd_would_block = live_fd_would_block,
    .take_signals = live_take_signals,
    .destroy = live_destroy,
};

struct lx_port *lx_port_live_create(void)
{
    struct live_port *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->base.ops = &live_ops;
    return &p->base;
}
