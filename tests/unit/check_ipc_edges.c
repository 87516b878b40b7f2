/* IPC channel edges: deadlines and cancellation of recv, handshake
 * timeout, connect deadline and refusal, short reads, oversized sends,
 * closing a listener under a blocked accept, addresses in use. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core_util.h"
#include "ipc_util.h"

#define SEC 1000
#define UUID_S "11111111-1111-4111-8111-111111111111"
#define UUID_C "22222222-2222-4222-8222-222222222222"

/* ------------------------------------------------------------ deadlines */

static int
recv_deadline_main(void *arg)
{
    int kind = *(int *)arg;
    actr_listener *l = ipc_test_listen_kind(kind, NULL);
    actr_ipc *cli;
    ck_assert_actr_ok(actr_ipc_connect(actr_listener_addr(l, 0), NULL, &cli,
                                       actr_deadline_in(5 * SEC)));
    actr_ipc *srv;
    ck_assert_actr_ok(actr_listener_accept(l, &srv, actr_deadline_in(5 * SEC)));
    actr_msg m;
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_ipc_recv(srv, &m, actr_deadline_in(100)), ACTR_ETIMEDOUT);
    ck_assert_duration(actr_now() - t0, 90, 1000);
    ck_assert_actr_err(actr_ipc_recv(srv, &m, 0), ACTR_ETIMEDOUT);   /* poll */
    ck_assert_int_eq(actr_ipc_status(srv), 0);                     /* still fine */
    /* a scope's cancellation reaches a blocked recv */
    actr_scope s;
    ck_assert_actr_ok(actr_move_on_after(&s, 50));
    ck_assert_actr_err(actr_ipc_recv(srv, &m, ACTR_FOREVER), ACTR_ECANCELED);
    ck_assert_actr_ok(actr_scope_exit(&s));
    /* accept with nobody coming */
    actr_ipc *none;
    ck_assert_actr_err(actr_listener_accept(l, &none, actr_deadline_in(50)), ACTR_ETIMEDOUT);
    actr_ipc_close(cli, 0);
    actr_ipc_close(srv, 0);
    actr_listener_close(l);
    return 0;
}

START_TEST(test_ipc_recv_deadline_and_cancel)
{
    int fds = ipc_test_fd_count();
    int kind = _i;
    run_main(recv_deadline_main, &kind);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
}
END_TEST

/* A read that returned less than it asked for emptied the socket: the
 * next blocking recv waits for readiness instead of reading again for an
 * EAGAIN (one read per message in a ping-pong, not two), while a recv
 * with deadline 0 still reads what arrived meanwhile. */
static int
short_read_main(void *arg)
{
    int kind = *(int *)arg;
    actr_listener *l = ipc_test_listen_kind(kind, NULL);
    actr_ipc *cli, *srv;
    ck_assert_actr_ok(actr_ipc_connect(actr_listener_addr(l, 0), NULL, &cli,
                                       actr_deadline_in(5 * SEC)));
    ck_assert_actr_ok(actr_listener_accept(l, &srv, actr_deadline_in(5 * SEC)));
    actr_ipc_stats st0, st1;
    actr_ipc_stats_get(srv, &st0);
    enum { N = 20 };
    actr_msg m, y;
    uint8_t scratch[9];
    for (int i = 0; i < N; i++) {
        ipc_test_yield(&y, "ping", (uint64_t)i, scratch);
        ck_assert_actr_ok(actr_ipc_send(cli, &y, ACTR_FOREVER));
        ck_assert_actr_ok(actr_ipc_recv(srv, &m, ACTR_FOREVER));
        ck_assert_int_eq(ipc_test_uint(&m.u.yield.pld), i);
    }
    actr_ipc_stats_get(srv, &st1);
    ck_assert_msg(st1.read_calls - st0.read_calls <= N + 1,
                  "%llu reads for %d messages one at a time",
                  (unsigned long long)(st1.read_calls - st0.read_calls), N);
    /* The last read was short; a message that arrives now is still
     * found by a recv that must not block. */
    ipc_test_yield(&y, "ping", 77, scratch);
    ck_assert_actr_ok(actr_ipc_send(cli, &y, ACTR_FOREVER));
    ck_assert_actr_ok(actr_ipc_flush(cli, actr_deadline_in(5 * SEC)));
    ck_assert_actr_ok(actr_sleep(20));
    ck_assert_actr_ok(actr_ipc_recv(srv, &m, 0));
    ck_assert_int_eq(ipc_test_uint(&m.u.yield.pld), 77);
    ck_assert_actr_err(actr_ipc_recv(srv, &m, 0), ACTR_ETIMEDOUT);
    /* And the end of the stream after a short read is seen. */
    actr_ipc_close(cli, 0);
    ck_assert_actr_err(actr_ipc_recv(srv, &m, actr_deadline_in(5 * SEC)), ACTR_ECLOSED);
    actr_ipc_close(srv, 0);
    actr_listener_close(l);
    return 0;
}

START_TEST(test_ipc_short_read_waits_instead_of_reading_again)
{
    int fds = ipc_test_fd_count();
    int kind = _i;
    run_main(short_read_main, &kind);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
}
END_TEST

/* A handshake the peer never answers ends at its deadline. */
static int
handshake_timeout_main(void *arg)
{
    int kind = *(int *)arg;
    actr_listener *l = ipc_test_listen_kind(kind, NULL);
    actr_ipc *cli, *srv;
    ck_assert_actr_ok(actr_ipc_connect(actr_listener_addr(l, 0), NULL, &cli,
                                       actr_deadline_in(5 * SEC)));
    ck_assert_actr_ok(actr_listener_accept(l, &srv, actr_deadline_in(5 * SEC)));
    actr_msg aid;
    ipc_test_aid(&aid, "server", UUID_S);
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_ipc_handshake(srv, &aid.u.aid, actr_deadline_in(150)),
                       ACTR_ETIMEDOUT);
    ck_assert_duration(actr_now() - t0, 140, 1500);
    ck_assert_ptr_null(actr_ipc_peer(srv));
    ck_assert_actr_err(actr_ipc_status(srv), ACTR_ETIMEDOUT);
    actr_ipc_close(srv, 0);
    /* The silent side got nothing (an acceptor sends its Aid only after
     * the peer's, S28), then the clean close. */
    actr_msg m;
    ck_assert_actr_err(actr_ipc_recv(cli, &m, actr_deadline_in(5 * SEC)), ACTR_ECLOSED);
    actr_ipc_close(cli, 0);
    actr_listener_close(l);
    return 0;
}

START_TEST(test_ipc_handshake_timeout)
{
    int fds = ipc_test_fd_count();
    int kind = _i;
    run_main(handshake_timeout_main, &kind);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
}
END_TEST

/* A TCP listener with a full backlog drops SYNs: connect waits, and its
 * deadline ends the wait. */
static int
connect_deadline_main(void *arg)
{
    (void)arg;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 0), 0);
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    int fill[3];
    for (int i = 0; i < 3; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        (void)connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
    }
    ck_assert_actr_ok(actr_sleep(50));
    actr_addr a;
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    ck_assert_actr_ok(actr_addr_parse(url, &a));
    actr_ipc *ch = NULL;
    int64_t t0 = actr_now();
    ck_assert_actr_err(actr_ipc_connect(&a, NULL, &ch, actr_deadline_in(200)), ACTR_ETIMEDOUT);
    ck_assert_duration(actr_now() - t0, 190, 2000);
    ck_assert_ptr_null(ch);
    for (int i = 0; i < 3; i++)
        close(fill[i]);
    close(lfd);
    return 0;
}

START_TEST(test_ipc_connect_deadline)
{
    int fds = ipc_test_fd_count();
    run_main(connect_deadline_main, NULL);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
}
END_TEST

static int
connect_refused_main(void *arg)
{
    (void)arg;
    /* A port nobody listens on: bind one, note it, close it. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    char url[160], path[128];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    actr_addr a;
    actr_ipc *ch;
    ck_assert_actr_ok(actr_addr_parse(url, &a));
    ck_assert_actr_err(actr_ipc_connect(&a, NULL, &ch, actr_deadline_in(5 * SEC)),
                       ACTR_ECONNREFUSED);
    ck_assert_ptr_nonnull(strstr(actr_last_error()->message, url));
    ipc_test_unix_path(path, sizeof path, url, sizeof url);
    ck_assert_actr_ok(actr_addr_parse(url, &a));
    ck_assert_actr_err(actr_ipc_connect(&a, NULL, &ch, actr_deadline_in(5 * SEC)),
                       ACTR_ECONNREFUSED);
    ck_assert_actr_ok(actr_addr_parse("tcp://no-such-host.invalid:1", &a));
    ck_assert_actr_err(actr_ipc_connect(&a, NULL, &ch, actr_deadline_in(5 * SEC)),
                       ACTR_ENOTFOUND);
    return 0;
}

START_TEST(test_ipc_connect_refused)
{
    int fds = ipc_test_fd_count();
    run_main(connect_refused_main, NULL);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
}
END_TEST

/* ------------------------------------------------------------ misc */

/* A frame over the limit is refused at send, and the channel lives on. */
static int
too_big_main(void *arg)
{
    int kind = *(int *)arg;
    const actr_ipc_opts opts = {.max_frame = 256};
    actr_listener *l = ipc_test_listen_kind(kind, &opts);
    actr_ipc *cli, *srv;
    ck_assert_actr_ok(actr_ipc_connect(actr_listener_addr(l, 0), &opts, &cli,
                                       actr_deadline_in(5 * SEC)));
    ck_assert_actr_ok(actr_listener_accept(l, &srv, actr_deadline_in(5 * SEC)));
    uint8_t big[400];
    big[0] = 0xc5;
    big[1] = 0x01;
    big[2] = 0x80;           /* bin16 of 384 bytes */
    memset(big + 3, 7, sizeof big - 3);
    actr_msg y;
    memset(&y, 0, sizeof y);
    y.type = ACTR_MSG_YIELD;
    y.u.yield.cid = (actr_str){"big", 3};
    y.u.yield.pld = (actr_any){big, 3 + 384};
    ck_assert_actr_err(actr_ipc_send(cli, &y, actr_deadline_in(SEC)), ACTR_ETOOBIG);
    ck_assert_int_eq(actr_ipc_status(cli), 0);
    uint8_t scratch[9];
    ipc_test_yield(&y, "small", 5, scratch);
    ck_assert_actr_ok(actr_ipc_send(cli, &y, actr_deadline_in(SEC)));
    actr_msg m;
    ck_assert_actr_ok(actr_ipc_recv(srv, &m, actr_deadline_in(5 * SEC)));
    ck_assert_int_eq(ipc_test_uint(&m.u.yield.pld), 5);
    actr_ipc_stats st;
    actr_ipc_stats_get(cli, &st);
    ck_assert_uint_eq(st.frames_sent, 1);
    actr_ipc_close(cli, 0);
    actr_ipc_close(srv, 0);
    actr_listener_close(l);
    return 0;
}

START_TEST(test_ipc_send_too_big_refused)
{
    int fds = ipc_test_fd_count();
    int kind = _i;
    run_main(too_big_main, &kind);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
}
END_TEST

struct acc {
    actr_listener *l;
    int rc;
};

static int
accept_forever(void *arg)
{
    struct acc *a = arg;
    actr_ipc *ch;
    a->rc = actr_listener_accept(a->l, &ch, actr_deadline_in(10 * SEC));
    return 0;
}

static int
listener_close_main(void *arg)
{
    int kind = *(int *)arg;
    struct acc a = {ipc_test_listen_kind(kind, NULL), 1};
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, accept_forever, &a));
    ck_assert_actr_ok(actr_sleep(50));
    int64_t t0 = actr_now();
    actr_listener_close(a.l);
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(5 * SEC)));
    ck_assert_actr_err(a.rc, ACTR_ECLOSED);
    ck_assert_duration(actr_now() - t0, 0, 500);
    return 0;
}

START_TEST(test_ipc_listener_close_wakes_accept)
{
    int fds = ipc_test_fd_count();
    int kind = _i;
    run_main(listener_close_main, &kind);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
}
END_TEST

static int
addr_in_use_main(void *arg)
{
    (void)arg;
    actr_listener *l1 = ipc_test_listen_kind(0, NULL), *l2 = ipc_test_listen_kind(1, NULL), *l3;
    /* Same TCP port twice, same live UNIX path twice. */
    ck_assert_actr_err(actr_listener_open(actr_listener_addr(l1, 0), 1, NULL, &l3),
                       ACTR_EADDRINUSE);
    ck_assert_actr_err(actr_listener_open(actr_listener_addr(l2, 0), 1, NULL, &l3),
                       ACTR_EADDRINUSE);
    /* All or nothing: a good address before a taken one is released. */
    char path[128], url[160];
    ipc_test_unix_path(path, sizeof path, url, sizeof url);
    actr_addr two[2];
    ck_assert_actr_ok(actr_addr_parse(url, &two[0]));
    two[1] = *actr_listener_addr(l1, 0);
    ck_assert_actr_err(actr_listener_open(two, 2, NULL, &l3), ACTR_EADDRINUSE);
    struct stat st;
    ck_assert_int_ne(stat(path, &st), 0);
    actr_listener_close(l1);
    /* A stale socket file (nobody listens) is replaced. */
    actr_addr stale = *actr_listener_addr(l2, 0);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    actr_listener_close(l2);
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, stale.path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&un, sizeof un), 0);
    close(fd);                                  /* leaves the file behind */
    ck_assert_int_eq(stat(stale.path, &st), 0);
    ck_assert_actr_ok(actr_listener_open(&stale, 1, NULL, &l3));
    actr_listener_close(l3);
    ck_assert_int_ne(stat(stale.path, &st), 0);
    ck_assert_actr_err(actr_listener_open(NULL, 0, NULL, &l3), ACTR_EINVAL);
    return 0;
}

START_TEST(test_ipc_listener_addr_in_use)
{
    int fds = ipc_test_fd_count();
    run_main(addr_in_use_main, NULL);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
}
END_TEST

static Suite *
ipc_edges_suite(void)
{
    Suite *s = suite_create("ipc_edges");
    TCase *tc = tcase_create("edges");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_ipc_recv_deadline_and_cancel, 0, 2);
    tcase_add_loop_test(tc, test_ipc_handshake_timeout, 0, 2);
    tcase_add_loop_test(tc, test_ipc_short_read_waits_instead_of_reading_again, 0, 2);
    tcase_add_test(tc, test_ipc_connect_deadline);
    tcase_add_test(tc, test_ipc_connect_refused);
    tcase_add_loop_test(tc, test_ipc_send_too_big_refused, 0, 2);
    tcase_add_loop_test(tc, test_ipc_listener_close_wakes_accept, 0, 2);
    tcase_add_test(tc, test_ipc_listener_addr_in_use);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(ipc_edges_suite());
}
