/* uuid4 text (wire/uuid.h). */
#define _GNU_SOURCE
#include "wire/uuid.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* Random bytes for uuids come from a pool filled by one getrandom of 4
 * KiB (256 uuids), not one syscall per dialog. A forked child empties
 * its copy at once, so parent and child never hand out the same bytes. */
#define UUID_POOL 4096

static uint8_t pool[UUID_POOL];
static size_t pool_left;                /* unused bytes at the pool's end */
static int atfork_done;

static void
pool_forget(void)
{
    pool_left = 0;
}

static void
pool_fill(void)
{
    if (!atfork_done) {
        atfork_done = 1;
        (void)pthread_atfork(NULL, NULL, pool_forget);
    }
    size_t got = 0;
    while (got < sizeof pool) {
        ssize_t n = getrandom(pool + got, sizeof pool - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof pool) {
        /* No entropy source: still unique enough within one host. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30)
                   ^ ((uint64_t)getpid() << 48);
        for (size_t i = got; i < sizeof pool; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            pool[i] = (uint8_t)(x >> 56);
        }
    }
    pool_left = sizeof pool;
}

void
actri_uuid4(char out[ACTRI_UUID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    if (pool_left < 16)
        pool_fill();
    uint8_t *b = pool + sizeof pool - pool_left;
    pool_left -= 16;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = 0;
    memset(b, 0, 16);                   /* used bytes are not kept around */
}

