// Includes the generated headers from C++ (they must carry extern "C"
// guards and nothing C-only) and runs one round trip through them; the
// codec suite calls actr_test_cxx_roundtrip().
#include "market.actor.h"
#include "actr_self.actor.h"
#include "shapes.actor.h"

#include <cstring>

extern "C" int actr_test_cxx_roundtrip(void);

int
actr_test_cxx_roundtrip(void)
{
    char sym[] = "ACME";
    market_quote q{};
    q.sym.ptr = sym;
    q.sym.len = 4;
    q.price = 12.5;
    q.seq = 7;
    q.side = SHAPES_SIDE_SHORT;

    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    actr_codec_err err;
    int rc = market_quote_encode_buf(&sb, &q, &err);
    market_quote out{};
    if (rc == 0)
        rc = market_quote_decode_buf(sb.data, sb.size, &out, nullptr, &err);
    msgpack_sbuffer_destroy(&sb);
    if (rc != 0)
        return rc;
    int same = out.sym.len == 4 && std::strcmp(out.sym.ptr, "ACME") == 0 && out.price == 12.5
               && out.seq == 7 && out.side == SHAPES_SIDE_SHORT && out.at == nullptr;
    market_quote_free(&out);
    return same ? 0 : -1;
}
