/* The environment variables actr reads (actr/env.h): one table, read and
 * checked in one place. */
#include <actr/env.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static const actr_env_info table[ACTR_ENV_COUNT] = {
    [ACTR_ENV_LOGLEVEL] = {"ACTR_LOGLEVEL", "error|warning|info|cancel|runtime|debug|N",
                           "log level of every actor (default warning;"
                           " opts.loglevel wins)"},
    [ACTR_ENV_NO_COLOR] = {"NO_COLOR", "any value", "no colour in log lines on a terminal"},
    [ACTR_ENV_REGISTRY] = {"ACTR_REGISTRY", "URL[,URL...]|none",
                           "registrars (default tcp://127.0.0.1:1616)"},
    [ACTR_ENV_FLOW_CONTROL] = {"ACTR_FLOW_CONTROL", "on|off",
                               "off: streams announce no window (S27; default on)"},
    [ACTR_ENV_CHILD_WRAPPER] = {"ACTR_CHILD_WRAPPER", "COMMAND",
                                "children run under it (\"valgrind -q\"), the whole tree"},
    [ACTR_ENV_EXTENSIONS] = {"ACTR_EXTENSIONS", "on|off",
                             "off: use none of actr's protocol extensions (default on)"},
    [ACTR_ENV_TRACTOR_PYTHON] = {"ACTR_TRACTOR_PYTHON", "PATH",
                                 "python of tractor children (default python3)"},
    [ACTR_ENV_TRACTOR_PYTHONPATH] = {"ACTR_TRACTOR_PYTHONPATH", "DIR[:DIR...]",
                                     "put before PYTHONPATH for tractor children"},
    [ACTR_ENV_PROGRAM] = {"ACTR_PROGRAM", "PATH",
                          "actr-tractor-child: the actr program to run"},
    [ACTR_ENV_ENABLE] = {"ACTR_ENABLE", "MODULE[,MODULE...]",
                         "actr-tractor-child: the modules it serves"},
    [ACTR_ENV_SECRET_FILE] = {"ACTR_SECRET_FILE", "PATH",
                              "the tree's secret (S28): a file of this user, mode 0600"},
    [ACTR_ENV_INSECURE] = {"ACTR_INSECURE", "on|off",
                           "on: accept and call peers without the secret (tractor"
                           " interop; default off)"},
    [ACTR_ENV_HOME] = {"HOME", "DIR", "default secret file ~/.config/actr/secret"},
    [ACTR_ENV_XDG_CONFIG_HOME] = {"XDG_CONFIG_HOME", "DIR",
                                  "default secret file DIR/actr/secret (before HOME)"},
    [ACTR_ENV_XDG_RUNTIME_DIR] = {"XDG_RUNTIME_DIR", "DIR",
                                  "private directory DIR/actr for Unix sockets"},
    [ACTR_ENV_MAX_TASKS] = {"ACTR_MAX_TASKS", "N",
                            "RPC tasks at once per actor (default 10000; S28)"},
    [ACTR_ENV_MAX_CONN_TASKS] = {"ACTR_MAX_CONN_TASKS", "N",
                                 "RPC tasks at once per channel (default 2000)"},
    [ACTR_ENV_MAX_CONNS] = {"ACTR_MAX_CONNS", "N",
                            "connections at once per listener (default 1024, or 3/4 of"
                            " the fd limit when lower)"},
    [ACTR_ENV_MAX_INPUT] = {"ACTR_MAX_INPUT", "BYTES",
                            "partial-frame bytes buffered, all channels (default 256 MiB)"},
    [ACTR_ENV_ENCRYPT] = {"ACTR_ENCRYPT", "auto|on|off",
                          "encrypt channels (S28; auto: TCP links that leave the host)"},
    [ACTR_ENV_KEEPALIVE_MS] = {"ACTR_KEEPALIVE_MS", "MS",
                               "ping idle actr peers; close a channel silent this long"},
    [ACTR_ENV_ETCD_TTL] = {"ACTR_ETCD_TTL", "1..3600",
                           "lease seconds of an actor's etcd entry (default 5)"},
    [ACTR_ENV_ETCD_CACERT] = {"ACTR_ETCD_CACERT", "PEM FILE", "etcds://: the CA to trust"},
    [ACTR_ENV_ETCD_CERT] = {"ACTR_ETCD_CERT", "PEM FILE", "etcds://: client certificate"},
    [ACTR_ENV_ETCD_KEY] = {"ACTR_ETCD_KEY", "PEM FILE", "etcds://: its key"},
    [ACTR_ENV_ETCD_USER] = {"ACTR_ETCD_USER", "NAME[:PASSWORD]", "etcd user (auth enabled)"},
    [ACTR_ENV_ETCD_PASSWORD] = {"ACTR_ETCD_PASSWORD", "PASSWORD",
                                "etcd password, when not in ACTR_ETCD_USER"},
    [ACTR_ENV_ETCD_TREE] = {"ACTR_ETCD_TREE", "URL[,URL...]",
                            "set by actr for children: the tree's etcd registries"},
    [ACTR_ENV_DEBUG] = {"ACTR_DEBUG", "on|off", "debug mode for the tree (root only; S25)"},
    [ACTR_ENV_GDB] = {"ACTR_GDB", "PATH", "the debugger debug mode runs (default gdb)"},
};

static unsigned char warned[ACTR_ENV_COUNT];

const actr_env_info *
actr_env_list(size_t *n)
{
    if (n)
        *n = ACTR_ENV_COUNT;
    return table;
}

const char *
actr_env_get(actr_env_var v)
{
    if ((unsigned)v >= ACTR_ENV_COUNT)
        return NULL;
    const char *s = getenv(table[v].name);
    return s && *s ? s : NULL;
}

const char *
actr_env_raw(actr_env_var v)
{
    return (unsigned)v < ACTR_ENV_COUNT ? getenv(table[v].name) : NULL;
}

void
actr_env_warn_bad(actr_env_var v, const char *why)
{
    if ((unsigned)v >= ACTR_ENV_COUNT || warned[v])
        return;
    warned[v] = 1;
    const char *s = getenv(table[v].name);
    /* Plain stderr: the log level may itself be what is wrong. */
    fprintf(stderr, "actr: ignoring %s=%s (%s; accepted: %s)\n", table[v].name, s ? s : "",
            why ? why : "not a value it accepts", table[v].values);
}

size_t
actr_env_count(actr_env_var v, size_t dflt)
{
    const char *s = actr_env_get(v);
    if (!s)
        return dflt;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || x == 0 || x > SIZE_MAX / 2 || s[0] == '-') {
        actr_env_warn_bad(v, "not a positive count");
        return dflt;
    }
    return (size_t)x;
}

int
actr_env_bool(actr_env_var v, int dflt)
{
    const char *s = actr_env_get(v);
    if (!s)
        return dflt;
    static const char *const on[] = {"1", "on", "yes", "true"};
    static const char *const off[] = {"0", "off", "no", "false"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, on[i]) == 0)
            return 1;
        if (strcasecmp(s, off[i]) == 0)
            return 0;
    }
    actr_env_warn_bad(v, "not a switch");
    return dflt;
}
