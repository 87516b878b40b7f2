/* tests/etcd_health.h: is the etcd member at 127.0.0.1:port healthy?
 * GET /health over a plain socket, for the tests and the benchmark that
 * start their own etcd (they do not link libcurl: libactr opens it only
 * when it needs it). Blocks up to half a second. */
#ifndef TESTS_ETCD_HEALTH_H
#define TESTS_ETCD_HEALTH_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* 1 when it answers {"health":"true"}, else 0. */
static inline int
etcd_health_ok(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {0, 500000};
    static const char req[] = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    char buf[1024];
    size_t n = 0;
    ssize_t r;
    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1))
        while (n + 1 < sizeof buf && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
            n += (size_t)r;
    buf[n] = 0;
    close(fd);
    return strstr(buf, "\"health\":\"true\"") != NULL;
}

#endif
