/* ticker: a root actor "trader" spawns a child "exchange" (this same
 * program, re-run in child mode) and talks to it through the stubs actrc
 * generates from ticker.actor: first a generator (the price history of a
 * symbol), then a context with a started value and a stream in both
 * directions (a live feed whose subscription the trader changes while
 * quotes flow). Both sides are plain blocking C; every call returns 0 or
 * a negative ACTR_E* code. */
#include <stdio.h>
#include <string.h>

#include <actr/actr.h>

#include "ticker.actor.h"

#define MAX_SYMS 8          /* symbols one feed follows */
#define SYM_MAX 16          /* longest symbol, NUL included */
#define TICK_MS 20          /* a feed sends one round of quotes per tick */
#define HISTORY_MAX 1000    /* days of history the exchange keeps */

/* A borrowed actr_str view of a C string (stub inputs are only borrowed). */
static actr_str
str(const char *s)
{
    actr_str v = {(char *)s, strlen(s)};
    return v;
}

/* A made-up but deterministic price: each symbol wobbles around its own
 * level, so runs are reproducible. */
static double
price_of(const char *sym, uint64_t seq)
{
    unsigned h = 0;
    for (const char *p = sym; *p; p++)
        h = h * 31u + (unsigned char)*p;
    return 50.0 + (double)(h % 400) + (double)((seq * 37 + h) % 200) / 100.0;
}

/* ================================================= exchange (callee side) */

/* gen history: runs in a task of the exchange for each caller. */
int
ticker_history_impl(ticker_history_call *call, actr_str sym, uint32_t days)
{
    if (days > HISTORY_MAX)     /* bad input is the caller's error, not ours */
        return actr_call_fail(ticker_history_call_base(call), "ValueError",
                              "history keeps %d days, %u asked", HISTORY_MAX, days);
    for (uint32_t day = 0; day < days; day++) {
        ticker_quote q = {sym, price_of(sym.ptr, day), day};
        int rc = ticker_history_call_yield(call, &q);
        if (rc < 0)
            return rc;          /* the caller closed early or went away */
    }
    return 0;                   /* the caller's recv sees the end of stream */
}

/* What the two tasks serving one feed share. */
struct feed {
    ticker_feed_call *call;
    char syms[MAX_SYMS][SYM_MAX];
    int nsyms;
    uint64_t sent;
};

static int
find_sym(const struct feed *f, const char *sym)
{
    for (int i = 0; i < f->nsyms; i++)
        if (strcmp(f->syms[i], sym) == 0)
            return i;
    return -1;
}

/* Subscribes sym (nothing to do when already subscribed). Symbols come
 * from the network: a bad one fails the feed with a ValueError the
 * trader sees, rather than being truncated or ignored. */
static int
add_sym(struct feed *f, actr_str sym)
{
    actr_call *call = ticker_feed_call_base(f->call);
    if (sym.len == 0 || sym.len >= SYM_MAX || strlen(sym.ptr) != sym.len)
        return actr_call_fail(call, "ValueError", "bad symbol '%.*s'",
                              SYM_MAX, sym.ptr);
    if (find_sym(f, sym.ptr) >= 0)
        return 0;
    if (f->nsyms == MAX_SYMS)
        return actr_call_fail(call, "ValueError", "a feed follows at most %d symbols",
                              MAX_SYMS);
    memcpy(f->syms[f->nsyms++], sym.ptr, sym.len + 1);
    return 0;
}

static void
drop_sym(struct feed *f, const char *sym)
{
    int i = find_sym(f, sym);
    if (i < 0)
        return;
    memmove(f->syms[i], f->syms[i + 1], sizeof f->syms[0] * (size_t)(f->nsyms - i - 1));
    f->nsyms--;
}

/* Applies "+SYM" / "-SYM" changes until the trader is done sending. */
static int
listen_changes(struct feed *f)
{
    for (;;) {
        actr_str cmd = {0};
        int rc = ticker_feed_call_recv(f->call, &cmd);
        if (rc == ACTR_EPIPE)
            return 0;           /* the trader's done(): a normal end */
        if (rc < 0)
            return rc;
        /* (decoded strings are NUL-terminated, even empty ones) */
        if (cmd.ptr[0] == '+')
            rc = add_sym(f, (actr_str){cmd.ptr + 1, cmd.len - 1});
        else if (cmd.ptr[0] == '-')
            drop_sym(f, cmd.ptr + 1);
        else
            rc = actr_call_fail(ticker_feed_call_base(f->call), "ValueError",
                                "expected +SYM or -SYM, got '%.*s'", SYM_MAX, cmd.ptr);
        actr_str_free(&cmd);                        /* received values are ours */
        if (rc < 0)
            return rc;
    }
}

/* Sends one quote per subscribed symbol every tick, until cancelled. */
static int
pump_quotes(void *arg)
{
    struct feed *f = arg;
    for (;;) {
        for (int i = 0; i < f->nsyms; i++) {
            /* A copy: the listener may edit the list while send waits. */
            char sym[SYM_MAX];
            memcpy(sym, f->syms[i], SYM_MAX);
            ticker_quote q = {str(sym), price_of(sym, f->sent), f->sent};
            int rc = ticker_feed_call_send(f->call, &q);
            if (rc < 0)
                return rc;
            f->sent++;
        }
        int rc = actr_sleep(TICK_MS);
        if (rc < 0)
            return rc;          /* ACTR_ECANCELED: the feed is over */
    }
}

/* context feed: runs in a task of the exchange for each opener. */
int
ticker_feed_impl(ticker_feed_call *call, const ticker_string_list *syms, uint64_t *out)
{
    struct feed f = {.call = call};
    int rc;
    for (size_t i = 0; i < syms->len; i++)
        if ((rc = add_sym(&f, syms->items[i])) < 0)
            return rc;
    if ((rc = ticker_feed_call_started(call, (uint32_t)f.nsyms)) < 0)
        return rc;

    /* Quotes go out from a second task while this one listens, so a
     * change applies from the next tick on. The nursery makes sure that
     * task is gone before f goes out of scope. */
    actr_nursery *n;
    if ((rc = actr_nursery_open(&n)) < 0)
        return rc;
    rc = actr_nursery_spawn(n, pump_quotes, &f);
    if (rc == 0)
        rc = listen_changes(&f);
    actr_nursery_cancel(n);     /* stopping the pump is not a failure */
    int crc = actr_nursery_close(n, ACTR_FOREVER);
    if (crc < 0)
        rc = crc;               /* the pump's own failure, or our cancellation */
    if (rc < 0)
        return rc;
    *out = f.sent;
    return 0;
}

/* ================================================= trader (caller side) */

/* Says which call failed and why (for a remote failure: the exception
 * type and message the exchange sent); returns rc. Print it before the
 * next failing call replaces the detail. */
static int
failed(const char *what, int rc)
{
    const actr_error *e = actr_last_error();
    if (e->code == rc)
        fprintf(stderr, "ticker: %s: %s: %s\n", what, actr_errname(rc), e->message);
    else
        fprintf(stderr, "ticker: %s: %s\n", what, actr_strerror(rc));
    return rc;
}

static int
show_history(actr_portal *exchange, const char *sym, uint32_t days)
{
    ticker_history *h;
    int rc = ticker_history_open(exchange, str(sym), days, &h);
    if (rc < 0)
        return failed("opening the history", rc);
    printf("history of %s:", sym);
    ticker_quote q;
    while ((rc = ticker_history_recv(h, &q)) == 0) {
        printf(" %.2f", q.price);
        ticker_quote_free(&q);
    }
    printf("\n");
    if (rc == ACTR_EPIPE)
        rc = 0;                 /* the generator returned: end of stream */
    else
        failed("reading the history", rc);
    int crc = ticker_history_close(h);      /* always frees h */
    if (rc == 0 && crc < 0)
        rc = failed("closing the history", crc);
    return rc;
}

/* The trader's side of one feed. */
struct desk {
    ticker_feed *feed;
    const char *dropped;        /* unsubscribed symbol, or NULL */
    uint64_t received;
};

/* Receives and prints quotes until `count` of them are for sym (NULL:
 * any symbol). */
static int
watch(struct desk *d, const char *sym, int count)
{
    for (int seen = 0; seen < count;) {
        ticker_quote q;
        int rc = ticker_feed_recv(d->feed, &q);
        if (rc < 0)
            return failed("receiving a quote", rc);
        d->received++;
        /* Quotes sent before the exchange saw our "-SYM" still arrive. */
        if (!d->dropped || strcmp(q.sym.ptr, d->dropped) != 0) {
            printf("  quote #%llu %-5s %.2f\n", (unsigned long long)q.seq, q.sym.ptr,
                   q.price);
            if (!sym || strcmp(q.sym.ptr, sym) == 0)
                seen++;
        }
        ticker_quote_free(&q);
    }
    return 0;
}

static int
send_change(struct desk *d, const char *cmd)
{
    int rc = ticker_feed_send(d->feed, str(cmd));
    if (rc < 0)
        return failed("sending a subscription change", rc);
    if (cmd[0] == '-')
        d->dropped = cmd + 1;
    return 0;
}

static int
trade(actr_portal *exchange)
{
    actr_str syms[] = {str("AAPL"), str("MSFT")};
    ticker_string_list list = {syms, 2};
    struct desk d = {0};
    uint32_t nsyms;
    int rc = ticker_feed_open(exchange, &list, NULL, &d.feed, &nsyms);
    if (rc < 0)
        return failed("opening the feed", rc);
    printf("feed(AAPL, MSFT) started: %u symbols\n", nsyms);

    rc = watch(&d, NULL, 4);
    if (rc == 0) {
        printf("subscribing GOOG\n");
        rc = send_change(&d, "+GOOG");
    }
    if (rc == 0)
        rc = watch(&d, "GOOG", 2);
    if (rc == 0) {
        printf("dropping AAPL\n");
        rc = send_change(&d, "-AAPL");
    }
    if (rc == 0)
        rc = watch(&d, "MSFT", 2);

    /* done() = "I send no more": the exchange's listener sees the end of
     * the stream and the feed returns its count. Quotes still in flight
     * are dropped, so sent >= received. */
    uint64_t sent = 0;
    if (rc == 0 && (rc = ticker_feed_done(d.feed)) < 0)
        failed("finishing the stream", rc);
    if (rc == 0 && (rc = ticker_feed_result(d.feed, &sent)) < 0)
        failed("waiting for the result", rc);
    if (rc == 0)
        printf("feed finished: %llu quotes sent, %llu received\n",
               (unsigned long long)sent, (unsigned long long)d.received);
    /* close always frees; after an error it also ends the remote task. */
    int crc = ticker_feed_close(d.feed);
    if (rc == 0 && crc < 0)
        rc = failed("closing the feed", crc);
    return rc;
}

/* The root actor's main task. */
static int
trader(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return failed("opening the actor nursery", rc);
    /* The child may serve only what its spawner enables. */
    const char *enable[] = {"ticker"};
    actr_spawn_opts so = {.enable = enable, .nenable = 1};
    actr_portal *exchange;
    rc = actr_actor_nursery_start(an, "exchange", &so, &exchange);
    if (rc < 0) {
        failed("spawning the exchange", rc);
    } else {
        printf("spawned actor '%s'\n", actr_portal_name(exchange));
        rc = show_history(exchange, "AAPL", 3);
        if (rc == 0)
            rc = trade(exchange);
    }
    /* Cancels the exchange (it serves until told to stop) and reaps it. */
    int crc = actr_actor_nursery_close(an);
    if (crc < 0)
        failed("closing the actor nursery", crc);
    else if (rc == 0)
        printf("exchange cancelled and reaped\n");
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    /* The same main runs both actors: actr_main sees from argv whether
     * this process is the root or the spawned exchange. */
    const actr_module *mods[] = {&ticker_module};
    actr_actor_opts o = {.name = "trader", .modules = mods, .nmodules = 1};
    return actr_main(argc, argv, &o, trader, NULL) < 0 ? 1 : 0;
}
