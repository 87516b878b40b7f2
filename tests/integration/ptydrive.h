/* A small pseudo-terminal driver for the debug-mode suite (check_debug.c):
 * runs a program as the leader of a new session whose controlling
 * terminal is a pty we hold, then reads what it writes and types into it,
 * as pexpect does for the Python system's debugger tests. Everything is
 * bounded by deadlines; ptyd_close kills whatever is left in the session
 * (gdb included) and reaps the program. */
#ifndef ITEST_PTYDRIVE_H
#define ITEST_PTYDRIVE_H

#include <stddef.h>

typedef struct ptyd ptyd;

/* Starts argv[0] (a path) with argv in a new session, with the
 * environment plus the "NAME=value" strings of env (NULL-terminated, may
 * be NULL): with tty, on a new pty (200x1000: no pager) that is its controlling
 * terminal; without, with stdin from /dev/null and stdout and stderr to
 * a pipe we read (no terminal at all). Returns the driver, or NULL. */
ptyd *ptyd_start(char *const argv[], const char *const env[], int tty);

/* Reads until the output since the last match contains needle, at most
 * ms. Returns 1 when it does (the output up to the end of the match is
 * consumed), 0 on timeout or when the program closed the terminal. */
int ptyd_expect(ptyd *p, const char *needle, int ms);

/* Types s (bytes, e.g. "bt\n" or "\003" for Ctrl-C). Returns 0 or -1. */
int ptyd_send(ptyd *p, const char *s);

/* Everything the program wrote so far (NUL-terminated, for messages). */
const char *ptyd_transcript(const ptyd *p);

/* Times needle occurs in the whole transcript. */
int ptyd_count(const ptyd *p, const char *needle);

/* Waits up to ms for the program to exit (reading its output meanwhile);
 * returns 1 and its wait status in *status, or 0. */
int ptyd_wait(ptyd *p, int *status, int ms);

/* Waits up to 5 s for every process of the program's session to end,
 * then kills what is left (gdb included), reaps the program, closes the
 * pty and frees p. Returns the number of processes it had to kill (0
 * after a clean end). */
int ptyd_close(ptyd *p);

/* Processes (other than zombies) in session sid. */
int ptyd_session_count(int sid);

#endif
