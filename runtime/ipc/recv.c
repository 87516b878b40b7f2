/* An IPC channel's receive side and the Aid handshake. recv hands out
 * every complete frame already buffered before it reads the socket again,
 * reads in big chunks, and applies the Python system's policy to bad
 * input: undecodable frames are skipped (the fifth on one channel ends
 * it), badly typed messages are answered with MsgTypeError and the
 * channel stays up, an oversized frame ends it. */
#define _GNU_SOURCE
#include "ipc/channel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Socket reads in a row without parking before recv lets other tasks run:
 * a peer that floods us must not starve the loop. Counted per channel,
 * across recv calls: a flood fills the read buffer with many frames, so
 * every call returns after at most one read, and a count kept per call
 * would never reach the bound (then the message loop never yielded: the
 * hooks that flush our output, a cancel request among it, waited for the
 * flood to end). */
#define READS_BEFORE_YIELD 16

void actri_ipc_rio_cb(struct ev_loop *loop, ev_io *w, int revents);

void
actri_ipc_rio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    actr_ipc *ipc = w->data;
    ev_io_stop(loop, w);
    if (ipc->reader)
        actri_wake(ipc->reader, 0);
}

/* Parks until the socket is readable. */
static int
wait_readable(actr_ipc *ipc, int64_t deadline)
{
    ev_io_start(actri_loop(), &ipc->rio);
    ipc->reader = actri_task_self();
    int rc = actri_park(deadline);
    ipc->reader = NULL;
    if (ipc->closing)
        return actr_error_set(ACTR_ECLOSED, "ipc %s: channel closed", ipc->name);
    if (ev_is_active(&ipc->rio))
        ev_io_stop(actri_loop(), &ipc->rio);
    if (rc < 0)
        return actr_error_set(rc, rc == ACTR_ETIMEDOUT ? "ipc %s: receive deadline passed"
                              : "task cancelled", ipc->name);
    return 0;
}

/* Ends the channel from the read side, logging why. */
static int
end_read(actr_ipc *ipc, int code, const char *why)
{
    /* A reset is a peer that died, or closed with our data unread: the
     * usual end of a channel too, whoever cares learns it from the code. */
    if (code == ACTR_ECLOSED || errno == ECONNRESET)
        actr_log_runtime(IPC_TAG, "ipc %s: %s", ipc->name, why);
    else
        actr_log_warning(IPC_TAG, "ipc %s: %s; the channel is broken", ipc->name, why);
    actri_ipc_set_end(ipc, code);
    return actr_error_set(code, "ipc %s: %s", ipc->name, why);
}

/* A well-formed message the protocol refuses: answer MsgTypeError on its
 * cid, as tractor does, or drop it when it has none. */
static void
answer_msgtype(actr_ipc *ipc, const actr_wire_err *werr)
{
    if (!werr->has_cid) {
        actr_log_warning(IPC_TAG, "ipc %s: dropping an invalid message without cid: %s",
                         ipc->name, werr->what);
        return;
    }
    if (!ipc->shaken) {
        actr_log_warning(IPC_TAG, "ipc %s: dropping an invalid message before the"
                         " handshake: %s", ipc->name, werr->what);
        return;
    }
    /* A peer that sends bad messages and reads nothing must not make us
     * buffer replies without bound. */
    if (ipc->end || ipc_pending(ipc) >= ipc->hiwat) {
        actr_log_warning(IPC_TAG, "ipc %s: not answering an invalid message on cid %.*s"
                         " (output full or channel ended): %s", ipc->name,
                         (int)werr->cid.len, werr->cid.ptr, werr->what);
        return;
    }
    actr_uid self = {ipc->self.u.aid.name, ipc->self.u.aid.uuid};
    actr_msg mte;
    if (actr_msg_mte(&mte, &self, werr) < 0 || actri_ipc_queue(ipc, &mte) < 0) {
        actr_log_error(IPC_TAG, "ipc %s: cannot build the MsgTypeError reply: %s",
                       ipc->name, werr->what);
        return;
    }
    ipc->st.mte_sent++;
    actr_log_warning(IPC_TAG, "ipc %s: answered an invalid message on cid %.*s with"
                     " MsgTypeError: %s", ipc->name, (int)werr->cid.len, werr->cid.ptr,
                     werr->what);
}

/* Policy for a frame that failed to decode. Returns 0 to go on with the
 * next frame, or the channel's end code. */
static int
bad_frame(actr_ipc *ipc, int rc, const actr_frame *f, const actr_wire_err *werr)
{
    if (rc == ACTR_ETYPE) {
        answer_msgtype(ipc, werr);
        return 0;
    }
    ipc->st.frames_skipped++;
    /* tractor counts them over the channel's life, not in a row: so do we. */
    if (++ipc->bad_frames >= ACTR_IPC_MAX_BAD_FRAMES) {
        actr_log_error(IPC_TAG, "ipc %s: %u undecodable frames (last: %s);"
                       " closing the channel", ipc->name, ipc->bad_frames, werr->what);
        actri_ipc_set_end(ipc, ACTR_EPROTO);
        return actr_error_set(ACTR_EPROTO, "ipc %s: %u undecodable frames",
                              ipc->name, ipc->bad_frames);
    }
    actr_log_warning(IPC_TAG, "ipc %s: skipping an undecodable %zu-byte frame (%u of"
                     " %d allowed): %s", ipc->name, f->len, ipc->bad_frames,
                     ACTR_IPC_MAX_BAD_FRAMES - 1, werr->what);
    return 0;
}

/* The receive loop. raw: return decode failures (with *werr) instead of
 * applying the policy (the handshake judges its frame itself). */
static int
recv_frame(actr_ipc *ipc, actr_msg *out, int64_t deadline, int raw,
           actr_wire_err *werr)
{
    int rc;

    for (;;) {
        actr_frame f;
        int k = actr_frame_reader_next(&ipc->rd, &f, werr);
        if (k == 1) {
            ipc->last = f;
            ipc->st.frames_recv++;
            rc = actr_msg_decode(f.body, f.len, out, werr);
            if (rc == 0)
                return 0;
            if (raw)
                return rc;
            if ((rc = bad_frame(ipc, rc, &f, werr)) < 0)
                return rc;
            continue;
        }
        if (k < 0) {
            actr_log_error(IPC_TAG, "ipc %s: %s; closing the channel", ipc->name,
                           werr->what);
            actri_ipc_set_end(ipc, ACTR_ETOOBIG);
            return actr_error_set(ACTR_ETOOBIG, "ipc %s: %s", ipc->name, werr->what);
        }
        if (ipc->end)
            return actr_error_set(ipc->end, "ipc %s: channel ended: %s", ipc->name,
                                  actr_strerror(ipc->end));
        if (ipc->reads_in_row >= READS_BEFORE_YIELD) {
            ipc->reads_in_row = 0;
            if ((rc = actr_checkpoint()) < 0)
                return rc;
            if (ipc->closing)
                return actr_error_set(ACTR_ECLOSED, "ipc %s: channel closed", ipc->name);
            continue;
        }
        if (ipc->drained && deadline < 0) {
            /* A short read emptied the socket: a second read would only
             * say EAGAIN, so wait for readiness first. The watcher is
             * level-triggered, so what arrived meanwhile wakes us at once.
             * (With a deadline we read first: 0 means "do not block".) */
            ipc->drained = 0;
            ipc->reads_in_row = 0;
            if ((rc = wait_readable(ipc, deadline)) < 0)
                return rc;
            continue;
        }
        uint8_t *dst;
        size_t avail;
        if (actr_frame_reader_space(&ipc->rd, &dst, &avail) < 0)
            return actr_error_set(ACTR_ENOMEM, "ipc %s: out of memory for input",
                                  ipc->name);
        ssize_t n = read(ipc->fd, dst, avail);
        ipc->st.read_calls++;
        if (n > 0) {
            actr_frame_reader_commit(&ipc->rd, (size_t)n);
            ipc->st.bytes_recv += (uint64_t)n;
            ipc->drained = (size_t)n < avail;
            ipc->reads_in_row++;
            continue;
        }
        if (n == 0) {
            ipc->eof = 1;
            size_t left = actr_frame_reader_pending(&ipc->rd);
            if (left == 0 && !ipc->rd.skip)
                return end_read(ipc, ACTR_ECLOSED, "peer closed the channel");
            char why[96];
            snprintf(why, sizeof why, "end of stream inside a frame (%zu bytes pending)",
                     left);
            return end_read(ipc, ACTR_EIO, why);
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            ipc->reads_in_row = 0;
            if ((rc = wait_readable(ipc, deadline)) < 0)
                return rc;
            continue;
        }
        return end_read(ipc, ACTR_EIO, strerror(errno));
    }
}

void *
actri_ipc_take_frame(actr_ipc *ipc, const void *inside)
{
    const uint8_t *p = inside, *body = ipc->last.body;
    if (!body || p < body || p >= body + ipc->last.len)
        return NULL;
    void *own = actr_frame_reader_take(&ipc->rd, &ipc->last);
    if (own)
        ipc->last.body = NULL;
    return own;
}

/* Entry checks shared by recv and handshake; takes a reference. */
static int
enter_recv(actr_ipc *ipc, const void *out)
{
    if (!ipc || !out)
        return actr_error_set(ACTR_EINVAL, "ipc: recv without a channel or message");
    int rc = actri_ipc_enter(ipc);
    if (rc < 0)
        return rc;
    if (ipc->in_recv)
        return actr_error_set(ACTR_ESTATE, "ipc %s: another task is receiving", ipc->name);
    ipc->refs++;
    ipc->in_recv = 1;
    return 0;
}

static void
leave_recv(actr_ipc *ipc)
{
    ipc->in_recv = 0;
    actri_ipc_unref(ipc);
}

int
actr_ipc_recv(actr_ipc *ipc, actr_msg *out, int64_t deadline)
{
    int rc = enter_recv(ipc, out);
    if (rc < 0)
        return rc;
    actr_wire_err werr;
    actr_msg m;
    rc = recv_frame(ipc, &m, deadline, 0, &werr);
    if (rc == 0)
        *out = m;
    leave_recv(ipc);
    return rc;
}

/* ------------------------------------------------------------ handshake */

static int
handshake_failed(actr_ipc *ipc, int code, const char *fmt, const char *detail)
{
    char why[256];
    snprintf(why, sizeof why, fmt, detail);
    /* The caller tells (a connector's caller gets the error; an acceptor
     * logs it, rate-limited: a port scan must not flood the log). */
    actr_log_debug(IPC_TAG, "ipc %s: peer sent an invalid actor handshake: %s",
                   ipc->name, why);
    actri_ipc_set_end(ipc, code);
    return actr_error_set(code, "ipc %s: invalid actor handshake: %s", ipc->name, why);
}

int
actr_ipc_handshake(actr_ipc *ipc, const actr_msg_aid *self, int64_t deadline)
{
    if (!self)
        return actr_error_set(ACTR_EINVAL, "ipc: handshake without our Aid");
    int rc = enter_recv(ipc, self);
    if (rc < 0)
        return rc;
    if (ipc->shaken || ipc->self.type != ACTR_MSG_NONE) {
        rc = actr_error_set(ACTR_ESTATE, "ipc %s: handshake done already", ipc->name);
        goto out;
    }
    actr_msg me = {.type = ACTR_MSG_AID, .u.aid = *self};
    if ((rc = actr_msg_dup(&me, &ipc->self)) < 0) {
        rc = actr_error_set(rc, "ipc %s: cannot copy our Aid", ipc->name);
        goto out;
    }
    /* Both sides send first, then read: no ordering between them. */
    if (ipc->end) {
        rc = actr_error_set(ipc->end, "ipc %s: channel ended", ipc->name);
        goto out;
    }
    if ((rc = actri_ipc_queue(ipc, &ipc->self)) < 0)
        goto out;

    actr_msg m;
    actr_wire_err werr;
    rc = recv_frame(ipc, &m, deadline, 1, &werr);
    switch (rc) {
    case 0:
        if (m.type != ACTR_MSG_AID) {
            rc = handshake_failed(ipc, ACTR_EPROTO, "first message is %s, not Aid",
                                  actr_msg_type_name(m.type));
            goto out;
        }
        if ((rc = actr_msg_dup(&m, &ipc->peer)) < 0) {
            rc = actr_error_set(rc, "ipc %s: cannot copy the peer's Aid", ipc->name);
            goto out;
        }
        ipc->shaken = 1;
        actr_log_runtime(IPC_TAG, "ipc %s: handshake done with %.*s.%.*s%s", ipc->name,
                         (int)m.u.aid.name.len, m.u.aid.name.ptr,
                         (int)m.u.aid.uuid.len, m.u.aid.uuid.ptr,
                         actr_ipc_peer_actr(ipc) ? "" : " (not actr)");
        actri_ipc_peer_known(ipc);
        break;
    case ACTR_EPROTO:
    case ACTR_ETYPE:
        rc = handshake_failed(ipc, ACTR_EPROTO, "%s", werr.what);
        break;
    case ACTR_ETIMEDOUT:
        rc = handshake_failed(ipc, ACTR_ETIMEDOUT, "%s", "no Aid before the deadline");
        break;
    case ACTR_ECLOSED:
        if (ipc->closing)
            break;
        /* fall through */
    case ACTR_EIO:
    case ACTR_ETOOBIG:
        rc = handshake_failed(ipc, rc, "transport ended before the Aid: %s",
                              actr_strerror(rc));
        break;
    default:                            /* ACTR_ECANCELED, ACTR_ENOMEM: as is */
        break;
    }
out:
    leave_recv(ipc);
    return rc;
}
