/* Event, lock, semaphore, sleep, fd and child waits. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core_util.h"

struct shared {
    actr_event ev;
    actr_lock lock;
    actr_sem sem;
    int woken;
    int inside;
    int max_inside;
    int order[8];
    int pos;
};

static int
wait_event(void *arg)
{
    struct shared *s = arg;
    ck_assert_actr_ok(actr_event_wait(&s->ev, ACTR_FOREVER));
    s->woken++;
    return 0;
}

static int
event_body(void *arg)
{
    (void)arg;
    struct shared s = {.ev = ACTR_EVENT_INIT};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 4; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, wait_event, &s));
    ck_assert_actr_ok(actr_sleep(5));
    ck_assert_int_eq(s.woken, 0);
    ck_assert(!actr_event_is_set(&s.ev));
    actr_event_set(&s.ev);                    /* wakes all */
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(s.woken, 4);
    ck_assert_actr_ok(actr_event_wait(&s.ev, 0));   /* level-triggered */
    actr_event_clear(&s.ev);
    ck_assert_actr_err(actr_event_wait(&s.ev, actr_now() + 5), ACTR_ETIMEDOUT);
    return 0;
}

START_TEST(test_event_wakes_all_waiters)
{
    run_main(event_body, NULL);
}
END_TEST

static int
locker(void *arg)
{
    struct shared *s = arg;
    ck_assert_actr_ok(actr_lock_acquire(&s->lock, ACTR_FOREVER));
    s->order[s->pos++] = (int)actr_task_id();
    s->inside++;
    if (s->inside > s->max_inside)
        s->max_inside = s->inside;
    ck_assert_actr_ok(actr_sleep(2));         /* hold it across a switch */
    s->inside--;
    ck_assert_actr_ok(actr_lock_release(&s->lock));
    return 0;
}

static int
lock_body(void *arg)
{
    (void)arg;
    struct shared s = {.lock = ACTR_LOCK_INIT};
    ck_assert_actr_ok(actr_lock_acquire(&s.lock, ACTR_FOREVER));
    ck_assert_actr_err(actr_lock_acquire(&s.lock, ACTR_FOREVER), ACTR_ESTATE);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 4; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, locker, &s));
    ck_assert_actr_ok(actr_sleep(5));
    ck_assert_int_eq(s.pos, 0);
    ck_assert_actr_ok(actr_lock_release(&s.lock));
    ck_assert_actr_err(actr_lock_release(&s.lock), ACTR_ESTATE);   /* not ours */
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(s.max_inside, 1);
    for (int i = 1; i < 4; i++)               /* FIFO handoff */
        ck_assert_int_lt(s.order[i - 1], s.order[i]);
    /* A timed-out acquire leaves the lock consistent. */
    ck_assert_actr_ok(actr_lock_acquire(&s.lock, 0));
    ck_assert_actr_ok(actr_lock_release(&s.lock));
    return 0;
}

START_TEST(test_lock_mutual_exclusion_fifo)
{
    run_main(lock_body, NULL);
}
END_TEST

static int
sem_user(void *arg)
{
    struct shared *s = arg;
    ck_assert_actr_ok(actr_sem_acquire(&s->sem, ACTR_FOREVER));
    s->inside++;
    if (s->inside > s->max_inside)
        s->max_inside = s->inside;
    ck_assert_actr_ok(actr_sleep(3));
    s->inside--;
    actr_sem_release(&s->sem);
    return 0;
}

static int
sem_body(void *arg)
{
    (void)arg;
    struct shared s;
    actr_sem_init(&s.sem, 2);
    s.inside = s.max_inside = 0;
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 6; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, sem_user, &s));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(s.max_inside, 2);
    ck_assert_actr_ok(actr_sem_try_acquire(&s.sem));
    ck_assert_actr_ok(actr_sem_try_acquire(&s.sem));
    ck_assert_actr_err(actr_sem_try_acquire(&s.sem), ACTR_EAGAIN);
    ck_assert_actr_err(actr_sem_acquire(&s.sem, actr_now() + 5), ACTR_ETIMEDOUT);
    actr_sem_release(&s.sem);
    ck_assert_actr_ok(actr_sem_acquire(&s.sem, 0));
    return 0;
}

START_TEST(test_semaphore_bounds_concurrency)
{
    run_main(sem_body, NULL);
}
END_TEST

static int
sleep_body(void *arg)
{
    (void)arg;
    int64_t t0 = actr_now();
    ck_assert_actr_ok(actr_sleep(30));
    ck_assert_duration(actr_now() - t0, 30, 3000);
    t0 = actr_now();
    ck_assert_actr_ok(actr_sleep_until(t0 + 15));
    ck_assert_int_ge(actr_now(), t0 + 15);
    ck_assert_actr_ok(actr_sleep_until(0));   /* past: returns at once */
    ck_assert_int_ge(actr_deadline_in(10), t0 + 10);
    ck_assert_int_eq(actr_deadline_in(-1), ACTR_FOREVER);
    return 0;
}

START_TEST(test_sleep_reaches_deadline)
{
    run_main(sleep_body, NULL);
}
END_TEST

struct writer {
    int fd;
};

static int
late_writer(void *arg)
{
    struct writer *w = arg;
    ck_assert_actr_ok(actr_sleep(20));
    ck_assert_int_eq(write(w->fd, "x", 1), 1);
    return 0;
}

static int
fd_body(void *arg)
{
    (void)arg;
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    /* Writable at once, readable not yet. */
    ck_assert_int_eq(actr_fd_wait(p[1], ACTR_WRITE, ACTR_FOREVER), (int)ACTR_WRITE);
    ck_assert_actr_err(actr_fd_wait(p[0], ACTR_READ, 0), ACTR_ETIMEDOUT);
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_fd_wait(p[0], ACTR_READ, actr_now() + 20), ACTR_ETIMEDOUT);
    ck_assert_duration(actr_now() - t0, 19, 3000);

    struct writer w = {p[1]};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, late_writer, &w));
    t0 = actr_now();
    ck_assert_int_eq(actr_fd_wait(p[0], ACTR_READ, actr_now() + 5000), (int)ACTR_READ);
    ck_assert_duration(actr_now() - t0, 15, 3000);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(actr_fd_wait(p[0], ACTR_READ | ACTR_WRITE, 0), (int)ACTR_READ);
    ck_assert_actr_err(actr_fd_wait(-1, ACTR_READ, 0), ACTR_EINVAL);
    ck_assert_actr_err(actr_fd_wait(p[0], 0, 0), ACTR_EINVAL);
    close(p[0]);
    close(p[1]);
    return 0;
}

START_TEST(test_fd_wait_readable_writable_deadline)
{
    run_main(fd_body, NULL);
}
END_TEST

static int
child_body(void *arg)
{
    (void)arg;
    pid_t quick = fork();
    ck_assert_int_ge(quick, 0);
    if (quick == 0)
        _exit(7);
    pid_t slow = fork();
    ck_assert_int_ge(slow, 0);
    if (slow == 0) {
        pause();
        _exit(0);
    }
    /* The quick child exits long before we wait for it: remembered. */
    ck_assert_actr_ok(actr_sleep(50));
    int status = 0;
    ck_assert_actr_ok(actr_child_wait(quick, &status, actr_now() + 5000));
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 7);

    ck_assert_actr_err(actr_child_wait(slow, &status, actr_now() + 20), ACTR_ETIMEDOUT);
    actr_scope s;
    ck_assert_actr_ok(actr_move_on_after(&s, 20));
    ck_assert_actr_err(actr_child_wait(slow, &status, ACTR_FOREVER), ACTR_ECANCELED);
    ck_assert_actr_ok(actr_scope_exit(&s));
    /* SIGKILL: the child inherited Check's SIGTERM handler, which would
     * signal the whole process group. */
    kill(slow, SIGKILL);
    ck_assert_actr_ok(actr_child_wait(slow, &status, actr_now() + 5000));
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGKILL);
    ck_assert_actr_err(actr_child_wait(0, &status, 0), ACTR_EINVAL);
    return 0;
}

START_TEST(test_child_wait)
{
    run_main(child_body, NULL);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("sync");
    TCase *tc = tcase_create("sync");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_event_wakes_all_waiters);
    tcase_add_test(tc, test_lock_mutual_exclusion_fifo);
    tcase_add_test(tc, test_semaphore_bounds_concurrency);
    tcase_add_test(tc, test_sleep_reaches_deadline);
    tcase_add_test(tc, test_fd_wait_readable_writable_deadline);
    tcase_add_test(tc, test_child_wait);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
