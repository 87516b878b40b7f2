/* What a peer is known to be (PROTOCOL.md section 13, "Known actr
 * peers"). An actr actor says so in its handshake: its Aid carries the
 * extra field "_actr" (the version of actr's extensions it serves), which
 * tractor's decoder skips as it skips every field it does not know. Every
 * extension of the protocol (flow-control windows, error groups, actr:info,
 * list_actors, and later keepalive and authentication) is used only with
 * a peer whose Aid carried it: a tractor peer only ever sees tractor's
 * messages, fields and `self` functions. */
#define _GNU_SOURCE
#include "ipc/channel.h"

#include <actr/env.h>

/* ACTR_EXTENSIONS=off: this process neither announces nor uses any
 * extension, so it behaves towards every peer as a tractor peer would be
 * treated (for tests, and for a tree that must look like tractor's). */
static int
ext_enabled(void)
{
    static int enabled = -1;
    if (enabled < 0)
        enabled = actr_env_bool(ACTR_ENV_EXTENSIONS, 1);
    return enabled;
}

void
actr_aid_announce(actr_msg_aid *self)
{
    if (!self)
        return;
    self->has_actr = ext_enabled();
    self->actr = self->has_actr ? ACTR_EXT_VERSION : 0;
}

unsigned
actr_ipc_peer_actr(const actr_ipc *ipc)
{
    const actr_msg_aid *p = actr_ipc_peer(ipc);
    if (!p || !p->has_actr || !ext_enabled())
        return 0;
    return p->actr;
}
