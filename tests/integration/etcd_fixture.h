/* A private etcd for the discovery tests: each member runs on free
 * loopback ports, in its own temporary data directory, under a guardian
 * process. The guardian is not a child of the test (double fork, own
 * session), so the test's checks for leftover children hold; it stops
 * etcd (SIGTERM, then SIGKILL, reaped) and removes the directory when
 * told to, and also when the test process dies for any reason (it sees
 * its command pipe close), so a failing or killed test leaves nothing. */
#ifndef ETCD_FIXTURE_H
#define ETCD_FIXTURE_H

#include <sys/types.h>

typedef struct etcd_node {
    char name[16];
    int cmd;                  /* write end: commands to the guardian */
    int reply;                /* read end: its answers */
    int pid;                  /* etcd's pid while it runs, else 0 */
    int client_port, peer_port;
    char dir[64];             /* the member's private directory */
    char client[64];          /* http://127.0.0.1:PORT */
    char peer[64];
} etcd_node;

/* NULL when etcd can be run here, else why not (the tests then skip,
 * saying so). */
const char *etcd_fixture_missing(void);

/* A free loopback TCP port (bound to port 0, read, closed). */
int etcd_free_port(void);

/* Picks ports, makes the directory, starts the guardian (call it before
 * the test's actor runs: the guardian must not inherit its sockets). */
void etcd_node_init(etcd_node *n, const char *name);

/* Starts etcd in the member; cluster is the --initial-cluster value
 * (NULL: this member alone); wipe empties its data first. Returns once
 * etcd was spawned (not yet ready). Callable inside a task. */
void etcd_node_start(etcd_node *n, const char *cluster, int wipe);

/* Waits up to ms for the member to answer /health with true. 1 if it
 * did. Callable inside a task (sleeps between polls). */
int etcd_node_ready(const etcd_node *n, int ms);

/* SIGKILLs etcd and waits until the guardian reaped it. */
void etcd_node_kill(etcd_node *n);

/* Stops etcd, removes the directory, ends the guardian. Idempotent. */
void etcd_node_done(etcd_node *n);

/* One single-node etcd, started and ready (asserts). */
void etcd_single(etcd_node *n);

/* Three members of one cluster, started and ready (asserts). */
void etcd_cluster3(etcd_node n[3]);

/* "etcd://127.0.0.1:P[,127.0.0.1:P...]/prefix" of nodes n[0..k). */
void etcd_nodes_url(char *buf, size_t cap, const etcd_node *n, int k, const char *prefix);

#endif
