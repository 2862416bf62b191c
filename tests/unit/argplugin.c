/*
 * argplugin.c - a plugin declaring one argument of every type, for the
 * tracer's unit test (test_tracer.c): install() writes the values it reads
 * through the API into table `seen`, so the test can check what the host
 * parsed and defaulted.
 */
#include <reprise/plugin.h>

static const struct reprise_arg_spec args[] = {
    { "count", REPRISE_ARG_INT, "7", "an integer" },
    { "flag", REPRISE_ARG_BOOL, "false", "a boolean" },
    { "label", REPRISE_ARG_STRING, NULL, "a string, required" },
    { NULL, 0, NULL, NULL },
};

static int install(struct reprise_host *h)
{
    static const struct reprise_column cols[] = {
        { "count", REPRISE_COL_INT }, { "flag", REPRISE_COL_INT }, { "label", REPRISE_COL_TEXT },
        { "wrong_type", REPRISE_COL_INT }, { "undeclared", REPRISE_COL_TEXT },
    };
    struct reprise_table *t = reprise_table_declare(h, "seen", cols, 5);
    if (!t) return -1;
    reprise_row_int(t, 0, reprise_arg_int(h, "count"));
    reprise_row_int(t, 1, reprise_arg_bool(h, "flag"));
    reprise_row_text(t, 2, reprise_arg_string(h, "label"));
    reprise_row_int(t, 3, reprise_arg_int(h, "flag"));          /* wrong type: 0 */
    reprise_row_text(t, 4, reprise_arg_string(h, "nosuch"));    /* undeclared: NULL */
    reprise_row_end(t);
    return 0;
}

static const struct reprise_plugin_info info = {
    .api_version = REPRISE_PLUGIN_API_VERSION,
    .name = "argplugin",
    .summary = "one argument of each type",
    .args = args,
    .install = install,
};

__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
