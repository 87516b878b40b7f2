/* wire/msg_table.h: one descriptor per message kind, listing its fields in
 * tractor's declaration order. The decoder, the encoder and actr_msg_dup
 * all walk these tables, so field order and defaults live in one place. */
#ifndef ACTR_WIRE_MSG_TABLE_H
#define ACTR_WIRE_MSG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <actr/err.h>
#include <actr/wire.h>

/* How a field is typed on the wire and stored in actr_msg. */
enum fkind {
    FK_STR,        /* str (actr_str) */
    FK_STR_DEF,    /* str with a default (dflt) */
    FK_STR_OPT,    /* str|None = None (has_ flag at has_off) */
    FK_INT_OPT,    /* int|None = None (int64_t) */
    FK_BOOL,       /* bool */
    FK_BOOL_DEF,   /* bool = False */
    FK_BOOL_OPT,   /* bool|None = None */
    FK_UID,        /* tuple[str, str] (actr_uid) */
    FK_UID_OPT,    /* tuple[str, str]|None = None */
    FK_UIDLIST,    /* list[tuple[str, str]] (actr_uidlist) */
    FK_FUNCTYPE,   /* Literal['asyncfunc', 'asyncgen', 'context'] */
    FK_ANY,        /* Raw / Any: one value (actr_any) */
    FK_MAP,        /* dict */
    FK_MAP_STRKEY, /* dict[str, Any] */
    FK_MAP_STRSTR, /* dict[str, str] */
    FK_ADDRS,      /* list of [str, int|str] */
    FK_ADDRS_OPT,  /* the same or None (no default) */
    FK_MAP_OPT,    /* dict|None = None */
    FK_PLDMSG_OPT, /* Started|Yield|Return|None = None */
    FK_EXT,        /* actr's extension (PROTOCOL.md): any value, written
                      only when set (len > 0), so tractor's own fields
                      stay byte for byte; tractor ignores unknown fields */
    FK_U32,        /* int in 0..UINT32_MAX (uint32_t) */
    FK_U32_EXT     /* actr's extension: a uint32_t written only when its
                      has_ flag is set */
};

struct fdesc {
    const char *name;
    uint8_t namelen;
    uint8_t kind;        /* enum fkind */
    uint16_t off;        /* offset of the value in actr_msg */
    uint16_t has_off;    /* offset of the has_ flag (the _OPT scalars) */
    const char *dflt;    /* FK_STR_DEF */
};

struct mdesc {
    const char *name;
    uint8_t namelen;
    uint8_t nfields;
    uint16_t size;       /* bytes of actr_msg this kind uses */
    const struct fdesc *fields;
};

/* Short-string equality; memcmp with a run-time length is a libc call,
 * which costs more than these names are long. */
static inline bool
actri_name_eq(const char *name, size_t nl, const uint8_t *s, size_t n)
{
    if (nl != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((uint8_t)name[i] != s[i])
            return false;
    }
    return true;
}

/* Indexed by actr_msg_type; entry 0 (ACTR_MSG_NONE) is empty. */
extern const struct mdesc actri_msg_desc[ACTR_MSG_TYPE_COUNT];

/* The message type whose wire name is s[0..n), or ACTR_MSG_NONE. */
actr_msg_type actri_msg_type_lookup(const uint8_t *s, size_t n);

/* Checks raw as the content of a field of kind k (FK_ANY and the map and
 * address kinds): one complete value of the right shape and nothing after
 * it. Returns 0, ACTR_EPROTO when it is not valid msgpack, or ACTR_ETYPE
 * with a reason in what (prefixed by nothing: the caller names the field). */
int actri_msg_check_raw(enum fkind k, const uint8_t *raw, size_t len,
                        char *what, size_t whatlen);

/* Field storage accessors. */
#define FIELD(m, f, T) ((T *)((char *)(m) + (f)->off))
#define CFIELD(m, f, T) ((const T *)((const char *)(m) + (f)->off))
#define HAS(m, f) ((bool *)((char *)(m) + (f)->has_off))
#define CHAS(m, f) (*(const bool *)((const char *)(m) + (f)->has_off))

#endif
