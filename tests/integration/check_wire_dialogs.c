/* Wire conformance of the actor runtime: this suite plays a tractor-like
 * parent by hand (ipc layer only, no actr_main) against a real actr child
 * (tests/bin/actor_srv) and checks every frame the child sends against the
 * dialogs of the tractor captures (tests/data/tractor-captures): the Aid
 * fields, SpawnSpec accepted, StartAck before Return, lookup failure as an
 * Error with no StartAck, app errors after StartAck with message "" and
 * the text at the end of tb_str, the context dialog with a single Stop,
 * _cancel_task answered by ContextCancelled (canceller = requester) before
 * the CancelAck, and self:cancel answered StartAck + CancelAck then EOF. */
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

#define ROOT_UUID "202f2699-6f46-4064-b3e5-a6a91345935d"
#define CHILD_UUID "47ad1776-83fd-443f-8c6c-8bb3d24a6398"

static actr_ipc *chan;

static void
check_error_shape(const actr_msg_error *e, const char *type)
{
    ck_assert(itest_str_eq(&e->boxed_type_str, type));
    ck_assert(itest_str_eq(&e->src_type_str, type));
    ck_assert(itest_str_eq(&e->src_uid.name, "child"));
    ck_assert(itest_str_eq(&e->src_uid.uuid, CHILD_UUID));
    ck_assert_int_eq(e->relay_path.count, 1);
    actr_uid u;
    ck_assert_actr_ok(actr_uidlist_get(&e->relay_path, 0, &u));
    ck_assert(itest_str_eq(&u.uuid, CHILD_UUID));
    ck_assert(!e->has_sender);
    ck_assert_int_eq(e->bad_msg.len, 0);
    ck_assert_int_eq(e->bad_msg_as_dict.len, 0);
}

static int
fake_parent(void *arg)
{
    (void)arg;
    actr_addr la;
    ck_assert_actr_ok(actr_addr_parse("tcp://127.0.0.1:0", &la));
    actr_listener *l;
    ck_assert_actr_ok(actr_listener_open(&la, 1, NULL, &l));
    char url[ACTR_ADDR_URL_MAX], ppid[16];
    ck_assert_int_gt(actr_addr_format(actr_listener_addr(l, 0), url, sizeof url), 0);
    snprintf(ppid, sizeof ppid, "%d", (int)getpid());
    char *argv[] = {(char *)itest_bin("actor_srv"), "--actr-child", "--actr-name", "child",
                    "--actr-uuid", CHILD_UUID, "--actr-parent", url, "--actr-ppid", ppid,
                    "--actr-loglevel", "error", NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ), 0);
    ck_assert_actr_ok(actr_listener_accept(l, &chan, actr_deadline_in(10000)));
    actr_listener_close(l);

    /* Aid both ways: the child's has every field (capture 'spawn' #1). */
    actr_msg_aid me = {itest_str("root"), itest_str(ROOT_UUID), true, getpid(), true, true, false, false, 0, {NULL, 0}, {NULL, 0}, false, 0};
    ck_assert_actr_ok(actr_ipc_handshake(chan, &me, actr_deadline_in(5000)));
    const actr_msg_aid *peer = actr_ipc_peer(chan);
    ck_assert(itest_str_eq(&peer->name, "child"));
    ck_assert(itest_str_eq(&peer->uuid, CHILD_UUID));
    ck_assert(peer->has_pid && peer->pid == pid);
    ck_assert(peer->has_is_registrar && !peer->is_registrar);
    ck_assert(!peer->is_probe);

    /* SpawnSpec as tractor sends it: an extra module the child lacks is
     * logged by the child, not fatal. */
    static const uint8_t main_data[] = "\x81\xb3init_main_from_name\xa8itest.py";
    static const uint8_t vars[] = "\x82\xa8_is_root\xc2\xab_debug_mode\xc2";
    static const uint8_t mods[] = "\x82\xa7testmod\xa5/x/tm\xbctractor.devx.debug._tty_lock\xa4/y/t";
    static const uint8_t reg[] = "\x91\x92\xa9" "127.0.0.1\xcd\x48\x44";
    actr_msg ss = {.type = ACTR_MSG_SPAWNSPEC};
    ss.u.spawnspec.parent_main_data = (actr_any){(uint8_t *)main_data, sizeof main_data - 1};
    ss.u.spawnspec.runtime_vars = (actr_any){(uint8_t *)vars, sizeof vars - 1};
    ss.u.spawnspec.enable_modules = (actr_any){(uint8_t *)mods, sizeof mods - 1};
    ss.u.spawnspec.reg_addrs = (actr_any){(uint8_t *)reg, sizeof reg - 1};
    ck_assert_actr_ok(actr_ipc_send(chan, &ss, actr_deadline_in(2000)));

    /* func: StartAck{asyncfunc}, Return{5}. */
    static const uint8_t add_kw[] = {0x82, 0xa1, 'a', 0x02, 0xa1, 'b', 0x03};
    itest_send_start(chan, ROOT_UUID, "c-add", "testmod", "add", add_kw, sizeof add_kw);
    actr_msg m = itest_expect(chan, ACTR_MSG_STARTACK, "c-add");
    ck_assert_int_eq(m.u.startack.functype, ACTR_FUNCTYPE_ASYNCFUNC);
    m = itest_expect(chan, ACTR_MSG_RETURN, "c-add");
    ck_assert_int_eq(m.u.ret.pld.len, 1);
    ck_assert_int_eq(m.u.ret.pld.ptr[0], 5);

    /* unknown: an Error on the cid, no StartAck first. */
    itest_send_start(chan, ROOT_UUID, "c-unknown", "nonexistent_mod", "f", (const uint8_t *)"\x80", 1);
    m = itest_expect(chan, ACTR_MSG_ERROR, "c-unknown");
    check_error_shape(&m.u.error, "ModuleNotExposed");
    ck_assert(m.u.error.has_message && m.u.error.message.len == 0);
    ck_assert(!m.u.error.has_canceller);
    ck_assert_int_gt(m.u.error.tb_str.len, 0);

    /* error: StartAck, then Error{ValueError}, message "", text in tb. */
    static const uint8_t fail_kw[] = "\x82\xa9type_name\xaaValueError\xa7message\xa9" "bad value";
    itest_send_start(chan, ROOT_UUID, "c-error", "testmod", "fail", fail_kw, sizeof fail_kw - 1);
    m = itest_expect(chan, ACTR_MSG_STARTACK, "c-error");
    m = itest_expect(chan, ACTR_MSG_ERROR, "c-error");
    check_error_shape(&m.u.error, "ValueError");
    ck_assert(m.u.error.has_message && m.u.error.message.len == 0);
    const actr_str *tb = &m.u.error.tb_str;
    ck_assert(tb->len > 21 && memcmp(tb->ptr + tb->len - 21, "ValueError: bad value", 21) == 0);

    /* context: StartAck{context}, Started{11}, echo, our Stop, Return; no
     * Stop from the child (capture observation 1). */
    static const uint8_t echo_kw[] = "\x81\xa6prefix\xa5" "echo:";
    itest_send_start(chan, ROOT_UUID, "c-ctx", "testmod", "echo", echo_kw, sizeof echo_kw - 1);
    m = itest_expect(chan, ACTR_MSG_STARTACK, "c-ctx");
    ck_assert_int_eq(m.u.startack.functype, ACTR_FUNCTYPE_CONTEXT);
    m = itest_expect(chan, ACTR_MSG_STARTED, "c-ctx");
    ck_assert_int_eq(m.u.started.pld.ptr[0], 11);
    actr_msg y = {.type = ACTR_MSG_YIELD};
    y.u.yield.cid = itest_str("c-ctx");
    y.u.yield.pld = (actr_any){(uint8_t *)"\xa5" "alpha", 6};
    ck_assert_actr_ok(actr_ipc_send(chan, &y, actr_deadline_in(2000)));
    m = itest_expect(chan, ACTR_MSG_YIELD, "c-ctx");
    ck_assert_int_eq(m.u.yield.pld.len, 11);
    ck_assert(memcmp(m.u.yield.pld.ptr, "\xaa" "echo:alpha", 11) == 0);
    actr_msg stop = {.type = ACTR_MSG_STOP};
    stop.u.stop.cid = itest_str("c-ctx");
    ck_assert_actr_ok(actr_ipc_send(chan, &stop, actr_deadline_in(2000)));
    m = itest_expect(chan, ACTR_MSG_RETURN, "c-ctx");
    ck_assert_int_eq(m.u.ret.pld.ptr[0], 1);

    /* ctx_cancel: _cancel_task -> StartAck, the task's ContextCancelled
     * naming us as canceller, then CancelAck (observation 6). */
    itest_send_start(chan, ROOT_UUID, "c-sleep", "testmod", "sleeper", (const uint8_t *)"\x80", 1);
    m = itest_expect(chan, ACTR_MSG_STARTACK, "c-sleep");
    m = itest_expect(chan, ACTR_MSG_STARTED, "c-sleep");
    static const uint8_t ct_kw[] = "\x81\xa3" "cid\xa7" "c-sleep";
    itest_send_start(chan, ROOT_UUID, "c-ct", "self", "_cancel_task", ct_kw, sizeof ct_kw - 1);
    m = itest_expect(chan, ACTR_MSG_STARTACK, "c-ct");
    ck_assert_int_eq(m.u.startack.functype, ACTR_FUNCTYPE_ASYNCFUNC);
    m = itest_expect(chan, ACTR_MSG_ERROR, "c-sleep");
    check_error_shape(&m.u.error, "ContextCancelled");
    ck_assert(m.u.error.has_canceller);
    ck_assert(itest_str_eq(&m.u.error.canceller.name, "root"));
    ck_assert(itest_str_eq(&m.u.error.canceller.uuid, ROOT_UUID));
    ck_assert(m.u.error.has_message && m.u.error.message.len > 0);
    m = itest_expect(chan, ACTR_MSG_CANCELACK, "c-ct");
    ck_assert(m.u.cancelack.pld);

    /* spawn: self:cancel -> StartAck, CancelAck{true}, then EOF. */
    itest_send_start(chan, ROOT_UUID, "c-cancel", "self", "cancel", (const uint8_t *)"\x80", 1);
    m = itest_expect(chan, ACTR_MSG_STARTACK, "c-cancel");
    m = itest_expect(chan, ACTR_MSG_CANCELACK, "c-cancel");
    ck_assert(m.u.cancelack.pld);
    ck_assert_actr_err(actr_ipc_recv(chan, &m, actr_deadline_in(5000)), ACTR_ECLOSED);
    actr_ipc_close(chan, 0);
    int st;
    ck_assert_actr_ok(actr_child_wait(pid, &st, actr_deadline_in(5000)));
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
}

START_TEST(test_S2_S5_S11_S12_child_dialogs_match_captures)
{
    itest_begin();
    ck_assert_actr_ok(actr_run(fake_parent, NULL));
    itest_end();
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("wire_dialogs");
    TCase *tc = tcase_create("captures");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_S2_S5_S11_S12_child_dialogs_match_captures);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
