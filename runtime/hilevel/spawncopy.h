/* hilevel/spawncopy.h: an owned copy of actr_spawn_opts, for what spawns
 * the same child again later (supervisors, service definitions). Private. */
#ifndef ACTR_HILEVEL_SPAWNCOPY_H
#define ACTR_HILEVEL_SPAWNCOPY_H

#include <actr/actor.h>

struct hl_spawn_copy {
    int has;                /* 0: empty */
    actr_spawn_opts o;      /* its strings and arrays point into strs */
    char **strs;
    size_t nstrs;
};

/* Copies *src (NULL: the defaults) into *dst, has = 1. 0 / ACTR_ENOMEM. */
int hl_spawn_copy_init(struct hl_spawn_copy *dst, const actr_spawn_opts *src);

void hl_spawn_copy_free(struct hl_spawn_copy *c);

#endif
