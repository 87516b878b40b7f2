/* Test actor of the multi-host test (check_netns.c):
 *
 *   disc_peer NAME OTHER LISTEN_URL REGISTRY_URL [stay]
 *
 * A root actor called NAME, listening on LISTEN_URL, registered with the
 * registry at REGISTRY_URL (a registrar or etcd), serving testmod. It
 * waits for OTHER to register, finds it, calls its testmod:whoami, and
 * exits 0 once it has done so and OTHER has called it too (exit 1 on any
 * failure, or after 20 s); with "stay" it then serves until SIGINT (exit
 * 0). It prints what it saw on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <actr/actr.h>

#include "testmod.actor.h"

static int called;
static actr_event called_ev;

static int
srv_whoami(actr_call *call, const void *args, void *result)
{
    (void)call;
    (void)args;
    actr_str *s = result;
    s->ptr = (char *)actr_actor_name(actr_self());
    s->len = strlen(s->ptr);
    called++;
    actr_event_set(&called_ev);
    return 0;
}

struct peer {
    const char *other;
    int stay;
};

static int
peer_main(actr_actor *self, void *arg)
{
    struct peer *p = arg;
    actr_scope sc;
    if (actr_fail_after(&sc, 20000) < 0)
        return ACTR_ESTATE;
    actr_portal *o = NULL;
    int rc = actr_wait_for_actor(p->other, NULL, 0, &o);
    /* find before the call: once called, the other may leave. */
    char **urls = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = actr_find_addrs(p->other, NULL, 0, &urls, &n);
    actr_str who = {0};
    if (rc == 0)
        rc = actr_portal_call(o, actr_module_find(&testmod_module, "whoami", 6), NULL, &who);
    actr_portal_close(o);
    if (rc == 0) {
        printf("%s: called %s (%s) at %s\n", actr_actor_name(self), who.ptr, p->other,
               n ? urls[0] : "?");
        fflush(stdout);
        if (strcmp(who.ptr, p->other) != 0)
            rc = ACTR_EPROTO;
    }
    actr_urls_free(urls, n);
    actr_codec_free(&actr_type_string, &who);
    /* Stay until the other side has called us too. */
    while (rc == 0 && !called)
        rc = actr_event_wait(&called_ev, ACTR_FOREVER);
    int src = actr_scope_exit(&sc);
    if (rc == 0 && src < 0)
        rc = src;
    if (rc == 0 && p->stay) {
        printf("%s: staying\n", actr_actor_name(self));
        fflush(stdout);
        rc = actr_sleep_until(ACTR_FOREVER);
        rc = rc == ACTR_ECANCELED ? 0 : rc;     /* SIGINT: done */
    }
    if (rc < 0)
        fprintf(stderr, "%s: %s (%s)\n", actr_actor_name(self), actr_strerror(rc),
                actr_last_error()->message);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc != 5 && !(argc == 6 && strcmp(argv[5], "stay") == 0)) {
        fprintf(stderr, "usage: disc_peer NAME OTHER LISTEN_URL REGISTRY_URL [stay]\n");
        return 2;
    }
    static actr_endpoint eps[32];
    static actr_module mod;
    mod = testmod_module;
    for (size_t i = 0; i < mod.nendpoints && i < 32; i++) {
        eps[i] = mod.endpoints[i];
        if (strcmp(eps[i].name, "whoami") == 0)
            eps[i].invoke = srv_whoami;
    }
    mod.endpoints = eps;
    actr_event_init(&called_ev);
    const actr_module *mods[] = {&mod};
    const char *en[] = {"testmod"};
    const char *listen[] = {argv[3]};
    const char *reg[] = {argv[4]};
    actr_actor_opts o = {.name = argv[1], .modules = mods, .nmodules = 1, .enable = en,
                         .nenable = 1, .listen = listen, .nlisten = 1, .registry = reg,
                         .nregistry = 1};
    struct peer p = {argv[2], argc == 6};
    char *args[] = {argv[0], NULL};
    int rc = actr_main(1, args, &o, peer_main, &p);
    return rc < 0 ? 1 : 0;
}
