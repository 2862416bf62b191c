/*
 * symtab.h - the `symbol` and `line` tables of the trace database: ELF
 * symbols (libelf) and DWARF line tables (libdw) of the modules a guest
 * mapped, at the addresses the guest mapped them (docs/trace-schema.md).
 */
#ifndef REPRISE_TRACER_SYMTAB_H
#define REPRISE_TRACER_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct sqlite3 sqlite3;

/*
 * Reads the symbol table of one module image (.symtab, else .dynsym: its
 * STT_FUNC/STT_GNU_IFUNC symbols, and STT_NOTYPE labels in SHF_EXECINSTR
 * sections, as 'func', STT_OBJECT as 'object'; defined ones only, without
 * mapping symbols ('$x...') and '.L' labels; with their st_size in bytes
 * and binding: 'local', 'weak', or 'global' for the others) and, when the image carries
 * .debug_line, its DWARF line table (every row of every sequence, with
 * its is_stmt flag; end_sequence rows with NULL file and line, see
 * docs/trace-schema.md), and appends them to the tables
 * `symbol` and `line` of db, creating the tables and their addr indexes on
 * first use. Every address is a guest runtime address: the link-time value
 * plus the load bias.
 *
 * module_id: the caller's module id, stored in module_id (not checked).
 * path: the module's file name, used in messages only.
 * base: guest address at which file offset 0 of the image is mapped.
 * *bias_out (may be NULL): the load bias, base minus the page-aligned
 *   p_vaddr of the first PT_LOAD segment (System V ABI, "Program Loading"),
 *   and 0 for ET_EXEC images, which are mapped at their link addresses.
 * image/len: the whole file in host memory; not owned, never written
 *   (libelf works on a private copy).
 *
 * The rows are written inside a SAVEPOINT, so this works both inside the
 * trace writer's load transaction and on an autocommit connection.
 * Returns 0, or -1 with a message naming path in err (not an ELF file, a
 * damaged one, an SQL error). Hostile images never crash it: whatever
 * parsed before the damage is kept and -1 is returned.
 */
int tsym_add_module(sqlite3 *db, int64_t module_id, const char *path, uint64_t base,
                    const void *image, size_t len, uint64_t *bias_out, char *err, size_t errlen);

#endif
