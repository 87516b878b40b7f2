/* An IPC channel's life and its send side: frames are encoded into one
 * output buffer per channel and written with one vectored syscall per loop
 * iteration (an iteration hook), so a burst of small messages costs a few
 * syscalls; past the high-water mark senders wait, so memory stays bounded
 * when the peer does not read. */
#define _GNU_SOURCE
#include "ipc/channel.h"
#include "wire/mp.h"
#include "wire/msg_trusted.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* An output buffer larger than this is freed once it is written out. */
#define OUT_KEEP_MAX ((size_t)256 << 10)

static void flush_hook_cb(struct actri_hook *h);
static void wio_cb(struct ev_loop *loop, ev_io *w, int revents);
void actri_ipc_rio_cb(struct ev_loop *loop, ev_io *w, int revents);

int
actri_ipc_new(int fd, const actr_ipc_opts *opts, const actr_addr *remote,
              actr_ipc **out)
{
    actr_ipc *ipc = calloc(1, sizeof *ipc);
    if (!ipc)
        return actr_error_set(ACTR_ENOMEM, "ipc: out of memory for a channel");
    ipc->fd = fd;
    ipc->refs = 1;
    ipc->max_frame = opts && opts->max_frame ? opts->max_frame : ACTR_FRAME_MAX_DEFAULT;
    ipc->hiwat = opts && opts->hiwat ? opts->hiwat : ACTR_IPC_HIWAT_DEFAULT;
    ipc->lowat = ipc->hiwat / 2;
    if (opts) {
        ipc->insecure = opts->insecure;
        ipc->admit = opts->admit;
        ipc->admit_arg = opts->admit_arg;
    }
    if (remote) {
        ipc->remote = *remote;
        if (actr_addr_format(remote, ipc->name, sizeof ipc->name) < 0)
            strcpy(ipc->name, "?");
    } else {
        strcpy(ipc->name, "?");
    }
    actr_frame_reader_init(&ipc->rd, ipc->max_frame);
    ev_io_init(&ipc->rio, actri_ipc_rio_cb, fd, EV_READ);
    ipc->rio.data = ipc;
    ev_io_init(&ipc->wio, wio_cb, fd, EV_WRITE);
    ipc->wio.data = ipc;
    actri_hook_init(&ipc->flush_hook, flush_hook_cb);
    *out = ipc;
    return 0;
}

int
actri_ipc_enter(actr_ipc *ipc)
{
    if (!actri_task_self())
        return actr_error_set(ACTR_ESTATE, "ipc: blocking call outside a task");
    if (ipc->closing)
        return actr_error_set(ACTR_ECLOSED, "ipc %s: channel closed", ipc->name);
    if (actri_cancelled())
        return actr_error_set(ACTR_ECANCELED, "task cancelled");
    return 0;
}

void
actri_ipc_unref(actr_ipc *ipc)
{
    if (--ipc->refs == 0)
        free(ipc);
}

/* ------------------------------------------------------------ waiting */

static void
wake_waiters(actr_ipc *ipc, int rc)
{
    struct ipc_waiter *w = ipc->waiters;
    ipc->waiters = NULL;
    while (w) {
        struct ipc_waiter *next = w->next;
        w->linked = 0;
        w->next = w->prev = NULL;
        actri_wake(w->task, rc);
        w = next;
    }
}

/* Parks the current task until the send side makes progress. Returns the
 * park result; ACTR_ECLOSED when close began meanwhile. */
static int
wait_send_side(actr_ipc *ipc, int64_t deadline)
{
    struct ipc_waiter w = {ipc->waiters, NULL, actri_task_self(), 1};
    if (ipc->waiters)
        ipc->waiters->prev = &w;
    ipc->waiters = &w;
    int rc = actri_park(deadline);
    if (w.linked) {
        if (w.prev)
            w.prev->next = w.next;
        else
            ipc->waiters = w.next;
        if (w.next)
            w.next->prev = w.prev;
    }
    if (ipc->closing)
        return actr_error_set(ACTR_ECLOSED, "ipc %s: channel closed", ipc->name);
    if (rc < 0)
        return actr_error_set(rc, rc == ACTR_ETIMEDOUT ? "ipc %s: send deadline passed"
                              : "task cancelled", ipc->name);
    return 0;
}

void
actri_ipc_set_end(actr_ipc *ipc, int code)
{
    if (!ipc->end)
        ipc->end = code;
    if (ipc->reader)
        actri_wake(ipc->reader, 0);
    wake_waiters(ipc, 0);
}

/* ------------------------------------------------------------ writing */

/* Forgets every segment (their bytes are written, or will never be). */
static void
drop_segs(actr_ipc *ipc)
{
    for (unsigned i = 0; i < ipc->nsegs; i++)
        free(ipc->segs[i].owned);
    ipc->nsegs = 0;
    ipc->seg_pending = 0;
}

/* Drops unwritable output after a write error. */
static void
drop_output(actr_ipc *ipc)
{
    ipc->wfailed = 1;
    ipc->out.len = ipc->out_off = 0;
    if (ipc->crypt)
        ipc->crypt->plain.len = 0;
    drop_segs(ipc);
    actri_hook_cancel(&ipc->flush_hook);
    if (ev_is_active(&ipc->wio))
        ev_io_stop(actri_loop(), &ipc->wio);
}

/* The body length of the frame at off (our own output: well formed). */
static size_t
frame_len_at(const actr_ipc *ipc, size_t off)
{
    const uint8_t *p = ipc->out.ptr + off;
    return (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
}

/* The start of the frame that holds the first unwritten byte (out_off
 * itself when no frame is partly written). */
static size_t
frame_floor(const actr_ipc *ipc)
{
    size_t off = 0;
    for (;;) {
        size_t next = off + 4 + frame_len_at(ipc, off);
        if (next > ipc->out_off)
            return off;
        off = next;
    }
}

/* The output in order: the buffer from out_off, each segment's bytes
 * before the buffer's byte at its `at`. Returns the iovec count. */
static int
output_iov(const actr_ipc *ipc, struct iovec *iov, size_t *total)
{
    int cnt = 0;
    size_t pos = ipc->out_off;
    *total = ipc_pending(ipc);
    for (unsigned i = 0; i < ipc->nsegs; i++) {
        const struct ipc_seg *g = &ipc->segs[i];
        if (g->at > pos) {
            iov[cnt++] = (struct iovec){ipc->out.ptr + pos, g->at - pos};
            pos = g->at;
        }
        iov[cnt++] = (struct iovec){(void *)(g->ptr + g->done), g->len - g->done};
    }
    if (ipc->out.len > pos)
        iov[cnt++] = (struct iovec){ipc->out.ptr + pos, ipc->out.len - pos};
    return cnt;
}

/* Counts n written bytes off the output (output_iov's order); segments
 * written in full go, their copies freed. */
static void
output_advance(actr_ipc *ipc, size_t n)
{
    unsigned gone = 0;
    for (unsigned i = 0; i < ipc->nsegs && n > 0; i++) {
        struct ipc_seg *g = &ipc->segs[i];
        if (g->at > ipc->out_off) {
            size_t k = g->at - ipc->out_off < n ? g->at - ipc->out_off : n;
            ipc->out_off += k;
            n -= k;
        }
        size_t k = g->len - g->done < n ? g->len - g->done : n;
        g->done += k;
        ipc->seg_pending -= k;
        n -= k;
        if (g->done < g->len)
            break;
        free(g->owned);
        gone++;
    }
    if (gone) {
        memmove(ipc->segs, ipc->segs + gone, (ipc->nsegs - gone) * sizeof ipc->segs[0]);
        ipc->nsegs -= gone;
    }
    ipc->out_off += n;
}

/* Writes what the socket takes now. Returns 0 when the buffer is empty,
 * 1 when the socket is full (more to write later), or the end code. */
static int
write_some(actr_ipc *ipc)
{
    if (ipc->wfailed || ipc->fd < 0)
        return ipc->end ? ipc->end : ACTR_ECLOSED;
    if (ipc->crypt && ipc->crypt->plain.len && actri_ipc_seal(ipc) < 0) {
        drop_output(ipc);
        actri_ipc_set_end(ipc, ACTR_ENOMEM);
        return ipc->end;
    }
    while (ipc_pending(ipc) > 0) {
        struct iovec iov[2 * IPC_SEGS_MAX + 1];
        size_t total;
        int cnt = output_iov(ipc, iov, &total);
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
        ssize_t n = sendmsg(ipc->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        ipc->st.write_calls++;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 1;
            int e = errno;
            /* A peer that went away is the usual end of a channel. */
            actr_log(e == EPIPE || e == ECONNRESET ? ACTR_LOG_RUNTIME : ACTR_LOG_WARNING,
                     IPC_TAG, "ipc %s: write failed: %s; the channel is broken", ipc->name,
                     strerror(e));
            drop_output(ipc);
            actri_ipc_set_end(ipc, ACTR_EIO);
            return ipc->end;
        }
        ipc->st.bytes_sent += (uint64_t)n;
        output_advance(ipc, (size_t)n);
        if ((size_t)n < total)
            break;                      /* the socket is full: wait for it */
    }
    if (ipc_pending(ipc) == 0) {
        ipc->out.len = ipc->out_off = 0;
        /* A burst or a big frame grew it: give it back once written. */
        if (ipc->out.cap > OUT_KEEP_MAX)
            actr_wbuf_destroy(&ipc->out);
        if (ipc->crypt && ipc->crypt->plain.cap > OUT_KEEP_MAX)
            actr_wbuf_destroy(&ipc->crypt->plain);
        return 0;
    }
    /* Keep the unwritten tail at the front once it is the smaller part,
     * from the start of the frame being written: the buffer always
     * starts at a frame boundary (actri_ipc_unqueue walks it; encrypted,
     * it holds records and is not walked). Not while segments are out: a
     * frame with one is not all in the buffer. */
    if (ipc->nsegs == 0 && ipc->out_off >= ipc->out.cap / 2) {
        size_t start = ipc->crypt ? ipc->out_off : frame_floor(ipc);
        actr_wbuf_consume(&ipc->out, start);
        ipc->out_off -= start;
    }
    return 1;
}

/* Writes, arms the writable watcher when the socket is full, and wakes
 * the senders once the buffer is below the low-water mark. */
static void
flush_now(actr_ipc *ipc)
{
    int rc = write_some(ipc);
    if (rc == 1 && !ev_is_active(&ipc->wio))
        ev_io_start(actri_loop(), &ipc->wio);
    if (rc <= 0 || ipc_pending(ipc) <= ipc->lowat)
        wake_waiters(ipc, 0);
}

static void
flush_hook_cb(struct actri_hook *h)
{
    actr_ipc *ipc = (actr_ipc *)((char *)h - offsetof(actr_ipc, flush_hook));
    /* While the writable watcher is armed, it resumes the flush. */
    if (!ev_is_active(&ipc->wio))
        flush_now(ipc);
}

static void
wio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    actr_ipc *ipc = w->data;
    ev_io_stop(loop, w);
    flush_now(ipc);
}

/* A frame joined the output: counts it, flushes at the iteration's end. */
static void
queued(actr_ipc *ipc)
{
    ipc->st.frames_sent++;
    if (ipc_pending(ipc) > ipc->st.out_peak)
        ipc->st.out_peak = ipc_pending(ipc);
    actri_hook_request(&ipc->flush_hook);
}

static int
queue(actr_ipc *ipc, const actr_msg *m, int trusted)
{
    actr_wbuf *to = ipc->crypt ? &ipc->crypt->plain : &ipc->out;
    size_t len0 = to->len;
    int n = trusted ? actri_msg_encode_trusted(m, to) : actr_msg_encode(m, to);
    if (n < 0)
        return actr_error_set(n, "ipc %s: cannot encode a %s message: %s", ipc->name,
                              actr_msg_type_name(m->type) ? actr_msg_type_name(m->type)
                              : "?", actr_strerror(n));
    if ((size_t)n - 4 > ipc->max_frame) {
        to->len = len0;
        return actr_error_set(ACTR_ETOOBIG, "ipc %s: a %d-byte %s frame is over the"
                              " %zu-byte limit", ipc->name, n - 4,
                              actr_msg_type_name(m->type), ipc->max_frame);
    }
    queued(ipc);
    return 0;
}

int
actri_ipc_queue(actr_ipc *ipc, const actr_msg *m)
{
    return queue(ipc, m, 0);
}

/* Waits until the output is under the high-water mark and has room for
 * nsegs more segments. 0, the channel's end code, or the wait's error. */
static int
wait_room(actr_ipc *ipc, size_t nsegs, int64_t deadline)
{
    for (;;) {
        if (ipc->end)
            return actr_error_set(ipc->end, "ipc %s: channel ended: %s", ipc->name,
                                  actr_strerror(ipc->end));
        if (ipc_pending(ipc) < ipc->hiwat && ipc->nsegs + nsegs <= IPC_SEGS_MAX)
            return 0;
        ipc->st.send_blocked++;
        int rc = wait_send_side(ipc, deadline);
        if (rc < 0)
            return rc;
    }
}

static int
send_msg(actr_ipc *ipc, const actr_msg *m, int64_t deadline, int trusted)
{
    if (!ipc || !m)
        return actr_error_set(ACTR_EINVAL, "ipc: send without a channel or message");
    int rc = actri_ipc_enter(ipc);
    if (rc < 0)
        return rc;
    ipc->refs++;
    if ((rc = wait_room(ipc, 0, deadline)) == 0)
        rc = queue(ipc, m, trusted);
    actri_ipc_unref(ipc);
    return rc;
}

int
actr_ipc_send(actr_ipc *ipc, const actr_msg *m, int64_t deadline)
{
    return send_msg(ipc, m, deadline, 0);
}

int
actri_ipc_send_trusted(actr_ipc *ipc, const actr_msg *m, int64_t deadline)
{
    return send_msg(ipc, m, deadline, 1);
}

/* What is left of the segments the current task lends is copied: its
 * send ends before they are written. 0, or ACTR_ENOMEM (the channel is
 * then broken: its output can no longer be what was sent). */
static int
spill_own(actr_ipc *ipc)
{
    struct actri_task *self = actri_task_self();
    for (unsigned i = 0; i < ipc->nsegs; i++) {
        struct ipc_seg *g = &ipc->segs[i];
        if (g->owned || g->task != self)
            continue;
        size_t left = g->len - g->done;
        void *copy = malloc(left);
        if (!copy) {
            actr_log_error(IPC_TAG, "ipc %s: out of memory for %zu bytes of output;"
                           " the channel is broken", ipc->name, left);
            drop_output(ipc);
            actri_ipc_set_end(ipc, ACTR_ENOMEM);
            return ACTR_ENOMEM;
        }
        memcpy(copy, g->ptr + g->done, left);
        g->owned = copy;
        g->ptr = copy;
        g->len = left;
        g->done = 0;
        g->task = NULL;
    }
    return 0;
}

/* 1 while the current task lends bytes to the output. */
static int
lends(const actr_ipc *ipc)
{
    struct actri_task *self = actri_task_self();
    for (unsigned i = 0; i < ipc->nsegs; i++)
        if (!ipc->segs[i].owned && ipc->segs[i].task == self)
            return 1;
    return 0;
}

/* The lent field being put into the output (queue_gather). */
struct lend_put {
    actr_ipc *ipc;
    const uint8_t *bytes;
    size_t nbytes;
    const struct ipc_ref *refs;
    size_t nrefs;
};

/* actri_lend.put: the field's bytes into the buffer, its refs as
 * segments at their places. */
static int
lend_put(void *arg, actr_wbuf *out, size_t *lent)
{
    struct lend_put *lp = arg;
    actr_ipc *ipc = lp->ipc;
    size_t pos = 0;
    for (size_t i = 0; i <= lp->nrefs; i++) {
        size_t upto = i < lp->nrefs ? lp->refs[i].at : lp->nbytes;
        if (upto > pos && mp_put_raw(out, lp->bytes + pos, upto - pos) < 0)
            return ACTR_ENOMEM;
        pos = upto;
        if (i < lp->nrefs && ipc->crypt) {
            /* Sealed records hold whole plaintext: the bytes are copied. */
            if (mp_put_raw(out, lp->refs[i].ptr, lp->refs[i].len) < 0)
                return ACTR_ENOMEM;
        } else if (i < lp->nrefs) {
            ipc->segs[ipc->nsegs++] = (struct ipc_seg){out->len, lp->refs[i].ptr,
                                                       lp->refs[i].len, 0, NULL,
                                                       actri_task_self()};
            ipc->seg_pending += lp->refs[i].len;
            *lent += lp->refs[i].len;
        }
    }
    return 0;
}

/* Appends the frame of m, its field `field` made of bytes with refs among
 * them. */
static int
queue_gather(actr_ipc *ipc, const actr_msg *m, const actr_any *field, const uint8_t *bytes,
             size_t nbytes, const struct ipc_ref *refs, size_t nrefs)
{
    unsigned nsegs0 = ipc->nsegs;
    size_t pending0 = ipc->seg_pending;
    struct lend_put lp = {ipc, bytes, nbytes, refs, nrefs};
    struct actri_lend ln = {field, lend_put, &lp};
    actr_wbuf *to = ipc->crypt ? &ipc->crypt->plain : &ipc->out;
    int n = actri_msg_encode_lent(m, &ln, to);
    if (n >= 0 && (size_t)n - 4 > ipc->max_frame) {
        to->len -= (size_t)n - (ipc->seg_pending - pending0);
        n = ACTR_ETOOBIG;
    }
    if (n < 0) {
        ipc->nsegs = nsegs0;                /* the buffer is as it was */
        ipc->seg_pending = pending0;
        return actr_error_set(n, "ipc %s: cannot queue a %s message: %s", ipc->name,
                              actr_msg_type_name(m->type), actr_strerror(n));
    }
    queued(ipc);
    return 0;
}

int
actri_ipc_send_gather(actr_ipc *ipc, const actr_msg *m, const actr_any *field,
                      const uint8_t *bytes, size_t nbytes, const struct ipc_ref *refs,
                      size_t nrefs, int64_t deadline)
{
    if (!ipc || !m || !field || nrefs > IPC_SEGS_MAX)
        return actr_error_set(ACTR_EINVAL, "ipc: gather send without a channel or message");
    int rc = actri_ipc_enter(ipc);
    if (rc < 0)
        return rc;
    ipc->refs++;
    if ((rc = wait_room(ipc, nrefs, deadline)) == 0)
        rc = queue_gather(ipc, m, field, bytes, nbytes, refs, nrefs);
    /* The caller's bytes must be out (or copied) before it gets them back:
     * write now, and wait for the socket while they are not all taken. */
    while (rc == 0 && lends(ipc)) {
        if (!ev_is_active(&ipc->wio))
            flush_now(ipc);
        if (!lends(ipc))
            break;
        /* Cancelled, timed out or closing (close may still be writing
         * them): our bytes are copied before the caller has them back, and
         * the message goes as any queued one (0); the caller's next
         * blocking call reports the cancel, the deadline or the close. */
        if (wait_send_side(ipc, deadline) < 0) {
            rc = spill_own(ipc);
            break;
        }
    }
    actri_ipc_unref(ipc);
    return rc;
}

size_t
actri_ipc_unqueue(actr_ipc *ipc, actr_msg_type type, const char *cid, size_t cidlen)
{
    if (!ipc || ipc->wfailed || ipc_pending(ipc) == 0 || ipc->nsegs || ipc->crypt)
        return 0;
    /* Frames wholly or partly written stay; every later one of that type
     * and cid goes, the rest close up behind the kept ones. */
    size_t off = frame_floor(ipc), dst, dropped = 0;
    if (off < ipc->out_off)
        off += 4 + frame_len_at(ipc, off);
    dst = off;
    while (off < ipc->out.len) {
        size_t len = 4 + frame_len_at(ipc, off);
        actr_msg m;
        actr_str c;
        if (actr_msg_decode(ipc->out.ptr + off + 4, len - 4, &m, NULL) == 0 &&
            m.type == type && actr_msg_cid(&m, &c) && c.len == cidlen &&
            memcmp(c.ptr, cid, cidlen) == 0) {
            dropped++;
        } else {
            if (dst != off)
                memmove(ipc->out.ptr + dst, ipc->out.ptr + off, len);
            dst += len;
        }
        off += len;
    }
    ipc->out.len = dst;
    if (dropped)
        actr_log_runtime(IPC_TAG, "ipc %s: %zu queued %s frame(s) of cid %.*s dropped",
                         ipc->name, dropped, actr_msg_type_name(type), (int)cidlen, cid);
    if (ipc_pending(ipc) <= ipc->lowat)
        wake_waiters(ipc, 0);
    return dropped;
}

int
actr_ipc_flush(actr_ipc *ipc, int64_t deadline)
{
    if (!ipc)
        return actr_error_set(ACTR_EINVAL, "ipc: flush without a channel");
    int rc = actri_ipc_enter(ipc);
    if (rc < 0)
        return rc;
    ipc->refs++;
    for (;;) {
        if (ipc_pending(ipc) == 0 && !ipc->wfailed) {
            rc = 0;
            break;
        }
        if (ipc->wfailed) {
            rc = actr_error_set(ipc->end, "ipc %s: output lost: %s", ipc->name,
                                actr_strerror(ipc->end));
            break;
        }
        if (!ev_is_active(&ipc->wio))
            flush_now(ipc);
        if (ipc_pending(ipc) == 0)
            continue;
        if ((rc = wait_send_side(ipc, deadline)) < 0)
            break;
    }
    actri_ipc_unref(ipc);
    return rc;
}

int
actr_ipc_status(const actr_ipc *ipc)
{
    if (!ipc)
        return ACTR_EINVAL;
    if (ipc->closing)
        return ACTR_ECLOSED;
    return ipc->end;
}

/* ------------------------------------------------------------ close */

/* Writes the rest of the output until deadline, in the closing task. */
static int
final_flush(actr_ipc *ipc, int64_t deadline)
{
    for (;;) {
        int rc = write_some(ipc);
        if (rc <= 0)
            return rc;
        rc = actr_fd_wait(ipc->fd, ACTR_WRITE, deadline);
        if (rc < 0)
            return actr_error_set(rc, "ipc %s: %zu bytes of output not written at close: %s",
                                  ipc->name, ipc_pending(ipc), actr_strerror(rc));
    }
}

/* The graceful close: our write side is shut (the peer reads EOF after
 * our last frame), then whatever the peer still sends is read and
 * dropped until its own EOF, so that closing the socket sends no reset.
 * A reset would reach a peer still writing as a broken transport: a
 * tractor actor answering a flood with StreamOverrun errors dies of it
 * (issue 16). Bounded by deadline (0, or outside a task: only what
 * already arrived); a peer that keeps sending past it gets its reset. */
static void
drain_input(actr_ipc *ipc, int64_t deadline)
{
    if (ipc->wfailed || (ipc->end && ipc->end != ACTR_ECLOSED))
        return;                          /* broken already: nothing to save */
    if (!ipc->eof && shutdown(ipc->fd, SHUT_WR) < 0)
        return;
    uint8_t scratch[16384];
    int64_t t0 = actr_now();
    size_t dropped = 0;
    while (!ipc->eof) {
        ssize_t n = read(ipc->fd, scratch, sizeof scratch);
        if (n > 0) {
            dropped += (size_t)n;
            continue;
        }
        if (n == 0) {
            ipc->eof = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || !actri_task_self() ||
            actr_fd_wait(ipc->fd, ACTR_READ, deadline) < 0)
            break;
    }
    actr_log(dropped || !ipc->eof ? ACTR_LOG_RUNTIME : ACTR_LOG_DEBUG, IPC_TAG,
             "ipc %s: close drained %zu bytes in %lld ms (%s)", ipc->name, dropped,
             (long long)(actr_now() - t0), ipc->eof ? "peer closed too" : "gave up waiting");
}

int
actr_ipc_close(actr_ipc *ipc, int64_t deadline)
{
    if (!ipc)
        return 0;
    if (ipc->closing)
        return actr_error_set(ACTR_ESTATE, "ipc %s: closed twice", ipc->name);
    struct ev_loop *loop = actri_loop();
    ipc->closing = 1;
    if (ipc->reader)
        actri_wake(ipc->reader, ACTR_ECLOSED);
    wake_waiters(ipc, ACTR_ECLOSED);
    if (loop) {
        if (ev_is_active(&ipc->rio))
            ev_io_stop(loop, &ipc->rio);
        if (ev_is_active(&ipc->wio))
            ev_io_stop(loop, &ipc->wio);
    }
    actri_hook_cancel(&ipc->flush_hook);

    int rc = 0;
    if (ipc_pending(ipc) > 0 && !ipc->wfailed)
        rc = final_flush(ipc, actri_task_self() ? deadline : 0);
    else if (ipc->wfailed)
        rc = ipc->end;
    actr_log_debug(IPC_TAG, "ipc %s: closed (sent %llu frames, received %llu)",
                   ipc->name, (unsigned long long)ipc->st.frames_sent,
                   (unsigned long long)ipc->st.frames_recv);
    if (ipc->fd >= 0) {
        drain_input(ipc, rc == 0 && actri_task_self() ? deadline : 0);
        close(ipc->fd);
        ipc->fd = -1;
    }
    actr_frame_reader_destroy(&ipc->rd);
    (void)actri_ipc_input_account(ipc);
    actri_ipc_crypt_free(ipc);
    drop_segs(ipc);
    actr_wbuf_destroy(&ipc->out);
    ipc->out_off = 0;
    actr_msg_free(&ipc->self);
    actr_msg_free(&ipc->peer);
    actri_ipc_unref(ipc);
    return rc;
}

int
actri_ipc_take_fd(actr_ipc *ipc, int64_t deadline)
{
    /* What we queued (our Aid, say) goes out first. */
    if (ipc_pending(ipc) > 0 && !ipc->wfailed &&
        final_flush(ipc, actri_task_self() ? deadline : 0) < 0) {
        (void)actr_ipc_close(ipc, 0);
        return -1;
    }
    int fd = ipc->fd;
    if (ipc->rio.fd == fd && ev_is_active(&ipc->rio))
        ev_io_stop(actri_loop(), &ipc->rio);
    if (ipc->wio.fd == fd && ev_is_active(&ipc->wio))
        ev_io_stop(actri_loop(), &ipc->wio);
    ipc->fd = -1;
    (void)actr_ipc_close(ipc, 0);
    return fd;
}

/* ------------------------------------------------------------ accessors */

int
actr_ipc_peer_authenticated(const actr_ipc *ipc)
{
    return ipc && ipc->shaken && ipc->authed;
}

const actr_msg_aid *
actr_ipc_peer(const actr_ipc *ipc)
{
    return ipc && ipc->shaken ? &ipc->peer.u.aid : NULL;
}

int
actr_ipc_peer_uid(const actr_ipc *ipc, actr_uid *out)
{
    if (!ipc || !out)
        return ACTR_EINVAL;
    if (!ipc->shaken)
        return actr_error_set(ACTR_ESTATE, "ipc %s: no handshake yet", ipc->name);
    out->name = ipc->peer.u.aid.name;
    out->uuid = ipc->peer.u.aid.uuid;
    return 0;
}

void
actr_ipc_remote_addr(const actr_ipc *ipc, actr_addr *out)
{
    *out = ipc->remote;
}

void
actr_ipc_stats_get(const actr_ipc *ipc, actr_ipc_stats *out)
{
    *out = ipc->st;
    out->out_pending = ipc_pending(ipc);
}
