/*
 * cmd_info.c - `reprise info`: what a recording holds: metadata, streams
 * (pid, program, instructions, events by kind), blobs, sizes (raw and
 * compressed), bytes per 1000 instructions, and whether it was closed
 * cleanly or recovered (with the damage found).
 */
#include "cli.h"
#include "log.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double ratio(uint64_t raw, uint64_t stored)
{
    return stored ? (double)raw / (double)stored : 0.0;
}

static json_t *ju64(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Instructions of a stream: its icount at its last event (the EXIT event
 * of a complete recording). */
static uint64_t total_instructions(struct rpr_reader *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < rpr_reader_stream_count(r); i++) {
        struct rpr_stream_info si;
        rpr_reader_stream(r, i, &si);
        n += si.last_icount - (si.parent ? si.fork_icount : 0);
    }
    return n;
}

static const char *state_text(const struct rpr_file_info *fi)
{
    if (fi->clean) return fi->n_damage ? "closed cleanly, but damaged (see below)" : "closed cleanly";
    return "recovered: no valid footer (the recorder crashed or was killed); "
           "index rebuilt by scanning";
}

/* A metadata value on one line: strings as they are, the host as a
 * sentence, long arrays and objects abridged (--json has them whole). */
static void print_meta_value(FILE *out, const char *key, const json_t *v)
{
    if (json_is_string(v)) {
        fputs(json_string_value(v), out);
        return;
    }
    if (!strcmp(key, "host") && json_is_object(v)) {
        const char *sys = json_string_value(json_object_get(v, "system"));
        const char *rel = json_string_value(json_object_get(v, "release"));
        const char *mach = json_string_value(json_object_get(v, "machine"));
        const char *cpu = json_string_value(json_object_get(v, "cpu"));
        json_t *cpus = json_object_get(v, "cpus");
        fprintf(out, "%s %s %s", sys ? sys : "?", rel ? rel : "?", mach ? mach : "?");
        if (cpu) fprintf(out, ", %s", cpu);
        if (json_is_integer(cpus)) fprintf(out, ", %lld cpus", (long long)json_integer_value(cpus));
        return;
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) return;
    if (strlen(text) <= 160) fputs(text, out);
    else if (json_is_array(v)) fprintf(out, "%zu entries (reprise info --json shows them)", json_array_size(v));
    else fprintf(out, "%.150s... (reprise info --json shows all)", text);
    free(text);
}

static int info_text(struct rpr_reader *r, FILE *out)
{
    /* Every checksum, so that damage in a cleanly closed file shows too. */
    int rc = rpr_reader_verify(r) ? CLI_FAIL : CLI_OK;
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    fprintf(out, "format        %u.%u\n", fi.major, fi.minor);
    fprintf(out, "state         %s\n", state_text(&fi));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)rpr_reader_meta(r), key, v) {
        fprintf(out, "%-13s ", key);
        print_meta_value(out, key, v);
        fputc('\n', out);
    }
    uint64_t insns = total_instructions(r);
    fprintf(out, "size          %" PRIu64 " bytes: header %" PRIu64 ", events %" PRIu64
                 " (raw %" PRIu64 ", %.2fx), blobs %" PRIu64 " (raw %" PRIu64 ", %.2fx)\n",
            fi.file_size, fi.header_size, fi.events_stored, fi.events_raw,
            ratio(fi.events_raw, fi.events_stored), fi.blobs_stored, fi.blobs_raw,
            ratio(fi.blobs_raw, fi.blobs_stored));
    fprintf(out, "instructions  %" PRIu64, insns);
    if (insns)
        fprintf(out, " (%.3f bytes per 1000 instructions; events only: %.3f)",
                (double)fi.file_size * 1000.0 / (double)insns,
                (double)fi.events_stored * 1000.0 / (double)insns);
    fputc('\n', out);
    fprintf(out, "events        %" PRIu64 " in %zu frames\n", fi.events, fi.n_frames);
    fprintf(out, "streams       %zu\n", fi.n_streams);
    for (size_t i = 0; i < fi.n_streams; i++) {
        struct rpr_stream_info si;
        rpr_reader_stream(r, i, &si);
        fprintf(out, "  pid %" PRIu32, si.id);
        if (si.parent) fprintf(out, " (parent %" PRIu32 ", forked at icount %" PRIu64 ")", si.parent, si.fork_icount);
        if (si.program) fprintf(out, " %s", si.program);
        fprintf(out, ": icount %" PRIu64 "..%" PRIu64 ", %" PRIu64 " events in %zu frames, %s\n",
                si.first_icount, si.last_icount, si.events, si.frames,
                !si.complete ? "incomplete (frames missing)" : si.ended ? "ended" : "not ended");
        uint64_t counts[256];
        int crc = rpr_reader_stream_counts(r, si.id, counts);
        fputs("    ", out);
        for (unsigned k = 1, n = 0; k < 256; k++) {
            if (!counts[k]) continue;
            const struct rpr_kind_info *ki = rpr_kind_info(k);
            if (ki) fprintf(out, "%s%s %" PRIu64, n++ ? ", " : "", ki->name, counts[k]);
            else fprintf(out, "%skind %u %" PRIu64, n++ ? ", " : "", k, counts[k]);
        }
        fputc('\n', out);
        if (crc) {
            fprintf(out, "    counting stopped: %s\n", rpr_reader_errmsg(r));
            rc = CLI_FAIL;
        }
    }
    fprintf(out, "blobs         %zu\n", fi.n_blobs);
    for (size_t i = 0; i < fi.n_blobs; i++) {
        uint8_t h[16];
        uint64_t len;
        rpr_reader_blob_at(r, i, h, &len);
        fputs("  ", out);
        for (int j = 0; j < 16; j++) fprintf(out, "%02x", h[j]);
        fprintf(out, " %" PRIu64 " bytes\n", len);
    }
    if (fi.n_damage) {
        fprintf(out, "damage        %zu region%s\n", fi.n_damage, fi.n_damage > 1 ? "s" : "");
        for (size_t i = 0; i < fi.n_damage; i++) {
            const char *msg;
            rpr_reader_damage(r, i, NULL, &msg);
            fprintf(out, "  %s\n", msg);
        }
    }
    return rc;
}

static int info_json(struct rpr_reader *r, FILE *out)
{
    int rc = rpr_reader_verify(r) ? CLI_FAIL : CLI_OK;
    struct rpr_file_info fi;
    rpr_reader_info(r, &fi);
    json_t *o = json_object();
    json_t *fmt = json_object();
    json_object_set_new(fmt, "major", json_integer(fi.major));
    json_object_set_new(fmt, "minor", json_integer(fi.minor));
    json_object_set_new(o, "format", fmt);
    json_object_set_new(o, "clean", json_boolean(fi.clean));
    json_object_set_new(o, "recovered", json_boolean(!fi.clean));
    json_object_set_new(o, "metadata", json_deep_copy(rpr_reader_meta(r)));
    json_t *sz = json_object();
    json_object_set_new(sz, "file", ju64(fi.file_size));
    json_object_set_new(sz, "header", ju64(fi.header_size));
    json_object_set_new(sz, "events_raw", ju64(fi.events_raw));
    json_object_set_new(sz, "events_stored", ju64(fi.events_stored));
    json_object_set_new(sz, "events_ratio", json_real(ratio(fi.events_raw, fi.events_stored)));
    json_object_set_new(sz, "blobs_raw", ju64(fi.blobs_raw));
    json_object_set_new(sz, "blobs_stored", ju64(fi.blobs_stored));
    json_object_set_new(sz, "blobs_ratio", json_real(ratio(fi.blobs_raw, fi.blobs_stored)));
    json_object_set_new(sz, "data_end", ju64(fi.data_end));
    json_object_set_new(o, "size", sz);
    uint64_t insns = total_instructions(r);
    json_object_set_new(o, "instructions", ju64(insns));
    json_object_set_new(o, "bytes_per_1000_instructions",
                        insns ? json_real((double)fi.file_size * 1000.0 / (double)insns) : json_null());
    json_object_set_new(o, "events", ju64(fi.events));
    json_object_set_new(o, "frames", ju64(fi.n_frames));
    json_t *streams = json_array();
    for (size_t i = 0; i < fi.n_streams; i++) {
        struct rpr_stream_info si;
        rpr_reader_stream(r, i, &si);
        json_t *s = json_object();
        json_object_set_new(s, "pid", json_integer(si.id));
        json_object_set_new(s, "parent", si.parent ? json_integer(si.parent) : json_null());
        json_object_set_new(s, "fork_icount", ju64(si.fork_icount));
        json_object_set_new(s, "program", si.program ? json_string(si.program) : json_null());
        json_object_set_new(s, "first_icount", ju64(si.first_icount));
        json_object_set_new(s, "last_icount", ju64(si.last_icount));
        json_object_set_new(s, "events", ju64(si.events));
        json_object_set_new(s, "frames", ju64(si.frames));
        json_object_set_new(s, "ended", json_boolean(si.ended));
        json_object_set_new(s, "complete", json_boolean(si.complete));
        uint64_t counts[256];
        int crc = rpr_reader_stream_counts(r, si.id, counts);
        json_t *by = json_object();
        for (unsigned k = 1; k < 256; k++) {
            if (!counts[k]) continue;
            const struct rpr_kind_info *ki = rpr_kind_info(k);
            char name[16];
            snprintf(name, sizeof name, "kind_%u", k);
            json_object_set_new(by, ki ? ki->name : name, ju64(counts[k]));
        }
        json_object_set_new(s, "events_by_kind", by);
        if (crc) {
            json_object_set_new(s, "error", json_string(rpr_reader_errmsg(r)));
            rc = CLI_FAIL;
        }
        json_array_append_new(streams, s);
    }
    json_object_set_new(o, "streams", streams);
    json_t *blobs = json_array();
    for (size_t i = 0; i < fi.n_blobs; i++) {
        uint8_t h[16];
        uint64_t len;
        char hx[33];
        rpr_reader_blob_at(r, i, h, &len);
        for (int j = 0; j < 16; j++) snprintf(hx + 2 * j, 3, "%02x", h[j]);
        json_t *b = json_object();
        json_object_set_new(b, "hash", json_string(hx));
        json_object_set_new(b, "size", ju64(len));
        json_array_append_new(blobs, b);
    }
    json_object_set_new(o, "blobs", blobs);
    json_t *dmg = json_array();
    for (size_t i = 0; i < fi.n_damage; i++) {
        uint64_t off;
        const char *msg;
        rpr_reader_damage(r, i, &off, &msg);
        json_t *d = json_object();
        json_object_set_new(d, "offset", ju64(off));
        json_object_set_new(d, "message", json_string(msg));
        json_array_append_new(dmg, d);
    }
    json_object_set_new(o, "damage", dmg);
    json_dumpf(o, out, JSON_INDENT(2));
    fputc('\n', out);
    json_decref(o);
    return rc;
}

int cli_info_print(struct rpr_reader *r, FILE *out, bool json)
{
    return json ? info_json(r, out) : info_text(r, out);
}

static void info_usage(FILE *out)
{
    fprintf(out,
            "usage: reprise info [--json] FILE\n"
            "\n"
            "Describes the recording FILE: metadata (program, arguments, host, start\n"
            "time), streams (one per guest process: pid, program, instruction counts,\n"
            "events by kind), blobs (file contents by hash), sizes raw and compressed,\n"
            "bytes per 1000 instructions, and whether the recording was closed cleanly\n"
            "or recovered after a crash. Every checksum is verified; damage is listed\n"
            "with its file offset.\n"
            "\n"
            "  --json       print one JSON object\n"
            "  -h, --help   show this help\n"
            "\n"
            "Exit status: 0 success, 1 unreadable or damaged recording, 2 bad command line.\n");
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': info_usage(stdout); return CLI_OK;
        default: info_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("info", "expected one recording file (see reprise info --help)");
        return CLI_USAGE;
    }
    char err[1024];
    struct rpr_reader *r;
    if (rpr_reader_open(argv[optind], &r, err, sizeof err)) {
        cli_error("info", "%s", err);
        return CLI_FAIL;
    }
    int rc = cli_info_print(r, stdout, json);
    rpr_reader_close(r);
    if (fflush(stdout)) rc = CLI_FAIL;
    return rc;
}
