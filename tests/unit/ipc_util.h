/* Helpers of the ipc suites: raw blocking socket clients (run in a
 * thread, so they can misbehave in ways an actr channel never would),
 * frame building, fd counting and temporary unix socket paths. */
#ifndef ACTR_TEST_IPC_UTIL_H
#define ACTR_TEST_IPC_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <actr/actr.h>
#include <actr/ipc.h>
#include <actr/wire.h>

/* Number of entries in /proc/self/fd. */
int ipc_test_fd_count(void);

/* Writes a fresh socket path under /tmp into buf (the file does not
 * exist) and the matching "unix://" URL into url when url is not NULL. */
void ipc_test_unix_path(char *buf, size_t cap, char *url, size_t url_cap);

/* Fills *m with an Aid message (strings borrowed). */
void ipc_test_aid(actr_msg *m, const char *name, const char *uuid);

/* Fills *m with Yield{cid, pld} where pld is the msgpack of a
 * non-negative integer (encoded into the caller's 9-byte scratch). */
void ipc_test_yield(actr_msg *m, const char *cid, uint64_t v, uint8_t scratch[9]);

/* Reads a non-negative msgpack integer from raw; -1 if it is not one. */
int64_t ipc_test_uint(const actr_any *raw);

/* ---- raw blocking clients (thread side; no actr calls but the pure
 * wire functions) */

/* Connects a blocking socket to a with 5 s send/receive timeouts;
 * returns the fd or -1. */
int raw_connect(const actr_addr *a);

/* Writes all bytes; 0 or -1. */
int raw_write(int fd, const void *p, size_t n);

/* Writes one frame: 4-byte length prefix and body. 0 or -1. */
int raw_frame(int fd, const void *body, size_t n);

/* Encodes m and writes it as a frame. 0 or -1. */
int raw_msg(int fd, const actr_msg *m);

/* Reads one frame into a malloc'd *body (caller frees); returns its
 * length, -1 on EOF, error or the 5 s timeout. */
ssize_t raw_read_frame(int fd, uint8_t **body);

/* The usual opening of a raw client: send an Aid, read the server's
 * (checked to decode as Aid). Returns 0 or -1. */
int raw_handshake(int fd, const char *name);

/* Closes with a TCP reset (SO_LINGER 0) instead of a FIN. */
void raw_reset(int fd);

/* Packs a msgpack map of string keys from alternating (key, value)
 * pairs where every value is a string, except values given as NULL, which
 * are written as nil. Returns a malloc'd body and its length. */
uint8_t *raw_map_of_strings(size_t *len, size_t npairs, ...);

/* Runs fn(arg) in a new thread; join it with pthread_join. */
pthread_t raw_spawn(void *(*fn)(void *), void *arg);

/* ------------------------------------------------------------ channels
 * (from a task; each fails the Check test on error) */

/* Listens on one address of the transport kind i (0 tcp, 1 unix). */
actr_listener *ipc_test_listen_kind(int i, const actr_ipc_opts *opts);

/* Handshakes ch as the actor (name, uuid). */
void ipc_test_handshake_as(actr_ipc *ch, const char *name, const char *uuid);

/* Connects to address i of l and handshakes as "client". */
actr_ipc *ipc_test_dial(const actr_listener *l, size_t i, const actr_ipc_opts *opts);

#endif
