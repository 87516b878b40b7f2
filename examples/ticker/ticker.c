/* ticker: a context endpoint with a started value and a bidirectional
 * stream. The child streams quotes while the parent changes its
 * subscription; then both finish and the result arrives. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/actr.h>

#include "ticker.actor.h"

#define MAX_SYMS 8

/* ------------------------------------------------------------ callee */

struct feed {
    actr_call *call;
    char syms[MAX_SYMS][16];
    int nsyms;
};

static void
apply(struct feed *f, const char *cmd)
{
    if (cmd[0] == '+' && f->nsyms < MAX_SYMS) {
        snprintf(f->syms[f->nsyms++], sizeof f->syms[0], "%s", cmd + 1);
    } else if (cmd[0] == '-') {
        for (int i = 0; i < f->nsyms; i++)
            if (strcmp(f->syms[i], cmd + 1) == 0) {
                memmove(f->syms[i], f->syms[i + 1], sizeof f->syms[0] * (size_t)(f->nsyms - i - 1));
                f->nsyms--;
                break;
            }
    }
}

/* Reads subscription changes until the caller is done with the stream. */
static int
listen_task(void *arg)
{
    struct feed *f = arg;
    for (;;) {
        actr_str cmd = {0};
        int rc = actr_call_recv(f->call, &cmd);
        if (rc == ACTR_EPIPE)
            return 0;
        if (rc < 0)
            return rc;
        apply(f, cmd.ptr);
        actr_codec_free(&actr_type_string, &cmd);
    }
}

/* Sends a quote of each subscribed symbol every 20 ms. */
static int
quote_task(void *arg)
{
    struct feed *f = arg;
    uint64_t *seq = (uint64_t *)(f + 1);
    for (;;) {
        for (int i = 0; i < f->nsyms; i++) {
            ticker_quote q = {{f->syms[i], strlen(f->syms[i])},
                              100.0 + (double)((*seq * 37 + (uint64_t)i * 11) % 500) / 100.0,
                              *seq};
            int rc = actr_call_send(f->call, &q);
            if (rc < 0)
                return rc;
            (*seq)++;
        }
        int rc = actr_sleep(20);
        if (rc < 0)
            return rc;
    }
}

static int
feed(actr_call *call, const void *args, void *result)
{
    const ticker_feed_args *a = args;
    struct {
        struct feed f;
        uint64_t seq;
    } st = {{.call = call}, 0};
    for (size_t i = 0; i < a->syms.len && i < MAX_SYMS; i++)
        snprintf(st.f.syms[st.f.nsyms++], sizeof st.f.syms[0], "%s", a->syms.items[i].ptr);
    uint32_t n = (uint32_t)st.f.nsyms;
    int rc = actr_call_started(call, &n);
    if (rc < 0)
        return rc;
    actr_nursery *tn;
    if ((rc = actr_nursery_open(&tn)) < 0)
        return rc;
    rc = actr_nursery_spawn(tn, quote_task, &st.f);
    if (rc == 0)
        rc = listen_task(&st.f);    /* the caller's Stop ends the feed */
    actr_nursery_cancel(tn);
    int crc = actr_nursery_close(tn, ACTR_FOREVER);
    *(uint64_t *)result = st.seq;
    return rc < 0 ? rc : (crc == ACTR_ECANCELED ? 0 : crc);
}

/* ------------------------------------------------------------ caller */

static int
recv_until(actr_ctx *c, const char *sym, int count)
{
    for (int seen = 0; seen < count;) {
        ticker_quote q = {0};
        int rc = actr_ctx_recv(c, &q);
        if (rc < 0)
            return rc;
        if (!sym || strcmp(q.sym.ptr, sym) == 0) {
            printf("  quote #%llu %-5s %.2f\n", (unsigned long long)q.seq, q.sym.ptr, q.price);
            seen++;
        }
        ticker_quote_free(&q);
    }
    return 0;
}

static int
root(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    const char *enable[] = {"ticker"};
    actr_spawn_opts so = {.enable = enable, .nenable = 1};
    actr_portal *p;
    rc = actr_actor_nursery_start(an, "exchange", &so, &p);
    if (rc == 0) {
        printf("spawned actor 'exchange'; opening feed(AAPL, MSFT)\n");
        actr_str syms[] = {{"AAPL", 4}, {"MSFT", 4}};
        ticker_feed_args a = {{syms, 2}};
        actr_ctx *c;
        uint32_t nsyms = 0;
        rc = actr_ctx_open(p, actr_module_find(&ticker_module, "feed", 4), &a, NULL, &c, &nsyms);
        if (rc == 0) {
            printf("started: %u symbols\n", nsyms);
            rc = recv_until(c, NULL, 4);
            actr_str plus = {"+GOOG", 5}, minus = {"-AAPL", 5};
            if (rc == 0) {
                printf("subscribing GOOG\n");
                rc = actr_ctx_send(c, &plus);
            }
            if (rc == 0)
                rc = recv_until(c, "GOOG", 2);
            if (rc == 0) {
                printf("dropping AAPL\n");
                rc = actr_ctx_send(c, &minus);
            }
            if (rc == 0)
                rc = recv_until(c, "MSFT", 2);
            uint64_t total = 0;
            if (rc == 0)
                rc = actr_ctx_done(c);        /* Stop: the feed's listener ends */
            if (rc == 0)
                rc = actr_ctx_result(c, &total);
            if (rc == 0)
                printf("feed finished: %llu quotes sent\n", (unsigned long long)total);
            int crc = actr_ctx_close(c);
            if (rc == 0)
                rc = crc;
        }
    }
    if (rc < 0)
        fprintf(stderr, "ticker: %s: %s\n", actr_errname(rc), actr_last_error()->message);
    int crc = actr_actor_nursery_close(an);
    if (rc == 0 && crc == 0)
        printf("exchange cancelled and reaped\n");
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    /* Until actrc emits trampolines, register the implementation here. */
    static actr_endpoint eps[1];
    static actr_module mod;
    mod = ticker_module;
    eps[0] = mod.endpoints[0];
    eps[0].invoke = feed;
    mod.endpoints = eps;
    const actr_module *mods[] = {&mod};
    actr_actor_opts o = {.name = "trader", .modules = mods, .nmodules = 1};
    return actr_main(argc, argv, &o, root, NULL) < 0 ? 1 : 0;
}
