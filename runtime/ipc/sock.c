/* Sockets: actr_addr <-> sockaddr, socket options, and connecting with a
 * deadline (non-blocking connect, then a wait for writability). */
#define _GNU_SOURCE
#include "ipc/channel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

/* While a UNIX listener's backlog is full, connect is retried this often. */
#define UNIX_RETRY_MS 5

int
actri_sock_resolve(const actr_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (a->kind == ACTR_ADDR_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        size_t n = strnlen(a->path, sizeof a->path);
        if (n == 0 || n >= sizeof un->sun_path)
            return actr_error_set(ACTR_EINVAL, "ipc: bad unix socket path");
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, a->path, n + 1);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        return 0;
    }
    if (a->kind != ACTR_ADDR_TCP || !a->host[0]
        || !memchr(a->host, '\0', sizeof a->host))
        return actr_error_set(ACTR_EINVAL, "ipc: bad address");
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    int e = getaddrinfo(a->host, NULL, &hints, &res);
    if (e == EAI_NONAME) {
        hints.ai_flags = AI_ADDRCONFIG;     /* a name: resolve it (blocking) */
        e = getaddrinfo(a->host, NULL, &hints, &res);
    }
    if (e != 0 || !res)
        return actr_error_set(ACTR_ENOTFOUND, "ipc: cannot resolve host '%s': %s",
                              a->host, gai_strerror(e));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(a->port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons(a->port);
    return 0;
}

void
actri_sock_to_addr(const struct sockaddr *sa, socklen_t len, actr_addr *out)
{
    memset(out, 0, sizeof *out);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        out->kind = ACTR_ADDR_TCP;
        inet_ntop(AF_INET, &in->sin_addr, out->host, sizeof out->host);
        out->port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        out->kind = ACTR_ADDR_TCP;
        inet_ntop(AF_INET6, &in6->sin6_addr, out->host, sizeof out->host);
        out->port = ntohs(in6->sin6_port);
    } else if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t off = offsetof(struct sockaddr_un, sun_path);
        size_t n = len > off ? (size_t)len - off : 0;
        if (n >= sizeof out->path)
            n = sizeof out->path - 1;
        out->kind = ACTR_ADDR_UNIX;
        memcpy(out->path, un->sun_path, n);
        out->path[n] = '\0';
    }
}

void
actri_sock_nodelay(int fd, int family)
{
    if (family != AF_INET && family != AF_INET6)
        return;
    int one = 1;
    /* Frames are batched by the flush hook already; Nagle would only add
     * latency to the last frame of each batch. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int
connect_error(const actr_addr *addr, int e)
{
    char url[ACTR_ADDR_URL_MAX];
    if (actr_addr_format(addr, url, sizeof url) < 0)
        strcpy(url, "?");
    int code = (e == ECONNREFUSED || e == ENOENT) ? ACTR_ECONNREFUSED
             : e == ETIMEDOUT ? ACTR_ETIMEDOUT : ACTR_EIO;
    return actr_error_set(code, "ipc: connect to %s: %s", url, strerror(e));
}

int
actr_ipc_connect(const actr_addr *addr, const actr_ipc_opts *opts, actr_ipc **out,
                 int64_t deadline)
{
    if (!addr || !out)
        return actr_error_set(ACTR_EINVAL, "ipc: connect without an address");
    if (!actri_task_self())
        return actr_error_set(ACTR_ESTATE, "ipc: connect outside a task");
    if (actri_cancelled())
        return actr_error_set(ACTR_ECANCELED, "task cancelled");
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = actri_sock_resolve(addr, &ss, &sl);
    if (rc < 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return actr_error_set(ACTR_EIO, "ipc: socket: %s", strerror(errno));
    actri_sock_nodelay(fd, ss.ss_family);
    for (;;) {
        if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
            break;
        int e = errno;
        if (e == EINPROGRESS || e == EINTR) {
            rc = actr_fd_wait(fd, ACTR_WRITE, deadline);
            if (rc == ACTR_ETIMEDOUT) {
                rc = connect_error(addr, ETIMEDOUT);
                goto fail_rc;
            }
            if (rc < 0)
                goto fail_rc;
            socklen_t el = sizeof e;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
                e = errno;
            if (e == 0)
                break;
            rc = connect_error(addr, e);
            goto fail_rc;
        }
        if (e == EAGAIN && ss.ss_family == AF_UNIX) {
            /* The listener's backlog is full: wait for room, as a blocking
             * connect would, but within the deadline. */
            int64_t now = actr_now();
            if (deadline >= 0 && deadline <= now) {
                rc = actr_error_set(ACTR_ETIMEDOUT, "ipc: connect to unix://%s: listener"
                                    " busy until the deadline", addr->path);
                goto fail_rc;
            }
            int64_t next = now + UNIX_RETRY_MS;
            if ((rc = actr_sleep_until(deadline >= 0 && deadline < next ? deadline
                                                                        : next)) < 0)
                goto fail_rc;
            continue;
        }
        if (e == EISCONN)
            break;
        rc = connect_error(addr, e);
        goto fail_rc;
    }
    if ((rc = actri_ipc_new(fd, opts, addr, out)) < 0)
        goto fail_rc;
    return 0;
fail_rc:
    close(fd);
    return rc;
}
