/* The root's terminal lock and the debugger it runs (actor/debug.h,
 * SEMANTICS S25): `actr:debug_lock` and `actr:debug_idle`
 * (idl/actr_debug.actor), served by the root of a tree in debug mode.
 *
 * One actor at a time holds the terminal, in the order they asked (an
 * actr_lock is FIFO). For the holder the root runs gdb on its own
 * terminal, attached to the holder's process, in a process group of its
 * own made the terminal's foreground group: Ctrl-C, Ctrl-Z and Ctrl-\
 * go to gdb and never to the tree. The session is gdb's life: when gdb
 * exits the root takes the foreground back and the next actor in line
 * gets the terminal. Without a usable terminal or debugger the lock
 * alone is granted (the holder prints its backtraces meanwhile).
 *
 * gdb is told, with -ex commands (nothing is written to disk):
 *   - to quit at once when it could not attach (exit status 7);
 *   - to quit when its inferior exits or dies, and after any detach;
 *   - to set the holder's go flag once the holder is stopped (the holder
 *     waits for it, blocked, so its stopped task is on the thread's
 *     stack where gdb finds it);
 *   - a crash: to continue, so that the fault happens again under gdb
 *     and stops at the faulting instruction;
 *     anything else: to select the caller of the named function (the
 *     task's frame that stopped: the caller of actr_pause, the endpoint
 *     that failed);
 *   - that `continue` detaches (and so quits): the actor goes on, its
 *     failure propagates, and the terminal is free again. Stepping
 *     commands stay gdb's. */
#define _GNU_SOURCE
#include "actor/debug.h"

#include "actor/callee.h"
#include "actor/hooks.h"
#include "actor/link.h"
#include "actr_debug.actor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

#define DEBUG_TAG "debug"
/* gdb's exit status when it could not attach (its first command). */
#define GDB_NO_ATTACH 7
/* How long a holder without a debugger may take to print its
 * backtraces before the root takes the terminal back. */
#define PRINT_SESSION_MS 60000

/* An actor holding or waiting for the lock (on its asking task's
 * stack). */
struct asker {
    struct asker *next;
    int pid;
};

/* A task waiting for an asker to leave (on its stack). */
struct watcher {
    struct watcher *next;
    actr_event left;
};

static struct {
    actr_actor *a;
    int ready;
    actr_lock lock;                /* the terminal */
    struct asker *askers;          /* every holder and waiter */
    struct watcher *watchers;      /* woken, and dropped, when one leaves */
    volatile pid_t gdb_pid;        /* the session's gdb, 0 between sessions */
    pid_t fg;                      /* foreground group to give back */
    char gdb[PATH_MAX];            /* the debugger, "" when none */
    /* gdb's command line: built in static storage, so that the root's
     * fatal-signal handler can start gdb without memory. */
    char pid_arg[24];
    char go_arg[64];
    char select_arg[400];
    char *argv[32];
} T;

const actr_module *
actri_debug_module(void)
{
    return &actr_debug_module;
}

/* ------------------------------------------------------------ setup */

static int
executable(const char *path)
{
    return access(path, X_OK) == 0;
}

/* Finds name on the PATH into out. */
static int
find_on_path(const char *name, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        if (n > 0 && (size_t)snprintf(out, cap, "%.*s/%s", (int)n, path, name) < cap &&
            executable(out))
            return 1;
        path += n + (end ? 1 : 0);
    }
    out[0] = 0;
    return 0;
}

void
actri_tty_init(actr_actor *a)
{
    T.a = a;
    if (T.ready)
        return;
    actr_lock_init(&T.lock);
    const char *g = actr_env_get(ACTR_ENV_GDB);
    int found;
    if (g && *g && strchr(g, '/'))
        found = (size_t)snprintf(T.gdb, sizeof T.gdb, "%s", g) < sizeof T.gdb && executable(T.gdb);
    else
        found = find_on_path(g && *g ? g : "gdb", T.gdb, sizeof T.gdb);
    if (!found) {
        T.gdb[0] = 0;
        actr_log_warning(DEBUG_TAG, "debug mode: no debugger (%s%s): stopped actors print"
                         " their backtraces instead", g && *g ? "ACTR_GDB=" : "gdb on the PATH",
                         g && *g ? g : "");
    }
    T.ready = 1;
}

int
actri_tty_usable(void)
{
    return T.ready && T.gdb[0] && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
           tcgetpgrp(STDIN_FILENO) == getpgrp();
}

/* ------------------------------------------------------------ the lock */

static void
asker_remove(struct asker *k)
{
    for (struct asker **pp = &T.askers; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            break;
        }
    for (struct watcher *w = T.watchers; w; w = w->next)
        actr_event_set(&w->left);
    T.watchers = NULL;
}

static int
tty_acquire(struct asker *k, int pid)
{
    k->pid = pid;
    k->next = T.askers;
    T.askers = k;
    int rc = actr_lock_acquire(&T.lock, ACTR_FOREVER);
    if (rc < 0)
        asker_remove(k);
    return rc;
}

static void
tty_release(struct asker *k)
{
    (void)actr_lock_release(&T.lock);
    asker_remove(k);
}

/* The root's own stops hold the lock from debug.c: one at a time per
 * process, so one asker record will do. */
static struct asker self_asker;

int
actri_tty_acquire(int pid)
{
    return tty_acquire(&self_asker, pid);
}

void
actri_tty_release(int pid)
{
    (void)pid;
    tty_release(&self_asker);
}

/* Reads the start of a small file (of /proc) into buf, NUL-terminated;
 * its length or -1. Async-signal-safe. */
ssize_t
actri_debug_read_proc(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    return n;
}

/* The parent of process pid, from /proc; 0 when unknown. */
static int
parent_of(int pid)
{
    char path[48], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (actri_debug_read_proc(path, buf, sizeof buf) <= 0)
        return 0;
    /* "pid (comm) state ppid ...": comm may hold anything but the last ')' */
    char *p = strrchr(buf, ')');
    int ppid = 0;
    char state;
    if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
        return 0;
    return ppid;
}

/* 1 when process p is anc or one of its descendants. */
static int
in_subtree(int p, int anc)
{
    for (int depth = 0; depth < 64 && p > 1; depth++) {
        if (p == anc)
            return 1;
        p = parent_of(p);
    }
    return 0;
}

static int
subtree_busy(int pid)
{
    for (const struct asker *k = T.askers; k; k = k->next)
        if (in_subtree(k->pid, pid))
            return 1;
    return 0;
}

int
actri_tty_wait_idle(int pid)
{
    int waited = 0;
    while (T.ready && subtree_busy(pid)) {
        if (!waited)
            actr_log_info(DEBUG_TAG, "teardown of pid %d waits: an actor below it is in the"
                          " debugger or waits for it", pid);
        waited = 1;
        struct watcher w = {T.watchers, ACTR_EVENT_INIT};
        actr_event_init(&w.left);
        T.watchers = &w;
        if (actr_event_wait(&w.left, ACTR_FOREVER) < 0) {
            for (struct watcher **pp = &T.watchers; *pp; pp = &(*pp)->next)
                if (*pp == &w) {
                    *pp = w.next;
                    break;
                }
            break;
        }
    }
    return waited;
}

/* ------------------------------------------------------------ gdb */

/* gdb's commands, in order (see the top of this file). */
#define CMD_CONFIRM "set confirm off"
#define CMD_NO_ATTACH "python exec(\"if gdb.selected_inferior().pid == 0:\\n" \
                      "    gdb.execute('quit 7')\")"
#define CMD_HOOK_EXIT "python gdb.execute(\"define hook-stop\\n" \
                      "if !$_isvoid($_exitsignal) || !$_isvoid($_exitcode)\\n" \
                      "quit\\nend\\nend\")"
#define CMD_HOOK_DETACH "python gdb.execute(\"define hookpost-detach\\nquit\\nend\")"
#define CMD_HOOK_CONTINUE "python gdb.execute(\"define hook-continue\\ndetach\\nend\")"
#define CMD_SELECT "python exec(\"f = gdb.newest_frame()\\n" \
                   "while f is not None and f.name() != '%s':\\n" \
                   "    f = f.older()\\n" \
                   "if f is not None and f.older() is not None:\\n" \
                   "    f.older().select()\\n" \
                   "    gdb.execute('frame')\")"

/* 1 when s is a C identifier (a frame name that may go into a gdb
 * command: it came over the network). */
static int
is_ident(const char *s)
{
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

void
actri_debug_say(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0 && errno != EINTR)
            return;
        if (w > 0) {
            s += w;
            n -= (size_t)w;
        }
    }
}

int
actri_gdb_spawn(int pid, const char *frame, uintptr_t go, const char *who, const char *reason)
{
    if (!T.gdb[0] || (frame[0] && !is_ident(frame)))
        return 0;
    size_t i = 0;
    snprintf(T.pid_arg, sizeof T.pid_arg, "%d", pid);
    snprintf(T.go_arg, sizeof T.go_arg, "set var *(int *)%#llx = 1", (unsigned long long)go);
    T.argv[i++] = T.gdb;
    T.argv[i++] = "-q";
    /* No pager while gdb attaches and runs our commands; the user's
     * setting comes back for the session. */
    T.argv[i++] = "-iex";
    T.argv[i++] = "set pagination off";
    T.argv[i++] = "-p";
    T.argv[i++] = T.pid_arg;
    const char *cmds[10];
    size_t nc = 0;
    cmds[nc++] = CMD_CONFIRM;
    cmds[nc++] = CMD_NO_ATTACH;
    cmds[nc++] = CMD_HOOK_EXIT;
    cmds[nc++] = CMD_HOOK_DETACH;
    cmds[nc++] = T.go_arg;
    if (frame[0]) {
        snprintf(T.select_arg, sizeof T.select_arg, CMD_SELECT, frame);
        cmds[nc++] = T.select_arg;
    } else {
        cmds[nc++] = "continue";
    }
    cmds[nc++] = CMD_HOOK_CONTINUE;
    cmds[nc++] = "set pagination on";
    for (size_t c = 0; c < nc; c++) {
        T.argv[i++] = "-ex";
        T.argv[i++] = (char *)cmds[c];
    }
    T.argv[i] = NULL;

    actri_debug_say("actr: debug: actor ");
    actri_debug_say(who);
    actri_debug_say(" (pid ");
    actri_debug_say(T.pid_arg);
    actri_debug_say(") stopped: ");
    actri_debug_say(reason);
    actri_debug_say("\nactr: debug: gdb attaches on this terminal; continue, detach or quit"
        " ends the session\n");

    /* Everything blocked across the vfork: the child must run no handler
     * of ours, and may take the terminal's foreground from the
     * background (no SIGTTOU). */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t fg = tcgetpgrp(STDIN_FILENO);
    pid_t g = vfork();
    if (g == 0) {
        static const int dfl[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU,
                                  SIGPIPE, SIGCHLD, SIGHUP, SIGTERM};
        sigset_t none;
        setpgid(0, 0);
        tcsetpgrp(STDIN_FILENO, getpid());
        for (size_t s = 0; s < sizeof dfl / sizeof dfl[0]; s++)
            signal(dfl[s], SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(T.gdb, T.argv, environ);
        _exit(127);
    }
    if (g > 0) {
        setpgid(g, g);                  /* (already done by the child) */
        tcsetpgrp(STDIN_FILENO, g);
        T.fg = fg;
        T.gdb_pid = g;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return g > 0 ? g : 0;
}

/* Takes the terminal's foreground back for the group that had it. */
static void
take_terminal_back(void)
{
    sigset_t ttou, old;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &old);
    if (T.fg > 0)
        tcsetpgrp(STDIN_FILENO, T.fg);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int
actri_gdb_wait(int gdb_pid)
{
    actr_scope sh;
    int st = 0;
    int shielded = actr_scope_enter(&sh, ACTR_FOREVER, ACTR_SCOPE_SHIELD) == 0;
    while (actr_child_wait(gdb_pid, &st, ACTR_FOREVER) < 0 && shielded)
        ;
    if (shielded)
        actr_scope_exit(&sh);
    take_terminal_back();
    T.gdb_pid = 0;
    return st;
}

void
actri_tty_crash_wait(void)
{
    pid_t g = T.gdb_pid;
    if (g <= 0)
        return;
    actri_debug_say("actr: debug: the root crashed during a session: waiting for it to end\n");
    int st;
    while (waitpid(g, &st, 0) < 0 && errno == EINTR)
        ;
    take_terminal_back();
    T.gdb_pid = 0;
}

/* ------------------------------------------------------------ endpoints */

/* Printable, bounded copy of a string from the network. */
static void
clean_copy(char *out, size_t cap, actr_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[n] = 0;
}

int
actr_debug_debug_lock_impl(actr_debug_debug_lock_call *h, actr_str uid, int64_t pid,
                           actr_str reason, actr_str frame, uint64_t go, int64_t *out)
{
    actr_call *call = actr_debug_debug_lock_call_base(h);
    actr_actor *a = actr_self();
    char who[200], why[300], fn[128];
    clean_copy(who, sizeof who, uid);
    clean_copy(why, sizeof why, reason);
    clean_copy(fn, sizeof fn, frame);
    if (!a || !a->is_root || !a->debug_mode || !T.ready)
        return actr_call_fail(call, "DebugRequestError", "actor %s is not the root of a tree"
                              " in debug mode", a ? a->uid.name : "?");
    if (pid <= 1 || pid > INT_MAX || (fn[0] && !is_ident(fn)))
        return actr_call_fail(call, "DebugRequestError", "bad debugger request from %s", who);
    /* gdb goes only to the asker itself, and only inside our tree. */
    if (pid != actri_link_peer_pid(actri_call_link(call)) || !in_subtree((int)pid, getpid()))
        return actr_call_fail(call, "DebugRequestError", "%s asks a debugger for pid %lld,"
                              " which is not its own or not in this tree", who, (long long)pid);
    struct asker k;
    int rc = tty_acquire(&k, (int)pid);
    if (rc < 0)
        return rc;
    actr_log_info(DEBUG_TAG, "actor %s (pid %d) holds the terminal: %s", who, (int)pid, why);
    int gdb_mode = actri_tty_usable();
    rc = actr_debug_debug_lock_call_started(h, gdb_mode ? 1 : 0);
    int gdb = 0;
    actr_str v;
    if (rc == 0 && gdb_mode) {
        /* The holder says "ready" once it waits, blocked, for gdb. */
        rc = actr_debug_debug_lock_call_recv(h, &v);
        if (rc == 0) {
            actr_codec_free(&actr_type_string, &v);
            gdb = actri_gdb_spawn((int)pid, fn, (uintptr_t)go, who, why);
            if (gdb > 0) {
                int st = actri_gdb_wait(gdb);
                *out = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                if (*out == GDB_NO_ATTACH)
                    actr_log_warning(DEBUG_TAG, "gdb could not attach to %s (pid %d): is"
                                     " ptrace allowed here?", who, (int)pid);
            } else {
                rc = actr_debug_debug_lock_call_send(h, (actr_str){"nogdb", 5});
            }
        }
    }
    if (rc == 0 && gdb == 0) {
        /* The lock alone: the holder prints, then ends the dialog. */
        actr_scope sc;
        if (actr_scope_enter(&sc, actr_deadline_in(PRINT_SESSION_MS), 0) == 0) {
            while (actr_debug_debug_lock_call_recv(h, &v) == 0)
                actr_codec_free(&actr_type_string, &v);
            actr_scope_exit(&sc);
        }
    }
    tty_release(&k);
    actr_log_info(DEBUG_TAG, "actor %s (pid %d) gave the terminal back", who, (int)pid);
    /* A crash's channel carries this one dialog, and its process dies
     * now without reading our answer: close it first, quietly, rather
     * than write to a dying socket and read its reset. */
    if (!fn[0])
        actri_link_shutdown(actri_call_link(call), ACTR_ECLOSED);
    return 0;
}

int
actr_debug_debug_idle_impl(actr_call *call, int64_t pid, bool *out)
{
    actr_actor *a = actr_self();
    if (!a || !a->is_root || !T.ready)
        return actr_call_fail(call, "DebugRequestError", "not the root of a tree in debug"
                              " mode");
    *out = pid > 1 && pid <= INT_MAX && actri_tty_wait_idle((int)pid);
    return 0;
}
