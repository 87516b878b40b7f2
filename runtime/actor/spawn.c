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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

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
    unsigned deaths;              /* children that died unasked so far */
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
static void record_errors(struct errlist *l);
static void child_free(actr_actor_nursery *an, struct child *ch);

/* Close began: daemons are torn down. */
static void
set_closing(actr_actor_nursery *an)
{
    actr_event_set(&an->closing);
    for (struct child *ch = an->children; ch; ch = ch->next)
        actr_event_set(&ch->wake);
}

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
            l->child_end = &ch->end;
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

void
actri_child_exit_text(const struct child *ch, char *buf, size_t cap)
{
    if (!ch->exited)
        snprintf(buf, cap, "still running");
    else if (WIFSIGNALED(ch->status)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(ch->status));
        if (abbrev)
            snprintf(buf, cap, "killed by SIG%s%s", abbrev,
                     WCOREDUMP(ch->status) ? " (core dumped)" : "");
        else
            snprintf(buf, cap, "killed by signal %d", WTERMSIG(ch->status));
    } else if (WEXITSTATUS(ch->status))
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(ch->status));
    else
        snprintf(buf, cap, "exited");
}

/* " while serving a:b, c:d" for the endpoints of the dialogs we had open
 * with ch (each once, the first three), or "". */
static void
serving_text(const struct child *ch, char *buf, size_t cap)
{
    buf[0] = 0;
    const char *seen[3];
    size_t nseen = 0, more = 0;
    struct link *l = ch->link;
    for (size_t b = 0; l && b < l->nbuckets; b++)
        for (struct dialog *d = l->tab[b]; d; d = d->hnext) {
            if (d->end != DIALOG_CALLER)
                continue;
            const char *name = actri_dialog_name(d);
            size_t i = 0;
            while (i < nseen && strcmp(seen[i], name) != 0)
                i++;
            if (i < nseen)
                continue;
            if (nseen == 3) {
                more++;
                continue;
            }
            seen[nseen++] = name;
            size_t len = strlen(buf);
            snprintf(buf + len, cap - len, "%s%s", nseen > 1 ? ", " : " while serving ", name);
        }
    if (more) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, " and %zu more", more);
    }
}

/* A daemon child that died unasked is an error of its nursery, reported
 * when it closes, unless someone took the news (actr_portal_wait_exit, a
 * supervisor); run_in_actor children report through their result. In
 * the order they died. */
static void
record_deaths(actr_actor_nursery *an)
{
    for (unsigned seq = 1; seq <= an->deaths; seq++)
        for (struct child *ch = an->children; ch; ch = ch->next) {
            if (ch->death_seq != seq || ch->run || ch->death_taken)
                continue;
            char *src = actri_uid_text(ch->name, ch->uuid);
            actr_error e = {.code = ACTR_ECLOSED, .message = ch->death, .type_name =
                            "ActorFailure", .src_uid = src};
            actr_error_set_detail(&e);
            free(src);
            record_errors(&an->failed);
        }
}

/* Signals ch, remembering that its death by sig is ours. */
static void
send_signal(struct child *ch, int sig)
{
    ch->sent |= SIG_BIT(sig);
    kill(ch->pid, sig);
}

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
    actri_child_exit_text(ch, ch->end.how, sizeof ch->end.how);
    snprintf(ch->end.who, sizeof ch->end.who, "child '%s' (pid %d)", ch->name, ch->pid);
    /* Exiting with status 0 (asked, or cancelled by anyone) is normal,
     * and so is a signal we sent it; a failed start is told by the
     * start. Anything else is news, told once, with what it was doing for
     * us: a status != 0 even after a cancel (an actor's exit then is 0;
     * valgrind's --error-exitcode is not), a signal from someone else
     * even while we were tearing it down. */
    ch->end.died = !ch->starting && (WIFSIGNALED(st) ? !(ch->sent & SIG_BIT(WTERMSIG(st)))
                                                     : WEXITSTATUS(st) != 0);
    if (ch->end.died) {
        char serving[200];
        serving_text(ch, serving, sizeof serving);
        snprintf(ch->death, sizeof ch->death, "%s %s%s", ch->end.who, ch->end.how, serving);
        actr_log_warning(ACTOR_TAG, "%s", ch->death);
        ch->death_seq = ++ch->an->deaths;
    } else {
        actr_log_runtime(ACTOR_TAG, "%s %s", ch->end.who, ch->end.how);
    }
    actr_event_set(&ch->end.exited);
    actr_event_set(&ch->ready);
    actr_event_set(&ch->wake);
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
    while (!ch->exited && actr_event_wait(&ch->end.exited, term_at) < 0 &&
           actri_debug_wait_child(a, ch->pid))  /* S25: a session began: give it the time again */
        term_at = actr_deadline_in(o->term_after_ms);
    if (!ch->exited) {
        CANCEL_LOG(a, NULL, "child %s.%s (pid %d) still runs %lld ms later: SIGTERM",
                   ch->name, ch->uuid, ch->pid, (long long)o->term_after_ms);
        send_signal(ch, SIGTERM);
        if (actr_event_wait(&ch->end.exited, actr_deadline_in(o->kill_after_ms)) < 0) {
            CANCEL_LOG(a, NULL, "child %s.%s (pid %d) survived SIGTERM for %lld ms: SIGKILL",
                       ch->name, ch->uuid, ch->pid, (long long)o->kill_after_ms);
            send_signal(ch, SIGKILL);
        }
    }
    actr_event_wait(&ch->end.exited, ACTR_FOREVER);
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
            return actri_ctx_closed(c, "before %s returned");
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
        /* A daemon serves until the nursery closes or stops it, or until
         * it exits on its own: then this task ends, so a supervisor that
         * restarts children again and again leaves no parked task. */
        actr_event_wait(&ch->wake, ACTR_FOREVER);
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
    actr_event_set(&ch->sup_done);
    return 0;
}

/* ------------------------------------------------------------ spawning */

/* A start that failed: the child goes (its exit is no news: the start's
 * error told). */
static void
kill_child(struct child *ch)
{
    send_signal(ch, SIGKILL);
}

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
    if (sscanf(line, "error %d %63[^:]: %n", &code, type, &at) < 2 || code <= 0 || !at) {
        char how[64];
        if (!ch->exited)
            (void)actr_event_wait(&ch->end.exited, actr_deadline_in(CHILD_END_WAIT_MS));
        actri_child_exit_text(ch, how, sizeof how);
        return actr_error_set(ACTR_ECLOSED, "child %s (pid %d) %s while starting", ch->name,
                              ch->pid, ch->exited ? how : "closed its boot socket");
    }
    char msg[700];
    snprintf(msg, sizeof msg, "child %s could not start: %s", ch->name, line + at);
    actr_error e = {.code = -code, .message = msg, .type_name = type};
    return actr_error_set_detail(&e);
}

/* The command a child runs under: the spawn option, else
 * $ACTR_CHILD_WRAPPER, split into words as the shell would (no command
 * substitution). we_wordc 0: none. */
static int
child_wrapper(const actr_spawn_opts *o, wordexp_t *we)
{
    const char *w = o && o->wrapper ? o->wrapper : actr_env_get(ACTR_ENV_CHILD_WRAPPER);
    memset(we, 0, sizeof *we);
    if (!w || !*w)
        return 0;
    int err = wordexp(w, we, WRDE_NOCMD);
    if (err == 0)
        return 0;
    memset(we, 0, sizeof *we);
    return actr_error_set(ACTR_EINVAL, "bad child wrapper \"%s\": %s", w,
                          err == WRDE_CMDSUB ? "command substitution is not allowed"
                          : err == WRDE_BADCHAR ? "unquoted special character"
                          : err == WRDE_SYNTAX ? "unbalanced quotes" : "cannot split it");
}

/* Starts the child process: [wrapper...] exe --actr-child --actr-boot-fd
 * N, the boot record already waiting on the socket N (nothing about the
 * child on its command line). *bootfd is our end, for its boot status. */
static int
start_process(actr_actor *a, struct child *ch, const char *exe, const actr_spawn_opts *o,
              int *pid, int *bootfd)
{
    wordexp_t we;
    int rc = child_wrapper(o, &we);
    if (rc < 0)
        return rc;
    struct child_args ca = {.ppid = a->pid, .wrapped = we.we_wordc > 0,
                            .insecure = a->insecure,
                            .loglevel = o && o->loglevel ? o->loglevel : actr_log_get_level()};
    snprintf(ca.name, sizeof ca.name, "%s", ch->name);
    snprintf(ca.uuid, sizeof ca.uuid, "%s", ch->uuid);
    snprintf(ca.parent, sizeof ca.parent, "%s", a->url);
    int sp[2] = {-1, -1};
    char **argv = calloc(we.we_wordc + 5, sizeof *argv);
    if (!argv)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory to spawn child %s", ch->name);
    else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        rc = actr_error_set(ACTR_EIO, "cannot spawn child %s: socketpair: %s", ch->name,
                            strerror(errno));
    else if (actri_child_args_send(sp[0], &ca) < 0 || shutdown(sp[0], SHUT_WR) < 0)
        rc = actr_error_set(ACTR_EIO, "cannot spawn child %s: boot record: %s", ch->name,
                            strerror(errno));
    if (rc == 0) {
        char fd[16];
        snprintf(fd, sizeof fd, "%d", sp[1]);
        size_t n = 0;
        for (size_t i = 0; i < we.we_wordc; i++)
            argv[n++] = we.we_wordv[i];
        argv[n++] = (char *)exe;
        argv[n++] = "--actr-child";
        argv[n++] = "--actr-boot-fd";
        argv[n++] = fd;
        posix_spawn_file_actions_t fa;
        int err = posix_spawn_file_actions_init(&fa);
        /* dup2 onto itself clears close-on-exec: only this end goes. */
        if (!err && !(err = posix_spawn_file_actions_adddup2(&fa, sp[1], sp[1])))
            err = we.we_wordc ? posix_spawnp(pid, argv[0], &fa, NULL, argv, environ)
                              : posix_spawn(pid, exe, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (err)
            rc = actr_error_set(err == ENOENT || err == EACCES ? ACTR_ENOTFOUND : ACTR_EIO,
                                "cannot spawn %s as child %s: %s", argv[0], ch->name,
                                strerror(err));
        else
            actr_log_runtime(ACTOR_TAG, "spawned child %s.%s pid %d (%s%s%s)", ch->name,
                             ch->uuid, *pid, we.we_wordc ? argv[0] : "",
                             we.we_wordc ? " ... " : "", exe);
    }
    if (sp[1] >= 0)
        close(sp[1]);
    if (rc < 0 && sp[0] >= 0)
        close(sp[0]);
    *bootfd = sp[0];
    free(argv);
    if (we.we_wordc)
        wordfree(&we);
    return rc;
}

static int
spawn_child(actr_actor_nursery *an, const char *name, const actr_spawn_opts *o,
            struct child **out)
{
    actr_actor *a = an->a;
    if (!name || !*name || strlen(name) >= sizeof ((struct child *)0)->name)
        return actr_error_set(ACTR_EINVAL, "a child needs a name of 1..63 bytes");
    for (const char *c = name; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return actr_error_set(ACTR_EINVAL, "child name \"%s\" has a control character",
                                  name);
    struct child *ch = calloc(1, sizeof *ch);
    if (!ch)
        return actr_error_set(ACTR_ENOMEM, "out of memory for a child");
    snprintf(ch->name, sizeof ch->name, "%s", name);
    actri_uuid4(ch->uuid);
    ch->an = an;
    actr_event_init(&ch->ready);
    actr_event_init(&ch->end.exited);
    actr_event_init(&ch->result_ev);
    actr_event_init(&ch->wake);
    actr_event_init(&ch->sup_done);

    const char *exe = o && o->exe ? o->exe : actri_self_exe();
    int pid, bootfd = -1;
    ch->tractor = o && o->tractor;
    int rc = o && o->tractor ? actri_tractor_child_start(a, ch, o, &exe, &pid)
                             : start_process(a, ch, exe, o, &pid, &bootfd);
    if (rc < 0) {
        free(ch);
        return rc;
    }
    ch->pid = pid;
    ch->starting = 1;             /* until it started: the start's error tells */
    ch->next = an->children;
    an->children = ch;
    ch->pending = 1;
    ch->pnext = a->pending;
    a->pending = ch;

    actr_task_opts to = {.name = "reaper"};
    if (actr_nursery_spawn_opts(an->tn, reaper_task, ch, &to) < 0) {
        /* No task to reap it: do it here, the hard way. */
        if (bootfd >= 0)
            close(bootfd);
        kill(pid, SIGKILL);
        int st;
        actr_child_wait(pid, &st, ACTR_FOREVER);
        ch->exited = 1;
        unpend(a, ch);
        return actr_error_set(ACTR_ENOMEM, "no task to supervise child %s", name);
    }
    int64_t deadline = actr_deadline_in(CONNECT_TIMEOUT_MS);
    rc = actr_event_wait(&ch->ready, deadline);
    unpend(a, ch);
    if (rc == 0 && !ch->link) {
        char how[64];
        actri_child_exit_text(ch, how, sizeof how);
        rc = actr_error_set(ACTR_ECLOSED, "child %s (pid %d) %s before connecting back",
                            name, pid, how);
    }
    else if (rc == ACTR_ETIMEDOUT)
        actr_error_set(rc, "child %s (pid %d) did not connect back within %d ms", name, pid,
                       CONNECT_TIMEOUT_MS);
    if (rc == 0)
        rc = actri_spawnspec_send(a, ch->link, o, exe);
    if (rc == 0 && bootfd >= 0)
        rc = wait_boot(ch, bootfd, deadline);
    if (bootfd >= 0)
        close(bootfd);
    if (rc == 0)
        rc = actri_portal_new(ch->link, ch, &ch->portal);
    if (rc < 0) {
        if (!ch->exited)
            kill_child(ch);       /* the reaper task reaps it */
        return rc;
    }
    ch->starting = 0;
    *out = ch;
    return 0;
}

static int
start_supervisor(actr_actor_nursery *an, struct child *ch)
{
    actr_task_opts to = {.name = "supervisor"};
    int rc = actr_nursery_spawn_opts(an->tn, supervisor_task, ch, &to);
    if (rc < 0)
        kill_child(ch);
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
        kill_child(ch);
        return actr_error_set(ACTR_ENOMEM, "out of memory for a call");
    }
    c->t_result = ep ? ep->result : &actr_type_any;
    ch->run = 1;
    ch->run_ctx = c;
    rc = actri_ctx_start(c, ns, ep ? ep->func : func, ep ? ep->args : NULL, args, kw);
    if (rc == 0)
        rc = start_supervisor(an, ch);
    else
        kill_child(ch);
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
actr_actor_nursery_stop(actr_actor_nursery *an, actr_portal *p, int *status)
{
    struct child *ch = p ? p->child : NULL;
    if (!an || !ch || ch->an != an || ch->run)
        return actr_error_set(ACTR_EINVAL, "actr_actor_nursery_stop: not a daemon child of"
                              " this nursery");
    actr_scope sh;
    if (actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) < 0)
        return actr_error_set(ACTR_ESTATE, "actr_actor_nursery_stop outside a task");
    CANCEL_LOG(an->a, NULL, "stopping child %s.%s (pid %d)", ch->name, ch->uuid, ch->pid);
    actr_event_set(&ch->wake);
    /* Its supervisor task tears it down and reaps it; then it is ours. */
    actr_event_wait(&ch->sup_done, ACTR_FOREVER);
    actr_scope_exit(&sh);
    if (status)
        *status = ch->status;
    for (struct child **pp = &an->children; *pp; pp = &(*pp)->next)
        if (*pp == ch) {
            *pp = ch->next;
            break;
        }
    child_free(an, ch);
    return 0;
}

int
actr_portal_wait_exit(actr_portal *p, int *status, int64_t deadline)
{
    struct child *ch = p ? p->child : NULL;
    if (!ch)
        return actr_error_set(ACTR_EINVAL, "actr_portal_wait_exit: not a child's portal");
    int rc = actr_event_wait(&ch->end.exited, deadline);
    if (rc < 0)
        return rc;
    if (status)
        *status = ch->status;
    ch->death_taken = 1;          /* the caller deals with it, not close */
    return 0;
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
    set_closing(an);
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
    set_closing(an);
    int rc = actr_nursery_close(an->tn, ACTR_FOREVER);
    record_deaths(an);
    if (an->failed.n > 0)
        rc = report_errors(an);
    nursery_free(an);
    return rc;
}

static void
child_free(actr_actor_nursery *an, struct child *ch)
{
    unpend(an->a, ch);
    actri_ctx_unref(ch->run_ctx);
    actri_portal_free(ch->portal);
    if (ch->link) {
        ch->link->child_end = NULL;
        actri_link_unref(ch->link);
    }
    free(ch);
}

static void
nursery_free(actr_actor_nursery *an)
{
    while (an->children) {
        struct child *ch = an->children;
        an->children = ch->next;
        child_free(an, ch);
    }
    free_errors(&an->failed);
    free_errors(&an->cancelled);
    free(an);
}
