/* core/backtrace.h: symbolized backtraces of tasks (backtrace.c, with
 * elfutils' libdwfl) and what a fatal signal does (crash.c), for the
 * runtime's own layers. Not installed, not exported from the shared
 * library; the public side is actr/debug.h.
 *
 * A backtrace is one line a frame, innermost first:
 *   "    #0  crash_here at /src/prog.c:42"
 *   "    #1  helper at /src/prog.c:50 (inlined)"   (an inlined call)
 *   "    #2  0x00007f3b56cf624a in __libc_start_call_main (libc.so.6)"
 * (no line: the pc and the object). Tasks are unwound from their saved
 * registers, the running one from its live ones, with the call frame
 * information of each object; memory is read with process_vm_readv, so
 * a broken stack ends the backtrace instead of faulting, and neither
 * AddressSanitizer nor valgrind sees the reads. */
#ifndef ACTR_CORE_BACKTRACE_H
#define ACTR_CORE_BACKTRACE_H

#include <signal.h>

/* The running task's backtrace (the thread's outside a task), without
 * its skip innermost frames (the calling function is frame 0), as text
 * (malloc'd, one frame a line); NULL without memory. Never fails
 * otherwise: without symbols or unwind support the text says so. */
char *actri_bt_here(unsigned skip);

/* Writes the backtrace of every task of the process, and of the loop's
 * own stack, to fd: for each task a header line with its name, id and
 * state, then its frames. uc is the ucontext of a signal handler (the
 * running task, or the loop, is unwound from the interrupted registers)
 * or NULL (from the calling point, which is left out). */
void actri_bt_all(int fd, const void *uc);

/* actri_bt_all from the calling point, the running task's frames
 * starting at the caller of function after (a name on its stack; else
 * at the caller of this function). */
void actri_bt_all_after(int fd, const char *after);

/* What a crash handler writes: one line naming who crashed (who, e.g.
 * "actor NAME", or NULL), the signal (and the faulting address of a
 * fault) and the task, then actri_bt_all. */
void actri_bt_crash_report(int fd, const char *who, int sig, const siginfo_t *si,
                           const void *uc);

/* Frees what backtraces keep (libdw's state, its open files, the name
 * cache): actr_run does when its loop ends, so it returns with nothing
 * of the run left open. The next backtrace loads them again (~1 ms). */
void actri_bt_release(void);

/* Loads the symbol tables now, outside a signal handler, so a crash has
 * less to do. */
void actri_bt_warm(void);

/* A crash hook: runs in the fatal-signal handler, on a stack of its own
 * (1 MiB); when it returns the process dies of the signal
 * (actri_crash_die), or, for a fault, of the faulting instruction run
 * again (under a debugger that attached meanwhile, say). */
typedef void (*actri_crash_fn)(int sig, siginfo_t *si, void *uc);

/* Installs fn (NULL: none) as what every fatal signal (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT) does after the stack overflow report. */
void actri_crash_set_hook(actri_crash_fn fn);

/* Makes the signal end the process as it would have without a handler:
 * restores the default action, and sends a signal that did not come
 * from a fault again. The handler returns right after. */
void actri_crash_die(int sig, const siginfo_t *si);

/* The signal's name ("SIGSEGV"), or "signal". */
const char *actri_signame(int sig);

#endif
