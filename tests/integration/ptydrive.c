/* The pty driver of the debug-mode suite (ptydrive.h). */
#include "ptydrive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct ptyd {
    int master;
    pid_t pid;                /* the program; its session id too */
    int exited;
    int status;
    char *out;                /* everything read, NUL-terminated */
    size_t len, cap;
    size_t pos;               /* consumed by ptyd_expect */
};

static long long
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

ptyd *
ptyd_start(char *const argv[], const char *const env[], int tty)
{
    ptyd *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cap = 4096;
    p->out = calloc(1, p->cap);
    p->master = -1;
    char slave[128];
    int pipefd[2] = {-1, -1};
    if (!p->out)
        goto fail;
    if (tty) {
        p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (p->master < 0 || grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
            ptsname_r(p->master, slave, sizeof slave) != 0)
            goto fail;
    } else {
        if (pipe2(pipefd, O_CLOEXEC) < 0)
            goto fail;
        p->master = pipefd[0];
    }
    p->pid = fork();
    if (p->pid < 0)
        goto fail;
    if (p->pid == 0) {
        setsid();
        int s;
        if (tty) {
            s = open(slave, O_RDWR);        /* our controlling terminal now */
            if (s < 0)
                _exit(126);
            (void)ioctl(s, TIOCSCTTY, 0);
            struct winsize ws = {.ws_row = 1000, .ws_col = 200};
            (void)ioctl(s, TIOCSWINSZ, &ws);
            dup2(s, 0);
        } else {
            int null = open("/dev/null", O_RDONLY);
            if (null < 0)
                _exit(126);
            dup2(null, 0);
            s = pipefd[1];
        }
        dup2(s, 1);
        dup2(s, 2);
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    return p;
fail:
    if (p->master >= 0)
        close(p->master);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    free(p->out);
    free(p);
    return NULL;
}

/* Reads what is there, waiting up to ms for something. 1 when it read,
 * 0 on timeout, -1 once the terminal is closed on the other side. */
static int
fill(ptyd *p, int ms)
{
    struct pollfd pf = {.fd = p->master, .events = POLLIN};
    int r = poll(&pf, 1, ms < 0 ? 0 : ms);
    if (r <= 0)
        return 0;
    if (p->len + 4096 + 1 > p->cap) {
        size_t cap = p->cap * 2;
        char *o = realloc(p->out, cap);
        if (!o)
            return -1;
        p->out = o;
        p->cap = cap;
    }
    ssize_t n = read(p->master, p->out + p->len, p->cap - p->len - 1);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n <= 0)
        return -1;                          /* EIO: no process has it open */
    p->len += (size_t)n;
    p->out[p->len] = 0;
    return 1;
}

int
ptyd_expect(ptyd *p, const char *needle, int ms)
{
    long long until = now_ms() + ms;
    for (;;) {
        const char *hit = strstr(p->out + p->pos, needle);
        if (hit) {
            p->pos = (size_t)(hit - p->out) + strlen(needle);
            return 1;
        }
        long long left = until - now_ms();
        if (left <= 0 || fill(p, (int)(left > 100 ? 100 : left)) < 0) {
            if (fill(p, 0) > 0)
                continue;
            return strstr(p->out + p->pos, needle) != NULL;
        }
    }
}

int
ptyd_send(ptyd *p, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(p->master, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

const char *
ptyd_transcript(const ptyd *p)
{
    return p->out;
}

int
ptyd_count(const ptyd *p, const char *needle)
{
    int n = 0;
    for (const char *s = p->out; (s = strstr(s, needle)) != NULL; s += strlen(needle))
        n++;
    return n;
}

int
ptyd_wait(ptyd *p, int *status, int ms)
{
    long long until = now_ms() + ms;
    while (!p->exited) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->exited = 1;
            p->status = st;
            break;
        }
        if (now_ms() >= until)
            return 0;
        if (fill(p, 50) < 0)
            usleep(20 * 1000);
    }
    while (fill(p, 0) > 0)
        ;
    *status = p->status;
    return 1;
}

/* Calls fn(pid) for each live process of session sid; returns how many. */
static int
each_in_session(int sid, void (*fn)(int pid))
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid = atoi(e->d_name);
        if (pid <= 0)
            continue;
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[got] = 0;
        char *r = strrchr(buf, ')');
        char state;
        int ppid, pgrp, session;
        if (!r || sscanf(r + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4)
            continue;
        if (session != sid || state == 'Z' || state == 'X')
            continue;
        n++;
        if (fn)
            fn(pid);
    }
    closedir(d);
    return n;
}

int
ptyd_session_count(int sid)
{
    return each_in_session(sid, NULL);
}

static void
kill_one(int pid)
{
    kill(pid, SIGKILL);
}

int
ptyd_close(ptyd *p)
{
    if (!p)
        return 0;
    /* Give the tree a moment to finish exiting on its own. */
    for (int i = 0; i < 250 && each_in_session(p->pid, NULL) > 0; i++)
        usleep(20 * 1000);
    int killed = 0;
    for (int round = 0; round < 50; round++) {
        int n = each_in_session(p->pid, kill_one);
        if (round == 0)
            killed = n;
        if (n == 0)
            break;
        usleep(20 * 1000);
    }
    if (!p->exited) {
        int st;
        while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    close(p->master);
    free(p->out);
    free(p);
    return killed;
}
