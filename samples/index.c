/*
 * index.c - a small full-text indexer, the realistic workload of the test
 * suite and the benchmarks: real work on real input.
 *
 *   index FILE... [< QUERIES]
 *
 * Reads every FILE (e.g. /usr/share/common-licenses/*), splits it into
 * words (letters, digits and inner apostrophes, folded to lower case),
 * builds an inverted index (a hash table of words, each with its postings:
 * which files contain it, how often, and the first line), then prints
 * statistics per file, the most frequent words, the words every file
 * shares, and answers one query per line of standard input: the files
 * containing all of its words, ranked by a tf-idf score.
 * Everything is deterministic: the output depends only on the input.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_WORD 48

struct posting {
    struct posting *next;
    int doc;
    unsigned count;
    unsigned first_line;
};

struct word {
    char *text;
    uint64_t hash;
    unsigned long total;
    unsigned ndocs;
    struct posting *postings;   /* newest document first */
};

struct doc {
    const char *path;
    size_t bytes;
    unsigned lines, words, distinct;
};

static struct word *table;
static size_t table_cap, table_len;
static struct doc *docs;
static int ndocs;

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "index: out of memory\n");
        exit(2);
    }
    return p;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

static void grow(void)
{
    size_t cap = table_cap ? table_cap * 2 : 1024;
    struct word *t = calloc(cap, sizeof *t);
    if (!t) {
        fprintf(stderr, "index: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < table_cap; i++) {
        if (!table[i].text) continue;
        size_t j = table[i].hash & (cap - 1);
        while (t[j].text) j = (j + 1) & (cap - 1);
        t[j] = table[i];
    }
    free(table);
    table = t;
    table_cap = cap;
}

/* The entry of word w (n bytes), created if new. */
static struct word *lookup(const char *w, size_t n, int create)
{
    if (create && (table_len + 1) * 4 > table_cap * 3) grow();
    if (!table_cap) return NULL;
    uint64_t h = fnv1a(w, n);
    size_t j = h & (table_cap - 1);
    while (table[j].text) {
        if (table[j].hash == h && !strncmp(table[j].text, w, n) && !table[j].text[n])
            return &table[j];
        j = (j + 1) & (table_cap - 1);
    }
    if (!create) return NULL;
    struct word *e = &table[j];
    e->text = xmalloc(n + 1);
    memcpy(e->text, w, n);
    e->text[n] = 0;
    e->hash = h;
    table_len++;
    return e;
}

static void add_word(int doc, const char *w, size_t n, unsigned line)
{
    struct word *e = lookup(w, n, 1);
    e->total++;
    struct posting *p = e->postings;
    if (!p || p->doc != doc) {
        p = xmalloc(sizeof *p);
        *p = (struct posting){ .next = e->postings, .doc = doc, .first_line = line };
        e->postings = p;
        e->ndocs++;
        docs[doc].distinct++;
    }
    p->count++;
    docs[doc].words++;
}

static int is_word_char(int c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* Splits buf into words; an apostrophe belongs to a word only between two
 * letters ("don't"), and words longer than MAX_WORD are cut. */
static void tokenize(int doc, const char *buf, size_t len)
{
    char w[MAX_WORD];
    size_t n = 0;
    unsigned line = 1;
    for (size_t i = 0; i <= len; i++) {
        int c = i < len ? lower((unsigned char)buf[i]) : ' ';
        if (is_word_char(c) ||
            (c == '\'' && n > 0 && i + 1 < len && is_word_char(lower((unsigned char)buf[i + 1])))) {
            if (n < MAX_WORD) w[n++] = (char)c;
            continue;
        }
        if (n) add_word(doc, w, n, line);
        n = 0;
        if (c == '\n') line++;
    }
    docs[doc].lines = line - (len && buf[len - 1] == '\n');
}

static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    char *buf = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return buf;
}

static int by_frequency(const void *a, const void *b)
{
    const struct word *x = *(const struct word *const *)a, *y = *(const struct word *const *)b;
    if (x->total != y->total) return x->total < y->total ? 1 : -1;
    return strcmp(x->text, y->text);
}

static int by_text(const void *a, const void *b)
{
    return strcmp((*(const struct word *const *)a)->text, (*(const struct word *const *)b)->text);
}

/* tf-idf of word e in document d (0 if absent). */
static double score(const struct word *e, int d)
{
    for (const struct posting *p = e->postings; p; p = p->next)
        if (p->doc == d)
            return (1.0 + log((double)p->count)) * log(1.0 + (double)ndocs / e->ndocs);
    return 0;
}

struct hit {
    int doc;
    double score;
};

static int by_score(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->doc - y->doc;
}

/* Answers one query: the files containing every word, best first. */
static void query(char *line)
{
    struct word *terms[16];
    int nt = 0;
    for (char *tok = strtok(line, " \t\n"); tok && nt < 16; tok = strtok(NULL, " \t\n")) {
        for (char *c = tok; *c; c++) *c = (char)lower((unsigned char)*c);
        struct word *e = lookup(tok, strlen(tok), 0);
        if (!e) {
            printf("query '%s': no file contains it\n", tok);
            return;
        }
        terms[nt++] = e;
    }
    if (!nt) return;
    struct hit *hits = xmalloc((size_t)ndocs * sizeof *hits);
    int nh = 0;
    for (int d = 0; d < ndocs; d++) {
        double s = 0;
        int all = 1;
        for (int t = 0; t < nt && all; t++) {
            double v = score(terms[t], d);
            if (v == 0) all = 0;
            s += v;
        }
        if (all) hits[nh++] = (struct hit){ d, s };
    }
    qsort(hits, (size_t)nh, sizeof *hits, by_score);
    printf("query '%s'%s: %d file%s\n", terms[0]->text, nt > 1 ? " ..." : "", nh,
           nh == 1 ? "" : "s");
    for (int i = 0; i < nh && i < 5; i++)
        printf("  %6.2f  %s\n", hits[i].score, docs[hits[i].doc].path);
    free(hits);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: index FILE... [< QUERIES]\n");
        return 2;
    }
    docs = calloc((size_t)argc, sizeof *docs);
    if (!docs) return 2;
    size_t total_bytes = 0;
    for (int i = 1; i < argc; i++) {
        size_t len;
        char *buf = read_file(argv[i], &len);
        if (!buf) {
            fprintf(stderr, "index: %s: %s\n", argv[i], strerror(errno));
            continue;
        }
        docs[ndocs].path = argv[i];
        docs[ndocs].bytes = len;
        tokenize(ndocs, buf, len);
        total_bytes += len;
        ndocs++;
        free(buf);
    }
    if (!ndocs) return 1;

    printf("%d files, %zu bytes, %zu distinct words\n", ndocs, total_bytes, table_len);
    for (int d = 0; d < ndocs; d++)
        printf("  %-40s %7u lines %7u words %6u distinct\n", docs[d].path, docs[d].lines,
               docs[d].words, docs[d].distinct);

    struct word **all = xmalloc(table_len * sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < table_cap; i++)
        if (table[i].text) all[n++] = &table[i];
    qsort(all, n, sizeof *all, by_frequency);
    printf("most frequent:");
    for (size_t i = 0; i < n && i < 12; i++) printf(" %s(%lu)", all[i]->text, all[i]->total);
    printf("\n");

    qsort(all, n, sizeof *all, by_text);
    size_t shared = 0;
    printf("in every file:");
    for (size_t i = 0; i < n; i++)
        if ((int)all[i]->ndocs == ndocs && shared++ < 15) printf(" %s", all[i]->text);
    printf(" (%zu words)\n", shared);
    size_t longest = 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(all[i]->text) > strlen(all[longest]->text)) longest = i;
    printf("longest word: %s\n", all[longest]->text);
    free(all);

    char line[1024];
    while (fgets(line, sizeof line, stdin)) query(line);
    return 0;
}
