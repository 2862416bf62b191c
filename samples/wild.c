/*
 * wild.c - guest isolation: hands wild, unmapped, read-only and
 * out-of-range pointers to system calls. Each must fail with EFAULT (or the
 * kernel's documented error) instead of touching memory; the program prints
 * the error names and survives to the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    if (r < 0) printf("%-40s -> %s\n", what, strerrorname_np(errno));
    else printf("%-40s -> %ld\n", what, r);
}

#define TRY(what, call) do { errno = 0; show(what, (long)(call)); } while (0)

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *ro = mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *none = mmap(NULL, (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *two = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + pg, (size_t)pg);          /* a hole right after `two` */
    unsigned char *gone = two + pg;
    void *wild = (void *)1, *high = (void *)0x7ffffffff000ull, *kern = (void *)0xffffffff80000000ull;
    int pfd[2];
    if (pipe(pfd)) return 1;
    if (write(pfd[1], "0123456789abcdef", 16) != 16) return 1;

    TRY("write(1, (void*)1, 10)", syscall(SYS_write, 1, wild, 10));
    TRY("write(1, high address, 10)", syscall(SYS_write, 1, high, 10));
    TRY("write(1, kernel address, 10)", syscall(SYS_write, 1, kern, 10));
    TRY("write(1, PROT_NONE page, 10)", syscall(SYS_write, 1, none, 10));
    TRY("write(1, unmapped page, 10)", syscall(SYS_write, 1, gone, 10));
    TRY("write straddling into a hole", syscall(SYS_write, pfd[1], gone - 4, 8));
    TRY("write(1, buf, huge length)", syscall(SYS_write, 1, two, 1ull << 40));
    TRY("read into read-only page", syscall(SYS_read, pfd[0], ro, 4));
    TRY("read into PROT_NONE page", syscall(SYS_read, pfd[0], none, 4));
    TRY("read into (void*)8", syscall(SYS_read, pfd[0], (void *)8, 4));
    TRY("read, 0 bytes, wild pointer", syscall(SYS_read, pfd[0], wild, 0));
    TRY("read into a good buffer", syscall(SYS_read, pfd[0], two, 4));
    TRY("openat with wild path", syscall(SYS_openat, AT_FDCWD, wild, O_RDONLY));
    TRY("openat with path in PROT_NONE page", syscall(SYS_openat, AT_FDCWD, none, O_RDONLY));
    TRY("fstat into read-only page", syscall(SYS_fstat, 0, ro));
    TRY("newfstatat with wild path", syscall(SYS_newfstatat, AT_FDCWD, wild, two, 0));
    TRY("clock_gettime into wild pointer", syscall(SYS_clock_gettime, 1, (void *)16));
    TRY("clock_gettime into read-only page", syscall(SYS_clock_gettime, 1, ro));
    TRY("gettimeofday into wild pointer", syscall(SYS_gettimeofday, (void *)24, NULL));
    TRY("clock_nanosleep from wild pointer", syscall(SYS_clock_nanosleep, 1, 0, wild, NULL));
    TRY("getrandom into read-only page", syscall(SYS_getrandom, ro, 16, 0));
    TRY("uname into wild pointer", syscall(SYS_uname, wild));
    TRY("getcwd into read-only page", syscall(SYS_getcwd, ro, 64));
    TRY("pipe2 into read-only page", syscall(SYS_pipe2, ro, 0));
    struct iovec iov[2] = { { two, 4 }, { wild, 4 } };
    TRY("writev with a wild second iov_base", syscall(SYS_writev, pfd[1], iov, 2));
    iov[0].iov_base = wild;
    TRY("writev with a wild first iov_base", syscall(SYS_writev, pfd[1], iov, 2));
    TRY("writev with wild iov array", syscall(SYS_writev, pfd[1], wild, 2));
    TRY("readv into read-only page", syscall(SYS_readv, pfd[0], (struct iovec[]){ { ro, 4 } }, 1));
    TRY("ppoll with wild fds", syscall(SYS_ppoll, wild, 1, NULL, NULL, 8));
    TRY("ioctl TIOCGWINSZ on a pipe, wild pointer", syscall(SYS_ioctl, pfd[0], 0x5413, wild));
    TRY("ioctl FIONREAD on a pipe, wild pointer", syscall(SYS_ioctl, pfd[0], 0x541b, wild));
    TRY("rt_sigaction with wild act", syscall(SYS_rt_sigaction, 10, wild, NULL, 8));
    TRY("rt_sigprocmask with wild set", syscall(SYS_rt_sigprocmask, 0, wild, NULL, 8));

    int sv[2];
    TRY("socketpair into read-only page", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, ro));
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) {
        TRY("sendto from wild buffer", syscall(SYS_sendto, sv[0], wild, 4, 0, NULL, 0));
        TRY("sendto, good", syscall(SYS_sendto, sv[0], "ping", 4, 0, NULL, 0));
        TRY("recvfrom into read-only page", syscall(SYS_recvfrom, sv[1], ro, 4, 0, NULL, NULL));
        socklen_t len = 16;
        TRY("recvfrom, wild address", syscall(SYS_recvfrom, sv[1], two, 4, 0, wild, &len));
        struct msghdr mh = { .msg_iov = (struct iovec[]){ { wild, 4 } }, .msg_iovlen = 1 };
        TRY("sendmsg with a wild iov_base", syscall(SYS_sendmsg, sv[0], &mh, 0));
        TRY("sendmsg with wild msghdr", syscall(SYS_sendmsg, sv[0], wild, 0));
        TRY("recvmsg with wild msghdr", syscall(SYS_recvmsg, sv[1], wild, 0));
        mh.msg_iov = (struct iovec[]){ { ro, 4 } };
        send(sv[0], "data", 4, 0);
        TRY("recvmsg into read-only page", syscall(SYS_recvmsg, sv[1], &mh, 0));
        TRY("getsockopt with wild optlen", syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, two, wild));
        len = 4;
        TRY("getsockopt into read-only page", syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, ro, &len));
        TRY("getsockname with wild address", syscall(SYS_getsockname, sv[0], wild, &len));
        len = 16;
        TRY("getpeername with wild length", syscall(SYS_getpeername, sv[0], two, wild));
        int ep = epoll_create1(0);
        TRY("epoll_ctl with wild event", syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, sv[1], wild));
        struct epoll_event ev = { .events = EPOLLIN };
        epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
        send(sv[0], "more", 4, 0);
        TRY("epoll_pwait into read-only page", syscall(SYS_epoll_pwait, ep, ro, 4, 0, NULL, 8));
        TRY("epoll_pwait into wild pointer", syscall(SYS_epoll_pwait, ep, wild, 4, 0, NULL, 8));
        TRY("pselect6 with wild fd_set", syscall(SYS_pselect6, 4, wild, NULL, NULL, NULL, NULL));
        TRY("pselect6 with wild timeout", syscall(SYS_pselect6, 4, NULL, NULL, NULL, wild, NULL));
        TRY("pselect6 with wild sigmask data", syscall(SYS_pselect6, 4, NULL, NULL, NULL, NULL, wild));
        close(ep);
        close(sv[0]);
        close(sv[1]);
    }
    printf("survived, read-only page still %s\n", ro[0] == 0 ? "zero" : "CHANGED");
    return 0;
}
