/* actr/env.h: every environment variable actr reads, in one table.
 *
 * The README's "Environment" section and `actr --help` print this table;
 * the runtime reads variables only through actr_env_get, so nothing is
 * read that is not listed. A value a variable does not accept is warned
 * about once per process (on stderr, naming the variable, the value and
 * what it accepts) and the default is used instead. */
#ifndef ACTR_ENV_H
#define ACTR_ENV_H

#include <stddef.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* The variables (indexes into the table). */
typedef enum actr_env_var {
    ACTR_ENV_LOGLEVEL,        /* ACTR_LOGLEVEL: the log level */
    ACTR_ENV_NO_COLOR,        /* NO_COLOR: no colour in logs on a terminal */
    ACTR_ENV_REGISTRY,        /* ACTR_REGISTRY: the registrar addresses */
    ACTR_ENV_FLOW_CONTROL,    /* ACTR_FLOW_CONTROL: S27 windows on or off */
    ACTR_ENV_CHILD_WRAPPER,   /* ACTR_CHILD_WRAPPER: children run under it */
    ACTR_ENV_EXTENSIONS,      /* ACTR_EXTENSIONS: actr's protocol extensions */
    ACTR_ENV_TRACTOR_PYTHON,  /* ACTR_TRACTOR_PYTHON: tractor children's python */
    ACTR_ENV_TRACTOR_PYTHONPATH, /* ACTR_TRACTOR_PYTHONPATH: their import path */
    ACTR_ENV_PROGRAM,         /* ACTR_PROGRAM: the actr-tractor-child shim's program */
    ACTR_ENV_ENABLE,          /* ACTR_ENABLE: the modules the shim's program serves */
    ACTR_ENV_SECRET_FILE,     /* ACTR_SECRET_FILE: the file holding the secret (S28) */
    ACTR_ENV_INSECURE,        /* ACTR_INSECURE: accept peers without the secret */
    ACTR_ENV_HOME,            /* HOME: where the default secret file lives */
    ACTR_ENV_XDG_CONFIG_HOME, /* XDG_CONFIG_HOME: the same, first */
    ACTR_ENV_XDG_RUNTIME_DIR, /* XDG_RUNTIME_DIR: where private socket dirs go */
    ACTR_ENV_MAX_TASKS,       /* ACTR_MAX_TASKS: RPC tasks per actor (S28) */
    ACTR_ENV_MAX_CONN_TASKS,  /* ACTR_MAX_CONN_TASKS: RPC tasks per channel */
    ACTR_ENV_MAX_CONNS,       /* ACTR_MAX_CONNS: connections per listener */
    ACTR_ENV_MAX_INPUT,       /* ACTR_MAX_INPUT: partial-frame bytes, all channels */
    ACTR_ENV_ENCRYPT,         /* ACTR_ENCRYPT: encrypt channels (auto: off the host) */
    ACTR_ENV_KEEPALIVE_MS,    /* ACTR_KEEPALIVE_MS: opt-in keepalive with actr peers */
    ACTR_ENV_ETCD_TTL,        /* ACTR_ETCD_TTL: lease seconds of etcd entries */
    ACTR_ENV_ETCD_CACERT,     /* ACTR_ETCD_CACERT: CA file (etcds://) */
    ACTR_ENV_ETCD_CERT,       /* ACTR_ETCD_CERT: client certificate (etcds://) */
    ACTR_ENV_ETCD_KEY,        /* ACTR_ETCD_KEY: its key (etcds://) */
    ACTR_ENV_ETCD_USER,       /* ACTR_ETCD_USER: "name" or "name:password" */
    ACTR_ENV_ETCD_PASSWORD,   /* ACTR_ETCD_PASSWORD: when not in ACTR_ETCD_USER */
    ACTR_ENV_ETCD_TREE,       /* ACTR_ETCD_TREE: a tree's etcd URLs (set for children) */
    ACTR_ENV_DEBUG,           /* ACTR_DEBUG: debug mode in the root (S25) */
    ACTR_ENV_GDB,             /* ACTR_GDB: the debugger debug mode runs */
    ACTR_ENV_COUNT
} actr_env_var;

/* One row of the table: the name, the values it accepts and what it
 * does (static strings). */
typedef struct actr_env_info {
    const char *name;
    const char *values;
    const char *meaning;
} actr_env_info;

/* The table (ACTR_ENV_COUNT rows, in actr_env_var order); *n gets its
 * length when n is not NULL. */
ACTR_API const actr_env_info *actr_env_list(size_t *n);

/* The value of v in this process's environment, or NULL when unset or
 * set to "" (both mean "the default"). */
ACTR_API const char *actr_env_get(actr_env_var v);

/* The value of v as set, "" included (ACTR_REGISTRY="" means none), or
 * NULL when unset. */
ACTR_API const char *actr_env_raw(actr_env_var v);

/* Warns once per process that v's value is not one it accepts (why says
 * what was wrong); later calls for v say nothing. */
ACTR_API void actr_env_warn_bad(actr_env_var v, const char *why);

/* v as a count: a decimal integer in 1..SIZE_MAX/2; dflt when unset;
 * anything else is warned about once and gives dflt. */
ACTR_API size_t actr_env_count(actr_env_var v, size_t dflt);

/* v as a switch: 1 for 1/on/yes/true, 0 for 0/off/no/false (any case),
 * dflt when unset; anything else is warned about once and gives dflt. */
ACTR_API int actr_env_bool(actr_env_var v, int dflt);

ACTR_END_DECLS

#endif
