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

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

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

/* A peer that is not actr has no flow control (S27), and tractor answers
 * every message it cannot queue with an error of its own, each costing it
 * far more than the message cost us. What we have written sits in the
 * kernel where nothing can take it back: with the default autotuned
 * buffers (megabytes on loopback) a C sender put 30,000 to 65,000 Yields
 * there before the first StreamOverrun came back, which tractor then
 * answered one by one for half a minute. A small kernel buffer keeps the
 * rest in our output buffer, where a dialog the peer ended takes its
 * Yields back (actri_ipc_unqueue). 32 KiB (the kernel doubles it) is more
 * than a Python peer drains per loop turn; what then remains in flight is
 * mostly the peer's own receive buffer. */
#define FOREIGN_SNDBUF (32 * 1024)

void
actri_ipc_peer_known(actr_ipc *ipc)
{
    int v = FOREIGN_SNDBUF;
    if (actr_ipc_peer_actr(ipc) || ipc->fd < 0)
        return;
    if (setsockopt(ipc->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) < 0)
        actr_log_debug(IPC_TAG, "ipc %s: cannot set SO_SNDBUF: %s", ipc->name,
                       strerror(errno));
}
