/* Helpers of the integration suites: run a test body as a root actor,
 * find the test actor executable, check that nothing leaked. */
#ifndef ITEST_H
#define ITEST_H

#include <check.h>

#include <actr/actr.h>

#include "testmod.actor.h"

/* Path of $(BUILD)/tests/bin/<name>. */
const char *itest_bin(const char *name);

/* The testmod endpoint called name. */
const actr_endpoint *itest_ep(const char *name);

/* Spawn options running actor_srv with testmod enabled. */
actr_spawn_opts itest_srv_opts(void);

/* Runs fn(self, arg) as the main task of a root actor named "root";
 * returns actr_main's result. */
int itest_root(actr_actor_fn fn, void *arg);

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

#endif
