/* compiler/util.h: memory arena and growable strings for actrc.
 * Everything a compilation builds lives in one arena and is released at
 * once; running out of memory is not an input error, so it aborts. */
#ifndef ACTRC_UTIL_H
#define ACTRC_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#define ACTRC_PRINTF(a, b) __attribute__((format(printf, a, b)))

typedef struct arena_block arena_block;
typedef struct arena {
    arena_block *head;
} arena;

void arena_init(arena *a);
void arena_free(arena *a);
/* Zeroed, aligned for any type. */
void *arena_alloc(arena *a, size_t n);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...) ACTRC_PRINTF(2, 3);

/* A growable NUL-terminated byte string on the heap. */
typedef struct strbuf {
    char *ptr;
    size_t len;
    size_t cap;
} strbuf;

void sb_put(strbuf *b, const char *s, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_putc(strbuf *b, char c);
void sb_printf(strbuf *b, const char *fmt, ...) ACTRC_PRINTF(2, 3);
void sb_vprintf(strbuf *b, const char *fmt, va_list ap);
/* Hands the buffer over (never NULL); b is empty afterwards. */
char *sb_take(strbuf *b, size_t *len);
void sb_free(strbuf *b);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);

#endif
