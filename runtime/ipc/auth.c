/* The tree's secret (actr/auth.h) and the proofs of the authentication
 * handshake (ipc/auth.h). The secret is hashed into a 32-byte key with
 * BLAKE2b (libsodium's generichash, keyed with a label of ours, so the
 * key is good for nothing else), and the secret bytes are wiped. A proof
 * is HMAC-SHA-256 (libsodium's crypto_auth_hmacsha256) under that key. */
#define _GNU_SOURCE
#include "ipc/auth.h"

#include <actr/env.h>
#include <actr/err.h>
#include <actr/error.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t key[crypto_auth_hmacsha256_KEYBYTES];
static const char *source;       /* NULL until a key was chosen */

/* Labels: the hash that makes the key, and one per proof role, so that
 * no proof can be replayed as the other side's. */
static const uint8_t key_label[crypto_generichash_KEYBYTES] = "actr-secret-key-v1-blake2b-label";
static const char *const role_label[2] = {"actr-auth-v1 acceptor", "actr-auth-v1 connector"};

static void
sodium_ready(void)
{
    static int done;
    if (!done && sodium_init() >= 0)
        done = 1;
}

static void
set_key(const void *secret, size_t len, const char *src)
{
    sodium_ready();
    crypto_generichash(key, sizeof key, secret, len, key_label, sizeof key_label);
    source = src;
}

int
actr_secret_set(const void *secret, size_t len)
{
    if (!secret || len < ACTR_SECRET_MIN || len > ACTR_SECRET_MAX)
        return actr_error_set(ACTR_EINVAL, "a secret has %d to %d bytes", ACTR_SECRET_MIN,
                              ACTR_SECRET_MAX);
    set_key(secret, len, "option");
    return 0;
}

void
actr_secret_random(void)
{
    uint8_t r[32];
    sodium_ready();
    randombytes_buf(r, sizeof r);
    set_key(r, sizeof r, "random");
    sodium_memzero(r, sizeof r);
}

/* Reads and checks the secret file path; on success sets the key with
 * source src. */
static int
load_file(const char *path, const char *src)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        return actr_error_set(e == ENOENT ? ACTR_ENOTFOUND : e == ELOOP ? ACTR_EPERM : ACTR_EIO,
                              "secret file %s: %s", path,
                              e == ELOOP ? "is a symbolic link" : strerror(e));
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0)
        rc = actr_error_set(ACTR_EIO, "secret file %s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = actr_error_set(ACTR_EPERM, "secret file %s is not a regular file", path);
    else if (st.st_uid != geteuid())
        rc = actr_error_set(ACTR_EPERM, "secret file %s belongs to uid %u, not to us", path,
                            (unsigned)st.st_uid);
    else if (st.st_mode & 077)
        rc = actr_error_set(ACTR_EPERM, "secret file %s has mode %03o: others may read or"
                            " write it (chmod 600)", path, (unsigned)(st.st_mode & 0777));
    if (rc < 0) {
        close(fd);
        return rc;
    }
    uint8_t buf[ACTR_SECRET_MAX + 2];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = actr_error_set(ACTR_EIO, "secret file %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0 || (len += (size_t)n) == sizeof buf)
            break;
    }
    close(fd);
    if (rc == 0) {
        if (len > 0 && buf[len - 1] == '\n')
            len--;
        if (len < ACTR_SECRET_MIN || len > ACTR_SECRET_MAX)
            rc = actr_error_set(ACTR_EINVAL, "secret file %s holds %s than %d bytes", path,
                                len < ACTR_SECRET_MIN ? "fewer" : "more",
                                len < ACTR_SECRET_MIN ? ACTR_SECRET_MIN : ACTR_SECRET_MAX);
        else
            set_key(buf, len, src);
    }
    sodium_memzero(buf, sizeof buf);
    return rc;
}

int
actr_secret_load(const char *path)
{
    if (!path || !*path)
        return actr_error_set(ACTR_EINVAL, "no secret file named");
    return load_file(path, "file");
}

int
actr_secret_default_path(char *buf, size_t cap)
{
    const char *xdg = actr_env_get(ACTR_ENV_XDG_CONFIG_HOME);
    const char *home = actr_env_get(ACTR_ENV_HOME);
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, cap, "%s/actr/secret", xdg);
    else if (home)
        n = snprintf(buf, cap, "%s/.config/actr/secret", home);
    else
        return actr_error_set(ACTR_ENOTFOUND, "no HOME: no default secret file");
    if (n < 0 || (size_t)n >= cap)
        return actr_error_set(ACTR_ERANGE, "the default secret file's path is too long");
    return n;
}

/* Creates the directories of path that are missing, mode 0700. */
static int
make_dirs(char *path)
{
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = 0;
        int r = mkdir(path, 0700);
        int e = errno;
        *p = '/';
        if (r < 0 && e != EEXIST)
            return actr_error_set(ACTR_EIO, "cannot create the directory of %s: %s", path,
                                  strerror(e));
    }
    return 0;
}

/* Writes a new default file (64 random hex digits), mode 0600 whatever
 * the umask; a file that appeared meanwhile is left as it is. */
static int
create_default(char *path)
{
    int rc = make_dirs(path);
    if (rc < 0)
        return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? 0 : actr_error_set(ACTR_EIO, "cannot create secret file %s:"
                                                    " %s", path, strerror(errno));
    uint8_t r[32];
    char hex[2 * sizeof r + 2];
    sodium_ready();
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(hex, sizeof hex, r, sizeof r);
    sodium_memzero(r, sizeof r);
    size_t len = 2 * sizeof r;
    hex[len++] = '\n';
    if (fchmod(fd, 0600) < 0 || write(fd, hex, len) != (ssize_t)len || fsync(fd) < 0)
        rc = actr_error_set(ACTR_EIO, "cannot write secret file %s: %s", path, strerror(errno));
    sodium_memzero(hex, sizeof hex);
    close(fd);
    if (rc < 0)
        unlink(path);
    return rc;
}

int
actr_secret_load_default(int create)
{
    char path[4096];
    int rc = actr_secret_default_path(path, sizeof path);
    if (rc < 0)
        return rc;
    if (create && access(path, F_OK) < 0 && (rc = create_default(path)) < 0)
        return rc;
    return load_file(path, "default file");
}

int
actr_secret_init(int create_default)
{
    if (source)
        return 0;
    const char *f = actr_env_get(ACTR_ENV_SECRET_FILE);
    if (f)
        return load_file(f, "file");
    int rc = actr_secret_load_default(create_default);
    if (rc == ACTR_ENOTFOUND && !create_default) {
        actr_secret_random();
        return 0;
    }
    return rc;
}

const char *
actr_secret_source(void)
{
    return source;
}

int
actr_insecure_env(void)
{
    return actr_env_bool(ACTR_ENV_INSECURE, 0);
}

/* ------------------------------------------------------------ private */

int
actri_auth_ready(void)
{
    return source ? 0 : actr_secret_init(0);
}

void
actri_auth_export(char hex[AUTH_KEY_HEX + 1])
{
    sodium_bin2hex(hex, AUTH_KEY_HEX + 1, key, sizeof key);
}

int
actri_auth_import(const char *hex, size_t n)
{
    uint8_t k[sizeof key];
    size_t got = 0;
    sodium_ready();
    if (n != AUTH_KEY_HEX ||
        sodium_hex2bin(k, sizeof k, hex, n, NULL, &got, NULL) < 0 || got != sizeof k)
        return ACTR_EINVAL;
    memcpy(key, k, sizeof key);
    sodium_memzero(k, sizeof k);
    source = "parent";
    return 0;
}

void
actri_auth_random(uint8_t *buf, size_t n)
{
    sodium_ready();
    randombytes_buf(buf, n);
}

static void
put_str(crypto_auth_hmacsha256_state *st, const actr_str *s)
{
    uint8_t len[4] = {(uint8_t)(s->len >> 24), (uint8_t)(s->len >> 16), (uint8_t)(s->len >> 8),
                      (uint8_t)s->len};
    crypto_auth_hmacsha256_update(st, len, sizeof len);
    crypto_auth_hmacsha256_update(st, (const uint8_t *)s->ptr, s->len);
}

static void
put_key(crypto_auth_hmacsha256_state *st, const uint8_t *k)
{
    static const uint8_t none[AUTH_NONCE_LEN];
    crypto_auth_hmacsha256_update(st, k ? k : none, AUTH_NONCE_LEN);
}

void
actri_auth_proof(uint8_t out[AUTH_PROOF_LEN], enum auth_role role,
                 const struct auth_transcript *t)
{
    crypto_auth_hmacsha256_state st;
    const char *label = role_label[role];
    crypto_auth_hmacsha256_init(&st, key, sizeof key);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)label, strlen(label) + 1);
    crypto_auth_hmacsha256_update(&st, t->nc, AUTH_NONCE_LEN);
    crypto_auth_hmacsha256_update(&st, t->ns, AUTH_NONCE_LEN);
    put_str(&st, t->name);
    put_str(&st, t->uuid);
    put_key(&st, t->kx_c);
    put_key(&st, t->kx_s);
    crypto_auth_hmacsha256_final(&st, out);
}

int
actri_auth_check(const uint8_t proof[AUTH_PROOF_LEN], enum auth_role role,
                 const struct auth_transcript *t)
{
    uint8_t want[AUTH_PROOF_LEN];
    actri_auth_proof(want, role, t);
    int ok = sodium_memcmp(want, proof, AUTH_PROOF_LEN) == 0;
    sodium_memzero(want, sizeof want);
    return ok;
}

int
actri_auth_want_encrypt(const actr_addr *remote)
{
    /* Read at each connection (a getenv), so a program may change it. */
    const char *v = actr_env_get(ACTR_ENV_ENCRYPT);
    int mode = 2;                      /* 0 off, 1 on, 2 auto */
    if (v && strcmp(v, "auto") != 0) {
        mode = actr_env_bool(ACTR_ENV_ENCRYPT, 2);
        if (mode != 0 && mode != 1)
            mode = 2;
    }
    if (!remote || remote->kind != ACTR_ADDR_TCP || mode == 0)
        return 0;
    if (mode == 1)
        return 1;
    const char *h = remote->host;
    return !(strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 ||
             strcmp(h, "localhost") == 0 || strcmp(h, "::ffff:127.0.0.1") == 0);
}

void
actri_auth_kx_keypair(uint8_t pk[AUTH_NONCE_LEN], uint8_t sk[AUTH_NONCE_LEN])
{
    sodium_ready();
    crypto_kx_keypair(pk, sk);
}

int
actri_auth_session(uint8_t tx[AUTH_NONCE_LEN], uint8_t rx[AUTH_NONCE_LEN], enum auth_role role,
                   const uint8_t pk[AUTH_NONCE_LEN], const uint8_t sk[AUTH_NONCE_LEN],
                   const uint8_t peer_pk[AUTH_NONCE_LEN])
{
    uint8_t r[crypto_kx_SESSIONKEYBYTES], t[crypto_kx_SESSIONKEYBYTES];
    int rc = role == AUTH_CONNECTOR ? crypto_kx_client_session_keys(r, t, pk, sk, peer_pk)
                                    : crypto_kx_server_session_keys(r, t, pk, sk, peer_pk);
    if (rc == 0) {
        crypto_generichash(tx, AUTH_NONCE_LEN, t, sizeof t, key, sizeof key);
        crypto_generichash(rx, AUTH_NONCE_LEN, r, sizeof r, key, sizeof key);
    }
    sodium_memzero(r, sizeof r);
    sodium_memzero(t, sizeof t);
    return rc == 0 ? 0 : ACTR_EPROTO;
}

actr_any
actri_auth_bin(uint8_t out[AUTH_BIN_LEN], const uint8_t p[AUTH_NONCE_LEN])
{
    out[0] = 0xc4;                       /* bin8 */
    out[1] = AUTH_NONCE_LEN;
    memcpy(out + 2, p, AUTH_NONCE_LEN);
    return (actr_any){out, AUTH_BIN_LEN};
}

int
actri_auth_unbin(const actr_any *raw, uint8_t *dst, size_t n)
{
    if (raw->len != n + 2 || raw->ptr[0] != 0xc4 || raw->ptr[1] != n)
        return ACTR_EPROTO;
    memcpy(dst, raw->ptr + 2, n);
    return 0;
}
