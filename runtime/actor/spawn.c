/* Actor nurseries (S1-S3): children as fresh process images, their
 * SpawnSpec, supervision (run_in_actor results and errors) and teardown
 * (self:cancel, then SIGTERM, then SIGKILL, always reaping). */
#define _GNU_SOURCE
#include "actor/cancel.h"
#include "actor/debug.h"
#include "actor/link.h"
#include "actor/spawn.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* How long a child may take to connect back (tractor waits forever; we
 * bound it so a broken executable cannot hang the nursery). */
#define CONNECT_TIMEOUT_MS 10000

struct actr_actor_nursery {
    actr_actor *a;
    actr_nursery *tn;             /* the reaper and supervisor tasks */
    struct child *children;
    actr_event closing;           /* close began: daemons are torn down */
    actr_actor_nursery_opts o;
    int cancel_called;            /* cancel asked, or a child's failure */
    /* S3: every failure of a run_in_actor child, in the order they became
     * known, and the siblings cancelled because of them (ContextCancelled
     * members, reported after the failures). */
    struct errlist {
        actr_error *v;
        size_t n, cap;
    } failed, cancelled;
    struct actri_exit_hook exit_hook; /* its task returned with it open */
};

static void nursery_exit_hook(struct actri_exit_hook *h);

int
actr_actor_nursery_open(actr_actor_nursery **out)
{
    return actr_actor_nursery_open_opts(NULL, out);
}

int
actr_actor_nursery_open_opts(const actr_actor_nursery_opts *opts, actr_actor_nursery **out)
{
    if (!out || (opts && (opts->cancel_timeout_ms < 0 || opts->term_after_ms < 0 ||
                          opts->kill_after_ms < 0)))
        return actr_error_set(ACTR_EINVAL, "bad actor nursery options");
    actr_actor *a = actr_self();
    if (!a || !a->svc || !actri_task_self())
        return actr_error_set(ACTR_ESTATE, "actor nursery outside an actor's task");
    actr_actor_nursery *an = calloc(1, sizeof *an);
    if (!an)
        return actr_error_set(ACTR_ENOMEM, "out of memory for an actor nursery");
    int rc = actr_nursery_open(&an->tn);
    if (rc < 0) {
        free(an);
        return rc;
    }
    an->a = a;
    actr_event_init(&an->closing);
    if (actri_task_on_exit(&an->exit_hook, nursery_exit_hook) < 0) {
        (void)actr_nursery_close(an->tn, ACTR_FOREVER);
        free(an);
        return actr_error_set(ACTR_ESTATE, "actor nursery outside a task");
    }
    if (opts)
        an->o = *opts;
    if (!an->o.cancel_timeout_ms)
        an->o.cancel_timeout_ms = ACTR_NURSERY_CANCEL_TIMEOUT_MS;
    if (!an->o.term_after_ms)
        an->o.term_after_ms = ACTR_NURSERY_TERM_AFTER_MS;
    if (!an->o.kill_after_ms)
        an->o.kill_after_ms = ACTR_NURSERY_KILL_AFTER_MS;
    *out = an;
    return 0;
}

void
actri_spawn_attach(actr_actor *a, struct link *l)
{
    for (struct child *ch = a->pending; ch; ch = ch->pnext) {
        if (ch->pending && !ch->link && strcmp(ch->uuid, l->peer.uuid) == 0 &&
            strcmp(ch->name, l->peer.name) == 0) {
            ch->link = l;
            actri_link_ref(l);
            l->child = ch;
            actr_event_set(&ch->ready);
            return;
        }
    }
}

static void
unpend(actr_actor *a, struct child *ch)
{
    if (!ch->pending)
        return;
    for (struct child **pp = &a->pending; *pp; pp = &(*pp)->pnext)
        if (*pp == ch) {
            *pp = ch->pnext;
            break;
        }
    ch->pending = 0;
}

/* ------------------------------------------------------------ tasks */

/* Reaps the child, whatever happens around it. */
static int
reaper_task(void *arg)
{
    struct child *ch = arg;
    actr_scope sh;
    if (actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) < 0)
        return 0;
    int st = 0;
    while (actr_child_wait(ch->pid, &st, ACTR_FOREVER) < 0)
        ;
    actr_scope_exit(&sh);
    ch->exited = 1;
    ch->status = st;
    if (WIFSIGNALED(st))
        actr_log_runtime(ACTOR_TAG, "child %s (pid %d) killed by signal %d", ch->name, ch->pid,
                         WTERMSIG(st));
    else
        actr_log_runtime(ACTOR_TAG, "child %s (pid %d) exited with %d", ch->name, ch->pid,
                         WEXITSTATUS(st));
    actr_event_set(&ch->exit_ev);
    actr_event_set(&ch->ready);
    return 0;
}

/* Makes the child exit: self:cancel, then signals; returns once reaped.
 * Each step is one cancel log line (S24). */
static void
teardown(struct child *ch)
{
    actr_actor *a = ch->an->a;
    const actr_actor_nursery_opts *o = &ch->an->o;
    actr_scope sh;
    if (actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) < 0)
        return;
    struct actri_errsave saved;             /* the child's failure, if any */
    actri_error_save(&saved);
    (void)actri_debug_wait_child(a, ch->pid);   /* S25: not while it is in the debugger */
    if (!ch->exited) {
        CANCEL_LOG(a, NULL, "teardown of child %s.%s (pid %d): %s", ch->name, ch->uuid,
                   ch->pid, ch->portal && actr_portal_connected(ch->portal)
                   ? "asking it to cancel" : "its channel is gone, waiting for its exit");
        if (ch->portal && actr_portal_connected(ch->portal))
            actri_cancel_actor(ch->portal->link, o->cancel_timeout_ms);
    }
    int64_t term_at = actr_deadline_in(o->term_after_ms);
    while (!ch->exited && actr_event_wait(&ch->exit_ev, term_at) < 0 &&
           actri_debug_wait_child(a, ch->pid))  /* S25: a session began: give it the time again */
        term_at = actr_deadline_in(o->term_after_ms);
    if (!ch->exited) {
        CANCEL_LOG(a, NULL, "child %s.%s (pid %d) still runs %lld ms later: SIGTERM",
                   ch->name, ch->uuid, ch->pid, (long long)o->term_after_ms);
        kill(ch->pid, SIGTERM);
        if (actr_event_wait(&ch->exit_ev, actr_deadline_in(o->kill_after_ms)) < 0) {
            CANCEL_LOG(a, NULL, "child %s.%s (pid %d) survived SIGTERM for %lld ms: SIGKILL",
                       ch->name, ch->uuid, ch->pid, (long long)o->kill_after_ms);
            kill(ch->pid, SIGKILL);
        }
    }
    actr_event_wait(&ch->exit_ev, ACTR_FOREVER);
    /* The child is gone, but our end of its channel closes only when that
     * link's message loop sees the EOF and ends: wait for it (bounded), so
     * the nursery's close returns with no fd of the child left open. */
    if (ch->link && ch->link->ipc)
        actr_event_wait(&ch->link->loop_done, actr_deadline_in(LINK_FLUSH_MS));
    CANCEL_LOG(a, NULL, "child %s.%s (pid %d) reaped (%s %d)", ch->name, ch->uuid, ch->pid,
               WIFSIGNALED(ch->status) ? "signal" : "exit status",
               WIFSIGNALED(ch->status) ? WTERMSIG(ch->status) : WEXITSTATUS(ch->status));
    actri_error_restore(&saved);
    actr_scope_exit(&sh);
}

/* run_in_actor: the result, or the child's failure. */
static int
wait_result(struct child *ch)
{
    struct actr_ctx *c = ch->run_ctx;
    struct dialog *d = &c->d;
    int rc = actri_ctx_wait_ack(c);
    while (rc == 0) {
        if (d->has_error)
            return actri_ctx_raise(c);
        if (c->has_return)
            return 0;
        if (d->dead)
            return actr_error_set(ACTR_ECLOSED, "child %s exited before returning %s (%s)",
                                  ch->name, actri_dialog_name(d), actr_strerror(d->dead));
        rc = actri_dialog_wait(d);
    }
    return rc;
}

/* Appends the current task's error detail (every member of a group) to
 * l. */
static void
record_errors(struct errlist *l)
{
    const actr_error *e = actr_last_error();
    const actr_error *v = e->count > 1 ? e->list : e;
    size_t n = e->count > 1 ? e->count : 1;
    if (l->n + n > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        while (cap < l->n + n)
            cap *= 2;
        actr_error *a = realloc(l->v, cap * sizeof *a);
        if (!a)
            return;
        l->v = a;
        l->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        if (actri_error_copy(&l->v[l->n], &v[i]) == 0)
            l->n++;
}

static void
free_errors(struct errlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        actri_error_free_fields(&l->v[i]);
    free(l->v);
}

/* A failure of a run_in_actor child: recorded at once (S3: in the order
 * they happen), then the whole nursery is cancelled, the body between
 * open and close included (one cancels all). */
static void
child_failed(struct child *ch)
{
    actr_actor_nursery *an = ch->an;
    record_errors(&an->failed);
    CANCEL_LOG(an->a, NULL, "child %s.%s failed (%s): cancelling its siblings", ch->name,
               ch->uuid, actr_last_error()->message);
    an->cancel_called = 1;
    actr_nursery_cancel(an->tn);
}

static int
supervisor_task(void *arg)
{
    struct child *ch = arg;
    actr_actor_nursery *an = ch->an;
    if (ch->run) {
        int rc = wait_result(ch);
        ch->result_rc = rc;
        if (rc != ACTR_ECANCELED) {
            ch->result_done = 1;
            actr_event_set(&ch->result_ev);
            if (rc < 0)
                child_failed(ch);
        }
    } else {
        actr_event_wait(&an->closing, ACTR_FOREVER);
    }
    teardown(ch);
    if (ch->run && !ch->result_done) {
        /* Cancelled before its result came: an error that arrived
         * meanwhile is a failure all the same; a ContextCancelled (ours,
         * the teardown's) makes it a cancelled member of the group. */
        struct actr_ctx *c = ch->run_ctx;
        int rc = c->d.has_error ? actri_ctx_raise(c) : 0;
        if (rc < 0 && rc != ACTR_ECTXCANCEL) {
            ch->result_rc = rc;
            record_errors(&an->failed);
        } else {
            ch->result_rc = c->d.dead && !rc ? ACTR_ECLOSED : ACTR_ECANCELED;
            if (!rc) {
                char msg[200];
                snprintf(msg, sizeof msg, "child %s was cancelled before %s returned",
                         ch->name, actri_dialog_name(&c->d));
                char *src = actri_uid_text(ch->name, ch->uuid);
                char *by = actri_uid_text(an->a->uid.name, an->a->uid.uuid);
                actr_error e = {.code = ACTR_ECTXCANCEL, .message = msg,
                                .type_name = "ContextCancelled", .src_uid = src,
                                .canceller_uid = by};
                actr_error_set_detail(&e);
                free(src);
                free(by);
            }
            record_errors(&an->cancelled);
        }
        ch->result_done = 1;
        actr_event_set(&ch->result_ev);
    }
    return 0;
}

/* ------------------------------------------------------------ spawning */

/* Reads the child's boot report from the status pipe (actor.c's
 * report_boot): "ok", or "error <code> <type>: <message>" recorded as the
 * start's error. The child writes it once it serves, so a start returns
 * a child that serves. */
static int
wait_boot(struct child *ch, int fd, int64_t deadline)
{
    char line[640];
    size_t n = 0;
    for (;;) {
        int rc = actr_fd_wait(fd, ACTR_READ, deadline);
        if (rc == ACTR_ETIMEDOUT)
            return actr_error_set(rc, "child %s (pid %d) did not report its start within"
                                  " %d ms", ch->name, ch->pid, CONNECT_TIMEOUT_MS);
        if (rc < 0)
            return rc;
        ssize_t got = read(fd, line + n, sizeof line - 1 - n);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got > 0)
            n += (size_t)got;
        line[n] = 0;
        char *nl = strchr(line, '\n');
        if (nl || got <= 0 || n == sizeof line - 1) {
            if (nl)
                *nl = 0;
            break;
        }
    }
    if (strcmp(line, "ok") == 0)
        return 0;
    int code = 0, at = 0;
    char type[64] = "";
    if (sscanf(line, "error %d %63[^:]: %n", &code, type, &at) < 2 || code <= 0 || !at)
        return actr_error_set(ACTR_ECLOSED, "child %s (pid %d) exited while starting",
                              ch->name, ch->pid);
    char msg[700];
    snprintf(msg, sizeof msg, "child %s could not start: %s", ch->name, line + at);
    actr_error e = {.code = -code, .message = msg, .type_name = type};
    return actr_error_set_detail(&e);
}

static int
spawn_child(actr_actor_nursery *an, const char *name, const actr_spawn_opts *o,
            struct child **out)
{
    actr_actor *a = an->a;
    if (!name || !*name || strlen(name) >= sizeof ((struct child *)0)->name)
        return actr_error_set(ACTR_EINVAL, "a child needs a name of 1..63 bytes");
    struct child *ch = calloc(1, sizeof *ch);
    if (!ch)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a child");
    snprintf(ch->name, sizeof ch->name, "%s", name);
    actri_uuid4(ch->uuid);
    ch->an = an;
    actr_event_init(&ch->ready);
    actr_event_init(&ch->exit_ev);
    actr_event_init(&ch->result_ev);

    const char *exe = o && o->exe ? o->exe : "/proc/self/exe";
    char ppid[16], level[16];
    snprintf(ppid, sizeof ppid, "%d", a->pid);
    snprintf(level, sizeof level, "%d", o && o->loglevel ? o->loglevel : actr_log_get_level());
    /* The child reports its boot on this pipe (its end only is inherited). */
    int sp[2];
    if (pipe2(sp, O_CLOEXEC) < 0) {
        free(ch);
        return actr_error_set(ACTR_EIO, "cannot spawn child %s: pipe: %s", name, strerror(errno));
    }
    char sfd[16];
    snprintf(sfd, sizeof sfd, "%d", sp[1]);
    char *argv[] = {(char *)exe, "--actr-child", "--actr-name", ch->name,
                    "--actr-uuid", ch->uuid, "--actr-parent", a->url,
                    "--actr-ppid", ppid, "--actr-loglevel", level, "--actr-status-fd", sfd, NULL};
    posix_spawn_file_actions_t fa;
    int pid, err = posix_spawn_file_actions_init(&fa);
    if (!err && !(err = posix_spawn_file_actions_adddup2(&fa, sp[1], sp[1])))
        err = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(sp[1]);
    if (err) {
        close(sp[0]);
        free(ch);
        return actr_error_set(err == ENOENT || err == EACCES ? ACTR_ENOTFOUND : ACTR_EIO,
                              "cannot spawn %s as child %s: %s", exe, name, strerror(err));
    }
    ch->pid = pid;
    ch->next = an->children;
    an->children = ch;
    ch->pending = 1;
    ch->pnext = a->pending;
    a->pending = ch;
    actr_log_runtime(ACTOR_TAG, "spawned child %s.%s pid %d (%s)", ch->name, ch->uuid, pid, exe);

    actr_task_opts to = {.name = "reaper"};
    if (actr_nursery_spawn_opts(an->tn, reaper_task, ch, &to) < 0) {
        /* No task to reap it: do it here, the hard way. */
        close(sp[0]);
        kill(pid, SIGKILL);
        int st;
        actr_child_wait(pid, &st, ACTR_FOREVER);
        ch->exited = 1;
        unpend(a, ch);
        return actr_error_set(ACTR_ENOMEM, "no task to supervise child %s", name);
    }
    int64_t deadline = actr_deadline_in(CONNECT_TIMEOUT_MS);
    int rc = actr_event_wait(&ch->ready, deadline);
    unpend(a, ch);
    if (rc == 0 && !ch->link)
        rc = actr_error_set(ACTR_ECLOSED, "child %s (pid %d) exited before connecting back",
                            name, pid);
    else if (rc == ACTR_ETIMEDOUT)
        actr_error_set(rc, "child %s (pid %d) did not connect back within %d ms", name, pid,
                       CONNECT_TIMEOUT_MS);
    if (rc == 0)
        rc = actri_spawnspec_send(a, ch->link, o, exe);
    if (rc == 0)
        rc = wait_boot(ch, sp[0], deadline);
    close(sp[0]);
    if (rc == 0)
        rc = actri_portal_new(ch->link, ch, &ch->portal);
    if (rc < 0) {
        if (!ch->exited)
            kill(pid, SIGKILL);   /* the reaper task reaps it */
        return rc;
    }
    *out = ch;
    return 0;
}

static int
start_supervisor(actr_actor_nursery *an, struct child *ch)
{
    actr_task_opts to = {.name = "supervisor"};
    int rc = actr_nursery_spawn_opts(an->tn, supervisor_task, ch, &to);
    if (rc < 0)
        kill(ch->pid, SIGKILL);
    return rc;
}

int
actr_actor_nursery_start(actr_actor_nursery *an, const char *name,
                         const actr_spawn_opts *opts, actr_portal **out)
{
    if (!an || !out)
        return actr_error_set(ACTR_EINVAL, "no nursery or out parameter");
    struct child *ch;
    int rc = spawn_child(an, name, opts, &ch);
    if (rc == 0)
        rc = start_supervisor(an, ch);
    if (rc == 0)
        *out = ch->portal;
    return rc;
}

static int
run_common(actr_actor_nursery *an, const char *name, const actr_spawn_opts *opts,
           const actr_endpoint *ep, const void *args, const char *fn, const actr_any *kw,
           actr_portal **out)
{
    if (!an || !out)
        return actr_error_set(ACTR_EINVAL, "no nursery or out parameter");
    if (ep && ep->kind != ACTR_ENDPOINT_FN)
        return actr_error_set(ACTR_EINVAL, "run_in_actor needs a function endpoint; %s is"
                              " not one (S6)", ep->wire_name);
    char ns[256];
    const char *func;
    int rc = actri_split_name(ep ? ep->wire_name : fn, ns, sizeof ns, &func);
    if (rc < 0)
        return rc;
    struct child *ch;
    if ((rc = spawn_child(an, name, opts, &ch)) < 0)
        return rc;
    struct actr_ctx *c = actri_ctx_new(ch->link, ACTR_ENDPOINT_FN, ep ? ep->wire_name : fn, 1);
    if (!c) {
        kill(ch->pid, SIGKILL);
        return actr_error_set(ACTR_ENOMEM, "out of memory for a call");
    }
    c->t_result = ep ? ep->result : &actr_type_any;
    ch->run = 1;
    ch->run_ctx = c;
    rc = actri_ctx_start(c, ns, ep ? ep->func : func, ep ? ep->args : NULL, args, kw);
    if (rc == 0)
        rc = start_supervisor(an, ch);
    else
        kill(ch->pid, SIGKILL);
    if (rc == 0)
        *out = ch->portal;
    return rc;
}

int
actr_actor_nursery_run(actr_actor_nursery *an, const char *name, const actr_spawn_opts *opts,
                       const actr_endpoint *ep, const void *args, actr_portal **out)
{
    if (!ep)
        return actr_error_set(ACTR_EINVAL, "no endpoint");
    return run_common(an, name, opts, ep, args, NULL, NULL, out);
}

int
actr_actor_nursery_run_raw(actr_actor_nursery *an, const char *name,
                           const actr_spawn_opts *opts, const char *fn,
                           const actr_any *kwargs, actr_portal **out)
{
    return run_common(an, name, opts, NULL, NULL, fn, kwargs, out);
}

void
actr_actor_nursery_cancel(actr_actor_nursery *an)
{
    if (!an)
        return;
    CANCEL_LOG(an->a, NULL, "actor nursery cancelled");
    an->cancel_called = 1;
    actr_nursery_cancel(an->tn);
}

int
actr_actor_nursery_cancel_called(const actr_actor_nursery *an)
{
    return an && an->cancel_called;
}

int
actr_actor_nursery_cancelled_caught(const actr_actor_nursery *an)
{
    if (!an || !an->cancel_called)
        return 0;
    for (const struct child *ch = an->children; ch; ch = ch->next)
        if (!ch->exited)
            return 0;
    return 1;
}

/* The failures (in the order they happened), then the cancelled members,
 * recorded as the task's detail. */
static int
report_errors(actr_actor_nursery *an)
{
    size_t n = an->failed.n + an->cancelled.n;
    actr_error *v = malloc(n * sizeof *v);
    if (!v)
        return actr_error_set_list(an->failed.v, an->failed.n);
    memcpy(v, an->failed.v, an->failed.n * sizeof *v);
    if (an->cancelled.n > 0)
        memcpy(v + an->failed.n, an->cancelled.v, an->cancelled.n * sizeof *v);
    int rc = actr_error_set_list(v, n);
    free(v);
    return rc;
}

static void nursery_free(actr_actor_nursery *an);

/* Its task returned with an open: close it (DESIGN.md), with a warning. */
static void
nursery_exit_hook(struct actri_exit_hook *h)
{
    actr_actor_nursery *an = (actr_actor_nursery *)((char *)h -
                                                    offsetof(actr_actor_nursery, exit_hook));
    actr_log_warning(ACTOR_TAG, "task %s returned with an actor nursery open: closing it",
                     actr_task_name());
    actr_event_set(&an->closing);
    if (actri_nursery_innermost(an->tn)) {
        (void)actr_actor_nursery_close(an);
        return;
    }
    /* Nurseries opened inside it are still open: the task's end closes
     * them and then the task nursery, which tears the children down. */
    actr_log_warning(ACTOR_TAG, "task %s: the actor nursery is not its innermost open"
                     " nursery: its children go when the task's nurseries close",
                     actr_task_name());
}

int
actr_actor_nursery_close(actr_actor_nursery *an)
{
    if (!an)
        return 0;
    if (!actri_nursery_innermost(an->tn))
        return actr_error_set(ACTR_ESTATE, "actor nursery closed out of order: first close"
                              " the scopes and nurseries opened after it (in the task that"
                              " opened it)");
    actri_task_on_exit_cancel(&an->exit_hook);
    actr_event_set(&an->closing);
    int rc = actr_nursery_close(an->tn, ACTR_FOREVER);
    if (an->failed.n > 0)
        rc = report_errors(an);
    nursery_free(an);
    return rc;
}

static void
nursery_free(actr_actor_nursery *an)
{
    while (an->children) {
        struct child *ch = an->children;
        an->children = ch->next;
        unpend(an->a, ch);
        actri_ctx_unref(ch->run_ctx);
        actri_portal_free(ch->portal);
        if (ch->link) {
            ch->link->child = NULL;
            actri_link_unref(ch->link);
        }
        free(ch);
    }
    free_errors(&an->failed);
    free_errors(&an->cancelled);
    free(an);
}
