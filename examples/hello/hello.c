/* hello: a root actor spawns a child (this same program, in child mode)
 * and calls a function endpoint on it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "hello.actor.h"

/* Callee side: runs in the child. */
static int
greet(actr_call *call, const void *args, void *result)
{
    const hello_greet_args *a = args;
    actr_str *out = result;
    int n = asprintf(&out->ptr, "Hello, %s! (from %s, pid %d)", a->name.ptr,
                     actr_actor_name(actr_self()), (int)getpid());
    if (n < 0)
        return ACTR_ENOMEM;
    out->len = (size_t)n;
    actr_call_own_result(call);     /* the runtime frees it after sending */
    return 0;
}

/* Caller side: the root's main task. */
static int
root(actr_actor *self, void *arg)
{
    (void)arg;
    printf("root %s (pid %d) spawns a child\n", actr_actor_name(self), (int)getpid());
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return rc;
    const char *enable[] = {"hello"};
    actr_spawn_opts so = {.enable = enable, .nenable = 1};
    actr_portal *child;
    rc = actr_actor_nursery_start(an, "greeter", &so, &child);
    if (rc == 0) {
        hello_greet_args a = {{"world", 5}};
        actr_str answer = {0};
        rc = actr_portal_call(child, actr_module_find(&hello_module, "greet", 5), &a, &answer);
        if (rc == 0) {
            printf("child says: %s\n", answer.ptr);
            actr_codec_free(&actr_type_string, &answer);
        }
    }
    if (rc < 0)
        fprintf(stderr, "hello: %s\n", actr_last_error()->message);
    int crc = actr_actor_nursery_close(an);   /* cancels and reaps the child */
    if (rc == 0 && crc == 0)
        printf("child reaped, bye\n");
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    /* Until actrc emits trampolines, register the implementation here. */
    static actr_endpoint eps[1];
    static actr_module mod;
    mod = hello_module;
    eps[0] = mod.endpoints[0];
    eps[0].invoke = greet;
    mod.endpoints = eps;
    const actr_module *mods[] = {&mod};
    actr_actor_opts o = {.name = "root", .modules = mods, .nmodules = 1};
    return actr_main(argc, argv, &o, root, NULL) < 0 ? 1 : 0;
}
