/* The etcd v3 client (discovery/etcd.h): a cluster URL, its endpoints
 * with fail-over, authentication, and the calls discovery needs, as
 * JSON over the gateway. In that JSON int64 fields are strings and
 * fields equal to zero are left out (proto3), keys and values base64. */
#define _GNU_SOURCE
#include "discovery/etcd.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <actr/actr.h>

#include "discovery/http.h"
#include "discovery/libs.h"

#define ETCD_TAG "etcd"
#define ETCD_DEFAULT_PORT 2379
#define ETCD_DEFAULT_PREFIX "/actr"
/* One endpoint gets at most this long to connect before the next one. */
#define ETCD_CONNECT_MS 1000
/* And at least this share of the time left for its answer. */
#define ETCD_ATTEMPT_MIN_MS 500
/* The pause after every endpoint failed once, before trying again. */
#define ETCD_ROUND_PAUSE_MS 100

/* gRPC status codes etcd answers with (google.golang.org/grpc/codes). */
enum { GRPC_NOT_FOUND = 5, GRPC_UNAVAILABLE = 14, GRPC_UNAUTHENTICATED = 16 };

struct etcd {
    char *url;
    char **ep;                /* "http://host:port" */
    size_t nep;
    size_t cur;               /* the endpoint to try first */
    char *prefix;
    char *cacert, *cert, *key;
    char *user, *password;
    char *token;              /* from /v3/auth/authenticate */
};

/* ------------------------------------------------------------ base64 */

/* base64 of s[0..n) (malloc'd), or NULL with the reason set. */
static char *
b64_encode(const char *s, size_t n)
{
    const struct disc_libs *c;
    if (disc_libs(&c) < 0)
        return NULL;
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        actr_error_set(ACTR_ENOMEM, "out of memory");
    else
        c->EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

/* Decodes s into a malloc'd NUL-terminated *out of *n bytes. */
static int
b64_decode(const char *s, char **out, size_t *n)
{
    const struct disc_libs *c;
    int rc = disc_libs(&c);
    if (rc < 0)
        return rc;
    size_t len = strlen(s);
    if (len % 4 != 0 || len > (1u << 30))
        return actr_error_set(ACTR_EPROTO, "etcd: not base64 (length %zu)", len);
    unsigned char *buf = malloc(len / 4 * 3 + 1);
    if (!buf)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int r = c->EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
    if (r < 0) {
        free(buf);
        return actr_error_set(ACTR_EPROTO, "etcd: not base64");
    }
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    for (size_t i = len; i > 0 && s[i - 1] == '=' && r > 0; i--)
        r--;
    buf[r] = 0;
    *out = (char *)buf;
    *n = (size_t)r;
    return 0;
}

/* ------------------------------------------------------------ the URL */

int
etcd_is_url(const char *url)
{
    return url && (strncmp(url, "etcd://", 7) == 0 || strncmp(url, "etcds://", 8) == 0);
}

static int
bad_url(const char *url, const char *why)
{
    return actr_error_set(ACTR_EINVAL, "bad etcd address \"%s\": %s (expected"
                          " etcd://HOST:PORT[,HOST:PORT...][/PREFIX])", url, why);
}

/* One "host[:port]" or "[v6]:port" of the authority into "scheme://...". */
static int
endpoint_parse(const char *url, const char *p, size_t n, int tls, char **out)
{
    char host[ACTR_ADDR_HOST_MAX];
    const char *port = NULL;
    size_t hl;
    if (n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (!close)
            return bad_url(url, "unclosed '[' in an IPv6 host");
        hl = (size_t)(close - p) + 1;
        if (hl < n && p[hl] != ':')
            return bad_url(url, "junk after an IPv6 host");
        port = hl < n ? p + hl + 1 : NULL;
    } else {
        const char *colon = memchr(p, ':', n);
        hl = colon ? (size_t)(colon - p) : n;
        port = colon ? colon + 1 : NULL;
    }
    if (hl == 0 || hl >= sizeof host)
        return bad_url(url, "an empty or overlong host");
    memcpy(host, p, hl);
    host[hl] = 0;
    for (size_t i = 0; i < hl; i++)
        if (!isalnum((unsigned char)host[i]) && !strchr(".-_[]:", host[i]))
            return bad_url(url, "a host with characters that no host has");
    long pn = ETCD_DEFAULT_PORT;
    if (port) {
        size_t pl = n - (size_t)(port - p);
        char num[8];
        char *end;
        if (pl == 0 || pl >= sizeof num)
            return bad_url(url, "a bad port");
        memcpy(num, port, pl);
        num[pl] = 0;
        pn = strtol(num, &end, 10);
        if (*end || pn < 1 || pn > 65535)
            return bad_url(url, "a bad port");
    }
    if (asprintf(out, "%s://%s:%ld", tls ? "https" : "http", host, pn) < 0)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    return 0;
}

static char *
env_dup(actr_env_var name)
{
    const char *v = actr_env_get(name);
    return v ? strdup(v) : NULL;
}

/* The ACTR_ETCD_* variables. */
static int
read_env(etcd *e, int tls)
{
    e->cacert = env_dup(ACTR_ENV_ETCD_CACERT);
    e->cert = env_dup(ACTR_ENV_ETCD_CERT);
    e->key = env_dup(ACTR_ENV_ETCD_KEY);
    if (!tls && (e->cacert || e->cert || e->key))
        return actr_error_set(ACTR_EINVAL, "%s, %s or %s is set, but \"%s\" is not TLS:"
                              " use etcds://", ETCD_ENV_CACERT, ETCD_ENV_CERT, ETCD_ENV_KEY,
                              e->url);
    if ((e->user = env_dup(ACTR_ENV_ETCD_USER)) != NULL) {
        char *colon = strchr(e->user, ':');
        if (colon) {
            *colon = 0;
            e->password = strdup(colon + 1);
        } else {
            e->password = env_dup(ACTR_ENV_ETCD_PASSWORD);
        }
        if (!e->password)
            return actr_error_set(ACTR_EINVAL, "%s names a user but no password is given"
                                  " (%s=name:password or %s)", ETCD_ENV_USER, ETCD_ENV_USER,
                                  ETCD_ENV_PASSWORD);
    }
    return 0;
}

int
etcd_open(const char *url, etcd **out)
{
    if (!etcd_is_url(url))
        return bad_url(url ? url : "", "not etcd:// or etcds://");
    int tls = url[4] == 's';
    const char *auth = url + (tls ? 8 : 7);
    const char *slash = strchr(auth, '/');
    size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);
    for (const char *c = url; *c; c++)
        if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c) || *c == '?' || *c == '#')
            return bad_url(url, "spaces, '?' or '#' in it");
    if (alen == 0)
        return bad_url(url, "no host");
    etcd *e = calloc(1, sizeof *e);
    if (!e || !(e->url = strdup(url))) {
        free(e);
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (const char *p = auth; rc == 0 && p < auth + alen;) {
        const char *comma = memchr(p, ',', (size_t)(auth + alen - p));
        size_t n = comma ? (size_t)(comma - p) : (size_t)(auth + alen - p);
        char **v = realloc(e->ep, (e->nep + 1) * sizeof *v);
        if (!v) {
            rc = actr_error_set(ACTR_ENOMEM, "out of memory");
            break;
        }
        e->ep = v;
        if ((rc = endpoint_parse(url, p, n, tls, &e->ep[e->nep])) == 0)
            e->nep++;
        p += n + (comma ? 1 : 0);
        if (comma && p == auth + alen)
            rc = bad_url(url, "an empty host after ','");
    }
    if (rc == 0) {
        /* The prefix: the path without trailing '/'s, "/actr" if none. */
        size_t pl = slash ? strlen(slash) : 0;
        while (pl > 0 && slash[pl - 1] == '/')
            pl--;
        e->prefix = pl ? strndup(slash, pl) : strdup(ETCD_DEFAULT_PREFIX);
        if (!e->prefix)
            rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = read_env(e, tls);
    if (rc < 0) {
        etcd_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void
etcd_free(etcd *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nep; i++)
        free(e->ep[i]);
    free(e->ep);
    free(e->url);
    free(e->prefix);
    free(e->cacert);
    free(e->cert);
    free(e->key);
    free(e->user);
    free(e->password);
    free(e->token);
    free(e);
}

const char *
etcd_url(const etcd *e)
{
    return e->url;
}

const char *
etcd_prefix(const etcd *e)
{
    return e->prefix;
}

/* ------------------------------------------------------------ JSON fields */

/* An int64 field: a string of digits or a number; absent is 0 (proto3).
 * ACTR_EPROTO when it is something else. */
static int
int_field(const json_t *o, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(o, name);
    *out = 0;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    char *end;
    if (s && *s) {
        long long x = strtoll(s, &end, 10);
        if (!*end) {
            *out = (int64_t)x;
            return 0;
        }
    }
    return actr_error_set(ACTR_EPROTO, "etcd: field \"%s\" is not an integer", name);
}

static json_t *
int_json(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return json_string(buf);
}

/* A key or value field into a request: base64 of s. */
static int
set_b64(json_t *o, const char *name, const char *s, size_t n)
{
    char *b = b64_encode(s, n);
    if (!b)
        return actr_last_error()->code;
    int rc = json_object_set_new(o, name, json_string(b)) < 0
           ? actr_error_set(ACTR_ENOMEM, "out of memory") : 0;
    free(b);
    return rc;
}

/* The end of the range of keys that start with prefix (etcd's rule:
 * the prefix with its last byte incremented). */
static int
set_prefix_range(json_t *o, const char *prefix)
{
    size_t n = strlen(prefix);
    char *end = strdup(prefix);
    int rc = end ? 0 : actr_error_set(ACTR_ENOMEM, "out of memory");
    while (rc == 0 && n > 0 && (unsigned char)end[n - 1] == 0xff)
        n--;
    if (rc == 0 && n == 0)
        rc = actr_error_set(ACTR_EINVAL, "etcd: no range for prefix \"%s\"", prefix);
    if (rc == 0) {
        end[n - 1]++;
        rc = set_b64(o, "key", prefix, strlen(prefix));
    }
    if (rc == 0)
        rc = set_b64(o, "range_end", end, n);
    free(end);
    return rc;
}

/* A key-value of etcd's answer into kv. */
static int
kv_parse(const json_t *j, etcd_kv *kv)
{
    memset(kv, 0, sizeof *kv);
    const char *k = json_string_value(json_object_get(j, "key"));
    const char *v = json_string_value(json_object_get(j, "value"));
    size_t kn;
    if (!k)
        return actr_error_set(ACTR_EPROTO, "etcd: a key-value without a key");
    int rc = b64_decode(k, &kv->key, &kn);
    if (rc == 0)
        rc = b64_decode(v ? v : "", &kv->value, &kv->vlen);
    if (rc == 0)
        rc = int_field(j, "create_revision", &kv->create_rev);
    if (rc < 0)
        etcd_kv_clear(kv);
    return rc;
}

void
etcd_kv_clear(etcd_kv *kv)
{
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof *kv);
}

void
etcd_kvs_free(etcd_kv *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        etcd_kv_clear(&v[i]);
    free(v);
}

/* ------------------------------------------------------------ calls */

static const char *const AUTH_PATH = "/v3/auth/authenticate";

static int authenticate(etcd *e, int64_t deadline);

/* The error of a non-200 answer: its gRPC code and message. */
static void
answer_error(const json_t *j, long status, int *code, const char **msg)
{
    int64_t c = 0;
    const json_t *err = json_object_get(j, "error");
    /* (a stream's error is an object; a unary call's a string) */
    const json_t *src = json_is_object(err) ? err : j;
    if (int_field(src, json_is_object(err) ? "grpc_code" : "code", &c) < 0)
        c = 0;
    *code = (int)c;
    *msg = json_string_value(json_object_get(src, "message"));
    if (!*msg)
        *msg = json_string_value(err);
    if (!*msg)
        *msg = status == 404 ? "no such API (is this etcd v3.4 or later?)" : "no message";
}

/* The next endpoint to try after ep[e->cur] failed. */
static void
fail_over(etcd *e, const char *why)
{
    size_t next = (e->cur + 1) % e->nep;
    if (e->nep > 1)
        actr_log_runtime(ETCD_TAG, "etcd endpoint %s: %s; trying %s", e->ep[e->cur],
                         why ? why : "failed", e->ep[next]);
    e->cur = next;
}

/* The deadline of one attempt: a share of the time left, so that the
 * other endpoints still get their turn. */
static int64_t
attempt_deadline(int64_t deadline, size_t left)
{
    if (deadline < 0 || left <= 1)
        return deadline;
    int64_t now = actr_now(), share = (deadline - now) / (int64_t)left;
    if (share < ETCD_ATTEMPT_MIN_MS)
        share = ETCD_ATTEMPT_MIN_MS;
    return now + share < deadline ? now + share : deadline;
}

static int64_t
connect_bound(int64_t deadline)
{
    int64_t left = deadline < 0 ? ETCD_CONNECT_MS : deadline - actr_now();
    return left < ETCD_CONNECT_MS ? (left > 0 ? left : 1) : ETCD_CONNECT_MS;
}

/* Starts POST path with body on the current endpoint. */
static int
start(etcd *e, const char *path, const char *body, int64_t deadline, disc_http **out)
{
    char *url = NULL;
    if (asprintf(&url, "%s%s", e->ep[e->cur], path) < 0)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    disc_http_auth auth = {e->cacert, e->cert, e->key,
                           strcmp(path, AUTH_PATH) != 0 ? e->token : NULL};
    int rc = disc_http_start(url, body, &auth, connect_bound(deadline), out);
    free(url);
    return rc;
}

/* What to do after one attempt. */
enum verdict { DONE, NEXT_ENDPOINT, AGAIN_AUTHENTICATED, FAILED };

/* Waits for the answer of one attempt and judges it: DONE with *resp,
 * or what next (*err: why). */
static enum verdict
judge(etcd *e, const char *path, disc_http *h, int64_t deadline, json_t **resp, int *reauthed,
      int *err)
{
    const char *text;
    size_t len;
    int rc = disc_http_body(h, &text, &len, deadline);
    if (rc == ACTR_ECANCELED) {
        *err = rc;
        return FAILED;
    }
    if (rc < 0) {
        *err = actr_error_set(rc, "etcd at %s: %s", e->ep[e->cur], actr_last_error()->message);
        return NEXT_ENDPOINT;
    }
    long status = disc_http_status(h);
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        *err = actr_error_set(ACTR_EPROTO, "etcd at %s answered %s with HTTP %ld and no JSON"
                              " object: %.80s", e->ep[e->cur], path, status, text);
        return NEXT_ENDPOINT;
    }
    if (status == 200) {
        *resp = j;
        return DONE;
    }
    int code;
    const char *msg;
    answer_error(j, status, &code, &msg);
    *err = actr_error_set(code == GRPC_UNAVAILABLE ? ACTR_ECONNREFUSED : ACTR_EREMOTE,
                          "etcd at %s: %s", e->ep[e->cur], msg);
    json_decref(j);
    if (code == GRPC_UNAVAILABLE || status == 503)
        return NEXT_ENDPOINT;               /* e.g. "no leader": another member may do */
    if (code == GRPC_UNAUTHENTICATED && e->user && !*reauthed && strcmp(path, AUTH_PATH)) {
        *reauthed = 1;                      /* the token expired: a fresh one */
        free(e->token);
        e->token = NULL;
        return AGAIN_AUTHENTICATED;
    }
    return FAILED;
}

/* After a round in which every endpoint failed: a pause before the next
 * (a cluster electing a leader answers again soon). 0, or the error that
 * ends the call (the time is up, or the task cancelled). */
static int
next_round(etcd *e, int rc, int64_t deadline)
{
    if (deadline < 0 || deadline - actr_now() < 2 * ETCD_ROUND_PAUSE_MS)
        return actr_error_set(rc, "no endpoint of etcd %s answered (last: %s)", e->url,
                              actr_last_error()->message);
    return actr_sleep(ETCD_ROUND_PAUSE_MS);
}

/* POSTs req (consumed) to path: 0 and the answer's JSON object in *resp
 * (json_decref it), or why not. The endpoints are tried in turn, in
 * rounds, until one answers or the deadline passes. */
static int
call(etcd *e, const char *path, json_t *req, json_t **resp, int64_t deadline)
{
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int rc = ACTR_ECONNREFUSED, reauthed = 0;
    for (size_t tried = 0;;) {
        if (e->user && !e->token && strcmp(path, AUTH_PATH) != 0 &&
            (rc = authenticate(e, deadline)) < 0)
            break;
        disc_http *h = NULL;
        int64_t adl = attempt_deadline(deadline, e->nep - tried % e->nep);
        if ((rc = start(e, path, body, adl, &h)) < 0)
            break;
        enum verdict v = judge(e, path, h, adl, resp, &reauthed, &rc);
        disc_http_close(h);
        if (v == DONE || v == FAILED)
            break;
        if (v == NEXT_ENDPOINT) {
            fail_over(e, actr_last_error()->message);
            if (++tried % e->nep == 0 && (rc = next_round(e, rc, deadline)) < 0)
                break;
        }
    }
    free(body);
    return rc;
}

static int
authenticate(etcd *e, int64_t deadline)
{
    json_t *req = json_pack("{s:s, s:s}", "name", e->user, "password", e->password);
    json_t *resp = NULL;
    int rc = req ? call(e, AUTH_PATH, req, &resp, deadline)
                 : actr_error_set(ACTR_ENOMEM, "out of memory");
    if (rc < 0)
        return actr_error_set(rc, "etcd %s: authentication as \"%s\" failed: %s", e->url,
                              e->user, actr_last_error()->message);
    const char *tok = json_string_value(json_object_get(resp, "token"));
    if (!tok || !*tok)
        rc = actr_error_set(ACTR_EPROTO, "etcd %s: authentication answered no token", e->url);
    else if (!(e->token = strdup(tok)))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    json_decref(resp);
    return rc;
}

/* A unary answer may carry an "error" string (old gateways). */
static int
check_error_field(const etcd *e, const json_t *resp)
{
    const char *err = json_string_value(json_object_get(resp, "error"));
    if (err && *err)
        return actr_error_set(ACTR_EREMOTE, "etcd %s: %s", e->url, err);
    return 0;
}

int
etcd_grant(etcd *e, int64_t ttl, int64_t *id, int64_t *granted, int64_t deadline)
{
    json_t *req = json_object(), *resp = NULL;
    if (!req || json_object_set_new(req, "TTL", int_json(ttl)) < 0) {
        json_decref(req);
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    int rc = call(e, "/v3/lease/grant", req, &resp, deadline);
    if (rc == 0)
        rc = check_error_field(e, resp);
    if (rc == 0 && (rc = int_field(resp, "ID", id)) == 0 &&
        (rc = int_field(resp, "TTL", granted)) == 0 && (*id == 0 || *granted <= 0))
        rc = actr_error_set(ACTR_EPROTO, "etcd %s granted no lease", e->url);
    json_decref(resp);
    return rc;
}

static json_t *
id_req(int64_t id)
{
    json_t *req = json_object();
    if (req && json_object_set_new(req, "ID", int_json(id)) < 0) {
        json_decref(req);
        req = NULL;
    }
    return req;
}

int
etcd_keepalive(etcd *e, int64_t id, int64_t *ttl, int64_t deadline)
{
    json_t *req = id_req(id), *resp = NULL;
    if (!req)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int rc = call(e, "/v3/lease/keepalive", req, &resp, deadline);
    if (rc == 0) {
        const json_t *res = json_object_get(resp, "result");
        if (!json_is_object(res))
            rc = actr_error_set(ACTR_EPROTO, "etcd %s: a keepalive answer without result",
                                e->url);
        else
            rc = int_field(res, "TTL", ttl);
    }
    json_decref(resp);
    return rc;
}

int
etcd_revoke(etcd *e, int64_t id, int64_t deadline)
{
    json_t *req = id_req(id), *resp = NULL;
    if (!req)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    int rc = call(e, "/v3/lease/revoke", req, &resp, deadline);
    json_decref(resp);
    if (rc == ACTR_EREMOTE && strstr(actr_last_error()->message, "lease not found"))
        rc = 0;                              /* gone already: what we wanted */
    return rc;
}

int
etcd_put(etcd *e, const char *key, const char *value, int64_t lease, int64_t deadline)
{
    json_t *req = json_object(), *resp = NULL;
    int rc = req ? set_b64(req, "key", key, strlen(key))
                 : actr_error_set(ACTR_ENOMEM, "out of memory");
    if (rc == 0)
        rc = set_b64(req, "value", value, strlen(value));
    if (rc == 0 && lease && json_object_set_new(req, "lease", int_json(lease)) < 0)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    if (rc < 0) {
        json_decref(req);
        return rc;
    }
    rc = call(e, "/v3/kv/put", req, &resp, deadline);
    json_decref(resp);
    return rc;
}

int
etcd_range_prefix(etcd *e, const char *prefix, etcd_kv **v, size_t *n, int64_t *revision,
                  int64_t deadline)
{
    json_t *req = json_object(), *resp = NULL;
    int rc = req ? set_prefix_range(req, prefix) : actr_error_set(ACTR_ENOMEM, "out of memory");
    /* Serializable: any member answers from its own copy, also while the
     * cluster elects a leader (a lookup may be behind by a moment). */
    if (rc == 0 && json_object_set_new(req, "serializable", json_true()) < 0)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    if (rc < 0) {
        json_decref(req);
        return rc;
    }
    if ((rc = call(e, "/v3/kv/range", req, &resp, deadline)) < 0)
        return rc;
    const json_t *kvs = json_object_get(resp, "kvs");
    size_t k = 0, len = json_array_size(kvs);
    etcd_kv *out = calloc(len ? len : 1, sizeof *out);
    if (!out)
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    else if (kvs && !json_is_array(kvs))
        rc = actr_error_set(ACTR_EPROTO, "etcd %s: \"kvs\" is not an array", e->url);
    for (; rc == 0 && k < len; k++)
        rc = kv_parse(json_array_get(kvs, k), &out[k]);
    if (rc == 0)
        rc = int_field(json_object_get(resp, "header"), "revision", revision);
    json_decref(resp);
    if (rc < 0) {
        etcd_kvs_free(out, k);
        return rc;
    }
    *v = out;
    *n = len;
    return 0;
}

/* ------------------------------------------------------------ watch */

struct etcd_watch {
    etcd *e;
    disc_http *h;
    json_t *events;           /* the answer's events not handed out yet */
    size_t next;
};

/* Reads the next "result" object of the stream into *res (decref it). */
static int
watch_result(etcd_watch *w, json_t **res, int64_t deadline)
{
    const char *line;
    size_t len;
    for (;;) {
        int rc = disc_http_line(w->h, &line, &len, deadline);
        if (rc == 0)
            return actr_error_set(ACTR_ECLOSED, "etcd %s closed the watch", w->e->url);
        if (rc < 0)
            return rc;
        if (len == 0)
            continue;
        json_error_t je;
        json_t *j = json_loadb(line, len, 0, &je);
        if (!json_is_object(j)) {
            json_decref(j);
            return actr_error_set(ACTR_EPROTO, "etcd %s: a watch line that is not a JSON"
                                  " object: %.80s", w->e->url, line);
        }
        json_t *r = json_object_get(j, "result");
        if (!json_is_object(r)) {
            int code;
            const char *msg;
            answer_error(j, disc_http_status(w->h), &code, &msg);
            rc = actr_error_set(ACTR_EREMOTE, "etcd %s: watch: %s", w->e->url, msg);
            json_decref(j);
            return rc;
        }
        json_incref(r);
        json_decref(j);
        if (json_is_true(json_object_get(r, "canceled"))) {
            const char *why = json_string_value(json_object_get(r, "cancel_reason"));
            rc = actr_error_set(ACTR_EREMOTE, "etcd %s cancelled the watch: %s", w->e->url,
                                why ? why : "no reason given");
            json_decref(r);
            return rc;
        }
        *res = r;
        return 0;
    }
}

int
etcd_watch_open(etcd *e, const char *prefix, int64_t start_rev, etcd_watch **out,
                int64_t deadline)
{
    json_t *cr = json_object(), *req = json_object();
    int rc = cr && req ? set_prefix_range(cr, prefix)
                       : actr_error_set(ACTR_ENOMEM, "out of memory");
    if (rc == 0 && (json_object_set_new(cr, "start_revision", int_json(start_rev)) < 0 ||
                    json_object_set(req, "create_request", cr) < 0))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    char *body = NULL;
    if (rc == 0 && !(body = json_dumps(req, JSON_COMPACT)))
        rc = actr_error_set(ACTR_ENOMEM, "out of memory");
    json_decref(cr);
    json_decref(req);
    if (rc < 0)
        return rc;
    etcd_watch *w = calloc(1, sizeof *w);
    if (!w) {
        free(body);
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    w->e = e;
    /* Each endpoint in turn until one confirms the watch. */
    for (size_t tried = 0;;) {
        if (e->user && !e->token && (rc = authenticate(e, deadline)) < 0)
            break;
        json_t *res = NULL;
        int64_t adl = attempt_deadline(deadline, e->nep - tried % e->nep);
        rc = start(e, "/v3/watch", body, adl, &w->h);
        if (rc == 0)
            rc = watch_result(w, &res, adl);
        if (rc == 0 && !json_is_true(json_object_get(res, "created")))
            rc = actr_error_set(ACTR_EPROTO, "etcd %s: the watch was not created", e->url);
        json_decref(res);
        if (rc == 0 || rc == ACTR_ECANCELED)
            break;
        disc_http_close(w->h);
        w->h = NULL;
        fail_over(e, actr_last_error()->message);
        if (++tried % e->nep == 0 && (rc = next_round(e, rc, deadline)) < 0)
            break;
    }
    free(body);
    if (rc < 0) {
        etcd_watch_close(w);
        return rc;
    }
    *out = w;
    return 0;
}

int
etcd_watch_next(etcd_watch *w, etcd_kv *kv, int64_t deadline)
{
    while (w->next >= json_array_size(w->events)) {
        json_decref(w->events);
        w->events = NULL;
        w->next = 0;
        json_t *res = NULL;
        int rc = watch_result(w, &res, deadline);
        if (rc < 0)
            return rc;
        json_t *ev = json_object_get(res, "events");
        if (ev && !json_is_array(ev)) {
            json_decref(res);
            return actr_error_set(ACTR_EPROTO, "etcd %s: watch events are not an array",
                                  w->e->url);
        }
        w->events = json_incref(ev);
        json_decref(res);
    }
    const json_t *ev = json_array_get(w->events, w->next++);
    const char *type = json_string_value(json_object_get(ev, "type"));
    int rc = kv_parse(json_object_get(ev, "kv"), kv);
    if (rc == 0)
        kv->deleted = type && strcmp(type, "DELETE") == 0;
    return rc < 0 ? rc : 1;
}

void
etcd_watch_close(etcd_watch *w)
{
    if (!w)
        return;
    disc_http_close(w->h);
    json_decref(w->events);
    free(w);
}
