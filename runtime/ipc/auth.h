/* ipc/auth.h: the process's authentication key and the proofs of the
 * handshake (S28, PROTOCOL.md section 3). Private to the runtime: the
 * actor layer hands the key to its children with actri_auth_export. */
#ifndef ACTR_IPC_AUTH_H
#define ACTR_IPC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <actr/auth.h>
#include <actr/ipc.h>
#include <actr/wire.h>

#define AUTH_NONCE_LEN 32
#define AUTH_PROOF_LEN 32
#define AUTH_KEY_HEX 64

/* Which side of a channel computes a proof. */
enum auth_role { AUTH_ACCEPTOR, AUTH_CONNECTOR };

/* The process key, chosen by actr_secret_init(0) when nothing chose one
 * before. Returns 0 or that call's error. */
int actri_auth_ready(void);

/* Writes the key as AUTH_KEY_HEX hex digits and a NUL into hex (the
 * record a child inherits; the key, not the secret it came from). */
void actri_auth_export(char hex[AUTH_KEY_HEX + 1]);

/* Makes the key whose hex text is hex[0..n) the process key ("parent").
 * Returns 0 or ACTR_EINVAL. */
int actri_auth_import(const char *hex, size_t n);

/* What a proof covers: both nonces, the connector's uid, and the key
 * exchange's public keys when the channel is to be encrypted (NULL:
 * none), so that no one without the key can substitute them. */
struct auth_transcript {
    const uint8_t *nc, *ns;          /* AUTH_NONCE_LEN each */
    const actr_str *name, *uuid;     /* the connector's uid */
    const uint8_t *kx_c, *kx_s;      /* AUTH_NONCE_LEN each, or NULL */
};

/* The proof of role over t: HMAC-SHA-256 under the process key. */
void actri_auth_proof(uint8_t out[AUTH_PROOF_LEN], enum auth_role role,
                      const struct auth_transcript *t);

/* 1 when proof is role's proof over t (compared in constant time). */
int actri_auth_check(const uint8_t proof[AUTH_PROOF_LEN], enum auth_role role,
                     const struct auth_transcript *t);

/* 1 when a connection to remote should be encrypted: $ACTR_ENCRYPT on,
 * or auto (the default) and remote is TCP to a host that is not the
 * loopback (127.0.0.0/8, ::1, localhost). */
int actri_auth_want_encrypt(const actr_addr *remote);

/* A fresh X25519 key pair of the key exchange. */
void actri_auth_kx_keypair(uint8_t pk[AUTH_NONCE_LEN], uint8_t sk[AUTH_NONCE_LEN]);

/* The two stream keys of an encrypted channel for role: the key
 * exchange's session keys (libsodium crypto_kx), each hashed with the
 * process key (BLAKE2b keyed with it), so that they also depend on the
 * tree's secret. Returns 0, or ACTR_EPROTO for a bad peer key. */
int actri_auth_session(uint8_t tx[AUTH_NONCE_LEN], uint8_t rx[AUTH_NONCE_LEN],
                       enum auth_role role, const uint8_t pk[AUTH_NONCE_LEN],
                       const uint8_t sk[AUTH_NONCE_LEN], const uint8_t peer_pk[AUTH_NONCE_LEN]);

/* Fills buf with n random bytes. */
void actri_auth_random(uint8_t *buf, size_t n);

/* A msgpack bin8 of 32 bytes: its head and the bytes. */
#define AUTH_BIN_LEN (2 + AUTH_NONCE_LEN)

/* Writes the msgpack bin of p[0..32) into out and returns it as a raw
 * field value borrowing out. */
actr_any actri_auth_bin(uint8_t out[AUTH_BIN_LEN], const uint8_t p[AUTH_NONCE_LEN]);

/* Reads raw as a msgpack bin of exactly n bytes into dst: 0, or
 * ACTR_EPROTO (nil, another type or another length). */
int actri_auth_unbin(const actr_any *raw, uint8_t *dst, size_t n);

#endif
