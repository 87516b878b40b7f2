/* hello: the smallest actr program. A root actor spawns a child (this same
 * program, re-run in child mode) and calls the function endpoint
 * hello:greet on it through the stub actrc generates from hello.actor. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <actr/actr.h>

#include "hello.actor.h"

/* Callee side: the generated trampoline decodes the request and calls
 * this in the child, in a task of its own. `name` is borrowed for the
 * call; *out is ours to fill. */
int
hello_greet_impl(actr_call *call, actr_str name, actr_str *out)
{
    char *s;
    int n = asprintf(&s, "Hello, %s! (from %s, pid %d)", name.ptr,
                     actr_actor_name(actr_self()), (int)getpid());
    if (n < 0)
        return actr_call_fail(call, "MemoryError", "out of memory");
    out->ptr = s;
    out->len = (size_t)n;
    actr_call_own_result(call);     /* the runtime frees s once it is sent */
    return 0;
}

/* Says which call failed and why (for a remote failure, the exception
 * type and message the child sent); returns rc. */
static int
failed(const char *what, int rc)
{
    const actr_error *e = actr_last_error();
    if (e->code == rc)
        fprintf(stderr, "hello: %s: %s: %s\n", what, actr_errname(rc), e->message);
    else
        fprintf(stderr, "hello: %s: %s\n", what, actr_strerror(rc));
    return rc;
}

/* Caller side: the root actor's main task. */
static int
root(actr_actor *self, void *arg)
{
    (void)arg;
    printf("%s (pid %d) spawns a child\n", actr_actor_name(self), (int)getpid());
    actr_actor_nursery *an;
    int rc = actr_actor_nursery_open(&an);
    if (rc < 0)
        return failed("opening the actor nursery", rc);
    /* A child serves only the modules its spawner enables. */
    const char *enable[] = {"hello"};
    actr_spawn_opts so = {.enable = enable, .nenable = 1};
    actr_portal *child;
    rc = actr_actor_nursery_start(an, "greeter", &so, &child);
    if (rc < 0) {
        failed("spawning the greeter", rc);
    } else {
        actr_str answer;
        rc = hello_greet(child, ACTR_STR("world"), &answer);    /* blocks this task only */
        if (rc < 0) {
            failed("calling hello:greet", rc);
        } else {
            printf("child says: %s\n", answer.ptr);
            actr_str_free(&answer);                 /* results are ours */
        }
    }
    /* The child serves until told to stop: closing the nursery cancels
     * it and reaps the process. */
    int crc = actr_actor_nursery_close(an);
    if (crc < 0)
        failed("closing the actor nursery", crc);
    else if (rc == 0)
        printf("child reaped, bye\n");
    return rc < 0 ? rc : crc;
}

int
main(int argc, char **argv)
{
    /* The same main runs both actors: actr_main sees from argv whether
     * this process is the root or the spawned child. */
    const actr_module *mods[] = {&hello_module};
    actr_actor_opts o = {.name = "root", .modules = mods, .nmodules = 1};
    return actr_main(argc, argv, &o, root, NULL) < 0 ? 1 : 0;
}
