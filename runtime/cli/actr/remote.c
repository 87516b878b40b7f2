/* The commands that talk to one actor: call, stream, endpoints, cancel
 * (and the actr:info lookup of ps --tree). */
#define _GNU_SOURCE
#define ACTR_BUILDING_LIB       /* actr:info's typed stub (idl/actr_introspect.actor) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actr_introspect.actor.h"
#include "cli.h"

static const char usage_call[] =
    "usage: actr call [OPTIONS] NAME|URL MODULE:FUNC [KEY=VALUE... | --json OBJECT]\n"
    "  Calls a function endpoint and prints its result as JSON. A VALUE that\n"
    "  parses as JSON is that value (n=3, ok=true, tags='[\"a\"]'), else a string.\n";
static const char usage_stream[] =
    "usage: actr stream [OPTIONS] NAME|URL MODULE:GEN [KEY=VALUE... | --json OBJECT]\n"
    "  Opens a generator endpoint and prints each value it yields, one JSON\n"
    "  value per line, until it ends (Ctrl-C cancels it).\n";
static const char usage_endpoints[] =
    "usage: actr endpoints [OPTIONS] [--json] NAME|URL\n"
    "  Lists the actor's enabled modules and endpoints: kinds, parameters, types.\n";
static const char usage_cancel[] =
    "usage: actr cancel [OPTIONS] NAME|URL\n"
    "  Cancels the whole actor (self:cancel) and waits 0.5 s for its answer.\n";
static const char usage_options[] =
    "options: --registry URL (repeatable; default $" ACTR_REGISTRY_ENV " or "
    ACTR_REGISTRY_DEFAULT "),\n         --timeout SECONDS (bounds the whole command)\n";

/* Parses argv for a command taking NAME|URL and, when want_fn, MODULE:FUNC
 * and arguments. Returns CLI_OK, or a status to exit with. */
static int
setup(struct cli *c, int argc, char **argv, const char *usage, int want_fn)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("%s%s", usage, usage_options);
            c->status = CLI_OK;
            return -1;
        }
    }
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0, st = pos ? cli_parse(c, argc, argv, pos, &npos) : CLI_FAILED;
    const char *json = NULL;
    int nargs = npos;
    for (int i = 0; st == CLI_OK && i < npos; i++) {
        if (strcmp(pos[i], "--json") == 0) {
            if (i + 1 >= npos || i + 2 != npos) {
                cli_err(c, "--json takes one JSON object, after MODULE:FUNC");
                st = CLI_USAGE;
            } else {
                json = pos[i + 1];
                nargs = i;
            }
        }
    }
    int need = want_fn ? 2 : 1;
    if (st == CLI_OK && (nargs < need || (!want_fn && nargs > 1))) {
        cli_err(c, "%s", nargs < need ? (want_fn ? "needs NAME|URL and MODULE:FUNC"
                                                 : "needs NAME|URL")
                                      : "takes one NAME|URL");
        fprintf(stderr, "%s", usage);
        st = CLI_USAGE;
    }
    if (st == CLI_OK) {
        c->target = pos[0];
        if (want_fn) {
            c->fn = pos[1];
            const char *colon = strchr(c->fn, ':');
            if (!colon || colon == c->fn || !colon[1]) {
                cli_err(c, "\"%s\" is not MODULE:FUNC (e.g. ticker:add)", c->fn);
                st = CLI_USAGE;
            } else {
                st = cli_kwargs(c, pos + 2, nargs - 2, json, &c->kwargs);
            }
        }
    }
    free(pos);
    if (st == CLI_OK)
        st = cli_registry(c);
    c->status = st;
    return st == CLI_OK ? 0 : -1;
}

/* Runs a command: parse, then body in a client actor. */
static int
command(const char *name, int argc, char **argv, const char *usage, int want_fn,
        int (*body)(struct cli *c))
{
    struct cli c = {.cmd = name};
    int st = setup(&c, argc, argv, usage, want_fn) == 0 ? cli_run(&c, body) : c.status;
    cli_free(&c);
    return st;
}

/* ------------------------------------------------------------ call */

static int
call_body(struct cli *c)
{
    actr_portal *p;
    if (cli_open(c, &p) < 0)
        return CLI_FAILED;
    actr_any res = {0};
    int rc = actr_portal_call_raw(p, c->fn, &c->kwargs, &res);
    actr_portal_close(p);
    if (rc == ACTR_EINVAL) {
        cli_err(c, "%s is not a function endpoint (try: actr stream, or actr endpoints %s)",
                c->fn, c->target);
        return CLI_FAILED;
    }
    if (rc < 0) {
        cli_err_call(c, c->fn, rc);
        return CLI_FAILED;
    }
    int st = CLI_OK;
    if (cli_print_json(&res, 0) < 0) {
        cli_err(c, "%s: the result is not one msgpack value", c->fn);
        st = CLI_FAILED;
    }
    actr_any_free(&res);
    return st;
}

int
cli_call(int argc, char **argv)
{
    return command("call", argc, argv, usage_call, 1, call_body);
}

/* ------------------------------------------------------------ stream */

static int
stream_body(struct cli *c)
{
    actr_portal *p;
    if (cli_open(c, &p) < 0)
        return CLI_FAILED;
    actr_ctx *s;
    int rc = actr_stream_open_raw(p, c->fn, &c->kwargs, &s);
    if (rc < 0) {
        if (rc == ACTR_EINVAL)
            cli_err(c, "%s is not a generator endpoint (try: actr call, or actr endpoints %s)",
                    c->fn, c->target);
        else
            cli_err_call(c, c->fn, rc);
        actr_portal_close(p);
        return CLI_FAILED;
    }
    int st = CLI_OK;
    for (;;) {
        actr_any v = {0};
        rc = actr_ctx_recv(s, &v);
        if (rc < 0)
            break;
        if (cli_print_json(&v, 1) < 0) {
            cli_err(c, "%s: a value is not one msgpack value", c->fn);
            st = CLI_FAILED;
        }
        actr_any_free(&v);
    }
    if (rc != ACTR_EPIPE) {
        if (rc == ACTR_ECANCELED)
            cli_err(c, "%s: cancelled", c->fn);
        else
            cli_err_call(c, c->fn, rc);
        st = CLI_FAILED;
    }
    actr_ctx_close(s);
    actr_portal_close(p);
    return st;
}

int
cli_stream(int argc, char **argv)
{
    return command("stream", argc, argv, usage_stream, 1, stream_body);
}

/* ------------------------------------------------------------ endpoints */

/* actr:info of the actor behind p, asked only of an actr actor (one that
 * announced actr's extensions in its handshake): ACTR_ENOTSUP for any
 * other peer, which is never sent an extension. An actr actor without the
 * module (an old one) answers ModuleNotExposed (ACTR_ENOTFOUND). */
static int
info_of(actr_portal *p, actr_introspect_actor_info *out)
{
    memset(out, 0, sizeof *out);
    if (!actr_portal_peer_actr(p))
        return actr_error_set(ACTR_ENOTSUP, "%s is not an actr actor", actr_portal_name(p));
    return actr_introspect_info(p, out);
}

static void
print_opt(const char *lead, const actr_introspect_string_opt *o)
{
    if (o->has)
        printf("%s%s", lead, o->value.ptr);
}

static void
print_info(const actr_introspect_actor_info *in)
{
    printf("actor %s (%s) pid %lld", in->uid.name.ptr, in->uid.uuid.ptr, (long long)in->pid);
    if (in->parent)
        printf(", child of %s (%s)", in->parent->name.ptr, in->parent->uuid.ptr);
    printf("\n");
    for (size_t i = 0; i < in->addrs.len; i++)
        printf("  listens on %s\n", in->addrs.items[i].ptr);
    if (in->modules.len == 0)
        printf("no enabled module\n");
    for (size_t i = 0; i < in->modules.len; i++) {
        const actr_introspect_module_info *m = &in->modules.items[i];
        printf("module %s (namespace %s)\n", m->name.ptr, m->ns.ptr);
        for (size_t k = 0; k < m->endpoints.len; k++) {
            const actr_introspect_endpoint *e = &m->endpoints.items[k];
            printf("  %-7s %s:%s(", e->kind.ptr, m->ns.ptr, e->name.ptr);
            for (size_t j = 0; j < e->params.len; j++)
                printf("%s%s: %s", j ? ", " : "", e->params.items[j].name.ptr,
                       e->params.items[j].type_name.ptr);
            printf(")");
            print_opt(" -> ", &e->result);
            print_opt(" yields ", &e->yields);
            if (e->started.has || e->stream.has) {
                printf(" {");
                print_opt(" started: ", &e->started);
                printf("%s", e->started.has ? ";" : "");
                print_opt(" stream: ", &e->stream);
                printf("%s }", e->stream.has ? ";" : "");
            }
            printf("\n");
        }
    }
}

static int
endpoints_body(struct cli *c)
{
    actr_portal *p;
    if (cli_open(c, &p) < 0)
        return CLI_FAILED;
    actr_introspect_actor_info in;
    int rc = info_of(p, &in);
    actr_portal_close(p);
    if (rc == ACTR_ENOTSUP) {
        cli_err(c, "%s is not an actr actor (a tractor actor?): it has no actr:info to"
                " describe its endpoints", c->target);
        return CLI_FAILED;
    }
    if (rc == ACTR_ENOTFOUND) {
        cli_err(c, "%s does not answer actr's introspection (%s): not an actr actor?",
                c->target, actr_last_error()->type_name ? actr_last_error()->type_name
                                                        : "ModuleNotExposed");
        return CLI_FAILED;
    }
    if (rc < 0) {
        cli_err_call(c, "actr:info", rc);
        return CLI_FAILED;
    }
    int st = CLI_OK;
    if (c->json) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        if (actr_codec_encode_buf(&sb, &actr_introspect_actor_info_type, &in, NULL) == 0) {
            actr_any v = {(uint8_t *)sb.data, sb.size};
            st = cli_print_json(&v, 0) == 0 ? CLI_OK : CLI_FAILED;
        } else {
            st = CLI_FAILED;
        }
        msgpack_sbuffer_destroy(&sb);
    } else {
        print_info(&in);
    }
    actr_introspect_actor_info_free(&in);
    return st;
}

int
cli_endpoints(int argc, char **argv)
{
    return command("endpoints", argc, argv, usage_endpoints, 0, endpoints_body);
}

int
cli_parent_of(const char *url, char **parent)
{
    actr_portal *p;
    *parent = NULL;
    int rc = actr_portal_open(url, &p);
    if (rc < 0)
        return rc;
    actr_introspect_actor_info in;
    rc = info_of(p, &in);
    actr_portal_close(p);
    if (rc < 0)
        return rc;
    if (in.parent && !(*parent = strdup(in.parent->uuid.ptr)))
        rc = ACTR_ENOMEM;
    actr_introspect_actor_info_free(&in);
    return rc;
}

/* ------------------------------------------------------------ cancel */

static int
cancel_body(struct cli *c)
{
    actr_portal *p;
    if (cli_open(c, &p) < 0)
        return CLI_FAILED;
    char who[160];
    snprintf(who, sizeof who, "%s (%s)", actr_portal_name(p), actr_portal_uuid(p));
    int acked = actr_portal_cancel_actor(p);
    actr_portal_close(p);
    if (!acked) {
        cli_err(c, "%s did not acknowledge the cancel within %d ms", who,
                ACTR_CANCEL_ACTOR_TIMEOUT_MS);
        return CLI_FAILED;
    }
    printf("cancelled %s\n", who);
    return CLI_OK;
}

int
cli_cancel(int argc, char **argv)
{
    return command("cancel", argc, argv, usage_cancel, 0, cancel_body);
}
