/*
 * test_schedule.c - the scheduler makes the same decisions in record and in
 * replay. A multithreaded guest (the pipe_threads sample: threads that block
 * on pipes, sleep and poll, so that host timing decides when they become
 * runnable) is recorded with chaos scheduling and replayed; an
 * instrumentation hook notes every switch of guest thread with the
 * process's instruction count, and the two sequences must be identical.
 *   test_schedule PROGRAM
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "linux.h"
#include "log.h"
#include "lx.h"
#include "recorder.h"
#include "replayer.h"

static const char *program;

struct trace {
    uint32_t *tid;
    uint64_t *at;
    size_t n, cap;
    uint32_t last;
    struct lx_proc *proc;
};

static void on_block(void *u, struct vm_cpu *cpu, uint64_t pc, uint64_t icount)
{
    (void)pc; (void)icount;
    struct trace *tr = u;
    struct lx_thread *t = cpu->user;
    if (!t || (uint32_t)t->tid == tr->last) return;
    tr->last = (uint32_t)t->tid;
    if (tr->n == tr->cap) {
        tr->cap = tr->cap ? tr->cap * 2 : 1024;
        tr->tid = realloc(tr->tid, tr->cap * sizeof *tr->tid);
        tr->at = realloc(tr->at, tr->cap * sizeof *tr->at);
        assert_non_null(tr->tid);
        assert_non_null(tr->at);
    }
    struct lx_point pt;
    lx_thread_point(t, &pt);
    tr->tid[tr->n] = pt.tid;
    tr->at[tr->n] = pt.icount;
    tr->n++;
}

static void hook(void *ctx, struct vm_tb_desc *tb)
{
    tb->block_cb = on_block;
    tb->block_udata = ctx;
}

static void run(struct lx_port *port, struct trace *tr, uint64_t chaos, struct lx_exit *ex)
{
    struct vm_instrument ins = { .ctx = tr, .translate = hook };
    char *argv[] = { (char *)program, NULL };
    char *envp[] = { "LANG=C", NULL };
    struct lx_config cfg = { .path = program, .argc = 1, .argv = argv, .envp = envp,
                             .port = port, .instrument = &ins, .chaos_seed = chaos };
    struct lx_proc *p;
    char err[512];
    if (lx_create(&cfg, &p, err, sizeof err)) fail_msg("lx_create: %s", err);
    tr->proc = p; /* the caller finishes the port with it, then destroys it */
    if (lx_run(p, ex, err, sizeof err)) fail_msg("lx_run: %s", err);
}

static void test_same_schedule(void **state)
{
    (void)state;
    char path[] = "/tmp/test_schedule_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);

    /* Record, with chaos so that the schedule is anything but regular. */
    struct lx_port *live = lx_port_live_create(), *rec;
    char err[512];
    json_t *meta = json_pack("{s:s}", "program", program);
    if (rec_port_create(live, path, meta, NULL, &rec, err, sizeof err)) fail_msg("%s", err);
    json_decref(meta);
    struct trace a = { 0 }, b = { 0 };
    struct lx_exit ex1, ex2;
    int saved = dup(1);
    FILE *null = freopen("/dev/null", "w", stdout);
    (void)null;
    run(rec, &a, 0x5eed5eed, &ex1);
    struct lx_proc *p1 = a.proc;
    if (rec_port_finish(rec, p1, &ex1, err, sizeof err)) fail_msg("%s", err);
    lx_destroy(p1);
    live->ops->destroy(live);

    /* Replay with the same seed. */
    struct rpr_reader *rd;
    if (rpr_reader_open(path, &rd, err, sizeof err)) fail_msg("%s", err);
    struct rep_options ro = { .quiet = true, .verify = true };
    struct lx_port *rep;
    if (rep_port_create(rd, &ro, &rep, err, sizeof err)) fail_msg("%s", err);
    run(rep, &b, 0x5eed5eed, &ex2);
    struct lx_proc *p2 = b.proc;
    struct rep_result res;
    rep_port_finish(rep, p2, 0, "", &ex2, &res);
    lx_destroy(p2);
    rpr_reader_close(rd);
    unlink(path);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);

    if (res.diverged) fail_msg("replay diverged: %s", res.message);
    assert_int_equal(ex1.status, 0);
    assert_int_equal(ex2.status, 0);
    /* Several threads, switched many times... */
    assert_true(a.n > 20);
    /* ...at exactly the same instructions in both. */
    if (a.n != b.n) fail_msg("record switched threads %zu times, replay %zu times", a.n, b.n);
    for (size_t i = 0; i < a.n; i++)
        if (a.tid[i] != b.tid[i] || a.at[i] != b.at[i])
            fail_msg("switch %zu: record to thread %u at %llu, replay to %u at %llu", i, a.tid[i],
                     (unsigned long long)a.at[i], b.tid[i], (unsigned long long)b.at[i]);
    free(a.tid); free(a.at); free(b.tid); free(b.at);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_schedule PROGRAM\n");
        return 2;
    }
    program = argv[1];
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_same_schedule) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
