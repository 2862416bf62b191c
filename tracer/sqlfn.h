/*
 * sqlfn.h - the SQL functions of the trace database (docs/trace-schema.md,
 * "Functions"), registered in every connection reprise opens: the trace
 * writer's (tdb_open) and `reprise query`'s.
 */
#ifndef REPRISE_TRACER_SQLFN_H
#define REPRISE_TRACER_SQLFN_H

typedef struct sqlite3 sqlite3;

/*
 * Registers on db:
 *   disasm(raw [, pc])   objdump text of one encoding (vm/riscv rv_disas)
 *   sym(pc)              'func+0x1c' from table `symbol`, or NULL
 *   line(pc)             'file.c:42' from table `line`, or NULL
 *   icount_id(table, icount)  rowid of table's first row at or after icount
 *                        (tables meta icount_ordered lists: rowid order is
 *                        time order), one past the last if none
 *   mem_history(addr, len)  table-valued: accesses of `mem` overlapping
 *                           [addr, addr+len), in icount order
 *   calls(name)          table-valued: the calls of `name` in table `call`
 * sym() and line() keep a per-connection sorted copy of their table,
 * rebuilt whenever the database changed since the last lookup (a statement
 * of this connection completed a change, or another connection committed
 * one), so they follow tables filled during a run. Safe to call more than
 * once on a connection. Returns SQLITE_OK or an SQLite error code (out of
 * memory).
 */
int tsql_register(sqlite3 *db);

#endif
