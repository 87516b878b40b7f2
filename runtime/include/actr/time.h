/* actr/time.h: the runtime's clock. Every deadline in the API is an
 * absolute point on this clock, in milliseconds: deadlines compose without
 * arithmetic and survive retries. -1 means "no deadline", 0 means "only if
 * it can be done without blocking" (any other past value acts like 0). */
#ifndef ACTR_TIME_H
#define ACTR_TIME_H

#include <stdint.h>

#include "api.h"

ACTR_BEGIN_DECLS

/* No deadline: wait until done or cancelled. */
#define ACTR_FOREVER ((int64_t)-1)

/* Returns the current time in milliseconds on the monotonic clock
 * (CLOCK_MONOTONIC). Never fails, never blocks; callable anywhere. */
ACTR_API int64_t actr_now(void);

/* Returns actr_now() + ms, or ACTR_FOREVER when ms < 0 or the sum would
 * overflow: a relative timeout turned into a deadline. */
ACTR_API int64_t actr_deadline_in(int64_t ms);

ACTR_END_DECLS

#endif
