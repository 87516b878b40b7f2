/* S28 at the channel level: the secret's sources and files, the
 * handshake's proofs both ways, the insecure opt-in for tractor peers,
 * Unix socket permissions and the input budget. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core_util.h"
#include "ipc_util.h"
#include "testlog.h"

#define SEC 1000
#define UUID_A "00000000-0000-4000-8000-0000000000a1"

static char tmpdir[64];

static void
make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/actr-auth-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

START_TEST(test_S28_secret_file_rules)
{
    char p[128], link[128];
    make_tmpdir();
    snprintf(p, sizeof p, "%s/secret", tmpdir);
    ck_assert_actr_err(actr_secret_load(p), ACTR_ENOTFOUND);
    write_file(p, "a secret of enough bytes\n", 0644);
    ck_assert_actr_err(actr_secret_load(p), ACTR_EPERM);      /* others may read it */
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "chmod 600"));
    write_file(p, "short\n", 0600);
    ck_assert_actr_err(actr_secret_load(p), ACTR_EINVAL);
    write_file(p, "a secret of enough bytes\n", 0600);
    snprintf(link, sizeof link, "%s/link", tmpdir);
    ck_assert_int_eq(symlink(p, link), 0);
    ck_assert_actr_err(actr_secret_load(link), ACTR_EPERM);
    ck_assert_ptr_null(actr_secret_source());
    ck_assert_actr_ok(actr_secret_load(p));
    ck_assert_str_eq(actr_secret_source(), "file");
    /* The secret's bytes never show in an error. */
    ck_assert_actr_err(actr_secret_set("tiny", 4), ACTR_EINVAL);
    unlink(link);
    unlink(p);
    rmdir(tmpdir);
}
END_TEST

START_TEST(test_S28_default_file_created_0600)
{
    char p[160], want[160];
    struct stat st;
    make_tmpdir();
    setenv("XDG_CONFIG_HOME", tmpdir, 1);
    unsetenv("ACTR_SECRET_FILE");
    umask(0);                            /* whatever the umask */
    ck_assert_int_gt(actr_secret_default_path(p, sizeof p), 0);
    snprintf(want, sizeof want, "%s/actr/secret", tmpdir);
    ck_assert_str_eq(p, want);
    /* Only asked for, it is not created: a random secret instead. */
    ck_assert_actr_ok(actr_secret_init(0));
    ck_assert_str_eq(actr_secret_source(), "random");
    ck_assert_int_lt(stat(p, &st), 0);
    ck_assert_actr_ok(actr_secret_load_default(1));
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq((int)st.st_size, 65);                   /* 64 hex digits, newline */
    snprintf(want, sizeof want, "%s/actr", tmpdir);
    ck_assert_int_eq(stat(want, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_str_eq(actr_secret_source(), "default file");
    unlink(p);
    rmdir(want);
    rmdir(tmpdir);
}
END_TEST

/* ------------------------------------------------------------ handshakes */

/* A peer with another secret, in a child process forked before any loop
 * runs: it dials the address it reads from its pipe (or listens and
 * writes its address there, then accepts one connection) and
 * handshakes; it exits with the negated result. */
struct stranger {
    int listen;
    int fd;              /* its end of the pipe */
};

static int
stranger_main(void *arg)
{
    struct stranger *s = arg;
    actr_secret_random();
    actr_ipc *ch;
    actr_msg aid;
    actr_addr a;
    actr_listener *l = NULL;
    ipc_test_aid(&aid, "stranger", UUID_A);
    int rc;
    if (s->listen) {
        l = ipc_test_listen_kind(0, NULL);
        a = *actr_listener_addr(l, 0);
        if (write(s->fd, &a, sizeof a) != (ssize_t)sizeof a)
            return ACTR_EIO;
        rc = actr_listener_accept(l, &ch, actr_deadline_in(5 * SEC));
    } else {
        if (read(s->fd, &a, sizeof a) != (ssize_t)sizeof a)
            return ACTR_EIO;
        rc = actr_ipc_connect(&a, NULL, &ch, actr_deadline_in(5 * SEC));
    }
    if (rc == 0) {
        rc = actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5 * SEC));
        actr_ipc_close(ch, 0);
    }
    actr_listener_close(l);
    return rc;
}

static pid_t
fork_stranger(int listen, int *fd)
{
    int p[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        struct stranger s = {listen, p[1]};
        int rc = actr_run(stranger_main, &s);
        _exit(write(p[1], &rc, sizeof rc) == (ssize_t)sizeof rc ? 0 : 1);
    }
    close(p[1]);
    *fd = p[0];
    return pid;
}

/* The stranger's result, from its pipe (the loop reaps children, so
 * not its exit status). */
static int
wait_stranger(pid_t pid, int fd)
{
    int rc = 1;
    ck_assert_int_eq(read(fd, &rc, sizeof rc), (ssize_t)sizeof rc);
    (void)waitpid(pid, NULL, 0);
    return rc;
}

struct other {
    int listen;
    int fd;
};

static int
other_secret_main(void *arg)
{
    struct other *o = arg;
    actr_ipc *ch;
    actr_msg aid;
    ipc_test_aid(&aid, "server", UUID_A);
    if (!o->listen) {
        /* It dials us: our challenge's proof fails its check (EAUTH
         * there), it leaves, and we never sent it our Aid. */
        actr_listener *l = ipc_test_listen_kind(0, NULL);
        ck_assert_int_eq(write(o->fd, actr_listener_addr(l, 0), sizeof(actr_addr)),
                         (ssize_t)sizeof(actr_addr));
        ck_assert_actr_ok(actr_listener_accept(l, &ch, actr_deadline_in(5 * SEC)));
        ck_assert_actr_err(actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5 * SEC)),
                           ACTR_ECLOSED);
        ck_assert_ptr_null(actr_ipc_peer(ch));
        actr_ipc_close(ch, 0);
        actr_listener_close(l);
        return 0;
    }
    /* We dial it: it cannot prove our secret, we refuse. */
    actr_addr a;
    ck_assert_int_eq(read(o->fd, &a, sizeof a), (ssize_t)sizeof a);
    ck_assert_actr_ok(actr_ipc_connect(&a, NULL, &ch, actr_deadline_in(5 * SEC)));
    ck_assert_actr_err(actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5 * SEC)),
                       ACTR_EAUTH);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "does not hold our secret"));
    actr_ipc_close(ch, 0);
    return 0;
}

START_TEST(test_S28_other_secret_refused_both_ways)
{
    struct other o = {.listen = _i};
    pid_t pid = fork_stranger(o.listen, &o.fd);
    run_main(other_secret_main, &o);
    /* Whoever checks a wrong proof says EAUTH; the other sees it leave. */
    ck_assert_int_eq(wait_stranger(pid, o.fd), o.listen ? ACTR_ECLOSED : ACTR_EAUTH);
    close(o.fd);
}
END_TEST

struct same {
    actr_listener *l;
    int authed;
};

static int
same_server(void *arg)
{
    struct same *s = arg;
    actr_ipc *ch;
    ck_assert_actr_ok(actr_listener_accept(s->l, &ch, actr_deadline_in(5 * SEC)));
    ipc_test_handshake_as(ch, "server", UUID_A);
    s->authed = actr_ipc_peer_authenticated(ch);
    actr_ipc_close(ch, 0);
    return 0;
}

static int
same_secret_main(void *arg)
{
    int kind = *(int *)arg;
    struct same s = {.l = ipc_test_listen_kind(kind, NULL)};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, same_server, &s));
    actr_ipc *cli = ipc_test_dial(s.l, 0, NULL);
    ck_assert_int_eq(actr_ipc_peer_authenticated(cli), 1);
    actr_ipc_close(cli, 0);
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(5 * SEC)));
    ck_assert_int_eq(s.authed, 1);
    actr_listener_close(s.l);
    return 0;
}

START_TEST(test_S28_same_secret_authenticated)
{
    int kind = _i;
    run_main(same_secret_main, &kind);
}
END_TEST

/* A raw client that plays a tractor peer: a plain Aid, then a Start for
 * self:cancel; counts what comes back before EOF. */
struct tractor_peer {
    actr_addr addr;
    int frames;          /* frames received */
    int aid;             /* one of them an Aid */
};

static void *
tractor_peer_client(void *arg)
{
    struct tractor_peer *t = arg;
    int fd = raw_connect(&t->addr);
    actr_msg m;
    ipc_test_aid(&m, "tractor", UUID_A);
    raw_msg(fd, &m);
    m = (actr_msg){.type = ACTR_MSG_START};
    static const uint8_t nokw = 0x80;
    m.u.start.cid = (actr_str){"c1", 2};
    m.u.start.ns = (actr_str){"self", 4};
    m.u.start.func = (actr_str){"cancel", 6};
    m.u.start.kwargs = (actr_any){(uint8_t *)&nokw, 1};
    m.u.start.uid.name = (actr_str){"tractor", 7};
    m.u.start.uid.uuid = (actr_str){UUID_A, strlen(UUID_A)};
    raw_msg(fd, &m);
    uint8_t *body;
    ssize_t n;
    while ((n = raw_read_frame(fd, &body)) >= 0) {
        actr_msg got;
        t->frames++;
        if (actr_msg_decode(body, (size_t)n, &got, NULL) == 0 && got.type == ACTR_MSG_AID)
            t->aid++;
        free(body);
        if (t->aid)
            break;
    }
    close(fd);
    return NULL;
}

static int
tractor_peer_main(void *arg)
{
    int insecure = *(int *)arg;
    actr_ipc_opts o = {.insecure = insecure};
    actr_listener *l = ipc_test_listen_kind(0, &o);
    struct tractor_peer t = {.addr = *actr_listener_addr(l, 0)};
    pthread_t th = raw_spawn(tractor_peer_client, &t);
    actr_ipc *ch;
    actr_msg aid;
    ipc_test_aid(&aid, "server", UUID_A);
    ck_assert_actr_ok(actr_listener_accept(l, &ch, actr_deadline_in(5 * SEC)));
    int rc = actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5 * SEC));
    if (insecure) {
        ck_assert_actr_ok(rc);
        ck_assert_int_eq(actr_ipc_peer_authenticated(ch), 0);
        ck_assert_int_eq(actr_ipc_peer(ch)->has_actr, 0);
    } else {
        ck_assert_actr_err(rc, ACTR_EAUTH);
    }
    actr_ipc_close(ch, 0);
    pthread_join(th, NULL);
    /* Refused: nothing at all was sent to it, not even our Aid. */
    ck_assert_int_eq(t.frames, insecure ? 1 : 0);
    ck_assert_int_eq(t.aid, insecure ? 1 : 0);
    actr_listener_close(l);
    return 0;
}

START_TEST(test_S28_tractor_peer_needs_insecure)
{
    int insecure = _i;
    run_main(tractor_peer_main, &insecure);
}
END_TEST

/* A raw server that answers any Aid with a plain one, as tractor does. */
static void *
tractor_server(void *arg)
{
    int lfd = *(int *)arg;
    for (int i = 0; i < 2; i++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        uint8_t *body;
        if (raw_read_frame(fd, &body) >= 0) {
            free(body);
            actr_msg m;
            ipc_test_aid(&m, "tractor", UUID_A);
            raw_msg(fd, &m);
            while (raw_read_frame(fd, &body) >= 0)
                free(body);
        }
        close(fd);
    }
    return NULL;
}

static int
tractor_listener_main(void *arg)
{
    (void)arg;
    actr_listener *l = ipc_test_listen_kind(0, NULL);
    actr_addr a = *actr_listener_addr(l, 0);
    /* Take the listener's fd over: a plain blocking accept in a thread. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sin;
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_eq(listen(lfd, 4), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
    a.port = ntohs(sin.sin_port);
    actr_listener_close(l);
    pthread_t th = raw_spawn(tractor_server, &lfd);
    actr_msg aid;
    ipc_test_aid(&aid, "client", UUID_A);
    actr_ipc *ch;
    ck_assert_actr_ok(actr_ipc_connect(&a, NULL, &ch, actr_deadline_in(5 * SEC)));
    ck_assert_actr_err(actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5 * SEC)),
                       ACTR_EAUTH);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, "insecure"));
    actr_ipc_close(ch, 0);
    actr_ipc_opts o = {.insecure = 1};
    ck_assert_actr_ok(actr_ipc_connect(&a, &o, &ch, actr_deadline_in(5 * SEC)));
    ck_assert_actr_ok(actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(5 * SEC)));
    ck_assert_int_eq(actr_ipc_peer_authenticated(ch), 0);
    actr_ipc_close(ch, 0);
    pthread_join(th, NULL);
    close(lfd);
    return 0;
}

START_TEST(test_S28_connector_refuses_tractor_listener_unless_insecure)
{
    run_main(tractor_listener_main, NULL);
}
END_TEST

/* ------------------------------------------------------------ Unix, budget */

static int
unix_mode_main(void *arg)
{
    (void)arg;
    actr_listener *l = ipc_test_listen_kind(1, NULL);
    struct stat st;
    ck_assert_int_eq(stat(actr_listener_addr(l, 0)->path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    actr_listener_close(l);
    char dir[ACTR_ADDR_PATH_MAX];
    ck_assert_int_gt(actr_ipc_private_dir(dir, sizeof dir), 0);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(st.st_uid, geteuid());
    return 0;
}

START_TEST(test_S28_unix_socket_0600_whatever_the_umask)
{
    umask(0);
    run_main(unix_mode_main, NULL);
}
END_TEST

/* Raw clients that each pin a big partial frame. */
struct pinner {
    actr_addr addr;
    int fd;
};

static void *
pin_frame(void *arg)
{
    struct pinner *p = arg;
    p->fd = raw_connect(&p->addr);
    uint8_t pre[4] = {0, 0, 0x0c, 0};               /* 768 KiB announced */
    static uint8_t part[600 << 10];
    raw_write(p->fd, pre, 4);
    raw_write(p->fd, part, sizeof part);
    return NULL;
}

static int
budget_main(void *arg)
{
    (void)arg;
    actr_ipc_opts o = {.insecure = 1};
    actr_listener *l = ipc_test_listen_kind(0, &o);
    struct pinner p[2] = {{.addr = *actr_listener_addr(l, 0)}, {.addr = *actr_listener_addr(l, 0)}};
    actr_ipc *ch[2];
    int rc[2];
    for (int i = 0; i < 2; i++) {
        pthread_t th = raw_spawn(pin_frame, &p[i]);
        ck_assert_actr_ok(actr_listener_accept(l, &ch[i], actr_deadline_in(5 * SEC)));
        actr_msg m;
        rc[i] = actr_ipc_recv(ch[i], &m, actr_deadline_in(300));
        pthread_join(th, NULL);
    }
    /* The first waits for the rest of its frame; the second is over the
     * 1 MB budget and is closed. */
    ck_assert_actr_err(rc[0], ACTR_ETIMEDOUT);
    ck_assert_actr_err(rc[1], ACTR_ETOOBIG);
    for (int i = 0; i < 2; i++) {
        actr_ipc_close(ch[i], 0);
        close(p[i].fd);
    }
    actr_listener_close(l);
    return 0;
}

START_TEST(test_S28_partial_frames_within_the_input_budget)
{
    setenv("ACTR_MAX_INPUT", "1000000", 1);
    test_expect_log("over the input budget");
    run_main(budget_main, NULL);
}
END_TEST

/* ------------------------------------------------------------ encryption */

/* A TCP relay between a client and the server that keeps what passes,
 * and may flip one byte of the client's stream at offset flip (0: none). */
struct relay {
    int lfd;                     /* listening */
    actr_addr to;                /* the server */
    size_t flip;
    uint8_t seen[1 << 20];
    size_t nseen;
};

static void *
relay_main(void *arg)
{
    struct relay *r = arg;
    int c = accept(r->lfd, NULL, NULL);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(r->to.port)};
    inet_pton(AF_INET, r->to.host, &sin.sin_addr);
    if (c < 0 || s < 0 || connect(s, (struct sockaddr *)&sin, sizeof sin) < 0)
        return NULL;
    size_t up = 0;
    int open_c = 1, open_s = 1;
    while (open_c || open_s) {
        struct pollfd p[2] = {{c, open_c ? POLLIN : 0, 0}, {s, open_s ? POLLIN : 0, 0}};
        if (poll(p, 2, 5000) <= 0)
            break;
        uint8_t buf[16384];
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t n = read(p[i].fd, buf, sizeof buf);
            if (n <= 0) {
                shutdown(i == 0 ? s : c, SHUT_WR);
                if (i == 0)
                    open_c = 0;
                else
                    open_s = 0;
                continue;
            }
            if (i == 0 && r->flip && up <= r->flip && r->flip < up + (size_t)n)
                buf[r->flip - up] ^= 0x40;
            if (i == 0)
                up += (size_t)n;
            if (r->nseen + (size_t)n <= sizeof r->seen) {
                memcpy(r->seen + r->nseen, buf, (size_t)n);
                r->nseen += (size_t)n;
            }
            if (write(i == 0 ? s : c, buf, (size_t)n) != n)
                break;
        }
    }
    close(c);
    close(s);
    return NULL;
}

#define MARKER "PLAINTEXT-MARKER-0123456789"

struct crypt_case {
    int flip;                    /* tamper with the client's stream */
    int got;                     /* Yields the server received */
    int end;                     /* the server's recv result at the end */
    int encrypted;               /* the channel said so in its stats */
    struct relay *r;
    actr_listener *l;
};

static int
crypt_server(void *arg)
{
    struct crypt_case *k = arg;
    actr_ipc *ch;
    ck_assert_actr_ok(actr_listener_accept(k->l, &ch, actr_deadline_in(5 * SEC)));
    ipc_test_handshake_as(ch, "server", UUID_A);
    for (;;) {
        actr_msg m;
        int rc = actr_ipc_recv(ch, &m, actr_deadline_in(5 * SEC));
        if (rc < 0) {
            k->end = rc;
            break;
        }
        if (m.type == ACTR_MSG_YIELD && m.u.yield.pld.len == sizeof MARKER &&
            memcmp(m.u.yield.pld.ptr + 1, MARKER, sizeof MARKER - 1) == 0)
            k->got++;
    }
    actr_ipc_close(ch, 0);
    return 0;
}

static int
crypt_main(void *arg)
{
    struct crypt_case *k = arg;
    k->l = ipc_test_listen_kind(0, NULL);
    struct relay *r = k->r;
    r->to = *actr_listener_addr(k->l, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sin;
    r->lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(r->lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    ck_assert_int_eq(listen(r->lfd, 1), 0);
    ck_assert_int_eq(getsockname(r->lfd, (struct sockaddr *)&sin, &sl), 0);
    actr_addr via = r->to;
    via.port = ntohs(sin.sin_port);
    pthread_t th = raw_spawn(relay_main, r);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, crypt_server, k));
    actr_ipc *ch;
    ck_assert_actr_ok(actr_ipc_connect(&via, NULL, &ch, actr_deadline_in(5 * SEC)));
    ipc_test_handshake_as(ch, "client", "22222222-2222-4222-8222-222222222222");
    if (k->flip)
        r->flip = r->nseen + 40;       /* inside the first record */
    uint8_t pld[sizeof MARKER];
    pld[0] = 0xa0 | (sizeof MARKER - 1);
    memcpy(pld + 1, MARKER, sizeof MARKER - 1);
    for (int i = 0; i < 10; i++) {
        actr_msg y = {.type = ACTR_MSG_YIELD};
        y.u.yield.cid = (actr_str){"k1", 2};
        y.u.yield.pld = (actr_any){pld, sizeof pld};
        ck_assert_actr_ok(actr_ipc_send(ch, &y, actr_deadline_in(5 * SEC)));
    }
    int frc = actr_ipc_flush(ch, actr_deadline_in(5 * SEC));
    ck_assert(frc == 0 || k->flip);     /* a tampered stream may be cut first */
    actr_ipc_close(ch, actr_deadline_in(2 * SEC));
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(10 * SEC)));
    pthread_join(th, NULL);
    close(r->lfd);
    actr_listener_close(k->l);
    return 0;
}

static int
seen_marker(const struct relay *r)
{
    return memmem(r->seen, r->nseen, MARKER, sizeof MARKER - 1) != NULL;
}

START_TEST(test_S28_encrypted_link_hides_and_guards_frames)
{
    static struct relay r;
    struct crypt_case k = {.r = &r};
    /* Off (the default on loopback): the frames pass in the clear. */
    setenv("ACTR_ENCRYPT", "off", 1);
    pid_t pid = fork();
    if (pid == 0) {
        actr_run(crypt_main, &k);
        _exit(k.got == 10 && seen_marker(&r) ? 0 : 1);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "plain link: marker not seen");
    /* On: the same frames arrive, and the relay never sees them. */
    setenv("ACTR_ENCRYPT", "on", 1);
    run_main(crypt_main, &k);
    ck_assert_int_eq(k.got, 10);
    ck_assert_actr_err(k.end, ACTR_ECLOSED);
    ck_assert(r.nseen > 0);
    ck_assert(!seen_marker(&r));
}
END_TEST

START_TEST(test_S28_tampered_record_ends_the_channel)
{
    static struct relay r;
    struct crypt_case k = {.r = &r, .flip = 1};
    setenv("ACTR_ENCRYPT", "on", 1);
    test_expect_log("does not decrypt");
    run_main(crypt_main, &k);
    ck_assert_int_eq(k.got, 0);
    ck_assert_actr_err(k.end, ACTR_EPROTO);
}
END_TEST

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("S28");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S28_secret_file_rules);
    tcase_add_test(tc, test_S28_default_file_created_0600);
    tcase_add_loop_test(tc, test_S28_other_secret_refused_both_ways, 0, 2);
    tcase_add_loop_test(tc, test_S28_same_secret_authenticated, 0, 2);
    tcase_add_loop_test(tc, test_S28_tractor_peer_needs_insecure, 0, 2);
    tcase_add_test(tc, test_S28_connector_refuses_tractor_listener_unless_insecure);
    tcase_add_test(tc, test_S28_unix_socket_0600_whatever_the_umask);
    tcase_add_test(tc, test_S28_partial_frames_within_the_input_budget);
    tcase_add_test(tc, test_S28_encrypted_link_hides_and_guards_frames);
    tcase_add_test(tc, test_S28_tampered_record_ends_the_channel);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
