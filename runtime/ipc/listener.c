/* Listeners: one object listening on several addresses at once (S19
 * multi-homing), TCP and UNIX mixed; accept hands out channels from
 * whichever address a peer came in on. */
#define _GNU_SOURCE
#include "ipc/channel.h"

#include <actr/env.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BACKLOG 128
/* Pause after running out of fds, as trio's serve_listeners does. */
#define ACCEPT_PAUSE_MS 100

struct actr_listener {
    size_t n;
    actr_addr *addrs;            /* as bound */
    int *fds;
    int *owns_path;              /* a UNIX file we created: unlink at close */
    ev_io *ws;                   /* readable: wakes the accepting task */
    actr_ipc_opts opts;
    struct actri_task *waiter;   /* parked in accept */
    size_t next;                 /* round robin over the addresses */
    int refs;                    /* the owner + a call in progress */
    int closing;
};

static void
listener_free(actr_listener *l)
{
    free(l->addrs);
    free(l->fds);
    free(l->owns_path);
    free(l->ws);
    free(l);
}

static void
unref(actr_listener *l)
{
    if (--l->refs == 0)
        listener_free(l);
}

/* A UNIX socket file nobody accepts on is left over from a dead process. */
static int
unix_path_stale(const struct sockaddr_storage *ss, socklen_t sl)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int stale = connect(fd, (const struct sockaddr *)ss, sl) < 0 && errno == ECONNREFUSED;
    close(fd);
    return stale;
}

int
actr_ipc_private_dir(char *buf, size_t cap)
{
    const char *rt = actr_env_get(ACTR_ENV_XDG_RUNTIME_DIR);
    int n = rt && rt[0] == '/' ? snprintf(buf, cap, "%s/actr", rt)
                               : snprintf(buf, cap, "/tmp/actr-%u", (unsigned)geteuid());
    if (n < 0 || (size_t)n >= cap || (size_t)n + 40 >= ACTR_ADDR_PATH_MAX)
        return actr_error_set(ACTR_ERANGE, "ipc: private socket directory path too long");
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return actr_error_set(ACTR_EIO, "ipc: mkdir %s: %s", buf, strerror(errno));
    struct stat st;
    if (lstat(buf, &st) < 0)
        return actr_error_set(ACTR_EIO, "ipc: %s: %s", buf, strerror(errno));
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
        return actr_error_set(ACTR_EPERM, "ipc: %s is not a private directory of ours (a"
                              " directory of uid %u, mode 0700)", buf, (unsigned)geteuid());
    return n;
}

/* Binds and listens on one address; fills l's slot i. */
static int
listen_one(actr_listener *l, size_t i, const actr_addr *a)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = actri_sock_resolve(a, &ss, &sl);
    if (rc < 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return actr_error_set(ACTR_EIO, "ipc: socket: %s", strerror(errno));
    int one = 1;
    if (ss.ss_family != AF_UNIX)
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)   /* [::] and 0.0.0.0 can then both be bound */
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    /* S28: a Unix socket file is ours alone (0600) whatever the umask,
     * from the moment it exists. */
    mode_t um = ss.ss_family == AF_UNIX ? umask(0177) : 0;
    int r = bind(fd, (struct sockaddr *)&ss, sl);
    if (r < 0 && errno == EADDRINUSE && ss.ss_family == AF_UNIX && unix_path_stale(&ss, sl)) {
        struct stat st;
        if (lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
            actr_log_info(IPC_TAG, "ipc: replacing stale socket file %s", a->path);
            unlink(a->path);
            r = bind(fd, (struct sockaddr *)&ss, sl);
        }
    }
    if (ss.ss_family == AF_UNIX) {
        int e = errno;
        umask(um);
        if (r == 0 && chmod(a->path, 0600) < 0)
            actr_log_warning(IPC_TAG, "ipc: chmod 600 %s: %s", a->path, strerror(errno));
        errno = e;
    }
    char url[ACTR_ADDR_URL_MAX];
    if (actr_addr_format(a, url, sizeof url) < 0)
        strcpy(url, "?");
    if (r < 0) {
        int e = errno;
        close(fd);
        return actr_error_set(e == EADDRINUSE ? ACTR_EADDRINUSE
                              : e == EADDRNOTAVAIL || e == ENOENT ? ACTR_EINVAL : ACTR_EIO,
                              "ipc: bind %s: %s", url, strerror(e));
    }
    if (ss.ss_family == AF_UNIX)
        l->owns_path[i] = 1;
    if (listen(fd, BACKLOG) < 0) {
        int e = errno;
        close(fd);
        if (l->owns_path[i])
            unlink(a->path);
        l->owns_path[i] = 0;
        return actr_error_set(ACTR_EIO, "ipc: listen %s: %s", url, strerror(e));
    }
    if (ss.ss_family == AF_UNIX) {
        l->addrs[i] = *a;
    } else {
        struct sockaddr_storage got;
        socklen_t gl = sizeof got;
        if (getsockname(fd, (struct sockaddr *)&got, &gl) == 0)
            actri_sock_to_addr((struct sockaddr *)&got, gl, &l->addrs[i]);
        else
            l->addrs[i] = *a;
    }
    l->fds[i] = fd;
    return 0;
}

static void
ws_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    actr_listener *l = w->data;
    if (l->waiter)
        actri_wake(l->waiter, 0);
}

static void
stop_all(actr_listener *l)
{
    struct ev_loop *loop = actri_loop();
    for (size_t i = 0; loop && i < l->n; i++)
        if (ev_is_active(&l->ws[i]))
            ev_io_stop(loop, &l->ws[i]);
}

static void
close_fds(actr_listener *l)
{
    stop_all(l);
    for (size_t i = 0; i < l->n; i++) {
        if (l->fds[i] >= 0)
            close(l->fds[i]);
        l->fds[i] = -1;
        if (l->owns_path[i])
            unlink(l->addrs[i].path);
        l->owns_path[i] = 0;
    }
}

int
actr_listener_open(const actr_addr *addrs, size_t n, const actr_ipc_opts *opts,
                   actr_listener **out)
{
    if (!addrs || n == 0 || !out)
        return actr_error_set(ACTR_EINVAL, "ipc: listen on no address");
    actr_listener *l = calloc(1, sizeof *l);
    if (!l)
        return actr_error_set(ACTR_ENOMEM, "ipc: out of memory for a listener");
    l->n = n;
    l->refs = 1;
    l->addrs = calloc(n, sizeof *l->addrs);
    l->fds = malloc(n * sizeof *l->fds);
    l->owns_path = calloc(n, sizeof *l->owns_path);
    l->ws = calloc(n, sizeof *l->ws);
    if (!l->addrs || !l->fds || !l->owns_path || !l->ws) {
        listener_free(l);
        return actr_error_set(ACTR_ENOMEM, "ipc: out of memory for a listener");
    }
    if (opts)
        l->opts = *opts;
    for (size_t i = 0; i < n; i++)
        l->fds[i] = -1;
    for (size_t i = 0; i < n; i++) {
        int rc = listen_one(l, i, &addrs[i]);
        if (rc < 0) {
            close_fds(l);
            listener_free(l);
            return rc;
        }
        ev_io_init(&l->ws[i], ws_cb, l->fds[i], EV_READ);
        l->ws[i].data = l;
        char url[ACTR_ADDR_URL_MAX];
        if (actr_addr_format(&l->addrs[i], url, sizeof url) > 0)
            actr_log_runtime(IPC_TAG, "ipc: listening on %s", url);
    }
    *out = l;
    return 0;
}

size_t
actr_listener_naddrs(const actr_listener *l)
{
    return l ? l->n : 0;
}

const actr_addr *
actr_listener_addr(const actr_listener *l, size_t i)
{
    return l && i < l->n ? &l->addrs[i] : NULL;
}

/* One non-blocking pass over every address. Returns 1 with *fd and *idx,
 * 0 when nobody waits, or ACTR_EAGAIN after a transient resource error. */
static int
try_accept(actr_listener *l, int *fd, size_t *idx, struct sockaddr_storage *ss,
           socklen_t *sl)
{
    for (size_t k = 0; k < l->n; k++) {
        size_t i = (l->next + k) % l->n;
        for (;;) {
            *sl = sizeof *ss;
            int c = accept4(l->fds[i], (struct sockaddr *)ss, sl,
                            SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (c >= 0) {
                l->next = i + 1;
                *fd = c;
                *idx = i;
                return 1;
            }
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            /* Out of fds under a flood: one warning per 10 s, not one
             * per pause (S28: a flood must not flood the log). */
            static int64_t last;
            static unsigned quiet;
            int e = errno;
            int64_t now = actr_now();
            if (last && now - last < 10000) {
                quiet++;
                return ACTR_EAGAIN;
            }
            last = now;
            actr_log_warning(IPC_TAG, "ipc: accept on %s failed: %s; pausing (%u more"
                             " failures not logged)", l->addrs[i].kind == ACTR_ADDR_UNIX
                             ? l->addrs[i].path : l->addrs[i].host, strerror(e), quiet);
            quiet = 0;
            return ACTR_EAGAIN;
        }
    }
    return 0;
}

int
actr_listener_accept(actr_listener *l, actr_ipc **out, int64_t deadline)
{
    if (!l || !out)
        return actr_error_set(ACTR_EINVAL, "ipc: accept without a listener");
    if (!actri_task_self())
        return actr_error_set(ACTR_ESTATE, "ipc: accept outside a task");
    if (l->closing)
        return actr_error_set(ACTR_ECLOSED, "ipc: listener closed");
    if (actri_cancelled())
        return actr_error_set(ACTR_ECANCELED, "task cancelled");
    if (l->waiter)
        return actr_error_set(ACTR_ESTATE, "ipc: another task is accepting");
    l->refs++;
    int rc;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl;
        int fd;
        size_t idx;
        rc = try_accept(l, &fd, &idx, &ss, &sl);
        if (rc == 1) {
            actr_addr remote;
            if (l->addrs[idx].kind == ACTR_ADDR_UNIX)
                remote = l->addrs[idx];
            else
                actri_sock_to_addr((struct sockaddr *)&ss, sl, &remote);
            actri_sock_nodelay(fd, ss.ss_family);
            if ((rc = actri_ipc_new(fd, &l->opts, &remote, out)) < 0)
                close(fd);
            else
                (*out)->acceptor = 1;
            if (rc == 0)
                actr_log_runtime(IPC_TAG, "ipc: accepted a connection from %s",
                                 (*out)->name);
            break;
        }
        if (rc == ACTR_EAGAIN) {
            int64_t now = actr_now(), until = now + ACCEPT_PAUSE_MS;
            if (deadline >= 0 && deadline <= now)
                rc = ACTR_ETIMEDOUT;
            else
                rc = actr_sleep_until(deadline >= 0 && deadline < until ? deadline : until);
        } else {
            for (size_t i = 0; i < l->n; i++)
                ev_io_start(actri_loop(), &l->ws[i]);
            l->waiter = actri_task_self();
            rc = actri_park(deadline);
            l->waiter = NULL;
            if (!l->closing)
                stop_all(l);
        }
        if (l->closing) {
            rc = actr_error_set(ACTR_ECLOSED, "ipc: listener closed");
            break;
        }
        if (rc < 0) {
            rc = actr_error_set(rc, rc == ACTR_ETIMEDOUT ? "ipc: accept deadline passed"
                                : "task cancelled");
            break;
        }
    }
    unref(l);
    return rc;
}

void
actr_listener_close(actr_listener *l)
{
    if (!l || l->closing)
        return;
    l->closing = 1;
    if (l->waiter)
        actri_wake(l->waiter, ACTR_ECLOSED);
    close_fds(l);
    unref(l);
}
