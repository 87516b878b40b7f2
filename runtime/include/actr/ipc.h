/* actr/ipc.h: transports (TCP, Unix-domain sockets) and IPC channels.
 *
 * An IPC channel (actr_ipc) is one stream connection between two actors:
 * an Aid handshake both ways, then length-prefixed msgpack frames
 * (actr/wire.h). Sends are buffered per channel and written with one
 * vectored syscall per loop iteration; receives read big chunks and hand
 * out every complete frame before reading again. Every blocking call here
 * follows actr/task.h: absolute deadline, cancellation point, results in
 * out parameters written only on success.
 *
 * How a channel ends, as its calls report it:
 * - ACTR_ECLOSED: the peer closed cleanly (EOF at a frame boundary), or
 *   this side closed the channel (a task blocked in recv/send while
 *   another task calls actr_ipc_close gets it too);
 * - ACTR_EIO: the transport broke (connection reset, EOF in the middle of
 *   a frame, a write error);
 * - ACTR_EPROTO: the peer broke the protocol (an invalid handshake, too
 *   too many undecodable frames);
 * - ACTR_ETOOBIG: the peer announced a frame over the size limit.
 * Once ended, a channel stays ended: every later recv and send returns
 * the same code (actr_ipc_status reads it without blocking). Frames fully
 * received before the end are still delivered by recv first.
 *
 * Bad input that does not end the channel (what the Python system does):
 * a frame that is not valid msgpack is logged and skipped, and the
 * ACTR_IPC_MAX_BAD_FRAMES-th on the channel ends it (counted over the
 * channel's life, as tractor's transport does); a valid msgpack
 * message of an unknown type or with a wrongly typed field is answered
 * with an Error whose boxed_type_str is "MsgTypeError" on its cid (logged
 * and dropped when it has no cid), and recv goes on with the next frame. */
#ifndef ACTR_IPC_H
#define ACTR_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "types.h"
#include "wire.h"

ACTR_BEGIN_DECLS

/* ------------------------------------------------------------ addresses */

typedef enum actr_addr_kind {
    ACTR_ADDR_NONE = 0,
    ACTR_ADDR_TCP,       /* tcp://host:port, tcp://[v6]:port; wire [host, port] */
    ACTR_ADDR_UNIX       /* unix:///path; wire [dir, file] */
} actr_addr_kind;

#define ACTR_ADDR_HOST_MAX 256   /* host text with its NUL */
#define ACTR_ADDR_PATH_MAX 108   /* sun_path: socket path with its NUL */
#define ACTR_ADDR_URL_MAX  300   /* longest URL actr_addr_format writes, NUL included */

/* A transport address, a plain value in caller storage. */
typedef struct actr_addr {
    actr_addr_kind kind;
    uint16_t port;                   /* TCP; 0 asks the listener for any port */
    char host[ACTR_ADDR_HOST_MAX];   /* TCP: name or IP literal, no brackets */
    char path[ACTR_ADDR_PATH_MAX];   /* UNIX: absolute or relative path */
} actr_addr;

/* Parses a URL: "tcp://127.0.0.1:0", "tcp://[::1]:1616", "tcp://name:80",
 * "unix:///tmp/a.sock" (path "/tmp/a.sock"), "unix://rel/a.sock"; or one
 * of tractor's multiaddr strings: "/ip4/127.0.0.1/tcp/1616",
 * "/ip6/::1/tcp/1616", "/dns/name/tcp/80" (dns4, dns6), "/unix/tmp/a.sock"
 * (path "/tmp/a.sock"; percent-encoding as in "/unix/%2Ftmp%2Fa.sock" is
 * decoded). Returns 0 and fills *out, or ACTR_EINVAL (unknown scheme or
 * protocol, missing or bad port, empty host or path, an ip4/ip6 host that
 * is no such literal) / ACTR_ETOOBIG (host or path too long). */
ACTR_API ACTR_NODISCARD int actr_addr_parse(const char *url, actr_addr *out);

/* Writes a's URL into buf (cap bytes, NUL-terminated); IPv6 hosts get
 * brackets. Returns the length without the NUL, ACTR_ERANGE when cap is
 * too small (ACTR_ADDR_URL_MAX always fits), ACTR_EINVAL for a bad a. */
ACTR_API ACTR_NODISCARD int actr_addr_format(const actr_addr *a, char *buf, size_t cap);

/* Appends a's wire form to out: the msgpack array [host, port] for TCP,
 * [dir, file] for UNIX (as tractor: dir is "." for a bare file name).
 * Returns 0, ACTR_EINVAL (bad a) or ACTR_ENOMEM (out->len unchanged). */
ACTR_API ACTR_NODISCARD int actr_addr_encode(const actr_addr *a, actr_wbuf *out);

/* Reads one wire address from buf[0..len): a 2-array [str, int 0..65535]
 * is TCP, [str, str] is UNIX (dir and file joined with '/'). Returns the
 * bytes it spans, or ACTR_EPROTO (not such an array, trailing garbage
 * inside it) / ACTR_ETOOBIG (a string over the limits); *out written only
 * on success. Allocates nothing. */
ACTR_API ACTR_NODISCARD int actr_addr_decode(const uint8_t *buf, size_t len,
                                             actr_addr *out);

/* Decodes a wire list of addresses (SpawnSpec.reg_addrs/bind_addrs, a
 * registrar's reply): a msgpack array of wire addresses, or nil (raw->len
 * 0 or the byte 0xc0) for an empty list. On success *out is a malloc'd
 * array of *n addresses (NULL when *n is 0) that the caller frees with
 * free(). Returns 0, ACTR_EPROTO, ACTR_ETOOBIG or ACTR_ENOMEM. */
ACTR_API ACTR_NODISCARD int actr_addr_list_decode(const actr_any *raw, actr_addr **out,
                                                  size_t *n);

/* Appends the wire list [addr, ...] of n addresses to out. Returns 0,
 * ACTR_EINVAL or ACTR_ENOMEM (out->len unchanged on error). */
ACTR_API ACTR_NODISCARD int actr_addr_list_encode(const actr_addr *addrs, size_t n,
                                                  actr_wbuf *out);

/* ------------------------------------------------------------ options */

/* How long a server waits for the peer's Aid, as tractor's server does. */
#define ACTR_HANDSHAKE_TIMEOUT_MS 10000
/* The undecodable frame that ends a channel (tractor skips 4, then closes;
 * the count is never reset). */
#define ACTR_IPC_MAX_BAD_FRAMES 5
/* Default send high-water mark: buffered bytes past which send blocks. */
#define ACTR_IPC_HIWAT_DEFAULT ((size_t)512 << 10)

/* Decides whether an acceptor takes a peer that did not prove the secret
 * although its channel is not insecure (a tractor child this actor
 * spawned and knows by uid). Called with the peer's Aid before anything
 * is sent to it; returns 1 to accept. */
typedef int (*actr_ipc_admit_fn)(const actr_msg_aid *peer, void *arg);

/* Channel options; NULL or zeroed fields mean the defaults. */
typedef struct actr_ipc_opts {
    size_t max_frame;  /* body limit both ways; 0 = ACTR_FRAME_MAX_DEFAULT */
    size_t hiwat;      /* send buffer high-water mark; 0 = ACTR_IPC_HIWAT_DEFAULT.
                          Blocked senders resume below half of it. */
    int insecure;      /* S28 opt-in: the handshake also accepts a peer that
                          does not prove the secret (a tractor actor); the
                          channel is then unauthenticated
                          (actr_ipc_peer_authenticated). Default 0: such a
                          peer is refused. An authenticating peer is still
                          authenticated */
    actr_ipc_admit_fn admit;   /* acceptor, not insecure: the exceptions */
    void *admit_arg;
} actr_ipc_opts;

/* ------------------------------------------------------------ channels */

typedef struct actr_ipc actr_ipc;

/* Connects to addr and returns a channel, not yet handshaken, in *out.
 * TCP host names that are not IP literals are resolved with a blocking
 * getaddrinfo (use literals in hot paths). A UNIX listener whose backlog
 * is full is retried until the deadline. Returns 0, ACTR_ECONNREFUSED
 * (nobody listens: refused, or no such socket file), ACTR_ETIMEDOUT,
 * ACTR_ECANCELED, ACTR_ENOTFOUND (host name unknown), ACTR_EINVAL (bad
 * addr), ACTR_EIO (any other socket error; detail in actr_last_error),
 * ACTR_ESTATE outside a task. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ipc_connect(const actr_addr *addr,
                                             const actr_ipc_opts *opts,
                                             actr_ipc **out, int64_t deadline);

/* The handshake (PROTOCOL.md section 3): the Aid exchange with the
 * authentication of S28 woven in. A connector sends self (copied) with a
 * challenge, an acceptor answers it with its proof and challenge, the
 * connector proves itself, and only then does the acceptor send self.
 * A peer that offers no challenge (a tractor connector) or answers with
 * a bare Aid (a tractor acceptor) is accepted only when the channel's
 * options say insecure (or, on an acceptor, admit says yes); an acceptor
 * sends nothing to a peer it refuses. Servers pass
 * actr_deadline_in(ACTR_HANDSHAKE_TIMEOUT_MS). Returns 0; the peer's Aid
 * is then readable with actr_ipc_peer. On a failure it logs why at debug
 * level (the caller tells), ends the channel and the caller closes it:
 * ACTR_EAUTH (the peer does not hold our secret, or did not authenticate
 * on a channel that is not insecure), ACTR_EPROTO (an invalid frame),
 * ACTR_ECLOSED/ACTR_EIO (early close: the peer refused us), ACTR_ETIMEDOUT;
 * ACTR_ECANCELED leaves the channel as it is; ACTR_ESTATE when already
 * done; an error of actr_secret_init when this process cannot get its
 * secret. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ipc_handshake(actr_ipc *ipc, const actr_msg_aid *self,
                                               int64_t deadline);

/* 1 when the peer proved in the handshake that it holds this process's
 * secret (S28), 0 for a peer let in by the insecure opt-in or admit, or
 * before the handshake. Does not block. */
ACTR_API int actr_ipc_peer_authenticated(const actr_ipc *ipc);

/* The peer's Aid after a successful handshake (owned by the channel,
 * valid until it is closed), else NULL. */
ACTR_API const actr_msg_aid *actr_ipc_peer(const actr_ipc *ipc);

/* The peer's uid (borrowing from the channel) after the handshake.
 * Returns 0, or ACTR_ESTATE before it. */
ACTR_API ACTR_NODISCARD int actr_ipc_peer_uid(const actr_ipc *ipc, actr_uid *out);

/* Known actr peers (PROTOCOL.md section 13). actr's extensions of the
 * protocol (flow-control windows, error groups, actr:info, list_actors)
 * are used only with a peer that announced itself as actr in its Aid; a
 * tractor peer only ever gets tractor's messages, fields and functions. */
#define ACTR_EXT_VERSION 1

/* Marks self as an actr actor's Aid: sets its "_actr" field to
 * ACTR_EXT_VERSION (a field tractor ignores), unless this process runs
 * with ACTR_EXTENSIONS=off (then it clears it). Pass the result to
 * actr_ipc_handshake. Does not block. */
ACTR_API void actr_aid_announce(actr_msg_aid *self);

/* The version of actr's extensions the peer announced in its handshake:
 * > 0 for an actr actor, 0 for any other peer (a tractor actor), before
 * the handshake, or when this process runs with ACTR_EXTENSIONS=off.
 * Does not block. */
ACTR_API unsigned actr_ipc_peer_actr(const actr_ipc *ipc);

/* Queues m as one frame. Blocks only while the channel's buffered output
 * is over its high-water mark (the peer does not read fast enough), so a
 * sender never grows memory without bound. m is only read. Returns 0 once
 * the frame is buffered (written at the end of this loop iteration; a
 * later failure to write ends the channel and shows at the next call),
 * ACTR_ETOOBIG (frame over max_frame: nothing sent, channel unharmed),
 * ACTR_EINVAL (m not encodable), ACTR_ENOMEM, ACTR_ETIMEDOUT,
 * ACTR_ECANCELED, or the channel's end code (see top). Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ipc_send(actr_ipc *ipc, const actr_msg *m,
                                          int64_t deadline);

/* Blocks until the next valid message and stores it in *out. *out borrows
 * from the channel's read buffer: it stays valid until the next recv or
 * handshake on this channel, or its close (actr_msg_dup to keep it). One
 * task at a time may receive (ACTR_ESTATE otherwise). Returns 0,
 * ACTR_ETIMEDOUT, ACTR_ECANCELED, or the channel's end code (see top).
 * Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_ipc_recv(actr_ipc *ipc, actr_msg *out,
                                          int64_t deadline);

/* Blocks until every buffered frame is written to the socket. Returns 0,
 * ACTR_ETIMEDOUT, ACTR_ECANCELED or the channel's end code. Cancellation
 * point. */
ACTR_API ACTR_NODISCARD int actr_ipc_flush(actr_ipc *ipc, int64_t deadline);

/* 0 while the channel works, else its end code (see top). Does not block. */
ACTR_API int actr_ipc_status(const actr_ipc *ipc);

/* Closes the channel and frees everything it holds (fd, buffers,
 * watchers), always. First, tasks blocked in its recv/send/flush are woken
 * with ACTR_ECLOSED, then buffered output is written until deadline (0:
 * only what fits without blocking; pass a deadline when the last frames
 * matter). Then the close is graceful: the write side is shut down (the
 * peer reads EOF) and what the peer still sends is read and dropped until
 * its EOF or the same deadline, so that the socket closes without a reset
 * that a peer still writing would take for a broken transport. Other
 * tasks must not start calls on ipc once close began.
 * Returns 0 when all output reached the socket, else why not
 * (ACTR_ETIMEDOUT, ACTR_ECANCELED, the end code). Cancellation point
 * only for the flush; outside a task it does not block. NULL is a no-op. */
ACTR_API int actr_ipc_close(actr_ipc *ipc, int64_t deadline);

/* The address this channel dialed (connect), or for an accepted channel
 * the peer's TCP address, or the UNIX listener's path it came in on. */
ACTR_API void actr_ipc_remote_addr(const actr_ipc *ipc, actr_addr *out);

/* Counters of one channel (for tests, monitoring and benchmarks). */
typedef struct actr_ipc_stats {
    uint64_t frames_sent;     /* frames queued by send (MsgTypeError replies included) */
    uint64_t frames_recv;     /* complete frames taken from the socket */
    uint64_t bytes_sent;      /* bytes written to the socket */
    uint64_t bytes_recv;      /* bytes read from the socket */
    uint64_t write_calls;     /* vectored write syscalls (sendmsg, i.e. writev
                                 without SIGPIPE), EAGAIN ones included */
    uint64_t read_calls;      /* read syscalls */
    uint64_t frames_skipped;  /* undecodable frames skipped */
    uint64_t mte_sent;        /* MsgTypeError replies sent */
    uint64_t send_blocked;    /* times a sender waited on the high-water mark */
    size_t out_pending;       /* bytes buffered, not yet written */
    size_t out_peak;          /* most bytes ever buffered at once */
} actr_ipc_stats;

/* Fills *out with ipc's counters. Does not block. */
ACTR_API void actr_ipc_stats_get(const actr_ipc *ipc, actr_ipc_stats *out);

/* ------------------------------------------------------------ listeners */

typedef struct actr_listener actr_listener;

/* Listens on every address of addrs[0..n) at once (S19 multi-homing): TCP
 * port 0 takes any free port, a UNIX path is created (a stale socket file
 * nobody listens on is replaced; a live one is ACTR_EADDRINUSE). Either
 * all addresses are bound or none (what was opened is closed again).
 * Returns 0 and *out, ACTR_EADDRINUSE, ACTR_EINVAL (n == 0, bad address),
 * ACTR_ENOTFOUND (host unknown), ACTR_ENOMEM, ACTR_EIO. Does not block
 * (except resolving non-literal host names). */
ACTR_API ACTR_NODISCARD int actr_listener_open(const actr_addr *addrs, size_t n,
                                               const actr_ipc_opts *opts,
                                               actr_listener **out);

/* Number of bound addresses (the n given to open). */
ACTR_API size_t actr_listener_naddrs(const actr_listener *l);

/* The i-th address as really bound (TCP: the port the kernel gave), or
 * NULL when i is out of range. Borrowed, valid until close. */
ACTR_API const actr_addr *actr_listener_addr(const actr_listener *l, size_t i);

/* Blocks until a peer connects on any of the addresses and returns its
 * channel, not yet handshaken, in *out (options as given to open).
 * Returns 0, ACTR_ETIMEDOUT, ACTR_ECANCELED, ACTR_ECLOSED (the listener
 * was closed meanwhile), ACTR_ENOMEM, ACTR_ESTATE (another task is in
 * accept, or outside a task). Transient accept errors (out of fds, aborted
 * connections) are logged and retried. Cancellation point. */
ACTR_API ACTR_NODISCARD int actr_listener_accept(actr_listener *l, actr_ipc **out,
                                                 int64_t deadline);

/* Writes the path of this user's private directory for Unix sockets into
 * buf (cap bytes): $XDG_RUNTIME_DIR/actr, else /tmp/actr-<uid>, created
 * with mode 0700 when missing. An existing one must be a directory (not
 * a symbolic link) owned by this user with no access for others.
 * Returns the path's length, ACTR_EPERM (it is someone else's or open to
 * others), ACTR_ERANGE, ACTR_EIO. Does not block. (Listeners make every
 * socket file 0600 whatever the umask, wherever it is.) */
ACTR_API ACTR_NODISCARD int actr_ipc_private_dir(char *buf, size_t cap);

/* Stops listening, removes the UNIX socket files it created and frees l;
 * a task blocked in accept gets ACTR_ECLOSED. Channels already accepted
 * stay open. Does not block. NULL is a no-op. */
ACTR_API void actr_listener_close(actr_listener *l);

ACTR_END_DECLS

#endif
