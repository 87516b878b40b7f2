/* hilevel/restart.h: when a supervisor restarts (S26): the window of
 * recent restarts its intensity is counted in, and the backoff with
 * jitter. Private to libactr; pure functions, unit-tested alone. */
#ifndef ACTR_HILEVEL_RESTART_H
#define ACTR_HILEVEL_RESTART_H

#include <stddef.h>
#include <stdint.h>

/* Times (actr_now() ms) of recent restarts, oldest first. */
struct hl_restart_window {
    int64_t *t;
    size_t n, cap;
};

/* Forgets the restarts older than now - period_ms; returns how many are
 * left. */
size_t hl_restart_window_count(struct hl_restart_window *w, int64_t now, int64_t period_ms);

/* Records a restart at now. Returns 0 or ACTR_ENOMEM. */
int hl_restart_window_add(struct hl_restart_window *w, int64_t now);

void hl_restart_window_free(struct hl_restart_window *w);

/* The wait before a restart of a child restarted k times within the
 * period: drawn uniformly from [d/2, d], d = min(max_ms, base_ms * 2^k);
 * 0 when base_ms < 0. *rng is the state of the generator (any value but
 * 0; updated). */
int64_t hl_restart_backoff(int64_t base_ms, int64_t max_ms, unsigned k, uint64_t *rng);

/* A seed for hl_restart_backoff, different per process and call. */
uint64_t hl_restart_seed(void);

#endif
