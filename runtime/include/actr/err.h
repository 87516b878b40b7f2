/* actr/err.h: error codes. Every API call returns 0 (or a count) on success
 * and one of these negative codes on failure. Codes never travel on the
 * wire; the protocol carries the Python system's exception names instead. */
#ifndef ACTR_ERR_H
#define ACTR_ERR_H

#include "api.h"

ACTR_BEGIN_DECLS

#define ACTR_OK           0
#define ACTR_EINVAL     (-1)   /* invalid argument or misuse of the API */
#define ACTR_ENOMEM     (-2)   /* out of memory (or of stack mappings) */
#define ACTR_ETIMEDOUT  (-3)   /* a deadline passed (fail_after scope, fd wait) */
#define ACTR_ECANCELED  (-4)   /* THIS task is being cancelled: clean up, return */
#define ACTR_EPIPE      (-5)   /* end of stream: the peer said it sends no more */
#define ACTR_ECLOSED    (-6)   /* closed: channel or object is gone (S14) */
#define ACTR_EPROTO     (-7)   /* the peer broke the protocol */
#define ACTR_EAGAIN     (-8)   /* a try-variant would have blocked */
#define ACTR_EREMOTE    (-9)   /* a remote task failed: see actr_last_error() */
#define ACTR_ECTXCANCEL (-10)  /* the remote dialog was cancelled (S11, S12) */
#define ACTR_EOVERRUN   (-11)  /* stream overrun (S17) */
#define ACTR_ENOTFOUND  (-12)  /* no such module, endpoint, actor or address */
#define ACTR_ETOOBIG    (-13)  /* a frame or value is beyond its size limit */
#define ACTR_ETYPE      (-14)  /* a value has the wrong type or a field is missing */
#define ACTR_ERANGE     (-15)  /* a number does not fit its declared type */
#define ACTR_EIO        (-16)  /* an operating-system call failed */
#define ACTR_ESTATE     (-17)  /* the call is not valid in the object's state */
#define ACTR_EADDRINUSE (-18)  /* a listen address is taken */
#define ACTR_ECONNREFUSED (-19) /* nobody listens at the address */
#define ACTR_ENOTSUP    (-20)  /* not supported on this platform or transport */
#define ACTR_ELAGGED    (-21)  /* a broadcast subscriber fell behind its buffer (S22) */
#define ACTR_EAUTH      (-22)  /* the peer did not prove it holds the tree's secret (S28) */
#define ACTR_EBUSY      (-23)  /* a limit was reached: too many tasks or connections (S28) */
#define ACTR_EPERM      (-24)  /* not allowed: a file others may read, a request refused */
/* The lowest code, for loops over all of them. */
#define ACTR_ELAST      ACTR_EPERM

/* Returns a short constant English description of an ACTR_E* code, or
 * "unknown error" for anything else. Never NULL. */
ACTR_API const char *actr_strerror(int err);

/* Returns the stable symbolic name ("ACTR_ECANCELED") of a code, or NULL. */
ACTR_API const char *actr_errname(int err);

ACTR_END_DECLS

#endif
