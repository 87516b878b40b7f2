/* Registry URLs (S19, M25): which backend a URL names, etcd URLs with
 * their hosts and prefix, bad ones refused with a reason, and the list
 * syntax of ACTR_REGISTRY (an etcd URL's commas stay in it). No network. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <actr/actr.h>

#include "discovery/backend.h"

START_TEST(test_S19_etcd_url_prefix_and_default)
{
    static const struct {
        const char *url, *prefix;
    } ok[] = {
        {"etcd://127.0.0.1:2379/tree", "/tree"},
        {"etcd://a:1,b:2,[::1]:3/t/sub//", "/t/sub"},
        {"etcd://localhost", "/actr"},
        {"etcds://etcd.example:2379/", "/actr"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        etcd *e;
        ck_assert_msg(etcd_open(ok[i].url, &e) == 0, "%s: %s", ok[i].url,
                      actr_last_error()->message);
        ck_assert_str_eq(etcd_prefix(e), ok[i].prefix);
        ck_assert_str_eq(etcd_url(e), ok[i].url);
        etcd_free(e);
        ck_assert_int_eq(disc_registry_check(ok[i].url), 0);
    }
}
END_TEST

START_TEST(test_S19_bad_registry_urls_say_why)
{
    static const char *const bad[] = {
        "etcd://", "etcd:///p", "etcd://h:0/p", "etcd://h:65536", "etcd://h:x/p",
        "etcd://h:1,,g:2/p", "etcd://h:1,/p", "etcd://[::1", "etcd://[::1]x/p",
        "etcd://h\tx:1", "etcd://h:1/p?q=1", "etcd://h:1/p#f", "etcd://h%:1",
        "tcp://", "http://127.0.0.1:2379", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(disc_registry_check(bad[i]) == ACTR_EINVAL, "%s accepted", bad[i]);
        ck_assert_msg(strstr(actr_last_error()->message, "bad"), "%s: %s", bad[i],
                      actr_last_error()->message);
    }
}
END_TEST

START_TEST(test_S19_registry_list_syntax)
{
    char **v;
    size_t n;
    ck_assert_int_eq(disc_registry_split("tcp://127.0.0.1:1616, etcd://a:1,b:2/p unix:///r.sock"
                                         ",etcd://c:3/q,d:4", &v, &n), 0);
    /* "d:4" follows an etcd URL whose hosts ended with "/q": its own. */
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(v[0], "tcp://127.0.0.1:1616");
    ck_assert_str_eq(v[1], "etcd://a:1,b:2/p");
    ck_assert_str_eq(v[2], "unix:///r.sock");
    ck_assert_str_eq(v[3], "etcd://c:3/q");
    ck_assert_str_eq(v[4], "d:4");
    ck_assert_int_eq(disc_registry_check(v[4]), ACTR_EINVAL);
    actr_urls_free(v, n);
    ck_assert_int_eq(disc_registry_split("etcd://a:1,b:2,c:3", &v, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(v[0], "etcd://a:1,b:2,c:3");
    actr_urls_free(v, n);
    ck_assert_int_eq(disc_registry_split("none", &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(disc_registry_split("", &v, &n), 0);
    ck_assert_uint_eq(n, 0);
    actr_urls_free(v, n);
}
END_TEST

START_TEST(test_S19_tls_and_credentials_from_the_environment)
{
    etcd *e;
    setenv("ACTR_ETCD_CERT", "/x/client.pem", 1);
    ck_assert_int_eq(etcd_open("etcd://h:1/p", &e), ACTR_EINVAL);   /* TLS wants etcds:// */
    ck_assert_int_eq(etcd_open("etcds://h:1/p", &e), 0);
    etcd_free(e);
    unsetenv("ACTR_ETCD_CERT");
    setenv("ACTR_ETCD_USER", "alice", 1);
    ck_assert_int_eq(etcd_open("etcd://h:1/p", &e), ACTR_EINVAL);   /* no password */
    ck_assert_msg(strstr(actr_last_error()->message, "ACTR_ETCD_PASSWORD"), "%s",
                  actr_last_error()->message);
    setenv("ACTR_ETCD_PASSWORD", "pw", 1);
    ck_assert_int_eq(etcd_open("etcd://h:1/p", &e), 0);
    etcd_free(e);
    setenv("ACTR_ETCD_USER", "alice:secret", 1);
    ck_assert_int_eq(etcd_open("etcd://h:1/p", &e), 0);
    etcd_free(e);
    unsetenv("ACTR_ETCD_USER");
    unsetenv("ACTR_ETCD_PASSWORD");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("discovery_urls");
    TCase *tc = tcase_create("urls");
    tcase_add_test(tc, test_S19_etcd_url_prefix_and_default);
    tcase_add_test(tc, test_S19_bad_registry_urls_say_why);
    tcase_add_test(tc, test_S19_registry_list_syntax);
    tcase_add_test(tc, test_S19_tls_and_credentials_from_the_environment);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
