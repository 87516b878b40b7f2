/* libFuzzer target for SpawnSpec handling (S2): the input as one
 * message; a SpawnSpec is applied to a fresh child actor object as a
 * child applies its parent's (actri_spawnspec_apply: enabled modules,
 * tractor's own modules skipped, runtime variables, registry and bind
 * address lists). A spec that applies must leave addresses that format;
 * one that does not must say why; nothing may crash, leak or abort.
 * Corpus: the SpawnSpec frames of the captures. */
#include <stdlib.h>
#include <string.h>

#include "actor/actor.h"
#include "actor/spawn.h"
#include "fuzzmod.actor.h"

/* The endpoints exist only to be enabled, never called here. */
int
fuzzmod_add_impl(actr_call *call, int64_t a, int64_t b, int64_t *out)
{
    (void)call;
    *out = (int64_t)((uint64_t)a + (uint64_t)b);
    return 0;
}

int
fuzzmod_count_impl(fuzzmod_count_call *call, uint32_t n)
{
    (void)call;
    (void)n;
    return 0;
}

int
fuzzmod_echo_impl(fuzzmod_echo_call *call, actr_str prefix, uint64_t *out)
{
    (void)call;
    (void)prefix;
    *out = 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        once = 1;
        actr_log_set_level(ACTR_LOG_ERROR + 100);
    }
    if (size > (64 << 10))
        return 0;
    actr_msg m;
    if (actr_msg_decode(data, size, &m, NULL) != 0 || m.type != ACTR_MSG_SPAWNSPEC)
        return 0;
    static const actr_module *mods[] = {&fuzzmod_module};
    actr_actor *a = calloc(1, sizeof *a);
    const actr_module **enabled = calloc(2, sizeof *enabled);
    if (!a || !enabled)
        abort();
    a->modules = mods;
    a->nmodules = 1;
    a->enabled = enabled;
    actr_addr *bind = NULL;
    size_t nbind = 0;
    int rc = actri_spawnspec_apply(a, &m.u.spawnspec, &bind, &nbind);
    if (rc == 0) {
        char url[ACTR_ADDR_URL_MAX];
        for (size_t i = 0; i < nbind; i++)
            if (actr_addr_format(&bind[i], url, sizeof url) < 0)
                abort();
        for (size_t i = 0; i < a->nreg; i++)
            if (actr_addr_format(&a->reg_addrs[i], url, sizeof url) < 0)
                abort();
        if (a->nenabled > 1)
            abort();           /* only fuzzmod exists */
    } else if (!actr_last_error()->message) {
        abort();               /* a refusal says why */
    }
    free(bind);
    free(a->reg_addrs);
    free(enabled);
    free(a);
    return 0;
}
