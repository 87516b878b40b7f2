/* A tractor child (actr_spawn_opts.tractor, README "Interop"): a Python
 * actor started with tractor's own child command line, under a given
 * interpreter and import path. It connects back and is sent its
 * SpawnSpec like any child; it has no boot socket (tractor's child sends
 * no boot report). */
#define _GNU_SOURCE
#include "actor/spawn.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* A tractor child's command line (tractor's spawn/_trio.py): `python -m
 * tractor._child --uid "('name', 'uuid')" --parent_addr "('host', port)"
 * --loglevel <name>`, the tuples as Python literals (a Unix socket is
 * ('dir', 'file')). Its strings live in buf. */
struct pyargs {
    char uid[ACTR_ADDR_HOST_MAX + ACTR_ADDR_PATH_MAX + 16];
    char paddr[ACTR_ADDR_HOST_MAX + ACTR_ADDR_PATH_MAX + 16];
    char level[16];
    char *argv[10];
};

/* A Python literal of s in single quotes; 0, or -1 when s needs escapes
 * (no name or path of ours does). */
static int
pystr(char *out, size_t cap, const char *s)
{
    if (strpbrk(s, "'\\\n"))
        return -1;
    return snprintf(out, cap, "'%s'", s) < (int)cap ? 0 : -1;
}

static int
tractor_argv(actr_actor *a, struct child *ch, const actr_spawn_opts *o, const char *python,
             struct pyargs *pa)
{
    const actr_addr *self = a->listener ? actr_listener_addr(a->listener, 0) : NULL;
    char q1[ACTR_ADDR_HOST_MAX + 4], q2[ACTR_ADDR_PATH_MAX + 4];
    if (!self)
        return actr_error_set(ACTR_ESTATE, "a tractor child needs its parent to listen");
    if (pystr(q1, sizeof q1, ch->name) < 0 || pystr(q2, sizeof q2, ch->uuid) < 0)
        return actr_error_set(ACTR_EINVAL, "child name %s cannot be a Python literal",
                              ch->name);
    snprintf(pa->uid, sizeof pa->uid, "(%s, %s)", q1, q2);
    if (self->kind == ACTR_ADDR_TCP) {
        if (pystr(q1, sizeof q1, self->host) < 0)
            return actr_error_set(ACTR_EINVAL, "bad listen host %s", self->host);
        snprintf(pa->paddr, sizeof pa->paddr, "(%s, %u)", q1, (unsigned)self->port);
    } else {
        /* tractor's UDS address: (directory, file name). */
        const char *slash = strrchr(self->path, '/');
        char dir[ACTR_ADDR_PATH_MAX];
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - self->path) : 1,
                 slash ? (slash == self->path ? "/" : self->path) : ".");
        if (pystr(q1, sizeof q1, dir) < 0 || pystr(q2, sizeof q2, slash ? slash + 1 : self->path) < 0)
            return actr_error_set(ACTR_EINVAL, "bad listen path %s", self->path);
        snprintf(pa->paddr, sizeof pa->paddr, "(%s, %s)", q1, q2);
    }
    /* tractor's level names; actr's cancel (16) sits below info; a level
     * above error is tractor's critical (it then stays quiet even about
     * the errors it relays: they reach us anyway). */
    int lv = o->loglevel ? o->loglevel : actr_log_get_level();
    snprintf(pa->level, sizeof pa->level, "%s", lv > ACTR_LOG_ERROR ? "critical"
             : lv >= ACTR_LOG_ERROR ? "error"
             : lv >= ACTR_LOG_WARNING ? "warning" : lv >= ACTR_LOG_INFO ? "info"
             : lv >= ACTR_LOG_CANCEL ? "cancel" : lv >= ACTR_LOG_RUNTIME ? "runtime" : "debug");
    char **v = pa->argv;
    *v++ = (char *)python;
    *v++ = "-m";
    *v++ = "tractor._child";
    *v++ = "--uid";
    *v++ = pa->uid;
    *v++ = "--parent_addr";
    *v++ = pa->paddr;
    *v++ = "--loglevel";
    *v++ = pa->level;
    *v = NULL;
    return 0;
}

/* The environment of a tractor child: ours, with pythonpath put before
 * PYTHONPATH. *env is malloc'd (free it and its added entry *added). */
static int
tractor_env(const char *pythonpath, char ***env, char **added)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **e = calloc(n + 2, sizeof *e);
    if (!e)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    const char *old = getenv("PYTHONPATH");
    *added = NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!pythonpath || strncmp(environ[i], "PYTHONPATH=", 11) != 0)
            e[k++] = environ[i];
    if (pythonpath) {
        if (asprintf(added, "PYTHONPATH=%s%s%s", pythonpath, old && *old ? ":" : "",
                     old ? old : "") < 0) {
            free(e);
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        }
        e[k++] = *added;
    }
    e[k] = NULL;
    *env = e;
    return 0;
}

int
actri_tractor_child_start(actr_actor *a, struct child *ch, const actr_spawn_opts *o,
                          const char **exe, int *pid)
{
    const actr_tractor_child *py = o->tractor;
    const char *python = py->python ? py->python : actr_env_get(ACTR_ENV_TRACTOR_PYTHON);
    *exe = python && *python ? python : "python3";
    const char *pp = py->pythonpath ? py->pythonpath : actr_env_get(ACTR_ENV_TRACTOR_PYTHONPATH);
    struct pyargs pa;
    char **env = NULL, *added = NULL;
    int rc = tractor_argv(a, ch, o, *exe, &pa);
    if (rc == 0)
        rc = tractor_env(pp && *pp ? pp : NULL, &env, &added);
    if (rc < 0)
        return rc;
    int err = posix_spawnp(pid, *exe, NULL, NULL, pa.argv, env);
    free(env);
    free(added);
    if (err)
        return actr_error_set(err == ENOENT || err == EACCES ? ACTR_ENOTFOUND : ACTR_EIO,
                              "cannot spawn %s as tractor child %s: %s", *exe, ch->name,
                              strerror(err));
    actr_log_runtime(ACTOR_TAG, "spawned tractor child %s.%s pid %d (%s)", ch->name, ch->uuid,
                     *pid, *exe);
    return 0;
}
