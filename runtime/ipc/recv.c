/* An IPC channel's receive side and the Aid handshake. recv hands out
 * every complete frame already buffered before it reads the socket again,
 * reads in big chunks, and applies the Python system's policy to bad
 * input: undecodable frames are skipped (the fifth on one channel ends
 * it), badly typed messages are answered with MsgTypeError and the
 * channel stays up, an oversized frame ends it. */
#define _GNU_SOURCE
#include "ipc/auth.h"
#include "ipc/channel.h"

#include <actr/env.h>

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

static size_t input_total;

int
actri_ipc_input_account(actr_ipc *ipc)
{
    static size_t budget;
    if (!budget)
        budget = actr_env_count(ACTR_ENV_MAX_INPUT, IPC_INPUT_BUDGET_DEFAULT);
    size_t now = ipc->fd >= 0 && ipc->rd.cap > IPC_INPUT_SMALL ? ipc->rd.cap : 0;
    size_t before = ipc->rd_counted;
    input_total = input_total - before + now;
    ipc->rd_counted = now;
    return now > before && input_total > budget ? ACTR_ETOOBIG : 0;
}

/* Ends the channel whose read buffer went over the input budget. */
static int
over_budget(actr_ipc *ipc)
{
    static int64_t last;
    int64_t t = actr_now();
    int lvl = last && t - last < 10000 ? ACTR_LOG_DEBUG : ACTR_LOG_WARNING;
    if (lvl == ACTR_LOG_WARNING)
        last = t;
    actr_log(lvl, IPC_TAG, "ipc %s: partial frames of all channels are over the input"
             " budget (ACTR_MAX_INPUT); closing this one", ipc->name);
    actr_frame_reader_destroy(&ipc->rd);
    (void)actri_ipc_input_account(ipc);
    actri_ipc_set_end(ipc, ACTR_ETOOBIG);
    return actr_error_set(ACTR_ETOOBIG, "ipc %s: input budget exceeded", ipc->name);
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
        (void)actri_ipc_input_account(ipc);        /* it may have shrunk */
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
        ssize_t n;
        if (ipc->crypt) {
            /* S28 encryption: records opened into the frame reader. */
            n = actri_ipc_crypt_fill(ipc);
            if (n == ACTR_EPROTO)
                return end_read(ipc, ACTR_EPROTO, "a record that does not decrypt (tampered"
                                " with, or not our key)");
            if (n > 0 && actri_ipc_input_account(ipc) < 0)
                return over_budget(ipc);
            if (n > 0)
                continue;
        } else {
            uint8_t *dst;
            size_t avail;
            if (actr_frame_reader_space(&ipc->rd, &dst, &avail) < 0)
                return actr_error_set(ACTR_ENOMEM, "ipc %s: out of memory for input",
                                      ipc->name);
            if (actri_ipc_input_account(ipc) < 0)
                return over_budget(ipc);
            n = read(ipc->fd, dst, avail);
            ipc->st.read_calls++;
            if (n > 0) {
                actr_frame_reader_commit(&ipc->rd, (size_t)n);
                ipc->st.bytes_recv += (uint64_t)n;
                ipc->drained = (size_t)n < avail;
                ipc->reads_in_row++;
                continue;
            }
        }
        if (n == 0) {
            ipc->eof = 1;
            size_t left = actr_frame_reader_pending(&ipc->rd) +
                          (ipc->crypt ? ipc->crypt->cin.len - ipc->crypt->cin_off : 0);
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
    actr_log_debug(IPC_TAG, "ipc %s: handshake failed: %s", ipc->name, why);
    actri_ipc_set_end(ipc, code);
    if (code == ACTR_EAUTH)
        return actr_error_set(code, "ipc %s: authentication failed: %s", ipc->name, why);
    return actr_error_set(code, "ipc %s: invalid actor handshake: %s", ipc->name, why);
}

/* The next handshake frame into *m (borrowing the read buffer); failures
 * end the channel with their reason. */
static int
hs_recv(actr_ipc *ipc, actr_msg *m, int64_t deadline, const char *waiting_for)
{
    actr_wire_err werr;
    int rc = recv_frame(ipc, m, deadline, 1, &werr);
    switch (rc) {
    case 0:
        return 0;
    case ACTR_EPROTO:
    case ACTR_ETYPE:
        return handshake_failed(ipc, ACTR_EPROTO, "%s", werr.what);
    case ACTR_ETIMEDOUT:
        return handshake_failed(ipc, ACTR_ETIMEDOUT, "no %s before the deadline", waiting_for);
    case ACTR_ECLOSED:
        if (ipc->closing)
            return rc;
        /* fall through */
    case ACTR_EIO:
        /* A peer that leaves at our challenge may not hold our secret, or
         * just gave up (its deadline): a close, not worth a warning. */
        if (ipc->acceptor && strcmp(waiting_for, "proof") == 0)
            return handshake_failed(ipc, rc, "%s", "the peer left at our challenge (another"
                                    " secret, or it gave up)");
        /* fall through */
    case ACTR_ETOOBIG: {
        char why[160];
        snprintf(why, sizeof why, "transport ended before the %s (%s)%s", waiting_for,
                 actr_strerror(rc), ipc->acceptor ? ""
                 : ": the peer refused us (another secret? too many connections?)");
        return handshake_failed(ipc, rc, "%s", why);
    }
    default:                            /* ACTR_ECANCELED, ACTR_ENOMEM: as is */
        return rc;
    }
}

/* Keeps the peer's Aid m (which borrows the read buffer). */
static int
keep_peer(actr_ipc *ipc, const actr_msg *m)
{
    int rc = actr_msg_dup(m, &ipc->peer);
    if (rc < 0)
        return actr_error_set(rc, "ipc %s: cannot copy the peer's Aid", ipc->name);
    return 0;
}

/* Starts encryption with the stream keys of the key exchange. */
static int
start_crypt(actr_ipc *ipc, enum auth_role role, const uint8_t *pk, const uint8_t *sk,
            const uint8_t *peer_pk)
{
    uint8_t tx[32], rx[32];
    int rc = actri_auth_session(tx, rx, role, pk, sk, peer_pk);
    if (rc < 0)
        return handshake_failed(ipc, ACTR_EPROTO, "%s", "a bad key-exchange key");
    rc = actri_ipc_crypt_start(ipc, tx, rx);
    sodium_memzero(tx, sizeof tx);
    sodium_memzero(rx, sizeof rx);
    return rc;
}

/* The connector's side: Aid with a challenge (and a key-exchange key when
 * the link is to be encrypted), the acceptor's proof and challenge, our
 * proof, the acceptor's Aid. */
static int
shake_connector(actr_ipc *ipc, int64_t deadline)
{
    uint8_t nc[AUTH_NONCE_LEN], ns[AUTH_NONCE_LEN], proof[AUTH_PROOF_LEN];
    uint8_t bin_c[AUTH_BIN_LEN], bin_p[AUTH_BIN_LEN], bin_k[AUTH_BIN_LEN];
    uint8_t pk[AUTH_NONCE_LEN], sk[AUTH_NONCE_LEN], peer_pk[AUTH_NONCE_LEN];
    int crypt = !ipc->plain && actri_auth_want_encrypt(&ipc->remote);
    actri_auth_random(nc, sizeof nc);
    actr_msg me = ipc->self;
    me.u.aid.auth = actri_auth_bin(bin_c, nc);
    if (crypt) {
        actri_auth_kx_keypair(pk, sk);
        me.u.aid.kx = actri_auth_bin(bin_k, pk);
    }
    int rc = actri_ipc_queue(ipc, &me);
    if (rc < 0)
        goto out;
    actr_msg m;
    if ((rc = hs_recv(ipc, &m, deadline, "answer to our Aid")) < 0)
        goto out;
    struct auth_transcript t = {nc, ns, &ipc->self.u.aid.name, &ipc->self.u.aid.uuid,
                                crypt ? pk : NULL, NULL};
    if (m.type == ACTR_MSG_AUTH) {
        if (actri_auth_unbin(&m.u.auth.nonce, ns, sizeof ns) < 0 ||
            actri_auth_unbin(&m.u.auth.proof, proof, sizeof proof) < 0) {
            rc = handshake_failed(ipc, ACTR_EPROTO, "%s", "malformed ActrAuth challenge");
            goto out;
        }
        if (m.u.auth.kx.len && actri_auth_unbin(&m.u.auth.kx, peer_pk, sizeof peer_pk) == 0)
            t.kx_s = peer_pk;
        if (!actri_auth_check(proof, AUTH_ACCEPTOR, &t)) {
            rc = handshake_failed(ipc, ACTR_EAUTH, "%s", "the peer does not hold our secret");
            goto out;
        }
        if (crypt && !t.kx_s) {
            rc = handshake_failed(ipc, ACTR_EAUTH, "%s", "the peer would not encrypt a link"
                                  " that leaves the host (ACTR_ENCRYPT)");
            goto out;
        }
        actri_auth_proof(proof, AUTH_CONNECTOR, &t);
        actr_msg a = {.type = ACTR_MSG_AUTH};
        a.u.auth.proof = actri_auth_bin(bin_p, proof);
        if ((rc = actri_ipc_queue(ipc, &a)) < 0)
            goto out;
        if ((rc = hs_recv(ipc, &m, deadline, "Aid")) < 0)
            goto out;
        if (m.type != ACTR_MSG_AID) {
            rc = handshake_failed(ipc, ACTR_EPROTO, "got %s, not Aid, after the proofs",
                                  actr_msg_type_name(m.type));
            goto out;
        }
        ipc->authed = 1;
    } else if (m.type == ACTR_MSG_AID) {
        if (!ipc->insecure) {
            rc = handshake_failed(ipc, ACTR_EAUTH, "%s", "the peer answered without proving"
                                  " the secret (a tractor actor? that takes the insecure"
                                  " opt-in)");
            goto out;
        }
        crypt = 0;
    } else {
        rc = handshake_failed(ipc, ACTR_EPROTO, "first message is %s, not Aid",
                              actr_msg_type_name(m.type));
        goto out;
    }
    if ((rc = keep_peer(ipc, &m)) == 0 && crypt)
        rc = start_crypt(ipc, AUTH_CONNECTOR, pk, sk, peer_pk);
out:
    sodium_memzero(sk, sizeof sk);
    return rc;
}

/* The acceptor's side: nothing is sent before the peer's Aid, and our
 * own Aid only once the peer proved the secret (or is let in). */
static int
shake_acceptor(actr_ipc *ipc, int64_t deadline)
{
    actr_msg m;
    int rc = hs_recv(ipc, &m, deadline, "Aid");
    if (rc < 0)
        return rc;
    if (m.type != ACTR_MSG_AID)
        return handshake_failed(ipc, ACTR_EPROTO, "first message is %s, not Aid",
                                actr_msg_type_name(m.type));
    if (m.u.aid.auth.len == 0) {
        if (!ipc->insecure && !(ipc->admit && ipc->admit(&m.u.aid, ipc->admit_arg)))
            return handshake_failed(ipc, ACTR_EAUTH, "%s", "the peer did not authenticate"
                                    " (a tractor actor? that takes the insecure opt-in)");
        if ((rc = keep_peer(ipc, &m)) < 0)
            return rc;
        return actri_ipc_queue(ipc, &ipc->self);
    }
    uint8_t nc[AUTH_NONCE_LEN], ns[AUTH_NONCE_LEN], proof[AUTH_PROOF_LEN];
    uint8_t bin_n[AUTH_BIN_LEN], bin_p[AUTH_BIN_LEN], bin_k[AUTH_BIN_LEN];
    uint8_t pk[AUTH_NONCE_LEN], sk[AUTH_NONCE_LEN], peer_pk[AUTH_NONCE_LEN];
    if (actri_auth_unbin(&m.u.aid.auth, nc, sizeof nc) < 0)
        return handshake_failed(ipc, ACTR_EPROTO, "%s", "malformed _actr_auth challenge");
    int crypt = m.u.aid.kx.len > 0;
    if (crypt && actri_auth_unbin(&m.u.aid.kx, peer_pk, sizeof peer_pk) < 0)
        return handshake_failed(ipc, ACTR_EPROTO, "%s", "malformed _actr_kx key");
    if ((rc = keep_peer(ipc, &m)) < 0)
        return rc;
    struct auth_transcript t = {nc, ns, &ipc->peer.u.aid.name, &ipc->peer.u.aid.uuid,
                                crypt ? peer_pk : NULL, crypt ? pk : NULL};
    actri_auth_random(ns, sizeof ns);
    actr_msg a = {.type = ACTR_MSG_AUTH};
    if (crypt) {
        actri_auth_kx_keypair(pk, sk);
        a.u.auth.kx = actri_auth_bin(bin_k, pk);
    }
    actri_auth_proof(proof, AUTH_ACCEPTOR, &t);
    a.u.auth.nonce = actri_auth_bin(bin_n, ns);
    a.u.auth.proof = actri_auth_bin(bin_p, proof);
    if ((rc = actri_ipc_queue(ipc, &a)) < 0)
        goto out;
    if ((rc = hs_recv(ipc, &m, deadline, "proof")) < 0)
        goto out;
    if (m.type != ACTR_MSG_AUTH || actri_auth_unbin(&m.u.auth.proof, proof, sizeof proof) < 0) {
        rc = handshake_failed(ipc, ACTR_EPROTO, "got %s, not its ActrAuth proof",
                              actr_msg_type_name(m.type));
        goto out;
    }
    if (!actri_auth_check(proof, AUTH_CONNECTOR, &t)) {
        rc = handshake_failed(ipc, ACTR_EAUTH, "%s", "the peer does not hold our secret");
        goto out;
    }
    ipc->authed = 1;
    if ((rc = actri_ipc_queue(ipc, &ipc->self)) == 0 && crypt)
        rc = start_crypt(ipc, AUTH_ACCEPTOR, pk, sk, peer_pk);
out:
    sodium_memzero(sk, sizeof sk);
    return rc;
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
    if ((rc = actri_auth_ready()) < 0)
        goto out;
    actr_msg me = {.type = ACTR_MSG_AID, .u.aid = *self};
    me.u.aid.auth = (actr_any){NULL, 0};
    me.u.aid.kx = (actr_any){NULL, 0};
    if ((rc = actr_msg_dup(&me, &ipc->self)) < 0) {
        rc = actr_error_set(rc, "ipc %s: cannot copy our Aid", ipc->name);
        goto out;
    }
    if (ipc->end) {
        rc = actr_error_set(ipc->end, "ipc %s: channel ended", ipc->name);
        goto out;
    }
    rc = ipc->acceptor ? shake_acceptor(ipc, deadline) : shake_connector(ipc, deadline);
    if (rc == 0) {
        const actr_msg_aid *p = &ipc->peer.u.aid;
        ipc->shaken = 1;
        actr_log_runtime(IPC_TAG, "ipc %s: handshake done with %.*s.%.*s (%s%s)%s", ipc->name,
                         (int)p->name.len, p->name.ptr, (int)p->uuid.len, p->uuid.ptr,
                         ipc->authed ? "authenticated" : "insecure: not authenticated",
                         ipc->crypt ? ", encrypted" : "",
                         actr_ipc_peer_actr(ipc) ? "" : " (not actr)");
        actri_ipc_peer_known(ipc);
    }
out:
    leave_recv(ipc);
    return rc;
}
