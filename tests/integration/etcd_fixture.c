/* A private etcd for the discovery tests (etcd_fixture.h). */
#include "etcd_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disc_helpers.h"
#include "etcd_health.h"

/* A member waits this long for its peers before it gives up on a
 * cluster; elections are quick on loopback (and make the minimum lease
 * TTL 1 s, so tests may use short TTLs). */
#define ETCD_HEARTBEAT_MS "50"
#define ETCD_ELECTION_MS "500"

const char *
etcd_fixture_missing(void)
{
    static char why[128];
    if (system("etcd --version >/dev/null 2>&1") != 0) {
        snprintf(why, sizeof why, "etcd is not installed (Debian: etcd-server)");
        return why;
    }
    return NULL;
}

int
etcd_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* ------------------------------------------------------------ the guardian */

static void
stop_etcd(pid_t *pid, int sig)
{
    if (*pid <= 0)
        return;
    kill(*pid, sig);
    int st;
    for (int i = 0; i < 500 && waitpid(*pid, &st, WNOHANG) == 0; i++) {
        if (i == 499) {
            kill(*pid, SIGKILL);
            waitpid(*pid, &st, 0);
        }
        usleep(10000);
    }
    *pid = 0;
}

static pid_t
spawn_etcd(const etcd_node *n, const char *cluster)
{
    char data[128], log[128], lc[80], lp[80], init[1024];
    snprintf(data, sizeof data, "%s/data", n->dir);
    snprintf(log, sizeof log, "%s/etcd.log", n->dir);
    snprintf(init, sizeof init, "%s", cluster[0] ? cluster : "");
    if (!cluster[0])
        snprintf(init, sizeof init, "%s=%s", n->name, n->peer);
    snprintf(lc, sizeof lc, "%s", n->client);
    snprintf(lp, sizeof lp, "%s", n->peer);
    char *argv[] = {"etcd", "--name", (char *)n->name, "--data-dir", data,
                    "--listen-client-urls", lc, "--advertise-client-urls", lc,
                    "--listen-peer-urls", lp, "--initial-advertise-peer-urls", lp,
                    "--initial-cluster", init, "--initial-cluster-token", "actr-test",
                    "--initial-cluster-state", "new",
                    "--heartbeat-interval", ETCD_HEARTBEAT_MS,
                    "--election-timeout", ETCD_ELECTION_MS, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);       /* never outlive the guardian */
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        execvp("etcd", argv);
        _exit(127);
    }
    return pid;
}

/* Commands, one per line: "start WIPE [CLUSTER]", "kill". End of input:
 * the test is over (or dead): stop etcd, remove the directory, exit. */
static void
guardian(etcd_node *n, int cmd_r, int reply_w)
{
    setsid();                  /* out of the test's process group */
    signal(SIGPIPE, SIG_IGN);
    int c = fcntl(cmd_r, F_DUPFD_CLOEXEC, 1000), r = fcntl(reply_w, F_DUPFD_CLOEXEC, 1000);
    close_range(3, 999, 0);    /* nothing of the test's: no socket kept open */
    FILE *in = fdopen(c, "r");
    char line[2048];
    pid_t etcd = 0;
    while (in && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "start ", 6) == 0) {
            stop_etcd(&etcd, SIGTERM);
            char *cluster = strchr(line + 6, ' ');
            if (line[6] == '1') {
                char data[128];
                snprintf(data, sizeof data, "%s/data", n->dir);
                disc_rm_tree(data);
            }
            etcd = spawn_etcd(n, cluster ? cluster + 1 : "");
            dprintf(r, "%d\n", (int)etcd);
        } else if (strcmp(line, "kill") == 0) {
            stop_etcd(&etcd, SIGKILL);
            dprintf(r, "0\n");
        }
    }
    stop_etcd(&etcd, SIGTERM);
    disc_rm_tree(n->dir);
    _exit(0);
}

/* ------------------------------------------------------------ the test side */

static void
send_cmd(etcd_node *n, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ck_assert(len > 0 && len < (int)sizeof buf);
    ck_assert_int_eq(write(n->cmd, buf, (size_t)len), len);
}

static int
read_reply(etcd_node *n)
{
    char line[32];
    size_t k = 0;
    while (k + 1 < sizeof line) {
        if (actr_task_id() != 0)
            ck_assert_int_gt(actr_fd_wait(n->reply, ACTR_READ, actr_deadline_in(15000)), 0);
        else
            ck_assert_int_eq(poll(&(struct pollfd){n->reply, POLLIN, 0}, 1, 15000), 1);
        char ch;
        ck_assert_int_eq(read(n->reply, &ch, 1), 1);
        if (ch == '\n')
            break;
        line[k++] = ch;
    }
    line[k] = 0;
    return atoi(line);
}

void
etcd_node_init(etcd_node *n, const char *name)
{
    memset(n, 0, sizeof *n);
    signal(SIGPIPE, SIG_IGN);
    snprintf(n->name, sizeof n->name, "%s", name);
    n->client_port = etcd_free_port();
    do
        n->peer_port = etcd_free_port();
    while (n->peer_port == n->client_port);
    snprintf(n->dir, sizeof n->dir, "/tmp/actr-etcd-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(n->dir));
    snprintf(n->client, sizeof n->client, "http://127.0.0.1:%d", n->client_port);
    snprintf(n->peer, sizeof n->peer, "http://127.0.0.1:%d", n->peer_port);
    int c[2], r[2];
    ck_assert_int_eq(pipe2(c, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(r, O_CLOEXEC), 0);
    pid_t a = fork();
    ck_assert_int_ge(a, 0);
    if (a == 0) {
        if (fork() == 0) {
            close(c[1]);
            close(r[0]);
            guardian(n, c[0], r[1]);
        }
        _exit(0);
    }
    int st;
    ck_assert_int_eq(waitpid(a, &st, 0), a);
    close(c[0]);
    close(r[1]);
    n->cmd = c[1];
    n->reply = r[0];
}

void
etcd_node_start(etcd_node *n, const char *cluster, int wipe)
{
    send_cmd(n, "start %d %s\n", wipe ? 1 : 0, cluster ? cluster : "");
    n->pid = read_reply(n);
    ck_assert_int_gt(n->pid, 0);
}

int
etcd_node_ready(const etcd_node *n, int ms)
{
    int64_t end = actr_now() + ms;
    while (actr_now() < end) {
        if (etcd_health_ok(n->client_port))
            return 1;
        if (actr_task_id() != 0)
            ck_assert_int_eq(actr_sleep(50), 0);
        else
            usleep(50000);
    }
    return 0;
}

void
etcd_node_kill(etcd_node *n)
{
    send_cmd(n, "kill\n");
    read_reply(n);
    n->pid = 0;
}

void
etcd_node_done(etcd_node *n)
{
    if (n->cmd <= 0)
        return;
    close(n->cmd);
    n->cmd = 0;
    /* The guardian closes its end once etcd is stopped and the directory
     * is gone: wait for that (bounded). */
    char ch;
    poll(&(struct pollfd){n->reply, POLLIN, 0}, 1, 10000);
    while (read(n->reply, &ch, 1) > 0)
        ;
    close(n->reply);
    n->reply = 0;
    n->pid = 0;
}

void
etcd_single(etcd_node *n)
{
    etcd_node_init(n, "solo");
    etcd_node_start(n, NULL, 0);
    ck_assert_msg(etcd_node_ready(n, 15000), "etcd did not become ready (log in %s)", n->dir);
}

void
etcd_cluster3(etcd_node n[3])
{
    char cluster[512] = "";
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "m%d", i);
        etcd_node_init(&n[i], name);
    }
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(cluster);
        snprintf(cluster + l, sizeof cluster - l, "%s%s=%s", i ? "," : "", n[i].name,
                 n[i].peer);
    }
    for (int i = 0; i < 3; i++)
        etcd_node_start(&n[i], cluster, 0);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(etcd_node_ready(&n[i], 20000), "etcd member %s did not become ready",
                      n[i].name);
}

void
etcd_nodes_url(char *buf, size_t cap, const etcd_node *n, int k, const char *prefix)
{
    size_t l = (size_t)snprintf(buf, cap, "etcd://");
    for (int i = 0; i < k && l < cap; i++)
        l += (size_t)snprintf(buf + l, cap - l, "%s127.0.0.1:%d", i ? "," : "",
                              n[i].client_port);
    if (l < cap)
        snprintf(buf + l, cap - l, "%s", prefix);
}
