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
#include "ipc/auth.h"
#include "actor/link.h"

#define SIG_BIT(s) (1u << ((unsigned)(s) & 31))

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
    struct child_end end;         /* how it ended, for its link's callers */
    unsigned sent;                /* the signals we sent it (SIG_BIT): its
                                     death by one of them is no news */
    int starting;                 /* its start runs (its error tells) */
    int tractor;                  /* a tractor child: it connects back
                                     without the secret (S28 admit) */
    unsigned death_seq;           /* ... as its nursery's n-th such death */
    int death_taken;              /* actr_portal_wait_exit told someone */
    char death[400];              /* "child 'w1' (pid 7) killed by SIGSEGV ..." */
    struct link *link;            /* once connected (reference) */
    actr_event ready;             /* connected or exited */
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

/* How ch's process ended, for messages: "killed by SIGSEGV", "exited
 * with status 3", "exited". */
void actri_child_exit_text(const struct child *ch, char *buf, size_t cap);


int actri_portal_new(struct link *l, struct child *ch, actr_portal **out);
void actri_portal_free(actr_portal *p);

/* ------------------------------------------------------------ boot */

/* What a child learns before it connects back (childargs.c). An actr
 * parent writes it on the child's boot socket (--actr-boot-fd N), which
 * then carries the boot status back; a foreign parent's shim passes
 * --actr-name, --actr-uuid, --actr-parent (and optionally --actr-ppid,
 * --actr-loglevel, --actr-status-fd, --actr-enable) instead. */
struct child_args {
    char name[64];
    char uuid[UUID_LEN + 1];
    char parent[ACTR_ADDR_URL_MAX];
    int ppid;                     /* the parent's pid (0: unknown) */
    int loglevel;                 /* 0: the default */
    int status_fd;                /* where the boot status goes, or -1 */
    int wrapped;                  /* runs under ACTR_CHILD_WRAPPER: its
                                     parent process is the wrapper */
    char enable[512];             /* --actr-enable: comma-separated modules
                                     to serve besides the SpawnSpec's (a
                                     tractor parent cannot name C modules
                                     there), or "" */
    char secret[AUTH_KEY_HEX + 1];  /* the tree's key in hex, from an actr
                                       parent's record (S28), or "" */
    int insecure;                 /* the parent's insecure opt-in (S28) */
};

/* Writes ca's record on fd (the parent's end of the boot socket). 0,
 * ACTR_EINVAL (a field too long), ACTR_EIO. */
int actri_child_args_send(int fd, const struct child_args *ca);
/* Fills ca from a child's command line (argv[1] is --actr-child) and
 * the boot record it names. 0, or ACTR_EINVAL with the reason in why. */
int actri_child_args_get(int argc, char **argv, struct child_args *ca, char *why,
                         size_t cap);

/* Sets this process's title (what ps shows for its command line, within
 * the room argv had) and its comm (what pgrep and top match, 15 bytes)
 * (proctitle.c). */
void actri_proctitle_set(int argc, char **argv, const char *title, const char *comm);

/* Starts a tractor child for o->tractor (spawn_tractor.c): *exe gets
 * the interpreter, *pid its pid. 0 or an error naming the child. */
int actri_tractor_child_start(actr_actor *a, struct child *ch, const actr_spawn_opts *o,
                              const char **exe, int *pid);

/* This program's executable, resolved once at startup (the path children
 * are spawned from, so ps, pgrep and valgrind see a real file). */
const char *actri_self_exe(void);

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
