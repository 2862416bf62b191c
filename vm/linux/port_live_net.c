/*
 * port_live_net.c - the live event port's sockets, polling and epoll calls
 * whose arguments need conversion between riscv64 and x86-64 layouts or
 * carry guest pointers inside structures (msghdr, epoll_event, fd_set).
 */
#include "lx.h"

long live_net_syscall(struct lx_thread *t, const struct lx_syscall *c);

/* Returns -ENOSYS for calls it does not handle, so the caller falls back to
 * the pass-through table. */
long live_net_syscall(struct lx_thread *t, const struct lx_syscall *c)
{
    (void)t; (void)c;
    return -ENOSYS;
}
