/* Large payloads of the bulk benchmarks (payload.h). */
#include "payload.h"

#include <stdlib.h>
#include <string.h>

#include <actr/err.h>

void
bench_payload_seq(uint8_t *p, uint64_t seq)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(seq >> (8 * i));
}

void
bench_payload_fill(uint8_t *p, size_t n, uint64_t seq)
{
    for (size_t i = 8; i < n; i++)
        p[i] = (uint8_t)(i * 31 + 7);
    bench_payload_seq(p, seq);
}

uint64_t
bench_payload_sum(const uint8_t *p, size_t n)
{
    uint64_t s = 0, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        s += w;
    }
    for (; i < n; i++)
        s += p[i];
    return s;
}

uint64_t
bench_payload_base(size_t n)
{
    uint8_t *p = malloc(n);
    if (!p)
        return 0;
    bench_payload_fill(p, n, 0);
    uint64_t s = bench_payload_sum(p, n);
    free(p);
    return s;
}

int
bench_payload_check(const uint8_t *p, size_t len, size_t n, uint64_t seq, uint64_t base)
{
    uint64_t got = 0;
    if (len != n || len < 8)
        return ACTR_EPROTO;
    for (int i = 0; i < 8; i++)
        got |= (uint64_t)p[i] << (8 * i);
    if (got != seq || bench_payload_sum(p, len) != base + seq)
        return ACTR_EPROTO;
    return 0;
}
