/* polyglot: a mixed tree. A C root actor (the registrar) spawns a C child,
 * cworker (this program in child mode, serving polyglot.actor), and a
 * tractor child, pyworker (Python, serving pyworker.py). Each child finds
 * the other by name through the root and calls it: the root asks
 * pyworker to ask cworker for a sum (Python calling C), then asks cworker
 * to ask pyworker for a greeting (C calling Python).
 *
 *   polyglot [PYDIR]      PYDIR holds pyworker.py (default examples/polyglot)
 *
 * The tractor child runs under $ACTR_TRACTOR_PYTHON with
 * $ACTR_TRACTOR_PYTHONPATH (where tractor imports from) and PYDIR on its
 * import path; see README.md. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "polyglot.actor.h"
#include "pyworker.actor.h"

/* ------------------------------------------------------------ cworker */

int
polyglot_add_impl(actr_call *call, int64_t a, int64_t b, int64_t *out)
{
    (void)call;
    *out = a + b;
    return 0;
}

/* C calling Python: pyworker registered with the root when it started;
 * wait for it by name (bounded), then call it like any actor. */
int
polyglot_ask_py_impl(actr_call *call, actr_str name, actr_str who, actr_str *out)
{
    actr_scope sc;
    actr_portal *p = NULL;
    int rc = actr_fail_after(&sc, 10000);
    if (rc == 0) {
        rc = actr_wait_for_actor(name.ptr, NULL, 0, &p);
        int src = actr_scope_exit(&sc);
        if (rc == 0 || rc == ACTR_ECANCELED)
            rc = src < 0 ? src : rc;
    }
    if (rc < 0)
        return actr_call_fail(call, "LookupError", "no actor %s registered: %s", name.ptr,
                              actr_strerror(rc));
    rc = pyworker_greet(p, who, out);
    actr_portal_close(p);
    if (rc == 0)
        actr_call_own_result(call);
    return rc;
}

/* ------------------------------------------------------------ root */

static int
failed(const char *what, int rc)
{
    const actr_error *e = actr_last_error();
    if (e->code == rc)
        fprintf(stderr, "polyglot: %s: %s: %s\n", what, actr_errname(rc), e->message);
    else
        fprintf(stderr, "polyglot: %s: %s\n", what, actr_strerror(rc));
    return rc;
}

struct paths {
    char pythonpath[8192];
};

static int
calls(actr_portal *cw, actr_portal *py)
{
    int64_t sum;
    int rc = pyworker_ask_c(py, ACTR_STR("cworker"), 2, 40, &sum);
    if (rc < 0)
        return failed("pyworker:ask_c", rc);
    printf("pyworker asked cworker: add(2, 40) = %lld\n", (long long)sum);
    actr_str hello;
    rc = polyglot_ask_py(cw, ACTR_STR("pyworker"), ACTR_STR("C"), &hello);
    if (rc < 0)
        return failed("polyglot:ask_py", rc);
    printf("cworker asked pyworker: %s\n", hello.ptr);
    actr_str_free(&hello);
    return 0;
}

static int
root(actr_actor *self, void *arg)
{
    struct paths *pp = arg;
    (void)self;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return failed("opening the actor nursery", rc);
    const char *cmods[] = {"polyglot"}, *pymods[] = {"pyworker"};
    actr_spawn_opts cso = {.enable = cmods, .nenable = 1};
    /* python NULL: $ACTR_TRACTOR_PYTHON, else python3 on PATH */
    actr_tractor_child tc = {.pythonpath = pp->pythonpath};
    actr_spawn_opts pso = {.enable = pymods, .nenable = 1, .tractor = &tc};
    actr_portal *cw, *py;
    if ((rc = actr_actor_nursery_start(an, "cworker", &cso, &cw)) < 0)
        failed("spawning cworker", rc);
    else if ((rc = actr_actor_nursery_start(an, "pyworker", &pso, &py)) < 0)
        failed("spawning pyworker (tractor)", rc);
    else
        rc = calls(cw, py);
    /* Tears both down: each is asked to cancel (self:cancel) and reaped. */
    int crc = actr_actor_nursery_close(an);
    if (crc < 0)
        failed("closing the actor nursery", crc);
    else if (rc == 0)
        printf("both children reaped, bye\n");
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    static struct paths pp;
    const char *pydir = argc > 1 && strncmp(argv[1], "--", 2) != 0 ? argv[1]
                      : "examples/polyglot";
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/pyworker.py", pydir);
    const char *tp = getenv("ACTR_TRACTOR_PYTHONPATH");
    if (strncmp(argc > 1 ? argv[1] : "", "--actr-", 7) != 0) {
        /* the root: check what the tractor child will need */
        if (access(probe, R_OK) != 0) {
            fprintf(stderr, "polyglot: no %s (give the directory of pyworker.py)\n", probe);
            return 2;
        }
        char *abs = realpath(pydir, NULL);
        snprintf(pp.pythonpath, sizeof pp.pythonpath, "%s%s%s", abs ? abs : pydir,
                 tp && *tp ? ":" : "", tp ? tp : "");
        free(abs);
    }
    const actr_module *mods[] = {&polyglot_module};
    /* S28: tractor actors cannot prove the tree's secret; a mixed tree
     * takes the insecure opt-in (its children inherit it). */
    actr_actor_opts o = {.name = "root", .modules = mods, .nmodules = 1, .insecure = 1};
    return actr_main(argc, argv, &o, root, &pp) < 0 ? 1 : 0;
}
