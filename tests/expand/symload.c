/*
 * symload.c - test helper: loads the symbols and line table of an ELF file
 * into a trace database with tsym_add_module (tracer/symtab.h), as the
 * tracer does for each module the guest maps, so that the e2e tests can
 * check sym() and line() on a real trace.
 *   symload DB ELF MODULE_ID BASE   (prints the load bias)
 */
#include "symtab.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: symload DB ELF MODULE_ID BASE\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *img = n > 0 ? malloc((size_t)n) : NULL;
    if (!img || fread(img, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "symload: cannot read %s\n", argv[2]);
        return 1;
    }
    fclose(f);
    sqlite3 *db = NULL;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "symload: %s: %s\n", argv[1], sqlite3_errmsg(db));
        return 1;
    }
    char err[512];
    uint64_t bias = 0;
    int rc = tsym_add_module(db, strtoll(argv[3], NULL, 0), argv[2], strtoull(argv[4], NULL, 0),
                             img, (size_t)n, &bias, err, sizeof err);
    if (rc) fprintf(stderr, "symload: %s\n", err);
    else printf("%" PRIu64 "\n", bias);
    sqlite3_close(db);
    free(img);
    return rc ? 1 : 0;
}
