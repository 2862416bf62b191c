/*
 * hostsys.h - the argument-spec language of hostsys.def, shared by the live
 * port (which acts on it) and its unit test (which checks every row).
 */
#ifndef REPRISE_LINUX_HOSTSYS_H
#define REPRISE_LINUX_HOSTSYS_H

#include <stdbool.h>

/* One token of a spec: kind letter ('-', 'f', 'p', 'r', 'w', 'R', 'W'), whether
 * a NULL pointer is allowed ('?' before it), and its number (an argument
 * index for r/w, a size in bytes for R/W). */
struct hostsys_tok {
    char kind;
    bool optional;
    unsigned num;
};

/* Reads the token at *s and advances past it; false at the end. */
static inline bool hostsys_next_tok(const char **s, struct hostsys_tok *tk)
{
    const char *p = *s;
    if (!*p) return false;
    tk->optional = false;
    if (*p == '?') {
        tk->optional = true;
        p++;
    }
    tk->kind = *p ? *p++ : '\0';
    tk->num = 0;
    while (*p >= '0' && *p <= '9') tk->num = tk->num * 10 + (unsigned)(*p++ - '0');
    *s = p;
    return true;
}

#endif
