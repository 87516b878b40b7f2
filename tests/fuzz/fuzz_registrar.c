/* libFuzzer target for the registrar's endpoints (S19, S20, S28): the
 * input is a sequence of frames from an authenticated peer, fed through a
 * real link (link_harness.h) into an actor that serves the registrar's
 * `self` functions (register_actor, unregister_actor, find_actor,
 * wait_for_actor, get_registry, delete_addr) and actr's list_actors, with
 * their ownership rules and liveness probes. Corpus: the registry capture
 * (tests/fuzz/corpus/fuzz_registrar). */
#include "link_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (64 << 10))
        return 0;
    harness_run(data, size, 1);
    return 0;
}
