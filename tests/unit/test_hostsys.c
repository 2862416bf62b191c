/*
 * test_hostsys.c - the declarative table of pass-through system calls
 * (vm/linux/hostsys.def), which says which arguments are paths and input
 * and output buffers and how long each is. The live port checks guest
 * pointers with it and the recorder relies on it, so its rows must be
 * well-formed: every token known, every length taken from a plain-value
 * argument, fixed sizes equal to the structures both ABIs share, the
 * descriptor arguments of the common calls marked, and no number or name
 * twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>

#include "hostsys.h"

struct row {
    int nr;
    const char *name;
    long host_nr;
    const char *spec;
};

static const struct row rows[] = {
#define HOSTSYS(nr, name, host, spec) { nr, #name, SYS_##host, spec },
#include "hostsys.def"
#undef HOSTSYS
};
#define N (sizeof rows / sizeof rows[0])

/* Parses spec into at most 6 tokens with the port's own tokenizer; returns
 * the count or -1. */
static int parse(const char *s, struct hostsys_tok *t)
{
    int n = 0;
    struct hostsys_tok tk;
    while (hostsys_next_tok(&s, &tk)) {
        if (n == 6) return -1;
        t[n++] = tk;
    }
    return n;
}

static void test_rows_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < N; i++) {
        struct hostsys_tok t[6];
        int n = parse(rows[i].spec, t);
        if (n < 0) fail_msg("%s: more than six arguments", rows[i].name);
        for (int k = 0; k < n; k++) {
            switch (t[k].kind) {
            case '-': case 'f': case 'p':
                break;
            case 'r': case 'w':
                /* The length must be another argument that is a plain value. */
                if ((int)t[k].num >= n || t[k].num == (unsigned)k || t[t[k].num].kind != '-')
                    fail_msg("%s: argument %d takes its length from argument %u, not a value",
                             rows[i].name, k, t[k].num);
                break;
            case 'R': case 'W':
                if (t[k].num == 0 || t[k].num > 4096)
                    fail_msg("%s: argument %d has fixed size %u", rows[i].name, k, t[k].num);
                break;
            default:
                fail_msg("%s: unknown token '%c'", rows[i].name, t[k].kind);
            }
        }
        assert_true(rows[i].nr >= 0 && rows[i].nr < 512);
        assert_true(rows[i].host_nr >= 0);
        for (size_t j = 0; j < i; j++) {
            if (rows[j].nr == rows[i].nr) fail_msg("%s and %s share number %d", rows[j].name, rows[i].name, rows[i].nr);
            if (!strcmp(rows[j].name, rows[i].name)) fail_msg("%s listed twice", rows[i].name);
        }
    }
}

/* Fixed sizes of the structures passed through untranslated: they must be
 * what the host (x86-64) uses, which the riscv64 ABI shares for these. */
static unsigned fixed_size(const char *name, int arg)
{
    for (size_t i = 0; i < N; i++) {
        if (strcmp(rows[i].name, name)) continue;
        struct hostsys_tok t[6];
        int n = parse(rows[i].spec, t);
        if (arg < n && (t[arg].kind == 'W' || t[arg].kind == 'R')) return t[arg].num;
        fail_msg("%s: argument %d is not a fixed-size buffer", name, arg);
    }
    fail_msg("%s is not in the table", name);
    return 0;
}

static void test_struct_sizes(void **state)
{
    (void)state;
    assert_int_equal(fixed_size("uname", 0), sizeof(struct utsname));
    assert_int_equal(fixed_size("clock_gettime", 1), sizeof(struct timespec));
    assert_int_equal(fixed_size("sysinfo", 0), sizeof(struct sysinfo));
    assert_int_equal(fixed_size("getrusage", 1), sizeof(struct rusage));
    assert_int_equal(fixed_size("prlimit64", 3), sizeof(struct rlimit));
    assert_int_equal(fixed_size("getitimer", 1), sizeof(struct itimerval));
    assert_int_equal(fixed_size("gettimeofday", 0), sizeof(struct timeval));
    assert_int_equal(fixed_size("pipe2", 0), 2 * sizeof(int));
    assert_int_equal(fixed_size("wait4", 1), sizeof(int));
    assert_int_equal(fixed_size("wait4", 3), sizeof(struct rusage));
}

/* Descriptor arguments are marked 'f', so reprise's own are refused. */
static void test_fd_arguments(void **state)
{
    (void)state;
    static const struct { const char *name; int arg; } fds[] = {
        { "read", 0 }, { "write", 0 }, { "close", 0 }, { "dup3", 1 }, { "lseek", 0 },
        { "ftruncate", 0 }, { "openat", 0 },
    };
    for (size_t k = 0; k < sizeof fds / sizeof fds[0]; k++)
        for (size_t i = 0; i < N; i++) {
            if (strcmp(rows[i].name, fds[k].name)) continue;
            struct hostsys_tok t[6];
            int n = parse(rows[i].spec, t);
            if (fds[k].arg >= n || t[fds[k].arg].kind != 'f')
                fail_msg("%s: argument %d is not marked as a descriptor", fds[k].name, fds[k].arg);
        }
}

/* The riscv64 numbers (asm-generic unistd.h) of a few well-known calls. */
static void test_numbers(void **state)
{
    (void)state;
    static const struct { const char *name; int nr; } known[] = {
        { "read", 63 }, { "write", 64 }, { "openat", 56 }, { "close", 57 }, { "getcwd", 17 },
        { "clock_gettime", 113 }, { "getrandom", 278 }, { "statx", 291 }, { "wait4", 260 },
    };
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        size_t i;
        for (i = 0; i < N; i++)
            if (!strcmp(rows[i].name, known[k].name)) break;
        if (i == N) fail_msg("%s missing", known[k].name);
        assert_int_equal(rows[i].nr, known[k].nr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_well_formed),
        cmocka_unit_test(test_struct_sizes),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_fd_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
