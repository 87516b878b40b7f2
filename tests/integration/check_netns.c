/* Multi-host discovery (S19, S20) across three network namespaces.
 *
 * Runs only as root with `ip` available (CI runs as root); elsewhere it
 * says why and passes without doing anything. Topology, all of it inside
 * namespaces this test creates (names carry its pid), with addresses of
 * the benchmark range 198.18.0.0/15 that exist only there:
 *
 *   ns A  198.18.1.2 --veth-- 198.18.1.1  ns R  198.18.2.1 --veth-- 198.18.2.2  ns B
 *   (actor alpha)                 (registrar, forwarding)            (actor beta)
 *
 * The registrar runs in R; alpha in A and beta in B register with it,
 * wait for each other, find each other and call each other across R.
 * The namespaces and every process in them are removed afterwards, even
 * when the test fails (an unchecked fixture), and leftovers of earlier
 * runs whose process is gone are removed first. */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "disc_helpers.h"

extern char **environ;

#define PREFIX "actrdisc-"

static char ns_r[64], ns_a[64], ns_b[64];
static const char *skip_why;

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[1100];
    snprintf(full, sizeof full, "%s >/dev/null 2>&1", cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Kills whatever still runs in ns, then deletes it. */
static void
ns_remove(const char *ns)
{
    if (!ns[0])
        return;
    sh("for p in $(ip netns pids %s); do kill -9 $p; done", ns);
    sh("ip netns del %s", ns);
}

/* Namespaces of earlier runs whose test process is gone. */
static void
remove_leftovers(void)
{
    DIR *d = opendir("/run/netns");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0)
            continue;
        long pid = strtol(e->d_name + strlen(PREFIX), NULL, 10);
        if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
            continue;                    /* its test still runs */
        ns_remove(e->d_name);
    }
    if (d)
        closedir(d);
}

static void
setup(void)
{
    skip_why = NULL;
    if (getuid() != 0) {
        skip_why = "not root";
        return;
    }
    if (sh("ip -V") != 0) {
        skip_why = "the ip command (iproute2) is not available";
        return;
    }
    remove_leftovers();
    snprintf(ns_r, sizeof ns_r, PREFIX "%d-r", (int)getpid());
    snprintf(ns_a, sizeof ns_a, PREFIX "%d-a", (int)getpid());
    snprintf(ns_b, sizeof ns_b, PREFIX "%d-b", (int)getpid());
    if (sh("ip netns add %s", ns_r) != 0) {
        skip_why = "cannot create network namespaces here (ip netns add failed)";
        ns_r[0] = 0;
        return;
    }
    int bad = sh("ip netns add %s", ns_a) | sh("ip netns add %s", ns_b) |
              sh("ip -n %s link add va type veth peer name vra netns %s", ns_a, ns_r) |
              sh("ip -n %s link add vb type veth peer name vrb netns %s", ns_b, ns_r) |
              sh("ip -n %s addr add 198.18.1.2/24 dev va", ns_a) |
              sh("ip -n %s addr add 198.18.1.1/24 dev vra", ns_r) |
              sh("ip -n %s addr add 198.18.2.2/24 dev vb", ns_b) |
              sh("ip -n %s addr add 198.18.2.1/24 dev vrb", ns_r) |
              sh("ip -n %s link set lo up && ip -n %s link set va up", ns_a, ns_a) |
              sh("ip -n %s link set lo up && ip -n %s link set vb up", ns_b, ns_b) |
              sh("ip -n %s link set lo up && ip -n %s link set vra up && "
                 "ip -n %s link set vrb up", ns_r, ns_r, ns_r) |
              sh("ip -n %s route add default via 198.18.1.1", ns_a) |
              sh("ip -n %s route add default via 198.18.2.1", ns_b) |
              sh("ip netns exec %s sysctl -qw net.ipv4.ip_forward=1", ns_r);
    if (bad)
        skip_why = "setting up veth pairs between the namespaces failed";
}

static void
teardown(void)
{
    ns_remove(ns_a);
    ns_remove(ns_b);
    ns_remove(ns_r);
    ns_a[0] = ns_b[0] = ns_r[0] = 0;
}

/* Starts argv with stdout on a pipe; returns the pid and the read end. */
static pid_t
start(char *const *argv, int *outfd)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    *outfd = fds[0];
    return pid;
}

/* Waits for pid at most ms; SIGKILL after that. Returns its exit code or
 * -1 (killed, or timed out). */
static int
wait_exit(pid_t pid, int ms)
{
    int st;
    for (int i = 0; i < ms / 10; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

static void
read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = 0;
    close(fd);
}

START_TEST(test_S20_discovery_across_network_namespaces)
{
    if (skip_why) {
        printf("check_netns: SKIPPED: %s\n", skip_why);
        return;
    }
    const char *ip = access("/usr/sbin/ip", X_OK) == 0 ? "/usr/sbin/ip"
                   : access("/sbin/ip", X_OK) == 0 ? "/sbin/ip" : "/usr/bin/ip";
    char reg_prog[4096], peer_prog[4096];
    snprintf(reg_prog, sizeof reg_prog, "%s", disc_prog("actr-registrar"));
    snprintf(peer_prog, sizeof peer_prog, "%s", itest_bin("disc_peer"));

    /* The registrar in R, on R's side of the A link, any port. */
    char *rargv[] = {(char *)ip, "netns", "exec", ns_r, reg_prog, "--listen",
                     "tcp://198.18.1.1:0", "--loglevel", "warning", NULL};
    int rout;
    pid_t rpid = start(rargv, &rout);
    FILE *rf = fdopen(rout, "r");
    char line[512], url[300] = "";
    int ready = 0;
    while (!ready && fgets(line, sizeof line, rf)) {
        if (sscanf(line, "actr-registrar: listening on %299s", url) == 1)
            continue;
        ready = strncmp(line, "actr-registrar: ready", 21) == 0;
    }
    ck_assert_msg(ready && url[0], "the registrar did not start in %s", ns_r);

    /* alpha in A and beta in B find and call each other through R. */
    char *aargv[] = {(char *)ip, "netns", "exec", ns_a, peer_prog, "alpha", "beta",
                     "tcp://198.18.1.2:0", url, NULL};
    char *bargv[] = {(char *)ip, "netns", "exec", ns_b, peer_prog, "beta", "alpha",
                     "tcp://198.18.2.2:0", url, NULL};
    int aout, bout;
    pid_t apid = start(aargv, &aout);
    pid_t bpid = start(bargv, &bout);
    int arc = wait_exit(apid, 25000);
    int brc = wait_exit(bpid, 5000);
    char atext[1024], btext[1024];
    read_all(aout, atext, sizeof atext);
    read_all(bout, btext, sizeof btext);
    kill(rpid, SIGTERM);
    int rrc = wait_exit(rpid, 5000);
    fclose(rf);
    ck_assert_msg(arc == 0, "alpha failed (%d): %s", arc, atext);
    ck_assert_msg(brc == 0, "beta failed (%d): %s", brc, btext);
    ck_assert_msg(strstr(atext, "alpha: called beta (beta) at tcp://198.18.2.2:"), "%s", atext);
    ck_assert_msg(strstr(btext, "beta: called alpha (alpha) at tcp://198.18.1.2:"), "%s", btext);
    ck_assert_int_eq(rrc, 0);
}
END_TEST

static Suite *
netns_suite(void)
{
    Suite *s = suite_create("netns");
    TCase *tc = tcase_create("netns");
    tcase_set_timeout(tc, 60);
    /* Unchecked: teardown runs in the runner even when the test fails. */
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_S20_discovery_across_network_namespaces);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(netns_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
