/* Bad input on IPC channels, sent by raw blocking socket clients in a
 * thread: handled as the Python system does (undecodable frames skipped,
 * the fifth on a channel closes it; badly typed messages answered with MsgTypeError;
 * oversized frames and broken handshakes close that channel), clean close
 * told apart from a broken transport, and after each case the listener
 * still serves a second, well-behaved client. Both transports. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core_util.h"
#include "ipc_util.h"

#define SEC 1000
#define MAXMSGS 8

struct served {
    int hs_rc;                 /* handshake result */
    char hs_msg[256];          /* and its error's message */
    int nmsgs;                 /* messages received after it */
    char cids[MAXMSGS][16];
    int end_rc;                /* what ended the receive loop */
    actr_ipc_stats st;
};

struct scenario {
    int kind;                  /* 0 tcp, 1 unix */
    actr_ipc_opts opts;
    int64_t hs_ms;             /* server handshake timeout */
    void *(*client)(void *);
    actr_addr addr;            /* where the client connects */
    struct served first, second;
    char client_err[160];      /* empty when the client saw what it expected */
};

static void
client_fail(struct scenario *sc, const char *fmt, ...)
{
    if (sc->client_err[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sc->client_err, sizeof sc->client_err, fmt, ap);
    va_end(ap);
}

/* Accepts one client and serves it: handshake, then receive until the
 * channel ends, noting every message's cid. */
static void
serve_one(actr_listener *l, struct scenario *sc, struct served *out)
{
    actr_ipc *ch;
    ck_assert_actr_ok(actr_listener_accept(l, &ch, actr_deadline_in(5 * SEC)));
    actr_msg aid;
    ipc_test_aid(&aid, "server", "33333333-3333-4333-8333-333333333333");
    out->hs_rc = actr_ipc_handshake(ch, &aid.u.aid, actr_deadline_in(sc->hs_ms));
    if (out->hs_rc < 0)
        snprintf(out->hs_msg, sizeof out->hs_msg, "%s", actr_last_error()->message);
    out->end_rc = out->hs_rc;
    if (out->hs_rc == 0) {
        actr_msg m;
        int rc;
        while ((rc = actr_ipc_recv(ch, &m, actr_deadline_in(5 * SEC))) == 0) {
            actr_str cid = {"", 0};
            (void)actr_msg_cid(&m, &cid);
            if (out->nmsgs < MAXMSGS)
                snprintf(out->cids[out->nmsgs], sizeof out->cids[0], "%.*s",
                         (int)cid.len, cid.ptr);
            out->nmsgs++;
        }
        out->end_rc = rc;
    }
    actr_ipc_stats_get(ch, &out->st);
    actr_ipc_close(ch, actr_deadline_in(SEC));
}

static int
yield_frame(int fd, const char *cid)
{
    uint8_t scratch[9];
    actr_msg y;
    ipc_test_yield(&y, cid, 1, scratch);
    return raw_msg(fd, &y);
}

/* Waits for the server to close: reads frames until EOF; returns how
 * many arrived. */
static int
read_until_eof(int fd)
{
    int n = 0;
    uint8_t *body;
    while (raw_read_frame(fd, &body) >= 0) {
        free(body);
        n++;
    }
    return n;
}

/* The well-behaved second client. */
static void *
good_client(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "good") < 0 || yield_frame(fd, "second") < 0)
        client_fail(sc, "second client could not talk");
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void
run_scenario(struct scenario *sc)
{
    actr_listener *l;
    actr_addr a;
    char path[128], url[160];
    if (sc->kind == 0) {
        ck_assert_actr_ok(actr_addr_parse("tcp://127.0.0.1:0", &a));
    } else {
        ipc_test_unix_path(path, sizeof path, url, sizeof url);
        ck_assert_actr_ok(actr_addr_parse(url, &a));
    }
    /* The clients are raw sockets that play a tractor peer: no secret
     * (S28's insecure opt-in; check_auth tests the refusal). */
    sc->opts.insecure = 1;
    ck_assert_actr_ok(actr_listener_open(&a, 1, &sc->opts, &l));
    sc->addr = *actr_listener_addr(l, 0);
    if (!sc->hs_ms)
        sc->hs_ms = 5 * SEC;

    pthread_t t = raw_spawn(sc->client, sc);
    serve_one(l, sc, &sc->first);
    pthread_join(t, NULL);

    sc->hs_ms = 5 * SEC;
    t = raw_spawn(good_client, sc);
    serve_one(l, sc, &sc->second);
    pthread_join(t, NULL);
    actr_listener_close(l);
}

static int
scenario_main(void *arg)
{
    run_scenario(arg);
    return 0;
}

/* Log lines of the ipc layer, captured: bad input must be logged. */
static int n_warnings, n_errors;
static char last_error[256];

static void
capture_sink(const actr_log_record *rec, void *ud)
{
    (void)ud;
    if (strcmp(rec->tag, "ipc") != 0)
        return;
    if (rec->level >= ACTR_LOG_ERROR) {
        n_errors++;
        snprintf(last_error, sizeof last_error, "%s", rec->msg);
    } else if (rec->level >= ACTR_LOG_WARNING) {
        n_warnings++;
    }
}

/* Runs sc in a fresh loop, checks no fd leaked and that the second
 * client was served normally. */
static void
check_scenario(struct scenario *sc)
{
    int fds = ipc_test_fd_count();
    n_warnings = n_errors = 0;
    last_error[0] = 0;
    actr_log_set_sink(capture_sink, NULL);
    run_main(scenario_main, sc);
    actr_log_set_sink(NULL, NULL);
    ck_assert_int_eq(ipc_test_fd_count(), fds);
    ck_assert_msg(sc->client_err[0] == 0, "client: %s", sc->client_err);
    ck_assert_actr_ok(sc->second.hs_rc);
    ck_assert_int_eq(sc->second.nmsgs, 1);
    ck_assert_str_eq(sc->second.cids[0], "second");
    ck_assert_actr_err(sc->second.end_rc, ACTR_ECLOSED);
}

/* ------------------------------------------------------------ undecodable */

static const struct { const char *b; size_t n; } garbage[] = {
    {"\xc1", 1},              /* the never-used byte */
    {"\x92\x01", 2},          /* array of 2 with one element */
    {"", 0},                  /* empty frame */
    {"\xa5hi", 3},            /* string cut short */
    {"\x01\x02", 2},          /* two values in one frame */
};

static int
send_garbage(int fd, size_t k)
{
    return raw_frame(fd, garbage[k % 5].b, garbage[k % 5].n);
}

static void *
cl_skipped(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    /* 4 bad ones around good ones: all skipped, the channel stays */
    yield_frame(fd, "before");
    for (size_t k = 0; k < 2; k++)
        send_garbage(fd, k);
    yield_frame(fd, "after1");
    for (size_t k = 2; k < 4; k++)
        send_garbage(fd, k);
    yield_frame(fd, "after2");
    close(fd);
    return NULL;
}

START_TEST(test_ipc_bad_undecodable_skipped)
{
    struct scenario sc = {.kind = _i, .client = cl_skipped};
    check_scenario(&sc);
    ck_assert_actr_ok(sc.first.hs_rc);
    ck_assert_int_eq(sc.first.nmsgs, 3);
    ck_assert_str_eq(sc.first.cids[0], "before");
    ck_assert_str_eq(sc.first.cids[1], "after1");
    ck_assert_str_eq(sc.first.cids[2], "after2");
    ck_assert_uint_eq(sc.first.st.frames_skipped, 4);
    ck_assert_int_eq(n_warnings, 4);            /* one line per skipped frame */
    ck_assert_int_eq(n_errors, 0);
    ck_assert_actr_err(sc.first.end_rc, ACTR_ECLOSED);
}
END_TEST

static void *
cl_five_in_a_row(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    for (size_t k = 0; k < 5; k++)
        send_garbage(fd, k);
    yield_frame(fd, "never");
    int n = read_until_eof(fd);           /* the server closes on us */
    if (n != 0)
        client_fail(sc, "got %d frames, wanted none", n);
    close(fd);
    return NULL;
}

START_TEST(test_ipc_bad_five_undecodable_close)
{
    struct scenario sc = {.kind = _i, .client = cl_five_in_a_row};
    check_scenario(&sc);
    ck_assert_actr_ok(sc.first.hs_rc);
    ck_assert_int_eq(sc.first.nmsgs, 0);
    ck_assert_uint_eq(sc.first.st.frames_skipped, 5);
    ck_assert_ptr_nonnull(strstr(last_error, "5 undecodable frames"));
    ck_assert_actr_err(sc.first.end_rc, ACTR_EPROTO);
}
END_TEST

/* As tractor: the count covers the channel's life, good frames between
 * bad ones do not reset it. */
static void *
cl_five_spread(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    for (size_t k = 0; k < 4; k++) {
        send_garbage(fd, k);
        yield_frame(fd, "between");
    }
    send_garbage(fd, 4);
    yield_frame(fd, "never");
    read_until_eof(fd);
    close(fd);
    return NULL;
}

START_TEST(test_ipc_bad_five_undecodable_spread_close)
{
    struct scenario sc = {.kind = _i, .client = cl_five_spread};
    check_scenario(&sc);
    ck_assert_int_eq(sc.first.nmsgs, 4);
    ck_assert_uint_eq(sc.first.st.frames_skipped, 5);
    ck_assert_actr_err(sc.first.end_rc, ACTR_EPROTO);
}
END_TEST

/* ------------------------------------------------------------ MsgTypeError */

/* Reads one frame and checks it is Error{MsgTypeError} on cid. */
static void
expect_mte(struct scenario *sc, int fd, const char *cid)
{
    uint8_t *body;
    ssize_t n = raw_read_frame(fd, &body);
    if (n < 0) {
        client_fail(sc, "no reply for cid %s", cid);
        return;
    }
    actr_msg m;
    if (actr_msg_decode(body, (size_t)n, &m, NULL) != 0 || m.type != ACTR_MSG_ERROR)
        client_fail(sc, "reply for %s is not an Error", cid);
    else if (m.u.error.boxed_type_str.len != 12
             || memcmp(m.u.error.boxed_type_str.ptr, "MsgTypeError", 12) != 0)
        client_fail(sc, "reply for %s is not a MsgTypeError", cid);
    else if (!m.u.error.has_cid || m.u.error.cid.len != strlen(cid)
             || memcmp(m.u.error.cid.ptr, cid, strlen(cid)) != 0)
        client_fail(sc, "MsgTypeError on the wrong cid (wanted %s)", cid);
    else if (m.u.error.src_uid.name.len != 6
             || memcmp(m.u.error.src_uid.name.ptr, "server", 6) != 0)
        client_fail(sc, "MsgTypeError src_uid is not the server");
    free(body);
}

static void *
cl_msgtype(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    size_t n;
    /* unknown msg_type */
    uint8_t *b = raw_map_of_strings(&n, 2, "msg_type", "Bogus", "cid", "c1");
    raw_frame(fd, b, n);
    free(b);
    /* wrongly typed field: Start.kwargs is a string */
    b = raw_map_of_strings(&n, 7, "msg_type", "Start", "cid", "c2", "ns", "m",
                           "func", "f", "kwargs", "oops", "uid", "x",
                           "pld_spec", "typing.Any");
    raw_frame(fd, b, n);
    free(b);
    /* missing required field: Yield without pld */
    b = raw_map_of_strings(&n, 2, "msg_type", "Yield", "cid", "c3");
    raw_frame(fd, b, n);
    free(b);
    yield_frame(fd, "after");
    expect_mte(sc, fd, "c1");
    expect_mte(sc, fd, "c2");
    expect_mte(sc, fd, "c3");
    close(fd);
    return NULL;
}

START_TEST(test_ipc_bad_msgtype_answered_channel_stays)
{
    struct scenario sc = {.kind = _i, .client = cl_msgtype};
    check_scenario(&sc);
    ck_assert_actr_ok(sc.first.hs_rc);
    ck_assert_int_eq(sc.first.nmsgs, 1);
    ck_assert_str_eq(sc.first.cids[0], "after");
    ck_assert_uint_eq(sc.first.st.mte_sent, 3);
    ck_assert_int_eq(n_warnings, 3);
    ck_assert_uint_eq(sc.first.st.frames_skipped, 0);
    ck_assert_actr_err(sc.first.end_rc, ACTR_ECLOSED);
}
END_TEST

static void *
cl_msgtype_no_cid(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    size_t n;
    uint8_t *b = raw_map_of_strings(&n, 1, "msg_type", "Bogus");
    raw_frame(fd, b, n);
    free(b);
    b = raw_map_of_strings(&n, 2, "msg_type", "Stop", "cid", NULL);
    raw_frame(fd, b, n);
    free(b);
    yield_frame(fd, "after");
    shutdown(fd, SHUT_WR);
    int got = read_until_eof(fd);         /* nothing is answered */
    if (got != 0)
        client_fail(sc, "got %d replies to cid-less messages", got);
    close(fd);
    return NULL;
}

START_TEST(test_ipc_bad_msgtype_without_cid_dropped)
{
    struct scenario sc = {.kind = _i, .client = cl_msgtype_no_cid};
    check_scenario(&sc);
    ck_assert_int_eq(sc.first.nmsgs, 1);
    ck_assert_str_eq(sc.first.cids[0], "after");
    ck_assert_uint_eq(sc.first.st.mte_sent, 0);
    ck_assert_int_eq(n_warnings, 2);            /* both dropped, both logged */
    ck_assert_actr_err(sc.first.end_rc, ACTR_ECLOSED);
}
END_TEST

/* ------------------------------------------------------------ oversize */

static void *
cl_oversize(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    yield_frame(fd, "ok");
    static const uint8_t pre[4] = {0x00, 0x00, 0x10, 0x00};   /* 1 MiB */
    raw_write(fd, pre, 4);
    uint8_t junk[512];
    memset(junk, 0x42, sizeof junk);
    raw_write(fd, junk, sizeof junk);
    read_until_eof(fd);
    close(fd);
    return NULL;
}

START_TEST(test_ipc_bad_oversized_frame_closes)
{
    struct scenario sc = {.kind = _i, .client = cl_oversize, .opts = {1024, 0}};
    check_scenario(&sc);
    ck_assert_int_eq(sc.first.nmsgs, 1);
    ck_assert_actr_err(sc.first.end_rc, ACTR_ETOOBIG);
    ck_assert_ptr_nonnull(strstr(last_error, "over the 1024-byte limit"));
}
END_TEST

/* ------------------------------------------------------------ handshakes */

static void *
cl_hs_garbage(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    raw_frame(fd, "\xc1", 1);
    read_until_eof(fd);
    close(fd);
    return NULL;
}

static void *
cl_hs_not_aid(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    yield_frame(fd, "first");
    read_until_eof(fd);
    close(fd);
    return NULL;
}

static void *
cl_hs_bad_aid(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    size_t n;
    uint8_t *b = raw_map_of_strings(&n, 3, "msg_type", "Aid", "name", NULL, "uuid", "u");
    raw_frame(fd, b, n);
    free(b);
    read_until_eof(fd);
    close(fd);
    return NULL;
}

static void *
cl_hs_close_early(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    close(fd);
    return NULL;
}

static void *
cl_hs_silent(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    /* An acceptor says nothing before the peer's Aid (S28): its close. */
    int n = read_until_eof(fd);
    if (n != 0)
        client_fail(sc, "silent client got %d frames, wanted none", n);
    close(fd);
    return NULL;
}

static void *
cl_hs_oversize(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    static const uint8_t pre[4] = {0xff, 0xff, 0xff, 0x7f};
    raw_write(fd, pre, 4);
    read_until_eof(fd);
    close(fd);
    return NULL;
}

START_TEST(test_ipc_bad_handshake_closes)
{
    static const struct {
        void *(*client)(void *);
        int want;
        int64_t hs_ms;
    } cases[] = {
        {cl_hs_garbage, ACTR_EPROTO, 0},
        {cl_hs_not_aid, ACTR_EPROTO, 0},
        {cl_hs_bad_aid, ACTR_EPROTO, 0},
        /* EOF, or a reset when our Aid reached the closed socket first */
        {cl_hs_close_early, ACTR_ECLOSED, 0},
        {cl_hs_silent, ACTR_ETIMEDOUT, 200},
        {cl_hs_oversize, ACTR_ETOOBIG, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct scenario sc = {.kind = _i, .client = cases[i].client,
                              .hs_ms = cases[i].hs_ms};
        check_scenario(&sc);
        int rc = sc.first.hs_rc;
        if (cases[i].client == cl_hs_close_early && rc == ACTR_EIO)
            rc = ACTR_ECLOSED;
        ck_assert_msg(rc == cases[i].want, "case %zu: handshake gave %s",
                      i, actr_errname(sc.first.hs_rc));
        ck_assert_int_eq(sc.first.nmsgs, 0);
        ck_assert_msg(strstr(sc.first.hs_msg, "invalid actor handshake") != NULL,
                      "case %zu: no reason in the error (%s)", i, sc.first.hs_msg);
    }
}
END_TEST

/* ------------------------------------------------------------ broken */

static void *
cl_eof_mid_frame(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    yield_frame(fd, "ok");
    static const uint8_t part[] = {100, 0, 0, 0, 0x83, 0xa8};
    raw_write(fd, part, sizeof part);
    close(fd);
    return NULL;
}

START_TEST(test_ipc_broken_eof_mid_frame)
{
    struct scenario sc = {.kind = _i, .client = cl_eof_mid_frame};
    check_scenario(&sc);
    ck_assert_int_eq(sc.first.nmsgs, 1);
    ck_assert_str_eq(sc.first.cids[0], "ok");
    ck_assert_actr_err(sc.first.end_rc, ACTR_EIO);
}
END_TEST

static void *
cl_reset(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    raw_reset(fd);
    return NULL;
}

START_TEST(test_ipc_broken_tcp_reset)
{
    struct scenario sc = {.kind = 0, .client = cl_reset};
    check_scenario(&sc);
    ck_assert_int_eq(sc.first.nmsgs, 0);
    ck_assert_actr_err(sc.first.end_rc, ACTR_EIO);
}
END_TEST

static void *
cl_clean(void *arg)
{
    struct scenario *sc = arg;
    int fd = raw_connect(&sc->addr);
    if (fd < 0 || raw_handshake(fd, "bad") < 0)
        client_fail(sc, "handshake");
    yield_frame(fd, "a");
    yield_frame(fd, "b");
    close(fd);
    return NULL;
}

START_TEST(test_ipc_clean_close_is_not_broken)
{
    struct scenario sc = {.kind = _i, .client = cl_clean};
    check_scenario(&sc);
    ck_assert_int_eq(sc.first.nmsgs, 2);
    ck_assert_actr_err(sc.first.end_rc, ACTR_ECLOSED);
}
END_TEST

static Suite *
bad_suite(void)
{
    Suite *s = suite_create("ipc_bad");
    TCase *tc = tcase_create("bad_input");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_ipc_bad_undecodable_skipped, 0, 2);
    tcase_add_loop_test(tc, test_ipc_bad_five_undecodable_close, 0, 2);
    tcase_add_loop_test(tc, test_ipc_bad_five_undecodable_spread_close, 0, 2);
    tcase_add_loop_test(tc, test_ipc_bad_msgtype_answered_channel_stays, 0, 2);
    tcase_add_loop_test(tc, test_ipc_bad_msgtype_without_cid_dropped, 0, 2);
    tcase_add_loop_test(tc, test_ipc_bad_oversized_frame_closes, 0, 2);
    tcase_add_loop_test(tc, test_ipc_bad_handshake_closes, 0, 2);
    tcase_add_loop_test(tc, test_ipc_broken_eof_mid_frame, 0, 2);
    tcase_add_test(tc, test_ipc_broken_tcp_reset);
    tcase_add_loop_test(tc, test_ipc_clean_close_is_not_broken, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    actr_log_set_level(ACTR_LOG_WARNING);
    return run_suite(bad_suite());
}
