/* actr/error.h: per-task error detail. A failing call returns a negative
 * ACTR_E* code; the details of the last failure of the current task (its
 * message and, for errors that came from another actor, the remote fields)
 * are kept per task and read with one call. errno is never used: a fiber
 * switch between the failure and the read would clobber it.
 *
 * A call that succeeds never touches the detail: it describes the last
 * call that failed until another one fails (or actr_error_clear). */
#ifndef ACTR_ERROR_H
#define ACTR_ERROR_H

#include <stddef.h>
#include <stdio.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* One failure. Every string is NUL-terminated and may be NULL when the
 * field does not apply (message is never NULL when code != 0). uids are
 * text, "name.uuid".
 *
 * An error that came from another actor keeps its identity however many
 * actors relayed it (tractor's RemoteActorError): type_name, message and
 * src_uid describe it where it started; boxed_type is what the last hop
 * called it ("RemoteActorError" once relayed); relay_path lists every
 * actor it passed through, the source first and the actor that sent it to
 * us last. */
typedef struct actr_error {
    int code;                   /* ACTR_E* code, 0 when there is no error */
    const char *message;        /* human-readable text (the source's text
                                   for a remote error) */
    const char *type_name;      /* remote error type where it started
                                   ("ValueError", "ContextCancelled"...),
                                   NULL if local */
    const char *boxed_type;     /* type as the last hop boxed it, NULL if
                                   local */
    const char *traceback;      /* remote traceback text */
    const char *src_uid;        /* uid of the actor where it happened */
    const char *canceller_uid;  /* uid of the actor that asked to cancel */
    const char *sender_uid;     /* StreamOverrun: uid of the sender that
                                   overran the receiver */
    const char *task_name;      /* name of the task that failed, or NULL */
    size_t relay_count;         /* entries of relay_path (0 if local) */
    const char *const *relay_path;
    /* Every failure collected with this one, in the order they happened
     * (the failing tasks of a nursery, the children of an actor nursery,
     * an error group relayed by another actor). list[0] describes the
     * same failure as the fields above; count is 1 for a single error and
     * 0 when code == 0. */
    size_t count;
    const struct actr_error *list;
} actr_error;

/* Returns the last failure recorded for the current task (outside any
 * task: for the process's loop context). Never NULL; code == 0 when
 * nothing failed yet or after actr_error_clear(). The pointer and its
 * strings are borrowed: valid until the next call that records an error
 * in the same task, or until the task ends. Does not block. */
ACTR_API const actr_error *actr_last_error(void);

/* Records a local failure for the current task: code plus a printf-style
 * message (fmt may be NULL: then actr_strerror(code) is the message).
 * Replaces the previous detail entirely. Returns code, so a function can
 * `return actr_error_set(ACTR_EINVAL, "bad port %d", p);`. */
ACTR_API int actr_error_set(int code, const char *fmt, ...) ACTR_PRINTF(2, 3);

/* Records a failure with every field of *e (copied, relay path included;
 * e->count and e->list are ignored). Used by the layers that receive
 * errors from other actors. Returns e->code. */
ACTR_API int actr_error_set_detail(const actr_error *e);

/* Records a multi-failure: the first element becomes the primary error and
 * all n (copied, their own count/list ignored) form the list. n == 0
 * clears. Returns errs[0].code (0 when n == 0). */
ACTR_API int actr_error_set_list(const actr_error *errs, size_t n);

/* Forgets the current task's error detail (code becomes 0). */
ACTR_API void actr_error_clear(void);

/* A deep, owned copy of *e and of every member of its list (so a
 * failure can be reported later, or by another task: the supervisors of
 * runtime/hilevel keep a child's exit reason so). The copy's list points
 * into the copy. Returns 0 and *out (free it with actr_error_free),
 * ACTR_EINVAL for a NULL e or out, ACTR_ENOMEM. Does not block. */
ACTR_API ACTR_NODISCARD int actr_error_dup(const actr_error *e, actr_error **out);

/* Records a copy made by actr_error_dup as the current task's detail, as
 * actr_error_set_list(e->list, e->count) would. Returns e->code (0 and a
 * cleared detail for NULL). */
ACTR_API int actr_error_restore(const actr_error *e);

/* Frees what actr_error_dup handed out. NULL is a no-op. */
ACTR_API void actr_error_free(actr_error *e);

/* Writes e for people to f: a first line "<title>: <type>: <message>"
 * (title may be NULL), then, indented, where it came from (source actor,
 * every relay hop, canceller, task) and its traceback, and every member
 * of a group the same way. e NULL or e->code 0 writes nothing. Used by a
 * failing root actor (actr_main) and the actr tool; never fails
 * visibly. */
ACTR_API void actr_error_print(FILE *f, const char *title, const actr_error *e);

ACTR_END_DECLS

#endif
