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
    return ms < 0 ? ACTR_FOREVER : actr_now() + ms;
}
