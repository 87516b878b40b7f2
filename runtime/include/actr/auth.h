/* actr/auth.h: the tree's secret (SEMANTICS S28).
 *
 * Every channel proves, both ways, that each side holds the same secret
 * before anything else crosses it (a challenge-response with libsodium's
 * HMAC-SHA-256 over fresh nonces, PROTOCOL.md section 3). The secret is
 * one per process, chosen before the first channel opens, first rule that
 * applies:
 *   1. actr_actor_opts.secret / .secret_file (or actr_secret_set/_load);
 *   2. a child's parent's, handed over on its boot socket (never argv);
 *   3. the file named by $ACTR_SECRET_FILE;
 *   4. the per-user default file (actr_secret_default_path) when it
 *      exists, or when the program asks for it (the actr tool,
 *      actr-registrar, a root that uses a registry), which creates it
 *      with mode 0600 when missing;
 *   5. else a random secret: the tree talks only to itself.
 * A secret file must be a regular file of this user that no one else may
 * read or write (as ssh keys and Erlang's cookie). Secrets are never
 * logged. Peers that cannot authenticate (a Python tractor actor) are
 * accepted only with an explicit `insecure` opt-in (actr_ipc_opts,
 * actr_actor_opts, actr_portal_opts, $ACTR_INSECURE). */
#ifndef ACTR_AUTH_H
#define ACTR_AUTH_H

#include <stddef.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* Bounds of a configured secret, in bytes. */
#define ACTR_SECRET_MIN 16
#define ACTR_SECRET_MAX 4096

/* Makes secret[0..len) this process's secret: channels opened from now on
 * authenticate with it (the bytes are hashed into a key and not kept).
 * Returns 0, or ACTR_EINVAL (shorter than ACTR_SECRET_MIN or longer than
 * ACTR_SECRET_MAX bytes). Does not block. */
ACTR_API ACTR_NODISCARD int actr_secret_set(const void *secret, size_t len);

/* Makes the content of file path this process's secret (one trailing
 * newline is not part of it). Returns 0; ACTR_ENOTFOUND (no such file),
 * ACTR_EPERM (not a regular file, owned by another user, or readable or
 * writable by group or others), ACTR_EINVAL (size out of bounds), ACTR_EIO;
 * the detail names the file. Does not block (a local read). */
ACTR_API ACTR_NODISCARD int actr_secret_load(const char *path);

/* Writes the per-user default secret file's path into buf (cap bytes):
 * $XDG_CONFIG_HOME/actr/secret, else $HOME/.config/actr/secret. Returns
 * its length, ACTR_ENOTFOUND (neither variable set) or ACTR_ERANGE. */
ACTR_API ACTR_NODISCARD int actr_secret_default_path(char *buf, size_t cap);

/* Loads the per-user default file; when it does not exist and create is
 * set, first creates it (its directory 0700, the file 0600 whatever the
 * umask, 32 random bytes as 64 hex digits). Returns 0, ACTR_ENOTFOUND (no
 * file and !create, or no home), or an error of actr_secret_load. */
ACTR_API ACTR_NODISCARD int actr_secret_load_default(int create);

/* Gives this process a fresh random secret (a tree of its own). */
ACTR_API void actr_secret_random(void);

/* Applies rules 3-5 above unless this process already has a secret:
 * $ACTR_SECRET_FILE (an error there is returned, not skipped), the
 * default file (created when create_default), else random. Returns 0 or
 * the error of the file named. The first handshake calls it with 0 when
 * nothing chose a secret before. Does not block. */
ACTR_API ACTR_NODISCARD int actr_secret_init(int create_default);

/* Where this process's secret came from: "option", "parent", "file",
 * "default file", "random", or NULL before any (for log lines; the
 * secret itself is never shown). */
ACTR_API const char *actr_secret_source(void);

/* 1 when $ACTR_INSECURE is on: this process's listeners and portals
 * accept peers that do not prove the secret (tractor interop). */
ACTR_API int actr_insecure_env(void);

ACTR_END_DECLS

#endif
