/* Module descriptors: endpoint lookup by wire name. */
#include <actr/module.h>

#include <string.h>

const actr_endpoint *
actr_module_find(const actr_module *m, const char *func, size_t len)
{
    if (m == NULL || func == NULL)
        return NULL;
    for (size_t i = 0; i < m->nendpoints; i++) {
        const char *f = m->endpoints[i].func;
        if (strlen(f) == len && memcmp(f, func, len) == 0)
            return &m->endpoints[i];
    }
    return NULL;
}

const char *
actr_endpoint_functype(actr_endpoint_kind kind)
{
    switch (kind) {
    case ACTR_ENDPOINT_FN: return "asyncfunc";
    case ACTR_ENDPOINT_GEN: return "asyncgen";
    case ACTR_ENDPOINT_CONTEXT: return "context";
    }
    return NULL;
}
