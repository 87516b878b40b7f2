/* Scheduler fairness: a busy task that keeps checkpointing must not hold
 * back the iteration hooks (which flush channel output) or io wakeups by
 * more than one loop iteration (S16: control must not wait behind a
 * flood). A drain lasts at most ~1 ms (core/README.md): with 5 ms of work
 * between checkpoints every round ends the iteration. */
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "core/sched.h"
#include "core_util.h"

/* Checkpoints a busy task makes before it gives up waiting: far more than
 * the one or two the scheduler may take, far fewer than a drain budget. */
#define MAX_SPINS 60

static int64_t
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct fair {
    int spins;             /* checkpoints the busy task completed */
    int mark;              /* spins when the hook was requested / fd written */
    int seen;              /* spins when the hook ran / the waiter woke; -1 */
    int64_t work_ns;       /* busy work between two checkpoints */
    int max_spins;         /* the busy task gives up after this many */
    int fds[2];
    struct actri_hook hook;
};

static struct fair *fair_of_hook;

static void
hook_fn(struct actri_hook *h)
{
    (void)h;
    fair_of_hook->seen = fair_of_hook->spins;
}

static void
busy_work(int64_t ns)
{
    int64_t until = mono_ns() + ns;
    while (mono_ns() < until)
        ;
}

static int
busy_hook_task(void *arg)
{
    struct fair *f = arg;
    while (f->seen < 0 && f->spins < f->max_spins) {
        busy_work(f->work_ns);
        if (f->spins == 10) {
            f->mark = f->spins;
            actri_hook_request(&f->hook);
        }
        int rc = actr_checkpoint();
        if (rc < 0)
            return rc;
        f->spins++;
    }
    return 0;
}

static int
hook_main(void *arg)
{
    struct fair f = {.seen = -1, .work_ns = *(int64_t *)arg, .max_spins = MAX_SPINS};
    fair_of_hook = &f;
    actri_hook_init(&f.hook, hook_fn);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, busy_hook_task, &f));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_msg(f.seen >= 0, "the hook never ran in %d checkpoints", f.spins);
    ck_assert_msg(f.seen - f.mark <= 2, "hook requested at %d ran at %d", f.mark, f.seen);
    return 0;
}

START_TEST(test_S16_busy_checkpointing_task_does_not_delay_hooks)
{
    int64_t work_ns = 5 * 1000 * 1000;
    run_main(hook_main, &work_ns);
}
END_TEST

/* Busy between checkpoints (a read flood's decoding, say), writes the
 * pipe once, then counts how many more checkpoints it gets before the
 * waiter on the pipe runs. */
static int
busy_fd_task(void *arg)
{
    struct fair *f = arg;
    while (f->seen < 0 && f->spins < f->max_spins) {
        busy_work(f->work_ns);
        if (f->spins == 5) {
            f->mark = f->spins;
            if (write(f->fds[1], "x", 1) != 1)
                return ACTR_EIO;
        }
        int rc = actr_checkpoint();
        if (rc < 0)
            return rc;
        f->spins++;
    }
    return 0;
}

static int
fd_waiter(void *arg)
{
    struct fair *f = arg;
    int rc = actr_fd_wait(f->fds[0], ACTR_READ, ACTR_FOREVER);
    if (rc < 0)
        return rc;
    f->seen = f->spins;
    return 0;
}

static int
fd_main(void *arg)
{
    struct fair f = {.seen = -1, .work_ns = *(int64_t *)arg, .max_spins = MAX_SPINS};
    ck_assert_int_eq(pipe(f.fds), 0);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, fd_waiter, &f));
    ck_assert_actr_ok(actr_nursery_spawn(n, busy_fd_task, &f));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    close(f.fds[0]);
    close(f.fds[1]);
    ck_assert_msg(f.seen >= 0, "the fd waiter never woke in %d checkpoints", f.spins);
    ck_assert_msg(f.seen - f.mark <= 2, "fd written at checkpoint %d, waiter woke at %d",
                  f.mark, f.seen);
    return 0;
}

START_TEST(test_S16_busy_checkpointing_task_does_not_delay_fd_wakeup)
{
    int64_t work_ns = 5 * 1000 * 1000;
    run_main(fd_main, &work_ns);
}
END_TEST

/* Cheap checkpoints: the loop still polls (after its time slice). */
static int
cheap_fd_main(void *arg)
{
    (void)arg;
    struct fair f = {.seen = -1, .max_spins = 100 * 1000 * 1000};
    ck_assert_int_eq(pipe(f.fds), 0);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, fd_waiter, &f));
    ck_assert_actr_ok(actr_nursery_spawn(n, busy_fd_task, &f));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    close(f.fds[0]);
    close(f.fds[1]);
    ck_assert_msg(f.seen >= 0, "the fd waiter never woke in %d checkpoints", f.spins);
    return 0;
}

START_TEST(test_cheap_checkpoints_still_let_the_loop_poll)
{
    run_main(cheap_fd_main, NULL);
}
END_TEST

static Suite *
sched_suite(void)
{
    Suite *s = suite_create("sched");
    TCase *tc = tcase_create("fairness");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S16_busy_checkpointing_task_does_not_delay_hooks);
    tcase_add_test(tc, test_S16_busy_checkpointing_task_does_not_delay_fd_wakeup);
    tcase_add_test(tc, test_cheap_checkpoints_still_let_the_loop_poll);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(sched_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
