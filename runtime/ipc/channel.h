/* ipc/channel.h: what the files of runtime/ipc share: the channel object,
 * its wait machinery and the socket helpers. Private to ipc/. */
#ifndef ACTR_IPC_CHANNEL_H
#define ACTR_IPC_CHANNEL_H

#include <ev.h>
#include <sys/socket.h>

#include <actr/err.h>
#include <actr/error.h>
#include <actr/ipc.h>
#include <actr/log.h>
#include <actr/scope.h>
#include <actr/sync.h>
#include <actr/task.h>
#include <actr/time.h>
#include <actr/wire.h>

#include <sodium.h>

#include "core/sched.h"

#define IPC_TAG "ipc"

/* A task parked on a channel's send side (high-water mark or flush). */
struct ipc_waiter {
    struct ipc_waiter *next;
    struct ipc_waiter *prev;
    struct actri_task *task;
    int linked;
};

/* Bytes of the output that are not in the output buffer: a big part of a
 * payload, written from where it lies (the sender's own memory while
 * its send waits for it; a copy of the rest if that send ends early). */
struct ipc_seg {
    size_t at;                   /* its bytes go before out's byte at */
    const uint8_t *ptr;
    size_t len;
    size_t done;                 /* bytes written so far */
    void *owned;                 /* our copy (freed once written), or NULL:
                                    borrowed from task's caller */
    struct actri_task *task;     /* the sending task, while borrowed */
};

/* Segments a channel holds at most (more senders copy their payloads). */
#define IPC_SEGS_MAX 8

struct actr_ipc {
    int fd;                      /* -1 once closed */
    int refs;                    /* the owner + every call in progress */
    int closing;                 /* close began: calls end with ACTR_ECLOSED */
    int end;                     /* 0, or the code the channel ended with */
    int wfailed;                 /* writing failed: output is dropped */
    int shaken;                  /* handshake done */
    int acceptor;                /* accepted by a listener (else connected) */
    int authed;                  /* the peer proved the secret (S28) */
    int insecure;                /* opts.insecure */
    int plain;                   /* never encrypted (actri_ipc_plain) */
    actr_ipc_admit_fn admit;     /* opts.admit, admit_arg */
    void *admit_arg;
    int in_recv;                 /* a task is receiving */
    unsigned bad_frames;         /* undecodable frames so far */
    size_t max_frame, hiwat, lowat;
    actr_addr remote;
    char name[ACTR_ADDR_URL_MAX];/* for log lines: the remote URL */

    actr_frame_reader rd;
    size_t rd_counted;           /* rd's capacity counted in the input budget */
    actr_frame last;             /* the frame recv handed out last */
    ev_io rio;                   /* readable: wakes the receiving task */
    struct actri_task *reader;   /* parked in recv, or NULL */
    int drained;                 /* the last read took less than it asked for */
    int eof;                     /* the peer closed its write side */
    unsigned reads_in_row;       /* socket reads since the reader last parked
                                    or yielded, across recv calls */

    actr_wbuf out;               /* framed output; out.ptr[out_off..len) pending */
    size_t out_off;
    struct ipc_seg segs[IPC_SEGS_MAX]; /* in output order, first nsegs used */
    unsigned nsegs;
    size_t seg_pending;          /* their bytes not yet written */
    ev_io wio;                   /* writable: resumes a flush the socket refused */
    struct actri_hook flush_hook;/* once per loop iteration, after the tasks */
    struct ipc_waiter *waiters;  /* senders over the high-water mark, flushers */

    /* S28 encryption (PROTOCOL.md 3.3): after the handshake, each way is
     * a libsodium secretstream: a 24-byte header, then records (4-byte
     * little-endian length, ciphertext of up to IPC_RECORD_MAX bytes of
     * the frame stream). */
    struct ipc_crypt *crypt;     /* NULL: plain */
    actr_msg self;               /* our Aid (owned copy), type NONE before */
    actr_msg peer;               /* the peer's Aid (owned copy) */
    actr_ipc_stats st;
};

/* Wraps connected non-blocking socket fd in a new channel (fd owned by it
 * on success only). remote: see actr_ipc_remote_addr. */
int actri_ipc_new(int fd, const actr_ipc_opts *opts, const actr_addr *remote,
                  actr_ipc **out);

/* S28: the read buffers of every channel, beyond a small one each, fit
 * in one budget ($ACTR_MAX_INPUT, default IPC_INPUT_BUDGET_DEFAULT), so
 * peers that each pin a big partial frame cannot take all memory. */
#define IPC_INPUT_BUDGET_DEFAULT ((size_t)256 << 20)
#define IPC_INPUT_SMALL ((size_t)128 << 10)
/* Counts ipc's read buffer in the budget again. Returns 0, or
 * ACTR_ETOOBIG when a growth went past it (the caller ends the channel). */
int actri_ipc_input_account(actr_ipc *ipc);

#define IPC_RECORD_MAX ((size_t)256 << 10)
#define IPC_CRYPT_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define IPC_CRYPT_HEADER crypto_secretstream_xchacha20poly1305_HEADERBYTES

struct ipc_crypt {
    crypto_secretstream_xchacha20poly1305_state tx, rx;
    uint8_t rx_key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    int rx_ready;                /* the peer's header came */
    actr_wbuf plain;             /* frames queued, not yet sealed */
    actr_wbuf cin;               /* bytes read, not yet opened */
    size_t cin_off;
    uint8_t *scratch;            /* one opened record */
};

/* Output bytes buffered (or borrowed) and not yet written (frames not
 * yet sealed included). */
static inline size_t
ipc_pending(const actr_ipc *ipc)
{
    return ipc->out.len - ipc->out_off + ipc->seg_pending +
           (ipc->crypt ? ipc->crypt->plain.len : 0);
}

/* Marks a connected channel, before its handshake, as one that is never
 * encrypted whatever ACTR_ENCRYPT says (still authenticated): for the
 * crash channel, whose frames a signal handler writes raw. */
void actri_ipc_plain(actr_ipc *ipc);

/* Turns encryption on from now on, both ways, with the stream keys of the
 * handshake; queues our header. What the frame reader holds past the
 * handshake is ciphertext. Returns 0 or ACTR_ENOMEM. */
int actri_ipc_crypt_start(actr_ipc *ipc, const uint8_t tx[32], const uint8_t rx[32]);

/* Seals the frames queued in plaintext into records in the output
 * buffer (write_some, before it writes). 0, or ACTR_ENOMEM with some left
 * unsealed. */
int actri_ipc_seal(actr_ipc *ipc);

/* Frees the encryption state (close). */
void actri_ipc_crypt_free(actr_ipc *ipc);

/* Reads what the socket has and opens every complete record into the
 * frame reader. Returns the plaintext bytes added (> 0), 0 at EOF, -1
 * with errno set (EAGAIN: nothing now), or ACTR_EPROTO (a record that
 * does not open: the channel is to end). Sets ipc->drained like a read. */
ssize_t actri_ipc_crypt_fill(actr_ipc *ipc);

/* Ends the channel with code (first code wins), logs nothing, wakes every
 * task parked on it. */
void actri_ipc_set_end(actr_ipc *ipc, int code);

/* Encodes m into the output buffer (no high-water check) and schedules
 * the flush. Returns 0 or an encoding error (recorded as detail). */
int actri_ipc_queue(actr_ipc *ipc, const actr_msg *m);

/* actr_ipc_send for a message whose payload our own codec encoded (see
 * wire/msg_trusted.h): the payload is not scanned again. */
int actri_ipc_send_trusted(actr_ipc *ipc, const actr_msg *m, int64_t deadline);

/* One piece of a payload that actri_ipc_send_gather writes from where it
 * lies: len bytes at ptr, which go before byte `at` of the rest. */
struct ipc_ref {
    size_t at;
    const void *ptr;
    size_t len;
};

/* actri_ipc_send_trusted for a message whose raw field `field` (a member
 * of m, e.g. a Yield's pld or a Start's kwargs; its contents ignored) our
 * codec wrote as bytes[0..nbytes) with the pieces refs[0..nrefs) (in order
 * of `at`) borrowed from the caller's value: those are written straight
 * from there, by this call, which waits until the kernel has taken them.
 * A cancel, the deadline or a close meanwhile: what is left is copied and
 * the message goes as any queued one (the caller's next blocking call
 * reports it). The bytes on the wire are those of the message with the
 * field in one piece. Returns 0 (queued) or an error of actr_ipc_send. */
int actri_ipc_send_gather(actr_ipc *ipc, const actr_msg *m, const actr_any *field,
                          const uint8_t *bytes, size_t nbytes, const struct ipc_ref *refs,
                          size_t nrefs, int64_t deadline);

/* Removes from ipc's output buffer every frame not yet written, not even
 * in part, that is a message of this type on this cid; returns how many
 * (for a dialog the peer has ended: a flood of Yields the peer would
 * only answer with errors, issue 16). Wakes senders the room lets in.
 * Does not block. Takes back nothing while a payload is being written
 * from where it lies (its frame is not all in the buffer). */
size_t actri_ipc_unqueue(actr_ipc *ipc, actr_msg_type type, const char *cid, size_t cidlen);

/* The buffer of the frame the last received message came from, when that
 * frame has one of its own (actr_frame_reader_take: a big frame) and
 * inside points into it: the caller owns it from now on (free()) and
 * what the message borrows stays valid; else NULL. For a consumer that
 * keeps a big payload: no copy. */
void *actri_ipc_take_frame(actr_ipc *ipc, const void *inside);

/* Fits the channel to what its peer is known to be, after the handshake
 * (peer.c): a peer that is not actr gets a small socket send buffer. */
void actri_ipc_peer_known(actr_ipc *ipc);

/* Common entry checks of a blocking call: the calling task, the closing
 * state and cancellation. */
int actri_ipc_enter(actr_ipc *ipc);

/* Drops one reference; frees the struct when close is done with it. */
void actri_ipc_unref(actr_ipc *ipc);

/* Resolves a to a socket address (TCP names through getaddrinfo). Returns
 * 0, ACTR_EINVAL, ACTR_ETOOBIG or ACTR_ENOTFOUND (detail recorded). */
int actri_sock_resolve(const actr_addr *a, struct sockaddr_storage *ss,
                       socklen_t *len);

/* The actr_addr of a socket address (numeric host for TCP). */
void actri_sock_to_addr(const struct sockaddr *sa, socklen_t len, actr_addr *out);

/* Sets TCP_NODELAY on a TCP socket (no-op for others). */
void actri_sock_nodelay(int fd, int family);

/* Takes the socket of a handshaken channel away from it, once what was
 * queued on it is written (by deadline): the channel is closed without
 * touching the socket (nothing drained or shut down) and the caller owns
 * the fd, still non-blocking. -1 (channel closed) when the output could
 * not be written. For a socket a signal handler will write to (debug
 * mode's crash channel). */
int actri_ipc_take_fd(actr_ipc *ipc, int64_t deadline);

#endif
