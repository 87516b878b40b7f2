/* The encryption of a channel that leaves the host (S28, PROTOCOL.md
 * 3.3): after the handshake's key exchange, each way is a libsodium
 * secretstream. The send side queues plaintext frames and seals them into
 * records of up to IPC_RECORD_MAX once per flush; the receive side opens
 * every complete record into the frame reader. */
#include "ipc/channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
actri_ipc_crypt_start(actr_ipc *ipc, const uint8_t tx[32], const uint8_t rx[32])
{
    struct ipc_crypt *c = calloc(1, sizeof *c);
    if (!c || actr_wbuf_reserve(&ipc->out, IPC_CRYPT_HEADER) < 0) {
        free(c);
        return actr_error_set(ACTR_ENOMEM, "ipc %s: out of memory for encryption", ipc->name);
    }
    crypto_secretstream_xchacha20poly1305_init_push(&c->tx, ipc->out.ptr + ipc->out.len, tx);
    ipc->out.len += IPC_CRYPT_HEADER;
    memcpy(c->rx_key, rx, sizeof c->rx_key);
    /* What the reader holds past the handshake's last frame came
     * encrypted already. */
    size_t left = ipc->rd.end - ipc->rd.start;
    if (left && actr_wbuf_reserve(&c->cin, left) == 0) {
        memcpy(c->cin.ptr, ipc->rd.buf + ipc->rd.start, left);
        c->cin.len = left;
    }
    ipc->rd.start = ipc->rd.end = 0;
    ipc->crypt = c;
    actri_hook_request(&ipc->flush_hook);
    return 0;
}

void
actri_ipc_plain(actr_ipc *ipc)
{
    ipc->plain = 1;
}

void
actri_ipc_crypt_free(actr_ipc *ipc)
{
    struct ipc_crypt *c = ipc->crypt;
    if (!c)
        return;
    actr_wbuf_destroy(&c->plain);
    actr_wbuf_destroy(&c->cin);
    free(c->scratch);
    sodium_memzero(c, sizeof *c);
    free(c);
    ipc->crypt = NULL;
}

int
actri_ipc_seal(actr_ipc *ipc)
{
    struct ipc_crypt *c = ipc->crypt;
    size_t off = 0;
    while (off < c->plain.len) {
        size_t n = c->plain.len - off < IPC_RECORD_MAX ? c->plain.len - off : IPC_RECORD_MAX;
        if (actr_wbuf_reserve(&ipc->out, 4 + n + IPC_CRYPT_ABYTES) < 0)
            break;
        uint8_t *p = ipc->out.ptr + ipc->out.len;
        unsigned long long clen;
        crypto_secretstream_xchacha20poly1305_push(&c->tx, p + 4, &clen, c->plain.ptr + off, n,
                                                   NULL, 0, 0);
        p[0] = (uint8_t)clen;
        p[1] = (uint8_t)(clen >> 8);
        p[2] = (uint8_t)(clen >> 16);
        p[3] = (uint8_t)(clen >> 24);
        ipc->out.len += 4 + (size_t)clen;
        off += n;
    }
    actr_wbuf_consume(&c->plain, off);
    return c->plain.len ? ACTR_ENOMEM : 0;
}

ssize_t
actri_ipc_crypt_fill(actr_ipc *ipc)
{
    struct ipc_crypt *c = ipc->crypt;
    /* Every complete record is opened before this returns, so that what
     * is left in cin is never a whole record: the caller may then wait
     * for the socket. */
    ssize_t total = 0;
    for (;;) {
        uint8_t *p = c->cin.ptr + c->cin_off;
        size_t have = c->cin.len - c->cin_off;
        if (!c->rx_ready && have >= IPC_CRYPT_HEADER) {
            if (crypto_secretstream_xchacha20poly1305_init_pull(&c->rx, p, c->rx_key) != 0)
                return ACTR_EPROTO;
            sodium_memzero(c->rx_key, sizeof c->rx_key);
            c->rx_ready = 1;
            c->cin_off += IPC_CRYPT_HEADER;
            continue;
        }
        if (c->rx_ready && have >= 4) {
            size_t len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 |
                         (size_t)p[3] << 24;
            if (len < IPC_CRYPT_ABYTES || len > IPC_RECORD_MAX + IPC_CRYPT_ABYTES)
                return ACTR_EPROTO;
            if (have >= 4 + len) {
                if (!c->scratch && !(c->scratch = malloc(IPC_RECORD_MAX)))
                    return ACTR_EPROTO;
                unsigned long long mlen;
                unsigned char tag;
                if (crypto_secretstream_xchacha20poly1305_pull(&c->rx, c->scratch, &mlen, &tag,
                                                               p + 4, len, NULL, 0) != 0)
                    return ACTR_EPROTO;
                c->cin_off += 4 + len;
                if (c->cin_off == c->cin.len)
                    c->cin.len = c->cin_off = 0;
                if (mlen == 0)
                    continue;
                if (actr_frame_reader_feed(&ipc->rd, c->scratch, (size_t)mlen) < 0) {
                    errno = ENOMEM;
                    return -1;
                }
                total += (ssize_t)mlen;
                continue;
            }
        }
        if (total > 0)
            return total;
        /* Need more: compact, then read. */
        if (c->cin_off > 0) {
            actr_wbuf_consume(&c->cin, c->cin_off);
            c->cin_off = 0;
        }
        if (actr_wbuf_reserve(&c->cin, 64 << 10) < 0) {
            errno = ENOMEM;
            return -1;
        }
        size_t avail = c->cin.cap - c->cin.len;
        ssize_t n = read(ipc->fd, c->cin.ptr + c->cin.len, avail);
        ipc->st.read_calls++;
        if (n <= 0)
            return n;
        c->cin.len += (size_t)n;
        ipc->st.bytes_recv += (uint64_t)n;
        ipc->drained = (size_t)n < avail;
        ipc->reads_in_row++;
    }
}
