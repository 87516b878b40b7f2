/* What the actor benchmark programs (bench_actor, bench_bulk,
 * bench_fanout, bench_hilevel) share: running as one of the children they
 * spawn, running their root actor, and the transports they measure. */
#ifndef ACTR_BENCH_ACTOR_CHILD_H
#define ACTR_BENCH_ACTOR_CHILD_H

#include <actr/actr.h>

#include "baseline.h"

/* When argv makes this process one of a benchmark's children (an actor
 * child serving mods[0..n), or the spawn baseline's child), runs it and
 * stores its exit status in *status: returns 1. Else returns 0. */
int bench_run_child(int argc, char **argv, const actr_module *const *mods, size_t n,
                    int *status);

/* Runs root(self, arg) as the root actor "bench" of this process,
 * listening on t (a fresh Unix path in /tmp, or TCP port 0) and serving
 * mods[0..n). When it fails, names the step *step it was at (NULL:
 * "start") and the transport, and exits (bench_fail). */
void bench_run_root(bench_tpt t, const actr_module *const *mods, size_t n,
                    int (*root)(actr_actor *self, void *arg), void *arg,
                    const char *const *step, char **argv);

/* The main of an actor benchmark program: when argv makes this process
 * one of its children, that child's part (bench_run_child); else
 * bench_init (usage: prog [pinned|unpinned], a watchdog of limit_s
 * seconds) and fn once per transport bench_tpt_selected lets through.
 * Returns the process's exit status. */
int bench_actor_main(int argc, char **argv, const actr_module *const *mods, size_t n,
                     unsigned limit_s, void (*fn)(bench_tpt t, int argc, char **argv));

/* 1 unless $ACTR_BENCH_TPT ("tcp" or "unix") names the other transport. */
int bench_tpt_selected(bench_tpt t);

#endif
