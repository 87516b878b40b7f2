/* reqresp: request/response over a stream. The root actor "client"
 * spawns a "server" (this program in child mode) and sends it requests
 * on one context, up to WINDOW of them ahead of the replies: a context's
 * receive queue holds ACTR_CTX_QUEUE_DEFAULT (64) values and what
 * arrives beyond that is dropped and answered with StreamOverrun (S17),
 * so a sender keeps fewer than that in flight. Replies carry the
 * request's id. */
#include <stdio.h>
#include <string.h>

#include <actr/actr.h>

#include "reqresp.actor.h"

#define WINDOW 16           /* requests in flight, below the queue's 64 */

/* ================================================= server (callee side) */

int
reqresp_session_impl(reqresp_session_call *call, uint32_t *out)
{
    int rc = reqresp_session_call_started(call);
    reqresp_request rq;
    while (rc == 0 && (rc = reqresp_session_call_recv(call, &rq)) == 0) {
        reqresp_reply rp = {.id = rq.id};
        char op = rq.op.len == 1 ? rq.op.ptr[0] : '?';
        if (op == '+')
            rp.value = rq.a + rq.b;
        else if (op == '-')
            rp.value = rq.a - rq.b;
        else if (op == '*')
            rp.value = rq.a * rq.b;
        else if (op == '/' && rq.b != 0)
            rp.value = rq.a / rq.b;
        else
            rp.error = (reqresp_string_opt){true, actr_str_from(op == '/' ? "division by zero"
                                                                          : "unknown op")};
        rc = reqresp_session_call_send(call, &rp);
        reqresp_request_free(&rq);
        (*out)++;
    }
    return rc == ACTR_EPIPE ? 0 : rc;           /* EPIPE: the client is done */
}

/* ================================================= client (caller side) */

static const struct { double a; char op; double b; } work[] = {
    {7, '+', 5}, {7, '-', 5}, {7, '*', 5}, {7, '/', 5}, {1, '/', 0},
    {2.5, '*', 4}, {100, '-', 1}, {9, '%', 2}, {3, '+', 0.25}, {1e6, '/', 8},
};
#define NWORK (sizeof work / sizeof work[0])

static int
receive_one(reqresp_session *s)
{
    reqresp_reply rp;
    int rc = reqresp_session_recv(s, &rp);
    if (rc < 0)
        return rc;
    if (rp.id < NWORK) {
        printf("#%u %g %c %g = ", rp.id, work[rp.id].a, work[rp.id].op, work[rp.id].b);
        if (rp.error.has)
            printf("error: %s\n", rp.error.value.ptr);
        else
            printf("%g\n", rp.value);
    }
    reqresp_reply_free(&rp);
    return 0;
}

static int
client(actr_portal *server)
{
    reqresp_session *s;
    int rc = reqresp_session_open(server, NULL, &s);
    if (rc < 0)
        return rc;
    uint32_t sent = 0, received = 0;
    while (rc == 0 && received < NWORK) {
        if (sent < NWORK && sent - received < WINDOW) {
            char op[2] = {work[sent].op, 0};
            reqresp_request rq = {sent, actr_str_from(op), work[sent].a, work[sent].b};
            rc = reqresp_session_send(s, &rq);
            sent++;
        } else {
            rc = receive_one(s);
            received++;
        }
    }
    uint32_t answered = 0;
    if (rc == 0 && (rc = reqresp_session_done(s)) == 0
        && (rc = reqresp_session_result(s, &answered)) == 0)
        printf("server answered %u requests on one context\n", answered);
    int crc = reqresp_session_close(s);
    return rc < 0 ? rc : crc;
}

static int
root(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    const char *enable[] = {"reqresp"};
    actr_spawn_opts so = {.enable = enable, .nenable = 1};
    actr_actor_nursery *an;
    actr_portal *server;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    rc = actr_actor_nursery_start(an, "server", &so, &server);
    if (rc == 0)
        rc = client(server);
    if (rc < 0)
        fprintf(stderr, "reqresp: %s (%s)\n", actr_strerror(rc), actr_last_error()->message);
    int crc = actr_actor_nursery_close(an);
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    const actr_module *mods[] = {&reqresp_module};
    actr_actor_opts o = {.name = "client", .modules = mods, .nmodules = 1};
    return actr_main(argc, argv, &o, root, NULL) < 0;
}
