/* What a fatal signal does (core/backtrace.h). One handler, on the
 * alternate signal stack stackguard.c sets up, for SIGSEGV and SIGBUS
 * always (the stack overflow report) and for SIGFPE, SIGILL and SIGABRT
 * too once a crash hook or the crash handler asked for them:
 *   1. a fault in the running task's guard page is reported as a stack
 *      overflow (stackguard.c);
 *   2. the crash hook runs (debug mode, SEMANTICS S25: the debugger or
 *      the backtraces of every task), or else, with
 *      actr_crash_handler_install, the backtrace of every task is
 *      written to stderr;
 *      (on a stack of its own, big enough for libdw);
 *   3. then the process dies of that signal as it would have without us:
 *      the default action is restored and the faulting instruction runs
 *      again (a sent or raised signal is sent again). Without a hook or
 *      the crash handler, the fault goes to whoever handled it before us
 *      (ASan, a debugger's handler) or to the default action, and a
 *      stack overflow aborts as it always did.
 * A second fatal signal inside the handler (the crash was in something
 * the handler uses) skips straight to step 3. */
#define _GNU_SOURCE
#include "core/backtrace.h"
#include "core/core.h"

#include <actr/debug.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define NFATAL (sizeof fatal_sigs / sizeof fatal_sigs[0])

/* The work of a crash (the hook, backtraces) runs on a stack of its own:
 * the alternate signal stack may be small (AddressSanitizer's is), and
 * libdw needs room. */
#define CRASH_STACK_SIZE (1024u * 1024u)

static struct {
    struct sigaction prev[NFATAL];   /* what each signal did before us */
    unsigned installed;              /* bit i: fatal_sigs[i] is ours */
    actri_crash_fn hook;             /* debug mode's, or NULL */
    int print;                       /* actr_crash_handler_install ran */
    volatile sig_atomic_t inside;    /* the handler runs */
    struct stackinfo stack;          /* the crash's own stack (map NULL: none) */
    struct fiber work, handler;      /* on it, and back to the handler */
    int sig;                         /* the crash being handled */
    siginfo_t *si;
    void *uc;
} cr;

static int
sig_index(int sig)
{
    for (unsigned i = 0; i < NFATAL; i++)
        if (fatal_sigs[i] == sig)
            return (int)i;
    return -1;
}

/* Hands the signal to the previous disposition. */
static void
chain(int sig, siginfo_t *si, void *uc)
{
    const struct sigaction *p = &cr.prev[sig_index(sig)];
    if ((p->sa_flags & SA_SIGINFO) && p->sa_sigaction) {
        p->sa_sigaction(sig, si, uc);
        return;
    }
    if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
        p->sa_handler(sig);
        return;
    }
    actri_crash_die(sig, si);
}

void
actri_crash_die(int sig, const siginfo_t *si)
{
    /* Restore the default action; returning re-runs the faulting
     * instruction, which now ends the process as it would have. A signal
     * that was sent or raised, not caused by a fault, is sent again (it
     * is blocked until the handler returns). */
    signal(sig, SIG_DFL);
    if (!si || si->si_code <= 0)
        raise(sig);
}

/* The hook, or the crash handler's report. */
static void
crash_work(void)
{
    if (cr.hook)
        cr.hook(cr.sig, cr.si, cr.uc);
    else
        actri_bt_crash_report(STDERR_FILENO, NULL, cr.sig, cr.si, cr.uc);
}

static void
work_entry(void *arg)
{
    (void)arg;
    actri_fiber_started();
    crash_work();
    actri_fiber_switch_final(&cr.work, &cr.handler);
}

static void
on_fatal(int sig, siginfo_t *si, void *uc)
{
    int overflow = (sig == SIGSEGV || sig == SIGBUS) && actri_stackguard_report(si);
    if (cr.inside) {
        actri_crash_die(sig, si);
        return;
    }
    cr.inside = 1;
    if (cr.hook || cr.print) {
        cr.sig = sig;
        cr.si = si;
        cr.uc = uc;
        if (cr.stack.map) {
            actri_fiber_init(&cr.work, cr.stack.lo, cr.stack.hi, work_entry, NULL);
            actri_fiber_switch(&cr.handler, &cr.work);
        } else {
            crash_work();
        }
        /* Back on the handler's stack: a signal sent again is seen
         * (by a debugger, too) where it was first delivered. */
        actri_crash_die(sig, si);
    } else if (overflow) {
        signal(SIGABRT, SIG_DFL);
        abort();
    } else {
        cr.inside = 0;
        chain(sig, si, uc);
    }
}

/* Takes over sig (keeping what it did before for chain). */
static void
take(int sig)
{
    int i = sig_index(sig);
    if (cr.installed & (1u << i))
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    /* SA_NODEFER: a fault inside the handler reaches it again (and goes
     * to the default action) instead of hanging on a blocked signal. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, &cr.prev[i]) == 0)
        cr.installed |= 1u << i;
}

static void
take_all(void)
{
    actri_stackguard_altstack();
    if (!cr.stack.map && !actri_stack_alloc(CRASH_STACK_SIZE, 64, &cr.stack))
        cr.stack.map = NULL;
    for (unsigned i = 0; i < NFATAL; i++)
        take(fatal_sigs[i]);
}

void
actri_crash_install(void)
{
    actri_stackguard_altstack();
    if (cr.hook || cr.print) {
        take_all();
        return;
    }
    take(SIGSEGV);
    take(SIGBUS);
}

void
actri_crash_set_hook(actri_crash_fn fn)
{
    cr.hook = fn;
    if (fn)
        take_all();
}

const char *
actri_signame(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGABRT:
        return "SIGABRT";
    case SIGTRAP:
        return "SIGTRAP";
    default:
        return "signal";
    }
}

int
actr_crash_handler_install(void)
{
    cr.print = 1;
    take_all();
    actri_bt_warm();
    return cr.installed == (1u << NFATAL) - 1 ? 0 : ACTR_EIO;
}
