/* Helpers of the discovery suites (disc_helpers.h). */
#include "disc_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *
disc_prog(const char *name)
{
    static char path[4096];
    const char *build = getenv("ACTR_TEST_BUILD");
    if (!build)
        build = ACTR_TEST_BUILD;
    if (build[0] == '/')
        snprintf(path, sizeof path, "%s/%s", build, name);
    else
        snprintf(path, sizeof path, "%s/%s/%s", ACTR_TEST_TOP, build, name);
    return path;
}

static char tmpdir[64];

const char *
disc_tmp(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/actr-disc-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    }
    return tmpdir;
}

void
disc_tmp_setup(void)
{
    disc_tmp();
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void
disc_rm_tree(const char *path)
{
    nftw(path, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

void
disc_tmp_rm(void)
{
    if (tmpdir[0])
        disc_rm_tree(tmpdir);
    tmpdir[0] = 0;
}

void
disc_registrar_spawn(disc_proc *p, const char *const *urls, int n)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    char *argv[16];
    int k = 0;
    argv[k++] = (char *)disc_prog("actr-registrar");
    argv[k++] = "--listen";
    for (int i = 0; i < n && k < 12; i++)
        argv[k++] = (char *)urls[i];
    argv[k++] = "--loglevel";
    argv[k++] = getenv("DISC_REGISTRAR_LOG") ? getenv("DISC_REGISTRAR_LOG") : "warning";
    argv[k] = NULL;
    memset(p, 0, sizeof *p);
    ck_assert_int_eq(posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int ready = 0;
    /* The registrar prints its addresses, then "ready"; a hang fails the
     * test through Check's timeout. */
    while (!ready && fgets(line, sizeof line, f)) {
        const char *pre = "actr-registrar: listening on ";
        if (strncmp(line, pre, strlen(pre)) == 0 && p->nurls < DISC_MAX_URLS) {
            const char *u = line + strlen(pre);
            size_t ul = strcspn(u, "\n");
            ck_assert_uint_lt(ul, sizeof p->urls[0]);
            memcpy(p->urls[p->nurls], u, ul);
            p->urls[p->nurls][ul] = 0;
            p->nurls++;
        }
        ready = strncmp(line, "actr-registrar: ready", 21) == 0;
    }
    fclose(f);
    ck_assert_msg(ready, "actr-registrar did not start");
}

void
disc_registrar_stop(disc_proc *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGTERM);
    int st = 0;
    pid_t r;
    for (int i = 0; i < 500 && (r = waitpid(p->pid, &st, WNOHANG)) == 0; i++)
        usleep(10000);
    if (r == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, 0);
        ck_abort_msg("actr-registrar did not stop on SIGTERM");
    }
    p->pid = 0;
    ck_assert_msg(r > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "actr-registrar did not exit cleanly (status %d)", st);
}

int
disc_root(const char *const *registry, size_t n, actr_actor_fn fn, void *arg)
{
    static char *argv[] = {"itest", NULL};
    const actr_module *mods[] = {&testmod_module};
    actr_actor_opts o = {.name = "root", .modules = mods, .nmodules = 1,
                         .registry = registry, .nregistry = n};
    return actr_main(1, argv, &o, fn, arg);
}

static int
drain(int fd, char **buf, size_t *len)
{
    char tmp[4096];
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r <= 0)
        return r == 0 || errno != EAGAIN ? 0 : 1;
    char *nb = realloc(*buf, *len + (size_t)r + 1);
    if (!nb)
        return 0;
    memcpy(nb + *len, tmp, (size_t)r);
    *len += (size_t)r;
    nb[*len] = 0;
    *buf = nb;
    return 1;
}

int
disc_run(char *const *argv, char **out, char **err, int timeout_ms)
{
    int po[2], pe[2];
    ck_assert_int_eq(pipe2(po, O_CLOEXEC | O_NONBLOCK), 0);
    ck_assert_int_eq(pipe2(pe, O_CLOEXEC | O_NONBLOCK), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    ck_assert_int_eq(rc, 0);
    char *ob = calloc(1, 1), *eb = calloc(1, 1);
    size_t ol = 0, el = 0;
    int oopen = 1, eopen = 1;
    int64_t dl = actr_deadline_in(timeout_ms);
    while ((oopen || eopen) && actr_now() < dl) {
        if (oopen && actr_fd_wait(po[0], ACTR_READ, actr_now() + 20) > 0)
            oopen = drain(po[0], &ob, &ol);
        if (eopen && actr_fd_wait(pe[0], ACTR_READ, actr_now() + 20) > 0)
            eopen = drain(pe[0], &eb, &el);
    }
    close(po[0]);
    close(pe[0]);
    int st = -1;
    if (actr_child_wait(pid, &st, dl) < 0) {
        kill(pid, SIGKILL);
        actr_child_wait(pid, &st, ACTR_FOREVER);
        st = -1;
    }
    *out = ob;
    *err = eb;
    return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
disc_listed(const char *url, const char *name, actr_registry_entry *copy_out)
{
    actr_portal *p;
    ck_assert_actr_ok(actr_portal_open(url, &p));
    actr_registry_entry *v;
    size_t n;
    ck_assert_actr_ok(actr_registry_list(p, &v, &n));
    actr_portal_close(p);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) != 0)
            continue;
        found = 1;
        if (copy_out) {
            *copy_out = v[i];
            memset(&v[i], 0, sizeof v[i]);
        }
        break;
    }
    actr_registry_entries_free(v, n);
    return found;
}

actr_portal *
disc_start_child(actr_actor_nursery *an, const char *name, const char *const *bind,
                 size_t nbind, const char *reg)
{
    actr_spawn_opts so = itest_srv_opts();
    so.bind = bind;
    so.nbind = nbind;
    actr_portal *p;
    ck_assert_actr_ok(actr_actor_nursery_start(an, name, &so, &p));
    /* The child registered before it served us (tractor's child too
     * handles its parent's requests only after registering, although its
     * start_actor returns earlier, Observed 4): the registrar knows it. */
    actr_portal *w;
    const char *r[] = {reg};
    actr_scope sc;
    ck_assert_actr_ok(actr_fail_after(&sc, 5000));
    ck_assert_actr_ok(actr_wait_for_actor(name, r, 1, &w));
    ck_assert_actr_ok(actr_scope_exit(&sc));
    actr_portal_close(w);
    return p;
}

struct waitt {
    char *seen;
    int64_t woke_at;
};

static int
waiter(void *arg)
{
    struct waitt *t = arg;
    actr_portal *p;
    int rc = actr_wait_for_actor("late", NULL, 0, &p);
    if (rc < 0)
        return rc;
    t->woke_at = actr_now();
    actr_str s = {0};
    rc = actr_portal_call(p, actr_module_find(&testmod_module, "whoami", 6), NULL, &s);
    t->seen = s.ptr;
    actr_portal_close(p);
    return rc;
}

void
disc_check_wait_woken(actr_actor_nursery *an)
{
    struct waitt t = {NULL, 0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, waiter, &t));
    ck_assert_actr_ok(actr_sleep(300));
    ck_assert_int_eq(t.woke_at, 0);                /* still waiting */
    actr_portal *late;
    actr_spawn_opts so = itest_srv_opts();
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_actor_nursery_start(an, "late", &so, &late));
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(5000)));
    ck_assert_ptr_nonnull(t.seen);
    ck_assert_str_eq(t.seen, "late");
    ck_assert_msg(t.woke_at - t0 < 2000, "woken %lld ms after the spawn",
                  (long long)(t.woke_at - t0));
    free(t.seen);
}

char *
disc_whoami(actr_portal *p)
{
    actr_str s = {0};
    ck_assert_actr_ok(actr_portal_call(p, actr_module_find(&testmod_module, "whoami", 6), NULL,
                                       &s));
    return s.ptr;
}

int64_t
disc_pid_of(actr_portal *p)
{
    int64_t pid = 0;
    ck_assert_actr_ok(actr_portal_call(p, actr_module_find(&testmod_module, "pid", 3), NULL,
                                       &pid));
    return pid;
}
