/* actor/actor.h: the actor object and what every file of runtime/actor
 * shares. Private.
 *
 * The layer, from the bottom up (runtime/actor/README.md):
 * - link.h: one IPC channel to a peer actor, its cid table and message
 *   loop;
 * - dialog.h: the core both ends of a dialog share (cid, link, delivery,
 *   the bounded receive queue, the received Error);
 * - caller.h: the caller end (actr_ctx, opened here: calls, contexts,
 *   generator streams); callee.h: the callee end (actr_call, a Start
 *   served here);
 * - cancel.h: every cancel path;
 * - spawn.h: child actors, portals. */
#ifndef ACTR_ACTOR_ACTOR_H
#define ACTR_ACTOR_ACTOR_H

#include <actr/actr.h>
#include <actr/ipc.h>
#include <actr/wire.h>

#include "core/sched.h"
#include "wire/uuid.h"

#define ACTOR_TAG "actor"
#define CANCEL_TAG "cancel"
#define UUID_LEN ACTRI_UUID_LEN

/* How long a caller waits for the CancelAck of a _cancel_task request. */
#define CTX_CANCEL_TIMEOUT_MS 616
/* How long a cancel request (self:cancel, _cancel_task) waits for the
 * tasks it cancelled to finish before it answers anyway. */
#define CANCEL_WAIT_TASKS_MS 3000
/* How long closing a channel waits to flush what was queued on it. */
#define LINK_FLUSH_MS 500
/* How long closing a link waits for the peer's EOF after ours (the
 * graceful close, actr_ipc_close): a tractor peer answering a flood with
 * one StreamOverrun per message may write for seconds, and a reset before
 * it is done kills it. An actr peer answers EOF at once. */
#define LINK_DRAIN_MS 5000
/* The same for a peer that is not actr: tractor answers each Yield still
 * in flight after an overrun (about 2,000 with the small send buffer,
 * PROTOCOL.md section 12) at about 1,000 a second, slower on a loaded
 * machine. Only a peer still writing makes a close wait this long. */
#define LINK_DRAIN_FOREIGN_MS 15000

struct link;
struct child;
struct actri_hooks;

/* An actor uid owned by its holder (NUL-terminated strings, or both
 * NULL for none). */
struct uidbuf {
    char *name;
    char *uuid;
};

/* This process's actor (one per process). */
struct actr_actor {
    struct uidbuf uid;
    int is_root;
    int debug_mode;
    int pid;
    actr_listener *listener;
    char url[ACTR_ADDR_URL_MAX];          /* first listen address */
    actr_addr *reg_addrs;                 /* registrars (relayed to children) */
    size_t nreg;
    const actr_module **modules;          /* compiled in */
    size_t nmodules;
    const actr_module **enabled;          /* callable (besides self) */
    size_t nenabled;
    actr_nursery *svc;                    /* service nursery: every runtime
                                             task (loops, served calls,
                                             background cancels) */
    struct link *links;                   /* every live channel */
    struct child *pending;                /* spawned, not yet connected */
    int cancelled;                        /* actr_actor_cancel ran */
    struct uidbuf canceller;              /* who asked (self:cancel), or none */
    struct link *parent;                  /* child: the link to the parent */
    actr_addr root_mailbox;               /* the root's address (SpawnSpec
                                             _root_mailbox; kind NONE: unknown) */
    struct actri_hooks *hooks;            /* discovery's extension (hooks.h) */
    int insecure;                         /* S28 opt-in: peers without the
                                             secret (opts, env, parent) */
    actr_actor_limits lim;                /* S28, defaults filled in */
    size_t ntasks;                        /* RPC tasks running */
    size_t nconns;                        /* accepted connections open */
    struct hs_slot *hs_head, *hs_tail;    /* accepted connections in their
                                             handshake, oldest first */
    size_t nhs;
    uint32_t keepalive_ms;                /* opt-in keepalive, 0: none */
};

/* An accepted connection in its handshake (actor.c): the oldest is
 * dropped when ACTR_MAX_HANDSHAKES are reached. */
struct hs_slot {
    struct hs_slot *next, *prev;
    actr_scope *scope;            /* NULL once dropped */
    int64_t since;                /* when it was accepted */
};

/* Channel options for this actor's listener and its outgoing connections
 * (S28: its insecure opt-in; on a listener, admit lets in the tractor
 * children it spawned). */
void actri_actor_ipc_opts(actr_actor *a, actr_ipc_opts *out);

/* ------------------------------------------------------------ uids */

int actri_uid_set(struct uidbuf *u, const char *name, size_t nlen, const char *uuid,
                  size_t ulen);
void actri_uid_clear(struct uidbuf *u);
/* "name.uuid" (malloc'd, NULL without memory). */
char *actri_uid_text(const char *name, const char *uuid);
/* The counterpart of a uidbuf on the wire (borrowing). */
actr_uid actri_uid_wire(const struct uidbuf *u);
/* The actor's uid as a wire uid (borrowing). */
actr_uid actri_self_uid(const actr_actor *a);
/* 1 when uuid names this actor. */
int actri_uid_is_self(const actr_actor *a, const actr_str *uuid);
/* Our Aid. */
void actri_self_aid(const actr_actor *a, actr_msg_aid *out);

/* ------------------------------------------------------------ endpoints */

/* Looks an endpoint up for ns:func (S5). Returns it, or NULL with *why =
 * "ModuleNotExposed" / "AttributeError" and a message in msg. */
const actr_endpoint *actri_lookup(actr_actor *a, const actr_str *ns, const actr_str *func,
                                  const char **why, char *msg, size_t cap);
/* Splits "module:func". Returns 0 or ACTR_EINVAL. */
int actri_split_name(const char *fn, char *ns, size_t nscap, const char **func);
/* "function", "generator" or "context". */
const char *actri_kind_name(actr_endpoint_kind k);

#endif
