/* discovery/http.h: HTTP POST requests from tasks, on libcurl's multi
 * interface driven by the actor's libev loop: no thread of ours, no
 * blocking call. A task that waits for a response parks; closing a
 * request (also when its task was cancelled) removes it from curl.
 * Private to libactr (etcd.c is its user). */
#ifndef ACTR_DISCOVERY_HTTP_H
#define ACTR_DISCOVERY_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct disc_http disc_http;

/* TLS material and credentials of a request (borrowed; NULL: none). */
typedef struct disc_http_auth {
    const char *cacert;     /* PEM file of the CAs to trust (NULL: the system's) */
    const char *cert;       /* client certificate (PEM) */
    const char *key;        /* its private key (PEM) */
    const char *token;      /* sent as the Authorization header */
} disc_http_auth;

/* Starts POST url with the JSON body (copied) and returns the request in
 * *out. connect_ms bounds the connection (TCP and TLS handshake). Does
 * not block. Returns 0, ACTR_ENOMEM, ACTR_EIO (curl refused the request;
 * detail set), ACTR_ESTATE outside a task. */
int disc_http_start(const char *url, const char *body, const disc_http_auth *auth,
                    int64_t connect_ms, disc_http **out);

/* Waits until the response holds a complete line ('\n'-terminated, or
 * the rest of a finished body) and hands it back in *line / *len
 * (borrowed until the next call on h; the '\n' is not included). Returns
 * 1 with a line, 0 at the end of the body, ACTR_ECONNREFUSED (no
 * connection could be made), ACTR_EIO (the transfer failed; detail
 * set), ACTR_ETIMEDOUT (deadline), ACTR_ECANCELED. Cancellation point. */
int disc_http_line(disc_http *h, const char **line, size_t *len, int64_t deadline);

/* Waits for the whole response; *body / *len borrowed until the close
 * (NUL-terminated). Same returns as disc_http_line (0 when complete). */
int disc_http_body(disc_http *h, const char **body, size_t *len, int64_t deadline);

/* The HTTP status of the response (0 before its headers arrived). */
long disc_http_status(const disc_http *h);

/* Ends the request (aborted when still running) and frees it. Does not
 * block. NULL is a no-op. */
void disc_http_close(disc_http *h);

/* Frees the process's curl state: its cached connections and their
 * watchers. Runs while the loop still runs, after every request was
 * closed (the actor's main task calls it on its way out). */
void disc_http_end(void);

#endif
