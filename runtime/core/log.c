/* Logging (actr/log.h): level filter, one-line format, pluggable sink. */
#define _GNU_SOURCE
#include <actr/log.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <actr/env.h>
#include <actr/err.h>
#include <actr/task.h>

#include "core/core.h"

#define LINE_MAX_BYTES 2048

static struct {
    int inited;
    int level;
    int explicit_level;      /* set by actr_log_set_level: env ignored */
    char actor[64];
    actr_log_sink_fn sink;
    void *sink_ud;
    int colour;              /* -1 unknown, 0 no, 1 yes */
} lg = {.level = ACTR_LOG_WARNING, .colour = -1};

static const struct {
    int level;
    const char *name;
    const char *upper;
    const char *colour;
} names[] = {
    {ACTR_LOG_ERROR, "error", "ERROR", "\033[1;31m"},
    {ACTR_LOG_WARNING, "warning", "WARNING", "\033[33m"},
    {ACTR_LOG_INFO, "info", "INFO", "\033[32m"},
    {ACTR_LOG_CANCEL, "cancel", "CANCEL", "\033[35m"},
    {ACTR_LOG_RUNTIME, "runtime", "RUNTIME", "\033[36m"},
    {ACTR_LOG_DEBUG, "debug", "DEBUG", "\033[2m"},
};
#define NNAMES (sizeof names / sizeof names[0])

void
actri_log_init(void)
{
    if (lg.inited)
        return;
    lg.inited = 1;
    if (lg.explicit_level)
        return;
    const char *env = actr_env_get(ACTR_ENV_LOGLEVEL);
    int level;
    if (env) {
        if (actr_log_parse_level(env, &level) == 0)
            lg.level = level;
        else
            actr_env_warn_bad(ACTR_ENV_LOGLEVEL, "not a level");
    }
}

int
actr_log_enabled(int level)
{
    if (!lg.inited)
        actri_log_init();
    return level >= lg.level;
}

void
actr_log_set_level(int level)
{
    lg.level = level;
    lg.explicit_level = 1;
    lg.inited = 1;
}

int
actr_log_get_level(void)
{
    if (!lg.inited)
        actri_log_init();
    return lg.level;
}

int
actr_log_parse_level(const char *text, int *level)
{
    if (!text || !*text)
        return ACTR_EINVAL;
    for (size_t i = 0; i < NNAMES; i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            *level = names[i].level;
            return 0;
        }
    }
    if (strcasecmp(text, "warn") == 0) {
        *level = ACTR_LOG_WARNING;
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno == 0 && *end == 0 && end != text && v >= 0 && v <= 1000) {
        *level = (int)v;
        return 0;
    }
    return ACTR_EINVAL;
}

const char *
actr_log_level_name(int level)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (names[i].level == level)
            return names[i].name;
    return NULL;
}

void
actr_log_set_actor(const char *name)
{
    if (name)
        snprintf(lg.actor, sizeof lg.actor, "%s", name);
    else
        lg.actor[0] = 0;
}

void
actr_log_set_sink(actr_log_sink_fn fn, void *ud)
{
    lg.sink = fn;
    lg.sink_ud = ud;
}

static int
use_colour(void)
{
    if (lg.colour < 0) {
        lg.colour = isatty(STDERR_FILENO) && !actr_env_get(ACTR_ENV_NO_COLOR);
    }
    return lg.colour;
}

static void
write_all(const struct iovec *iov, int n)
{
    /* One writev keeps lines from interleaving between processes; stderr
     * is blocking, so a short write only happens on signals. */
    ssize_t r;
    do
        r = writev(STDERR_FILENO, iov, n);
    while (r < 0 && errno == EINTR);
}

static void
stderr_sink(const actr_log_record *rec)
{
    const char *col = NULL;
    if (use_colour()) {
        for (size_t i = 0; i < NNAMES; i++)
            if (names[i].level == rec->level)
                col = names[i].colour;
    }
    if (!col) {
        struct iovec iov[2] = {{(void *)rec->line, rec->line_len}, {(void *)"\n", 1}};
        write_all(iov, 2);
        return;
    }
    /* Colour the level name only: the line is "<time> <LEVEL> ...". */
    const char *sp = memchr(rec->line, ' ', rec->line_len);
    size_t pre = sp ? (size_t)(sp - rec->line) + 1 : 0;
    size_t lvl = strlen(rec->level_name);
    if (pre + lvl > rec->line_len)
        pre = lvl = 0;
    struct iovec iov[6] = {
        {(void *)rec->line, pre},
        {(void *)col, strlen(col)},
        {(void *)(rec->line + pre), lvl},
        {(void *)"\033[0m", 4},
        {(void *)(rec->line + pre + lvl), rec->line_len - pre - lvl},
        {(void *)"\n", 1},
    };
    write_all(iov, 6);
}

void
actr_log_write(int level, const char *tag, const char *fmt, ...)
{
    int saved_errno = errno;
    char msg[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int mlen = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (mlen < 0)
        mlen = 0;
    if ((size_t)mlen >= sizeof msg) {
        mlen = (int)sizeof msg - 1;
        memcpy(msg + mlen - 3, "...", 3);
    }
    for (int i = 0; i < mlen; i++)
        if (msg[i] == '\n' || msg[i] == '\r')
            msg[i] = ' ';

    const char *lname = NULL;
    char lbuf[16];
    for (size_t i = 0; i < NNAMES; i++)
        if (names[i].level == level)
            lname = names[i].upper;
    if (!lname) {
        snprintf(lbuf, sizeof lbuf, "L%d", level);
        lname = lbuf;
    }

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    const char *actor = lg.actor[0] ? lg.actor : program_invocation_short_name;
    const char *task = actr_task_name();
    if (!tag)
        tag = "";
    int pid = (int)getpid();

    char line[LINE_MAX_BYTES + 256];
    int len = snprintf(line, sizeof line,
                       "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s [%d] %s/%s %s%s%.*s",
                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000), lname, pid,
                       actor, task, tag, *tag ? ": " : "", mlen, msg);
    if (len < 0)
        len = 0;
    if ((size_t)len >= sizeof line)
        len = (int)sizeof line - 1;

    actr_log_record rec = {
        .level = level,
        .level_name = lname,
        .time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
        .pid = pid,
        .actor = actor,
        .task = task,
        .tag = tag,
        .msg = msg,
        .line = line,
        .line_len = (size_t)len,
    };
    if (lg.sink)
        lg.sink(&rec, lg.sink_ud);
    else
        stderr_sink(&rec);
    errno = saved_errno;
}
