/* Wire layer cost per small message: encode (append a frame) + decode
 * (borrowing), next to msgpack-c packing and unpacking an equivalent map
 * in the same run. Each figure is the best of several rounds, in ns per
 * message. */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <actr/wire.h>

#define ROUNDS 7
#define ITERS 200000

static const char CID[] = "0fc08435-3e1c-4f47-9d5d-3a0b8c2e7f11";
static const char UUID[] = "569bb6db-5a2c-448e-979a-5762aa2d39a5";

static volatile size_t sink;

static double
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static actr_str
S(const char *s)
{
    actr_str r = {(char *)s, strlen(s)};
    return r;
}

/* ------------------------------------------------------------ ours */

static uint8_t pld_int[] = {0x2a};
static uint8_t kwargs[] = {0x81, 0xa1, 'n', 0x50};

static void
build(actr_msg *m, bool start)
{
    memset(m, 0, sizeof *m);
    if (!start) {
        m->type = ACTR_MSG_YIELD;
        m->u.yield.cid = S(CID);
        m->u.yield.pld.ptr = pld_int;
        m->u.yield.pld.len = sizeof pld_int;
        return;
    }
    m->type = ACTR_MSG_START;
    m->u.start.cid = S(CID);
    m->u.start.ns = S("capture_tractor");
    m->u.start.func = S("echo_ctx");
    m->u.start.kwargs.ptr = kwargs;
    m->u.start.kwargs.len = sizeof kwargs;
    m->u.start.uid.name = S("root");
    m->u.start.uid.uuid = S(UUID);
}

/* mode: 0 encode+decode, 1 encode only, 2 decode only */
static double
ours(bool start, int mode)
{
    actr_msg m, out;
    actr_wbuf b = ACTR_WBUF_INIT;
    double best = 1e30;

    build(&m, start);
    if (actr_msg_encode(&m, &b) < 0)
        abort();
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_ns();
        for (int i = 0; i < ITERS; i++) {
            if (mode != 2) {
                b.len = 0;
                if (actr_msg_encode(&m, &b) < 0)
                    abort();
            }
            if (mode != 1) {
                if (actr_msg_decode(b.ptr + 4, b.len - 4, &out, NULL) < 0)
                    abort();
                sink += out.u.yield.cid.len;
            }
        }
        double dt = (now_ns() - t0) / ITERS;
        if (dt < best)
            best = dt;
    }
    actr_wbuf_destroy(&b);
    return best;
}

/* ------------------------------------------------------- msgpack-c */

static void
pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void
pack(msgpack_packer *pk, bool start)
{
    if (!start) {
        msgpack_pack_map(pk, 3);
        pack_str(pk, "msg_type");
        pack_str(pk, "Yield");
        pack_str(pk, "cid");
        pack_str(pk, CID);
        pack_str(pk, "pld");
        msgpack_pack_int64(pk, 42);
        return;
    }
    msgpack_pack_map(pk, 7);
    pack_str(pk, "msg_type");
    pack_str(pk, "Start");
    pack_str(pk, "cid");
    pack_str(pk, CID);
    pack_str(pk, "ns");
    pack_str(pk, "capture_tractor");
    pack_str(pk, "func");
    pack_str(pk, "echo_ctx");
    pack_str(pk, "kwargs");
    msgpack_pack_map(pk, 1);
    pack_str(pk, "n");
    msgpack_pack_int64(pk, 80);
    pack_str(pk, "uid");
    msgpack_pack_array(pk, 2);
    pack_str(pk, "root");
    pack_str(pk, UUID);
    pack_str(pk, "pld_spec");
    pack_str(pk, "typing.Any");
}

static double
baseline(bool start, int mode)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_zone zone;
    msgpack_object obj;
    double best = 1e30;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_zone_init(&zone, 2048);
    pack(&pk, start);
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now_ns();
        for (int i = 0; i < ITERS; i++) {
            if (mode != 2) {
                msgpack_sbuffer_clear(&sb);
                pack(&pk, start);
            }
            if (mode != 1) {
                size_t off = 0;
                msgpack_zone_clear(&zone);
                if (msgpack_unpack(sb.data, sb.size, &off, &zone, &obj) !=
                    MSGPACK_UNPACK_SUCCESS)
                    abort();
                sink += obj.via.map.size;
            }
        }
        double dt = (now_ns() - t0) / ITERS;
        if (dt < best)
            best = dt;
    }
    msgpack_zone_destroy(&zone);
    msgpack_sbuffer_destroy(&sb);
    return best;
}

static void
report(const char *name, double v, const char *bname, double b)
{
    printf("bench %s %.1f ns baseline %s %.1f ratio %.2f\n", name, v, bname, b,
           v / b);
}

int
main(void)
{
    static const char *const modes[] = {"encode_decode", "encode", "decode"};
    static const char *const bmodes[] = {"pack_unpack", "pack", "unpack"};
    char name[96], bname[96];

    for (int start = 0; start <= 1; start++) {
        for (int mode = 0; mode < 3; mode++) {
            const char *kind = start ? "start" : "yield_int";
            snprintf(name, sizeof name, "wire_%s_%s", kind, modes[mode]);
            snprintf(bname, sizeof bname, "msgpackc_%s_%s", kind, bmodes[mode]);
            double o = ours(start, mode);
            double b = baseline(start, mode);
            report(name, o, bname, b);
        }
    }
    return sink == 0xdeadbeef;
}
