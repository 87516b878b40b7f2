/* Error codes: every code has a distinct name and a description. */
#include <check.h>
#include <string.h>

#include <actr/err.h>

START_TEST(test_every_code_named)
{
    for (int e = ACTR_ELAST; e <= ACTR_OK; e++) {
        ck_assert_ptr_nonnull(actr_errname(e));
        ck_assert_str_ne(actr_strerror(e), "unknown error");
        for (int f = ACTR_ELAST; f < e; f++)
            ck_assert_str_ne(actr_errname(e), actr_errname(f));
    }
}
END_TEST

START_TEST(test_unknown_code)
{
    ck_assert_str_eq(actr_strerror(12345), "unknown error");
    ck_assert_ptr_null(actr_errname(12345));
    ck_assert_str_eq(actr_errname(ACTR_ECANCELED), "ACTR_ECANCELED");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("codes");
    tcase_add_test(tc, test_every_code_named);
    tcase_add_test(tc, test_unknown_code);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
