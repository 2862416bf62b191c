/*
 * badver.c - a plugin built for another API version, which the host must
 * refuse with a message naming both versions (tests/expand).
 */
#include <reprise/plugin.h>

static int install(struct reprise_host *h)
{
    (void)h;
    return 0;
}

static const struct reprise_plugin_info info = {
    .api_version = 999,
    .name = "badver",
    .summary = "built for API version 999",
    .install = install,
};

__attribute__((visibility("default"))) const struct reprise_plugin_info *reprise_plugin_entry(void)
{
    return &info;
}
