/* What the actr tool's commands share: options, the registry list, the
 * client actor they run in, finding the target actor, error lines. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "discovery/backend.h"

/* Above ACTR_LOG_ERROR: the tool prints its own one-line errors; the
 * runtime's log lines appear only when ACTR_LOGLEVEL asks for them. */
#define CLI_QUIET 50

void
cli_err(const struct cli *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "actr %s: ", c->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void
cli_err_call(const struct cli *c, const char *what, int rc)
{
    const actr_error *e = actr_last_error();
    const char *msg = e->code == rc && e->message && *e->message ? e->message : actr_strerror(rc);
    /* tractor puts an ordinary error's text at the end of its traceback */
    if (e->code == rc && (!e->message || !*e->message) && e->traceback && *e->traceback) {
        const char *end = e->traceback + strlen(e->traceback);
        while (end > e->traceback && end[-1] == '\n')
            end--;
        const char *line = end;
        while (line > e->traceback && line[-1] != '\n')
            line--;
        fprintf(stderr, "actr %s: %s: %.*s\n", c->cmd, what, (int)(end - line), line);
        return;
    }
    int n = (int)strcspn(msg, "\n");
    size_t tl = e->type_name ? strlen(e->type_name) : 0;
    if (e->code == rc && e->type_name
        && !(strncmp(msg, e->type_name, tl) == 0 && msg[tl] == ':'))
        fprintf(stderr, "actr %s: %s: %s: %.*s\n", c->cmd, what, e->type_name, n, msg);
    else
        fprintf(stderr, "actr %s: %s: %.*s\n", c->cmd, what, n, msg);
}

int
cli_parse(struct cli *c, int argc, char **argv, char **pos, int *npos)
{
    c->registry = calloc((size_t)argc + 1, sizeof *c->registry);
    if (!c->registry)
        return CLI_FAILED;
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (++i < argc)
                pos[(*npos)++] = argv[i];
        } else if (strcmp(a, "--registry") == 0 || strcmp(a, "--timeout") == 0) {
            if (i + 1 >= argc) {
                cli_err(c, "%s needs a value", a);
                return CLI_USAGE;
            }
            const char *v = argv[++i];
            if (a[2] == 'r') {
                c->registry[c->nregistry++] = v;
                continue;
            }
            char *end;
            double s = strtod(v, &end);
            if (end == v || *end || !(s > 0) || s > 1e6) {
                cli_err(c, "--timeout wants a number of seconds, not \"%s\"", v);
                return CLI_USAGE;
            }
            c->timeout_ms = (long)(s * 1000 + 0.5);
        } else if (strcmp(a, "--json") == 0 && strcmp(c->cmd, "call") != 0
                   && strcmp(c->cmd, "stream") != 0) {
            c->json = 1;
        } else if (strcmp(a, "--json") == 0) {
            pos[(*npos)++] = argv[i];           /* call/stream: --json OBJECT */
            if (i + 1 < argc)
                pos[(*npos)++] = argv[++i];
        } else if (a[0] == '-' && a[1] == '-') {
            cli_err(c, "unknown option \"%s\" (try: actr %s --help)", a, c->cmd);
            return CLI_USAGE;
        } else {
            pos[(*npos)++] = argv[i];
        }
    }
    return CLI_OK;
}

void
cli_free(struct cli *c)
{
    for (size_t i = 0; i < c->ndflt; i++)
        free(c->dflt[i]);
    free(c->dflt);
    free(c->registry);
    actr_any_free(&c->kwargs);
}

int
cli_registry(struct cli *c)
{
    if (c->nregistry == 0) {
        const char *env = actr_env_raw(ACTR_ENV_REGISTRY);
        if (disc_registry_split(env ? env : ACTR_REGISTRY_DEFAULT, &c->dflt, &c->ndflt) < 0) {
            cli_err(c, "%s in %s", actr_last_error()->message, ACTR_REGISTRY_ENV);
            return CLI_USAGE;
        }
        const char **v = realloc(c->registry, (c->ndflt + 1) * sizeof *v);
        if (!v)
            return CLI_FAILED;
        c->registry = v;
        for (size_t i = 0; i < c->ndflt; i++)
            c->registry[c->nregistry++] = c->dflt[i];
    }
    for (size_t i = 0; i < c->nregistry; i++) {
        if (disc_registry_check(c->registry[i]) < 0) {
            cli_err(c, "%s", actr_last_error()->message);
            return CLI_FAILED;
        }
    }
    return CLI_OK;
}

struct run {
    struct cli *c;
    int (*fn)(struct cli *c);
};

static int
run_task(actr_actor *self, void *arg)
{
    (void)self;
    struct run *r = arg;
    actr_scope sc;
    int scoped = r->c->timeout_ms > 0;
    if (scoped && actr_move_on_after(&sc, r->c->timeout_ms) < 0)
        return ACTR_ESTATE;
    r->c->status = r->fn(r->c);
    if (scoped) {
        actr_scope_exit(&sc);
        if (actr_scope_expired(&sc)) {
            cli_err(r->c, "timed out after %.3g s", r->c->timeout_ms / 1000.0);
            r->c->status = CLI_FAILED;
        }
    }
    return 0;
}

int
cli_run(struct cli *c, int (*fn)(struct cli *c))
{
    struct run r = {c, fn};
    actr_actor_opts o = {.name = "actr-cli", .registry = c->registry,
                         .nregistry = c->nregistry,
                         .loglevel = actr_env_get(ACTR_ENV_LOGLEVEL) ? 0 : CLI_QUIET};
    char *args[] = {"actr", NULL};
    int rc = actr_main_role(1, args, &o, ACTR_ROLE_CLIENT, run_task, &r);
    if (rc < 0) {
        cli_err(c, "%s", actr_strerror(rc));
        return CLI_FAILED;
    }
    return c->status;
}

static int
is_url(const char *s)
{
    return strstr(s, "://") != NULL || s[0] == '/';
}

int
cli_open(struct cli *c, actr_portal **out)
{
    int rc;
    if (is_url(c->target)) {
        rc = actr_portal_open(c->target, out);
        if (rc < 0)
            cli_err(c, "cannot reach an actor at %s: %s", c->target, actr_strerror(rc));
        return rc;
    }
    rc = actr_find_actor(c->target, c->registry, c->nregistry, out);
    if (rc == ACTR_ENOTFOUND) {
        cli_err(c, "no actor named \"%s\" is registered (registr%s %s%s)", c->target,
                c->nregistry > 1 ? "ies" : "y", c->nregistry ? c->registry[0] : "none",
                c->nregistry > 1 ? ", ..." : "");
    } else if (rc == ACTR_ECONNREFUSED) {
        cli_err(c, "no registry answered at %s%s (give --registry URL or set %s)",
                c->nregistry ? c->registry[0] : "(none)", c->nregistry > 1 ? ", ..." : "",
                ACTR_REGISTRY_ENV);
    } else if (rc < 0) {
        cli_err(c, "looking up \"%s\": %s", c->target, actr_strerror(rc));
    }
    return rc;
}
