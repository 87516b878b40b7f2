/* A local attacker without the tree's secret (check_attack, S28).
 *
 *   attacker raw URL NAME UUID   two raw connections to URL, each sending
 *       an Aid claiming uid (NAME, UUID), then at once (not waiting for
 *       any answer) a Start for every attack: self:cancel, register_actor
 *       and unregister_actor of that uid, get_registry, list_actors,
 *       delete_addr and testmod:add. The first offers the
 *       authentication challenge and a guessed proof, the second plays a
 *       tractor peer (no challenge). Prints per connection "conn K
 *       frames F aid A answers N auth C" (what came back before EOF:
 *       frames, Aids, StartAck/Return/Error/CancelAck/Yield answers,
 *       ActrAuth challenges) or "conn K refused: <why>" when it could
 *       not even connect.
 *   attacker actr URL            a root actor of its own (its own random
 *       secret) opening a portal to URL; prints "portal <errname>".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <actr/actr.h>

static int
dial(const actr_addr *a)
{
    int fd;
    if (a->kind == ACTR_ADDR_UNIX) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        snprintf(sun.sun_path, sizeof sun.sun_path, "%s", a->path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
            close(fd);
            return -1;
        }
    } else {
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(a->port)};
        if (inet_pton(AF_INET, a->host, &sin.sin_addr) != 1)
            return -1;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
            close(fd);
            return -1;
        }
    }
    struct timeval tv = {3, 0};
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static actr_str
S(const char *z)
{
    return (actr_str){(char *)z, strlen(z)};
}

static void
put(actr_wbuf *b, const actr_msg *m)
{
    if (actr_msg_encode(m, b) < 0) {
        fprintf(stderr, "attacker: cannot encode a %s\n", actr_msg_type_name(m->type));
        exit(2);
    }
}

static void
start(actr_wbuf *b, const char *cid, const char *ns, const char *func, const uint8_t *kw,
      size_t kwlen, const char *name, const char *uuid)
{
    actr_msg m = {.type = ACTR_MSG_START};
    m.u.start.cid = S(cid);
    m.u.start.ns = S(ns);
    m.u.start.func = S(func);
    m.u.start.kwargs = (actr_any){(uint8_t *)kw, kwlen};
    m.u.start.uid.name = S(name);
    m.u.start.uid.uuid = S(uuid);
    put(b, &m);
}

/* msgpack of {uid: [name, uuid]} (+ addr: ["127.0.0.1", 1] when addr). */
static size_t
uid_kwargs(uint8_t *out, const char *name, const char *uuid, int addr)
{
    size_t k = 0, nl = strlen(name), ul = strlen(uuid);
    out[k++] = addr ? 0x82 : 0x81;
    memcpy(out + k, "\xa3uid\x92", 5);
    k += 5;
    out[k++] = 0xd9;
    out[k++] = (uint8_t)nl;
    memcpy(out + k, name, nl);
    k += nl;
    out[k++] = 0xd9;
    out[k++] = (uint8_t)ul;
    memcpy(out + k, uuid, ul);
    k += ul;
    if (addr) {
        memcpy(out + k, "\xa4" "addr\x92\xa9" "127.0.0.1\x01", 17);
        k += 17;
    }
    return k;
}

static void
attack(const actr_addr *a, int conn, int offer_auth, const char *name, const char *uuid)
{
    int fd = dial(a);
    if (fd < 0) {
        printf("conn %d refused: %s\n", conn, strerror(errno));
        return;
    }
    actr_wbuf b = {0};
    uint8_t nonce[34] = {0xc4, 32}, proof[34] = {0xc4, 32};
    for (int i = 2; i < 34; i++) {
        nonce[i] = (uint8_t)rand();
        proof[i] = (uint8_t)rand();
    }
    actr_msg m = {.type = ACTR_MSG_AID};
    m.u.aid.name = S(name);
    m.u.aid.uuid = S(uuid);
    m.u.aid.has_pid = true;
    m.u.aid.pid = getpid();
    if (offer_auth)
        m.u.aid.auth = (actr_any){nonce, sizeof nonce};
    put(&b, &m);
    if (offer_auth) {
        m = (actr_msg){.type = ACTR_MSG_AUTH};
        m.u.auth.proof = (actr_any){proof, sizeof proof};
        put(&b, &m);
    }
    uint8_t kw[200];
    static const uint8_t none = 0x80;
    static const uint8_t del[] = "\x81\xa4" "addr\x92\xa9" "127.0.0.1\x01";
    start(&b, "a1", "self", "cancel", &none, 1, name, uuid);
    start(&b, "a2", "self", "register_actor", kw, uid_kwargs(kw, "victim", uuid, 1), name, uuid);
    start(&b, "a3", "self", "unregister_actor", kw, uid_kwargs(kw, name, uuid, 0), name, uuid);
    start(&b, "a4", "self", "get_registry", &none, 1, name, uuid);
    start(&b, "a5", "actr", "list_actors", &none, 1, name, uuid);
    start(&b, "a6", "self", "delete_addr", del, sizeof del - 1, name, uuid);
    start(&b, "a7", "testmod", "add", (const uint8_t *)"\x82\xa1" "a\x01\xa1" "b\x02", 7, name,
          uuid);
    int frames = 0, aids = 0, answers = 0, auths = 0;
    if (write(fd, b.ptr, b.len) == (ssize_t)b.len) {
        actr_frame_reader rd;
        actr_frame_reader_init(&rd, 0);
        for (;;) {
            uint8_t *dst;
            size_t avail;
            if (actr_frame_reader_space(&rd, &dst, &avail) < 0)
                break;
            ssize_t n = read(fd, dst, avail);
            if (n <= 0)
                break;
            actr_frame_reader_commit(&rd, (size_t)n);
            actr_frame f;
            while (actr_frame_reader_next(&rd, &f, NULL) == 1) {
                actr_msg got;
                frames++;
                if (actr_msg_decode(f.body, f.len, &got, NULL) < 0)
                    continue;
                aids += got.type == ACTR_MSG_AID;
                auths += got.type == ACTR_MSG_AUTH;
                answers += got.type == ACTR_MSG_STARTACK || got.type == ACTR_MSG_RETURN ||
                           got.type == ACTR_MSG_ERROR || got.type == ACTR_MSG_CANCELACK ||
                           got.type == ACTR_MSG_YIELD;
            }
        }
        actr_frame_reader_destroy(&rd);
    }
    actr_wbuf_destroy(&b);
    close(fd);
    printf("conn %d frames %d aid %d answers %d auth %d\n", conn, frames, aids, answers, auths);
}

static int
portal_main(actr_actor *self, void *arg)
{
    (void)self;
    actr_portal *p;
    int rc = actr_portal_open(arg, &p);
    printf("portal %s\n", rc == 0 ? "opened" : actr_errname(rc));
    if (rc == 0)
        actr_portal_close(p);
    return 0;
}

int
main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    srand((unsigned)getpid());
    actr_addr a;
    if (argc >= 3 && actr_addr_parse(argv[2], &a) < 0) {
        fprintf(stderr, "attacker: bad URL %s\n", argv[2]);
        return 2;
    }
    if (argc == 5 && strcmp(argv[1], "raw") == 0) {
        attack(&a, 1, 1, argv[3], argv[4]);
        attack(&a, 2, 0, argv[3], argv[4]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "actr") == 0) {
        /* No secret of the tree: its own random one. */
        unsetenv("ACTR_SECRET_FILE");
        setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
        setenv("ACTR_REGISTRY", "none", 1);
        actr_actor_opts o = {.name = "attacker"};
        return actr_main(argc, argv, &o, portal_main, argv[2]) < 0;
    }
    fprintf(stderr, "usage: attacker raw URL NAME UUID | attacker actr URL\n");
    return 2;
}
