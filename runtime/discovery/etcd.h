/* discovery/etcd.h: a client of etcd's v3 API through its JSON gateway
 * (POST /v3/kv/put, /v3/kv/range, /v3/lease/grant, /v3/lease/keepalive,
 * /v3/lease/revoke, /v3/watch, /v3/auth/authenticate), on discovery/http.h.
 * Keys and values are base64 in the JSON (OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock), JSON is jansson's. Private to libactr.
 *
 * One client per cluster URL: its endpoints are tried in turn, starting
 * with the one that answered last, so a dead member fails over to the
 * next within the caller's deadline. Every call is a cancellation point;
 * an answer that is not etcd's is ACTR_EPROTO with the reason, never a
 * crash. */
#ifndef ACTR_DISCOVERY_ETCD_H
#define ACTR_DISCOVERY_ETCD_H

#include <stddef.h>
#include <stdint.h>

typedef struct etcd etcd;

/* The environment of the client (read when it is opened). */
#define ETCD_ENV_CACERT "ACTR_ETCD_CACERT"      /* CA file (etcds://) */
#define ETCD_ENV_CERT "ACTR_ETCD_CERT"          /* client certificate (etcds://) */
#define ETCD_ENV_KEY "ACTR_ETCD_KEY"            /* its key (etcds://) */
#define ETCD_ENV_USER "ACTR_ETCD_USER"          /* "name" or "name:password" */
#define ETCD_ENV_PASSWORD "ACTR_ETCD_PASSWORD"  /* when not in ACTR_ETCD_USER */

/* 1 when url names an etcd cluster (etcd:// or etcds://), else 0. */
int etcd_is_url(const char *url);

/* Parses "etcd://host[:port][,host[:port]...][/prefix]" (etcds:// for
 * TLS; port 2379 by default; prefix "/actr" by default) and reads the
 * ACTR_ETCD_* variables. Does not connect. Returns 0 and *out (free with
 * etcd_free), ACTR_EINVAL with the reason (bad URL, TLS files given for
 * an etcd:// URL), ACTR_ENOMEM. */
int etcd_open(const char *url, etcd **out);
void etcd_free(etcd *e);

/* The URL as given, and its key prefix (no trailing '/'). Borrowed. */
const char *etcd_url(const etcd *e);
const char *etcd_prefix(const etcd *e);

/* One key of a range or an event of a watch (decoded, NUL-terminated). */
typedef struct etcd_kv {
    char *key;
    char *value;
    size_t vlen;
    int64_t create_rev;
    int deleted;              /* a watch's DELETE event (no value) */
} etcd_kv;

void etcd_kv_clear(etcd_kv *kv);
void etcd_kvs_free(etcd_kv *v, size_t n);

/* Grants a lease of ttl seconds: *id, and the TTL etcd granted. */
int etcd_grant(etcd *e, int64_t ttl, int64_t *id, int64_t *granted, int64_t deadline);
/* Renews lease id once: *ttl is what it has left (0: the lease is gone). */
int etcd_keepalive(etcd *e, int64_t id, int64_t *ttl, int64_t deadline);
/* Revokes lease id, deleting its keys (a lease already gone is fine). */
int etcd_revoke(etcd *e, int64_t id, int64_t deadline);
/* Puts key = value (attached to lease, 0: none). */
int etcd_put(etcd *e, const char *key, const char *value, int64_t lease, int64_t deadline);
/* Every key that starts with prefix, in key order: *v (free with
 * etcd_kvs_free) of *n, and the store's revision of the answer. */
int etcd_range_prefix(etcd *e, const char *prefix, etcd_kv **v, size_t *n,
                      int64_t *revision, int64_t deadline);

/* A watch on every key that starts with prefix, from revision start_rev
 * on: opened once etcd confirmed it (within deadline). */
typedef struct etcd_watch etcd_watch;
int etcd_watch_open(etcd *e, const char *prefix, int64_t start_rev, etcd_watch **out,
                    int64_t deadline);
/* The next event: 1 and *kv (etcd_kv_clear it), or why the stream ended
 * (ACTR_ECLOSED when etcd closed it, ACTR_EREMOTE when it cancelled the
 * watch, a transport error). Blocks until an event or deadline.
 * Cancellation point. */
int etcd_watch_next(etcd_watch *w, etcd_kv *kv, int64_t deadline);
void etcd_watch_close(etcd_watch *w);

#endif
