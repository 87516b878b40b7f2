/* actor/debug.h: debug mode (SEMANTICS S25, actr/debug.h). Private.
 *
 * Two sides:
 * - debug.c, in every actor: the mode itself, what stops an actor (a
 *   crash, a failing endpoint, actr_pause) and how it waits for its turn
 *   and for gdb; a child's crash channel to the root (a connection opened
 *   at start, used only from the fatal-signal handler, when the loop
 *   cannot run any more);
 * - ttylock.c, in the root: the terminal lock (`actr:debug_lock`,
 *   `actr:debug_idle`, idl/actr_debug.actor), and gdb, which it runs on
 *   its terminal in its own foreground process group.
 * The rest of the actor layer calls in at four places: actor start and
 * end (actor.c), a failing endpoint (invoke.c) and a child's teardown
 * (spawn.c). */
#ifndef ACTR_ACTOR_DEBUG_H
#define ACTR_ACTOR_DEBUG_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "actor/actor.h"

/* ------------------------------------------------------------ debug.c */

/* Once the actor serves (a child: before it reports its boot): turns
 * debug mode on in the root when opts or ACTR_DEBUG say so; in debug
 * mode allows the root's debugger to trace us (PR_SET_PTRACER), loads
 * the symbol tables, arms the crash hook and, in a child, opens the
 * crash channel. Never fails the actor: what does not work is logged and
 * replaced by printed backtraces. */
void actri_debug_start(actr_actor *a);

/* Before the actor's teardown: closes what actri_debug_start opened. */
void actri_debug_end(actr_actor *a);

/* call's endpoint failed with rc (not a cancellation), from the
 * implementation's frame (actr_call_fail, named = 1) or from the serving
 * task's: in debug mode, when the filter agrees, stops the actor in the
 * debugger at that frame, once per call. Cancellation point. */
void actri_debug_call_failed(struct actr_call *call, int rc, int named);

/* Before an actor nursery signals child pid: waits (in a shielded task)
 * while an actor of pid's process subtree holds or waits for the
 * terminal. Returns 1 when it waited, 0 at once outside debug mode. */
int actri_debug_wait_child(actr_actor *a, int pid);

/* The module served in the namespace `actr` beside actr:info
 * (idl/actr_debug.actor); linking through this function pulls
 * ttylock.c out of libactr.a. */
const actr_module *actri_debug_module(void);

/* ------------------------------------------------------------ ttylock.c */

/* Writes s to stderr with write(2): usable in a signal handler. */
void actri_debug_say(const char *s);

/* Reads the start of a small file (of /proc) into buf, NUL-terminated;
 * returns its length or -1. Async-signal-safe. */
ssize_t actri_debug_read_proc(const char *path, char *buf, size_t cap);

/* Root only, at start in debug mode: finds the debugger (ACTR_GDB, else
 * gdb on the PATH) and readies the lock. */
void actri_tty_init(actr_actor *a);

/* 1 when a debugger can be run on the root's terminal: stdin and stdout
 * are the terminal, whose foreground process group is ours, and a
 * debugger was found. */
int actri_tty_usable(void);

/* Takes the terminal lock for this process (FIFO) for one of its own
 * stops, registered as asking until actri_tty_release. 0 or
 * ACTR_ECANCELED. Cancellation point. */
int actri_tty_acquire(int pid);
void actri_tty_release(int pid);

/* Waits while an actor of pid's process subtree holds or waits for the
 * lock; returns 1 when it waited. Cancellation point. */
int actri_tty_wait_idle(int pid);

/* Starts gdb on the terminal, in the foreground, attached to pid, stopping
 * at the caller of function frame ("" : a crash, continued into the
 * fault) and setting the int at address go of pid to 1 once pid is
 * stopped. Returns gdb's pid, or 0 when it could not be started. Needs no
 * memory: callable from the fatal-signal handler. */
int actri_gdb_spawn(int pid, const char *frame, uintptr_t go, const char *who,
                    const char *reason);

/* Waits (shielded) for gdb to exit and gives the terminal back. Returns
 * its wait status. */
int actri_gdb_wait(int gdb_pid);

/* From the root's fatal-signal handler: waits for the session running
 * now, if any, to end. */
void actri_tty_crash_wait(void);

#endif
