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
    actr_ipc_admit_fn admit;     /* opts.admit, admit_arg */
    void *admit_arg;
    int in_recv;                 /* a task is receiving */
    unsigned bad_frames;         /* undecodable frames so far */
    size_t max_frame, hiwat, lowat;
    actr_addr remote;
    char name[ACTR_ADDR_URL_MAX];/* for log lines: the remote URL */

    actr_frame_reader rd;
    size_t rd_counted;           /* rd's capacity counted in the input budget */
    ev_io rio;                   /* readable: wakes the receiving task */
    struct actri_task *reader;   /* parked in recv, or NULL */
    int drained;                 /* the last read took less than it asked for */
    int eof;                     /* the peer closed its write side */
    unsigned reads_in_row;       /* socket reads since the reader last parked
                                    or yielded, across recv calls */

    actr_wbuf out;               /* framed output; out.ptr[out_off..len) pending */
    size_t out_off;
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

/* Output bytes buffered and not yet written (frames not yet sealed
 * included). */
static inline size_t
ipc_pending(const actr_ipc *ipc)
{
    return ipc->out.len - ipc->out_off + (ipc->crypt ? ipc->crypt->plain.len : 0);
}

/* Turns encryption on from now on, both ways, with the stream keys of the
 * handshake; queues our header. What the frame reader holds past the
 * handshake is ciphertext. Returns 0 or ACTR_ENOMEM. */
int actri_ipc_crypt_start(actr_ipc *ipc, const uint8_t tx[32], const uint8_t rx[32]);

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

#endif
