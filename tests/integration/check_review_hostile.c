/* Review: a hostile or broken peer after the handshake must get errors
 * (MsgTypeError, RuntimeError, ...) and never make an actor crash, hang or
 * stop serving. Callee side: this suite plays the parent by hand (ipc
 * layer only) against a real actr child (tests/bin/actor_srv). */
#include "itest.h"

#include <actr/ipc.h>

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define ROOT_UUID "9a1c2b3d-0000-4000-8000-00000000a001"
#define CHILD_UUID "9a1c2b3d-0000-4000-8000-00000000a002"

static actr_ipc *chan;
static pid_t child_pid;

static void
send_msg(const actr_msg *m)
{
    ck_assert_actr_ok(actr_ipc_send(chan, m, actr_deadline_in(2000)));
}

static void
send_pld(actr_msg_type t, const char *cid, const char *pld, size_t len)
{
    actr_msg m = {.type = t};
    actr_msg_pld *p = t == ACTR_MSG_STARTED ? &m.u.started
                    : t == ACTR_MSG_YIELD ? &m.u.yield : &m.u.ret;
    p->cid = itest_str(cid);
    p->pld = (actr_any){(uint8_t *)pld, len};
    send_msg(&m);
}

static void
expect_error(const char *cid, const char *type)
{
    actr_msg m = itest_expect(chan, ACTR_MSG_ERROR, cid);
    ck_assert_msg(itest_str_eq(&m.u.error.boxed_type_str, type), "error %.*s, expected %s",
                  (int)m.u.error.boxed_type_str.len, m.u.error.boxed_type_str.ptr, type);
}

/* testmod:add(2, 3) answers 5: the child still serves. */
static void
check_serving(const char *cid)
{
    static const uint8_t add_kw[] = {0x82, 0xa1, 'a', 0x02, 0xa1, 'b', 0x03};
    itest_send_start(chan, ROOT_UUID, cid, "testmod", "add", add_kw, sizeof add_kw);
    itest_expect(chan, ACTR_MSG_STARTACK, cid);
    actr_msg m = itest_expect(chan, ACTR_MSG_RETURN, cid);
    ck_assert_int_eq(m.u.ret.pld.len, 1);
    ck_assert_int_eq(m.u.ret.pld.ptr[0], 5);
}

/* Spawns actor_srv in child mode against a listener of ours, handshakes
 * and sends its SpawnSpec (testmod enabled). */
static void
start_child(void)
{
    actr_addr la;
    ck_assert_actr_ok(actr_addr_parse("tcp://127.0.0.1:0", &la));
    actr_listener *l;
    ck_assert_actr_ok(actr_listener_open(&la, 1, NULL, &l));
    char url[ACTR_ADDR_URL_MAX], ppid[16];
    ck_assert_int_gt(actr_addr_format(actr_listener_addr(l, 0), url, sizeof url), 0);
    snprintf(ppid, sizeof ppid, "%d", (int)getpid());
    char *argv[] = {(char *)itest_bin("actor_srv"), "--actr-child", "--actr-name", "child",
                    "--actr-uuid", CHILD_UUID, "--actr-parent", url, "--actr-ppid", ppid,
                    "--actr-loglevel", "critical", NULL};
    ck_assert_int_eq(posix_spawn(&child_pid, argv[0], NULL, NULL, argv, environ), 0);
    ck_assert_actr_ok(actr_listener_accept(l, &chan, actr_deadline_in(10000)));
    actr_listener_close(l);
    actr_msg_aid me = {itest_str("root"), itest_str(ROOT_UUID), true, getpid(), true, true, false, false, 0, {NULL, 0}, {NULL, 0}, false, 0};
    ck_assert_actr_ok(actr_ipc_handshake(chan, &me, actr_deadline_in(5000)));
    static const uint8_t main_data[] = "\x81\xb3init_main_from_name\xa8itest.py";
    static const uint8_t vars[] = "\x81\xab_debug_mode\xc2";
    static const uint8_t mods[] = "\x81\xa7testmod\xa5/x/tm";
    actr_msg ss = {.type = ACTR_MSG_SPAWNSPEC};
    ss.u.spawnspec.parent_main_data = (actr_any){(uint8_t *)main_data, sizeof main_data - 1};
    ss.u.spawnspec.runtime_vars = (actr_any){(uint8_t *)vars, sizeof vars - 1};
    ss.u.spawnspec.enable_modules = (actr_any){(uint8_t *)mods, sizeof mods - 1};
    ss.u.spawnspec.reg_addrs = (actr_any){(uint8_t *)"\x90", 1};
    send_msg(&ss);
}

/* self:cancel, then the child exits 0. */
static void
stop_child(void)
{
    itest_send_start(chan, ROOT_UUID, "c-bye", "self", "cancel", "\x80", 1);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-bye");
    itest_expect(chan, ACTR_MSG_CANCELACK, "c-bye");
    actr_msg m;
    ck_assert_actr_err(actr_ipc_recv(chan, &m, actr_deadline_in(5000)), ACTR_ECLOSED);
    actr_ipc_close(chan, 0);
    int st;
    ck_assert_actr_ok(actr_child_wait(child_pid, &st, actr_deadline_in(5000)));
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}

/* ------------------------------------------------------------ callee side */

static int
stray_messages(void *arg)
{
    (void)arg;
    start_child();
    /* Every kind of message for cids nobody opened: dropped, logged. */
    send_pld(ACTR_MSG_YIELD, "no-such-cid", "\x01", 1);
    send_pld(ACTR_MSG_STARTED, "no-such-cid", "\x01", 1);
    send_pld(ACTR_MSG_RETURN, "no-such-cid", "\x01", 1);
    actr_msg m = {.type = ACTR_MSG_STOP};
    m.u.stop.cid = itest_str("no-such-cid");
    send_msg(&m);
    m = (actr_msg){.type = ACTR_MSG_STARTACK};
    m.u.startack.cid = itest_str("no-such-cid");
    m.u.startack.functype = ACTR_FUNCTYPE_CONTEXT;
    send_msg(&m);
    m = (actr_msg){.type = ACTR_MSG_CANCELACK};
    m.u.cancelack.cid = itest_str("no-such-cid");
    m.u.cancelack.pld = true;
    send_msg(&m);
    /* Aid and SpawnSpec again after the handshake: dropped. */
    actr_msg aid = {.type = ACTR_MSG_AID};
    aid.u.aid = (actr_msg_aid){itest_str("evil"), itest_str(ROOT_UUID), true, 1, true, true, false, false, 0, {NULL, 0}, {NULL, 0}, false, 0};
    send_msg(&aid);
    check_serving("c-ok1");
    /* A cid that is not a uuid-sized string. */
    itest_send_start(chan, ROOT_UUID, "", "testmod", "add", "\x80", 1);
    expect_error("", "MsgTypeError");
    char longcid[200];
    memset(longcid, 'x', sizeof longcid - 1);
    longcid[sizeof longcid - 1] = 0;
    itest_send_start(chan, ROOT_UUID, longcid, "testmod", "add", "\x80", 1);
    actr_msg e;
    ck_assert_actr_ok(actr_ipc_recv(chan, &e, actr_deadline_in(5000)));
    ck_assert_int_eq(e.type, ACTR_MSG_ERROR);
    check_serving("c-ok2");
    stop_child();
    return 0;
}

static int
bad_kwargs(void *arg)
{
    (void)arg;
    start_child();
    /* Wrong types for an endpoint's parameters: MsgTypeError, keep serving. */
    static const char wrong[] = "\x82\xa1" "a\xa1x\xa1" "b\x03";
    itest_send_start(chan, ROOT_UUID, "c-w1", "testmod", "add", wrong, sizeof wrong - 1);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-w1");
    expect_error("c-w1", "MsgTypeError");
    /* Missing parameter. */
    itest_send_start(chan, ROOT_UUID, "c-w3", "testmod", "add", "\x81\xa1" "a\x01", 4);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-w3");
    expect_error("c-w3", "MsgTypeError");
    /* Huge kwargs: a 3 MiB string where an i64 goes, and 100000 keys. */
    size_t n = 3u << 20;
    uint8_t *big = malloc(n + 16);
    ck_assert_ptr_nonnull(big);
    size_t k = 0;
    big[k++] = 0x82;
    big[k++] = 0xa1;
    big[k++] = 'a';
    big[k++] = 0xdb;
    big[k++] = (uint8_t)(n >> 24);
    big[k++] = (uint8_t)(n >> 16);
    big[k++] = (uint8_t)(n >> 8);
    big[k++] = (uint8_t)n;
    memset(big + k, 'y', n);
    k += n;
    big[k++] = 0xa1;
    big[k++] = 'b';
    big[k++] = 0x03;
    itest_send_start(chan, ROOT_UUID, "c-w4", "testmod", "add", big, k);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-w4");
    expect_error("c-w4", "MsgTypeError");
    k = 0;
    big[k++] = 0xdf;
    big[k++] = 0x00;
    big[k++] = 0x01;
    big[k++] = 0x86;
    big[k++] = 0xa0;                     /* 100000 entries */
    for (unsigned i = 0; i < 100000; i++) {
        k += (size_t)sprintf((char *)big + k, "%c%05u", 0xa5, i);
        big[k++] = 0x01;
    }
    /* ... which name no parameter: TypeError, as a Python callee's. */
    itest_send_start(chan, ROOT_UUID, "c-w5", "testmod", "add", big, k);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-w5");
    expect_error("c-w5", "TypeError");
    free(big);
    check_serving("c-ok");
    stop_child();
    return 0;
}

static int
wrong_dialog_messages(void *arg)
{
    (void)arg;
    start_child();
    /* A Start on a cid already in use: RuntimeError on that cid; the
     * running dialog is not disturbed. */
    itest_send_start(chan, ROOT_UUID, "c-sl", "testmod", "sleeper", "\x80", 1);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-sl");
    itest_expect(chan, ACTR_MSG_STARTED, "c-sl");
    itest_send_start(chan, ROOT_UUID, "c-sl", "testmod", "add", "\x80", 1);
    expect_error("c-sl", "RuntimeError");
    /* Caller-side messages sent to a dialog the child serves: ignored. */
    send_pld(ACTR_MSG_STARTED, "c-sl", "\x01", 1);
    send_pld(ACTR_MSG_STARTED, "c-sl", "\x01", 1);
    send_pld(ACTR_MSG_RETURN, "c-sl", "\x01", 1);
    check_serving("c-ok1");
    static const char ct_kw[] = "\x81\xa3" "cid\xa4" "c-sl";
    itest_send_start(chan, ROOT_UUID, "c-ct", "self", "_cancel_task", ct_kw, sizeof ct_kw - 1);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-ct");
    expect_error("c-sl", "ContextCancelled");
    itest_expect(chan, ACTR_MSG_CANCELACK, "c-ct");

    /* Yield and Stop on a function dialog: the function still returns,
     * whatever the child answers about the stray payload. */
    static const char sl_kw[] = "\x81\xa2ms\xcc\xc8";   /* 200 ms */
    itest_send_start(chan, ROOT_UUID, "c-fn", "testmod", "sleep_ms", sl_kw, sizeof sl_kw - 1);
    for (int i = 0; i < 200; i++)
        send_pld(ACTR_MSG_YIELD, "c-fn", "\x01", 1);
    actr_msg st = {.type = ACTR_MSG_STOP};
    st.u.stop.cid = itest_str("c-fn");
    send_msg(&st);
    int got_return = 0, errors = 0;
    while (!got_return) {
        actr_msg m;
        ck_assert_actr_ok(actr_ipc_recv(chan, &m, actr_deadline_in(5000)));
        actr_str c;
        ck_assert(actr_msg_cid(&m, &c) && itest_str_eq(&c, "c-fn"));
        if (m.type == ACTR_MSG_ERROR)
            errors++;
        got_return = m.type == ACTR_MSG_RETURN;
    }
    fprintf(stderr, "review: 200 Yields on a fn dialog -> %d Error replies\n", errors);
    check_serving("c-ok2");

    /* An Error from the caller into a context the child serves ends the
     * dialog; the child keeps serving. */
    static const uint8_t echo_kw[] = "\x81\xa6prefix\xa1>";
    itest_send_start(chan, ROOT_UUID, "c-echo", "testmod", "echo", echo_kw, sizeof echo_kw - 1);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-echo");
    itest_expect(chan, ACTR_MSG_STARTED, "c-echo");
    actr_msg er = {.type = ACTR_MSG_ERROR};
    er.u.error.cid = itest_str("c-echo");
    er.u.error.has_cid = true;
    er.u.error.src_uid.name = itest_str("root");
    er.u.error.src_uid.uuid = itest_str(ROOT_UUID);
    er.u.error.src_type_str = itest_str("ValueError");
    er.u.error.boxed_type_str = itest_str("ValueError");
    er.u.error.tb_str = itest_str("boom");
    send_msg(&er);
    actr_msg m;
    ck_assert_actr_ok(actr_ipc_recv(chan, &m, actr_deadline_in(5000)));
    ck_assert_msg(m.type == ACTR_MSG_ERROR || m.type == ACTR_MSG_RETURN, "got %s",
                  actr_msg_type_name(m.type));
    check_serving("c-ok3");
    stop_child();
    return 0;
}

/* Reads messages on cid until one of type end; returns how many
 * MsgTypeError Errors came on cid (other Errors fail the test) and, in
 * *yields, how many Yields. */
static int
count_until(const char *cid, actr_msg_type end, int *yields)
{
    int mte = 0;
    *yields = 0;
    for (;;) {
        actr_msg m;
        ck_assert_actr_ok(actr_ipc_recv(chan, &m, actr_deadline_in(5000)));
        actr_str c;
        ck_assert(actr_msg_cid(&m, &c) && itest_str_eq(&c, cid));
        if (m.type == ACTR_MSG_ERROR) {
            ck_assert_msg(itest_str_eq(&m.u.error.boxed_type_str, "MsgTypeError"), "error %.*s",
                          (int)m.u.error.boxed_type_str.len, m.u.error.boxed_type_str.ptr);
            ck_assert_msg(m.u.error.has_cid, "MsgTypeError without cid");
            mte++;
        }
        *yields += m.type == ACTR_MSG_YIELD;
        if (m.type == end)
            return mte;
    }
}

static int
yields_without_stream(void *arg)
{
    (void)arg;
    start_child();
    /* A function has no stream: 200 Yields get one MsgTypeError, and the
     * function still returns. */
    static const char sl_kw[] = "\x81\xa2ms\xcc\xc8";   /* 200 ms */
    itest_send_start(chan, ROOT_UUID, "c-fn", "testmod", "sleep_ms", sl_kw, sizeof sl_kw - 1);
    for (int i = 0; i < 200; i++)
        send_pld(ACTR_MSG_YIELD, "c-fn", "\x01", 1);
    int yields;
    ck_assert_int_eq(count_until("c-fn", ACTR_MSG_RETURN, &yields), 1);
    ck_assert_int_eq(yields, 0);
    /* The callee of a generator receives no stream either: one
     * MsgTypeError, and the generator still yields its 3 values. */
    static const char tick_kw[] = "\x82\xa1n\x03\xa8pause_ms\x64";   /* n 3, 100 ms */
    itest_send_start(chan, ROOT_UUID, "c-gen", "testmod", "tick", tick_kw, sizeof tick_kw - 1);
    for (int i = 0; i < 200; i++)
        send_pld(ACTR_MSG_YIELD, "c-gen", "\x01", 1);
    ck_assert_int_eq(count_until("c-gen", ACTR_MSG_STOP, &yields), 1);
    ck_assert_int_eq(yields, 3);
    check_serving("c-ok");
    stop_child();
    return 0;
}

static int
yields_after_stop(void *arg)
{
    (void)arg;
    start_child();
    /* S28: after our own Stop, 50 more Yields get one MsgTypeError and are
     * dropped (not delivered); the dialog ends as a Stop makes it end. */
    static const char echo_kw[] = "\x81\xa6prefix\xa1p";
    itest_send_start(chan, ROOT_UUID, "c-st", "testmod", "echo", echo_kw, sizeof echo_kw - 1);
    itest_expect(chan, ACTR_MSG_STARTACK, "c-st");
    itest_expect(chan, ACTR_MSG_STARTED, "c-st");
    send_pld(ACTR_MSG_YIELD, "c-st", "\xa1" "a", 2);
    actr_msg stop = {.type = ACTR_MSG_STOP};
    stop.u.stop.cid = itest_str("c-st");
    send_msg(&stop);
    for (int i = 0; i < 50; i++)
        send_pld(ACTR_MSG_YIELD, "c-st", "\xa1" "b", 2);
    int yields;
    ck_assert_int_eq(count_until("c-st", ACTR_MSG_RETURN, &yields), 1);
    ck_assert_int_eq(yields, 1);                     /* "pa" only */
    check_serving("c-ok");
    stop_child();
    return 0;
}

/* ------------------------------------------------------------ caller side
 * A hand-played callee answers our root's calls wrongly. Every call must
 * return (an error or a value) instead of hanging. */

enum fake_mode {
    RETURN_NO_ACK,          /* Return without StartAck */
    CANCELACK_NO_ACK,       /* CancelAck without StartAck */
    DOUBLE_RETURN,          /* StartAck, Return, Return */
    YIELD_ON_FN,            /* StartAck, 100 Yields, Return */
    WRONG_RESULT_TYPE,      /* StartAck, Return "str" for an i64 */
    CIDLESS_ERROR,          /* an Error without cid */
    CTX_RETURN_NO_STARTED,  /* context: StartAck, Return */
    CTX_STARTED_TWICE,      /* context: StartAck, Started, Started, Return */
};

struct fake {
    actr_listener *l;
    enum fake_mode mode;
    int mte;                /* MsgTypeError Errors the caller sent back */
};

static int
fake_callee(void *arg)
{
    struct fake *f = arg;
    actr_ipc *ipc;
    if (actr_listener_accept(f->l, &ipc, actr_deadline_in(5000)) < 0)
        return 0;
    actr_msg_aid me = {itest_str("fake"), itest_str(CHILD_UUID), true, getpid(), true, true, false, false, 0, {NULL, 0}, {NULL, 0}, false, 0};
    if (actr_ipc_handshake(ipc, &me, actr_deadline_in(5000)) < 0) {
        actr_ipc_close(ipc, 0);
        return 0;
    }
    actr_msg st;
    if (actr_ipc_recv(ipc, &st, actr_deadline_in(5000)) < 0 || st.type != ACTR_MSG_START) {
        actr_ipc_close(ipc, 0);
        return 0;
    }
    char cid[64];
    snprintf(cid, sizeof cid, "%.*s", (int)st.u.start.cid.len, st.u.start.cid.ptr);
    actr_msg ack = {.type = ACTR_MSG_STARTACK};
    ack.u.startack.cid = itest_str(cid);
    ack.u.startack.functype = f->mode >= CTX_RETURN_NO_STARTED ? ACTR_FUNCTYPE_CONTEXT
                                                               : ACTR_FUNCTYPE_ASYNCFUNC;
    actr_msg ret = {.type = ACTR_MSG_RETURN};
    ret.u.ret.cid = itest_str(cid);
    ret.u.ret.pld = (actr_any){(uint8_t *)"\x07", 1};
    actr_msg started = {.type = ACTR_MSG_STARTED};
    started.u.started.cid = itest_str(cid);
    started.u.started.pld = (actr_any){(uint8_t *)"\x01", 1};
    int64_t dl = actr_deadline_in(2000);
    int rc = 0;
    switch (f->mode) {
    case RETURN_NO_ACK:
        rc = actr_ipc_send(ipc, &ret, dl);
        break;
    case CANCELACK_NO_ACK: {
        actr_msg ca = {.type = ACTR_MSG_CANCELACK};
        ca.u.cancelack.cid = itest_str(cid);
        ca.u.cancelack.pld = true;
        rc = actr_ipc_send(ipc, &ca, dl);
        break;
    }
    case DOUBLE_RETURN:
        if ((rc = actr_ipc_send(ipc, &ack, dl)) == 0 && (rc = actr_ipc_send(ipc, &ret, dl)) == 0)
            rc = actr_ipc_send(ipc, &ret, dl);
        break;
    case YIELD_ON_FN: {
        actr_msg y = {.type = ACTR_MSG_YIELD};
        y.u.yield.cid = itest_str(cid);
        y.u.yield.pld = (actr_any){(uint8_t *)"\x01", 1};
        rc = actr_ipc_send(ipc, &ack, dl);
        for (int i = 0; rc == 0 && i < 100; i++)
            rc = actr_ipc_send(ipc, &y, dl);
        if (rc == 0)
            rc = actr_ipc_send(ipc, &ret, dl);
        break;
    }
    case WRONG_RESULT_TYPE:
        ret.u.ret.pld = (actr_any){(uint8_t *)"\xa3str", 4};
        if ((rc = actr_ipc_send(ipc, &ack, dl)) == 0)
            rc = actr_ipc_send(ipc, &ret, dl);
        break;
    case CIDLESS_ERROR: {
        actr_msg er = {.type = ACTR_MSG_ERROR};
        er.u.error.src_uid.name = itest_str("fake");
        er.u.error.src_uid.uuid = itest_str(CHILD_UUID);
        er.u.error.src_type_str = itest_str("RuntimeError");
        er.u.error.boxed_type_str = itest_str("RuntimeError");
        er.u.error.tb_str = itest_str("runtime failed");
        if ((rc = actr_ipc_send(ipc, &ack, dl)) == 0)
            rc = actr_ipc_send(ipc, &er, dl);
        break;
    }
    case CTX_RETURN_NO_STARTED:
        if ((rc = actr_ipc_send(ipc, &ack, dl)) == 0)
            rc = actr_ipc_send(ipc, &ret, dl);
        break;
    case CTX_STARTED_TWICE:
        if ((rc = actr_ipc_send(ipc, &ack, dl)) == 0 &&
            (rc = actr_ipc_send(ipc, &started, dl)) == 0 &&
            (rc = actr_ipc_send(ipc, &started, dl)) == 0)
            rc = actr_ipc_send(ipc, &ret, dl);
        break;
    }
    (void)rc;
    /* Read (and ignore) whatever comes until the caller hangs up. */
    actr_msg m;
    while (actr_ipc_recv(ipc, &m, actr_deadline_in(5000)) == 0) {
        actr_str c;
        if (m.type == ACTR_MSG_ERROR && actr_msg_cid(&m, &c) && itest_str_eq(&c, cid) &&
            itest_str_eq(&m.u.error.boxed_type_str, "MsgTypeError"))
            f->mte++;
    }
    actr_ipc_close(ipc, 0);
    return 0;
}

static const actr_endpoint *
ep_named(const char *name)
{
    return itest_ep(name);
}

struct outcome {
    int rc;
    int64_t ms;
    int64_t value;
    int mte;                /* MsgTypeError Errors the fake callee got */
};

static int
caller_side(actr_actor *self, void *arg)
{
    (void)self;
    struct outcome *o = arg;
    enum fake_mode mode = (enum fake_mode)o->rc;
    actr_addr la;
    ck_assert_actr_ok(actr_addr_parse("tcp://127.0.0.1:0", &la));
    struct fake f = {.mode = mode};
    ck_assert_actr_ok(actr_listener_open(&la, 1, NULL, &f.l));
    char url[ACTR_ADDR_URL_MAX];
    ck_assert_int_gt(actr_addr_format(actr_listener_addr(f.l, 0), url, sizeof url), 0);
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    ck_assert_actr_ok(actr_nursery_spawn(n, fake_callee, &f));
    actr_portal *p;
    ck_assert_actr_ok(actr_portal_open(url, &p));
    int64_t t0 = actr_now();
    actr_scope sc;
    ck_assert_actr_ok(actr_scope_enter(&sc, actr_deadline_in(3000), 0));
    int rc;
    if (mode >= CTX_RETURN_NO_STARTED) {
        actr_ctx *c;
        int64_t started = 0;
        testmod_echo_args a = {.prefix = itest_str(">")};
        rc = actr_ctx_open(p, ep_named("echo"), &a, NULL, &c, &started);
        if (rc == 0) {
            uint64_t res = 0;
            rc = actr_ctx_result(c, &res);
            o->value = (int64_t)res;
            actr_ctx_close(c);
        }
    } else {
        testmod_add_args a = {.a = 3, .b = 4};
        rc = actr_portal_call(p, ep_named("add"), &a, &o->value);
    }
    int expired = actr_scope_expired(&sc);
    int sx = actr_scope_exit(&sc);
    o->ms = actr_now() - t0;
    o->rc = sx == ACTR_ETIMEDOUT || expired ? ACTR_ETIMEDOUT : rc;
    actr_portal_close(p);
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(10000)));
    actr_listener_close(f.l);
    o->mte = f.mte;
    return 0;
}

static struct outcome
run_caller(enum fake_mode mode)
{
    struct outcome o = {.rc = (int)mode};
    ck_assert_actr_ok(itest_root(caller_side, &o));
    fprintf(stderr, "review: mode %d -> %s in %lld ms (value %lld)\n", (int)mode,
            o.rc ? actr_errname(o.rc) : "ok", (long long)o.ms, (long long)o.value);
    return o;
}

/* ------------------------------------------------------------ tests */

START_TEST(test_S5_stray_messages_keep_serving)
{
    test_expect_log("unexpected Aid from root after the handshake: dropped");
    itest_begin();
    ck_assert_actr_ok(actr_run(stray_messages, NULL));
    itest_end();
}
END_TEST

START_TEST(test_S6_bad_kwargs_are_MsgTypeError)
{
    itest_begin();
    ck_assert_actr_ok(actr_run(bad_kwargs, NULL));
    itest_end();
}
END_TEST

START_TEST(test_S7_wrong_dialog_messages_keep_serving)
{
    test_expect_log("unexpected Started from root dropped");
    test_expect_log("unexpected Return from root dropped");
    test_expect_log("Yield from root refused (MsgTypeError)");
    itest_begin();
    ck_assert_actr_ok(actr_run(wrong_dialog_messages, NULL));
    itest_end();
}
END_TEST

START_TEST(test_S9_double_return_first_counts)
{
    itest_begin();
    struct outcome o = run_caller(DOUBLE_RETURN);
    ck_assert_actr_ok(o.rc);
    ck_assert_int_eq(o.value, 7);
    itest_end();
}
END_TEST

START_TEST(test_S6_wrong_result_type_is_ETYPE)
{
    itest_begin();
    struct outcome o = run_caller(WRONG_RESULT_TYPE);
    ck_assert_int_eq(o.rc, ACTR_ETYPE);
    itest_end();
}
END_TEST

START_TEST(test_S14_cidless_error_fails_the_call)
{
    test_expect_log("fake sent an error without cid");
    itest_begin();
    struct outcome o = run_caller(CIDLESS_ERROR);
    ck_assert_msg(o.rc < 0 && o.rc != ACTR_ETIMEDOUT, "rc %s", actr_errname(o.rc));
    itest_end();
}
END_TEST

START_TEST(test_S7_ctx_return_before_started_is_EPROTO)
{
    itest_begin();
    struct outcome o = run_caller(CTX_RETURN_NO_STARTED);
    ck_assert_int_eq(o.rc, ACTR_EPROTO);
    itest_end();
}
END_TEST

START_TEST(test_S7_ctx_started_twice_first_counts)
{
    itest_begin();
    struct outcome o = run_caller(CTX_STARTED_TWICE);
    ck_assert_actr_ok(o.rc);
    ck_assert_int_eq(o.value, 7);
    itest_end();
}
END_TEST

START_TEST(test_S14_return_without_startack_does_not_hang)
{
    test_expect_log("Return from fake without a StartAck");
    itest_begin();
    struct outcome o = run_caller(RETURN_NO_ACK);
    ck_assert_msg(o.rc != ACTR_ETIMEDOUT, "the call hung until the deadline");
    /* A function's Return without StartAck is taken as its result. */
    ck_assert_actr_ok(o.rc);
    ck_assert_int_eq(o.value, 7);
    itest_end();
}
END_TEST

START_TEST(test_S14_cancelack_without_startack_does_not_hang)
{
    itest_begin();
    struct outcome o = run_caller(CANCELACK_NO_ACK);
    ck_assert_msg(o.rc != ACTR_ETIMEDOUT, "the call hung until the deadline");
    ck_assert_int_eq(o.rc, ACTR_EPROTO);
    ck_assert_int_eq(o.value, 0);
    itest_end();
}
END_TEST

START_TEST(test_S6_yields_without_stream_get_one_MsgTypeError)
{
    test_expect_log("Yield from root refused (MsgTypeError)");
    itest_begin();
    ck_assert_actr_ok(actr_run(yields_without_stream, NULL));
    itest_end();
}
END_TEST

START_TEST(test_S28_yields_after_stop_get_one_MsgTypeError)
{
    test_expect_log("Yield from root after its Stop refused (MsgTypeError)");
    itest_begin();
    ck_assert_actr_ok(actr_run(yields_after_stop, NULL));
    itest_end();
}
END_TEST

START_TEST(test_S6_yields_to_a_function_caller_get_one_MsgTypeError)
{
    test_expect_log("Yield from fake refused (MsgTypeError)");
    itest_begin();
    struct outcome o = run_caller(YIELD_ON_FN);
    ck_assert_actr_ok(o.rc);
    ck_assert_int_eq(o.value, 7);
    ck_assert_int_eq(o.mte, 1);
    itest_end();
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("review_hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 30);
    ITEST_ADD(tc, test_S5_stray_messages_keep_serving);
    ITEST_ADD(tc, test_S6_bad_kwargs_are_MsgTypeError);
    ITEST_ADD(tc, test_S7_wrong_dialog_messages_keep_serving);
    ITEST_ADD(tc, test_S9_double_return_first_counts);
    ITEST_ADD(tc, test_S6_wrong_result_type_is_ETYPE);
    ITEST_ADD(tc, test_S14_cidless_error_fails_the_call);
    ITEST_ADD(tc, test_S7_ctx_return_before_started_is_EPROTO);
    ITEST_ADD(tc, test_S7_ctx_started_twice_first_counts);
    ITEST_ADD(tc, test_S14_return_without_startack_does_not_hang);
    ITEST_ADD(tc, test_S14_cancelack_without_startack_does_not_hang);
    ITEST_ADD(tc, test_S6_yields_without_stream_get_one_MsgTypeError);
    ITEST_ADD(tc, test_S28_yields_after_stop_get_one_MsgTypeError);
    ITEST_ADD(tc, test_S6_yields_to_a_function_caller_get_one_MsgTypeError);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
