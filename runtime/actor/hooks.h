/* actor/hooks.h: the actor layer's extension point for the layers above
 * it (discovery: the registrar and registration). Private to libactr.
 *
 * The actor layer knows nothing of registrars (DESIGN.md: a folder
 * depends only on folders listed above it). Instead, actr_main's body is
 * actri_actor_main, which takes optional hooks; the public actr_main is a
 * composition function of the discovery layer that passes its own. */
#ifndef ACTR_ACTOR_HOOKS_H
#define ACTR_ACTOR_HOOKS_H

#include <actr/actr.h>

struct link;

struct actri_hooks {
    void *arg;                      /* passed to every callback */
    int is_registrar;               /* our Aid says is_registrar: true */
    int share_secret;               /* root: talks to other programs through
                                       registrars, so without a configured
                                       secret it uses (and creates) the
                                       per-user default file (actr/auth.h) */
    const actr_module *self_ext;    /* more `self` endpoints served here
                                       (looked up by function name) */
    /* Root only: opens the listener for the given listen URLs (instead
     * of the default), with actri_actor_listen. Runs in the actor's main
     * task before its service nursery exists. 0 or an ACTR_E* code. */
    int (*listen)(actr_actor *a, void *arg, const char *const *urls, size_t n);
    /* Root: after the actor serves (listener, accept loop), before its
     * main function. Child: once it listens, before it serves its parent
     * and reports its start (so what it does here, registering, is done
     * when the parent's start returns). A failure stops the actor (a
     * child's start then fails with it). */
    int (*on_start)(actr_actor *a, void *arg);
    /* After the main function returned or the actor was cancelled, before
     * its tasks are torn down (the task may be cancelled: shield). */
    void (*on_exit)(actr_actor *a, void *arg);
    /* The message loop of a channel ended (never blocks). */
    void (*on_link_end)(actr_actor *a, void *arg, struct link *l);
};

/* actr_main with hooks (NULL: none). */
int actri_actor_main(int argc, char **argv, const actr_actor_opts *opts, actr_actor_fn fn,
                     void *arg, struct actri_hooks *hooks);

/* Opens the actor's listener on addrs[0..n) (from the listen hook). */
int actri_actor_listen(actr_actor *a, const actr_addr *addrs, size_t n);
/* The actor's listener (NULL before it listens). */
const actr_listener *actri_actor_listener(const actr_actor *a);
/* The registrar addresses this actor was given (borrowed). */
const actr_addr *actri_actor_registrars(const actr_actor *a, size_t *n);
/* Replaces them (copied): the ones relayed to children. 0 / ENOMEM. */
int actri_actor_set_registrars(actr_actor *a, const actr_addr *addrs, size_t n);
/* The hooks the actor runs with (NULL: none). */
struct actri_hooks *actri_actor_hooks(const actr_actor *a);
/* Starts fn(arg) as a task of the actor's service nursery. */
int actri_actor_spawn(actr_actor *a, actr_task_fn fn, void *arg, const char *name);

/* The channel a served call came in on. */
struct link *actri_call_link(const actr_call *call);
/* 1 while l's channel works. */
int actri_link_alive(const struct link *l);
/* The pid of l's peer from its Aid, 0 when unknown. */
int64_t actri_link_peer_pid(const struct link *l);

#endif
