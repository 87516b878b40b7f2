/* Task machinery under the nurseries (SEMANTICS S15's runtime side):
 * many tasks, fiber stacks and their pool, the loop's deadlock
 * detection, iteration and exit hooks, task names. Nurseries, start and
 * spawn are in check_task.c. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core_util.h"
#include "core/sched.h"

/* ------------------------------------------------------------ scale, stacks */

static int
count_and_yield(void *arg)
{
    int *n = arg;
    ck_assert_actr_ok(actr_checkpoint());
    (*n)++;
    return 0;
}

static int
many_body(void *arg)
{
    int count = *(int *)arg;
    int done = 0;
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < count; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, count_and_yield, &done));
    actr_stats st;
    actr_stats_get(&st);
    ck_assert_uint_eq(st.tasks_live, (size_t)count + 1);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(done, count);
    actr_stats_get(&st);
    ck_assert_uint_eq(st.tasks_live, 1);
    return 0;
}

START_TEST(test_10000_tasks_spawned_and_joined)
{
    int count = 10000;
    run_main(many_body, &count);
}
END_TEST

static int
noop(void *arg)
{
    (void)arg;
    return 0;
}

static int
pool_body(void *arg)
{
    (void)arg;
    actr_stats st0, st1, st2;
    actr_stats_get(&st0);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 100; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, noop, NULL));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    actr_stats_get(&st1);
    /* Every stack came back to the pool... */
    ck_assert_uint_ge(st1.stacks_pooled, st0.stacks_pooled + 100);
    ck_assert_uint_eq(st1.stacks_mapped, st1.stacks_pooled + st1.tasks_live);
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 100; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, noop, NULL));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    actr_stats_get(&st2);
    /* ...and is reused: no new mapping the second time. */
    ck_assert_uint_eq(st2.stacks_mapped, st1.stacks_mapped);
    ck_assert_uint_eq(st2.tasks_spawned, st1.tasks_spawned + 100);
    return 0;
}

START_TEST(test_stacks_return_to_pool)
{
    run_main(pool_body, NULL);
}
END_TEST

struct capture {
    int lines;
    char last[512];
};

static void
capture_sink(const actr_log_record *rec, void *ud)
{
    struct capture *c = ud;
    c->lines++;
    snprintf(c->last, sizeof c->last, "%s", rec->line);
}

static int
enomem_body(void *arg)
{
    (void)arg;
    struct capture cap = {0};
    actr_log_set_sink(capture_sink, &cap);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    actr_task_opts huge = {SIZE_MAX / 4, "huge"};
    ck_assert_actr_err(actr_nursery_spawn_opts(n, noop, NULL, &huge), ACTR_ENOMEM);
    ck_assert_int_ge(cap.lines, 1);
    ck_assert_ptr_nonnull(strstr(cap.last, "stack"));
    huge.stack_size = (size_t)1 << 50;    /* 1 PiB: mmap itself refuses */
    ck_assert_actr_err(actr_nursery_spawn_opts(n, noop, NULL, &huge), ACTR_ENOMEM);
    ck_assert_ptr_nonnull(strstr(cap.last, "cannot map"));
    /* The process goes on. */
    ck_assert_actr_ok(actr_nursery_spawn(n, noop, NULL));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    actr_log_set_sink(NULL, NULL);
    return 0;
}

START_TEST(test_spawn_enomem_when_stack_cannot_map)
{
    run_main(enomem_body, NULL);
}
END_TEST

/* Deep recursion on a task stack of a chosen size, then many small tasks. */
static int
recurse(int depth)
{
    volatile char pad[1024];
    pad[0] = (char)depth;
    if (depth == 0)
        return pad[0];
    return recurse(depth - 1) + pad[0];
}

static int
deep_task(void *arg)
{
    (void)arg;
    return recurse(400) >= 0 ? 0 : ACTR_EINVAL;  /* ~400 KiB */
}

static int
stack_size_body(void *arg)
{
    (void)arg;
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn_opts(n, deep_task, NULL,
                                              &(actr_task_opts){4u << 20, "deep"}));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    return 0;
}

START_TEST(test_stack_size_per_task)
{
    run_main(stack_size_body, NULL);
}
END_TEST

static int
wait_event(void *arg)
{
    return actr_event_wait(arg, ACTR_FOREVER);
}

/* Tasks on the old default size that end after the default grew must not
 * hand their smaller stacks to tasks spawned with the new default. */
static int
default_grows_body(void *arg)
{
    (void)arg;
    actr_event go;
    actr_event_init(&go);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 4; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, wait_event, &go));
    ck_assert_actr_ok(actr_sleep(1));
    actr_set_default_stack_size(1u << 20);
    actr_event_set(&go);
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, deep_task, NULL));   /* ~400 KiB */
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    actr_set_default_stack_size(256u << 10);
    return 0;
}

START_TEST(test_default_stack_size_change_keeps_pool_consistent)
{
    run_main(default_grows_body, NULL);
}
END_TEST

/* ------------------------------------------------------------ loop */

static int
deadlock_body(void *arg)
{
    (void)arg;
    actr_event never;
    actr_event_init(&never);
    return actr_event_wait(&never, ACTR_FOREVER);
}

START_TEST(test_deadlock_cancels_main)
{
    struct capture cap = {0};
    actr_log_set_sink(capture_sink, &cap);
    ck_assert_actr_err(actr_run(deadlock_body, NULL), ACTR_ECANCELED);
    ck_assert_int_ge(cap.lines, 1);
    ck_assert_ptr_nonnull(strstr(cap.last, "deadlock"));
    actr_log_set_sink(NULL, NULL);
}
END_TEST

struct hookrec {
    struct actri_hook hook;
    int ran;
    int tasks_done_when_ran;
    int tasks_done;
    actr_event ran_ev;
};

static void
hook_fn(struct actri_hook *h)
{
    struct hookrec *r = (struct hookrec *)(void *)h;
    ck_assert_ptr_null(actri_task_self());
    r->ran++;
    r->tasks_done_when_ran = r->tasks_done;
    actr_event_set(&r->ran_ev);          /* wakes main from a callback */
}

static int
hook_requester(void *arg)
{
    struct hookrec *r = arg;
    actri_hook_request(&r->hook);
    actri_hook_request(&r->hook);         /* once per request round */
    r->tasks_done++;
    return 0;
}

static int
hook_body(void *arg)
{
    (void)arg;
    struct hookrec r;
    memset(&r, 0, sizeof r);
    actri_hook_init(&r.hook, hook_fn);
    actr_event_init(&r.ran_ev);
    ck_assert_ptr_nonnull(actri_loop());
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < 10; i++)
        ck_assert_actr_ok(actr_nursery_spawn(n, hook_requester, &r));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    /* main was made runnable in the same iteration: hooks run once no task
     * is runnable, so wait for the hook. */
    ck_assert_actr_ok(actr_event_wait(&r.ran_ev, actr_now() + 5000));
    /* The hook ran once, after all ten runnable tasks of the iteration. */
    ck_assert_int_eq(r.ran, 1);
    ck_assert_int_eq(r.tasks_done_when_ran, 10);
    return 0;
}

START_TEST(test_iteration_hook_runs_once_after_tasks)
{
    run_main(hook_body, NULL);
}
END_TEST

struct ordered_hook {
    struct actri_hook hook;
    int id;
    int *log;
    int *pos;
    actr_event *done;
};

static void
ordered_fn(struct actri_hook *h)
{
    struct ordered_hook *o = (struct ordered_hook *)(void *)h;
    o->log[(*o->pos)++] = o->id;
    if (*o->pos == 3)
        actr_event_set(o->done);
}

static int
hook_order_body(void *arg)
{
    (void)arg;
    int log[3] = {0}, pos = 0;
    actr_event done = ACTR_EVENT_INIT;
    struct ordered_hook h[3];
    for (int i = 0; i < 3; i++) {
        h[i] = (struct ordered_hook){.id = i + 1, .log = log, .pos = &pos, .done = &done};
        actri_hook_init(&h[i].hook, ordered_fn);
    }
    actri_hook_request(&h[1].hook);
    actri_hook_request(&h[0].hook);
    actri_hook_request(&h[2].hook);
    actri_hook_cancel(&h[2].hook);        /* last one out: the tail moves back */
    actri_hook_request(&h[2].hook);
    ck_assert_actr_ok(actr_event_wait(&done, actr_now() + 5000));
    ck_assert_int_eq(log[0], 2);          /* request order */
    ck_assert_int_eq(log[1], 1);
    ck_assert_int_eq(log[2], 3);
    return 0;
}

START_TEST(test_iteration_hooks_run_in_request_order)
{
    run_main(hook_order_body, NULL);
}
END_TEST

/* A hook that cancels a later hook of the same round (say, a flush that
 * fails and closes another channel, which frees its hook): the cancelled
 * one must not run, and the ones after it must. */
struct cancelling_hook {
    struct actri_hook hook;
    int ran[3];
    struct actri_hook *victim;
    struct actri_hook *others[3];
};

static struct cancelling_hook ch_state;

static void
ch_fn(struct actri_hook *h)
{
    for (int i = 0; i < 3; i++)
        if (ch_state.others[i] == h)
            ch_state.ran[i]++;
    if (h == ch_state.others[0] && ch_state.victim)
        actri_hook_cancel(ch_state.victim);
}

static int
hook_cancel_in_round_body(void *arg)
{
    (void)arg;
    struct actri_hook h[3];
    memset(&ch_state, 0, sizeof ch_state);
    for (int i = 0; i < 3; i++) {
        actri_hook_init(&h[i], ch_fn);
        ch_state.others[i] = &h[i];
    }
    ch_state.victim = &h[1];
    for (int i = 0; i < 3; i++)
        actri_hook_request(&h[i]);
    ck_assert_actr_ok(actr_sleep(5));
    ck_assert_int_eq(ch_state.ran[0], 1);
    ck_assert_int_eq(ch_state.ran[1], 0);     /* cancelled: never runs */
    ck_assert_int_eq(ch_state.ran[2], 1);     /* the rest of the round runs */
    /* And every hook can be requested again. */
    ch_state.victim = NULL;
    for (int i = 0; i < 3; i++)
        actri_hook_request(&h[i]);
    ck_assert_actr_ok(actr_sleep(5));
    ck_assert_int_eq(ch_state.ran[0], 2);
    ck_assert_int_eq(ch_state.ran[1], 1);
    ck_assert_int_eq(ch_state.ran[2], 2);
    return 0;
}

START_TEST(test_iteration_hook_cancelled_by_an_earlier_hook)
{
    run_main(hook_cancel_in_round_body, NULL);
}
END_TEST

struct exitrec {
    struct actri_exit_hook h;
    int *order;
    int id;
};

static int order_pos;

static void
exit_fn(struct actri_exit_hook *h)
{
    struct exitrec *e = (struct exitrec *)(void *)h;
    e->order[order_pos++] = e->id;
}

static int
exit_hook_task(void *arg)
{
    int *order = arg;
    static struct exitrec a, b, c;
    a.order = b.order = c.order = order;
    a.id = 1;
    b.id = 2;
    c.id = 3;
    ck_assert_ptr_nonnull(actri_task_slot());
    ck_assert_ptr_null(*actri_task_slot());
    *actri_task_slot() = order;
    ck_assert_actr_ok(actri_task_on_exit(&a.h, exit_fn));
    ck_assert_actr_ok(actri_task_on_exit(&b.h, exit_fn));
    ck_assert_actr_ok(actri_task_on_exit(&c.h, exit_fn));
    actri_task_on_exit_cancel(&b.h);
    return 0;
}

static int
exit_hook_body(void *arg)
{
    (void)arg;
    int order[3] = {0, 0, 0};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, exit_hook_task, order));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    ck_assert_int_eq(order_pos, 2);
    ck_assert_int_eq(order[0], 3);        /* LIFO */
    ck_assert_int_eq(order[1], 1);
    return 0;
}

START_TEST(test_exit_hooks_run_lifo)
{
    run_main(exit_hook_body, NULL);
}
END_TEST

static int
names_task(void *arg)
{
    (void)arg;
    ck_assert_str_eq(actr_task_name(), "worker");
    actr_task_set_name("renamed-with-a-name-far-longer-than-the-limit");
    ck_assert_uint_eq(strlen(actr_task_name()), ACTR_TASK_NAME_MAX - 1);
    ck_assert_uint_gt(actr_task_id(), 1);
    return 0;
}

static int
names_default(void *arg)
{
    (void)arg;
    ck_assert_int_eq(strncmp(actr_task_name(), "task-", 5), 0);
    return 0;
}

static int
names_body(void *arg)
{
    (void)arg;
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn_opts(n, names_task, NULL,
                                              &(actr_task_opts){0, "worker"}));
    ck_assert_actr_ok(actr_nursery_spawn(n, names_default, NULL));
    ck_assert_actr_ok(actr_nursery_close(n, ACTR_FOREVER));
    return 0;
}

START_TEST(test_task_names_and_ids)
{
    run_main(names_body, NULL);
    ck_assert_str_eq(actr_task_name(), "-");
    ck_assert_uint_eq(actr_task_id(), 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("task_loop");
    TCase *tc = tcase_create("loop");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_10000_tasks_spawned_and_joined);
    tcase_add_test(tc, test_stacks_return_to_pool);
    tcase_add_test(tc, test_spawn_enomem_when_stack_cannot_map);
    tcase_add_test(tc, test_stack_size_per_task);
    tcase_add_test(tc, test_default_stack_size_change_keeps_pool_consistent);
    tcase_add_test(tc, test_deadlock_cancels_main);
    tcase_add_test(tc, test_iteration_hook_runs_once_after_tasks);
    tcase_add_test(tc, test_iteration_hooks_run_in_request_order);
    tcase_add_test(tc, test_iteration_hook_cancelled_by_an_earlier_hook);
    tcase_add_test(tc, test_exit_hooks_run_lifo);
    tcase_add_test(tc, test_task_names_and_ids);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
