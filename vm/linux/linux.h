/*
 * linux.h - the Linux user-mode personality: a guest process (ELF image,
 * address-space layout, threads, signal state) whose system calls reprise
 * serves, riscv64 ABI. The layer the recorder and replayer drive.
 */
#ifndef REPRISE_LINUX_LINUX_H
#define REPRISE_LINUX_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "port.h"
#include "vm.h"

struct lx_proc;
struct lx_thread;

/* What the program was started with. Strings are copied. */
struct lx_config {
    const char *path;             /* program to run (host path, or name found in PATH) */
    int argc;
    char *const *argv;            /* argv[0] is what the guest sees as its name */
    char *const *envp;            /* environment for the guest */
    const char *sysroot;          /* where PT_INTERP and libraries resolve; NULL: /usr/riscv64-linux-gnu */
    struct lx_port *port;         /* the event port (not owned) */
    unsigned addr_bits;           /* guest address space size; 0: 38 (Sv39) */
    const struct vm_instrument *instrument; /* tracer hooks or NULL */
};

/* How the guest process ended. */
struct lx_exit {
    bool signaled;  /* killed by `signal` (else exited with `status`) */
    int status;     /* exit status 0-255 */
    int signal;
    bool core;      /* the signal's default action dumps core */
};

/* Creates the process and loads the program (ELF, interpreter, initial stack).
 * Returns 0 or a negative errno with a message naming the file in err. */
int lx_create(const struct lx_config *cfg, struct lx_proc **out, char *err, size_t errlen);
/* Runs the guest until the process exits. Returns 0 (with *ex filled) or a
 * negative errno on a host failure, with a message in err. */
int lx_run(struct lx_proc *p, struct lx_exit *ex, char *err, size_t errlen);
void lx_destroy(struct lx_proc *p);

/* The vm and statistics, for --stats. */
struct vm *lx_vm(struct lx_proc *p);
uint64_t lx_icount(const struct lx_proc *p); /* instructions retired by all threads */

#endif
