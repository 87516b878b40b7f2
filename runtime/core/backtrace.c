/* Symbolized backtraces (core/backtrace.h) with elfutils' libdwfl.
 *
 * libdwfl unwinds a "thread" whose registers and memory we provide
 * (dwfl_attach_state): the registers are those of a task (saved by the
 * fiber switch, switch.S), of the running code (getcontext) or of the
 * code a signal interrupted (its ucontext); memory is this process's,
 * read with process_vm_readv so that a wild pointer on a broken stack
 * fails the read instead of faulting again. Each frame's pc is then
 * named: the function (and the functions inlined at that pc, from the
 * DWARF scopes), the source file and line, or at least the symbol and
 * the object. One Dwfl is kept for the process; objects loaded later
 * (dlopen) are reported when the set of loaded objects changes. */
#define _GNU_SOURCE
#include "core/backtrace.h"
#include "core/core.h"

#include <actr/debug.h>

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#define S actri_sched

#if (defined(__x86_64__) || defined(__aarch64__)) && defined(__GLIBC__)
#define BT_SUPPORTED 1
#endif

/* Frames shown per stack at most (a stack overflow has thousands). */
#define MAX_FRAMES 128

#if defined(__x86_64__)
#define NREGS 17               /* DWARF rax..r15 and rip (16) */
#else
#define NREGS 32               /* DWARF x0..x30 and sp (31); pc apart */
#endif

/* Where an unwind starts. */
struct regs {
    Dwarf_Word r[NREGS];
    Dwarf_Word pc;
    int pc_is_return;          /* pc is a return address, not the
                                  instruction that was running */
    const char *lo, *hi;       /* the stack it runs on, read directly
                                  (NULL: all through process_vm_readv) */
};

/* One unwound frame. */
struct frame {
    Dwarf_Addr pc;
    int is_return;
};

static struct {
    Dwfl *dwfl;
    int attached;              /* dwfl_attach_state done */
    int broken;                /* libdwfl could not start: no symbols */
    size_t nobjects;           /* loaded objects at the last report */
    const struct regs *req;    /* the unwind in progress */
    int vm_read;               /* process_vm_readv: 1 works, 0 refused,
                                  -1 not tried */
    int busy;                  /* a backtrace is being made */
    char *stack_lo, *stack_hi; /* the thread's own stack (for the
                                  fallback reader) */
} bt = {.vm_read = -1};

/* What describe_pc said of a pc, kept: error paths repeat the same
 * frames, and naming a pc (the DWARF scopes) costs far more than
 * unwinding. Direct-mapped; emptied when the loaded objects change. */
#define SYMCACHE 1024
static struct symslot {
    Dwarf_Addr a;
    char *text;
} symcache[SYMCACHE];

static void
symcache_clear(void)
{
    for (size_t i = 0; i < SYMCACHE; i++) {
        free(symcache[i].text);
        symcache[i].text = NULL;
    }
}

/* ------------------------------------------------------------ output */

/* Text goes to an fd (crash reports) or to a growing string. */
struct sink {
    int fd;                    /* >= 0: write here */
    char *buf;
    size_t len, cap;
    int oom;
};

static void
sink_put(struct sink *s, const char *p, size_t n)
{
    if (s->fd >= 0) {
        while (n > 0) {
            ssize_t w = write(s->fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return;
            p += w;
            n -= (size_t)w;
        }
        return;
    }
    if (s->oom)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->oom = 1;
            return;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = 0;
}

static void ACTR_PRINTF(2, 3)
sink_printf(struct sink *s, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        sink_put(s, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ------------------------------------------------------------ memory */

/* A word of a stack, read as it is: not through ASan's eyes (another
 * frame's red zone is no error here), and valid for valgrind (a
 * register's spill slot is defined even where memcheck lost track). */
static __attribute__((no_sanitize("address"))) Dwarf_Word
load_word(Dwarf_Addr a)
{
    Dwarf_Word w = *(const volatile Dwarf_Word *)(uintptr_t)a;
    VG_DEFINED(&w, sizeof w);
    return w;
}

/* 1 when [a, a+8) lies on a stack we know: a task's, or the thread's. */
static int
on_known_stack(Dwarf_Addr a)
{
    const char *p = (const char *)(uintptr_t)a;
    if (p >= bt.stack_lo && p + sizeof(Dwarf_Word) <= bt.stack_hi)
        return 1;
    for (const struct actri_task *t = S.all; t; t = t->all_next)
        if (p >= t->stack.lo && p + sizeof(Dwarf_Word) <= t->stack.hi)
            return 1;
    return 0;
}

static int
read_word(Dwarf_Addr a, Dwarf_Word *out)
{
    /* The stack being unwound, outside a signal handler: it is there,
     * and a syscall per word would cost most of the backtrace. */
    const struct regs *r = bt.req;
    const char *p = (const char *)(uintptr_t)a;
    if (r && r->lo && p >= r->lo && p + sizeof *out <= r->hi) {
        *out = load_word(a);
        return 1;
    }
    if (bt.vm_read != 0) {
        struct iovec local = {out, sizeof *out};
        struct iovec remote = {(void *)(uintptr_t)a, sizeof *out};
        ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        if (n == (ssize_t)sizeof *out) {
            bt.vm_read = 1;
            return 1;
        }
        if (n < 0 && (errno == ENOSYS || errno == EPERM) && bt.vm_read < 0)
            bt.vm_read = 0;            /* seccomp or no such call: fall back */
        else
            return 0;
    }
    /* Without process_vm_readv only stack memory is read, which the
     * unwinder is all that needs. */
    if (!on_known_stack(a))
        return 0;
    *out = load_word(a);
    return 1;
}

/* ------------------------------------------------------------ libdwfl */

static pid_t
cb_next_thread(Dwfl *d, void *arg, void **thread_arg)
{
    (void)d;
    (void)arg;
    if (*thread_arg)
        return 0;
    *thread_arg = (void *)bt.req;
    return getpid();
}

static bool
cb_get_thread(Dwfl *d, pid_t tid, void *arg, void **thread_arg)
{
    (void)d;
    (void)tid;
    (void)arg;
    *thread_arg = (void *)bt.req;
    return true;
}

static bool
cb_memory_read(Dwfl *d, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
    (void)d;
    (void)arg;
    return read_word(addr, result) == 1;
}

static bool
cb_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
    const struct regs *r = thread_arg;
    if (!dwfl_thread_state_registers(thread, 0, NREGS, r->r))
        return false;
#if defined(__aarch64__)
    dwfl_thread_state_register_pc(thread, r->pc);
#endif
    return true;
}

static const Dwfl_Thread_Callbacks thread_cbs = {
    .next_thread = cb_next_thread,
    .get_thread = cb_get_thread,
    .memory_read = cb_memory_read,
    .set_initial_registers = cb_set_initial_registers,
};

/* Separate debug info only from the local build-id tree: a backtrace
 * never waits for a network (debuginfod). */
static char *debuginfo_path;
static const Dwfl_Callbacks dwfl_cbs = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_build_id_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

static int
count_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)info;
    (void)size;
    (*(size_t *)arg)++;
    return 0;
}

static void
thread_stack_bounds(void)
{
    pthread_attr_t at;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &at) != 0)
        return;
    if (pthread_attr_getstack(&at, &addr, &size) == 0) {
        bt.stack_lo = addr;
        bt.stack_hi = (char *)addr + size;
    }
    pthread_attr_destroy(&at);
}

/* Frees the Dwfl (when a loop ends, at exit, and after a crash report:
 * the process dies next, and tools that look for leaks need not see its
 * caches, nor its open files). */
static void
bt_release(void)
{
    if (bt.dwfl && !bt.busy) {
        symcache_clear();
        dwfl_end(bt.dwfl);
        bt.dwfl = NULL;
        bt.attached = 0;
    }
}

/* Makes bt.dwfl ready: reports the loaded objects (again when their
 * number changed, unless in_signal) and attaches our thread callbacks
 * once. Returns 0, or -1 when libdwfl cannot work here. */
static int
dwfl_ready(int in_signal)
{
    if (bt.broken)
        return -1;
    size_t n = 0;
    if (!in_signal)
        dl_iterate_phdr(count_object, &n);
    if (bt.dwfl && (in_signal || n == bt.nobjects))
        return 0;
    if (!bt.dwfl) {
        static int at_exit;
        if (!at_exit++)
            atexit(bt_release);
        thread_stack_bounds();
        if (!(bt.dwfl = dwfl_begin(&dwfl_cbs))) {
            bt.broken = 1;
            return -1;
        }
        dwfl_report_begin(bt.dwfl);
    } else {
        symcache_clear();                 /* addresses may mean other code now */
        dwfl_report_begin_add(bt.dwfl);
    }
    int rc = dwfl_linux_proc_report(bt.dwfl, getpid());
    if (dwfl_report_end(bt.dwfl, NULL, NULL) != 0 || rc != 0) {
        dwfl_end(bt.dwfl);
        bt.dwfl = NULL;
        bt.broken = 1;
        return -1;
    }
    bt.nobjects = n;
    if (!bt.attached) {
        if (!dwfl_attach_state(bt.dwfl, NULL, getpid(), &thread_cbs, NULL)) {
            dwfl_end(bt.dwfl);
            bt.dwfl = NULL;
            bt.broken = 1;
            return -1;
        }
        bt.attached = 1;
    }
    return 0;
}

void
actri_bt_release(void)
{
    bt_release();
}

void
actri_bt_warm(void)
{
    if (bt.busy)
        return;
    bt.busy = 1;
    (void)dwfl_ready(0);
    bt.busy = 0;
}

/* ------------------------------------------------------------ registers */

#ifdef BT_SUPPORTED

static void
regs_of_ucontext(struct regs *out, const ucontext_t *uc, int pc_is_return)
{
    memset(out, 0, sizeof *out);
#if defined(__x86_64__)
    const greg_t *g = uc->uc_mcontext.gregs;
    static const int map[NREGS] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI,
                                   REG_RBP, REG_RSP, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                   REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};
    for (int i = 0; i < NREGS; i++)
        out->r[i] = (Dwarf_Word)g[map[i]];
    out->pc = (Dwarf_Word)g[REG_RIP];
#else
    for (int i = 0; i < 31; i++)
        out->r[i] = uc->uc_mcontext.regs[i];
    out->r[31] = uc->uc_mcontext.sp;
    out->pc = uc->uc_mcontext.pc;
#endif
    out->pc_is_return = pc_is_return;
}

/* The registers a switched-out fiber resumes with: those switch.S saved
 * on its stack (or the ucontext of the fallback), at the return into
 * actri_fiber_switch. 0, or -1 when the saved frame cannot be read. */
static int
regs_of_fiber(struct regs *out, const struct fiber *f)
{
#ifdef ACTR_FIBER_UCONTEXT
    regs_of_ucontext(out, &f->uc, 1);
    return 0;
#else
    memset(out, 0, sizeof *out);
    Dwarf_Addr sp = (Dwarf_Addr)(uintptr_t)f->sp;
    Dwarf_Word w[12];
#if defined(__x86_64__)
    /* control words, r15, r14, r13, r12, rbx, rbp, return address */
    for (int i = 0; i < 8; i++)
        if (!read_word(sp + 8u * (unsigned)i, &w[i]))
            return -1;
    out->r[15] = w[1];
    out->r[14] = w[2];
    out->r[13] = w[3];
    out->r[12] = w[4];
    out->r[3] = w[5];
    out->r[6] = w[6];
    out->r[7] = sp + 64;
    out->r[16] = w[7];
    out->pc = w[7];
#else
    /* x19..x28, x29, x30 (the return address), then d8..d15 */
    for (int i = 0; i < 12; i++)
        if (!read_word(sp + 8u * (unsigned)i, &w[i]))
            return -1;
    for (int i = 0; i < 12; i++)
        out->r[19 + i] = w[i];
    out->r[31] = sp + 160;
    out->pc = w[11];
#endif
    out->pc_is_return = 1;
    return 0;
#endif
}

/* Lets the unwind of r read the stack of task t (NULL: the thread's)
 * directly. */
static void
regs_on(struct regs *r, const struct actri_task *t)
{
    r->lo = t ? t->stack.lo : bt.stack_lo;
    r->hi = t ? t->stack.hi : bt.stack_hi;
}

#endif /* BT_SUPPORTED */

/* ------------------------------------------------------------ unwinding */

struct collect {
    struct frame *v;
    size_t n, max;
    int first_is_return;
};

static int
cb_frame(Dwfl_Frame *state, void *arg)
{
    struct collect *c = arg;
    Dwarf_Addr pc;
    bool activation;
    if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0)
        return DWARF_CB_ABORT;
    if (c->n == c->max) {
        c->n++;                        /* count one more: "more frames" */
        return DWARF_CB_ABORT;
    }
    c->v[c->n].pc = pc;
    c->v[c->n].is_return = c->n == 0 ? c->first_is_return : !activation;
    c->n++;
    return DWARF_CB_OK;
}

/* Unwinds from r into v (max frames). Returns the frames found, max + 1
 * when there were more. */
static size_t
unwind(const struct regs *r, struct frame *v, size_t max)
{
    struct collect c = {v, 0, max, r->pc_is_return};
    bt.req = r;
    (void)dwfl_getthread_frames(bt.dwfl, getpid(), cb_frame, &c);
    bt.req = NULL;
    if (c.n == 0) {
        v[0].pc = r->pc;               /* at least where it is */
        v[0].is_return = r->pc_is_return;
        c.n = 1;
    }
    return c.n;
}

/* ------------------------------------------------------------ symbols */

/* The name of file number idx of the CU (DW_AT_call_file), or NULL. */
static const char *
cu_file(Dwarf_Die *cu, Dwarf_Word idx)
{
    Dwarf_Files *files;
    size_t n;
    if (dwarf_getsrcfiles(cu, &files, &n) != 0 || idx >= n)
        return NULL;
    return dwarf_filesrc(files, idx, NULL, NULL);
}

static const char *
base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "?";
}

/* Describes the logical frames of one pc (a: inside the call), one line
 * each without its number: the functions inlined there, innermost first,
 * then the function that holds them. */
static void
describe_pc(struct sink *s, Dwarf_Addr pc, Dwarf_Addr a)
{
    Dwfl_Module *m = bt.dwfl ? dwfl_addrmodule(bt.dwfl, a) : NULL;
    const char *sym = NULL;
    GElf_Off off = 0;
    GElf_Sym esym;
    if (m)
        sym = dwfl_module_addrinfo(m, a, &off, &esym, NULL, NULL, NULL);
    const char *obj = m ? dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL) : NULL;
    Dwfl_Line *ln = m ? dwfl_module_getsrc(m, a) : NULL;
    int line = 0;
    const char *file = ln ? dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL) : NULL;
    if (!file) {
        if (sym)
            sink_printf(s, "0x%016llx in %s+0x%llx (%s)\n", (unsigned long long)pc, sym,
                        (unsigned long long)off, base_name(obj));
        else
            sink_printf(s, "0x%016llx in ?? (%s)\n", (unsigned long long)pc, base_name(obj));
        return;
    }
    /* The innermost scope at the pc, then the chain of scopes that
     * physically contain it: each inlined call and the function it was
     * inlined into (dwarf_getscopes follows abstract origins instead). */
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(m, a, &bias);
    Dwarf_Die *scopes = NULL, inner;
    int ns = cu ? dwarf_getscopes(cu, a - bias, &scopes) : 0;
    Dwarf *dw = ns > 0 ? dwfl_module_getdwarf(m, &bias) : NULL;
    if (!dw || !dwarf_offdie(dw, dwarf_dieoffset(&scopes[0]), &inner))
        ns = 0;
    free(scopes);
    scopes = NULL;
    if (ns > 0)
        ns = dwarf_getscopes_die(&inner, &scopes);
    for (int i = 0; i < ns; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        const char *name = dwarf_diename(&scopes[i]);
        if (tag == DW_TAG_subprogram) {
            sink_printf(s, "%s at %s:%d\n", name ? name : sym ? sym : "??", file, line);
            free(scopes);
            return;
        }
        sink_printf(s, "%s at %s:%d (inlined)\n", name ? name : "??", file, line);
        /* The caller's position is where this call was inlined. */
        Dwarf_Attribute at;
        Dwarf_Word cf = 0, cl = 0;
        if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &at), &cf) == 0 &&
            dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &at), &cl) == 0) {
            const char *f = cu_file(cu, cf);
            if (f)
                file = f;
            line = (int)cl;
        }
    }
    free(scopes);
    sink_printf(s, "%s at %s:%d\n", sym ? sym : "??", file, line);
}

/* Prints the logical frames of one pc, numbered from *num. */
static void
print_pc(struct sink *s, unsigned *num, Dwarf_Addr pc, int is_return)
{
    Dwarf_Addr a = is_return ? pc - 1 : pc;
    struct symslot *slot = &symcache[((a >> 2) ^ (a >> 13)) & (SYMCACHE - 1)];
    struct sink d = {.fd = -1};
    const char *text = slot->text && slot->a == a ? slot->text : NULL;
    if (!text) {
        describe_pc(&d, pc, a);
        if (d.oom || !d.buf) {
            free(d.buf);
            sink_printf(s, "    #%-2u 0x%016llx\n", (*num)++, (unsigned long long)pc);
            return;
        }
        free(slot->text);
        slot->a = a;
        slot->text = d.buf;
        text = d.buf;
    }
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
        sink_printf(s, "    #%-2u ", (*num)++);
        sink_put(s, l, n);
        l += n;
    }
}

static void
print_frames(struct sink *s, const struct frame *v, size_t n, size_t skip)
{
    unsigned num = 0;
    size_t shown = n > MAX_FRAMES ? MAX_FRAMES : n;
    for (size_t i = skip; i < shown; i++)
        print_pc(s, &num, v[i].pc, v[i].is_return);
    if (n > MAX_FRAMES)
        sink_printf(s, "    ... (more frames)\n");
}

/* The index of the first frame of v[0..n) in function name, or n. */
static size_t
find_function(const struct frame *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n && i < MAX_FRAMES; i++) {
        Dwarf_Addr a = v[i].is_return ? v[i].pc - 1 : v[i].pc;
        Dwfl_Module *m = dwfl_addrmodule(bt.dwfl, a);
        const char *sym = m ? dwfl_module_addrname(m, a) : NULL;
        if (sym && strcmp(sym, name) == 0)
            return i;
    }
    return n;
}

/* Unwinds from r and prints the frames after the first skip, or, when
 * after is not NULL and names a function on the stack, the frames of
 * its callers. */
static void
print_stack(struct sink *s, const struct regs *r, size_t skip, const char *after)
{
    struct frame v[MAX_FRAMES];
    size_t n = unwind(r, v, MAX_FRAMES);
    size_t at = after && *after ? find_function(v, n, after) : n;
    print_frames(s, v, n, at < n ? at + 1 : skip);
}

/* ------------------------------------------------------------ entries */

static const char *
unsupported(void)
{
    return bt.broken ? "    (no backtrace: libdwfl cannot read this process)\n"
                     : "    (no backtrace on this platform)\n";
}

char *
actri_bt_here(unsigned skip)
{
    struct sink s = {.fd = -1};
#ifdef BT_SUPPORTED
    ucontext_t uc;
    if (!bt.busy && getcontext(&uc) == 0) {
        bt.busy = 1;
        if (dwfl_ready(0) == 0) {
            struct regs r;
            regs_of_ucontext(&r, &uc, 1);
            regs_on(&r, S.current);
            print_stack(&s, &r, 1 + (size_t)skip, NULL);
        }
        bt.busy = 0;
    }
#else
    (void)skip;
#endif
    if (s.len == 0 && !s.oom)
        sink_put(&s, unsupported(), strlen(unsupported()));
    if (s.oom) {
        free(s.buf);
        return NULL;
    }
    return s.buf;
}

static const char *
state_name(const struct actri_task *t)
{
    switch (t->state) {
    case T_RUNNING:
        return "running";
    case T_READY:
        return "runnable";
    case T_PARKED:
        return "parked";
    default:
        return "ending";
    }
}

static void
task_header(struct sink *s, const struct actri_task *t, const char *state)
{
    if (t->name[0])
        sink_printf(s, "  task '%s' (id %llu, %s):\n", t->name, (unsigned long long)t->id,
                    state);
    else
        sink_printf(s, "  task task-%llu (%s):\n", (unsigned long long)t->id, state);
}

/* Prints every task; live: the registers of the code running now (the
 * current task's, or the loop's when no task runs), skipping live_skip
 * frames. */
static void
print_all(struct sink *s, const struct regs *live, size_t live_skip, const char *after)
{
#ifdef BT_SUPPORTED
    if (!S.running) {                   /* plain C: no tasks, one stack */
        sink_printf(s, "  the thread:\n");
        print_stack(s, live, live_skip, after);
        return;
    }
    size_t ntasks = 0;
    for (const struct actri_task *t = S.all; t; t = t->all_next)
        ntasks++;
    sink_printf(s, "  %zu task%s, and the loop:\n", ntasks, ntasks == 1 ? "" : "s");
    struct actri_task *cur = S.current;
    if (cur) {
        task_header(s, cur, "running");
        print_stack(s, live, live_skip, after);
    }
    for (struct actri_task *t = S.all; t; t = t->all_next) {
        if (t == cur)
            continue;
        struct regs r;
        if (actri_fiber_fresh(&t->fiber)) {
            task_header(s, t, "not started yet");
            continue;
        }
        task_header(s, t, state_name(t));
        if (regs_of_fiber(&r, &t->fiber) == 0) {
            if (live->lo)
                regs_on(&r, t);
            print_stack(s, &r, 0, NULL);
        } else {
            sink_printf(s, "    (its saved registers cannot be read)\n");
        }
    }
    sink_printf(s, "  the loop (the thread's own stack%s):\n", cur ? ", switched out" : "");
    if (!cur) {
        print_stack(s, live, live_skip, after);
    } else {
        struct regs r;
        if (regs_of_fiber(&r, &S.main_fiber) == 0) {
            if (live->lo)
                regs_on(&r, NULL);
            print_stack(s, &r, 0, NULL);
        }
    }
#else
    (void)live;
    (void)live_skip;
    (void)after;
    sink_put(s, unsupported(), strlen(unsupported()));
#endif
}

/* uc NULL: the caller's registers, skipping skip frames of ours (or
 * those up to function after). */
static __attribute__((noinline)) void
bt_all(int fd, const void *uc, size_t skip, const char *after)
{
    struct sink s = {.fd = fd};
#ifdef BT_SUPPORTED
    ucontext_t here;
    struct regs live;
    volatile size_t drop = uc ? skip : skip + 1;  /* + this function */
    if (uc) {
        regs_of_ucontext(&live, uc, 0);     /* a crash: every read checked */
    } else if (getcontext(&here) == 0) {
        regs_of_ucontext(&live, &here, 1);
        regs_on(&live, S.current);
    } else {
        return;
    }
    if (bt.busy) {
        sink_printf(&s, "  (no backtraces: the crash came while making one)\n");
        return;
    }
    bt.busy = 1;
    if (dwfl_ready(uc != NULL) == 0)
        print_all(&s, &live, drop, after);
    else
        sink_put(&s, unsupported(), strlen(unsupported()));
    bt.busy = 0;
#else
    (void)uc;
    (void)skip;
    (void)after;
    sink_put(&s, unsupported(), strlen(unsupported()));
#endif
}

/* (The empty asm after each call keeps it from being a tail call: the
 * frames to skip must be there.) */
void
actri_bt_all(int fd, const void *uc)
{
    bt_all(fd, uc, 1, NULL);
    __asm__ volatile("" ::: "memory");
}

void
actri_bt_all_after(int fd, const char *after)
{
    bt_all(fd, NULL, 1, after);
    __asm__ volatile("" ::: "memory");
}

void
actri_bt_crash_report(int fd, const char *who, int sig, const siginfo_t *si, const void *uc)
{
    struct sink s = {.fd = fd};
    const struct actri_task *t = S.current;
    char task[ACTR_TASK_NAME_MAX + 32];
    if (t && t->name[0])
        snprintf(task, sizeof task, "task '%s'", t->name);
    else if (t)
        snprintf(task, sizeof task, "task task-%llu", (unsigned long long)t->id);
    else
        snprintf(task, sizeof task, S.running ? "the loop" : "the thread");
    int fault = si && si->si_code > 0 && sig != SIGABRT;
    if (who)
        sink_printf(&s, "actr: %s (pid %d): %s in %s", who, (int)getpid(), actri_signame(sig),
                    task);
    else
        sink_printf(&s, "actr: pid %d: %s in %s", (int)getpid(), actri_signame(sig), task);
    if (!fault)
        sink_printf(&s, "\n");
    if (fault)
        sink_printf(&s, " (address %p)\n", si->si_addr);
    sink_printf(&s, "actr: backtrace of every task, innermost frame first:\n");
    bt_all(fd, uc, 0, NULL);
    bt_release();
}

/* ------------------------------------------------------------ public */

int
actr_backtrace(char **out)
{
    if (!out)
        return ACTR_EINVAL;
    char *s = actri_bt_here(1);
    if (!s)
        return ACTR_ENOMEM;
    *out = s;
    return (int)strlen(s);
}

void
actr_backtrace_all(int fd)
{
    bt_all(fd, NULL, 1, NULL);
    __asm__ volatile("" ::: "memory");
}
