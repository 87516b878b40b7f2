/* The interop suite's harness (tests/interop): live tractor actors as
 * peers of actr actors. Python processes run tests/interop/py/tpeer.py
 * under the interpreter and path of the tractor environment ($PY313 and
 * $TRACTOR_PYTHONPATH, as `make interop` sets them), each in a process
 * group of its own that dies with the test (PR_SET_PDEATHSIG, then a kill
 * of the whole group), so no Python process outlives its test. */
#ifndef IOP_H
#define IOP_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include <actr/actr.h>

/* 1 when the tractor environment is set ($PY313, $TRACTOR_PYTHONPATH). */
int iop_have_env(void);

/* Path of $(BUILD)/<rel> and of the source tree's <rel>. */
const char *iop_build_path(const char *rel);
const char *iop_src_path(const char *rel);

/* A fresh private directory for this test's sockets and files (also the
 * tractor processes' XDG_RUNTIME_DIR). */
const char *iop_dir(void);

/* Starts argv[0..] as a process with stdout and stderr appended to the
 * file out (in iop_dir), in its own process group, with extra "K=V"
 * environment entries env (NULL-terminated, may be NULL). Python is
 * "$PY313 tpeer.py ..." when argv[0] is "tpeer". Returns its pid. */
int iop_spawn(const char *const *argv, const char *const *env, const char *out);

/* Waits up to ms for a line of file (in iop_dir) starting with prefix,
 * copies it into line. 1 found, 0 not. A cancellation point when called
 * in a task (it sleeps in steps). */
int iop_wait_line(const char *file, const char *prefix, char *line, size_t cap, int64_t ms);

/* The whole text of file (in iop_dir), NUL-terminated, static. */
const char *iop_text(const char *file);

/* Its last 2,500 bytes (for failure messages). */
const char *iop_tail(const char *file);

/* Waits up to ms for pid to exit (in a task: the loop reaps children);
 * returns its wait status, or -1 when it is still running. */
int iop_wait(int pid, int64_t ms);

/* SIGKILLs pid's process group and reaps pid. */
void iop_kill(int pid);

/* Kills every process of every group iop_spawn made and every process
 * left whose parent is this one (orphans come to us: the test process is
 * a child subreaper), and returns how many were still there. */
int iop_sweep(void);

/* Starts a tractor root serving pyactors: `tpeer.py serve name maddr`,
 * registrar at maddr when none answers there. Waits for it to serve and
 * writes the multiaddr it listens on into addr. Returns its pid. */
int iop_tractor_serve(const char *name, const char *maddr, char *addr, size_t cap);

/* A free loopback TCP port as a multiaddr, for a tractor registrar (which
 * cannot register itself at port 0): the kernel's choice, never fixed. */
const char *iop_free_maddr(void);

/* The multiaddr form of an actr URL (tcp://h:p -> /ip4/h/tcp/p,
 * unix:///p -> /unix/p), static. */
const char *iop_maddr(const char *url);

/* Runs fn(self, arg) as the main task of an actr root actor named name
 * (modules: pyactors, testmod; registry as given, NULL: none; listen as
 * given, NULL: tcp://127.0.0.1:0). Returns actr_main's result. */
int iop_root(const char *name, const char *const *registry, size_t nreg,
             const char *const *listen, size_t nlisten, actr_actor_fn fn, void *arg);

/* Per test: subreaper, fd count; iop_end sweeps, fails on leftovers and
 * leaked fds. */
void iop_begin(void);
void iop_end(void);

#define ck_assert_actr_ok(expr)                                                      \
    do {                                                                             \
        int ck_rc_ = (expr);                                                         \
        ck_assert_msg(ck_rc_ >= 0, "%s -> %s: %s", #expr, actr_errname(ck_rc_),      \
                      actr_last_error()->message);                                   \
    } while (0)

#endif
