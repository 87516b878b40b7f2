/* actr/module.h: module descriptors, the table actrc emits for every
 * .actor module: each endpoint's wire name, kind, parameters and the type
 * descriptors of its arguments and of the values it exchanges. The actor
 * runtime uses it to route a Start message ("ns", "func", kwargs) to an
 * endpoint and to check the payloads that travel on its dialog. */
#ifndef ACTR_MODULE_H
#define ACTR_MODULE_H

#include <stddef.h>

#include "api.h"
#include "codec.h"

ACTR_BEGIN_DECLS

/* The callee side of one running call (actr/ctx.h). */
typedef struct actr_call actr_call;

/* Trampoline of one endpoint, emitted by actrc (or written by hand): the
 * actor runtime calls it in the task that serves a Start request, with
 * args decoded by the endpoint's `args` descriptor (borrowed, freed by the
 * runtime afterwards) and result pointing to zeroed storage of
 * result->size bytes (NULL when the endpoint has no result type). It
 * returns 0 (the runtime then sends *result as the Return payload; a GEN
 * endpoint sends Stop) or a negative ACTR_E* code (the runtime sends an
 * Error; see actr_call_fail). Ownership of *result: actr_call_own_result. */
typedef int (*actr_invoke_fn)(actr_call *call, const void *args, void *result);

/* Endpoint kinds (SEMANTICS.md S6), with the functype a StartAck carries. */
typedef enum actr_endpoint_kind {
    ACTR_ENDPOINT_FN = 1,   /* one result: StartAck "asyncfunc", Return */
    ACTR_ENDPOINT_GEN,      /* callee streams: StartAck "asyncgen", Yield*, Stop */
    ACTR_ENDPOINT_CONTEXT   /* StartAck "context", Started, Yield both ways, Return */
} actr_endpoint_kind;

/* One endpoint. A NULL type pointer means the value is always nil (a fn
 * without a result, a context without a started value or stream). */
typedef struct actr_endpoint {
    const char *name;                 /* IDL name (also the C name part) */
    const char *func;                 /* wire function name: Start.func */
    const char *wire_name;            /* "ns:func", for logs and errors */
    actr_endpoint_kind kind;
    const char *const *params;        /* parameter (kwargs key) names, in order */
    size_t nparams;
    const actr_type *args;            /* kwargs: a map-encoded struct */
    const actr_type *result;          /* FN, CONTEXT: Return.pld */
    const actr_type *yield;           /* GEN: each Yield.pld */
    const actr_type *started;         /* CONTEXT: Started.pld */
    const actr_type *stream_out;      /* CONTEXT: callee -> caller Yield.pld */
    const actr_type *stream_in;       /* CONTEXT: caller -> callee Yield.pld */
    /* Added by the actor runtime (keep new members at the end): */
    actr_invoke_fn invoke;            /* callee trampoline; NULL = not served here */
    uint32_t window;                  /* GEN, CONTEXT: the IDL's default
                                         flow-control window (S27), 0 = none */
} actr_endpoint;

/* A module: the namespace a Start message's "ns" names. */
typedef struct actr_module {
    const char *name;                 /* IDL module name (C prefix) */
    const char *ns;                   /* wire namespace: Start.ns */
    const char *source;               /* the .actor file it came from */
    const actr_endpoint *endpoints;
    size_t nendpoints;
    const actr_type *const *types;    /* the module's named types */
    size_t ntypes;
} actr_module;

/* Returns the endpoint of m whose wire function name is func[0..len), or
 * NULL. Linear in the number of endpoints; does not block. */
ACTR_API const actr_endpoint *actr_module_find(const actr_module *m, const char *func,
                                               size_t len);

/* Returns the StartAck functype string of a kind ("asyncfunc", "asyncgen",
 * "context"), or NULL for an invalid kind. */
ACTR_API const char *actr_endpoint_functype(actr_endpoint_kind kind);

ACTR_END_DECLS

#endif
