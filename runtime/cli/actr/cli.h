/* runtime/cli/actr/cli.h: the parts of the `actr` tool shared by its
 * commands (actr.c: main, ps; remote.c: call, stream, endpoints, cancel;
 * json.c: msgpack <-> JSON with jansson). */
#ifndef ACTR_CLI_H
#define ACTR_CLI_H

#include <stddef.h>

#include <actr/actr.h>

/* Exit statuses: 0 done, 1 failed (no such actor or endpoint, a remote
 * error, a timeout), 2 a usage error (bad option, argument or JSON). */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* One command line, parsed. */
struct cli {
    const char *cmd;            /* "call", "stream", ... */
    const char **registry;      /* --registry URLs (else the default list) */
    size_t nregistry;
    char **dflt;                /* the default list, owned */
    size_t ndflt;
    int json;                   /* --json output (ps, endpoints) */
    int tree;                   /* ps --tree */
    long timeout_ms;            /* --timeout: bounds the whole command; 0 = none */
    const char *target;         /* NAME or URL */
    const char *fn;             /* "module:func" */
    actr_any kwargs;            /* encoded map, owned */
    int status;                 /* exit status, set by the command */
};

/* Prints "actr CMD: <formatted>" and a newline on stderr. */
void cli_err(const struct cli *c, const char *fmt, ...) ACTR_PRINTF(2, 3);

/* Prints one line for a failed call: the remote error type and the first
 * line of its message (actr_last_error), or the code's text; what names
 * the call ("ticker:add"). */
void cli_err_call(const struct cli *c, const char *what, int rc);

/* Fills c->registry from the environment's list when no --registry was
 * given and checks every URL. Returns CLI_OK or a status (message printed). */
int cli_registry(struct cli *c);

/* Runs fn(c) as the main task of a client actor (no registration),
 * bounded by c->timeout_ms. Returns c->status, or CLI_FAILED with a
 * message when the actor could not run or the time ran out. */
int cli_run(struct cli *c, int (*fn)(struct cli *c));

/* Inside cli_run: a portal to c->target, a URL (tcp://, unix://, a
 * multiaddr) or a name or uuid looked up with the registrars. Returns 0,
 * or a negative code after printing why. */
int cli_open(struct cli *c, actr_portal **out);

/* The kwargs of `key=value...` (a value that parses as JSON is that
 * value, else it is a string) or of `--json OBJECT`, encoded as one
 * msgpack map into *out (free with actr_any_free). Returns CLI_OK or
 * CLI_USAGE after printing why. */
int cli_kwargs(const struct cli *c, char **args, int nargs, const char *json, actr_any *out);

/* Prints one msgpack value as JSON on stdout, followed by a newline:
 * indented, or on one line (compact). Returns 0 or -1 (not one value). */
int cli_print_json(const actr_any *v, int compact);

/* The commands of remote.c, each run with the rest of argv. */
int cli_call(int argc, char **argv);
int cli_stream(int argc, char **argv);
int cli_endpoints(int argc, char **argv);
int cli_cancel(int argc, char **argv);

/* Parses the options shared by the commands (--registry URL, --json,
 * --timeout SECONDS, --) and stores the rest, in order, in pos (*npos).
 * Returns CLI_OK, or CLI_USAGE after printing why. */
int cli_parse(struct cli *c, int argc, char **argv, char **pos, int *npos);

/* Frees what cli_parse and cli_registry allocated. */
void cli_free(struct cli *c);

/* For ps --tree: the uuid of the parent of the actor at url (malloc'd in
 * *parent, NULL for a root) by actr:info, only from an actor that answers
 * it. Returns 0 or a negative code. Inside cli_run. */
int cli_parent_of(const char *url, char **parent);

#endif
