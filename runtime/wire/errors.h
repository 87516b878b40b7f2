/* wire/errors.h: the wire's error vocabulary, shared by every layer that
 * talks to other actors (actor/, discovery/). Private to libactr.
 *
 * - exception names <-> ACTR_E* codes (DESIGN.md Decisions);
 * - a received Error message -> the task's error detail (actr/error.h),
 *   keeping the error's identity: source type, message and uid, the type
 *   the last hop boxed it as, its relay path, canceller, sender, and every
 *   member of an error group;
 * - a failure -> an Error message, as tractor's pack_error builds it: a
 *   local error boxed under its own type, a remote one relayed (boxed
 *   RemoteActorError, source kept, this actor appended to the relay path),
 *   several at once as an error group (PROTOCOL.md, "_actr_group"). */
#ifndef ACTR_WIRE_ERRORS_H
#define ACTR_WIRE_ERRORS_H

#include <actr/error.h>
#include <actr/wire.h>

/* The ACTR_E* code of an Error by its boxed and source type names:
 * ContextCancelled, StreamOverrun, MsgTypeError, ModuleNotExposed and
 * AttributeError have their own codes, boxed directly or relayed (boxed
 * RemoteActorError with that source type); anything else is ACTR_EREMOTE. */
int actri_wire_error_code(const actr_str *boxed, const actr_str *src);

/* The wire exception name of a code that has one (ACTR_ECTXCANCEL ->
 * "ContextCancelled"...), else NULL. */
const char *actri_wire_error_name(int code);

/* Records the Error e (a received message, borrowed) as the current
 * task's error detail and returns its code. task_name names the local
 * operation that failed (may be NULL). The message is e's message when it
 * has one, else the text tractor puts at the end of tb_str, without the
 * "Type: " prefix. An error group (e->actr_group) records every member. */
int actri_wire_error_raise(const actr_msg_error *e, const char *task_name);

/* One error to box, every field borrowed. uids are "name.uuid" text. */
typedef struct actri_errbox {
    const char *boxed_type;       /* required */
    const char *src_type;         /* NULL: boxed_type */
    const char *src_uid;          /* NULL: this actor */
    size_t relay_count;           /* the path before this actor (relays) */
    const char *const *relay_path;
    const char *message;          /* NULL: nil */
    const char *tb;               /* NULL: "" */
    const char *canceller;        /* NULL: nil */
    const char *sender;           /* NULL: nil */
} actri_errbox;

/* The box of e as this actor relays it: an error of another actor keeps
 * its source (type, uid, relay path, message) and is boxed
 * "RemoteActorError", except a ContextCancelled, which stays one (its
 * canceller kept, as tractor's pack_error does); a local error is boxed
 * under its own type (default "RemoteActorError"). Borrows from e; tb is
 * left NULL for the caller to set. self_uuid: this actor's uuid. */
void actri_errbox_of(actri_errbox *out, const actr_error *e, const char *self_uuid);

/* An Error message and the storage it borrows. */
typedef struct actri_errmsg {
    actr_msg msg;
    actr_uid *path;               /* relay path items */
    actr_wbuf group;              /* the group's tb_str and its encoded
                                     "_actr_group" */
    char note[64];                /* the group's message */
} actri_errmsg;

/* Builds the Error for cid (NULL: none) from b as this actor (self) sends
 * it: src_uid = b's or self, relay_path = b's path + self. With n > 1
 * members it is an error group: boxed and source type "ExceptionGroup",
 * a message naming the count, a tb_str listing every member (what a
 * tractor peer shows), and the members themselves in "_actr_group" (b is
 * then ignored). Returns 0 or ACTR_ENOMEM; free with actri_errmsg_free
 * either way. */
int actri_errmsg_build(actri_errmsg *out, const actr_uid *self, const char *cid,
                       const actri_errbox *b, const actri_errbox *members, size_t n);
void actri_errmsg_free(actri_errmsg *m);

/* "name.uuid" -> a wire uid borrowing t (uuid = the last 36 characters
 * after a '.'; without one, the whole text is the name and uuid is ""). */
actr_uid actri_uid_of_text(const char *t);

#endif
