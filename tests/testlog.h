/* Tests that provoke a warning or an error say so, before they provoke
 * it. make check reads each suite's stderr (tests/logcheck.awk): a
 * WARNING or ERROR line, or an "actr: " line, that no test of the suite
 * announced fails the suite, so a passing run prints none of them (issue
 * 13: a normal run prints nothing at WARNING or above). */
#ifndef TESTLOG_H
#define TESTLOG_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Announces that lines containing text may appear on stderr from now on
 * until the suite ends (from this process or any actor it starts). */
static inline void
test_expect_log(const char *text)
{
    char line[512];
    int n = snprintf(line, sizeof line, "ACTR-TEST-EXPECT %s\n", text);
    if (n > 0 && (size_t)n < sizeof line && write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}

#endif
