/* HTTP requests on libcurl's multi interface, driven by the actr loop
 * (discovery/http.h). curl tells us which sockets to watch and when to
 * time out (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION); libev watchers on
 * the loop call curl_multi_socket_action back, always from a libev
 * callback, never from curl's own callbacks. A task waiting for a
 * response parks and is woken by the write callback or by the end of the
 * transfer. */
#define _GNU_SOURCE
#include "discovery/http.h"

#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include <actr/actr.h>

#include "core/sched.h"
#include "discovery/libs.h"

/* A response bigger than this is refused (a registry is small; a
 * misbehaving server must not grow our memory without bound). */
#define HTTP_MAX_RESPONSE (16u << 20)

struct disc_http {
    CURL *easy;
    struct curl_slist *hdrs;
    int in_multi;
    int done;                 /* the transfer ended (result says how) */
    CURLcode result;
    char *buf;                /* response bytes [off, len) not yet handed out */
    size_t off, len, cap;
    char *line;               /* the line handed out last */
    size_t line_cap;
    struct actri_task *waiter;
    char errbuf[CURL_ERROR_SIZE];
};

struct sock {
    ev_io io;
};

static struct {
    const struct disc_libs *c;    /* libcurl */
    CURLM *multi;
    struct ev_loop *loop;
    ev_timer timer;
} H;

/* ------------------------------------------------------------ the loop side */

static void
wake(disc_http *h)
{
    if (h->waiter)
        actri_wake(h->waiter, 1);
}

/* Marks the finished transfers done and wakes their tasks. */
static void
reap(void)
{
    CURLMsg *m;
    int left;
    while ((m = H.c->multi_info_read(H.multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        H.c->easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        disc_http *h = (disc_http *)priv;
        if (!h)
            continue;
        h->done = 1;
        h->result = m->data.result;
        /* Out of the multi at once: its connection goes back to the cache. */
        H.c->multi_remove_handle(H.multi, h->easy);
        h->in_multi = 0;
        wake(h);
    }
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    int flags = ((revents & EV_READ) ? CURL_CSELECT_IN : 0)
              | ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running;
    H.c->multi_socket_action(H.multi, w->fd, flags, &running);   /* may free w */
    reap();
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
    int running;
    H.c->multi_socket_action(H.multi, CURL_SOCKET_TIMEOUT, 0, &running);
    reap();
}

static int
socket_fn(CURL *easy, curl_socket_t s, int what, void *userp, void *sockp)
{
    (void)easy;
    (void)userp;
    struct sock *k = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (k) {
            ev_io_stop(H.loop, &k->io);
            free(k);
        }
        return 0;
    }
    int events = ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (!k) {
        if (!(k = calloc(1, sizeof *k)))
            return -1;
        ev_io_init(&k->io, io_cb, s, events);
        H.c->multi_assign(H.multi, s, k);
    } else {
        ev_io_stop(H.loop, &k->io);
        ev_io_set(&k->io, s, events);
    }
    ev_io_start(H.loop, &k->io);
    return 0;
}

static int
timer_fn(CURLM *multi, long ms, void *userp)
{
    (void)multi;
    (void)userp;
    ev_timer_stop(H.loop, &H.timer);
    if (ms >= 0) {
        /* (0 is "act now": done from the loop, not from inside curl) */
        ev_timer_set(&H.timer, (double)ms / 1e3, 0.);
        ev_timer_start(H.loop, &H.timer);
    }
    return 0;
}

static int
multi_init(void)
{
    if (H.multi)
        return 0;
    int rc = disc_libs(&H.c);
    if (rc < 0)
        return rc;
    if (!(H.multi = H.c->multi_init()))
        return actr_error_set(ACTR_ENOMEM, "out of memory (curl_multi_init)");
    H.loop = actri_loop();
    ev_timer_init(&H.timer, timer_cb, 0., 0.);
    H.c->multi_setopt(H.multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
    H.c->multi_setopt(H.multi, CURLMOPT_TIMERFUNCTION, timer_fn);
    return 0;
}

void
disc_http_end(void)
{
    if (!H.multi)
        return;
    H.c->multi_cleanup(H.multi);      /* closes cached connections: socket_fn REMOVEs */
    ev_timer_stop(H.loop, &H.timer);
    H.multi = NULL;
    H.loop = NULL;
}

/* ------------------------------------------------------------ requests */

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
    disc_http *h = arg;
    size_t n = size * nmemb;
    if (h->off > 0 && h->off == h->len)
        h->off = h->len = 0;          /* everything was handed out */
    if (h->len + n + 1 > h->cap) {
        if (h->off > 0) {
            memmove(h->buf, h->buf + h->off, h->len - h->off);
            h->len -= h->off;
            h->off = 0;
        }
        size_t cap = h->cap ? h->cap : 4096;
        while (cap < h->len + n + 1)
            cap *= 2;
        if (cap > HTTP_MAX_RESPONSE)
            return 0;                 /* CURLE_WRITE_ERROR */
        if (cap > h->cap) {
            char *nb = realloc(h->buf, cap);
            if (!nb)
                return 0;
            h->buf = nb;
            h->cap = cap;
        }
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
    h->buf[h->len] = 0;
    wake(h);
    return n;
}

static int
header_add(disc_http *h, const char *line)
{
    struct curl_slist *l = H.c->slist_append(h->hdrs, line);
    if (!l)
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    h->hdrs = l;
    return 0;
}

static int
setup(disc_http *h, const char *url, const char *body, const disc_http_auth *auth,
      int64_t connect_ms)
{
    CURL *e = h->easy;
    /* (No "Expect: 100-continue" round trip before larger bodies.) */
    int rc = header_add(h, "Content-Type: application/json");
    if (rc == 0)
        rc = header_add(h, "Expect:");
    if (rc == 0 && auth && auth->token) {
        char *hdr = NULL;
        rc = asprintf(&hdr, "Authorization: %s", auth->token) < 0
           ? actr_error_set(ACTR_ENOMEM, "out of memory") : header_add(h, hdr);
        free(hdr);
    }
    if (rc < 0)
        return rc;
    CURLcode c = CURLE_OK;
    c |= H.c->easy_setopt(e, CURLOPT_URL, url);
    c |= H.c->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    c |= H.c->easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    c |= H.c->easy_setopt(e, CURLOPT_HTTPHEADER, h->hdrs);
    c |= H.c->easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    c |= H.c->easy_setopt(e, CURLOPT_WRITEDATA, h);
    c |= H.c->easy_setopt(e, CURLOPT_PRIVATE, h);
    c |= H.c->easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
    c |= H.c->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c |= H.c->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_ms > 0 ? connect_ms : 1));
    /* A registry is reached directly: no proxy from the environment. */
    c |= H.c->easy_setopt(e, CURLOPT_PROXY, "");
    if (auth && auth->cacert)
        c |= H.c->easy_setopt(e, CURLOPT_CAINFO, auth->cacert);
    if (auth && auth->cert)
        c |= H.c->easy_setopt(e, CURLOPT_SSLCERT, auth->cert);
    if (auth && auth->key)
        c |= H.c->easy_setopt(e, CURLOPT_SSLKEY, auth->key);
    if (c != CURLE_OK)
        return actr_error_set(ACTR_EIO, "curl refused the options of a request to %s", url);
    return 0;
}

int
disc_http_start(const char *url, const char *body, const disc_http_auth *auth,
                int64_t connect_ms, disc_http **out)
{
    if (!actri_task_self())
        return actr_error_set(ACTR_ESTATE, "HTTP requests are made from a task");
    int rc = multi_init();
    if (rc < 0)
        return rc;
    disc_http *h = calloc(1, sizeof *h);
    if (!h || !(h->easy = H.c->easy_init())) {
        free(h);
        return actr_error_set(ACTR_ENOMEM, "out of memory");
    }
    if ((rc = setup(h, url, body, auth, connect_ms)) < 0) {
        disc_http_close(h);
        return rc;
    }
    CURLMcode mc = H.c->multi_add_handle(H.multi, h->easy);
    if (mc != CURLM_OK) {
        disc_http_close(h);
        return actr_error_set(ACTR_EIO, "curl: %s", H.c->multi_strerror(mc));
    }
    h->in_multi = 1;
    *out = h;
    return 0;
}

/* How the finished transfer went, as an ACTR_E* code. */
static int
outcome(disc_http *h)
{
    const char *why = h->errbuf[0] ? h->errbuf : H.c->easy_strerror(h->result);
    switch (h->result) {
    case CURLE_OK:
        return 0;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return actr_error_set(ACTR_ECONNREFUSED, "%s", why);
    case CURLE_OPERATION_TIMEDOUT:      /* only the connection is bounded */
        return actr_error_set(ACTR_ECONNREFUSED, "connecting timed out (%s)", why);
    case CURLE_WRITE_ERROR:
        return actr_error_set(ACTR_ETOOBIG, "response over %u bytes (or out of memory)",
                              HTTP_MAX_RESPONSE);
    default:
        return actr_error_set(ACTR_EIO, "%s", why);
    }
}

/* Parks until the write callback or the end of the transfer wakes us. */
static int
wait_more(disc_http *h, int64_t deadline)
{
    h->waiter = actri_task_self();
    int rc = actri_park(deadline);
    h->waiter = NULL;
    if (rc < 0)
        return actr_error_set(rc, rc == ACTR_ETIMEDOUT ? "no HTTP answer in time"
                              : "task cancelled");
    return 0;
}

static int
hand_out(disc_http *h, const char *p, size_t n, const char **line, size_t *len)
{
    if (n + 1 > h->line_cap) {
        char *nl = realloc(h->line, n + 1);
        if (!nl)
            return actr_error_set(ACTR_ENOMEM, "out of memory");
        h->line = nl;
        h->line_cap = n + 1;
    }
    memcpy(h->line, p, n);
    h->line[n] = 0;
    *line = h->line;
    *len = n;
    return 1;
}

int
disc_http_line(disc_http *h, const char **line, size_t *len, int64_t deadline)
{
    for (;;) {
        const char *p = h->buf ? h->buf + h->off : NULL;
        const char *nl = p ? memchr(p, '\n', h->len - h->off) : NULL;
        if (nl) {
            h->off += (size_t)(nl - p) + 1;
            return hand_out(h, p, (size_t)(nl - p), line, len);
        }
        if (h->done) {
            int rc = outcome(h);
            if (rc < 0)
                return rc;
            if (h->off == h->len)
                return 0;
            size_t n = h->len - h->off;
            h->off = h->len;
            return hand_out(h, p, n, line, len);
        }
        int rc = wait_more(h, deadline);
        if (rc < 0)
            return rc;
    }
}

int
disc_http_body(disc_http *h, const char **body, size_t *len, int64_t deadline)
{
    while (!h->done) {
        int rc = wait_more(h, deadline);
        if (rc < 0)
            return rc;
    }
    int rc = outcome(h);
    if (rc < 0)
        return rc;
    *body = h->buf ? h->buf + h->off : "";
    *len = h->len - h->off;
    return 0;
}

long
disc_http_status(const disc_http *h)
{
    long code = 0;
    H.c->easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

void
disc_http_close(disc_http *h)
{
    if (!h)
        return;
    if (h->in_multi)
        H.c->multi_remove_handle(H.multi, h->easy);
    H.c->easy_cleanup(h->easy);
    H.c->slist_free_all(h->hdrs);
    free(h->buf);
    free(h->line);
    free(h);
}
