/*
 * cmd_dump.c - `reprise dump`: the events of a recording in order, each
 * with its execution point and a readable payload summary, as text or as
 * JSON lines. The printing is generic over the kind table (store/kinds.def)
 * with a few kinds made friendlier (syscall names, signal names, host ids).
 *
 * Syscall names come from a local table of the riscv64 (asm-generic)
 * numbers, generated from the riscv64 cross kernel headers; numbers it
 * does not know print as "syscall 451".
 */
#include "cli.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const syscall_names[] = {
    [0] = "io_setup", [1] = "io_destroy", [2] = "io_submit", [3] = "io_cancel",
    [4] = "io_getevents", [5] = "setxattr", [6] = "lsetxattr", [7] = "fsetxattr",
    [8] = "getxattr", [9] = "lgetxattr", [10] = "fgetxattr", [11] = "listxattr",
    [12] = "llistxattr", [13] = "flistxattr", [14] = "removexattr", [15] = "lremovexattr",
    [16] = "fremovexattr", [17] = "getcwd", [18] = "lookup_dcookie", [19] = "eventfd2",
    [20] = "epoll_create1", [21] = "epoll_ctl", [22] = "epoll_pwait", [23] = "dup",
    [24] = "dup3", [25] = "fcntl", [26] = "inotify_init1", [27] = "inotify_add_watch",
    [28] = "inotify_rm_watch", [29] = "ioctl", [30] = "ioprio_set", [31] = "ioprio_get",
    [32] = "flock", [33] = "mknodat", [34] = "mkdirat", [35] = "unlinkat", [36] = "symlinkat",
    [37] = "linkat", [38] = "renameat", [39] = "umount2", [40] = "mount", [41] = "pivot_root",
    [42] = "nfsservctl", [43] = "statfs", [44] = "fstatfs", [45] = "truncate",
    [46] = "ftruncate", [47] = "fallocate", [48] = "faccessat", [49] = "chdir", [50] = "fchdir",
    [51] = "chroot", [52] = "fchmod", [53] = "fchmodat", [54] = "fchownat", [55] = "fchown",
    [56] = "openat", [57] = "close", [58] = "vhangup", [59] = "pipe2", [60] = "quotactl",
    [61] = "getdents64", [62] = "lseek", [63] = "read", [64] = "write", [65] = "readv",
    [66] = "writev", [67] = "pread64", [68] = "pwrite64", [69] = "preadv", [70] = "pwritev",
    [71] = "sendfile", [72] = "pselect6", [73] = "ppoll", [74] = "signalfd4", [75] = "vmsplice",
    [76] = "splice", [77] = "tee", [78] = "readlinkat", [79] = "newfstatat", [80] = "fstat",
    [81] = "sync", [82] = "fsync", [83] = "fdatasync", [84] = "sync_file_range",
    [85] = "timerfd_create", [86] = "timerfd_settime", [87] = "timerfd_gettime",
    [88] = "utimensat", [89] = "acct", [90] = "capget", [91] = "capset", [92] = "personality",
    [93] = "exit", [94] = "exit_group", [95] = "waitid", [96] = "set_tid_address",
    [97] = "unshare", [98] = "futex", [99] = "set_robust_list", [100] = "get_robust_list",
    [101] = "nanosleep", [102] = "getitimer", [103] = "setitimer", [104] = "kexec_load",
    [105] = "init_module", [106] = "delete_module", [107] = "timer_create",
    [108] = "timer_gettime", [109] = "timer_getoverrun", [110] = "timer_settime",
    [111] = "timer_delete", [112] = "clock_settime", [113] = "clock_gettime",
    [114] = "clock_getres", [115] = "clock_nanosleep", [116] = "syslog", [117] = "ptrace",
    [118] = "sched_setparam", [119] = "sched_setscheduler", [120] = "sched_getscheduler",
    [121] = "sched_getparam", [122] = "sched_setaffinity", [123] = "sched_getaffinity",
    [124] = "sched_yield", [125] = "sched_get_priority_max", [126] = "sched_get_priority_min",
    [127] = "sched_rr_get_interval", [128] = "restart_syscall", [129] = "kill", [130] = "tkill",
    [131] = "tgkill", [132] = "sigaltstack", [133] = "rt_sigsuspend", [134] = "rt_sigaction",
    [135] = "rt_sigprocmask", [136] = "rt_sigpending", [137] = "rt_sigtimedwait",
    [138] = "rt_sigqueueinfo", [139] = "rt_sigreturn", [140] = "setpriority",
    [141] = "getpriority", [142] = "reboot", [143] = "setregid", [144] = "setgid",
    [145] = "setreuid", [146] = "setuid", [147] = "setresuid", [148] = "getresuid",
    [149] = "setresgid", [150] = "getresgid", [151] = "setfsuid", [152] = "setfsgid",
    [153] = "times", [154] = "setpgid", [155] = "getpgid", [156] = "getsid", [157] = "setsid",
    [158] = "getgroups", [159] = "setgroups", [160] = "uname", [161] = "sethostname",
    [162] = "setdomainname", [163] = "getrlimit", [164] = "setrlimit", [165] = "getrusage",
    [166] = "umask", [167] = "prctl", [168] = "getcpu", [169] = "gettimeofday",
    [170] = "settimeofday", [171] = "adjtimex", [172] = "getpid", [173] = "getppid",
    [174] = "getuid", [175] = "geteuid", [176] = "getgid", [177] = "getegid", [178] = "gettid",
    [179] = "sysinfo", [180] = "mq_open", [181] = "mq_unlink", [182] = "mq_timedsend",
    [183] = "mq_timedreceive", [184] = "mq_notify", [185] = "mq_getsetattr", [186] = "msgget",
    [187] = "msgctl", [188] = "msgrcv", [189] = "msgsnd", [190] = "semget", [191] = "semctl",
    [192] = "semtimedop", [193] = "semop", [194] = "shmget", [195] = "shmctl", [196] = "shmat",
    [197] = "shmdt", [198] = "socket", [199] = "socketpair", [200] = "bind", [201] = "listen",
    [202] = "accept", [203] = "connect", [204] = "getsockname", [205] = "getpeername",
    [206] = "sendto", [207] = "recvfrom", [208] = "setsockopt", [209] = "getsockopt",
    [210] = "shutdown", [211] = "sendmsg", [212] = "recvmsg", [213] = "readahead",
    [214] = "brk", [215] = "munmap", [216] = "mremap", [217] = "add_key", [218] = "request_key",
    [219] = "keyctl", [220] = "clone", [221] = "execve", [222] = "mmap", [223] = "fadvise64",
    [224] = "swapon", [225] = "swapoff", [226] = "mprotect", [227] = "msync", [228] = "mlock",
    [229] = "munlock", [230] = "mlockall", [231] = "munlockall", [232] = "mincore",
    [233] = "madvise", [234] = "remap_file_pages", [235] = "mbind", [236] = "get_mempolicy",
    [237] = "set_mempolicy", [238] = "migrate_pages", [239] = "move_pages",
    [240] = "rt_tgsigqueueinfo", [241] = "perf_event_open", [242] = "accept4",
    [243] = "recvmmsg", [258] = "riscv_hwprobe", [259] = "riscv_flush_icache", [260] = "wait4",
    [261] = "prlimit64", [262] = "fanotify_init", [263] = "fanotify_mark",
    [264] = "name_to_handle_at", [265] = "open_by_handle_at", [266] = "clock_adjtime",
    [267] = "syncfs", [268] = "setns", [269] = "sendmmsg", [270] = "process_vm_readv",
    [271] = "process_vm_writev", [272] = "kcmp", [273] = "finit_module",
    [274] = "sched_setattr", [275] = "sched_getattr", [276] = "renameat2", [277] = "seccomp",
    [278] = "getrandom", [279] = "memfd_create", [280] = "bpf", [281] = "execveat",
    [282] = "userfaultfd", [283] = "membarrier", [284] = "mlock2", [285] = "copy_file_range",
    [286] = "preadv2", [287] = "pwritev2", [288] = "pkey_mprotect", [289] = "pkey_alloc",
    [290] = "pkey_free", [291] = "statx", [292] = "io_pgetevents", [293] = "rseq",
    [294] = "kexec_file_load", [424] = "pidfd_send_signal", [425] = "io_uring_setup",
    [426] = "io_uring_enter", [427] = "io_uring_register", [428] = "open_tree",
    [429] = "move_mount", [430] = "fsopen", [431] = "fsconfig", [432] = "fsmount",
    [433] = "fspick", [434] = "pidfd_open", [435] = "clone3", [436] = "close_range",
    [437] = "openat2", [438] = "pidfd_getfd", [439] = "faccessat2", [440] = "process_madvise",
    [441] = "epoll_pwait2", [442] = "mount_setattr", [443] = "quotactl_fd",
    [444] = "landlock_create_ruleset", [445] = "landlock_add_rule",
    [446] = "landlock_restrict_self", [447] = "memfd_secret", [448] = "process_mrelease",
    [449] = "futex_waitv", [450] = "set_mempolicy_home_node",
};

const char *cli_syscall_name(uint64_t nr)
{
    return nr < sizeof syscall_names / sizeof *syscall_names ? syscall_names[nr] : NULL;
}

static const char *const sig_names[] = {
    [1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP",
    [6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [10] = "SIGUSR1",
    [11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM",
    [16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP",
    [21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGURG", [24] = "SIGXCPU", [25] = "SIGXFSZ",
    [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO", [30] = "SIGPWR",
    [31] = "SIGSYS",
};

/* "SIGALRM", "SIGRTMIN+3", "signal 99" */
static const char *sig_name(int32_t signo, char *buf, size_t n)
{
    if (signo > 0 && signo < (int32_t)(sizeof sig_names / sizeof *sig_names) && sig_names[signo])
        return sig_names[signo];
    if (signo >= 32 && signo <= 64) snprintf(buf, n, "SIGRTMIN+%d", signo - 32);
    else snprintf(buf, n, "signal %d", signo);
    return buf;
}

static const char *const host_id_names[] = { "uid", "euid", "gid", "egid", "pid", "ppid" };

static int32_t rd_i32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

static void hexstr(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* ---- text ---- */

static void text_data(FILE *out, const struct rpr_data *d)
{
    if (d->blob) {
        char hx[33];
        hexstr(hx, d->hash, 16);
        fprintf(out, "%" PRIu64 " bytes blob:%.16s", d->len, hx);
        return;
    }
    fprintf(out, "%" PRIu64 " bytes", d->len);
    if (!d->len || !d->data) return;
    const uint8_t *p = d->data;
    size_t n = d->len < 32 ? (size_t)d->len : 32, printable = 0;
    for (size_t i = 0; i < n; i++)
        printable += (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' || p[i] == '\t';
    if (printable * 4 >= n * 3) {
        fputs(" \"", out);
        for (size_t i = 0; i < n; i++) {
            if (p[i] == '\n') fputs("\\n", out);
            else if (p[i] == '\t') fputs("\\t", out);
            else if (p[i] == '"' || p[i] == '\\') fprintf(out, "\\%c", p[i]);
            else if (p[i] >= 0x20 && p[i] < 0x7f) fputc(p[i], out);
            else fprintf(out, "\\x%02x", p[i]);
        }
        fputs(d->len > n ? "\"..." : "\"", out);
    } else {
        fputc(' ', out);
        for (size_t i = 0; i < n; i++) fprintf(out, "%02x", p[i]);
        if (d->len > n) fputs("...", out);
    }
}

static void text_event(FILE *out, uint32_t stream, const struct rpr_event *ev)
{
    fprintf(out, "[%" PRIu32 "] icount=%" PRIu64 " tid=%" PRIu32 " ticount=%" PRIu64
                 " pc=0x%" PRIx64 " ",
            stream, ev->at.icount, ev->at.tid, ev->at.ticount, ev->at.pc);
    const struct rpr_kind_info *k = rpr_kind_info(ev->kind);
    if (!k) {
        fprintf(out, "kind %u (unknown to this reprise, %zu-byte payload)\n", ev->kind,
                ev->payload_len);
        return;
    }
    fputs(k->name, out);
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct rpr_field_info *f = &k->fields[i];
        const void *v = (const char *)ev + f->offset;
        fprintf(out, " %s=", f->name);
        switch (f->type) {
        case RPR_T_U: {
            uint64_t x = *(const uint64_t *)v;
            if (!strcmp(f->name, "digest") || !strcmp(f->name, "args_digest")) {
                fprintf(out, "0x%016" PRIx64, x);
            } else if (ev->kind == RPR_EV_SYSCALL && !strcmp(f->name, "nr")) {
                const char *name = cli_syscall_name(x);
                fprintf(out, "%" PRIu64 "%s%s%s", x, name ? " (" : "", name ? name : "",
                        name ? ")" : "");
            } else if (ev->kind == RPR_EV_HOST_ID && !strcmp(f->name, "what") && x < 6) {
                fputs(host_id_names[x], out);
            } else if (ev->kind == RPR_EV_CLOCK && !strcmp(f->name, "clock") && x < 2) {
                fputs(x ? "monotonic" : "realtime", out);
            } else {
                fprintf(out, "%" PRIu64, x);
            }
            break;
        }
        case RPR_T_I: fprintf(out, "%" PRId64, *(const int64_t *)v); break;
        case RPR_T_STR: {
            const char *s = *(const char *const *)v;
            fputc('"', out);
            for (; s && *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
                else if (c >= 0x20 && c < 0x7f) fputc(c, out);
                else fprintf(out, "\\x%02x", c);
            }
            fputc('"', out);
            break;
        }
        case RPR_T_DATA:
        case RPR_T_BLOB: text_data(out, v); break;
        case RPR_T_WRITES: {
            const struct rpr_mem_writes *w = v;
            fputc('[', out);
            for (size_t j = 0; j < w->n; j++) {
                fprintf(out, "%s0x%" PRIx64 ": ", j ? ", " : "", w->v[j].addr);
                text_data(out, &w->v[j].bytes);
            }
            fputc(']', out);
            break;
        }
        case RPR_T_SIGINFOS: {
            const struct rpr_siginfos *s = v;
            fputc('[', out);
            for (size_t j = 0; j < s->n; j++) {
                const uint8_t *si = s->v + j * RPR_SIGINFO_SIZE;
                char buf[32];
                fprintf(out, "%s%s code=%d", j ? ", " : "", sig_name(rd_i32(si), buf, sizeof buf),
                        rd_i32(si + 8));
                if (rd_i32(si + 8) <= 0) fprintf(out, " pid=%d", rd_i32(si + 16));
            }
            fputc(']', out);
            break;
        }
        }
    }
    fputc('\n', out);
}

/* ---- JSON ---- */

static json_t *json_u64(uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX) return json_integer((json_int_t)v);
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return json_string(buf);
}

/* A JSON string of s; bytes that are not valid UTF-8 become "\\xNN". */
static json_t *json_str_safe(const char *s)
{
    if (!s) return json_string("");
    json_t *x = json_string(s);
    if (x) return x;
    size_t n = strlen(s);
    char *buf = malloc(4 * n + 1);
    if (!buf) return json_string("");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) buf[k++] = (char)c;
        else k += (size_t)sprintf(buf + k, "\\x%02x", c);
    }
    buf[k] = 0;
    x = json_string(buf);
    free(buf);
    return x ? x : json_string("");
}

static json_t *json_data(const struct rpr_data *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "len", json_u64(d->len));
    if (d->blob) {
        char hx[33];
        hexstr(hx, d->hash, 16);
        json_object_set_new(o, "blob", json_string(hx));
    }
    if (d->data) {
        size_t n = d->len < 256 ? (size_t)d->len : 256;
        char *hx = malloc(2 * n + 1);
        if (hx) {
            hx[0] = 0;
            hexstr(hx, d->data, n);
            json_object_set_new(o, "hex", json_string(hx));
            free(hx);
        }
        if (d->len > n) json_object_set_new(o, "truncated", json_true());
    }
    return o;
}

static json_t *json_event(uint32_t stream, const struct rpr_event *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "stream", json_integer(stream));
    json_object_set_new(o, "icount", json_u64(ev->at.icount));
    json_object_set_new(o, "tid", json_integer(ev->at.tid));
    json_object_set_new(o, "ticount", json_u64(ev->at.ticount));
    json_object_set_new(o, "pc", json_u64(ev->at.pc));
    const struct rpr_kind_info *k = rpr_kind_info(ev->kind);
    if (!k) {
        json_object_set_new(o, "kind", json_integer(ev->kind));
        json_object_set_new(o, "payload_len", json_integer((json_int_t)ev->payload_len));
        return o;
    }
    json_object_set_new(o, "kind", json_string(k->name));
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct rpr_field_info *f = &k->fields[i];
        const void *v = (const char *)ev + f->offset;
        json_t *x = NULL;
        switch (f->type) {
        case RPR_T_U: {
            uint64_t u = *(const uint64_t *)v;
            if (!strcmp(f->name, "digest") || !strcmp(f->name, "args_digest")) {
                char buf[24];
                snprintf(buf, sizeof buf, "0x%016" PRIx64, u);
                x = json_string(buf);
            } else {
                x = json_u64(u);
            }
            if (ev->kind == RPR_EV_SYSCALL && !strcmp(f->name, "nr") && cli_syscall_name(u))
                json_object_set_new(o, "name", json_string(cli_syscall_name(u)));
            break;
        }
        case RPR_T_I: x = json_integer(*(const int64_t *)v); break;
        case RPR_T_STR: {
            x = json_str_safe(*(const char *const *)v);
            break;
        }
        case RPR_T_DATA:
        case RPR_T_BLOB: x = json_data(v); break;
        case RPR_T_WRITES: {
            const struct rpr_mem_writes *w = v;
            x = json_array();
            for (size_t j = 0; j < w->n; j++) {
                json_t *e = json_data(&w->v[j].bytes);
                json_object_set_new(e, "addr", json_u64(w->v[j].addr));
                json_array_append_new(x, e);
            }
            break;
        }
        case RPR_T_SIGINFOS: {
            const struct rpr_siginfos *s = v;
            x = json_array();
            for (size_t j = 0; j < s->n; j++) {
                const uint8_t *si = s->v + j * RPR_SIGINFO_SIZE;
                char buf[32];
                json_t *e = json_object();
                json_object_set_new(e, "signo", json_integer(rd_i32(si)));
                json_object_set_new(e, "name", json_string(sig_name(rd_i32(si), buf, sizeof buf)));
                json_object_set_new(e, "errno", json_integer(rd_i32(si + 4)));
                json_object_set_new(e, "code", json_integer(rd_i32(si + 8)));
                char hx[2 * RPR_SIGINFO_SIZE + 1];
                hexstr(hx, si, RPR_SIGINFO_SIZE);
                json_object_set_new(e, "hex", json_string(hx));
                json_array_append_new(x, e);
            }
            break;
        }
        }
        if (x) json_object_set_new(o, f->name, x);
    }
    return o;
}

/* ---- driver ---- */

static int dump_stream(struct rpr_reader *r, uint32_t id, FILE *out, FILE *err,
                       const struct cli_dump_opts *o)
{
    struct rpr_filter f;
    rpr_filter_init(&f);
    f.from = o->from;
    f.to = o->to;
    memcpy(f.kinds, o->kinds, sizeof f.kinds);
    f.flags = RPR_ITER_NO_BLOBS;   /* blob contents are not printed */
    struct rpr_iter *it;
    if (rpr_iter_open(r, id, &f, &it)) {
        if (err) fprintf(err, "reprise: dump: %s\n", rpr_reader_errmsg(r));
        return CLI_FAIL;
    }
    const struct rpr_event *ev;
    int rc;
    while ((rc = rpr_iter_next(it, &ev)) == RPR_OK) {
        if (o->json) {
            json_t *j = json_event(id, ev);
            json_dumpf(j, out, JSON_COMPACT);
            fputc('\n', out);
            json_decref(j);
        } else {
            text_event(out, id, ev);
        }
    }
    if (rc != RPR_END && err) fprintf(err, "reprise: dump: %s\n", rpr_iter_errmsg(it));
    rpr_iter_close(it);
    return rc == RPR_END ? CLI_OK : CLI_FAIL;
}

int cli_dump_print(struct rpr_reader *r, FILE *out, FILE *err, const struct cli_dump_opts *o)
{
    if (o->one_stream) {
        if (rpr_reader_find_stream(r, o->stream) < 0) {
            if (err) fprintf(err, "reprise: dump: no stream %" PRIu32 " in the recording\n", o->stream);
            return CLI_FAIL;
        }
        return dump_stream(r, o->stream, out, err, o);
    }
    int rc = CLI_OK;
    for (size_t i = 0; i < rpr_reader_stream_count(r); i++) {
        struct rpr_stream_info si;
        rpr_reader_stream(r, i, &si);
        if (dump_stream(r, si.id, out, err, o) != CLI_OK) rc = CLI_FAIL;
    }
    return rc;
}

static void dump_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise dump [OPTION]... FILE\n"
            "\n"
            "Prints the events of the recording FILE in order, one per line: the stream\n"
            "(guest pid), the execution point (icount: the process's instruction count;\n"
            "tid, ticount: the thread and its own count; pc) and the payload.\n"
            "\n"
            "  --json          one JSON object per event and line\n"
            "  --stream PID    only the stream of guest process PID (default: every\n"
            "                  stream, one after the other)\n"
            "  --from ICOUNT   only events at or after this instruction count\n"
            "  --to ICOUNT     only events at or before this instruction count\n"
            "  --kind KIND     only events of this kind (repeat, or separate with\n"
            "                  commas); kinds: ");
    for (unsigned k = 1, n = 0; k < 256; k++) {
        const struct rpr_kind_info *ki = rpr_kind_info(k);
        if (ki) fprintf(out, "%s%s", n++ ? ", " : "", ki->name);
    }
    fprintf(out,
            "\n"
            "  -h, --help      show this help\n"
            "\n"
            "Exit status: 0 success, 1 unreadable or damaged recording (the events\n"
            "before the damage are printed), 2 bad command line.\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s || *s == '-') return -1;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (*end || errno) return -1;
    *v = x;
    return 0;
}

int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "stream", required_argument, NULL, 's' },
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "kind", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct cli_dump_opts o = { .to = UINT64_MAX };
    int c;
    uint64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': o.json = true; break;
        case 's':
            if (parse_u64(optarg, &v) || v > UINT32_MAX) {
                cli_error("dump", "bad --stream '%s': expected a pid", optarg);
                return CLI_USAGE;
            }
            o.one_stream = true;
            o.stream = (uint32_t)v;
            break;
        case 'f':
        case 't':
            if (parse_u64(optarg, &v)) {
                cli_error("dump", "bad --%s '%s': expected an instruction count",
                          c == 'f' ? "from" : "to", optarg);
                return CLI_USAGE;
            }
            if (c == 'f') o.from = v;
            else o.to = v;
            break;
        case 'k': {
            char *list = strdup(optarg), *save = NULL;
            if (!list) return CLI_FAIL;
            for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
                unsigned kind = rpr_kind_from_name(k);
                if (!kind) {
                    cli_error("dump", "unknown event kind '%s' (see reprise dump --help)", k);
                    free(list);
                    return CLI_USAGE;
                }
                o.kinds[kind >> 6] |= 1ull << (kind & 63);
            }
            free(list);
            break;
        }
        case 'h': dump_usage(stdout); return CLI_OK;
        default: dump_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("dump", "expected one recording file (see reprise dump --help)");
        return CLI_USAGE;
    }
    char err[1024];
    struct rpr_reader *r;
    if (rpr_reader_open(argv[optind], &r, err, sizeof err)) {
        cli_error("dump", "%s", err);
        return CLI_FAIL;
    }
    int rc = cli_dump_print(r, stdout, stderr, &o);
    rpr_reader_close(r);
    if (fflush(stdout)) rc = CLI_FAIL;
    return rc;
}
