/* What the actor benchmark programs (bench_actor, bench_hilevel) share:
 * running as one of the children they spawn, and the transports they
 * measure. */
#ifndef ACTR_BENCH_ACTOR_CHILD_H
#define ACTR_BENCH_ACTOR_CHILD_H

#include <actr/actr.h>

#include "baseline.h"

/* When argv makes this process one of a benchmark's children (an actor
 * child serving mods[0..n), or the spawn baseline's child), runs it and
 * stores its exit status in *status: returns 1. Else returns 0. */
int bench_run_child(int argc, char **argv, const actr_module *const *mods, size_t n,
                    int *status);

/* 1 unless $ACTR_BENCH_TPT ("tcp" or "unix") names the other transport. */
int bench_tpt_selected(bench_tpt t);

#endif
