// The loopback floor of this machine in Google Benchmark: the two operations the harness measures, done by
// one thread with plain blocking sockets on 127.0.0.1 and no server model at all. No model can beat these
// rates; Sources/Compare/Floor/MachineFloor.swift measures the same in-process for bench compare and check.
//
//   BENCH_FLOOR=1 swift build -c release --product loopback-floor
//   .build/release/loopback-floor --benchmark_min_time=0.5 --benchmark_format=csv

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

constexpr std::size_t kGreetingBytes = 81;  // one greeting, the whole answer of a greeting connection
constexpr std::uint32_t kResponseBytes = 16;  // the smallest response the harness asks for by default

// Owns one descriptor, so that every exit path, SkipWithError included, closes it.
class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() { reset(); }
    int fd() const { return fd_; }
    void reset() {
        if (fd_ >= 0) close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

sockaddr_in loopback(in_port_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = port;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A listener on 127.0.0.1 at a port the kernel picks (port 0), so that runs never collide; sets *port.
// The backlog is small: the same thread connects then accepts, so at most one connection waits.
int listenOnLoopback(in_port_t* port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd, 8) != 0
        || getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *port = address.sin_port;
    return fd;
}

int connectToLoopback(in_port_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(port);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// MSG_NOSIGNAL: a peer that went away yields EPIPE here instead of a SIGPIPE that kills the benchmark.
bool writeAll(int fd, const void* bytes, std::size_t count) {
    const char* at = static_cast<const char*>(bytes);
    while (count > 0) {
        ssize_t written = send(fd, at, count, MSG_NOSIGNAL);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return false;
        at += written;
        count -= static_cast<std::size_t>(written);
    }
    return true;
}

// Reads exactly count bytes; false on error or an early end of stream.
bool readAll(int fd, void* bytes, std::size_t count) {
    char* at = static_cast<char*>(bytes);
    while (count > 0) {
        ssize_t received = recv(fd, at, count, 0);
        if (received < 0 && errno == EINTR) continue;
        if (received <= 0) return false;
        at += received;
        count -= static_cast<std::size_t>(received);
    }
    return true;
}

std::string failure(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

// Socket, connect, accept, write 81 bytes, read them, close both: one greeting connection.
void BM_ConnectionLifecycle(benchmark::State& state) {
    in_port_t port = 0;
    Socket listener(listenOnLoopback(&port));
    if (listener.fd() < 0) return state.SkipWithError(failure("listen").c_str());
    std::array<char, kGreetingBytes> greeting;
    greeting.fill('*');
    std::array<char, kGreetingBytes> received{};
    for (auto _ : state) {
        Socket client(connectToLoopback(port));
        if (client.fd() < 0) return state.SkipWithError(failure("connect").c_str());
        Socket server(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
        if (server.fd() < 0) return state.SkipWithError(failure("accept").c_str());
        if (!writeAll(server.fd(), greeting.data(), greeting.size())) {
            return state.SkipWithError(failure("write").c_str());
        }
        // The server closes first, as the greeting server does: TIME_WAIT stays on the server's side and
        // does not use up the client's ephemeral ports in this tight loop.
        server.reset();
        if (!readAll(client.fd(), received.data(), received.size())) {
            return state.SkipWithError(failure("read").c_str());
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConnectionLifecycle)->Unit(benchmark::kMicrosecond)->UseRealTime();

// On one open connection: the client writes a 4-byte big-endian n, the server reads it and answers n bytes,
// the client reads them.
void BM_RequestRoundTrip(benchmark::State& state) {
    in_port_t port = 0;
    Socket listener(listenOnLoopback(&port));
    if (listener.fd() < 0) return state.SkipWithError(failure("listen").c_str());
    Socket client(connectToLoopback(port));
    if (client.fd() < 0) return state.SkipWithError(failure("connect").c_str());
    Socket server(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    if (server.fd() < 0) return state.SkipWithError(failure("accept").c_str());
    // TCP_NODELAY on both ends, as the servers and the driver set it: requests and answers are single small
    // segments, which Nagle's algorithm may hold back waiting for an acknowledgement.
    int on = 1;
    if (setsockopt(client.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0
        || setsockopt(server.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
        return state.SkipWithError(failure("setsockopt TCP_NODELAY").c_str());
    }
    const std::uint32_t request = htonl(kResponseBytes);
    std::array<char, kResponseBytes> response;
    response.fill('*');
    for (auto _ : state) {
        std::uint32_t header = 0;
        if (!writeAll(client.fd(), &request, sizeof request) || !readAll(server.fd(), &header, sizeof header)
            || ntohl(header) != response.size() || !writeAll(server.fd(), response.data(), response.size())
            || !readAll(client.fd(), response.data(), response.size())) {
            return state.SkipWithError(failure("round trip").c_str());
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RequestRoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
