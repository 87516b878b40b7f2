/* Transport addresses: URLs in the API, arrays on the wire. */
#include <string.h>

#include "core_util.h"
#include "ipc_util.h"

START_TEST(test_addr_parse_tcp)
{
    actr_addr a;
    ck_assert_actr_ok(actr_addr_parse("tcp://127.0.0.1:0", &a));
    ck_assert_int_eq(a.kind, ACTR_ADDR_TCP);
    ck_assert_str_eq(a.host, "127.0.0.1");
    ck_assert_uint_eq(a.port, 0);
    ck_assert_actr_ok(actr_addr_parse("tcp://[::1]:1616", &a));
    ck_assert_str_eq(a.host, "::1");
    ck_assert_uint_eq(a.port, 1616);
    ck_assert_actr_ok(actr_addr_parse("tcp://localhost:65535", &a));
    ck_assert_str_eq(a.host, "localhost");
    ck_assert_uint_eq(a.port, 65535);
}
END_TEST

START_TEST(test_addr_parse_unix)
{
    actr_addr a;
    ck_assert_actr_ok(actr_addr_parse("unix:///tmp/x/a.sock", &a));
    ck_assert_int_eq(a.kind, ACTR_ADDR_UNIX);
    ck_assert_str_eq(a.path, "/tmp/x/a.sock");
    ck_assert_actr_ok(actr_addr_parse("unix://rel.sock", &a));
    ck_assert_str_eq(a.path, "rel.sock");
}
END_TEST

START_TEST(test_addr_parse_rejects)
{
    static const char *bad[] = {
        "", "tcp://", "tcp://host", "tcp://host:", "tcp://:80", "tcp://h:65536",
        "tcp://h:-1", "tcp://h:8x", "tcp://::1:80", "tcp://[::1]80", "tcp://[::1",
        "udp://h:1", "unix://", "http://h:1", "tcp//h:1",
    };
    actr_addr a;
    memset(&a, 0x5a, sizeof a);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(actr_addr_parse(bad[i], &a) == ACTR_EINVAL, "accepted '%s'", bad[i]);
    ck_assert_uint_eq(a.port, 0x5a5a);  /* untouched on failure */
    char longpath[300] = "unix:///";
    memset(longpath + 8, 'p', 200);
    longpath[208] = 0;
    ck_assert_actr_err(actr_addr_parse(longpath, &a), ACTR_ETOOBIG);
    ck_assert_actr_err(actr_addr_parse(NULL, &a), ACTR_EINVAL);
}
END_TEST

/* tractor's newer address form (issue 16): multiaddr strings are
 * accepted wherever URLs are, and mean the same address. */
START_TEST(test_addr_parse_multiaddr)
{
    static const struct { const char *ma, *url; } same[] = {
        {"/ip4/127.0.0.1/tcp/1616", "tcp://127.0.0.1:1616"},
        {"/ip6/::1/tcp/0", "tcp://[::1]:0"},
        {"/dns/localhost/tcp/80", "tcp://localhost:80"},
        {"/dns4/example.org/tcp/65535", "tcp://example.org:65535"},
        {"/unix/tmp/x/a.sock", "unix:///tmp/x/a.sock"},
        {"/unix/%2Ftmp%2Fx%2Fa.sock", "unix:///tmp/x/a.sock"},
        {"/unix/run/user/0/tractor/root@1234.sock", "unix:///run/user/0/tractor/root@1234.sock"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        actr_addr a, b;
        ck_assert_msg(actr_addr_parse(same[i].ma, &a) == 0, "refused %s", same[i].ma);
        ck_assert_actr_ok(actr_addr_parse(same[i].url, &b));
        ck_assert_int_eq(a.kind, b.kind);
        ck_assert_str_eq(a.host, b.host);
        ck_assert_str_eq(a.path, b.path);
        ck_assert_uint_eq(a.port, b.port);
    }
    static const char *bad[] = {
        "/", "/ip4", "/ip4/127.0.0.1", "/ip4/127.0.0.1/tcp", "/ip4/127.0.0.1/tcp/",
        "/ip4/127.0.0.1/udp/1", "/ip4/localhost/tcp/1", "/ip4/::1/tcp/1",
        "/ip6/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/65536", "/ip4/127.0.0.1/tcp/1/x",
        "/ip4//tcp/1", "/unix", "/unix/", "/unix/a%2", "/unix/a%zz", "/unix/a%00b",
        "/quic/h/tcp/1", "//ip4/127.0.0.1/tcp/1",
    };
    actr_addr a;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(actr_addr_parse(bad[i], &a) == ACTR_EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_addr_format_roundtrip)
{
    static const char *urls[] = {
        "tcp://127.0.0.1:0", "tcp://[::1]:1616", "tcp://example.org:80",
        "unix:///tmp/a.sock", "unix://rel/b.sock",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        actr_addr a;
        char buf[ACTR_ADDR_URL_MAX];
        ck_assert_actr_ok(actr_addr_parse(urls[i], &a));
        int n = actr_addr_format(&a, buf, sizeof buf);
        ck_assert_int_eq(n, (int)strlen(urls[i]));
        ck_assert_str_eq(buf, urls[i]);
        ck_assert_actr_err(actr_addr_format(&a, buf, (size_t)n), ACTR_ERANGE);
    }
    actr_addr none;
    memset(&none, 0, sizeof none);
    char buf[8];
    ck_assert_actr_err(actr_addr_format(&none, buf, sizeof buf), ACTR_EINVAL);
}
END_TEST

/* Wire form: [host, port] for TCP, [dir, file] for UDS, as tractor. */
START_TEST(test_addr_wire_bytes)
{
    actr_addr a;
    actr_wbuf b = ACTR_WBUF_INIT;
    ck_assert_actr_ok(actr_addr_parse("tcp://127.0.0.1:1616", &a));
    ck_assert_actr_ok(actr_addr_encode(&a, &b));
    static const uint8_t tcp[] = {0x92, 0xa9, '1', '2', '7', '.', '0', '.', '0', '.', '1',
                                  0xcd, 0x06, 0x50};
    ck_assert_uint_eq(b.len, sizeof tcp);
    ck_assert_mem_eq(b.ptr, tcp, sizeof tcp);
    b.len = 0;
    ck_assert_actr_ok(actr_addr_parse("unix:///tmp/d/x.sock", &a));
    ck_assert_actr_ok(actr_addr_encode(&a, &b));
    static const uint8_t uds[] = {0x92, 0xa6, '/', 't', 'm', 'p', '/', 'd',
                                  0xa6, 'x', '.', 's', 'o', 'c', 'k'};
    ck_assert_uint_eq(b.len, sizeof uds);
    ck_assert_mem_eq(b.ptr, uds, sizeof uds);
    actr_wbuf_destroy(&b);
}
END_TEST

START_TEST(test_addr_wire_roundtrip)
{
    static const char *urls[] = {
        "tcp://127.0.0.1:0", "tcp://[::1]:65535", "unix:///tmp/a.sock", "unix:///a.sock",
        "unix://a.sock", "unix://d/e/a.sock",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        actr_addr a, back;
        actr_wbuf b = ACTR_WBUF_INIT;
        ck_assert_actr_ok(actr_addr_parse(urls[i], &a));
        ck_assert_actr_ok(actr_addr_encode(&a, &b));
        int n = actr_addr_decode(b.ptr, b.len, &back);
        ck_assert_int_eq(n, (int)b.len);
        char u[ACTR_ADDR_URL_MAX];
        ck_assert_int_ge(actr_addr_format(&back, u, sizeof u), 0);
        ck_assert_str_eq(u, urls[i]);
        actr_wbuf_destroy(&b);
    }
}
END_TEST

START_TEST(test_addr_decode_rejects)
{
    static const struct { const char *what; const char *bytes; size_t n; } bad[] = {
        {"not an array", "\xa1x", 2},
        {"array of 3", "\x93\xa1h\x01\x02", 5},
        {"port out of range", "\x92\xa1h\xce\x00\x01\x00\x00", 8},
        {"negative port", "\x92\xa1h\xff", 4},
        {"host not str", "\x92\x01\x01", 3},
        {"empty host", "\x92\xa0\x01", 3},
        {"port is float", "\x92\xa1h\xca\x00\x00\x00\x00", 8},
        {"truncated", "\x92\xa5h", 3},
        {"NUL in host", "\x92\xa2h\x00\x01", 5},
        {"empty file", "\x92\xa1/\xa0", 4},
        {"empty", "", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        actr_addr a;
        int rc = actr_addr_decode((const uint8_t *)bad[i].bytes, bad[i].n, &a);
        ck_assert_msg(rc == ACTR_EPROTO, "%s: got %d", bad[i].what, rc);
    }
}
END_TEST

START_TEST(test_addr_list_roundtrip)
{
    actr_addr in[3];
    ck_assert_actr_ok(actr_addr_parse("tcp://127.0.0.1:1616", &in[0]));
    ck_assert_actr_ok(actr_addr_parse("unix:///tmp/r.sock", &in[1]));
    ck_assert_actr_ok(actr_addr_parse("tcp://[::1]:7", &in[2]));
    actr_wbuf b = ACTR_WBUF_INIT;
    ck_assert_actr_ok(actr_addr_list_encode(in, 3, &b));
    actr_any raw = {b.ptr, b.len};
    actr_addr *out = NULL;
    size_t n = 0;
    ck_assert_actr_ok(actr_addr_list_decode(&raw, &out, &n));
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(out[i].kind, in[i].kind);
        ck_assert_uint_eq(out[i].port, in[i].port);
        ck_assert_str_eq(out[i].host, in[i].host);
        ck_assert_str_eq(out[i].path, in[i].path);
    }
    free(out);
    /* nil and the empty array are the empty list */
    actr_any nil = {(uint8_t *)"\xc0", 1}, empty = {(uint8_t *)"\x90", 1}, none = {NULL, 0};
    ck_assert_actr_ok(actr_addr_list_decode(&nil, &out, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_actr_ok(actr_addr_list_decode(&empty, &out, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_actr_ok(actr_addr_list_decode(&none, &out, &n));
    ck_assert_uint_eq(n, 0);
    /* a huge announced count is refused before any allocation */
    actr_any huge = {(uint8_t *)"\xdd\xff\xff\xff\xff\x92\xa1h\x01", 9};
    ck_assert_actr_err(actr_addr_list_decode(&huge, &out, &n), ACTR_EPROTO);
    /* trailing garbage after the list */
    b.len = 0;
    ck_assert_actr_ok(actr_addr_list_encode(in, 1, &b));
    ck_assert_actr_ok(actr_wbuf_reserve(&b, 1));
    b.ptr[b.len++] = 0x01;
    raw = (actr_any){b.ptr, b.len};
    ck_assert_actr_err(actr_addr_list_decode(&raw, &out, &n), ACTR_EPROTO);
    actr_wbuf_destroy(&b);
}
END_TEST

static Suite *
addr_suite(void)
{
    Suite *s = suite_create("ipc_addr");
    TCase *tc = tcase_create("addr");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_addr_parse_tcp);
    tcase_add_test(tc, test_addr_parse_unix);
    tcase_add_test(tc, test_addr_parse_rejects);
    tcase_add_test(tc, test_addr_parse_multiaddr);
    tcase_add_test(tc, test_addr_format_roundtrip);
    tcase_add_test(tc, test_addr_wire_bytes);
    tcase_add_test(tc, test_addr_wire_roundtrip);
    tcase_add_test(tc, test_addr_decode_rejects);
    tcase_add_test(tc, test_addr_list_roundtrip);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(addr_suite());
}
