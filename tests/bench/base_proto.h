/* What the baselines (baseline.h) share: tractor-shaped frames packed and
 * unpacked with msgpack-c, a buffered frame reader, and the sockets of a
 * baseline's two processes. Internal to tests/bench/. */
#ifndef ACTR_BENCH_BASE_PROTO_H
#define ACTR_BENCH_BASE_PROTO_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "baseline.h"

#define BP_CID_LEN 36          /* uuid4 text */
#define BP_NS "benchmod"
#define BP_FUNC "ping"

/* ------------------------------------------------------------ output */

/* Frames being packed, back to back, prefix included. */
typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} bp_out;

void bp_out_init(bp_out *o);
void bp_out_destroy(bp_out *o);

/* Appends one frame each. cid is BP_CID_LEN characters. */
void bp_pack_start(bp_out *o, const char *cid, int64_t x);
void bp_pack_startack(bp_out *o, const char *cid);
void bp_pack_return(bp_out *o, const char *cid, int64_t v);
void bp_pack_yield(bp_out *o, const char *cid, int64_t v);

/* Writes a uuid4-shaped text (36 characters + NUL) that differs per seq:
 * what an opener does for each new dialog. */
void bp_cid_make(char cid[BP_CID_LEN + 1], uint64_t seq);

/* ------------------------------------------------------------ input */

/* Bytes read from a socket and the offset of the first unhandled frame. */
typedef struct {
    uint8_t *p;
    size_t len;
    size_t off;
    size_t cap;
} bp_in;

int bp_in_init(bp_in *in, size_t cap);
void bp_in_destroy(bp_in *in);

/* One read() into the free space (compacting first). Returns the byte
 * count, ACTR_ECLOSED at end of file, ACTR_EAGAIN on a non-blocking socket
 * with nothing to read, ACTR_EIO on error, ACTR_ETOOBIG when a frame does
 * not fit the buffer. */
int bp_in_read(bp_in *in, int fd);

/* Hands out the body of the next complete frame; false when none is
 * complete. */
bool bp_in_next(bp_in *in, const uint8_t **body, size_t *len);

typedef enum { BP_START, BP_STARTACK, BP_RETURN, BP_YIELD } bp_kind;

/* A decoded message: strings point into the zone or the frame. */
typedef struct {
    bp_kind kind;
    const char *cid;
    size_t cid_len;
    int64_t val;         /* Start: kwargs.x; Return, Yield: pld */
} bp_msg;

/* Unpacks one frame body with msgpack-c (into zone, cleared first) and
 * checks it as the peer would: a map with a known msg_type, a cid, and
 * the fields of its type (Start: ns/func as BP_NS/BP_FUNC, kwargs.x, uid;
 * StartAck: functype; Return/Yield: an integer pld). Returns 0, or
 * ACTR_EPROTO / ACTR_ETYPE. */
int bp_decode(const uint8_t *body, size_t len, msgpack_zone *zone, bp_msg *m);

/* ------------------------------------------------------------ dialogs */

/* One blocking round trip of `shape` on fd (baseline_sock.c): the request
 * (a fresh cid per call) out, every reply frame in and checked. */
int bp_rtt_once(int fd, bench_shape shape, uint64_t seq, bp_in *in, bp_out *out,
                msgpack_zone *zone);

/* Serves round trips of `shape` on fd with a libev loop until the other
 * side closes (baseline_ev.c); closes fd. 0 on a clean end. */
int bp_ev_serve(int fd, bench_shape shape);

/* ------------------------------------------------------------ sockets */

typedef struct {
    bench_tpt tpt;
    int fd;
    struct sockaddr_storage ss;
    socklen_t sl;
} bp_listener;

/* Listens on 127.0.0.1 port 0, or on a fresh Unix path in /tmp. */
int bp_listen(bench_tpt t, bp_listener *l);
/* Blocking accept / connect; sets TCP_NODELAY on TCP. */
int bp_accept(bp_listener *l, int *fd);
int bp_connect(const bp_listener *l, int *fd);
/* Closes the socket and unlinks a Unix path. */
void bp_listener_close(bp_listener *l);

int bp_set_nonblock(int fd);
/* Blocking write of all n bytes: 0 or ACTR_EIO. */
int bp_write_all(int fd, const void *p, size_t n);
/* Blocking writev of all cnt buffers (iov is consumed): 0 or ACTR_EIO. */
struct iovec;
int bp_writev_all(int fd, struct iovec *iov, int cnt);

#endif
