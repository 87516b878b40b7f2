/* actor/spawn.h: child actors and portals. Private.
 *
 * spawn.c runs actor nurseries: each child is a fresh process image that
 * connects back (actri_spawn_attach matches the connection to the child),
 * gets its SpawnSpec (spawnspec.c), reports its boot over a status pipe,
 * and is supervised and torn down by tasks of the nursery. portal.c holds
 * the portal objects both spawn.c and actr_portal_open hand out. */
#ifndef ACTR_ACTOR_SPAWN_H
#define ACTR_ACTOR_SPAWN_H

#include "actor/caller.h"

struct child {
    struct child *next;           /* in its nursery */
    struct child *pnext;          /* in the actor's pending list */
    int pending;
    actr_actor_nursery *an;
    char name[64];
    char uuid[UUID_LEN + 1];
    int pid;
    int exited;
    int status;
    struct link *link;            /* once connected (reference) */
    actr_event ready;             /* connected or exited */
    actr_event exit_ev;
    actr_event wake;              /* daemon: nursery closing, exited, or stop */
    actr_event sup_done;          /* its supervisor task has finished */
    actr_portal *portal;
    /* run_in_actor */
    int run;
    struct actr_ctx *run_ctx;
    int result_done;
    int result_rc;
    actr_event result_ev;
};

struct actr_portal {
    struct link *link;            /* reference */
    struct child *child;          /* NULL: opened with actr_portal_open */
};

/* A handshaken connection from a peer: if it is a child we spawned,
 * attach it. */
void actri_spawn_attach(actr_actor *a, struct link *l);

int actri_portal_new(struct link *l, struct child *ch, actr_portal **out);
void actri_portal_free(actr_portal *p);

/* ------------------------------------------------------------ SpawnSpec */

/* Sends the SpawnSpec of a child started with o (NULL: defaults) from
 * executable exe on l, in tractor's field order. 0 or an error. */
int actri_spawnspec_send(actr_actor *a, struct link *l, const actr_spawn_opts *o,
                         const char *exe);
/* Applies a received SpawnSpec to a child actor: enables its modules
 * (ACTR_ENOTFOUND naming the first one this program does not have),
 * debug mode and registrars; hands back the bind addresses (malloc'd,
 * may be NULL). */
int actri_spawnspec_apply(actr_actor *a, const actr_msg_spawnspec *ss, actr_addr **bind,
                          size_t *nbind);
/* Enables module ns[0..len) of this program: 0 or ACTR_ENOTFOUND. */
int actri_actor_enable(actr_actor *a, const char *ns, size_t len);

#endif
