/* Stack overflow of a task, reported as such. Every task stack has a
 * guard page below it (fiber.c); running into it is a SIGSEGV like any
 * other. The fatal-signal handler (crash.c) runs on an alternate signal
 * stack set up here (the task's own stack is the one that is full) and
 * asks actri_stackguard_report whether the faulting address is inside
 * the current task's guard page; if so this writes which task overflowed
 * and how big its stack is. */
#define _GNU_SOURCE
#include "core/core.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S actri_sched

/* The handler's own stack: the faulting task's is exhausted, and the
 * debugger hand-off and backtraces of a crash (crash.c) need room. */
#define ALT_STACK_SIZE (256u * 1024u)
static unsigned char alt_stack[ALT_STACK_SIZE] __attribute__((aligned(16)));

/* write(2) of a NUL-terminated string: async-signal-safe output. */
static void
put(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void
put_u(uint64_t v)
{
    char b[24];
    size_t i = sizeof b;
    b[--i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    put(b + i);
}

int
actri_stackguard_report(const siginfo_t *si)
{
    struct actri_task *t = S.current;
    const char *addr = si ? (const char *)si->si_addr : NULL;
    if (!t || !addr || addr < t->stack.map || addr >= t->stack.lo)
        return 0;
    put("actr: stack overflow in task '");
    if (t->name[0]) {
        put(t->name);
    } else {
        put("task-");
        put_u(t->id);
    }
    put("' (stack of ");
    put_u((uint64_t)(t->stack.hi - t->stack.lo) / 1024u);
    put(" KiB; give it more with actr_task_opts.stack_size or"
        " actr_set_default_stack_size): aborting\n");
    return 1;
}

void
actri_stackguard_altstack(void)
{
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0};
    stack_t cur;
    /* Keep an alternate stack someone else set up (ASan sets one). */
    if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE))
        (void)sigaltstack(&ss, NULL);
}
