/* actr/debug.h: finding out what went wrong, in one process or in a
 * whole actor tree (SEMANTICS S25).
 *
 * Backtraces are symbolized (function, source file and line, inlined
 * calls included) with elfutils' libdwfl from the program's own debug
 * information: build with -g to get files and lines.
 *
 * Debug mode (the Python system's debug_mode, with gdb) is turned on in
 * the root by actr_actor_opts.debug_mode or ACTR_DEBUG=1, and every actor
 * of the tree inherits it (the SpawnSpec's _debug_mode). Then:
 * - a crash of any actor (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT), an
 *   endpoint that fails (actr_debug_set_filter chooses which failures),
 *   and actr_pause stop that actor and attach gdb to it on the root's
 *   terminal, at the failing frame. One actor at a time holds the
 *   terminal: a lock held by the root and asked for over IPC
 *   (`actr:debug_lock`, runtime/PROTOCOL.md); the others wait their
 *   turn, and an actor nursery does not tear down a child while an actor
 *   below it holds or waits for the lock. gdb runs in its own process
 *   group in the terminal's foreground, so Ctrl-C goes to gdb, not to
 *   the tree.
 * - Quitting or detaching gdb, or `continue`, ends the session: the actor
 *   goes on, a crash ends the process with its signal and an error is
 *   answered, so the failure propagates as usual.
 * - Without a terminal (the root's stdin and stdout are not the
 *   terminal it controls in the foreground, as in CI or a daemon), or
 *   without gdb, or where ptrace is not allowed, the stopping actor
 *   prints the symbolized backtrace of every one of its tasks to stderr
 *   instead, under the same lock, and goes on.
 * ACTR_GDB names the debugger to run (default: gdb on the PATH). */
#ifndef ACTR_DEBUG_H
#define ACTR_DEBUG_H

#include "api.h"
#include "error.h"
#include "module.h"

ACTR_BEGIN_DECLS

/* The backtrace of the calling task (of the thread, outside a task),
 * innermost frame (the caller) first, one line a frame, as text that the
 * caller frees with free(). Returns its length, ACTR_ENOMEM or
 * ACTR_EINVAL (out NULL). Does not block; callable anywhere but a signal
 * handler. */
ACTR_API ACTR_NODISCARD int actr_backtrace(char **out);

/* Writes the backtrace of every task of this process (each with its
 * name, id and state) and of the loop's own stack to fd. Does not block
 * (but for writing to fd); callable anywhere but a signal handler. */
ACTR_API void actr_backtrace_all(int fd);

/* For plain C code, inside an actor or not (the seeds'
 * open_crash_handler): from now on a crash (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGABRT) writes which signal hit which task and the backtrace
 * of every task to stderr, then ends the process with that signal as it
 * would have ended anyway. A stack overflow of a task is named as such
 * first. Returns 0, or ACTR_EIO when a handler could not be installed.
 * Does not block. */
ACTR_API int actr_crash_handler_install(void);

/* 1 when this actor runs in debug mode, else 0. Does not block. */
ACTR_API int actr_debug_mode(void);

/* A breakpoint anywhere in the tree (the Python system's pause()): in
 * debug mode, waits for the root's terminal (a cancellation point while
 * it waits), then stops the whole actor under gdb, which shows the
 * caller's frame; returns once the session ended (continue, detach or
 * quit). Without a terminal it prints the backtrace of every task under
 * the same lock instead. Returns 0, ACTR_ECANCELED, or ACTR_ESTATE (debug
 * mode is off, or outside a task). */
ACTR_API int actr_pause(void);

/* Which endpoint failures stop their actor in debug mode: called in the
 * failing actor with the endpoint and the error it is about to answer
 * (code, type_name, message; src_uid set when it came from another
 * actor); returns 1 to stop. The failure then stops at the
 * implementation's frame that named it (actr_call_fail), or else at the
 * frame of the runtime task that ran the implementation. */
typedef int (*actr_debug_filter_fn)(const actr_endpoint *ep, const actr_error *e,
                                    void *arg);

/* The default filter: every failure but cancellations (ACTR_ECANCELED,
 * ACTR_ECTXCANCEL), a dead channel (ACTR_ECLOSED: the cause is
 * elsewhere) and errors relayed from another actor (which stopped
 * there). */
ACTR_API int actr_debug_filter_default(const actr_endpoint *ep, const actr_error *e,
                                       void *arg);

/* Sets the filter of this process (NULL: the default; a filter that
 * returns 0 keeps only crashes and actr_pause). Call it before actr_main,
 * in main(), to cover the children that run this program as well. */
ACTR_API void actr_debug_set_filter(actr_debug_filter_fn fn, void *arg);

ACTR_END_DECLS

#endif
