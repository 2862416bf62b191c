/*
 * fuzz_gdbpkt.c - fuzz target for the gdb remote protocol server
 * (replayer/gdbstub.c) on hostile client input: packet framing ($...#cs,
 * stray bytes, interrupts, truncated packets), checksums and acks, and
 * every packet handler's arguments (hex numbers out of range or missing,
 * thread ids, qXfer offsets, hex-encoded monitor commands). The contract
 * under test: no input crashes the stub or makes it read or write out of
 * bounds (run under ASan/UBSan). The stub has no process attached here,
 * so the handlers that need one must refuse cleanly.
 *
 * Built two ways: with -DREPRISE_LIBFUZZER and clang -fsanitize=fuzzer it
 * is a libFuzzer target; otherwise main() below replays files given on the
 * command line, or runs a seeded, reproducible batch of inputs built from
 * real packets (framed with right or wrong checksums, mutated, spliced):
 *   fuzz_gdbpkt [--seed N] [--count N] [FILE...]
 *   fuzz_gdbpkt --make-corpus DIR     (seed inputs for libFuzzer)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (gdbstub_fuzz_input(data, size)) {
        fprintf(stderr, "fuzz_gdbpkt: cannot set up the stub\n");
        abort();
    }
    return 0;
}

#ifndef REPRISE_LIBFUZZER
static uint64_t rng;

static uint32_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* Packets gdb sends (and a few it never would). */
static const char *const packets[] = {
    "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+",
    "QStartNoAckMode", "?", "qAttached", "qAttached:1", "qC", "qfThreadInfo", "qsThreadInfo",
    "g", "p20", "p0", "p44", "pffffffffffffffff", "P20=0000", "G00", "Hg0", "Hgp1.1", "Hc-1",
    "Hg", "Tffffffff", "T1", "m0,10", "m2aaaaaa740,4", "mffffffffffffffff,ffffffffffffffff",
    "m,", "m1", "M0,4:00000000", "X0,0:", "Z0,2aaaaaa746,2", "z0,2aaaaaa746,2", "Z1,0,4",
    "Z2,1000,8", "Z3,1000,ffffffffffffffff", "Z4,ffffffffffffffff,8", "z2,1000,8", "Z9,0,0",
    "Z", "z", "Z0", "c", "s", "C09", "S05", "vCont?", "vCont;c", "vCont;s:1;c", "vCont;s",
    "vCont;C09:p1.1", "vCont;s:", "vKill;1", "vMustReplyEmpty", "bc", "bs", "bx", "k", "D",
    "qXfer:features:read:target.xml:0,ffb", "qXfer:features:read:target.xml:ffffffff,10",
    "qXfer:features:read:target.xml:10", "qXfer:features:read:target.xml:",
    "qXfer:exec-file:read::0,100", "qXfer:exec-file:read:", "qXfer:auxv:read::0,1000",
    "qXfer:threads:read::0,1000", "qXfer:libraries-svr4:read::0,1000", "qSymbol::",
    "qRcmd,69636f756e74", "qRcmd,68656c70", "qRcmd,7365656b2031303030", "qRcmd,7365656b",
    "qRcmd,636865636b706f696e74", "qRcmd,636865636b706f696e7473", "qRcmd,72657374617274203130",
    "qRcmd,726573746172742078", "qRcmd,6576656e7473", "qRcmd,zz", "qRcmd,6", "qRcmd,",
    "qTStatus", "qOffsets", "QNonStop:1", "vFile:open:2f,0,0",
};
#define N_PACKETS (sizeof packets / sizeof packets[0])

/* Appends "$body#cs" to out (at most cap bytes), the checksum right or,
 * now and then, wrong; returns the new length. */
static size_t frame(uint8_t *out, size_t len, size_t cap, const char *body, size_t n)
{
    if (len + n + 4 > cap) return len;
    unsigned sum = 0;
    out[len++] = '$';
    for (size_t i = 0; i < n; i++) sum += (unsigned char)body[i];
    memcpy(out + len, body, n);
    len += n;
    if (rnd() % 8 == 0) sum += 1 + rnd() % 255;
    char cs[4];
    snprintf(cs, sizeof cs, "#%02x", sum & 0xff);
    memcpy(out + len, cs, 3);
    return len + 3;
}

/* Writes the seed inputs: what gdb sends when it connects, around a
 * breakpoint and a reverse command, and for monitor commands, framed with
 * right checksums (acks included, as gdb sends them before no-ack mode). */
static int make_corpus(const char *dir)
{
    static const char *const seeds[][12] = {
        { "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+", "vMustReplyEmpty",
          "QStartNoAckMode", "Hg0", "qXfer:features:read:target.xml:0,ffb", "qTStatus", "?",
          "qfThreadInfo", "qsThreadInfo", "qAttached:1", "g", NULL },
        { "Z0,2aaaaaa746,2", "vCont;c:p1.-1", "g", "m2aaaaaa740,4", "z0,2aaaaaa746,2", "bs", "bc",
          "Z2,3000,4", "vCont;s:p1.1", "qXfer:threads:read::0,1000",
          "qXfer:libraries-svr4:read::0,1000", NULL },
        { "qRcmd,69636f756e74", "qRcmd,636865636b706f696e74", "qRcmd,636865636b706f696e7473",
          "qRcmd,72657374617274203120", "qRcmd,7365656b2031303030", "qRcmd,68656c70",
          "qXfer:auxv:read::0,1000", "qXfer:exec-file:read::0,1000", "D", NULL },
    };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/seed-%zu.gdb", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f) { perror(path); return 1; }
        for (size_t k = 0; seeds[i][k]; k++) {
            unsigned sum = 0;
            for (const char *c = seeds[i][k]; *c; c++) sum += (unsigned char)*c;
            fprintf(f, "%s$%s#%02x", k ? "+" : "", seeds[i][k], sum & 0xff);
        }
        fclose(f);
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, count = 2000;
    int files = 0;
    if (argc == 3 && !strcmp(argv[1], "--make-corpus")) return make_corpus(argv[2]);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = strtoull(argv[++i], NULL, 0);
        else {
            FILE *f = fopen(argv[i], "rb");
            if (!f) { perror(argv[i]); return 1; }
            static uint8_t fbuf[1 << 16];
            size_t n = fread(fbuf, 1, sizeof fbuf, f);
            fclose(f);
            LLVMFuzzerTestOneInput(fbuf, n);
            files++;
        }
    }
    if (files) {
        printf("%d passed, 0 failed\n", files);
        return 0;
    }
    if (getenv("REPRISE_LONG_TESTS")) count *= 20;
    static uint8_t buf[8192];
    char body[1024];
    for (uint64_t it = 0; it < count; it++) {
        rng = (seed + it) * 0x9e3779b97f4a7c15ull | 1;
        size_t len = 0, npk = 1 + rnd() % 12;
        if (rnd() % 4 == 0) len = frame(buf, len, sizeof buf, "QStartNoAckMode", 15);
        for (size_t k = 0; k < npk; k++) {
            const char *p = packets[rnd() % N_PACKETS];
            size_t n = strlen(p) < sizeof body ? strlen(p) : sizeof body - 1;
            memcpy(body, p, n);
            /* Mutations: flip, insert framing bytes, truncate, extend
             * with hex digits or junk. */
            unsigned m = rnd() % 6;
            for (unsigned j = 0; m == 0 && n && j < 1 + rnd() % 4; j++)
                body[rnd() % n] ^= (char)(1u << (rnd() % 8));
            if (m == 1 && n) body[rnd() % n] = "$#}*\x03\0,:;"[rnd() % 10];
            if (m == 2 && n) n = rnd() % n;
            while (m == 3 && n < sizeof body - 1 && rnd() % 16) body[n++] = "0123456789abcdefABCDEF-,;:"[rnd() % 26];
            while (m == 4 && n < sizeof body - 1 && rnd() % 8) body[n++] = (char)rnd();
            len = frame(buf, len, sizeof buf, body, n);
            /* Noise between packets: acks, interrupts, stray bytes. */
            if (rnd() % 4 == 0 && len < sizeof buf) buf[len++] = "+-\x03x#$"[rnd() % 6];
        }
        /* Sometimes a truncated tail: a packet without its checksum. */
        if (rnd() % 4 == 0 && len + 8 < sizeof buf) {
            memcpy(buf + len, "$m0,4#", 6);
            len += 6 - rnd() % 3;
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("%llu passed, 0 failed\n", (unsigned long long)count);
    return 0;
}
#endif
