/* What a child learns before it connects back (spawn.h, struct
 * child_args): written by an actr parent on the child's boot socket, so
 * that its ids and its parent's address are not on a command line every
 * local user can read; or, from a foreign parent (a shim started by
 * tractor), given as --actr-* arguments. */
#define _GNU_SOURCE
#include "actor/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The record is a few short "key value" lines; anything longer is not
 * from an actr parent. */
#define RECORD_MAX 1024
/* The parent writes the record before it spawns the child, so it is
 * there at once; the bound only guards against a foreign fd. */
#define RECORD_WAIT_MS 5000

static int
copy_field(char *dst, size_t cap, const char *v, size_t n)
{
    if (n == 0 || n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20)
            return -1;
    memcpy(dst, v, n);
    dst[n] = 0;
    return 0;
}

static int
parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return -1;
    *out = (int)x;
    return 0;
}

/* Sets one field from key k and value v[0..n). */
static int
set_field(struct child_args *ca, const char *k, const char *v, size_t n)
{
    char num[16];
    if (strcmp(k, "name") == 0)
        return copy_field(ca->name, sizeof ca->name, v, n);
    if (strcmp(k, "uuid") == 0)
        return n == UUID_LEN ? copy_field(ca->uuid, sizeof ca->uuid, v, n) : -1;
    if (strcmp(k, "parent") == 0)
        return copy_field(ca->parent, sizeof ca->parent, v, n);
    if (strcmp(k, "secret") == 0)
        return n == AUTH_KEY_HEX ? copy_field(ca->secret, sizeof ca->secret, v, n) : -1;
    if (copy_field(num, sizeof num, v, n) < 0)
        return -1;
    if (strcmp(k, "ppid") == 0)
        return parse_int(num, 1, INT_MAX, &ca->ppid);
    if (strcmp(k, "loglevel") == 0)
        return actr_log_parse_level(num, &ca->loglevel) == 0 ? 0 : -1;
    if (strcmp(k, "wrapped") == 0)
        return parse_int(num, 0, 1, &ca->wrapped);
    if (strcmp(k, "insecure") == 0)
        return parse_int(num, 0, 1, &ca->insecure);
    return 0;                     /* a newer parent's field: ignored */
}

static int
complete(const struct child_args *ca)
{
    return ca->name[0] && ca->uuid[0] && ca->parent[0];
}

int
actri_child_args_send(int fd, const struct child_args *ca)
{
    char rec[RECORD_MAX];
    char key[AUTH_KEY_HEX + 1];
    /* The tree's key (S28) goes on this socket only: never on a command
     * line, in the environment or in a log. */
    actri_auth_export(key);
    int n = snprintf(rec, sizeof rec, "name %s\nuuid %s\nparent %s\nppid %d\nloglevel %d\n"
                     "wrapped %d\ninsecure %d\nsecret %s\n", ca->name, ca->uuid, ca->parent,
                     ca->ppid, ca->loglevel, ca->wrapped, ca->insecure, key);
    explicit_bzero(key, sizeof key);
    int rc = n < 0 || (size_t)n >= sizeof rec ? ACTR_EINVAL : 0;
    for (size_t off = 0; rc == 0 && off < (size_t)n;) {
        ssize_t w = write(fd, rec + off, (size_t)n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = ACTR_EIO;
        else
            off += (size_t)w;
    }
    explicit_bzero(rec, sizeof rec);
    return rc;
}

/* Reads the record from fd until the parent's end shuts down. */
static int
read_record(int fd, struct child_args *ca, char *why, size_t cap)
{
    char rec[RECORD_MAX + 1];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, RECORD_WAIT_MS);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            snprintf(why, cap, "no boot record on fd %d within %d ms", fd, RECORD_WAIT_MS);
            return ACTR_EINVAL;
        }
        ssize_t r = read(fd, rec + len, RECORD_MAX - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(why, cap, "cannot read the boot record on fd %d: %s", fd,
                     strerror(errno));
            return ACTR_EINVAL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == RECORD_MAX) {
            snprintf(why, cap, "the boot record on fd %d is longer than %d bytes", fd,
                     RECORD_MAX);
            return ACTR_EINVAL;
        }
    }
    rec[len] = 0;
    int rc = 0;
    for (char *line = rec, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) {
            snprintf(why, cap, "the boot record ends in the middle of a line");
            rc = ACTR_EINVAL;
            break;
        }
        *nl = 0;
        char *sp = strchr(line, ' ');
        if (!sp || set_field(ca, (*sp = 0, line), sp + 1, (size_t)(nl - sp - 1)) < 0) {
            /* Never echo the secret's line. */
            snprintf(why, cap, "bad line in the boot record: \"%.60s\"",
                     strcmp(line, "secret") == 0 ? "secret ..." : line);
            rc = ACTR_EINVAL;
            break;
        }
    }
    explicit_bzero(rec, sizeof rec);
    return rc;
}

int
actri_child_args_get(int argc, char **argv, struct child_args *ca, char *why, size_t cap)
{
    memset(ca, 0, sizeof *ca);
    ca->status_fd = -1;
    int boot_fd = -1;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        int bad = 0, fd;
        if (strcmp(k, "--actr-boot-fd") == 0)
            bad = parse_int(v, 3, INT_MAX, &boot_fd);
        else if (strcmp(k, "--actr-name") == 0)
            bad = copy_field(ca->name, sizeof ca->name, v, strlen(v));
        else if (strcmp(k, "--actr-uuid") == 0)
            bad = strlen(v) != UUID_LEN || copy_field(ca->uuid, sizeof ca->uuid, v, UUID_LEN);
        else if (strcmp(k, "--actr-parent") == 0)
            bad = copy_field(ca->parent, sizeof ca->parent, v, strlen(v));
        else if (strcmp(k, "--actr-ppid") == 0)
            bad = parse_int(v, 1, INT_MAX, &ca->ppid);
        else if (strcmp(k, "--actr-enable") == 0)
            bad = copy_field(ca->enable, sizeof ca->enable, v, strlen(v));
        else if (strcmp(k, "--actr-status-fd") == 0)
            bad = parse_int(v, 3, INT_MAX, &fd) || (ca->status_fd = fd, 0);
        else if (strcmp(k, "--actr-loglevel") == 0 && actr_log_parse_level(v, &ca->loglevel) < 0)
            ca->loglevel = 0;     /* a level of tractor's we lack ("critical"): default */
        if (bad) {
            snprintf(why, cap, "bad value \"%.60s\" for %s", v, k);
            return ACTR_EINVAL;
        }
    }
    /* Ours only: a grandchild must not inherit it. */
    if (boot_fd >= 0)
        (void)fcntl(boot_fd, F_SETFD, FD_CLOEXEC);
    if (ca->status_fd >= 0)
        (void)fcntl(ca->status_fd, F_SETFD, FD_CLOEXEC);
    if (boot_fd >= 0) {
        int rc = read_record(boot_fd, ca, why, cap);
        if (rc < 0) {
            close(boot_fd);
            return rc;
        }
        shutdown(boot_fd, SHUT_RD);
        ca->status_fd = boot_fd;      /* the boot status goes back on it */
    }
    if (!complete(ca)) {
        snprintf(why, cap, "a child needs a name, a uuid and its parent's address (from an"
                 " actr parent's --actr-boot-fd, or --actr-name, --actr-uuid and"
                 " --actr-parent)");
        return ACTR_EINVAL;
    }
    return 0;
}
