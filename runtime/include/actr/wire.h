/* actr/wire.h: tractor's protocol messages and their frames.
 *
 * A frame is a 4-byte little-endian length and one msgpack value; every
 * message is a msgpack map tagged by "msg_type" (runtime/PROTOCOL.md has the
 * whole format). This header is semi-public: the transport and actor layers
 * use it, generated code does not.
 *
 * Ownership: a decoded message BORROWS from the frame buffer it was decoded
 * from (its strings and raw values point into it, and those strings are NOT
 * NUL-terminated). It stays valid while that buffer does. actr_msg_dup makes
 * an owned copy (NUL-terminated strings) that actr_msg_free releases. A
 * message the caller builds to encode owns nothing; the encoder only reads it.
 * None of these calls block or are cancellation points. */
#ifndef ACTR_WIRE_H
#define ACTR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "types.h"

ACTR_BEGIN_DECLS

/* Default frame size limit (body bytes, prefix excluded): tractor has none,
 * we refuse bigger frames before allocating anything for them. */
#define ACTR_FRAME_MAX_DEFAULT ((size_t)4 << 20)

/* Every message kind; the names are the msg_type strings on the wire. */
typedef enum actr_msg_type {
    ACTR_MSG_NONE = 0,
    ACTR_MSG_AID,        /* "Aid": handshake, first frame both ways */
    ACTR_MSG_SPAWNSPEC,  /* "SpawnSpec": parent -> child after the handshake */
    ACTR_MSG_START,      /* "Start": schedule an RPC task */
    ACTR_MSG_STARTACK,   /* "StartAck": the callee found the endpoint */
    ACTR_MSG_STARTED,    /* "Started": first value of a context */
    ACTR_MSG_YIELD,      /* "Yield": one stream item */
    ACTR_MSG_STOP,       /* "Stop": the sender's stream side is done */
    ACTR_MSG_RETURN,     /* "Return": final result */
    ACTR_MSG_CANCELACK,  /* "CancelAck": result of a self:cancel* RPC */
    ACTR_MSG_ERROR,      /* "Error": a boxed remote exception */
    ACTR_MSG_CREDIT,     /* "ActrCredit": actr's flow-control grant, an
                            extension sent only to a peer that negotiated
                            it (PROTOCOL.md) */
    ACTR_MSG_AUTH,       /* "ActrAuth": a step of actr's authentication
                            handshake (S28), sent only to a peer whose Aid
                            offered it (PROTOCOL.md section 3) */
    ACTR_MSG_PING        /* "ActrPing": actr's keepalive, sent only on a
                            channel both of whose Aids announced one */
} actr_msg_type;

#define ACTR_MSG_TYPE_COUNT 14

/* StartAck.functype, the endpoint kind. */
typedef enum actr_functype {
    ACTR_FUNCTYPE_ASYNCFUNC = 1, /* "asyncfunc": one result */
    ACTR_FUNCTYPE_ASYNCGEN,      /* "asyncgen": a one-way stream */
    ACTR_FUNCTYPE_CONTEXT        /* "context": started, stream, result */
} actr_functype;

/* An actor uid, a [name, uuid] array on the wire. */
typedef struct actr_uid {
    actr_str name;
    actr_str uuid;
} actr_uid;

/* A list of uids (Error.relay_path). A decoded list is kept encoded in raw
 * (count says how many) and read with actr_uidlist_get. To encode a list,
 * either set items/count, or pass a raw array of [name, uuid] pairs (items
 * NULL). */
typedef struct actr_uidlist {
    actr_any raw;
    const actr_uid *items;
    size_t count;
} actr_uidlist;

/* Raw actr_any fields that may be nil on the wire (SpawnSpec.bind_addrs,
 * Error._bad_msg, Error._bad_msg_as_dict) use len == 0 for nil, both ways.
 * Required raw fields (pld, kwargs, the SpawnSpec maps) always decode to
 * one complete value (nil is the single byte 0xc0); encoding an empty one
 * writes nil. Optional scalars, strings and uids carry a has_ flag. */

typedef struct actr_msg_aid {
    actr_str name;
    actr_str uuid;
    bool has_pid;          /* pid: int|null = null */
    int64_t pid;
    bool has_is_registrar; /* is_registrar: bool|null = null */
    bool is_registrar;
    bool is_probe;         /* default false */
    bool has_actr;         /* actr's extension "_actr" (PROTOCOL.md section 13):
                              the sender is an actr actor and serves actr's
                              extensions of this version; written only when
                              set, so a tractor peer (which ignores unknown
                              fields) sees its own Aid plus one key */
    uint32_t actr;
    actr_any auth;         /* actr's extension "_actr_auth" (S28): the
                              connector's challenge, a bin of 32 random
                              bytes; len 0 = absent (not sent) */
    actr_any kx;           /* actr's extension "_actr_kx" (S28): the
                              connector's X25519 public key (bin 32) when
                              it asks for encryption; len 0 = absent */
    bool has_keepalive;    /* actr's extension "_actr_keepalive": the
                              sender pings when idle and gives up on a
                              peer silent for keepalive ms (0: absent) */
    uint32_t keepalive;
} actr_msg_aid;

typedef struct actr_msg_spawnspec {
    actr_any parent_main_data; /* "_parent_main_data": map */
    actr_any runtime_vars;     /* "_runtime_vars": map with str keys */
    actr_any enable_modules;   /* map str -> str */
    actr_any reg_addrs;        /* array of [host, port] (or [dir, file]) */
    actr_any bind_addrs;       /* same, or nil (len 0) */
} actr_msg_spawnspec;

typedef struct actr_msg_start {
    actr_str cid;
    actr_str ns;
    actr_str func;
    actr_any kwargs;     /* map with str keys */
    actr_uid uid;        /* the caller's uid */
    actr_str pld_spec;   /* ptr NULL when encoding: the default "typing.Any" */
    bool has_window;     /* actr's extension "_actr_window" (S27): the opener
                            takes part in flow control; window = its
                            receive window (0: none). Not sent when false */
    uint32_t window;
} actr_msg_start;

typedef struct actr_msg_startack {
    actr_str cid;
    actr_functype functype;
    bool has_window;     /* actr's extension "_actr_window" (S27): the
                            callee takes part in the flow control the Start
                            announced; window = its receive window (0:
                            none). Sent only in answer to such a Start */
    uint32_t window;
} actr_msg_startack;

/* Started, Yield and Return: a cid and one raw payload value. */
typedef struct actr_msg_pld {
    actr_str cid;
    actr_any pld;
    bool has_window;     /* Started only, actr's extension "_actr_window"
                            (S27): the callee's receive window (0: none),
                            sent when the Start announced flow control */
    uint32_t window;
} actr_msg_pld;

typedef struct actr_msg_stop {
    actr_str cid;
} actr_msg_stop;

typedef struct actr_msg_cancelack {
    actr_str cid;
    bool pld;
} actr_msg_cancelack;

/* ActrCredit (S27): the receiver of cid's stream lets its sender send
 * grant more messages. */
typedef struct actr_msg_credit {
    actr_str cid;
    uint32_t grant;
} actr_msg_credit;

/* ActrPing: "I am alive" on a channel with a negotiated keepalive; the
 * interval (ms) the sender uses. */
typedef struct actr_msg_ping {
    uint32_t interval;
} actr_msg_ping;

/* ActrAuth (S28, PROTOCOL.md section 3): the acceptor's challenge and
 * proof (nonce set), or the connector's proof (nonce nil). Both fields
 * are raw msgpack: a bin, or nil (len 0 when encoding). */
typedef struct actr_msg_auth {
    actr_any nonce;
    actr_any proof;
    actr_any kx;         /* the acceptor's X25519 public key (bin 32) when
                            it agrees to encrypt; len 0 = absent (not sent) */
} actr_msg_auth;

typedef struct actr_msg_error {
    actr_uid src_uid;
    actr_str src_type_str;
    actr_str boxed_type_str;
    actr_uidlist relay_path;
    bool has_message;       /* message: str|null = null */
    actr_str message;
    actr_str tb_str;        /* default ""; ptr NULL when encoding means "" */
    bool has_canceller;     /* canceller: uid|null = null */
    actr_uid canceller;
    bool has_sender;        /* sender: uid|null = null */
    actr_uid sender;
    bool has_cid;           /* cid: str|null = null */
    actr_str cid;
    actr_any bad_msg;       /* "_bad_msg": Started|Yield|Return map, or nil */
    actr_any bad_msg_as_dict; /* "_bad_msg_as_dict": map or nil */
    actr_any actr_group;    /* actr's extension "_actr_group" (PROTOCOL.md):
                               the members of an error group, an array of
                               Error-like maps; len 0 = absent (not sent) */
} actr_msg_error;

/* One protocol message: type says which union member is meaningful. */
typedef struct actr_msg {
    actr_msg_type type;
    void *owned;            /* private: storage of a dup'ed message, or NULL */
    union {
        actr_msg_aid aid;
        actr_msg_spawnspec spawnspec;
        actr_msg_start start;
        actr_msg_startack startack;
        actr_msg_pld started;
        actr_msg_pld yield;
        actr_msg_stop stop;
        actr_msg_pld ret;   /* Return */
        actr_msg_cancelack cancelack;
        actr_msg_error error;
        actr_msg_credit credit;
        actr_msg_auth auth;
        actr_msg_ping ping;
    } u;
} actr_msg;

/* Why a frame or message was refused, for the transport's policy (the
 * Python system skips undecodable frames, closes the channel after several
 * in a row, and answers a badly typed message with an Error MsgTypeError on
 * its cid). Strings in it borrow from the frame, like a decoded message. */
typedef enum actr_wire_fault {
    ACTR_WIRE_OK = 0,
    ACTR_WIRE_OVERSIZE,  /* length prefix over the limit (ACTR_ETOOBIG) */
    ACTR_WIRE_MALFORMED, /* not one valid msgpack value, or bad UTF-8 (ACTR_EPROTO) */
    ACTR_WIRE_MSGTYPE    /* valid msgpack, not a valid message (ACTR_ETYPE) */
} actr_wire_fault;

typedef struct actr_wire_err {
    actr_wire_fault fault;
    actr_msg_type type;     /* msg_type, when it was read and known */
    bool has_cid;           /* MSGTYPE: the message's "cid" when it has a str one */
    actr_str cid;
    actr_any body;          /* MSGTYPE: the whole offending map, else len 0 */
    size_t frame_len;       /* OVERSIZE: the declared body length */
    char what[160];         /* e.g. "Start.kwargs: expected map, got str" */
} actr_wire_err;

/* The wire name of a message type ("Start"), or NULL if out of range. */
ACTR_API const char *actr_msg_type_name(actr_msg_type type);

/* The wire name of a functype ("asyncgen"), or NULL if out of range. */
ACTR_API const char *actr_functype_name(actr_functype ft);

/* Decodes one frame body (the msgpack value, no length prefix) into *out,
 * which then borrows from body. Returns 0, or ACTR_EPROTO (not valid
 * msgpack or trailing bytes) / ACTR_ETYPE (not a valid message: unknown
 * msg_type, missing or wrongly typed field) with *err filled when err is
 * not NULL. Allocates nothing. */
ACTR_API ACTR_NODISCARD int actr_msg_decode(const uint8_t *body, size_t len,
                                            actr_msg *out, actr_wire_err *err);

/* Extracts the dialog id of m: returns 1 and sets *cid for a message that
 * has one (everything but Aid, SpawnSpec and a cid-less Error), else 0. */
ACTR_API int actr_msg_cid(const actr_msg *m, actr_str *cid);

/* Copies m into *dst, which then owns all its bytes (one allocation;
 * strings NUL-terminated). Returns 0 or ACTR_ENOMEM / ACTR_EINVAL (m's
 * relay_path items are not encodable); *dst is written only on success. */
ACTR_API ACTR_NODISCARD int actr_msg_dup(const actr_msg *m, actr_msg *dst);

/* Releases what actr_msg_dup allocated; a no-op on a borrowed message.
 * Leaves *m of type ACTR_MSG_NONE. */
ACTR_API void actr_msg_free(actr_msg *m);

/* ------------------------------------------------------------ output */

/* A growable, caller-owned output buffer that frames are appended to, so
 * the transport can write many frames with one call. */
typedef struct actr_wbuf {
    uint8_t *ptr;
    size_t len;
    size_t cap;
} actr_wbuf;

#define ACTR_WBUF_INIT {NULL, 0, 0}

/* Makes room for extra more bytes. Returns 0 or ACTR_ENOMEM. */
ACTR_API ACTR_NODISCARD int actr_wbuf_reserve(actr_wbuf *b, size_t extra);

/* Drops the first n bytes (after a partial write), keeping the rest. */
ACTR_API void actr_wbuf_consume(actr_wbuf *b, size_t n);

/* Frees the storage; the buffer is empty and reusable afterwards. */
ACTR_API void actr_wbuf_destroy(actr_wbuf *b);

/* Appends m as one frame (prefix + body) to out, encoded exactly as
 * tractor's msgspec does: msg_type first, fields in declaration order,
 * defaults written out, smallest int forms. Returns the frame's size, or
 * ACTR_EINVAL (bad type, raw value that is not one msgpack value, field
 * not encodable), ACTR_ETOOBIG (body over 4 GiB) or ACTR_ENOMEM; on error
 * out->len is unchanged. */
ACTR_API ACTR_NODISCARD int actr_msg_encode(const actr_msg *m, actr_wbuf *out);

/* Reads the i-th uid of a list (decoded or built). Returns 0, or
 * ACTR_ERANGE when i >= count, ACTR_EPROTO when raw is not a uid array. */
ACTR_API ACTR_NODISCARD int actr_uidlist_get(const actr_uidlist *l, size_t i,
                                             actr_uid *out);

/* Fills *out with the Error a channel answers a refused message with:
 * src_type_str = boxed_type_str = "MsgTypeError", src_uid = self,
 * relay_path = [self], message = err->what, cid = err's cid (nil if none)
 * and _bad_msg_as_dict = the offending map (nil if none). *out borrows
 * from self and err, which must outlive it. Returns 0, or ACTR_EINVAL when
 * err is not an ACTR_WIRE_MSGTYPE fault. */
ACTR_API ACTR_NODISCARD int actr_msg_mte(actr_msg *out, const actr_uid *self,
                                         const actr_wire_err *err);

/* ------------------------------------------------------------ frames */

/* One complete frame body inside a reader's buffer. */
typedef struct actr_frame {
    const uint8_t *body;
    size_t len;
} actr_frame;

/* Finds the first frame in buf[0..len). Returns 1 with *out and *used
 * (prefix + body bytes) set, 0 when more bytes are needed (*used then says
 * how many the whole frame needs in total, or 4 while the prefix is
 * incomplete), or ACTR_ETOOBIG when the prefix announces more than max
 * body bytes (*used = 4, *out->len = the announced length). */
ACTR_API int actr_frame_parse(const uint8_t *buf, size_t len, size_t max,
                              actr_frame *out, size_t *used);

/* Incremental frame reader: the transport reads socket bytes into it and
 * takes out every complete frame. Caller storage, fields private. */
typedef struct actr_frame_reader {
    uint8_t *buf;
    size_t start;       /* first unconsumed byte */
    size_t end;         /* one past the last buffered byte */
    size_t cap;
    size_t max_frame;   /* body limit */
    size_t skip;        /* bytes of a refused frame still to discard */
} actr_frame_reader;

/* Initialises r with a body size limit (0: ACTR_FRAME_MAX_DEFAULT).
 * Allocates nothing yet. */
ACTR_API void actr_frame_reader_init(actr_frame_reader *r, size_t max_frame);

/* Frees r's buffer. */
ACTR_API void actr_frame_reader_destroy(actr_frame_reader *r);

/* Hands out writable space for the next read(): *dst and *avail (> 0).
 * It may move buffered bytes, which invalidates frames and messages handed
 * out before. The space never exceeds what the pending frame (checked
 * against the limit) or a read chunk needs. Returns 0 or ACTR_ENOMEM. */
ACTR_API ACTR_NODISCARD int actr_frame_reader_space(actr_frame_reader *r,
                                                    uint8_t **dst, size_t *avail);

/* Records that n bytes were written into the space from _space. */
ACTR_API void actr_frame_reader_commit(actr_frame_reader *r, size_t n);

/* Copies n bytes in (space + memcpy + commit). Returns 0 or ACTR_ENOMEM. */
ACTR_API ACTR_NODISCARD int actr_frame_reader_feed(actr_frame_reader *r,
                                                   const void *data, size_t n);

/* The buffer of frame f, the last one _next handed out, when f has a
 * buffer of its own (a frame of 64 KiB or more that arrived in pieces is
 * read into one, exactly its size) and nothing else is in it: returns it,
 * f's body at offset 4, for the caller to free() when done, and the
 * reader forgets it; else NULL (f then stays valid until the next
 * _space/_feed call). Lets a consumer keep a big frame without a copy. */
ACTR_API void *actr_frame_reader_take(actr_frame_reader *r, const actr_frame *f);

/* Takes the next complete frame: returns 1 and sets *out (valid until the
 * next _space/_feed call), 0 when no complete frame is buffered, or
 * ACTR_ETOOBIG for a frame over the limit (err->fault OVERSIZE, frame_len
 * set). The refused body is then discarded as it arrives, never stored,
 * so the caller may keep reading (or close the channel). A zero-length
 * frame is returned as a frame; decoding it reports ACTR_EPROTO. */
ACTR_API int actr_frame_reader_next(actr_frame_reader *r, actr_frame *out,
                                    actr_wire_err *err);

/* Bytes buffered and not yet taken (a partial frame when the peer closes). */
ACTR_API size_t actr_frame_reader_pending(const actr_frame_reader *r);

ACTR_END_DECLS

#endif
