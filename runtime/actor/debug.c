/* Debug mode in every actor (actor/debug.h, SEMANTICS S25): the mode, and
 * an actor that stops.
 *
 * What stops an actor: a crash (the fatal-signal hook, core/crash.c), an
 * endpoint that fails (when the filter agrees) and actr_pause. The actor
 * asks the root for the terminal with `actr:debug_lock`
 * (idl/actr_debug.actor, served by ttylock.c): a child over a portal to
 * the root, the root itself directly. Once it is its turn and the root
 * will run gdb, the actor says "ready" and blocks, without switching
 * tasks, until gdb has stopped it and set its go flag: the stopped task
 * must be on the thread's stack, where gdb finds it. When gdb detaches
 * (continue, detach, quit) the actor goes on from there: a crash ends
 * the process with its signal, a failure is answered as usual, a pause
 * returns. Without a debugger the actor prints the backtrace of every
 * task while it holds the lock, and goes on.
 *
 * A crash cannot use the loop any more: a child opens a second
 * connection to the root when it starts (the crash channel), detached
 * from the loop, and the fatal-signal handler speaks the same dialog on
 * it with frames encoded in advance and plain blocking reads and writes.
 * When the process dies the channel closes, which ends its dialog in the
 * root. */
#define _GNU_SOURCE
#include "actor/debug.h"

#include "actor/callee.h"
#include "actor/hooks.h"
#include "actor/link.h"
#include "actor/spawn.h"
#include "actr_debug.actor.h"
#include "core/backtrace.h"
#include "ipc/channel.h"
#include "wire/mp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEBUG_TAG "debug"
/* How long a stopped actor waits for gdb to stop it (gdb reads the
 * program's symbols first) before it prints its backtraces instead. */
#define ATTACH_WAIT_MS 120000

static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define NFATAL (sizeof fatal_sigs / sizeof fatal_sigs[0])

/* A frame encoded in advance, written as it is. */
struct rawframe {
    uint8_t *p;
    size_t n;
};

static struct {
    actr_actor *a;
    int on;                        /* debug mode */
    actr_debug_filter_fn filter;   /* which failures stop (NULL: default) */
    void *filter_arg;
    volatile int go;               /* gdb sets it once it has stopped us */
    actr_lock one;                 /* one stop of this actor at a time */
    int one_ready;
    char uid[ACTRI_UUID_LEN + 80]; /* "name.uuid" */
    char who[ACTRI_UUID_LEN + 90]; /* "actor name.uuid" */
    actr_portal *root;             /* a child's portal to the root */
    /* a child's crash channel */
    int crash_fd;
    struct rawframe start[NFATAL]; /* Start debug_lock, one per signal */
    struct rawframe ready;         /* Yield "ready" */
} D = {.crash_fd = -1};

int
actr_debug_mode(void)
{
    return D.on;
}

void
actr_debug_set_filter(actr_debug_filter_fn fn, void *arg)
{
    D.filter = fn;
    D.filter_arg = arg;
}

int
actr_debug_filter_default(const actr_endpoint *ep, const actr_error *e, void *arg)
{
    (void)ep;
    (void)arg;
    if (!e)
        return 1;
    if (e->code == ACTR_ECANCELED || e->code == ACTR_ECTXCANCEL || e->code == ACTR_ECLOSED)
        return 0;
    /* An error relayed from another actor stopped that actor already. */
    return !e->src_uid || strcmp(e->src_uid, D.uid) == 0;
}

/* ------------------------------------------------------------ helpers */

/* ACTR_DEBUG: a switch (actr/env.h warns once about a bad value). */
static int
env_debug(void)
{
    return actr_env_bool(ACTR_ENV_DEBUG, 0);
}

/* Yama (ptrace_scope 1) lets only an ancestor trace a process, unless it
 * names its tracer: the root, whose gdb is its child. */
static void
allow_tracer(int pid)
{
    if (pid > 0)
        (void)prctl(PR_SET_PTRACER, (unsigned long)pid, 0UL, 0UL, 0UL);
}

/* Who traces us (TracerPid of /proc/self/status), 0 when nobody.
 * Async-signal-safe. */
static int
tracer_pid(void)
{
    char buf[2048];
    if (actri_debug_read_proc("/proc/self/status", buf, sizeof buf) <= 0)
        return 0;
    const char *p = strstr(buf, "TracerPid:");
    if (!p)
        return 0;
    p += 10;
    while (*p == ' ' || *p == '\t')
        p++;
    int v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
    return v;
}

/* 1 once our child gdb has exited (left for the loop to reap). */
static int
child_gone(int pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
        return errno != EINTR;
    return si.si_pid == pid;
}

/* Blocks, without switching tasks, until gdb has stopped us and set
 * D.go. A readable fd (the root answered: gdb ended or there is none)
 * or, for the root's own gdb, its exit ends the wait first. Returns 1 when
 * gdb had us. Async-signal-safe. */
static int
wait_go(int fd, int gdb_pid)
{
    for (int waited = 0; waited < ATTACH_WAIT_MS; waited += 10) {
        if (D.go)
            return 1;
        if (fd >= 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, 10) > 0)
                return D.go;
            continue;
        }
        if (gdb_pid > 0 && child_gone(gdb_pid))
            return D.go;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return D.go;
}

/* Without a debugger: says why the actor stopped and prints the
 * backtrace of every task, the stopped one from the caller of after. */
static void
print_stopped(const char *reason, const char *note, const char *after)
{
    char head[600];
    snprintf(head, sizeof head, "actr: debug: actor %s (pid %d) stopped: %s%s%s\n"
             "actr: backtrace of every task, innermost frame first:\n", D.uid, (int)getpid(),
             reason, note ? "\nactr: debug: " : "", note ? note : "");
    actri_debug_say(head);
    actri_bt_all_after(STDERR_FILENO, after);
}

/* ------------------------------------------------------------ the crash channel */

static void
rawframe_free(struct rawframe *f)
{
    free(f->p);
    f->p = NULL;
    f->n = 0;
}

/* Encodes m into f. */
static int
rawframe_set(struct rawframe *f, const actr_msg *m)
{
    actr_wbuf w = ACTR_WBUF_INIT;
    int rc = actr_msg_encode(m, &w);
    if (rc < 0) {
        actr_wbuf_destroy(&w);
        return rc;
    }
    f->p = w.ptr;
    f->n = w.len;
    return 0;
}

static actr_str
zstr(const char *z)
{
    return (actr_str){(char *)z, strlen(z)};
}

/* The frames a crash sends: Start debug_lock for each fatal signal, and
 * the "ready" that follows the grant. */
static int
encode_crash_frames(actr_actor *a)
{
    char cid[ACTRI_UUID_LEN + 1];
    actri_uuid4(cid);
    int rc = 0;
    for (size_t i = 0; i < NFATAL && rc == 0; i++) {
        actr_debug_debug_lock_args args = {zstr(D.uid), getpid(),
                                           zstr(actri_signame(fatal_sigs[i])), zstr(""),
                                           (uint64_t)(uintptr_t)&D.go};
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        rc = actr_codec_encode_buf(&sb, &actr_debug_debug_lock_args_type, &args, NULL);
        if (rc == 0) {
            actr_msg m = {.type = ACTR_MSG_START};
            m.u.start.cid = zstr(cid);
            m.u.start.ns = zstr("actr");
            m.u.start.func = zstr("debug_lock");
            m.u.start.kwargs = (actr_any){(uint8_t *)sb.data, sb.size};
            m.u.start.uid = actri_self_uid(a);
            rc = rawframe_set(&D.start[i], &m);
        }
        msgpack_sbuffer_destroy(&sb);
    }
    static const uint8_t ready[] = {0xa5, 'r', 'e', 'a', 'd', 'y'};
    actr_msg y = {.type = ACTR_MSG_YIELD};
    y.u.yield.cid = zstr(cid);
    y.u.yield.pld = (actr_any){(uint8_t *)ready, sizeof ready};
    if (rc == 0)
        rc = rawframe_set(&D.ready, &y);
    return rc;
}

/* Connects to the root, handshakes, and keeps the bare socket (blocking)
 * for the fatal-signal handler. */
static int
crash_channel_open(actr_actor *a)
{
    if (a->root_mailbox.kind == ACTR_ADDR_NONE)
        return actr_error_set(ACTR_ENOTFOUND, "the root's address is unknown");
    actr_ipc *ipc;
    int64_t dl = actr_deadline_in(ACTR_HANDSHAKE_TIMEOUT_MS);
    int rc = actr_ipc_connect(&a->root_mailbox, NULL, &ipc, dl);
    if (rc < 0)
        return rc;
    /* Authenticated, but never encrypted: the signal handler writes its
     * frames raw (they carry our uid, pid and signal; actor README). */
    actri_ipc_plain(ipc);
    actr_msg_aid aid;
    actri_self_aid(a, &aid);
    int fd = -1, root_pid = 0;
    if ((rc = actr_ipc_handshake(ipc, &aid, dl)) == 0) {
        const actr_msg_aid *peer = actr_ipc_peer(ipc);
        root_pid = peer && peer->has_pid ? (int)peer->pid : 0;
        fd = actri_ipc_take_fd(ipc, dl);  /* no graceful close: it stays open */
        if (fd < 0)
            rc = actr_error_set(ACTR_EIO, "the crash channel to the root broke");
    } else {
        actr_ipc_close(ipc, 0);
    }
    if (rc == 0)
        rc = encode_crash_frames(a);
    if (rc < 0) {
        if (fd >= 0)
            close(fd);
        return rc;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    D.crash_fd = fd;
    allow_tracer(root_pid);
    return 0;
}

static int
write_all(int fd, const struct rawframe *f)
{
    const uint8_t *p = f->p;
    size_t n = f->n;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        p += w;
        n -= (size_t)w;
    }
    return p != NULL;
}

static int
read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        p += r;
        n -= (size_t)r;
    }
    return 1;
}

/* Reads the root's answer to a crash's Start: the started value (1: gdb
 * will run, 0: print), or -1 (an Error, the channel's end). */
static int
read_grant(int fd)
{
    static uint8_t buf[8192];
    for (;;) {
        uint8_t h[4];
        if (!read_all(fd, h, 4))
            return -1;
        uint32_t n = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
                     (uint32_t)h[3] << 24;
        if (n > sizeof buf || !read_all(fd, buf, n))
            return -1;
        actr_msg m;
        if (actr_msg_decode(buf, n, &m, NULL) < 0)
            return -1;
        if (m.type == ACTR_MSG_STARTACK)
            continue;
        struct mp_val v;
        if (m.type != ACTR_MSG_STARTED ||
            mp_head(m.u.started.pld.ptr, m.u.started.pld.ptr + m.u.started.pld.len, &v) <= 0 ||
            v.kind != MP_INT)
            return -1;
        return v.v.i == 1;
    }
}

/* A child's crash, in the fatal-signal handler: the dialog on the crash
 * channel. Returns with gdb attached (the fault then happens again
 * under it) or the backtraces printed. */
static void
child_crash(int sig, siginfo_t *si, void *uc)
{
    int i = -1;
    for (size_t k = 0; k < NFATAL; k++)
        if (fatal_sigs[k] == sig)
            i = (int)k;
    int fd = D.crash_fd;
    const char *note = "no terminal lock: the crash channel to the root is missing";
    if (fd >= 0 && i >= 0 && write_all(fd, &D.start[i])) {
        int mode = read_grant(fd);
        note = mode < 0 ? "no terminal lock: the root refused or went away" : NULL;
        D.go = 0;
        if (mode == 1 && write_all(fd, &D.ready) && wait_go(fd, 0))
            return;
        if (mode == 1)
            note = "gdb did not attach";
    }
    if (note) {
        actri_debug_say("actr: debug: ");
        actri_debug_say(note);
        actri_debug_say("\n");
    }
    actri_bt_crash_report(STDERR_FILENO, D.who, sig, si, uc);
    /* Closing the channel ends the dialog: the lock is free. */
    if (fd >= 0) {
        close(fd);
        D.crash_fd = -1;
    }
}

/* The root's crash: its own gdb, once the session running now ended. */
static void
root_crash(int sig, siginfo_t *si, void *uc)
{
    if (actri_tty_usable()) {
        actri_tty_crash_wait();
        D.go = 0;
        int gdb = actri_gdb_spawn(getpid(), "", (uintptr_t)&D.go, D.uid, actri_signame(sig));
        if (gdb > 0 && wait_go(-1, gdb))
            return;
        actri_debug_say("actr: debug: gdb did not attach\n");
    }
    actri_bt_crash_report(STDERR_FILENO, D.who, sig, si, uc);
}

/* The crash hook (core/backtrace.h): the process dies of the signal
 * when it returns. */
static void
on_crash(int sig, siginfo_t *si, void *uc)
{
    /* A debugger that already traces us saw the signal first. */
    if (D.a && D.on && tracer_pid() == 0) {
        if (D.a->is_root)
            root_crash(sig, si, uc);
        else
            child_crash(sig, si, uc);
    }
}

/* ------------------------------------------------------------ stopping */

/* A child's portal to the root (opened at its first use). */
static int
root_portal(actr_portal **out)
{
    if (D.root && !actr_portal_connected(D.root)) {
        actr_portal_close(D.root);
        D.root = NULL;
    }
    if (!D.root) {
        char url[ACTR_ADDR_URL_MAX];
        if (D.a->root_mailbox.kind == ACTR_ADDR_NONE ||
            actr_addr_format(&D.a->root_mailbox, url, sizeof url) < 0)
            return actr_error_set(ACTR_ENOTFOUND, "the root's address is unknown");
        int rc = actr_portal_open(url, &D.root);
        if (rc < 0)
            return rc;
        allow_tracer((int)actri_link_peer_pid(D.root->link));
    }
    *out = D.root;
    return 0;
}

static int
stop_root(const char *reason, const char *frame)
{
    int rc = actri_tty_acquire(getpid());
    if (rc < 0)
        return rc;
    int had = 0;
    if (actri_tty_usable()) {
        D.go = 0;
        int gdb = actri_gdb_spawn(getpid(), frame, (uintptr_t)&D.go, D.uid, reason);
        if (gdb > 0) {
            had = wait_go(-1, gdb);
            (void)actri_gdb_wait(gdb);
        }
    }
    if (!had)
        print_stopped(reason, NULL, frame);
    actri_tty_release(getpid());
    return 0;
}

static int
stop_child(const char *reason, const char *frame)
{
    actr_portal *p;
    int rc = root_portal(&p);
    if (rc < 0) {
        print_stopped(reason, "no terminal lock: the root cannot be reached", frame);
        return rc == ACTR_ECANCELED ? rc : 0;
    }
    actr_debug_debug_lock *ctx;
    int64_t mode = 0;
    rc = actr_debug_debug_lock_open(p, zstr(D.uid), getpid(), zstr(reason), zstr(frame),
                                    (uint64_t)(uintptr_t)&D.go, NULL, &ctx, &mode);
    if (rc < 0) {
        if (rc != ACTR_ECANCELED)
            print_stopped(reason, "no terminal lock: the root refused", frame);
        return rc == ACTR_ECANCELED ? rc : 0;
    }
    int had = 0;
    if (mode == 1) {
        D.go = 0;
        rc = actr_debug_debug_lock_send(ctx, zstr("ready"));
        actr_ipc *ipc = p->link->ipc;
        if (rc == 0 && ipc)
            rc = actr_ipc_flush(ipc, actr_deadline_in(LINK_FLUSH_MS));
        if (rc == 0 && ipc)
            had = wait_go(ipc->fd, 0);
    }
    if (!had)
        print_stopped(reason, mode == 1 ? "gdb did not attach" : NULL, frame);
    /* Waits for the root's answer: gdb has exited, or it saw our Stop. */
    (void)actr_debug_debug_lock_close(ctx);
    return 0;
}

/* Stops the actor in the debugger (or prints its backtraces) for reason;
 * gdb shows the caller of function frame. */
static int
stop(const char *reason, const char *frame)
{
    int rc = actr_lock_acquire(&D.one, ACTR_FOREVER);
    if (rc < 0)
        return rc;
    if (tracer_pid() != 0)
        raise(SIGTRAP);             /* someone's debugger has us already */
    else
        rc = D.a->is_root ? stop_root(reason, frame) : stop_child(reason, frame);
    (void)actr_lock_release(&D.one);
    return rc;
}

int
actr_pause(void)
{
    if (!D.on || !D.a)
        return actr_error_set(ACTR_ESTATE, "actr_pause: debug mode is off (turn it on in the"
                              " root: actr_actor_opts.debug_mode or ACTR_DEBUG=1)");
    if (!actri_task_self())
        return actr_error_set(ACTR_ESTATE, "actr_pause outside a task");
    char reason[ACTR_TASK_NAME_MAX + 40];
    snprintf(reason, sizeof reason, "actr_pause() in task '%s'", actr_task_name());
    int rc = stop(reason, "actr_pause");
    __asm__ volatile("" ::: "memory");     /* not a tail call: gdb shows our caller */
    return rc;
}

void
actri_debug_call_failed(struct actr_call *call, int rc, int named)
{
    if (!D.on || call->debug_seen || call->cancel_rpc)
        return;
    call->debug_seen = 1;
    actr_error e = {.code = rc, .message = actr_strerror(rc)};
    const actr_error *last = actr_last_error();
    if (named) {
        e.code = ACTR_EREMOTE;
        e.type_name = call->fail_type;
        e.message = call->fail_msg ? call->fail_msg : "";
    } else if (last->code == rc) {
        e = *last;
    }
    int want = D.filter ? D.filter(call->ep, &e, D.filter_arg)
                        : actr_debug_filter_default(call->ep, &e, NULL);
    if (!want)
        return;
    char reason[400];
    const char *type = e.type_name ? e.type_name : actr_errname(e.code);
    snprintf(reason, sizeof reason, "endpoint %s failed: %s: %.300s", call->ep->wire_name,
             type ? type : "error", e.message ? e.message : "");
    struct actri_errsave saved;
    actri_error_save(&saved);
    (void)stop(reason, named ? "actr_call_fail" : "actri_debug_call_failed");
    actri_error_restore(&saved);
    __asm__ volatile("" ::: "memory");     /* not a tail call: gdb shows our caller */
}

/* ------------------------------------------------------------ teardown */

int
actri_debug_wait_child(actr_actor *a, int pid)
{
    if (!D.on || D.a != a || pid <= 0)
        return 0;
    if (a->is_root)
        return actri_tty_wait_idle(pid);
    struct actri_errsave saved;
    actri_error_save(&saved);
    actr_portal *p;
    bool waited = false;
    int rc = root_portal(&p);
    if (rc == 0)
        rc = actr_debug_debug_idle(p, pid, &waited);
    actri_error_restore(&saved);
    return rc == 0 && waited;
}

/* ------------------------------------------------------------ start, end */

void
actri_debug_start(actr_actor *a)
{
    D.a = a;
    if (a->is_root && !a->debug_mode)
        a->debug_mode = env_debug();
    D.on = a->debug_mode;
    if (!D.on)
        return;
    snprintf(D.uid, sizeof D.uid, "%s.%s", a->uid.name, a->uid.uuid);
    snprintf(D.who, sizeof D.who, "actor %s", D.uid);
    if (!D.one_ready) {
        actr_lock_init(&D.one);
        D.one_ready = 1;
    }
    actri_bt_warm();
    if (a->is_root) {
        actri_tty_init(a);
        allow_tracer(getpid());         /* our gdb is our child */
    } else if (crash_channel_open(a) < 0) {
        actr_log_warning(DEBUG_TAG, "debug mode: no crash channel to the root (%s): a crash"
                         " prints its backtraces", actr_last_error()->message);
    }
    actri_crash_set_hook(on_crash);
    actr_log_runtime(DEBUG_TAG, "debug mode on in actor %s", a->uid.name);
}

void
actri_debug_end(actr_actor *a)
{
    if (D.a != a)
        return;
    if (D.on)
        actri_crash_set_hook(NULL);
    if (D.crash_fd >= 0) {
        close(D.crash_fd);
        D.crash_fd = -1;
    }
    for (size_t i = 0; i < NFATAL; i++)
        rawframe_free(&D.start[i]);
    rawframe_free(&D.ready);
    if (D.root) {
        actr_portal_close(D.root);
        D.root = NULL;
    }
    D.on = 0;
    D.a = NULL;
}
