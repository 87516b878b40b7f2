/* Blocking on time, file descriptors and child processes; checkpoints. */
#define _GNU_SOURCE
#include "core/core.h"

#include <poll.h>
#include <stdlib.h>

#define S actri_sched

int
actr_checkpoint(void)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    t->state = T_READY;
    actri_rq_push(t);
    actri_switch_out(t);
    if (actri_task_chain_cancelled(t))
        return actri_error_code(ACTR_ECANCELED, "task cancelled");
    return 0;
}

int
actr_sleep_until(int64_t deadline)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    do
        rc = actri_park(deadline < 0 ? ACTR_FOREVER : deadline);
    while (rc == 0);                      /* a stray wake: sleep on */
    if (rc == ACTR_ETIMEDOUT)
        return 0;
    return actri_error_code(rc, "task cancelled");
}

int
actr_sleep(int64_t ms)
{
    return actr_sleep_until(actr_deadline_in(ms < 0 ? 0 : ms));
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    int rc = 0;
    if (revents & EV_ERROR)
        rc = ACTR_EINVAL;
    else
        rc = ((revents & EV_READ) ? (int)ACTR_READ : 0)
           | ((revents & EV_WRITE) ? (int)ACTR_WRITE : 0);
    ev_io_stop(loop, w);
    actri_wake(w->data, rc);
}

int
actr_fd_wait(int fd, unsigned events, int64_t deadline)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    events &= ACTR_READ | ACTR_WRITE;
    if (fd < 0 || events == 0)
        return actri_error_code(ACTR_EINVAL, "fd_wait: bad fd or no events");
    if (deadline >= 0 && deadline <= actr_now()) {
        /* Try without blocking. */
        struct pollfd p = {fd, (short)(((events & ACTR_READ) ? POLLIN : 0)
                                       | ((events & ACTR_WRITE) ? POLLOUT : 0)), 0};
        int n = poll(&p, 1, 0);
        if (n < 0 || (p.revents & POLLNVAL))
            return actri_error_code(ACTR_EINVAL, "fd_wait: bad fd");
        int got = 0;
        if (p.revents & (POLLIN | POLLHUP | POLLERR))
            got |= (int)(events & ACTR_READ);
        if (p.revents & (POLLOUT | POLLHUP | POLLERR))
            got |= (int)(events & ACTR_WRITE);
        return got ? got : actri_error_code(ACTR_ETIMEDOUT, "fd_wait: deadline passed");
    }
    ev_io w;
    ev_io_init(&w, io_cb, fd, ((events & ACTR_READ) ? EV_READ : 0)
                              | ((events & ACTR_WRITE) ? EV_WRITE : 0));
    w.data = t;
    ev_io_start(S.loop, &w);
    rc = actri_park(deadline);
    if (ev_is_active(&w))
        ev_io_stop(S.loop, &w);
    if (rc > 0)
        return rc;
    if (rc == 0)                          /* a stray wake */
        return actri_error_code(ACTR_ETIMEDOUT, "fd_wait: woken without events");
    return actri_error_code(rc, rc == ACTR_ETIMEDOUT ? "fd_wait: deadline passed"
                            : rc == ACTR_EINVAL ? "fd_wait: bad fd" : "task cancelled");
}

/* ------------------------------------------------------------ children */

/* An exit nobody waited for yet. */
struct childrec {
    struct childrec *next;
    int pid;
    int status;
};

/* A task in actr_child_wait (on its stack). */
struct childwait {
    struct childwait *next;
    struct actri_task *task;
    int pid;
    int status;
    int done;
};

void
actri_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
    (void)loop;
    (void)revents;
    int pid = w->rpid;
    int status = w->rstatus;
    for (struct childwait **p = &S.cwaiters; *p; p = &(*p)->next) {
        struct childwait *cw = *p;
        if (cw->pid == pid) {
            *p = cw->next;
            cw->status = status;
            cw->done = 1;
            actri_wake(cw->task, 0);
            return;
        }
    }
    struct childrec *r = malloc(sizeof *r);
    if (!r) {
        actr_log_error("child", "out of memory: exit status of pid %d lost", pid);
        return;
    }
    r->pid = pid;
    r->status = status;
    r->next = S.exited;
    S.exited = r;
}

void
actri_child_cleanup(void)
{
    while (S.exited) {
        struct childrec *r = S.exited;
        S.exited = r->next;
        free(r);
    }
}

int
actr_child_wait(int pid, int *status, int64_t deadline)
{
    struct actri_task *t;
    int rc = actri_enter_blocking(&t);
    if (rc < 0)
        return rc;
    if (pid <= 0)
        return actri_error_code(ACTR_EINVAL, "child_wait: bad pid");
    for (struct childrec **p = &S.exited; *p; p = &(*p)->next) {
        struct childrec *r = *p;
        if (r->pid == pid) {
            *p = r->next;
            if (status)
                *status = r->status;
            free(r);
            return 0;
        }
    }
    struct childwait cw = {S.cwaiters, t, pid, 0, 0};
    S.cwaiters = &cw;
    /* While a task waits for a child, the loop must not end for lack of
     * watchers: the child watcher counts only then. */
    if (S.child_waiters++ == 0)
        ev_ref(S.loop);
    while (!cw.done) {
        rc = actri_park(deadline);
        if (rc < 0)
            break;
    }
    if (--S.child_waiters == 0)
        ev_unref(S.loop);
    if (cw.done) {
        if (status)
            *status = cw.status;
        return 0;
    }
    for (struct childwait **p = &S.cwaiters; *p; p = &(*p)->next) {
        if (*p == &cw) {
            *p = cw.next;
            break;
        }
    }
    return actri_error_code(rc, rc == ACTR_ETIMEDOUT ? "child_wait: deadline passed"
                            : "task cancelled");
}
