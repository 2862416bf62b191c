/*
 * reprise/plugin.h - the public, versioned API of reprise tracer plugins.
 *
 * A plugin is a shared object that observes a replay (`reprise expand`) and
 * writes rows into the trace database. It exports exactly one symbol,
 * REPRISE_PLUGIN_ENTRY (`reprise_plugin_entry`), a function returning a
 * description of the plugin whose first field is the API version it was
 * built against. The host refuses a plugin whose version differs from its
 * own REPRISE_PLUGIN_API_VERSION, before calling anything else in it.
 *
 * Life of a plugin during one expansion:
 *   1. install(): the host has validated the arguments; the plugin reads them
 *      (reprise_arg_*), declares its tables (reprise_table_declare) and
 *      registers a translation callback (reprise_on_translate) and a finish
 *      callback (reprise_on_finish).
 *   2. Translation time: for every block the virtual machine translates, the
 *      translation callback sees its instructions (pc, size, raw encoding,
 *      class, disassembly) and chooses what to observe: block executions,
 *      execution of single instructions, their memory accesses, or inline
 *      counters. Nothing is paid at execution for what is not asked.
 *   3. Execution time: the requested callbacks run with the execution point
 *      (process instruction count, thread, pc). Only executions inside the
 *      expansion window are reported.
 *   4. finish(): the window ended; the plugin emits its last rows. The host
 *      then commits, builds the declared indexes and runs the plugin's SQL
 *      (views).
 *
 * Handles (struct reprise_host, reprise_tb, reprise_insn, reprise_cpu) are
 * opaque and valid only during the callback that received them, except the
 * host and table handles, which live until finish() returns. Plugins observe;
 * nothing in this API changes guest state. Plugins never see an sqlite3
 * handle: rows go through reprise_row_* and the host batches them.
 *
 * All functions are called from the single host thread that runs the
 * replay. Strings passed to the host are copied unless stated otherwise.
 */
#ifndef REPRISE_PLUGIN_H
#define REPRISE_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this API. Bumped on every incompatible change; a plugin built
 * against another version is refused at load with a message naming both. */
#define REPRISE_PLUGIN_API_VERSION 1

/* Name of the one symbol a plugin exports (see reprise_plugin_entry_fn). */
#define REPRISE_PLUGIN_ENTRY reprise_plugin_entry

struct reprise_host;   /* the expansion, as seen by one plugin */
struct reprise_tb;     /* a block being translated */
struct reprise_insn;   /* one instruction of a block being translated */
struct reprise_cpu;    /* the guest thread executing a callback */
struct reprise_table;  /* a declared output table */

/* ---- plugin description and arguments ---- */

/* Type of a declared plugin argument. The host parses and validates the
 * text the user gives (`-p NAME:KEY=VALUE`) against it. */
enum reprise_arg_type {
    REPRISE_ARG_INT = 1,    /* decimal or 0x-hex 64-bit integer */
    REPRISE_ARG_BOOL = 2,   /* true/false, yes/no, on/off, 1/0 */
    REPRISE_ARG_STRING = 3, /* any text */
};

/* One declared argument. `def` is the default, as text the user could have
 * written (NULL: the argument is required). */
struct reprise_arg_spec {
    const char *name;
    enum reprise_arg_type type;
    const char *def;
    const char *help;
};

/* What a plugin says about itself; returned by its entry point. The
 * description and everything it points to must stay valid while the plugin
 * is loaded. */
struct reprise_plugin_info {
    /* REPRISE_PLUGIN_API_VERSION as the plugin saw it. Must stay first. */
    unsigned api_version;
    const char *name;     /* short name, [a-z0-9_]+, used as table prefix */
    const char *summary;  /* one line for `reprise plugins` */
    const struct reprise_arg_spec *args; /* terminated by an entry with name NULL; NULL: none */
    /* Called once, after argument validation. Returns 0, or nonzero after
     * reporting why with reprise_error(); the expansion then stops. */
    int (*install)(struct reprise_host *host);
};

/* The type of the exported entry point. A plugin defines:
 *   const struct reprise_plugin_info *reprise_plugin_entry(void) { return &info; } */
typedef const struct reprise_plugin_info *(*reprise_plugin_entry_fn)(void);

/* Value of a declared argument (the user's or the default). Asking for an
 * undeclared name or with the wrong type returns 0 / false / NULL. The
 * string stays valid until finish() returns. */
int64_t reprise_arg_int(struct reprise_host *host, const char *name);
bool reprise_arg_bool(struct reprise_host *host, const char *name);
const char *reprise_arg_string(struct reprise_host *host, const char *name);

/* Reports an error of this plugin (printed as "reprise: expand: PLUGIN: ...").
 * Returns -1, so `return reprise_error(h, "...")` reads well. */
int reprise_error(struct reprise_host *host, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- tables and rows ---- */

/* SQLite storage class of a column. Addresses and counts are INTEGER. */
enum reprise_col_type {
    REPRISE_COL_INT = 1,
    REPRISE_COL_TEXT = 2,
    REPRISE_COL_BLOB = 3,
    REPRISE_COL_REAL = 4,
};

struct reprise_column {
    const char *name;
    enum reprise_col_type type;
};

/* Declares table `name` with `n` columns (at most 64) and creates it empty.
 * Conventions (docs/trace-schema.md): an `id` INTEGER column first is the
 * primary key (left unset, SQLite numbers the rows: the cheapest insert);
 * `icount` is the time column. A table whose rows are emitted in icount
 * order with rising ids is listed in meta `icount_ordered`, and
 * icount_id() finds its rows by time. Returns the table, or NULL
 * (after reporting) on a bad declaration or a name already in use. */
struct reprise_table *reprise_table_declare(struct reprise_host *host, const char *name,
                                            const struct reprise_column *cols, size_t n);

/* Asks for an index on `columns` (comma-separated SQL column list). Indexes
 * are built once, after the load, never during it. 0 or -1. */
int reprise_table_index(struct reprise_table *t, const char *columns);

/* Adds SQL (for example CREATE VIEW) that the host runs after the load and
 * the indexes. 0 or -1. */
int reprise_sql_at_end(struct reprise_host *host, const char *sql);

/* Row emission: set every column of the next row (unset ones are NULL),
 * then reprise_row_end(). Column numbers follow the declaration, from 0.
 * Text and blobs are copied. The host writes rows in large batches; a
 * write error stops the expansion and is reported by the host. */
void reprise_row_int(struct reprise_table *t, unsigned col, int64_t v);
void reprise_row_real(struct reprise_table *t, unsigned col, double v);
void reprise_row_text(struct reprise_table *t, unsigned col, const char *s);
void reprise_row_blob(struct reprise_table *t, unsigned col, const void *p, size_t n);
void reprise_row_end(struct reprise_table *t);

/* ---- translation time ---- */

/* Instruction classes (bits; an instruction may have several). */
enum reprise_insn_class {
    REPRISE_INSN_BRANCH = 1u << 0,  /* conditional branch */
    REPRISE_INSN_JUMP = 1u << 1,    /* unconditional direct or indirect jump */
    REPRISE_INSN_CALL = 1u << 2,    /* jump that links (rd = ra or t0) */
    REPRISE_INSN_RETURN = 1u << 3,  /* indirect jump through ra/t0 without link */
    REPRISE_INSN_LOAD = 1u << 4,
    REPRISE_INSN_STORE = 1u << 5,
    REPRISE_INSN_AMO = 1u << 6,     /* atomic (also LR/SC) */
    REPRISE_INSN_SYSCALL = 1u << 7, /* ecall */
    REPRISE_INSN_CSR = 1u << 8,
    REPRISE_INSN_FP = 1u << 9,
};

/* Called for every block the virtual machine translates (blocks may be
 * translated again, e.g. after self-modifying code: each translation has
 * its own id). */
typedef void (*reprise_translate_cb)(void *udata, struct reprise_tb *tb);
/* Registers the translation callback of this plugin (one per plugin). */
void reprise_on_translate(struct reprise_host *host, reprise_translate_cb cb, void *udata);

/* Unique id of this translation (1, 2, ...; shared by all plugins). */
uint64_t reprise_tb_id(const struct reprise_tb *tb);
/* Guest address of the block's first instruction. */
uint64_t reprise_tb_pc(const struct reprise_tb *tb);
/* Number of instructions of the block (at least 1). */
unsigned reprise_tb_n_insns(const struct reprise_tb *tb);
/* Instruction i of the block (0 <= i < n), or NULL. */
struct reprise_insn *reprise_tb_insn(struct reprise_tb *tb, unsigned i);

/* Guest address, size in bytes (2 or 4), encoding as fetched (16 or 32 bits),
 * class bits (enum reprise_insn_class) of an instruction. */
uint64_t reprise_insn_pc(const struct reprise_insn *insn);
unsigned reprise_insn_size(const struct reprise_insn *insn);
uint32_t reprise_insn_raw(const struct reprise_insn *insn);
unsigned reprise_insn_class(const struct reprise_insn *insn);
/* Disassembly as `objdump -d` prints it ("addi a0,a0,1"). Valid during the
 * translation callback. */
const char *reprise_insn_disas(const struct reprise_insn *insn);

/* The execution point of a callback. `icount` is the number of instructions
 * the process had retired before the instruction (or block) in question: the
 * time column of the trace database. */
struct reprise_point {
    uint64_t icount;
    uint32_t thread;              /* guest thread id */
    uint64_t pc;
    struct reprise_cpu *cpu;      /* for reprise_reg_read; valid during the callback */
    /* The thread's own retired instructions before this point: differences
     * of ticount measure what one thread executed (differences of icount
     * include the other threads that ran meanwhile). */
    uint64_t ticount;
};

/* One execution of a block, reported after it ended, so with the exact
 * number of instructions retired: `count` instructions from index `first`
 * of the block (first > 0 when the expansion window starts inside it;
 * count < n_insns when an exception, a signal or the window end cut it).
 * point.icount and point.pc are those of instruction `first`; point.cpu is
 * NULL (the report comes after the block, possibly after its thread ended). */
struct reprise_block_exec {
    struct reprise_point point;
    unsigned first, count;
};
typedef void (*reprise_block_cb)(void *udata, const struct reprise_block_exec *bx);
/* Asks for block-execution reports of this block. */
void reprise_tb_on_exec(struct reprise_tb *tb, reprise_block_cb cb, void *udata);

/* Called before the instruction executes. */
typedef void (*reprise_insn_cb)(void *udata, const struct reprise_point *pt);
void reprise_insn_on_exec(struct reprise_insn *insn, reprise_insn_cb cb, void *udata);

/* Kind of a memory access. */
enum reprise_mem_kind { REPRISE_MEM_READ = 1, REPRISE_MEM_WRITE = 2, REPRISE_MEM_AMO = 3 };
/* One completed memory access: value is what was read (loads), written
 * (stores) or the new memory value (AMO, successful SC), zero-extended. */
struct reprise_mem {
    uint64_t addr;
    unsigned size;
    uint64_t value;
    enum reprise_mem_kind kind;
};
typedef void (*reprise_mem_cb)(void *udata, const struct reprise_point *pt,
                               const struct reprise_mem *m);
/* Asks for a callback after each memory access of the instruction. */
void reprise_insn_on_mem(struct reprise_insn *insn, reprise_mem_cb cb, void *udata);

/* Adds 1 to *counter each time the instruction executes inside the window
 * (the cheapest observation; the counter belongs to the plugin). */
void reprise_insn_count(struct reprise_insn *insn, uint64_t *counter);

/* The register the instruction writes, in the numbering of
 * reprise_reg_read (1..31 for x1..x31, 33..64 for f0..f31), or 0 if it
 * writes none (stores, branches, rd = x0). Derived from the operand column
 * of the ISA table (vm/riscv/insns.def): an rd operand is written. */
unsigned reprise_insn_dest(const struct reprise_insn *insn);

/* ---- execution time ---- */

/* Register numbering of reprise_reg_read. */
#define REPRISE_REG_PC 32      /* the pc */
#define REPRISE_REG_F0 33      /* f0..f31 are 33..64, as raw 64-bit patterns */
#define REPRISE_REG_FCSR 65    /* fcsr: frm << 5 | fflags */

/* Register `reg` of the thread executing the callback (cpu from struct
 * reprise_point): x0..x31 (RISC-V numbering), REPRISE_REG_PC, f0..f31 from
 * REPRISE_REG_F0, REPRISE_REG_FCSR. Inside an instruction callback the
 * value is the one before that instruction; in runtime-event callbacks,
 * the thread's state at the event. Returns 0 for an unknown register or a
 * NULL cpu. */
uint64_t reprise_reg_read(struct reprise_cpu *cpu, unsigned reg);

/* Reads len bytes of guest memory at guest address addr, as the thread of
 * cpu sees it (mapped pages, any permission; reading never changes the
 * replay). Returns the number of bytes copied to buf: len, or fewer where
 * the range stops being mapped. */
size_t reprise_mem_read(struct reprise_cpu *cpu, uint64_t addr, void *buf, size_t len);

/* Name of a riscv64 (asm-generic) system call number ("openat"), NULL if
 * reprise does not know it. */
const char *reprise_syscall_name(long nr);

/* ---- runtime events ----
 *
 * Each callback receives the execution point of the event: the thread, its
 * pc and the process instruction count at the event; point.cpu reads that
 * thread's registers and memory during the callback (NULL for events of a
 * thread that no longer runs, e.g. process exit). Like every other callback,
 * they are reported only inside the expansion window and its filters. */

/* A guest memory range (guest addresses, bytes). */
struct reprise_range {
    uint64_t addr, len;
};

/* A system call. At enter, the point is the ecall itself, not yet retired
 * (point.icount is the ecall's icount, point.pc its address; the call's
 * outcome belongs to icount + 1, where `reprise dump` shows it); `ret`,
 * `written` are unset. At exit, `ret` is the
 * value returned in a0 (negative errno on failure; a restart code
 * -512..-516 when a signal interrupted it and it will be executed again),
 * `enter_icount` the icount of its enter event, `written` the guest memory
 * the call wrote (the kernel's writes on the guest's behalf, in write
 * order; valid during the callback), and `read` (at enter and exit) the
 * input buffers the call reads, for calls reprise knows the buffers of
 * (write, pwrite64, sendto, ...; empty otherwise). */
struct reprise_syscall {
    long nr;
    const char *name;                  /* NULL if unknown */
    uint64_t args[6];                  /* a0..a5 at the ecall */
    int64_t ret;
    uint64_t enter_icount;
    const struct reprise_range *written;
    size_t n_written;
    const struct reprise_range *read;
    size_t n_read;
};
typedef void (*reprise_syscall_cb)(void *udata, const struct reprise_point *pt,
                                   const struct reprise_syscall *sc);
/* Registers a callback for system call entries (one per plugin). */
void reprise_on_syscall_enter(struct reprise_host *host, reprise_syscall_cb cb, void *udata);
/* Registers a callback for system call completions (one per plugin). A
 * call whose thread or process ends inside it (exit, exit_group, a fatal
 * signal, execve) has no exit event. */
void reprise_on_syscall_exit(struct reprise_host *host, reprise_syscall_cb cb, void *udata);

/* What happens to a delivered signal (signal(7) dispositions). */
enum reprise_signal_action {
    REPRISE_SIG_HANDLER = 1,   /* a handler runs (at `handler`) */
    REPRISE_SIG_IGNORE = 2,
    REPRISE_SIG_TERMINATE = 3, /* the process ends (core dumps included) */
    REPRISE_SIG_STOP = 4,      /* stop/continue: ignored by reprise */
};
/* A signal delivered to a thread: number, si_code, the faulting address
 * for SIGSEGV/SIGBUS/SIGILL/SIGTRAP (0 otherwise), the disposition, and
 * the handler's guest address. point.pc is where the thread was
 * interrupted. */
struct reprise_signal {
    int signo, code;
    uint64_t addr;
    enum reprise_signal_action action;
    uint64_t handler;
};
typedef void (*reprise_signal_cb)(void *udata, const struct reprise_point *pt,
                                  const struct reprise_signal *sig);
void reprise_on_signal(struct reprise_host *host, reprise_signal_cb cb, void *udata);

/* Thread events. CREATE: point is the new thread at its first instruction,
 * `parent` the thread that called clone (the process's first thread is
 * reported with parent 0 when the expansion starts at the beginning).
 * EXIT: point is the thread's last point, `status` its exit code. SWITCH:
 * the scheduler starts running `point.thread` (previously `parent`). */
enum reprise_thread_event { REPRISE_THREAD_CREATE = 1, REPRISE_THREAD_EXIT = 2,
                            REPRISE_THREAD_SWITCH = 3 };
struct reprise_thread {
    enum reprise_thread_event event;
    uint32_t parent;
    int status;
};
typedef void (*reprise_thread_cb)(void *udata, const struct reprise_point *pt,
                                  const struct reprise_thread *th);
void reprise_on_thread(struct reprise_host *host, reprise_thread_cb cb, void *udata);

/* The process ended: exited with `status`, or killed by `signo`. point is
 * the last thread's last point (point.cpu NULL). Reported before finish()
 * when the process ends inside the window. */
struct reprise_exit {
    bool signaled;
    int status, signo;
};
typedef void (*reprise_exit_cb)(void *udata, const struct reprise_point *pt,
                                const struct reprise_exit *ex);
void reprise_on_exit(struct reprise_host *host, reprise_exit_cb cb, void *udata);

/* Called once when the expansion ends (the end of the window, of the
 * process, or the row limit), before the host commits: the last chance to
 * emit rows. */
typedef void (*reprise_finish_cb)(void *udata);
void reprise_on_finish(struct reprise_host *host, reprise_finish_cb cb, void *udata);

#ifdef __cplusplus
}
#endif

#endif
