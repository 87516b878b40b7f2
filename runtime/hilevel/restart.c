/* The intensity window and the backoff of supervisors (hilevel/restart.h). */
#include "hilevel/restart.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

size_t
hl_restart_window_count(struct hl_restart_window *w, int64_t now, int64_t period_ms)
{
    size_t old = 0;
    while (old < w->n && w->t[old] <= now - period_ms)
        old++;
    if (old > 0) {
        memmove(w->t, w->t + old, (w->n - old) * sizeof *w->t);
        w->n -= old;
    }
    return w->n;
}

int
hl_restart_window_add(struct hl_restart_window *w, int64_t now)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        int64_t *t = realloc(w->t, cap * sizeof *t);
        if (!t)
            return actr_error_set(ACTR_ENOMEM, "out of memory counting restarts");
        w->t = t;
        w->cap = cap;
    }
    w->t[w->n++] = now;
    return 0;
}

void
hl_restart_window_free(struct hl_restart_window *w)
{
    free(w->t);
    memset(w, 0, sizeof *w);
}

/* xorshift64*: jitter needs spread, not strength. */
static uint64_t
next(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

int64_t
hl_restart_backoff(int64_t base_ms, int64_t max_ms, unsigned k, uint64_t *rng)
{
    if (base_ms < 0)
        return 0;
    int64_t d = base_ms;
    for (unsigned i = 0; i < k && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    int64_t half = d / 2;
    return half + (int64_t)(next(rng) % (uint64_t)(d - half + 1));
}

uint64_t
hl_restart_seed(void)
{
    static uint64_t calls;
    uint64_t s = (uint64_t)actr_now() * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32 ^
                 ++calls;
    return s ? s : 1;
}
