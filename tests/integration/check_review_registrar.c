/* Review: a registrar facing hostile or garbage requests (S19, S20):
 * wrong kwargs types, another actor's uid on the registrar's own address,
 * many waiters at once. It must answer with errors and keep serving, and
 * always list itself with its address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disc_helpers.h"

static disc_proc reg;

static void
setup(void)
{
    disc_tmp_setup();
}

static void
teardown(void)
{
    disc_tmp_rm();
}

/* The registrar's own entry (pid == reg.pid) in its list. */
static size_t
registrar_naddrs(actr_portal *p)
{
    actr_registry_entry *v;
    size_t n;
    ck_assert_actr_ok(actr_registry_list(p, &v, &n));
    size_t k = (size_t)-1;
    for (size_t i = 0; i < n; i++)
        if (v[i].pid == reg.pid)
            k = v[i].naddrs;
    actr_registry_entries_free(v, n);
    ck_assert_msg(k != (size_t)-1, "the registrar does not list itself");
    return k;
}

static int
call_raw(actr_portal *p, const char *fn, const void *kw, size_t len)
{
    actr_any in = {(uint8_t *)kw, len}, out = {0};
    int rc = actr_portal_call_raw(p, fn, &in, &out);
    if (rc == 0)
        actr_codec_free(&actr_type_any, &out);
    return rc;
}

static int
garbage_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    actr_portal *p;
    ck_assert_actr_ok(actr_portal_open(reg.urls[0], &p));
    ck_assert_uint_ge(registrar_naddrs(p), 1);
    /* Wrong types: errors, the registrar keeps serving. */
    ck_assert_int_lt(call_raw(p, "self:register_actor", "\x82\xa3uid\x05\xa4" "addr\xa1x", 11), 0);
    ck_assert_int_lt(call_raw(p, "self:find_actor", "\x81\xa4name\x90", 7), 0);
    ck_assert_int_lt(call_raw(p, "self:wait_for_actor", "\x80", 1), 0);
    ck_assert_int_lt(call_raw(p, "self:delete_addr", "\x81\xa4" "addr\x92\x01\x02", 9), 0);
    /* An address that is no address. */
    static const char badaddr[] = "\x82\xa3uid\x92\xa4" "evil\xa4" "e-v1"
                                  "\xa4" "addr\x92\xa0\xce\xff\xff\xff\xff";
    ck_assert_int_lt(call_raw(p, "self:register_actor", badaddr, sizeof badaddr - 1), 0);

    /* Another uid registered on the registrar's own address must not take
     * that address away from the registrar. */
    const char *u = reg.urls[0] + strlen("tcp://");
    const char *colon = strrchr(u, ':');
    ck_assert_ptr_nonnull(colon);
    int port = atoi(colon + 1);
    uint8_t kw[128];
    size_t k = 0;
    memcpy(kw + k, "\x82\xa3uid\x92\xa4" "evil\xd9\x24", 13);
    k += 13;
    memcpy(kw + k, "00000000-0000-4000-8000-00000000beef", 36);
    k += 36;
    memcpy(kw + k, "\xa4" "addr\x92\xa9" "127.0.0.1\xcd", 17);
    k += 17;
    kw[k++] = (uint8_t)(port >> 8);
    kw[k++] = (uint8_t)port;
    ck_assert(strncmp(u, "127.0.0.1:", 10) == 0);
    /* (S28: refused first because it is not the caller's own uid) */
    test_expect_log("refused: not its own uid");
    ck_assert_int_eq(call_raw(p, "self:register_actor", kw, k), ACTR_EREMOTE);
    ck_assert_str_eq(actr_last_error()->type_name, "PermissionError");
    ck_assert_uint_ge(registrar_naddrs(p), 1);

    /* delete_addr of the registrar's own address: it still lists it. */
    static const char da_pre[] = "\x81\xa4" "addr\x92\xa9" "127.0.0.1\xcd";
    memcpy(kw, da_pre, sizeof da_pre - 1);
    k = sizeof da_pre - 1;
    kw[k++] = (uint8_t)(port >> 8);
    kw[k++] = (uint8_t)port;
    (void)call_raw(p, "self:delete_addr", kw, k);
    ck_assert_uint_ge(registrar_naddrs(p), 1);
    actr_portal_close(p);
    return 0;
}

struct waiter_arg {
    const char *url;
    int rc;
};

static int
one_waiter(void *arg)
{
    struct waiter_arg *w = arg;
    actr_portal *p = NULL;
    actr_scope sc;
    ck_assert_actr_ok(actr_scope_enter(&sc, actr_deadline_in(300), 0));
    const char *regs[] = {w->url};
    w->rc = actr_wait_for_actor("nobody-ever", regs, 1, &p);
    (void)actr_scope_exit(&sc);
    if (p)
        actr_portal_close(p);
    return 0;
}

static int
waiters_body(actr_actor *self, void *arg)
{
    (void)self;
    (void)arg;
    enum { N = 200 };
    static struct waiter_arg w[N];
    actr_nursery *n;
    ck_assert_actr_ok(actr_nursery_open(&n));
    for (int i = 0; i < N; i++) {
        w[i].url = reg.urls[0];
        ck_assert_actr_ok(actr_nursery_spawn(n, one_waiter, &w[i]));
    }
    ck_assert_actr_ok(actr_nursery_close(n, actr_deadline_in(10000)));
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(w[i].rc, ACTR_ECANCELED);
    /* Still serving: it lists itself. */
    actr_portal *p;
    ck_assert_actr_ok(actr_portal_open(reg.urls[0], &p));
    ck_assert_uint_ge(registrar_naddrs(p), 1);
    actr_portal_close(p);
    return 0;
}

static void
run(actr_actor_fn fn)
{
    const char *urls[] = {"tcp://127.0.0.1:0"};
    itest_begin();
    disc_registrar_spawn(&reg, urls, 1);
    ck_assert_actr_ok(itest_root(fn, NULL));
    disc_registrar_stop(&reg);
    itest_end();
}

START_TEST(test_S19_registrar_survives_garbage_and_keeps_its_address)
{
    run(garbage_body);
}
END_TEST

START_TEST(test_S20_many_waiters_cancelled)
{
    run(waiters_body);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("review_registrar");
    TCase *tc = tcase_create("registrar");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    ITEST_ADD(tc, test_S19_registrar_survives_garbage_and_keeps_its_address);
    ITEST_ADD(tc, test_S20_many_waiters_cancelled);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
