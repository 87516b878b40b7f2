/* libFuzzer target for actrc: any bytes as an .actor file must give
 * either generated code or error messages, never a crash, a hang, a leak
 * or a sanitizer report. Imports of "common.actor" resolve to a small
 * in-memory module; everything else is "not found". */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../compiler/actrc.h"

static const char common[] =
    "module common;\n"
    "enum Level { Low, High as \"HIGH\" }\n"
    "struct Tag [ key: string; value: any; ]\n"
    "struct Meta { level: Level; tags: list<Tag>; note: string?; }\n"
    "fn ping() -> bool;\n";

static int
read_mem(void *ctx, const char *path, char **data, size_t *len)
{
    (void)ctx;
    size_t n = strlen(path);
    if (n < 12 || strcmp(path + n - 12, "common.actor") != 0)
        return ENOENT;
    *data = malloc(sizeof common);
    if (*data == NULL)
        return ENOMEM;
    memcpy(*data, common, sizeof common);
    *len = sizeof common - 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const incs[] = {"inc"};
    actrc_options opt = {incs, 1, "gen", true, read_mem, NULL, NULL, 0};
    actrc_output out;

    int rc = actrc_compile(&opt, "fuzz.actor", (const char *)data, size, &out);
    /* success and failure are exclusive and complete */
    if ((rc == 0) != (out.header != NULL && out.source != NULL && out.deps != NULL
                      && out.nerrors == 0))
        abort();
    if (rc != 0 && out.diags_len == 0)
        abort();
    actrc_output_free(&out);
    return 0;
}
