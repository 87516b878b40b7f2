/* Helpers of the discovery suites: registrar processes, a root actor with
 * registrars, running a program and reading its output from a task. */
#ifndef DISC_HELPERS_H
#define DISC_HELPERS_H

#include <sys/types.h>

#include "itest.h"

#define DISC_MAX_URLS 4

/* A stand-alone registrar (build/actr-registrar) started by a test. */
typedef struct disc_proc {
    pid_t pid;
    char urls[DISC_MAX_URLS][ACTR_ADDR_URL_MAX];
    int nurls;
} disc_proc;

/* Path of $(BUILD)/<name> (the CLI programs). */
const char *disc_prog(const char *name);

/* A temporary directory: created by disc_tmp_setup (or the first
 * disc_tmp), removed with its content by disc_tmp_rm; use both as an
 * unchecked fixture so it goes even when a test fails. */
const char *disc_tmp(void);
void disc_tmp_setup(void);
void disc_tmp_rm(void);

/* Starts actr-registrar listening on urls (outside a loop, blocking until
 * it printed "ready"); asserts success. */
void disc_registrar_spawn(disc_proc *p, const char *const *urls, int n);
/* SIGTERM, then waits (outside the loop) and asserts a clean exit 0. */
void disc_registrar_stop(disc_proc *p);

/* Runs fn as the main task of a root actor "root" with testmod and the
 * given registrars (AUTO role). */
int disc_root(const char *const *registry, size_t n, actr_actor_fn fn, void *arg);

/* Inside a task: runs argv, collects stdout and stderr (without blocking
 * the loop), waits for it (at most timeout_ms, then SIGKILL). Returns its
 * exit status (or -1) and the malloc'd outputs. */
int disc_run(char *const *argv, char **out, char **err, int timeout_ms);

/* Inside a task: spawns actor_srv as child `name` of an, binding bind
 * (NULL: default), and checks (wait_for_actor, bounded) that registrar
 * `reg` knows it. */
actr_portal *disc_start_child(actr_actor_nursery *an, const char *name,
                              const char *const *bind, size_t nbind, const char *reg);

/* Inside a task: a task waits for an actor "late" (wait_for_actor with
 * the caller's registries); 300 ms later "late" is spawned into an.
 * Asserts the waiter was still waiting, then woken by the registration
 * within 2 s of the spawn, and reached "late". */
void disc_check_wait_woken(actr_actor_nursery *an);

/* testmod:whoami of the actor behind p (malloc'd), testmod:pid. */
char *disc_whoami(actr_portal *p);
int64_t disc_pid_of(actr_portal *p);

/* Removes path and everything below it. */
void disc_rm_tree(const char *path);

/* 1 when the registrar at url lists an actor with this name (0 when not;
 * asserts the registrar answers). */
int disc_listed(const char *url, const char *name, actr_registry_entry *copy_out);

#endif
