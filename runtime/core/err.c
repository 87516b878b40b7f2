/* Error code names and descriptions. */
#include <actr/err.h>

#include <stddef.h>

struct errdesc {
    int code;
    const char *name;
    const char *text;
};

static const struct errdesc errs[] = {
    {ACTR_OK, "ACTR_OK", "success"},
    {ACTR_EINVAL, "ACTR_EINVAL", "invalid argument"},
    {ACTR_ENOMEM, "ACTR_ENOMEM", "out of memory"},
    {ACTR_ETIMEDOUT, "ACTR_ETIMEDOUT", "deadline expired"},
    {ACTR_ECANCELED, "ACTR_ECANCELED", "task cancelled"},
    {ACTR_EPIPE, "ACTR_EPIPE", "end of stream"},
    {ACTR_ECLOSED, "ACTR_ECLOSED", "closed"},
    {ACTR_EPROTO, "ACTR_EPROTO", "protocol error"},
    {ACTR_EAGAIN, "ACTR_EAGAIN", "operation would block"},
    {ACTR_EREMOTE, "ACTR_EREMOTE", "remote error"},
    {ACTR_ECTXCANCEL, "ACTR_ECTXCANCEL", "remote context cancelled"},
    {ACTR_EOVERRUN, "ACTR_EOVERRUN", "stream overrun"},
    {ACTR_ENOTFOUND, "ACTR_ENOTFOUND", "not found"},
    {ACTR_ETOOBIG, "ACTR_ETOOBIG", "beyond size limit"},
    {ACTR_ETYPE, "ACTR_ETYPE", "wrong type"},
    {ACTR_ERANGE, "ACTR_ERANGE", "value out of range"},
    {ACTR_EIO, "ACTR_EIO", "input/output error"},
    {ACTR_ESTATE, "ACTR_ESTATE", "invalid state for this call"},
    {ACTR_EADDRINUSE, "ACTR_EADDRINUSE", "address in use"},
    {ACTR_ECONNREFUSED, "ACTR_ECONNREFUSED", "connection refused"},
    {ACTR_ENOTSUP, "ACTR_ENOTSUP", "not supported"},
    {ACTR_ELAGGED, "ACTR_ELAGGED", "subscriber lagged behind the stream"},
    {ACTR_EAUTH, "ACTR_EAUTH", "peer did not prove it holds the secret"},
    {ACTR_EBUSY, "ACTR_EBUSY", "limit reached"},
    {ACTR_EPERM, "ACTR_EPERM", "not allowed"},
};

static const struct errdesc *
find(int err)
{
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (errs[i].code == err)
            return &errs[i];
    return NULL;
}

const char *
actr_strerror(int err)
{
    const struct errdesc *d = find(err);
    return d ? d->text : "unknown error";
}

const char *
actr_errname(int err)
{
    const struct errdesc *d = find(err);
    return d ? d->name : NULL;
}
