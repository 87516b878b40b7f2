/* Stack overflow of a task, reported as such. Every task stack has a
 * guard page below it (fiber.c); running into it is a SIGSEGV like any
 * other. A handler on an alternate signal stack (the task's own stack is
 * the one that is full) looks at the faulting address: inside the current
 * task's guard page, it writes which task overflowed and how big its
 * stack is, then aborts. Any other fault goes to whoever handled it
 * before us (ASan, a debugger's handler, or the default action). */
#define _GNU_SOURCE
#include "core/core.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S actri_sched

/* The handler's own stack: the faulting task's is exhausted. */
#define ALT_STACK_SIZE (64u * 1024u)
static unsigned char alt_stack[ALT_STACK_SIZE] __attribute__((aligned(16)));

static struct sigaction prev_segv, prev_bus;
static int installed;

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

/* Hands the fault to the previous disposition. */
static void
chain(int sig, siginfo_t *si, void *uc)
{
    const struct sigaction *p = sig == SIGBUS ? &prev_bus : &prev_segv;
    if ((p->sa_flags & SA_SIGINFO) && p->sa_sigaction) {
        p->sa_sigaction(sig, si, uc);
        return;
    }
    if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
        p->sa_handler(sig);
        return;
    }
    /* Default action: restore it; returning re-runs the faulting
     * instruction, which now ends the process as it would have. A signal
     * that was sent, not raised by a fault, is sent again. */
    signal(sig, SIG_DFL);
    if (!si || si->si_code <= 0)
        raise(sig);
}

static void
on_fault(int sig, siginfo_t *si, void *uc)
{
    struct actri_task *t = S.current;
    const char *addr = si ? (const char *)si->si_addr : NULL;
    if (t && addr && addr >= t->stack.map && addr < t->stack.lo) {
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
        signal(SIGABRT, SIG_DFL);
        abort();
    }
    chain(sig, si, uc);
}

void
actri_stackguard_install(void)
{
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0};
    stack_t cur;
    /* Keep an alternate stack someone else set up (ASan sets one). */
    if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE))
        (void)sigaltstack(&ss, NULL);
    if (installed)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &prev_segv) == 0 && sigaction(SIGBUS, &sa, &prev_bus) == 0)
        installed = 1;
}
