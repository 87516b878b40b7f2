/* How the OS shows this process: the executable children are spawned
 * from, and a child's title and comm, so that ps, top, pgrep and
 * valgrind see actors by name (as tractor's setproctitle does). */
#define _GNU_SOURCE
#include "actor/spawn.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static char self_exe[PATH_MAX];

const char *
actri_self_exe(void)
{
    if (self_exe[0])
        return self_exe;
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    static const char deleted[] = " (deleted)";
    size_t dl = sizeof deleted - 1;
    /* A program rebuilt while it runs: its old image is only reachable
     * through /proc/self/exe (valgrind and ps then see "exe"). */
    if (n <= 0 || (size_t)n >= sizeof self_exe - 1 ||
        ((size_t)n > dl && memcmp(self_exe + n - dl, deleted, dl) == 0)) {
        snprintf(self_exe, sizeof self_exe, "/proc/self/exe");
        return self_exe;
    }
    self_exe[n] = 0;
    return self_exe;
}

void
actri_proctitle_set(int argc, char **argv, const char *title, const char *comm)
{
    char c[16];
    snprintf(c, sizeof c, "%s", comm);
    prctl(PR_SET_NAME, c, 0, 0, 0);
    if (argc < 1 || !argv || !argv[0])
        return;
    /* The title goes where the arguments are, which the kernel shows as
     * the command line; only the room they took is ours (the strings are
     * contiguous when the kernel laid them out; stop at a gap). */
    char *start = argv[0], *end = argv[0] + strlen(argv[0]) + 1;
    for (int i = 1; i < argc && argv[i] == end; i++)
        end = argv[i] + strlen(argv[i]) + 1;
    size_t room = (size_t)(end - start);
    if (room < 2)
        return;
    memset(start, 0, room);
    snprintf(start, room, "%s", title);
    for (int i = 1; i < argc; i++)
        if (argv[i] > start && argv[i] < end)
            argv[i] = end - 1;    /* an empty string: nothing reads stale text */
}
