/* Fiber stacks (mmap + guard page, pooled) and context switching. */
#define _GNU_SOURCE
#include "core/fiber.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <actr/log.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* Pooled stacks keep the pages they touched; bound the memory kept. */
#define POOL_MAX 1024
#define MIN_STACK (16u * 1024u)
#define DEFAULT_STACK (256u * 1024u)

/* A pooled stack: its header block holds the pool link and its info. */
struct poolent {
    struct poolent *next;
    struct stackinfo info;
};

static struct {
    size_t page;             /* page size, 0 until first use */
    size_t def;              /* default usable stack size */
    size_t pool_map_size;    /* map size of the stacks the pool holds */
    struct poolent *pool;    /* free stacks of pool_map_size */
    size_t npooled;
    size_t nmapped;
} st;

/* Counted here, read by actr_stats_get. */
unsigned long long actri_fiber_switches;

static size_t
round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

static void
init_sizes(void)
{
    if (st.page == 0) {
        long p = sysconf(_SC_PAGESIZE);
        st.page = p > 0 ? (size_t)p : 4096;
    }
    if (st.def == 0)
        st.def = DEFAULT_STACK;
}

size_t
actri_stack_default(void)
{
    init_sizes();
    return st.def;
}

void
actri_stack_set_default(size_t bytes)
{
    init_sizes();
    if (bytes < MIN_STACK)
        bytes = MIN_STACK;
    st.def = round_up(bytes, st.page);
    actri_stack_pool_drain();
    /* Stacks of the old size still in use must not join the pool when
     * they end: the next default-size spawn would take one. */
    st.pool_map_size = 0;
}

size_t
actri_stack_mapped(void)
{
    return st.nmapped;
}

size_t
actri_stack_pooled(void)
{
    return st.npooled;
}

static void
unmap(const struct stackinfo *info)
{
#ifdef HAVE_VALGRIND
    VALGRIND_STACK_DEREGISTER(info->vg_id);
#endif
#ifdef HAVE_ASAN
    /* Leave no stale poison behind for whatever is mapped here next. */
    ASAN_UNPOISON_MEMORY_REGION(info->map, info->map_size);
#endif
    munmap(info->map, info->map_size);
    st.nmapped--;
}

void *
actri_stack_alloc(size_t stack_size, size_t hdr, struct stackinfo *info)
{
    init_sizes();
    if (stack_size == 0)
        stack_size = st.def;
    if (stack_size < MIN_STACK)
        stack_size = MIN_STACK;
    if (stack_size > SIZE_MAX / 2 || hdr > SIZE_MAX / 4) {
        actr_log_error("stack", "cannot map a task stack of %zu bytes: too large",
                       stack_size);
        return NULL;
    }
    size_t hdr_size = round_up(hdr < sizeof(struct poolent) ? sizeof(struct poolent) : hdr, 64);
    size_t map_size = st.page + round_up(stack_size + hdr_size, st.page);
    if (stack_size == st.def)
        st.pool_map_size = map_size;

    if (map_size == st.pool_map_size && st.pool) {
        struct poolent *e = st.pool;
        st.pool = e->next;
        st.npooled--;
        *info = e->info;
#ifdef HAVE_ASAN
        ASAN_UNPOISON_MEMORY_REGION(info->lo, (size_t)(info->hi - info->lo));
#endif
        memset(info->hi, 0, hdr_size);
        return info->hi;
    }

    char *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED) {
        int e = errno;
        actr_log_error("stack", "cannot map a task stack of %zu bytes: %s%s", map_size,
                       strerror(e),
                       e == ENOMEM ? " (out of memory or address space, or the process"
                                     " reached vm.max_map_count: each task stack takes"
                                     " two mappings)" : "");
        return NULL;
    }
    /* The guard page turns a stack overflow into a fault, not corruption.
     * It splits the mapping in two, which is what vm.max_map_count counts. */
    if (mprotect(map, st.page, PROT_NONE) != 0) {
        int e = errno;
        actr_log_error("stack", "cannot protect the guard page of a task stack: %s%s",
                       strerror(e),
                       e == ENOMEM ? " (the process reached vm.max_map_count: raise it"
                                     " with sysctl vm.max_map_count=N, or run fewer tasks)" : "");
        munmap(map, map_size);
        return NULL;
    }
    info->map = map;
    info->map_size = map_size;
    info->lo = map + st.page;
    info->hi = map + map_size - hdr_size;
#ifdef HAVE_VALGRIND
    info->vg_id = VALGRIND_STACK_REGISTER(info->lo, info->hi);
#else
    info->vg_id = 0;
#endif
    st.nmapped++;
    return info->hi;
}

void
actri_stack_free(const struct stackinfo *info)
{
    if (info->map_size == st.pool_map_size && st.npooled < POOL_MAX) {
        struct stackinfo copy = *info;
        struct poolent *e = (struct poolent *)(void *)copy.hi;
        e->info = copy;
        e->next = st.pool;
        st.pool = e;
        st.npooled++;
        return;
    }
    unmap(info);
}

void
actri_stack_pool_shrink(size_t keep)
{
    while (st.pool && st.npooled > keep) {
        struct poolent *e = st.pool;
        struct stackinfo info = e->info;
        st.pool = e->next;
        st.npooled--;
        unmap(&info);
    }
}

void
actri_stack_pool_drain(void)
{
    while (st.pool) {
        struct poolent *e = st.pool;
        struct stackinfo info = e->info;
        st.pool = e->next;
        st.npooled--;
        unmap(&info);
    }
}

/* ------------------------------------------------------------ switching */

#ifdef HAVE_ASAN
/* The fiber being left, so the one entered can record the bounds of the
 * thread's own stack the first time it is left. */
static struct fiber *sw_from;

static void
asan_finish(void *fake)
{
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(fake, &bottom, &size);
    if (sw_from && sw_from->stack_lo == NULL) {
        sw_from->stack_lo = (char *)bottom;
        sw_from->stack_size = size;
    }
}
#endif

#ifndef ACTR_FIBER_UCONTEXT

void actri_ctx_switch(void **save_sp, void *new_sp);
void actri_ctx_entry(void);

void
actri_fiber_init(struct fiber *f, char *lo, char *hi, void (*entry)(void *), void *arg)
{
    uintptr_t top = (uintptr_t)hi & ~(uintptr_t)15;
    f->stack_lo = lo;
    f->stack_size = (size_t)(hi - lo);
    f->asan_fake = NULL;
#if defined(__x86_64__)
    /* Frame popped by actri_ctx_switch: control words, r15, r14, r13 (entry),
     * r12 (arg), rbx, rbp, return address. After the ret, rsp == top. */
    uint64_t *frame = (uint64_t *)(top - 8 * 8);
    memset(frame, 0, 8 * 8);
    frame[0] = 0x1F80u | ((uint64_t)0x037Fu << 32);   /* default MXCSR, x87 CW */
    frame[3] = (uint64_t)(uintptr_t)entry;
    frame[4] = (uint64_t)(uintptr_t)arg;
    frame[7] = (uint64_t)(uintptr_t)actri_ctx_entry;
#elif defined(__aarch64__)
    /* x19 (arg), x20 (entry), ..., x29 = 0, x30 = actri_ctx_entry, d8-d15. */
    uint64_t *frame = (uint64_t *)(top - 160);
    memset(frame, 0, 160);
    frame[0] = (uint64_t)(uintptr_t)arg;
    frame[1] = (uint64_t)(uintptr_t)entry;
    frame[11] = (uint64_t)(uintptr_t)actri_ctx_entry;
#endif
    f->sp = frame;
}

static inline void
ctx_switch(struct fiber *from, struct fiber *to)
{
    actri_ctx_switch(&from->sp, to->sp);
}

int
actri_fiber_fresh(const struct fiber *f)
{
    /* Its first switch would "return" into actri_ctx_entry. */
#if defined(__x86_64__)
    return ((const uint64_t *)f->sp)[7] == (uint64_t)(uintptr_t)actri_ctx_entry;
#else
    return ((const uint64_t *)f->sp)[11] == (uint64_t)(uintptr_t)actri_ctx_entry;
#endif
}

#else /* ucontext fallback */

static struct fiber *uc_to;

/* A fiber saved by a switch has run. */
static inline void
f_ran(struct fiber *f)
{
    f->ran = 1;
}

static void
uc_trampoline(void)
{
    uc_to->entry(uc_to->arg);
}

void
actri_fiber_init(struct fiber *f, char *lo, char *hi, void (*entry)(void *), void *arg)
{
    f->stack_lo = lo;
    f->stack_size = (size_t)(hi - lo);
    f->asan_fake = NULL;
    f->entry = entry;
    f->arg = arg;
    f->ran = 0;
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = lo;
    f->uc.uc_stack.ss_size = (size_t)(hi - lo);
    f->uc.uc_link = NULL;
    makecontext(&f->uc, uc_trampoline, 0);
}

static inline void
ctx_switch(struct fiber *from, struct fiber *to)
{
    uc_to = to;
    f_ran(from);
    swapcontext(&from->uc, &to->uc);
}

int
actri_fiber_fresh(const struct fiber *f)
{
    return !f->ran;
}

#endif

void
actri_fiber_switch(struct fiber *from, struct fiber *to)
{
    actri_fiber_switches++;
#ifdef HAVE_ASAN
    sw_from = from;
    __sanitizer_start_switch_fiber(&from->asan_fake, to->stack_lo, to->stack_size);
#endif
    ctx_switch(from, to);
#ifdef HAVE_ASAN
    asan_finish(from->asan_fake);
#endif
}

void
actri_fiber_switch_final(struct fiber *from, struct fiber *to)
{
    actri_fiber_switches++;
#ifdef HAVE_ASAN
    sw_from = from;
    /* NULL: this fiber is done, ASan may free its fake stack. */
    __sanitizer_start_switch_fiber(NULL, to->stack_lo, to->stack_size);
#endif
    ctx_switch(from, to);
    __builtin_unreachable();
}

void
actri_fiber_started(void)
{
#ifdef HAVE_ASAN
    asan_finish(NULL);
#endif
}
