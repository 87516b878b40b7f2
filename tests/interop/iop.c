/* The interop suite's harness (iop.h). */
#include "iop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pyactors.actor.h"

static int spawned[64];
static size_t nspawned;
static char dir[64];
static int fds0;

int
iop_have_env(void)
{
    const char *py = getenv("PY313"), *pp = getenv("TRACTOR_PYTHONPATH");
    return py && *py && pp && *pp;
}

const char *
iop_build_path(const char *rel)
{
    static char path[4096];
    const char *build = getenv("ACTR_TEST_BUILD");
    if (!build)
        build = ACTR_TEST_BUILD;
    if (build[0] == '/')
        snprintf(path, sizeof path, "%s/%s", build, rel);
    else
        snprintf(path, sizeof path, "%s/%s/%s", ACTR_TEST_TOP, build, rel);
    return path;
}

const char *
iop_src_path(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", ACTR_TEST_TOP, rel);
    return path;
}

const char *
iop_dir(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/actr-iop-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
    }
    return dir;
}

static int
in_task(void)
{
    return actr_self() != NULL;
}

static void
nap(int ms)
{
    if (in_task())
        (void)actr_sleep(ms);
    else
        usleep((useconds_t)ms * 1000);
}

int
iop_spawn(const char *const *argv, const char *const *env, const char *out)
{
    ck_assert_msg(iop_have_env(), "no tractor environment");
    ck_assert_uint_lt(nspawned, sizeof spawned / sizeof spawned[0]);
    const char *v[32];
    char script[4096];
    size_t n = 0;
    if (strcmp(argv[0], "tpeer") == 0) {
        snprintf(script, sizeof script, "%s", iop_src_path("tests/interop/py/tpeer.py"));
        v[n++] = getenv("PY313");
        v[n++] = script;
        argv++;
    }
    while (*argv && n < 31)
        v[n++] = *argv++;
    v[n] = NULL;
    char outpath[256], pp[8300];
    snprintf(outpath, sizeof outpath, "%s/%s", iop_dir(), out);
    snprintf(pp, sizeof pp, "%s:%s", getenv("TRACTOR_PYTHONPATH"),
             iop_src_path("tests/interop/py"));
    int parent = getpid();
    int pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* Dies with the test (the group kill is the normal way out). */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(outpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("PYTHONPATH", pp, 1);
        setenv("XDG_RUNTIME_DIR", iop_dir(), 1);
        setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
        unsetenv("ACTR_REGISTRY");
        for (; env && *env; env++)
            putenv((char *)*env);
        execv(v[0], (char *const *)v);
        fprintf(stderr, "iop: cannot run %s: %s\n", v[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    spawned[nspawned++] = pid;
    return pid;
}

const char *
iop_text(const char *file)
{
    static char buf[1 << 20];
    char path[256];
    snprintf(path, sizeof path, "%s/%s", iop_dir(), file);
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    return buf;
}

const char *
iop_tail(const char *file)
{
    const char *t = iop_text(file);
    size_t n = strlen(t);
    return n > 2500 ? t + n - 2500 : t;
}

int
iop_wait_line(const char *file, const char *prefix, char *line, size_t cap, int64_t ms)
{
    for (int64_t waited = 0;; waited += 20) {
        const char *t = iop_text(file);
        for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
            if (strncmp(p, prefix, strlen(prefix)) == 0) {
                size_t len = strcspn(p, "\n");
                if (len >= cap)
                    len = cap - 1;
                memcpy(line, p, len);
                line[len] = 0;
                return 1;
            }
        }
        if (waited >= ms)
            return 0;
        nap(20);
    }
}

int
iop_wait(int pid, int64_t ms)
{
    int st;
    if (in_task())
        return actr_child_wait(pid, &st, actr_deadline_in(ms)) == 0 ? st : -1;
    for (int64_t waited = 0;; waited += 10) {
        int r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 || waited >= ms)
            return -1;
        usleep(10000);
    }
}

void
iop_kill(int pid)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    (void)iop_wait(pid, 5000);
}

/* Direct children of this process (ppid == self), alive or zombie. */
static size_t
children(int *out, size_t cap)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        int pid = atoi(e->d_name);
        if (pid <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        const char *rp = strrchr(buf, ')');
        int ppid = 0;
        char state = 0;
        if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid())
            out[n++] = pid;
    }
    closedir(d);
    return n;
}

int
iop_sweep(void)
{
    for (size_t i = 0; i < nspawned; i++) {
        kill(-spawned[i], SIGKILL);
        kill(spawned[i], SIGKILL);
    }
    for (size_t i = 0; i < nspawned; i++)
        (void)iop_wait(spawned[i], 5000);
    nspawned = 0;
    /* Orphans of those groups come to us (subreaper) as they die: let
     * them arrive, then count what is still ours. */
    int left = 0;
    for (int round = 0; round < 50; round++) {
        int v[64];
        size_t n = children(v, 64);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            int st;
            if (waitpid(v[i], &st, WNOHANG) == v[i])
                continue;               /* a zombie of ours: reaped */
            if (round == 49)
                left++;
            else if (round >= 25)
                kill(v[i], SIGKILL);
        }
        usleep(20000);
    }
    return left;
}

static int
count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

void
iop_begin(void)
{
    ck_assert_msg(iop_have_env(), "no tractor environment: run it with make interop");
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    fds0 = count_fds();
}

void
iop_end(void)
{
    int left = iop_sweep();
    int fds = count_fds();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", iop_dir());
    if (!getenv("IOP_KEEP") && system(cmd) != 0)
        fprintf(stderr, "iop: could not remove %s\n", iop_dir());
    dir[0] = 0;
    ck_assert_msg(left == 0, "%d processes left after the test", left);
    ck_assert_msg(fds == fds0, "fds: %d before, %d after", fds0, fds);
}

const char *
iop_free_maddr(void)
{
    static char out[64];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    snprintf(out, sizeof out, "/ip4/127.0.0.1/tcp/%u", (unsigned)ntohs(sa.sin_port));
    return out;
}

const char *
iop_maddr(const char *url)
{
    static char out[400];
    actr_addr a;
    ck_assert_int_eq(actr_addr_parse(url, &a), 0);
    if (a.kind == ACTR_ADDR_UNIX)
        snprintf(out, sizeof out, "/unix/%s", a.path + (a.path[0] == '/'));
    else
        snprintf(out, sizeof out, "/%s/%s/tcp/%u", strchr(a.host, ':') ? "ip6" : "ip4",
                 a.host, (unsigned)a.port);
    return out;
}

int
iop_tractor_serve(const char *name, const char *maddr, char *addr, size_t cap)
{
    char ready[128], log[128];
    snprintf(ready, sizeof ready, "%s/%s.ready", iop_dir(), name);
    snprintf(log, sizeof log, "%s.log", name);
    const char *argv[] = {"tpeer", "serve", name, maddr, ready, NULL};
    int pid = iop_spawn(argv, NULL, log);
    char line[512];
    char rel[128];
    snprintf(rel, sizeof rel, "%s.ready", name);
    ck_assert_msg(iop_wait_line(rel, "ready ", line, sizeof line, 30000),
                  "tractor actor %s did not start:\n%s", name, iop_tail(log));
    snprintf(addr, cap, "%s", line + 6);
    return pid;
}

int
iop_root(const char *name, const char *const *registry, size_t nreg,
         const char *const *listen, size_t nlisten, actr_actor_fn fn, void *arg)
{
    static char *argv[] = {"iop", NULL};
    const actr_module *mods[] = {&pyactors_module};
    actr_actor_opts o = {.name = name, .modules = mods, .nmodules = 1,
                         .registry = registry, .nregistry = nreg,
                         .listen = listen, .nlisten = nlisten};
    return actr_main(1, argv, &o, fn, arg);
}
