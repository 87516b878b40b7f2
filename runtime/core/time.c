/* The runtime's monotonic clock in milliseconds. */
#define _GNU_SOURCE
#include <actr/time.h>

#include <time.h>

int64_t
actr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
actr_deadline_in(int64_t ms)
{
    if (ms < 0)
        return ACTR_FOREVER;
    int64_t now = actr_now();
    /* Beyond the clock's range is no deadline, not a signed overflow. */
    return ms > INT64_MAX - now ? ACTR_FOREVER : now + ms;
}
