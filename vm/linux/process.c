/*
 * process.c - guest processes: fork (a new host process continues the same
 * guest), execve (a riscv64 ELF is loaded in place; anything else runs
 * natively on the host, outside the guest). wait4/waitid pass through to
 * the host (hostsys.def), since guest children are host processes.
 */
#include "lx.h"

#include <gelf.h>
#include <stdlib.h>

enum {
    LX_CLONE_PARENT_SETTID = 0x100000, LX_CLONE_CHILD_CLEARTID = 0x200000,
    LX_CLONE_CHILD_SETTID = 0x1000000,
};

long lx_fork(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    uint64_t flags = c->nr == 220 ? c->a[0] : 0;
    uint64_t ptid = c->nr == 220 ? c->a[2] : 0, ctid = c->nr == 220 ? c->a[4] : 0;
    long pid = p->port->ops->fork(p->port, t);
    if (pid < 0) return pid;
    if (pid > 0) {
        uint32_t v = (uint32_t)pid;
        if (flags & LX_CLONE_PARENT_SETTID) lx_copy_to(t, ptid, &v, 4);
        return pid;
    }
    /* The child: only the forking thread survives (fork(2)). */
    for (size_t i = 0; i < p->n_threads; i++)
        if (p->threads[i] != t && p->threads[i]->state != LX_EXITED) {
            p->icount_dead += p->threads[i]->cpu->icount;
            p->threads[i]->state = LX_EXITED;
        }
    p->pid = (int)p->port->ops->host_id(p->port, t, LX_ID_PID);
    t->tid = p->pid;
    p->next_tid = p->pid + 1;
    t->pending = 0;
    p->pending = 0;
    /* posix_spawn's clone(CLONE_VM | CLONE_VFORK, stack) runs the child on
     * a stack of its own; with fork semantics the child gets a copy of the
     * memory and that stack in it. */
    if (c->nr == 220 && c->a[1]) t->cpu->x[2] = c->a[1];
    if (c->nr == 220 && (flags & 0x80000)) t->cpu->x[4] = c->a[3]; /* CLONE_SETTLS */
    uint32_t v = (uint32_t)t->tid;
    if (flags & LX_CLONE_CHILD_SETTID) lx_copy_to(t, ctid, &v, 4);
    if (flags & LX_CLONE_CHILD_CLEARTID) t->clear_child_tid = ctid;
    return 0;
}

/* Reads a guest NULL-terminated array of strings into a malloc'd,
 * NULL-terminated host array. Returns NULL with *err set on failure. */
static char **read_strv(struct lx_thread *t, uint64_t addr, long *err)
{
    size_t n = 0, cap = 16;
    char **v = calloc(cap, sizeof *v);
    if (!v) return *err = -ENOMEM, NULL;
    for (; addr; n++) {
        uint64_t ptr;
        if (n + 1 >= cap) {
            if (cap >= 1u << 17) {
                *err = -E2BIG;
                goto fail;
            }
            cap *= 2;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                *err = -ENOMEM;
                goto fail;
            }
            v = nv;
        }
        v[n] = NULL;
        if (lx_copy_from(t, &ptr, addr + n * 8, 8)) {
            *err = -EFAULT;
            goto fail;
        }
        if (!ptr) break;
        char buf[131072];
        long len = lx_read_string(t, ptr, buf, sizeof buf);
        if (len < 0) {
            *err = len == -ENAMETOOLONG ? -E2BIG : len;
            goto fail;
        }
        v[n] = strdup(buf);
        if (!v[n]) {
            *err = -ENOMEM;
            goto fail;
        }
    }
    v[n] = NULL;
    return v;
fail:
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
    return NULL;
}

static void free_strv(char **v)
{
    if (!v) return;
    for (size_t i = 0; v[i]; i++) free(v[i]);
    free(v);
}

static bool is_riscv_elf(const void *data, size_t len)
{
    const unsigned char *h = data;
    return len >= 64 && !memcmp(h, "\177ELF", 4) && h[EI_CLASS] == ELFCLASS64 &&
           (h[18] | h[19] << 8) == EM_RISCV;
}

static long sys_execve(struct lx_thread *t, const struct lx_syscall *c)
{
    struct lx_proc *p = t->proc;
    char path[4096];
    long r = lx_read_string(t, c->a[0], path, sizeof path);
    if (r < 0) return r;
    long err = 0;
    char **argv = read_strv(t, c->a[1], &err);
    if (!argv) return err;
    char **envp = read_strv(t, c->a[2], &err);
    if (!envp) {
        free_strv(argv);
        return err;
    }
    /* Absolute paths resolve in the sysroot first, as for open. */
    char resolved[4200];
    const char *file = path;
    if (path[0] == '/' && strcmp(p->sysroot, "/")) {
        snprintf(resolved, sizeof resolved, "%s%s", p->sysroot, path);
        void *probe;
        size_t plen;
        if (p->port->ops->load_file(p->port, t, resolved, &probe, &plen) == 0) {
            if (is_riscv_elf(probe, plen)) file = resolved;
            free(probe);
        }
    }
    void *data;
    size_t len;
    r = p->port->ops->load_file(p->port, t, file, &data, &len);
    if (r) goto out;
    bool riscv = is_riscv_elf(data, len);
    free(data);
    if (!riscv) {
        /* Not a guest program: run it natively on the host, outside the
         * guest (a script, /bin/sh, a host binary). */
        r = p->port->ops->exec_host(p->port, t, path, argv, envp);
        goto out;
    }
    /* Point of no return: a fresh address space and a single thread. */
    int argc = 0;
    while (argv[argc]) argc++;
    char msg[512];
    r = lx_exec_reset(p, msg, sizeof msg);
    if (r) {
        fprintf(stderr, "reprise: execve: %s\n", msg);
        lx_kill_process(p, 9);
        r = LX_SYS_NORETURN;
        goto out;
    }
    lx_set_exe_path(p, lx_cur(p), file);
    r = lx_load(p, lx_cur(p), file, argc, argv, envp, msg, sizeof msg);
    if (r) {
        fprintf(stderr, "reprise: execve: %s\n", msg);
        lx_kill_process(p, 11);
        r = LX_SYS_NORETURN;
        goto out;
    }
    r = LX_SYS_NORETURN;
out:
    free_strv(argv);
    free_strv(envp);
    return r;
}

const struct lx_sys_entry lx_sys_process[] = {
    { 221, "execve", sys_execve },
    { 0, NULL, NULL },
};
