/* core/fiber.h: execution contexts and their stacks. A fiber is a saved
 * stack pointer on an mmap'd stack with a guard page; switching is a few
 * instructions of assembly (switch.S) on x86-64 and aarch64, ucontext
 * elsewhere. Stacks of the default size are pooled. Switches are
 * annotated for AddressSanitizer and stacks registered with valgrind. */
#ifndef ACTR_CORE_FIBER_H
#define ACTR_CORE_FIBER_H

#include <stddef.h>

/* ucontext is the portable fallback (glibc's swapcontext makes a syscall
 * per switch); build with -DACTR_FIBER_UCONTEXT=1 to force it. */
#if !defined(ACTR_FIBER_UCONTEXT) && !defined(__x86_64__) && !defined(__aarch64__)
#define ACTR_FIBER_UCONTEXT 1
#endif
#if defined(ACTR_FIBER_UCONTEXT) && ACTR_FIBER_UCONTEXT
#include <ucontext.h>
#else
#undef ACTR_FIBER_UCONTEXT
#endif

struct fiber {
    void *sp;            /* saved stack pointer while switched out */
    char *stack_lo;      /* lowest usable address (above the guard page);
                            NULL for the thread's own stack until known */
    size_t stack_size;   /* usable bytes from stack_lo */
    void *asan_fake;     /* ASan's fake stack of this fiber while out */
#ifdef ACTR_FIBER_UCONTEXT
    ucontext_t uc;
    void (*entry)(void *);
    void *arg;
    int ran;             /* switched away from at least once */
#endif
};

/* A stack mapping: [guard][usable stack][header block of hdr bytes]. */
struct stackinfo {
    char *map;           /* start of the mapping (guard page) */
    size_t map_size;     /* whole mapping */
    char *lo, *hi;       /* usable stack, hi = start of the header block */
    unsigned vg_id;      /* valgrind stack id */
};

/* Maps (or takes from the pool) a stack of at least stack_size usable
 * bytes topped by a zeroed block of hdr bytes; returns the block, with
 * *info describing the mapping. NULL when mapping fails (logged with the
 * cause). */
void *actri_stack_alloc(size_t stack_size, size_t hdr, struct stackinfo *info);

/* Returns a stack to the pool, or unmaps it. Not the stack we run on. */
void actri_stack_free(const struct stackinfo *info);

/* Unmaps every pooled stack. */
void actri_stack_pool_drain(void);
/* Unmaps pooled stacks until at most keep are left. */
void actri_stack_pool_shrink(size_t keep);

/* Pool and mapping counters. */
size_t actri_stack_mapped(void);
size_t actri_stack_pooled(void);

/* Default usable size for new stacks, and its setter. */
size_t actri_stack_default(void);
void actri_stack_set_default(size_t bytes);

/* Prepares f to run entry(arg) on stack [lo, hi) when first switched to.
 * entry must never return; it ends by a final switch. */
void actri_fiber_init(struct fiber *f, char *lo, char *hi,
                      void (*entry)(void *), void *arg);

/* Saves the current context into from and resumes to. Returns when some
 * fiber switches back to from. */
void actri_fiber_switch(struct fiber *from, struct fiber *to);

/* Last switch away from a fiber that will never run again (its stack may
 * be released by whoever runs next). */
void actri_fiber_switch_final(struct fiber *from, struct fiber *to) __attribute__((noreturn));

/* 1 when f was prepared by actri_fiber_init and has not run since (its
 * saved context is the entry's, not a stack to unwind). */
int actri_fiber_fresh(const struct fiber *f);

/* Must be the first call of a fiber's entry function. */
void actri_fiber_started(void);

#endif
