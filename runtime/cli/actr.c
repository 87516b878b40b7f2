/* actr: the command-line tool, grpcurl for actors.
 *
 *   actr ps [--registry URL...] [--json] [--tree]
 *   actr call NAME|URL MODULE:FUNC [KEY=VALUE... | --json OBJECT]
 *   actr stream NAME|URL MODULE:GEN [KEY=VALUE... | --json OBJECT]
 *   actr endpoints NAME|URL
 *   actr cancel NAME|URL
 *
 * ps lists the actors registered with the given registries, registrars
 * or etcd clusters (default: the ACTR_REGISTRY list, else
 * tcp://127.0.0.1:1616): name, uuid, pid where known, and every address,
 * as a table or (--json) as a JSON array for scripts; --tree asks each
 * actor for its parent (actr:info) and shows the trees. An actor
 * registered with several registries is listed once.
 * The other commands are in actr/remote.c. Every command exits 0, 1 when
 * it failed (one line on stderr says why), 2 on a usage error. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "actr/cli.h"
#include "discovery/backend.h"

struct ps {
    struct cli cl;                /* the registry list */
    int json;
    int tree;
    actr_registry_entry *all;     /* merged by uuid */
    char **parent;                /* --tree: parent uuid of each, or NULL */
    size_t nall;
    size_t answered;
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: actr ps [--registry URL...] [--json] [--tree]\n"
               "  Lists the actors registered with the registries at URL: registrars\n"
               "  (tcp://HOST:PORT, unix:///PATH) or etcd (etcd://HOST:PORT[,HOST:PORT...][/PREFIX]);\n"
               "  default: $%s or %s. --tree shows who spawned whom.\n",
            ACTR_REGISTRY_ENV, ACTR_REGISTRY_DEFAULT);
}

static int
has_url(const actr_registry_entry *e, const char *u)
{
    for (size_t i = 0; i < e->naddrs; i++)
        if (strcmp(e->addrs[i], u) == 0)
            return 1;
    return 0;
}

/* Moves the entries of v into ps->all, merging actors seen before. */
static int
merge(struct ps *ps, actr_registry_entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        actr_registry_entry *e = NULL;
        for (size_t j = 0; j < ps->nall && !e; j++)
            if (strcmp(ps->all[j].uuid, v[i].uuid) == 0)
                e = &ps->all[j];
        if (!e) {
            actr_registry_entry *nv = realloc(ps->all, (ps->nall + 1) * sizeof *nv);
            if (!nv)
                return -1;
            ps->all = nv;
            ps->all[ps->nall++] = v[i];
            memset(&v[i], 0, sizeof v[i]);
            continue;
        }
        if (!e->pid)
            e->pid = v[i].pid;
        for (size_t k = 0; k < v[i].naddrs; k++) {
            if (has_url(e, v[i].addrs[k]))
                continue;
            char **na = realloc(e->addrs, (e->naddrs + 1) * sizeof *na);
            if (!na)
                return -1;
            e->addrs = na;
            e->addrs[e->naddrs++] = v[i].addrs[k];
            v[i].addrs[k] = NULL;
        }
    }
    return 0;
}

static void
json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void
print_json(const struct ps *ps)
{
    printf("[");
    for (size_t i = 0; i < ps->nall; i++) {
        const actr_registry_entry *e = &ps->all[i];
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_str(e->name);
        printf(", \"uuid\": ");
        json_str(e->uuid);
        if (e->pid > 0)
            printf(", \"pid\": %lld, ", (long long)e->pid);
        else
            printf(", \"pid\": null, ");
        if (ps->tree) {
            printf("\"parent\": ");
            if (ps->parent[i])
                json_str(ps->parent[i]);
            else
                printf("null");
            printf(", ");
        }
        printf("\"addrs\": [");
        for (size_t k = 0; k < e->naddrs; k++) {
            printf("%s", k ? ", " : "");
            json_str(e->addrs[k]);
        }
        printf("]}");
    }
    printf("%s]\n", ps->nall ? "\n" : "");
}

/* The index of the entry whose uuid is the parent of entry i, or -1 (a
 * root, an actor that did not say, a parent not registered). */
static long
parent_index(const struct ps *ps, size_t i)
{
    if (!ps->tree || !ps->parent[i])
        return -1;
    for (size_t j = 0; j < ps->nall; j++)
        if (j != i && strcmp(ps->all[j].uuid, ps->parent[i]) == 0)
            return (long)j;
    return -1;
}

static void
print_row(const struct ps *ps, size_t i, const char *prefix, int wn)
{
    const actr_registry_entry *e = &ps->all[i];
    char pid[24] = "-", name[256];
    if (e->pid > 0)
        snprintf(pid, sizeof pid, "%lld", (long long)e->pid);
    snprintf(name, sizeof name, "%s%s", prefix, e->name);
    printf("%-*s  %-36s  %7s  ", wn, name, e->uuid, pid);
    for (size_t k = 0; k < e->naddrs; k++)
        printf("%s%s", k ? ", " : "", e->addrs[k]);
    printf("\n");
}

/* Entry i and, below it, its children, drawn as `tree` does in ASCII. */
static void
print_subtree(const struct ps *ps, size_t i, const char *lead, int last, int top, int wn,
              int depth)
{
    char prefix[256], next[256];
    snprintf(prefix, sizeof prefix, "%s%s", lead, top ? "" : last ? "`-- " : "|-- ");
    snprintf(next, sizeof next, "%s%s", lead, top ? "" : last ? "    " : "|   ");
    print_row(ps, i, prefix, wn);
    if (depth > 32)
        return;
    size_t nkids = 0, seen = 0;
    for (size_t j = 0; j < ps->nall; j++)
        nkids += parent_index(ps, j) == (long)i;
    for (size_t j = 0; j < ps->nall; j++)
        if (parent_index(ps, j) == (long)i)
            print_subtree(ps, j, next, ++seen == nkids, 0, wn, depth + 1);
}

static int
tree_depth(const struct ps *ps, size_t i)
{
    int d = 0;
    for (long p = parent_index(ps, i); p >= 0 && d < 32; p = parent_index(ps, (size_t)p))
        d++;
    return d;
}

static void
print_table(const struct ps *ps)
{
    int wn = 4;
    for (size_t i = 0; i < ps->nall; i++) {
        int w = (int)strlen(ps->all[i].name) + 4 * tree_depth(ps, i);
        if (w > wn)
            wn = w;
    }
    printf("%-*s  %-36s  %7s  %s\n", wn, "NAME", "UUID", "PID", "ADDRESSES");
    for (size_t i = 0; i < ps->nall; i++)
        if (parent_index(ps, i) < 0)
            print_subtree(ps, i, "", 1, 1, wn, 0);
}

static int
ps_main(actr_actor *self, void *arg)
{
    (void)self;
    struct ps *ps = arg;
    for (size_t i = 0; i < ps->cl.nregistry; i++) {
        /* Each registry gets a bounded time: one that hangs does not
         * hang the tool. */
        const char *url = ps->cl.registry[i];
        actr_registry_entry *v = NULL;
        size_t n = 0;
        int rc = disc_list(url, &v, &n);
        if (rc < 0) {
            fprintf(stderr, "actr ps: %s: %s\n", url, actr_last_error()->message);
            continue;
        }
        ps->answered++;
        if (merge(ps, v, n) < 0) {
            actr_registry_entries_free(v, n);
            return ACTR_ENOMEM;
        }
        actr_registry_entries_free(v, n);
    }
    if (ps->tree && ps->nall) {
        ps->parent = calloc(ps->nall, sizeof *ps->parent);
        if (!ps->parent)
            return ACTR_ENOMEM;
        /* A tractor actor has no actr:info: it is drawn as a root. */
        for (size_t i = 0; i < ps->nall; i++) {
            if (ps->all[i].naddrs == 0)
                continue;
            actr_scope sc;
            if (actr_move_on_after(&sc, ACTR_REGISTRY_TIMEOUT_MS) < 0)
                return ACTR_ESTATE;
            (void)cli_parent_of(ps->all[i].addrs[0], &ps->parent[i]);
            actr_scope_exit(&sc);
        }
    }
    return 0;
}

static int
cmd_ps(int argc, char **argv)
{
    struct ps ps = {.cl = {.cmd = "ps"}};
    const char **reg = calloc((size_t)argc + 1, sizeof *reg);
    if (!reg)
        return 1;
    ps.cl.registry = reg;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--registry") == 0) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
                reg[ps.cl.nregistry++] = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            ps.json = 1;
        } else if (strcmp(argv[i], "--tree") == 0) {
            ps.tree = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            cli_free(&ps.cl);
            return 0;
        } else {
            fprintf(stderr, "actr ps: unexpected argument \"%s\"\n", argv[i]);
            usage(stderr);
            cli_free(&ps.cl);
            return 2;
        }
    }
    int status = cli_registry(&ps.cl);
    if (status == CLI_OK && ps.cl.nregistry == 0) {
        fprintf(stderr, "actr ps: no registry address (%s=none)\n", ACTR_REGISTRY_ENV);
        status = 1;
    }
    if (status != CLI_OK) {
        cli_free(&ps.cl);
        return status;
    }
    int level = ACTR_LOG_ERROR;
    if (actr_env_get(ACTR_ENV_LOGLEVEL))
        level = 0;
    actr_actor_opts o = {.name = "actr-ps", .registry = ps.cl.registry,
                         .nregistry = ps.cl.nregistry, .loglevel = level};
    char *args[] = {"actr", NULL};
    int rc = actr_main_role(1, args, &o, ACTR_ROLE_CLIENT, ps_main, &ps);
    if (rc < 0) {
        fprintf(stderr, "actr ps: %s\n", actr_strerror(rc));
        status = 1;
    } else if (ps.answered == 0) {
        fprintf(stderr, "actr ps: no registry answered at");
        for (size_t i = 0; i < ps.cl.nregistry; i++)
            fprintf(stderr, "%s %s", i ? "," : "", ps.cl.registry[i]);
        fprintf(stderr, "\n");
        status = 1;
    } else if (ps.json) {
        print_json(&ps);
    } else {
        print_table(&ps);
    }
    for (size_t i = 0; ps.parent && i < ps.nall; i++)
        free(ps.parent[i]);
    free(ps.parent);
    actr_registry_entries_free(ps.all, ps.nall);
    cli_free(&ps.cl);
    return status;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"ps", cmd_ps, "ps [--registry URL...] [--json] [--tree]   list registered actors"},
    {"call", cli_call, "call NAME|URL MODULE:FUNC [KEY=VALUE... | --json OBJECT]\n"
                       "                            call a function, print its result as JSON"},
    {"stream", cli_stream, "stream NAME|URL MODULE:GEN [KEY=VALUE... | --json OBJECT]\n"
                           "                            print each value a generator yields"},
    {"endpoints", cli_endpoints, "endpoints NAME|URL [--json]  list an actor's endpoints"},
    {"cancel", cli_cancel, "cancel NAME|URL             cancel an actor"},
};

/* Every environment variable actr reads (actr/env.h). */
static void
print_env(FILE *f)
{
    size_t n;
    const actr_env_info *v = actr_env_list(&n);
    fprintf(f, "environment (read by every actr program):\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %s=%s\n      %s\n", v[i].name, v[i].values, v[i].meaning);
}

int
main(int argc, char **argv)
{
    size_t n = sizeof commands / sizeof commands[0];
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: actr COMMAND ...\ncommands:\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "  %s\n", commands[i].help);
        fprintf(f, "NAME is an actor's name or uuid, found with the registries (--registry URL,\n"
                   "repeatable: a registrar's URL or etcd://HOST:PORT/PREFIX; default $%s\n"
                   "or %s); URL an address (tcp://HOST:PORT, unix:///PATH, or tractor's\n"
                   "multiaddr /ip4/HOST/tcp/PORT, /unix/PATH). `actr COMMAND --help` says\n"
                   "more. Exit status: 0 done, 1 failed, 2 usage error.\n",
                   ACTR_REGISTRY_ENV, ACTR_REGISTRY_DEFAULT);
        print_env(f);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "actr: unknown command \"%s\" (try: actr --help)\n", argv[1]);
    return 2;
}
