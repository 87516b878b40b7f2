/* pubsub: a broker actor with subscriptions that change while events
 * flow. The root actor spawns "broker" (this program in child mode),
 * subscribes twice (alice to news, bob to sports), publishes, and moves
 * the subscriptions around: alice adds sports, bob drops it. Each
 * subscription is a context whose stream carries events to the
 * subscriber and topic changes to the broker; the broker confirms a
 * change on the same stream, so once the subscriber has read the
 * confirmation every later publish sees it. A slow subscriber must read
 * its events: more than ACTR_CTX_QUEUE_DEFAULT (64) unread ones overrun
 * its queue (S17), and the broker's send then fails with StreamOverrun. */
#include <stdio.h>
#include <string.h>

#include <actr/actr.h>

#include "pubsub.actor.h"

#define MAX_TOPICS 8
#define TOPIC_MAX 32
#define MAX_SUBS 16

/* ================================================= broker (callee side) */

struct sub {
    pubsub_subscribe_call *call;
    char topics[MAX_TOPICS][TOPIC_MAX];
    uint32_t *sent;
};

static struct sub *subs[MAX_SUBS];      /* the broker's current subscribers */

static int
sub_has(const struct sub *s, const char *t, size_t n)
{
    for (int i = 0; i < MAX_TOPICS; i++)
        if (strlen(s->topics[i]) == n && memcmp(s->topics[i], t, n) == 0)
            return i;
    return -1;
}

/* Applies "+topic" or "-topic"; 0 or -1 for a malformed change. */
static int
sub_change(struct sub *s, const actr_str *c)
{
    if (c->len < 2 || c->len >= TOPIC_MAX || (c->ptr[0] != '+' && c->ptr[0] != '-'))
        return -1;
    int at = sub_has(s, c->ptr + 1, c->len - 1);
    if (c->ptr[0] == '-' && at >= 0)
        s->topics[at][0] = 0;
    if (c->ptr[0] == '+' && at < 0 && (at = sub_has(s, "", 0)) >= 0)
        memcpy(s->topics[at], c->ptr + 1, c->len - 1);
    return 0;
}

int
pubsub_subscribe_impl(pubsub_subscribe_call *call, const pubsub_string_list *topics,
                      uint32_t *out)
{
    struct sub s = {.call = call, .sent = out};
    int slot = -1;
    for (int i = 0; i < MAX_SUBS && slot < 0; i++)
        if (!subs[i])
            slot = i;
    if (slot < 0 || topics->len > MAX_TOPICS)
        return actr_call_fail(pubsub_subscribe_call_base(call), "ValueError",
                              "too many subscribers or topics");
    for (size_t i = 0; i < topics->len; i++)
        snprintf(s.topics[i], TOPIC_MAX, "%.*s", (int)topics->items[i].len,
                 topics->items[i].ptr);
    subs[slot] = &s;
    int rc = pubsub_subscribe_call_started(call, (uint32_t)topics->len);
    actr_str change;
    while (rc == 0 && (rc = pubsub_subscribe_call_recv(call, &change)) == 0) {
        if (sub_change(&s, &change) < 0) {
            rc = actr_call_fail(pubsub_subscribe_call_base(call), "ValueError",
                                "bad topic change \"%.*s\"", (int)change.len, change.ptr);
        } else {
            pubsub_event ok = {change, actr_str_from("ok")};
            rc = pubsub_subscribe_call_send(call, &ok);
        }
        actr_str_free(&change);
    }
    subs[slot] = NULL;                  /* no publish reaches us any more */
    return rc == ACTR_EPIPE ? 0 : rc;
}

int
pubsub_publish_impl(actr_call *call, actr_str topic, actr_str text, uint32_t *out)
{
    (void)call;
    pubsub_event ev = {topic, text};
    for (int i = 0; i < MAX_SUBS; i++) {
        struct sub *s = subs[i];
        if (s && sub_has(s, topic.ptr, topic.len) >= 0
            && pubsub_subscribe_call_send(s->call, &ev) == 0) {
            (*s->sent)++;
            (*out)++;
        }
    }
    return 0;
}

/* ================================================= root: subscribers, publisher */

/* Reads one event of subscriber who and prints it. */
static int
show(const char *who, pubsub_subscribe *s)
{
    pubsub_event ev;
    int rc = pubsub_subscribe_recv(s, &ev);
    if (rc == 0) {
        printf("  %s <- %s: %s\n", who, ev.topic.ptr, ev.text.ptr);
        pubsub_event_free(&ev);
    }
    return rc;
}

static int
publish(actr_portal *broker, const char *topic, const char *text)
{
    uint32_t n = 0;
    int rc = pubsub_publish(broker, actr_str_from(topic), actr_str_from(text), &n);
    if (rc == 0)
        printf("publish %s \"%s\": %u subscriber%s\n", topic, text, n, n == 1 ? "" : "s");
    return rc;
}

static int
session(actr_portal *broker)
{
    actr_str news[] = {ACTR_STR("news")}, sports[] = {ACTR_STR("sports")};
    pubsub_string_list la = {news, 1}, lb = {sports, 1};
    pubsub_subscribe *alice, *bob;
    uint32_t na, nb;
    int rc = pubsub_subscribe_open(broker, &la, NULL, &alice, &na);
    if (rc < 0)
        return rc;
    if ((rc = pubsub_subscribe_open(broker, &lb, NULL, &bob, &nb)) < 0) {
        pubsub_subscribe_close(alice);
        return rc;
    }
    printf("alice follows news, bob follows sports\n");
    if (rc == 0 && (rc = publish(broker, "news", "hello")) == 0)
        rc = show("alice", alice);
    if (rc == 0 && (rc = publish(broker, "sports", "kickoff")) == 0)
        rc = show("bob", bob);
    if (rc == 0 && (rc = pubsub_subscribe_send(alice, ACTR_STR("+sports"))) == 0)
        rc = show("alice", alice);              /* the confirmation */
    if (rc == 0 && (rc = publish(broker, "sports", "goal")) == 0
        && (rc = show("alice", alice)) == 0)
        rc = show("bob", bob);
    if (rc == 0 && (rc = pubsub_subscribe_send(bob, ACTR_STR("-sports"))) == 0)
        rc = show("bob", bob);
    if (rc == 0 && (rc = publish(broker, "sports", "final whistle")) == 0)
        rc = show("alice", alice);
    uint32_t ra = 0, rb = 0;
    if (rc == 0 && (rc = pubsub_subscribe_done(alice)) == 0
        && (rc = pubsub_subscribe_done(bob)) == 0
        && (rc = pubsub_subscribe_result(alice, &ra)) == 0
        && (rc = pubsub_subscribe_result(bob, &rb)) == 0)
        printf("the broker sent alice %u events, bob %u\n", ra, rb);
    int ca = pubsub_subscribe_close(alice), cb = pubsub_subscribe_close(bob);
    return rc < 0 ? rc : ca < 0 ? ca : cb;
}

static int
root(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    const char *enable[] = {"pubsub"};
    actr_spawn_opts so = {.enable = enable, .nenable = 1};
    actr_actor_nursery *an;
    actr_portal *broker;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    rc = actr_actor_nursery_start(an, "broker", &so, &broker);
    if (rc == 0)
        rc = session(broker);
    if (rc < 0)
        fprintf(stderr, "pubsub: %s (%s)\n", actr_strerror(rc), actr_last_error()->message);
    int crc = actr_actor_nursery_close(an);
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    const actr_module *mods[] = {&pubsub_module};
    actr_actor_opts o = {.name = "newsroom", .modules = mods, .nmodules = 1};
    return actr_main(argc, argv, &o, root, NULL) < 0;
}
