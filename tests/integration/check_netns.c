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
 * Then the same with etcd in R instead of the registrar (M25), plus: a
 * SIGKILLed actor leaves no entry once its lease expired, and after etcd
 * restarts empty the live actor is registered again.
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
#include "etcd_fixture.h"

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

/* ------------------------------------------------------------ etcd */

#define NETNS_TTL 2

/* Runs `ip netns exec ns_a etcdctl ...` and returns its exit status,
 * its output in out. */
static int
etcdctl(const char *endpoint, const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ip netns exec %s env ETCDCTL_API=3 etcdctl --dial-timeout=1s"
             " --endpoints=%s %s 2>/dev/null", ns_a, endpoint, args);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Polls etcdctl get --prefix key until its output contains (want 1) or
 * lacks (want 0) key; 1 when it did within ms. */
static int
key_state(const char *endpoint, const char *key, int want, int ms)
{
    char args[256], out[4096];
    snprintf(args, sizeof args, "get --prefix --keys-only %s", key);
    for (int i = 0; i < ms / 100; i++) {
        if (etcdctl(endpoint, args, out, sizeof out) == 0 && (strstr(out, key) != NULL) == want)
            return 1;
        usleep(100000);
    }
    return 0;
}

/* etcd in R, on R's side of the A link; its data in dir (wiped first
 * when asked). */
static pid_t
etcd_in_r(const char *dir, int port, int peer, int wipe)
{
    char cmd[1024];
    if (wipe)
        sh("rm -rf %s/data", dir);
    snprintf(cmd, sizeof cmd, "exec etcd --name r --data-dir %s/data --listen-client-urls"
             " http://198.18.1.1:%d --advertise-client-urls http://198.18.1.1:%d"
             " --listen-peer-urls http://127.0.0.1:%d --initial-advertise-peer-urls"
             " http://127.0.0.1:%d --initial-cluster r=http://127.0.0.1:%d"
             " --heartbeat-interval 50 --election-timeout 500 >>%s/etcd.log 2>&1",
             dir, port, port, peer, peer, peer, dir);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    char *full[] = {"ip", "netns", "exec", ns_r, argv[0], argv[1], argv[2], NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawnp(&pid, "ip", NULL, NULL, full, environ), 0);
    char ep[64], out[256];
    snprintf(ep, sizeof ep, "http://198.18.1.1:%d", port);
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        up = etcdctl(ep, "endpoint health", out, sizeof out) == 0;
        if (!up)
            usleep(100000);
    }
    ck_assert_msg(up, "etcd did not start in %s (log in %s)", ns_r, dir);
    return pid;
}

/* A peer that stays; its first line (what it called) in line. */
static pid_t
stay_peer(const char *ns, const char *name, const char *other, const char *listen,
          const char *reg, FILE **out)
{
    const char *ip = access("/usr/sbin/ip", X_OK) == 0 ? "/usr/sbin/ip"
                   : access("/sbin/ip", X_OK) == 0 ? "/sbin/ip" : "/usr/bin/ip";
    char *argv[] = {(char *)ip, "netns", "exec", (char *)ns, (char *)itest_bin("disc_peer"),
                    (char *)name, (char *)other, (char *)listen, (char *)reg, "stay", NULL};
    int fd;
    pid_t pid = start(argv, &fd);
    ck_assert_ptr_nonnull(*out = fdopen(fd, "r"));
    return pid;
}

START_TEST(test_S19_S20_etcd_across_network_namespaces)
{
    const char *missing = skip_why ? skip_why : etcd_fixture_missing();
    if (missing) {
        printf("check_netns: etcd SKIPPED: %s\n", missing);
        return;
    }
    char dir[64] = "/tmp/actr-netns-etcd-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    int port = etcd_free_port(), peer = etcd_free_port();
    char ep[64], url[128], ttl[8];
    snprintf(ep, sizeof ep, "http://198.18.1.1:%d", port);
    snprintf(url, sizeof url, "etcd://198.18.1.1:%d/netns", port);
    snprintf(ttl, sizeof ttl, "%d", NETNS_TTL);
    setenv(ACTR_ETCD_TTL_ENV, ttl, 1);
    pid_t epid = etcd_in_r(dir, port, peer, 0);

    /* alpha in A and beta in B find and call each other through etcd. */
    FILE *af, *bf;
    pid_t apid = stay_peer(ns_a, "alpha", "beta", "tcp://198.18.1.2:0", url, &af);
    pid_t bpid = stay_peer(ns_b, "beta", "alpha", "tcp://198.18.2.2:0", url, &bf);
    char aline[256] = "", bline[256] = "";
    ck_assert_ptr_nonnull(fgets(aline, sizeof aline, af));
    ck_assert_ptr_nonnull(fgets(bline, sizeof bline, bf));
    ck_assert_msg(strstr(aline, "alpha: called beta (beta) at tcp://198.18.2.2:"), "%s", aline);
    ck_assert_msg(strstr(bline, "beta: called alpha (alpha) at tcp://198.18.1.2:"), "%s", bline);
    ck_assert(key_state(ep, "/netns/beta/", 1, 1000));

    /* beta killed: its entry goes with its lease, alpha's stays. */
    ck_assert_int_eq(kill(bpid, SIGKILL), 0);
    ck_assert_int_eq(wait_exit(bpid, 2000), -1);
    ck_assert_msg(key_state(ep, "/netns/beta/", 0, (NETNS_TTL + 3) * 1000),
                  "beta still registered %d s after SIGKILL", NETNS_TTL + 3);
    ck_assert(key_state(ep, "/netns/alpha/", 1, 100));

    /* etcd restarts empty: alpha registers again by itself. */
    kill(epid, SIGKILL);
    wait_exit(epid, 5000);
    epid = etcd_in_r(dir, port, peer, 1);
    ck_assert_msg(key_state(ep, "/netns/alpha/", 1, ACTR_REGISTRY_RETRY_MAX_MS + 5000),
                  "alpha not registered again after etcd restarted");

    /* alpha leaves: its lease is revoked, its entry gone at once. */
    kill(apid, SIGINT);
    ck_assert_int_eq(wait_exit(apid, 5000), 0);
    ck_assert(key_state(ep, "/netns/alpha/", 0, 1000));
    fclose(af);
    fclose(bf);
    kill(epid, SIGTERM);
    wait_exit(epid, 5000);
    sh("rm -rf %s", dir);
    unsetenv(ACTR_ETCD_TTL_ENV);
}
END_TEST

static Suite *
netns_suite(void)
{
    Suite *s = suite_create("netns");
    TCase *tc = tcase_create("netns");
    tcase_set_timeout(tc, 90);
    /* Unchecked: teardown runs in the runner even when the test fails. */
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_S20_discovery_across_network_namespaces);
    tcase_add_test(tc, test_S19_S20_etcd_across_network_namespaces);
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
