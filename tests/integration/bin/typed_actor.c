/* The actor the typed-stub suite (check_typed_stubs.c) spawns: serves
 * typedmod through the generated typedmod_*_impl functions, the way a
 * user program does, and leaves typedmod_missing_impl undefined (calls
 * to it must fail with AttributeError; the program must still link).
 * (_GNU_SOURCE, for asprintf, comes from the test flags.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/actr.h>

#include "typedmod.actor.h"

int
typedmod_add_impl(actr_call *call, int64_t a, int64_t b, int64_t *out)
{
    (void)call;
    *out = a + b;
    return 0;
}

int
typedmod_greet_impl(actr_call *call, actr_str name, const actr_str *title,
                    typedmod_string_opt *out)
{
    if (name.len == 0)
        return 0;                       /* out stays absent: a nil result */
    char *s;
    int n = asprintf(&s, "hello, %s%s%s", title ? title->ptr : "", title ? " " : "", name.ptr);
    if (n < 0)
        return actr_call_fail(call, "MemoryError", "out of memory");
    out->has = true;
    out->value.ptr = s;
    out->value.len = (size_t)n;
    actr_call_own_result(call);         /* the runtime frees s after sending */
    return 0;
}

int
typedmod_fail_impl(actr_call *call, actr_str type_name, actr_str message)
{
    return actr_call_fail(call, type_name.ptr, "%s", message.ptr);
}

int
typedmod_total_impl(actr_call *call, const typedmod_quote_list *quotes,
                    const typedmod_filter *f, typedmod_side side, const uint32_t *limit,
                    double *out)
{
    (void)call;
    double sum = 0;
    uint32_t counted = 0;
    for (size_t i = 0; i < quotes->len; i++) {
        const typedmod_quote *q = &quotes->items[i];
        if (q->side != side || (f != NULL && q->price < f->min_price))
            continue;
        if (limit != NULL && counted == *limit)
            break;
        sum += q->price;
        counted++;
    }
    *out = sum;
    return 0;
}

int
typedmod_quotes_impl(typedmod_quotes_call *call, actr_str sym, uint32_t count,
                     const uint32_t *pause_ms)
{
    for (uint32_t i = 0; i < count; i++) {
        if (i > 0 && pause_ms != NULL) {
            int rc = actr_sleep(*pause_ms);
            if (rc < 0)
                return rc;
        }
        typedmod_quote q = {sym, 100.0 + i, i, i % 2 ? TYPEDMOD_SIDE_SELL : TYPEDMOD_SIDE_BUY};
        int rc = typedmod_quotes_call_yield(call, &q);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
typedmod_feed_impl(typedmod_feed_call *call, const typedmod_string_list *syms, uint64_t *out)
{
    int rc = typedmod_feed_call_started(call, (uint32_t)syms->len);
    if (rc < 0)
        return rc;
    uint64_t sent = 0;
    for (;;) {
        actr_str sym = {0};
        rc = typedmod_feed_call_recv(call, &sym);
        if (rc == ACTR_EPIPE)
            break;                      /* the caller is done */
        if (rc < 0)
            return rc;
        typedmod_quote q = {sym, 1.5 * (double)(sent + 1), sent, TYPEDMOD_SIDE_BUY};
        rc = typedmod_feed_call_send(call, &q);
        actr_codec_free(&actr_type_string, &sym);
        if (rc < 0)
            return rc;
        sent++;
    }
    *out = sent;
    return 0;
}

int
typedmod_idle_impl(typedmod_idle_call *call, actr_str tag, bool *out)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, "idle:%s", tag.ptr);
    actr_str started = {buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1};
    int rc = typedmod_idle_call_started(call, started);
    if (rc < 0)
        return rc;
    rc = actr_sleep(60 * 1000);         /* until cancelled (ACTR_ECANCELED) */
    if (rc < 0)
        return rc;
    *out = true;
    return 0;
}

int
typedmod_drain_impl(typedmod_drain_call *call)
{
    int rc = typedmod_drain_call_started(call);
    if (rc < 0)
        return rc;
    int64_t sum = 0, v;
    while ((rc = typedmod_drain_call_recv(call, &v)) == 0) {
        sum += v;
        rc = typedmod_drain_call_send(call, sum);
        if (rc < 0)
            return rc;
    }
    return rc == ACTR_EPIPE ? 0 : rc;
}

int
main(int argc, char **argv)
{
    const actr_module *mods[] = {&typedmod_module};
    const char *en[] = {"typedmod"};
    actr_actor_opts o = {.name = "typed", .modules = mods, .nmodules = 1,
                         .enable = en, .nenable = 1};
    return actr_main(argc, argv, &o, NULL, NULL) < 0 ? 1 : 0;
}
