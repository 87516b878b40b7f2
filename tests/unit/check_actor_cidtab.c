/* The actor layer's per-channel cid table (runtime/actor/link.c) and its
 * uuid4 cids (runtime/wire/uuid.c): O(1) lookup at any size, exact
 * matches only, growth, removal, and cids unique across fork. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actor/dialog.h"
#include "actor/link.h"
#include "core_util.h"

#define MANY 10000

static struct dialog *
new_ctx(const char *cid)
{
    struct dialog *c = calloc(1, sizeof *c);
    ck_assert_ptr_nonnull(c);
    if (cid)
        strcpy(c->cid, cid);
    else
        actri_uuid4(c->cid);
    return c;
}

static int
table_body(void *arg)
{
    (void)arg;
    struct link l;
    memset(&l, 0, sizeof l);
    struct dialog **cs = calloc(MANY, sizeof *cs);
    ck_assert_ptr_nonnull(cs);
    ck_assert_ptr_null(actri_link_find(&l, "x", 1));          /* empty table */
    for (int i = 0; i < MANY; i++) {
        cs[i] = new_ctx(NULL);
        ck_assert_actr_ok(actri_link_register(&l, cs[i]));
        ck_assert(cs[i]->registered);
    }
    ck_assert_uint_eq(l.nctx, MANY);
    /* Load factor <= 1 after growth, and a power of two. */
    ck_assert_uint_ge(l.nbuckets, MANY);
    ck_assert_uint_eq(l.nbuckets & (l.nbuckets - 1), 0);
    for (int i = 0; i < MANY; i++)
        ck_assert_ptr_eq(actri_link_find(&l, cs[i]->cid, strlen(cs[i]->cid)), cs[i]);

    /* Only exact matches: a prefix, one changed byte, a longer string. */
    char buf[64];
    strcpy(buf, cs[7]->cid);
    ck_assert_ptr_null(actri_link_find(&l, buf, UUID_LEN - 1));
    buf[UUID_LEN - 1] = buf[UUID_LEN - 1] == '0' ? '1' : '0';
    ck_assert_ptr_null(actri_link_find(&l, buf, UUID_LEN));
    strcpy(buf, cs[7]->cid);
    strcat(buf, "-extra");
    ck_assert_ptr_null(actri_link_find(&l, buf, strlen(buf)));

    /* A cid in use is refused, and the table is unchanged. */
    struct dialog *dup = new_ctx(cs[3]->cid);
    ck_assert_actr_err(actri_link_register(&l, dup), ACTR_EPROTO);
    ck_assert(!dup->registered);
    ck_assert_uint_eq(l.nctx, MANY);
    ck_assert_ptr_eq(actri_link_find(&l, cs[3]->cid, UUID_LEN), cs[3]);

    /* Remove every other one; the rest stay found; twice is harmless. */
    for (int i = 0; i < MANY; i += 2) {
        actri_link_unregister(&l, cs[i]);
        actri_link_unregister(&l, cs[i]);
        ck_assert(!cs[i]->registered);
    }
    ck_assert_uint_eq(l.nctx, MANY / 2);
    for (int i = 0; i < MANY; i++)
        ck_assert_ptr_eq(actri_link_find(&l, cs[i]->cid, UUID_LEN),
                         i % 2 ? cs[i] : NULL);
    /* A removed cid can be used again. */
    strcpy(dup->cid, cs[4]->cid);
    ck_assert_actr_ok(actri_link_register(&l, dup));
    ck_assert_ptr_eq(actri_link_find(&l, dup->cid, UUID_LEN), dup);

    /* Short, non-uuid cids (as tractor tests use) work the same. */
    struct dialog *k1 = new_ctx("k1"), *k12 = new_ctx("k12");
    ck_assert_actr_ok(actri_link_register(&l, k1));
    ck_assert_actr_ok(actri_link_register(&l, k12));
    ck_assert_ptr_eq(actri_link_find(&l, "k12", 3), k12);
    ck_assert_ptr_eq(actri_link_find(&l, "k1", 2), k1);
    ck_assert_ptr_null(actri_link_find(&l, "k", 1));

    actri_link_unregister(&l, k1);
    actri_link_unregister(&l, k12);
    actri_link_unregister(&l, dup);
    for (int i = 0; i < MANY; i++) {
        actri_link_unregister(&l, cs[i]);
        free(cs[i]);
    }
    ck_assert_uint_eq(l.nctx, 0);
    free(k1);
    free(k12);
    free(dup);
    free(cs);
    free(l.tab);
    return 0;
}

START_TEST(test_cid_table_lookup_growth_removal)
{
    run_main(table_body, NULL);
}
END_TEST

static int
is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

START_TEST(test_uuid4_format_and_uniqueness)
{
    /* More than one pool's worth (256 per refill). */
    enum { N = 2000 };
    static char ids[N][UUID_LEN + 1];
    for (int i = 0; i < N; i++) {
        actri_uuid4(ids[i]);
        const char *u = ids[i];
        ck_assert_uint_eq(strlen(u), UUID_LEN);
        for (int k = 0; k < UUID_LEN; k++) {
            if (k == 8 || k == 13 || k == 18 || k == 23)
                ck_assert_int_eq(u[k], '-');
            else
                ck_assert_msg(is_hex(u[k]), "uuid %s: bad char at %d", u, k);
        }
        ck_assert_int_eq(u[14], '4');                        /* version 4 */
        ck_assert(strchr("89ab", u[19]) != NULL);            /* RFC 4122 variant */
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            ck_assert_str_ne(ids[i], ids[j]);
}
END_TEST

START_TEST(test_uuid4_differs_after_fork)
{
    char a[UUID_LEN + 1], b[UUID_LEN + 1], c[UUID_LEN + 1] = "";
    actri_uuid4(a);                      /* the pool is filled and in use */
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char x[UUID_LEN + 1];
        actri_uuid4(x);
        _exit(write(fds[1], x, UUID_LEN) == UUID_LEN ? 0 : 1);
    }
    close(fds[1]);
    actri_uuid4(b);
    ck_assert_int_eq(read(fds[0], c, UUID_LEN), UUID_LEN);
    close(fds[0]);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_str_ne(a, b);
    ck_assert_str_ne(b, c);              /* the child did not reuse our bytes */
    ck_assert_str_ne(a, c);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("actor_cidtab");
    TCase *tc = tcase_create("cidtab");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cid_table_lookup_growth_removal);
    tcase_add_test(tc, test_uuid4_format_and_uniqueness);
    tcase_add_test(tc, test_uuid4_differs_after_fork);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
