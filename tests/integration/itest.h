/* Helpers of the integration suites: run a test body as a root actor,
 * find the test actor executable, check that nothing leaked. */
#ifndef ITEST_H
#define ITEST_H

#include <check.h>

#include <actr/actr.h>

#include "testlog.h"
#include "testmod.actor.h"

/* Path of $(BUILD)/tests/bin/<name>. */
const char *itest_bin(const char *name);

/* The testmod endpoint called name. */
const actr_endpoint *itest_ep(const char *name);

/* Spawn options running actor_srv with testmod enabled. */
actr_spawn_opts itest_srv_opts(void);

/* Spawn options running hl_srv with the hlmod module enabled
 * (hlmod.actor: the hilevel suites' actor). */
actr_spawn_opts itest_hl_opts(void);

/* Opens an actor nursery into *an and starts actor_srv (itest_hl: hl_srv)
 * in it as child `name`; returns the child's portal (asserts success). */
actr_portal *itest_open_with_srv(actr_actor_nursery **an, const char *name);
actr_portal *itest_open_with_hl(actr_actor_nursery **an, const char *name);

/* Spawn options running dialogs_srv with the dialogs module enabled
 * (dialogs.actor; its own copy of the path, unlike itest_bin). */
actr_spawn_opts itest_dialogs_opts(void);

/* A test body with an actor nursery and two children in it: "child"
 * (dialogs_srv) and "srv" (actor_srv). */
typedef void (*itest_body_fn)(actr_actor_nursery *an, actr_portal *child, actr_portal *srv);
/* Runs body in a root actor with those two children, then closes the
 * nursery and checks that no task, child process or fd is left. */
void itest_run_with_children(itest_body_fn body);

/* Runs fn(self, arg) as the main task of a root actor named "root";
 * returns actr_main's result. */
int itest_root(actr_actor_fn fn, void *arg);

/* itest_root between itest_begin and itest_end, asserting it succeeds. */
void itest_run_root(actr_actor_fn fn, void *arg);

/* Records the fd count; itest_end asserts it is back and that no child
 * process is left (waitpid(-1) -> ECHILD). */
void itest_begin(void);
void itest_end(void);

/* Counts the open fds of this process. */
int itest_nfds(void);

#define ck_assert_actr_ok(expr)                                                      \
    do {                                                                             \
        int ck_rc_ = (expr);                                                         \
        ck_assert_msg(ck_rc_ >= 0, "%s -> %s: %s", #expr, actr_errname(ck_rc_),      \
                      actr_last_error()->message);                                   \
    } while (0)

#define ck_assert_actr_err(expr, code)                                               \
    do {                                                                             \
        int ck_rc_ = (expr);                                                         \
        ck_assert_msg(ck_rc_ == (code), "%s -> %s (%s), expected %s", #expr,         \
                      actr_errname(ck_rc_) ? actr_errname(ck_rc_) : "0",             \
                      actr_last_error()->message, actr_errname(code));               \
    } while (0)

/* ------------------------------------------------------------ raw peers
 * (tests that play one side of the protocol by hand on an actr_ipc) */

/* A borrowed actr_str of a C string. */
actr_str itest_str(const char *z);

/* 1 when s holds exactly the C string z. */
int itest_str_eq(const actr_str *s, const char *z);

/* Sends Start{cid, ns, func, kwargs} from the uid ("root", root_uuid). */
void itest_send_start(actr_ipc *ch, const char *root_uuid, const char *cid,
                      const char *ns, const char *func, const void *kw, size_t kwlen);

/* Receives the next message, which must be of type t (and, unless cid is
 * NULL, on cid); it is borrowed until the next receive on ch. */
actr_msg itest_expect(actr_ipc *ch, actr_msg_type t, const char *cid);

#endif

/* ------------------------------------------------------------ cancel suites */

/* Captures log lines at or above level (actr_log_set_sink) into a buffer
 * until itest_log_stop; the process level is set to level meanwhile. */
void itest_log_start(int level);
void itest_log_stop(void);
/* Number of captured lines containing every one of the NULL-terminated
 * needles. */
int itest_log_count(const char *needle, ...);
/* The captured text (for failure messages). */
const char *itest_log_text(void);

/* A fresh temporary file path (created empty); unlink it when done. */
void itest_tmpfile(char *path, size_t cap);
/* Waits up to ms for a line of file path that starts with prefix; copies
 * it (without newline) into line. Returns 1 when found, else 0. Blocks
 * the task (sleeps in steps), so it is a cancellation point. */
int itest_file_wait(const char *path, const char *prefix, char *line, size_t cap, int64_t ms);

/* 1 when process pid is gone (no such process, or a zombie), waiting up
 * to ms for it. */
int itest_pid_gone(int pid, int64_t ms);

/* Live tasks of this process (actr_stats_get). */
long itest_tasks(void);
/* Waits up to 2 s for this process's live tasks to be tasks0 again, then
 * asserts they are (nothing the test started is left running). */
void itest_tasks_back_to(long tasks0);
/* How many times slower children start and run than natively: 10 under
 * ACTR_CHILD_WRAPPER (make valgrind runs them under valgrind), else 1.
 * For the few delays a test's meaning depends on. */
int itest_slowdown(void);

/* Sends sig to our child actor name (pid), announcing the WARNING its
 * death logs (testlog.h). Returns kill's result. */
int itest_kill_child(const char *name, long long pid, int sig);

/* Closes an, which must report that child name died by signal sig
 * (a child that dies unasked is an error of its nursery: ActorFailure,
 * "child 'name' (pid N) killed by SIG..."); sig 0: close must succeed.
 * Under ASan a crash is reported as an exit status instead: any death of
 * name is accepted for SIGSEGV/SIGABRT there. */
void itest_close_after_death(actr_actor_nursery *an, const char *name, int sig);

/* Asserts the task's last error is the death of child name by signal sig
 * while serving endpoint ep (NULL: any). */
void itest_assert_death(const char *name, int sig, const char *ep);

/* Runs suite s (freeing it) and returns main's exit status. */
int itest_run_suite(Suite *s);
/* Live tasks of the actor behind p (testmod:tasks). */
long itest_remote_tasks(actr_portal *p);

/* The uid text "name.uuid" of this actor. */
const char *itest_self_uid(void);

/* Opens testmod:flood (n values) with allow_overruns into p, lets it run
 * 100 ms, then cancels the context and returns how many microseconds
 * passed until the cancel had taken effect (result reported the
 * cancellation), or a negative ACTR_E* code. Reusable by benchmarks. */
int64_t itest_cancel_during_flood_us(actr_portal *p, uint32_t n);

/* 1 unless the environment variable ITEST_ONLY is set and name does not
 * contain it: lets a developer run one test of a suite. */
int itest_selected(const char *name);
#define ITEST_ADD(tc, tf)                                  \
    do {                                                   \
        if (itest_selected(#tf))                           \
            tcase_add_test(tc, tf);                        \
    } while (0)
