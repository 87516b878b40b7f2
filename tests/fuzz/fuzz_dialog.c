/* libFuzzer target for the dialog state machine a connected peer drives
 * (S5-S18, S27, S28): the input is a sequence of frames from an
 * authenticated peer (Start, StartAck, Started, Yield, Stop, Return,
 * CancelAck, Error, ActrCredit, ActrAuth, in any order, on any cid), fed
 * through a real link into link.c, dialog.c and invoke.c in process
 * (link_harness.h), with fuzzmod's function, generator and context
 * endpoints and the `self` cancel endpoints to reach. Corpus: the frames
 * each side sent in the tractor captures (tests/fuzz/corpus/fuzz_dialog). */
#include "link_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (64 << 10))
        return 0;
    harness_run(data, size, 0);
    return 0;
}
