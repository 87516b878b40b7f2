/* actr/log.h: logging for every layer (SEMANTICS S24).
 * Levels are numbers with room between them; `cancel` (16) and `runtime`
 * (15) sit between debug and info as in the seeds. The process level comes
 * from actr_log_set_level (an option) or else the ACTR_LOGLEVEL environment
 * variable (a name or a number), default warning. The actr_log* macros
 * check the level before formatting anything. Each line holds the UTC
 * time, level, pid, actor name, task name, a short tag and the message,
 * on one line (newlines in the message become spaces). The default sink
 * writes to stderr, with colour only when stderr is a terminal and
 * NO_COLOR is unset. Logging never blocks the task on the loop, never
 * fails visibly and may be called anywhere. */
#ifndef ACTR_LOG_H
#define ACTR_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

ACTR_BEGIN_DECLS

#define ACTR_LOG_ERROR   40
#define ACTR_LOG_WARNING 30
#define ACTR_LOG_INFO    20
#define ACTR_LOG_CANCEL  16
#define ACTR_LOG_RUNTIME 15
#define ACTR_LOG_DEBUG   10

/* One log line, handed to the sink. Everything is borrowed for the call. */
typedef struct actr_log_record {
    int level;
    const char *level_name;  /* "ERROR", "WARNING", ... "DEBUG", or "L<n>" */
    int64_t time_ms;         /* wall clock, ms since the epoch */
    int pid;
    const char *actor;       /* actor name (actr_log_set_actor) */
    const char *task;        /* task name, "-" outside a task */
    const char *tag;         /* short message id / subsystem, or "" */
    const char *msg;         /* the formatted message */
    const char *line;        /* the whole line, no colour, no newline */
    size_t line_len;
} actr_log_record;

/* A sink receives every line at or above the level. */
typedef void (*actr_log_sink_fn)(const actr_log_record *rec, void *ud);

/* Returns 1 when a message at level would be written. */
ACTR_API int actr_log_enabled(int level);

/* Formats and writes one line unconditionally (the macros check the level
 * first). tag may be NULL. */
ACTR_API void actr_log_write(int level, const char *tag, const char *fmt, ...)
    ACTR_PRINTF(3, 4);

#define actr_log(level, tag, ...)                                 \
    do {                                                          \
        if (actr_log_enabled(level))                              \
            actr_log_write((level), (tag), __VA_ARGS__);          \
    } while (0)
#define actr_log_error(tag, ...)   actr_log(ACTR_LOG_ERROR, tag, __VA_ARGS__)
#define actr_log_warning(tag, ...) actr_log(ACTR_LOG_WARNING, tag, __VA_ARGS__)
#define actr_log_info(tag, ...)    actr_log(ACTR_LOG_INFO, tag, __VA_ARGS__)
#define actr_log_cancel(tag, ...)  actr_log(ACTR_LOG_CANCEL, tag, __VA_ARGS__)
#define actr_log_runtime(tag, ...) actr_log(ACTR_LOG_RUNTIME, tag, __VA_ARGS__)
#define actr_log_debug(tag, ...)   actr_log(ACTR_LOG_DEBUG, tag, __VA_ARGS__)

/* Sets the process's level (overrides ACTR_LOGLEVEL). */
ACTR_API void actr_log_set_level(int level);

/* Returns the process's level. */
ACTR_API int actr_log_get_level(void);

/* Parses a level: a name (error, warning/warn, info, cancel, runtime,
 * debug; any case) or a decimal number. Returns 0 and sets *level, or
 * ACTR_EINVAL. */
ACTR_API ACTR_NODISCARD int actr_log_parse_level(const char *text, int *level);

/* Returns the canonical lower-case name of a level ("cancel"), or NULL
 * for a number without a name. */
ACTR_API const char *actr_log_level_name(int level);

/* Sets the actor name printed on every line (copied, up to 63 bytes).
 * NULL restores the default (the program's name). */
ACTR_API void actr_log_set_actor(const char *name);

/* Replaces the sink; NULL restores the default stderr sink. */
ACTR_API void actr_log_set_sink(actr_log_sink_fn fn, void *ud);

ACTR_END_DECLS

#endif
