// gRPC C++ peers of the actor figures (make bench-peers): what a user who
// picks gRPC instead of actr gets for the same work, measured on this
// machine in the same run, over TCP loopback and a Unix socket:
//  - grpc_unary: synchronous unary round trip, Ping(v) -> v + 1, checked
//    (stands beside actor_call);
//  - grpc_stream: server streaming, Flood(n) -> 0..n-1, each checked
//    (stands beside actor_stream);
//  - grpc_bidi: bidirectional echo, one Write then one Read, checked
//    (stands beside actor_echo).
// The server is a forked process (bench_util.h), forked before this one
// touches gRPC, listening on both transports; it stops when the timing
// side closes the pipe it watches.
//
// usage: peer_grpc [pinned|unpinned]   (default: $ACTR_BENCH_MODE)
#include <grpcpp/grpcpp.h>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_peers.grpc.pb.h"

extern "C" {
#define _Noreturn [[noreturn]]
#include <actr/err.h>

#include "bench_util.h"
#undef _Noreturn
}

namespace {

constexpr int kReps = 5;
constexpr int kCalls = 4000;      // round trips per repetition (as bench_actor)
constexpr long kStream = 100000;  // messages per repetition (fewer than
                                  // bench_actor's: gRPC streams slowly)
constexpr int kEchoes = 4000;
constexpr int kPeerExitMs = 10000;

class BenchService final : public actrbench::Bench::Service {
    grpc::Status Ping(grpc::ServerContext *, const actrbench::Num *in,
                      actrbench::Num *out) override
    {
        out->set_v(in->v() + 1);
        return grpc::Status::OK;
    }

    grpc::Status Flood(grpc::ServerContext *, const actrbench::FloodReq *req,
                       grpc::ServerWriter<actrbench::Num> *w) override
    {
        actrbench::Num m;
        for (uint64_t i = 0; i < req->n(); i++) {
            m.set_v(static_cast<int64_t>(i));
            if (!w->Write(m))
                return grpc::Status(grpc::StatusCode::CANCELLED, "reader gone");
        }
        return grpc::Status::OK;
    }

    grpc::Status Echo(grpc::ServerContext *,
                      grpc::ServerReaderWriter<actrbench::Num, actrbench::Num> *rw) override
    {
        actrbench::Num m;
        while (rw->Read(&m))
            if (!rw->Write(m))
                break;
        return grpc::Status::OK;
    }
};

struct ServerArg {
    std::string unix_addr;
    int port_w;   // the TCP port goes out here
    int stop_r;   // EOF here stops the server
};

int
serve(void *arg)
{
    auto *a = static_cast<ServerArg *>(arg);
    BenchService svc;
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.AddListeningPort(a->unix_addr, grpc::InsecureServerCredentials());
    b.RegisterService(&svc);
    std::unique_ptr<grpc::Server> server = b.BuildAndStart();
    if (!server || port <= 0)
        return 1;
    if (write(a->port_w, &port, sizeof port) != sizeof port)
        return 1;
    char c;
    while (read(a->stop_r, &c, 1) > 0) {
    }
    server->Shutdown();
    return 0;
}

int
unary(actrbench::Bench::Stub &stub, bench_stat *mean_us, bench_stat *p99_us)
{
    double mean[kReps], p99[kReps];
    std::vector<double> samples(kCalls);
    int64_t x = 0;
    for (int r = -1; r < kReps; r++) {   // r = -1: warm up
        int n = r < 0 ? kCalls / 10 : kCalls;
        int64_t t0 = bench_now_ns(), prev = t0;
        for (int i = 0; i < n; i++, x++) {
            grpc::ClientContext ctx;
            actrbench::Num in, out;
            in.set_v(x);
            if (!stub.Ping(&ctx, in, &out).ok())
                return ACTR_EIO;
            if (out.v() != x + 1)
                return ACTR_EPROTO;
            int64_t now = bench_now_ns();
            samples[i] = static_cast<double>(now - prev) / 1e3;
            prev = now;
        }
        if (r >= 0) {
            mean[r] = static_cast<double>(prev - t0) / n / 1e3;
            p99[r] = bench_quantile(samples.data(), static_cast<size_t>(n), 0.99);
        }
    }
    bench_stat_of(mean, kReps, mean_us);
    bench_stat_of(p99, kReps, p99_us);
    return 0;
}

int
stream(actrbench::Bench::Stub &stub, bench_stat *mmsgs)
{
    double rate[kReps];
    for (int r = -1; r < kReps; r++) {
        long n = r < 0 ? kStream / 10 : kStream;
        int64_t t0 = bench_now_ns();
        grpc::ClientContext ctx;
        actrbench::FloodReq req;
        req.set_n(static_cast<uint64_t>(n));
        auto rd = stub.Flood(&ctx, req);
        actrbench::Num m;
        long got = 0;
        while (rd->Read(&m)) {
            if (m.v() != got)
                return ACTR_EPROTO;
            got++;
        }
        if (!rd->Finish().ok() || got != n)
            return ACTR_EIO;
        if (r >= 0)
            rate[r] = static_cast<double>(n) / (static_cast<double>(bench_now_ns() - t0) / 1e9) / 1e6;
    }
    bench_stat_of(rate, kReps, mmsgs);
    return 0;
}

int
bidi(actrbench::Bench::Stub &stub, bench_stat *krt)
{
    double rate[kReps];
    grpc::ClientContext ctx;
    auto rw = stub.Echo(&ctx);
    int64_t x = 0;
    for (int r = -1; r < kReps; r++) {
        int n = r < 0 ? kEchoes / 10 : kEchoes;
        int64_t t0 = bench_now_ns();
        for (int i = 0; i < n; i++, x++) {
            actrbench::Num m;
            m.set_v(x);
            if (!rw->Write(m) || !rw->Read(&m))
                return ACTR_EIO;
            if (m.v() != x)
                return ACTR_EPROTO;
        }
        if (r >= 0)
            rate[r] = static_cast<double>(n) / (static_cast<double>(bench_now_ns() - t0) / 1e9) / 1e3;
    }
    rw->WritesDone();
    if (!rw->Finish().ok())
        return ACTR_EIO;
    bench_stat_of(rate, kReps, krt);
    return 0;
}

void
report(const char *fig, const char *tpt, const bench_stat *v, const char *unit)
{
    char name[64];
    bench_stat none = {0, 0, 0};
    std::snprintf(name, sizeof name, "grpc_%s_%s", fig, tpt);
    bench_report(name, v, unit, "none", &none);
}

void
check(int rc, const char *what, const char *tpt)
{
    if (rc < 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s %s", what, tpt);
        bench_fail(buf, rc);
    }
}

}  // namespace

int
main(int argc, char **argv)
{
    int rc = bench_init(argc, argv, 300);
    if (rc < 0)
        bench_fail("usage: peer_grpc [pinned|unpinned]", rc);
    int port_pipe[2], stop_pipe[2];
    if (pipe(port_pipe) < 0 || pipe(stop_pipe) < 0)
        bench_fail("pipe", ACTR_EIO);
    char path[108];
    std::snprintf(path, sizeof path, "/tmp/actr-bench-grpc-%d.sock", static_cast<int>(getpid()));
    unlink(path);
    ServerArg a{std::string("unix:") + path, port_pipe[1], stop_pipe[0]};
    bench_peer peer = {0};
    // Before any gRPC object exists here: the server forks a clean process.
    if ((rc = bench_peer_start(&peer, serve, &a, stop_pipe[1])) < 0)
        bench_fail("server", rc);
    close(port_pipe[1]);
    close(stop_pipe[0]);
    int port = 0;
    if (read(port_pipe[0], &port, sizeof port) != sizeof port || port <= 0)
        bench_fail("server start", ACTR_EIO);
    close(port_pipe[0]);

    const std::string targets[2] = {"127.0.0.1:" + std::to_string(port), a.unix_addr};
    const char *tpts[2] = {"tcp", "unix"};
    for (int t = 0; t < 2; t++) {
        auto ch = grpc::CreateChannel(targets[t], grpc::InsecureChannelCredentials());
        auto stub = actrbench::Bench::NewStub(ch);
        bench_stat mean, p99, rate, krt;
        check(unary(*stub, &mean, &p99), "unary", tpts[t]);
        report("unary", tpts[t], &mean, "us");
        report("unary_p99", tpts[t], &p99, "us");
        check(stream(*stub, &rate), "server streaming", tpts[t]);
        report("stream", tpts[t], &rate, "Mmsg/s");
        check(bidi(*stub, &krt), "bidi echo", tpts[t]);
        report("bidi", tpts[t], &krt, "krt/s");
    }
    close(stop_pipe[1]);
    rc = bench_peer_finish(&peer, kPeerExitMs);
    unlink(path);
    if (rc < 0)
        bench_fail("server exit", rc);
    return 0;
}
