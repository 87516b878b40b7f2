/* Builds against an *installed* actr (headers, pkg-config, actr.mk, the
 * shared library) and round-trips a generated type: proves that generated
 * code needs only what `make install` ships and only exported symbols. */
#include <stdio.h>
#include <string.h>

#include <actr/actr.h>

#include "point.actor.h"

int
main(void)
{
    point_point in = {.x = -7, .y = 1 << 20};
    point_point out;
    msgpack_sbuffer sb;
    actr_codec_err err;
    int rc;

    in.label.has = true;
    in.label.value.ptr = (char *)"origin";
    in.label.value.len = strlen("origin");
    msgpack_sbuffer_init(&sb);
    rc = point_point_encode_buf(&sb, &in, &err);
    if (rc == 0)
        rc = point_point_decode_buf(sb.data, sb.size, &out, NULL, &err);
    msgpack_sbuffer_destroy(&sb);
    if (rc < 0) {
        fprintf(stderr, "install-check: %s: %s\n", actr_strerror(rc), err.msg);
        return 1;
    }
    rc = out.x == in.x && out.y == in.y && out.label.has &&
         strcmp(out.label.value.ptr, "origin") == 0;
    point_point_free(&out);
    if (!rc) {
        fprintf(stderr, "install-check: round trip changed the value\n");
        return 1;
    }
    printf("install-check: ok (actr %s)\n", ACTR_VERSION);
    return 0;
}
