/* libFuzzer target for address parsing: the input as a URL or multiaddr
 * (actr_addr_parse), as one wire address (actr_addr_decode) and as a wire
 * list (actr_addr_list_decode). What parses must format and parse again
 * to the same address; what decodes must encode and decode again to the
 * same address; nothing may crash, leak or abort. */
#include <stdlib.h>
#include <string.h>

#include <actr/ipc.h>

static int
same(const actr_addr *a, const actr_addr *b)
{
    return a->kind == b->kind && a->port == b->port && strcmp(a->host, b->host) == 0 &&
           strcmp(a->path, b->path) == 0;
}

static void
url_roundtrip(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return;
    memcpy(s, data, size);
    s[size] = 0;
    actr_addr a, b;
    char url[ACTR_ADDR_URL_MAX];
    if (actr_addr_parse(s, &a) == 0) {
        if (actr_addr_format(&a, url, sizeof url) < 0)
            abort();           /* a parsed address always formats */
        if (actr_addr_parse(url, &b) != 0 || !same(&a, &b))
            abort();           /* and its URL means the same address */
    }
    free(s);
}

static void
wire_roundtrip(const uint8_t *data, size_t size)
{
    actr_addr a, b;
    int n = actr_addr_decode(data, size, &a);
    if (n >= 0) {
        if ((size_t)n > size)
            abort();
        actr_wbuf w = {0};
        if (actr_addr_encode(&a, &w) == 0) {
            if (actr_addr_decode(w.ptr, w.len, &b) != (int)w.len || !same(&a, &b))
                abort();       /* what we write reads back the same */
        }
        actr_wbuf_destroy(&w);
    }
    actr_any raw = {(uint8_t *)data, size};
    actr_addr *v = NULL;
    size_t k = 0;
    if (actr_addr_list_decode(&raw, &v, &k) == 0) {
        actr_wbuf w = {0};
        if (actr_addr_list_encode(v, k, &w) == 0) {
            actr_any again = {w.ptr, w.len};
            actr_addr *v2 = NULL;
            size_t k2 = 0;
            if (actr_addr_list_decode(&again, &v2, &k2) != 0 || k2 != k)
                abort();
            for (size_t i = 0; i < k; i++)
                if (!same(&v[i], &v2[i]))
                    abort();
            free(v2);
        }
        actr_wbuf_destroy(&w);
        free(v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    url_roundtrip(data, size);
    wire_roundtrip(data, size);
    return 0;
}
