/*
 * refserver: the reference server, the yardstick the Swift models are measured against. One thread, one epoll
 * instance, non-blocking sockets and a few system calls per connection or request, so that in a benchmark against
 * it the load client or the kernel is what limits, not this server.
 *
 *   refserver [-p PORT] [-a ADDRESS] [-m oneshot|ka] [-b BACKLOG] [-T SECONDS] [-x MAXBYTES]
 *
 * -m oneshot (the greeting protocol, the default): on accept it writes the 81-byte greeting frame and closes.
 * -m ka (the request protocol): the client sends a 4-byte big-endian n, 1 <= n <= MAXBYTES (-x, default 1 MiB),
 *    and gets exactly n random bytes; any number of requests per connection, pipelined or not; after the client's
 *    half-close it answers what was asked, then closes; n = 0 or n > MAXBYTES closes the connection at once.
 * -p 0 lets the kernel pick the port (default 5050); -a takes a numeric IPv4 or IPv6 address (default 127.0.0.1);
 * -b is the listen backlog (default 4096); -T ends it after SECONDS (default 0: until SIGTERM or SIGINT).
 *
 * Once listening it prints one line on stdout, flushed so that a parent reading a pipe sees it at once:
 *   refserver pid=N listening 127.0.0.1:5050 mode=oneshot backlog=4096
 * and at its end, one line of counters on stderr (the keys bench serve prints):
 *   connections=N requests=N bytes=N protocol_errors=N accept_errors=N
 */
#define _GNU_SOURCE
#include "refcommon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Events taken per epoll_wait: enough to amortise the call over many connections, few enough to stay in cache. */
#define EVENTS_PER_WAIT 1024
/* Connections accepted per wakeup of the (level-triggered) listener, so that a flood of new clients does not keep
 * the ones already connected waiting; the rest are accepted at the next wakeup. */
#define ACCEPTS_PER_WAKEUP 256
/* Bytes read at once: 16,384 pipelined request headers. */
#define INPUT_SIZE 65536
/* Random bytes beyond the largest answer in the pool, so that answers start at many different offsets. */
#define POOL_SLACK (1 << 20)

struct options {
    const char *address;
    unsigned port;
    enum ref_mode mode;
    int backlog;
    long long lifetime_seconds;
    uint32_t max_request;
};

/* One accepted connection, found by its descriptor. A greeting connection needs one only when its frame did not
 * fit the socket's buffer at once (almost never); a request connection, for as long as it lives. */
struct connection {
    uint64_t owed;          /* request: bytes asked for and not yet sent */
    uint32_t header;        /* request: the size being read, big-endian, a byte at a time */
    uint8_t header_bytes;   /* request: how many of its 4 bytes have come */
    uint8_t readable;       /* input may be waiting: set by an event, cleared when a read finds the socket empty */
    uint8_t writable;       /* the socket's buffer may have room: cleared when a write fills it */
    uint8_t peer_closing;   /* the client's FIN or reset has come: read on until the read says so */
    uint8_t frame_sent;     /* greeting: bytes of `frame` written so far */
    uint8_t frame[REF_GREETING_LEN];
};

struct counters {
    unsigned long long connections, requests, bytes, protocol_errors, accept_errors;
};

struct server {
    struct options options;
    int epoll, listener, signals;
    /* Held open so that, out of descriptors, one can be freed to accept a connection and close it (see shed). */
    int spare;
    struct connection *connections;
    size_t capacity;
    uint8_t *pool;
    size_t pool_size;
    uint64_t random;
    struct counters counters;
    uint8_t input[INPUT_SIZE];
};

/* What a step on a request connection leaves: more to do now, nothing until the next event, or the end. */
enum step { GO_ON, WAIT, CLOSE };

/* wyrand (Wang Yi): one 64x64->128-bit multiply per 64 random bits; the Swift servers' WyRand is the same. */
static uint64_t wyrand(uint64_t *state) {
    *state += 0xa0761d6478bd642fULL;
    __uint128_t product = (__uint128_t)*state * (*state ^ 0xe7037ed1a0b428dbULL);
    return (uint64_t)(product >> 64) ^ (uint64_t)product;
}

static void usage(void) {
    fprintf(stderr, "usage: refserver [-p PORT] [-a ADDRESS] [-m oneshot|ka] [-b BACKLOG] [-T SECONDS] "
                    "[-x MAXBYTES]\n");
    exit(2);
}

static struct options parse_options(int argc, char **argv) {
    struct options options = {"127.0.0.1", REF_PORT_DEFAULT, REF_ONESHOT, 4096, 0, REF_REQUEST_MAX_DEFAULT};
    int option;
    while ((option = getopt(argc, argv, "p:a:m:b:T:x:h")) != -1) {
        switch (option) {
        case 'p': options.port = (unsigned)ref_number(optarg, 0, 65535, 'p'); break;
        case 'a': options.address = optarg; break;
        case 'm': options.mode = ref_mode(optarg); break;
        case 'b': options.backlog = (int)ref_number(optarg, 1, INT_MAX, 'b'); break;
        case 'T': options.lifetime_seconds = ref_number(optarg, 0, INT_MAX / 1000, 'T'); break;
        /* Up to 1 GiB: the pool holds the largest answer once, plus POOL_SLACK. */
        case 'x': options.max_request = (uint32_t)ref_number(optarg, 1, 1 << 30, 'x'); break;
        default: usage();
        }
    }
    if (optind != argc) usage();
    return options;
}

/* The generator's seed, from the kernel, so that two servers never send the same bytes. */
static uint64_t seed(void) {
    uint64_t value;
    if (getrandom(&value, sizeof value, 0) == sizeof value) return value;
    return (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

/* The random bytes every answer is cut from, filled once: no system call and no generator work per answer. */
static void fill_pool(struct server *server) {
    server->pool_size = (size_t)server->options.max_request + POOL_SLACK;
    server->pool = malloc(server->pool_size);
    if (server->pool == NULL) ref_fail(1, "no memory for a pool of %zu random bytes", server->pool_size);
    for (size_t offset = 0; offset < server->pool_size; offset += sizeof(uint64_t)) {
        uint64_t value = wyrand(&server->random);
        size_t left = server->pool_size - offset;
        memcpy(server->pool + offset, &value, left < sizeof value ? left : sizeof value);
    }
}

static void watch(struct server *server, int fd, uint32_t events) {
    struct epoll_event event = {.events = events, .data.fd = fd};
    if (epoll_ctl(server->epoll, EPOLL_CTL_ADD, fd, &event) != 0) ref_fail(1, "epoll_ctl: %s", strerror(errno));
}

static void listen_on(struct server *server) {
    struct ref_endpoint endpoint = ref_endpoint(server->options.address, server->options.port);
    server->listener = socket(endpoint.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (server->listener < 0) ref_fail(1, "socket: %s", strerror(errno));
    /* A restart must not wait out the TIME_WAIT of the last run's connections. */
    int on = 1;
    setsockopt(server->listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(server->listener, (struct sockaddr *)&endpoint.address, endpoint.length) != 0) {
        ref_fail(1, "bind %s port %u: %s", server->options.address, server->options.port, strerror(errno));
    }
    if (listen(server->listener, server->options.backlog) != 0) ref_fail(1, "listen: %s", strerror(errno));
    /* Level-triggered: accept_some may leave connections in the queue for the next wakeup. */
    watch(server, server->listener, EPOLLIN);
}

/* SIGTERM and SIGINT as events of the loop (a signalfd), so that they end it between two batches of work, with no
 * race between a handler's flag and epoll_wait. The parent may have left them ignored (a shell's background job),
 * and an ignored signal never reaches a signalfd: hence the defaults first. */
static void catch_stop_signals(struct server *server) {
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigprocmask(SIG_BLOCK, &stops, NULL);
    server->signals = signalfd(-1, &stops, SFD_NONBLOCK | SFD_CLOEXEC);
    if (server->signals < 0) ref_fail(1, "signalfd: %s", strerror(errno));
    watch(server, server->signals, EPOLLIN);
}

/* The state of connection `fd`, the table grown to hold it; NULL without memory (the caller drops it). */
static struct connection *connection(struct server *server, int fd) {
    if ((size_t)fd >= server->capacity) {
        size_t capacity = server->capacity * 2 > (size_t)fd ? server->capacity * 2 : (size_t)fd + 1;
        struct connection *grown = realloc(server->connections, capacity * sizeof *grown);
        if (grown == NULL) return NULL;
        server->connections = grown;
        server->capacity = capacity;
    }
    return &server->connections[fd];
}

/* Writes what is left of a greeting frame. Returns 1 when the connection is done with (the frame is out, or the
 * client is gone), 0 when the socket's buffer is full and the rest must wait for room. */
static int write_frame(struct server *server, int fd, struct connection *c) {
    ssize_t sent = send(fd, c->frame + c->frame_sent, REF_GREETING_LEN - c->frame_sent, MSG_NOSIGNAL);
    if (sent < 0) return errno != EAGAIN;
    c->frame_sent += (uint8_t)sent;
    server->counters.bytes += (unsigned long long)sent;
    if (c->frame_sent < REF_GREETING_LEN) return 0;
    server->counters.requests++;
    return 1;
}

/* The greeting protocol, whole: a fresh frame, written, and the connection closed. */
static void greet(struct server *server, int fd, struct connection *c) {
    memcpy(c->frame, REF_GREETING_PREFIX, REF_GREETING_PREFIX_LEN);
    uint64_t random[2] = {wyrand(&server->random), wyrand(&server->random)};
    memcpy(c->frame + REF_GREETING_PREFIX_LEN, random, REF_GREETING_RANDOM_LEN);
    memcpy(c->frame + REF_GREETING_PREFIX_LEN + REF_GREETING_RANDOM_LEN, REF_GREETING_SUFFIX,
           REF_GREETING_SUFFIX_LEN);
    c->frame_sent = 0;
    if (write_frame(server, fd, c)) {
        close(fd);
    } else {
        watch(server, fd, EPOLLOUT | EPOLLET);
    }
}

/* A request connection starts owing nothing. Its one epoll registration covers both directions, edge-triggered:
 * no epoll_ctl per request, and an edge comes whenever input arrives or a full buffer gains room. */
static void start_requests(struct server *server, int fd, struct connection *c) {
    memset(c, 0, sizeof *c);
    c->writable = 1;
    /* Answers go out whole at once: Nagle's algorithm would hold a small one back for the client's ACK. */
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    watch(server, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
}

/* Out of descriptors, accept4 fails and the level-triggered listener would wake the loop at once, forever: the
 * spare descriptor is given up to accept the oldest waiting connection and close it, so that its client learns
 * at once, and taken back. */
static void shed(struct server *server) {
    server->counters.accept_errors++;
    close(server->spare);
    int fd = accept4(server->listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) close(fd);
    server->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Accepts waiting connections, up to ACCEPTS_PER_WAKEUP, and starts each in the server's protocol. */
static void accept_some(struct server *server) {
    for (int accepted = 0; accepted < ACCEPTS_PER_WAKEUP; accepted++) {
        int fd = accept4(server->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                shed(server);
            } else if (errno == ECONNABORTED || errno == EINTR) {
                continue;  /* that client gave up in the queue; others may wait behind it */
            } else if (errno != EAGAIN) {
                server->counters.accept_errors++;
            }
            return;
        }
        server->counters.connections++;
        struct connection *c = connection(server, fd);
        if (c == NULL) {
            server->counters.accept_errors++;
            close(fd);
        } else if (server->options.mode == REF_ONESHOT) {
            greet(server, fd, c);
        } else {
            start_requests(server, fd, c);
        }
    }
}

/* Sends bytes owed, each write a slice of the pool at a random offset, until none is owed or the socket's buffer
 * is full. A short write means the buffer filled: an EPOLLOUT edge comes once it has room again. */
static enum step write_owed(struct server *server, int fd, struct connection *c) {
    while (c->owed > 0) {
        if (!c->writable) return WAIT;
        size_t length = c->owed < server->options.max_request ? (size_t)c->owed : server->options.max_request;
        size_t offset = (size_t)(wyrand(&server->random) % (server->pool_size - length + 1));
        ssize_t sent = send(fd, server->pool + offset, length, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno != EAGAIN) return CLOSE;
            c->writable = 0;
            return WAIT;
        }
        c->owed -= (uint64_t)sent;
        server->counters.bytes += (unsigned long long)sent;
        if ((size_t)sent < length) c->writable = 0;
    }
    return GO_ON;
}

/* Reads once and takes every request header in the bytes: each adds its n to what is owed. Called only when
 * nothing is owed, so a client that does not read its answers is not read from either (backpressure), and its
 * half-close (a read of 0) comes after every answer is out: the connection then closes. */
static enum step read_requests(struct server *server, int fd, struct connection *c) {
    if (!c->readable) return WAIT;
    ssize_t count = recv(fd, server->input, sizeof server->input, 0);
    if (count < 0) {
        if (errno != EAGAIN) return CLOSE;
        c->readable = 0;
        return WAIT;
    }
    if (count == 0) {
        /* A header cut short by the half-close is a protocol error; either way the conversation is over. */
        if (c->header_bytes > 0) server->counters.protocol_errors++;
        return CLOSE;
    }
    for (ssize_t index = 0; index < count; index++) {
        c->header = c->header << 8 | server->input[index];
        if (++c->header_bytes < REF_REQUEST_HEADER_LEN) continue;
        uint32_t size = c->header;
        c->header = 0;
        c->header_bytes = 0;
        if (size == 0 || size > server->options.max_request) {
            server->counters.protocol_errors++;
            return CLOSE;
        }
        c->owed += size;
        server->counters.requests++;
    }
    /* A read that did not fill the buffer emptied the socket: the next input brings an edge. Not so once the
     * client's FIN is in: it shows only as a read of 0, which no further edge would announce. */
    if ((size_t)count < sizeof server->input && !c->peer_closing) c->readable = 0;
    return GO_ON;
}

/* Serves a request connection after an event: writes what is owed, reads more requests once nothing is, until
 * the socket can take or give no more (then the next edge resumes it) or the connection ends. */
static void serve_requests(struct server *server, int fd, uint32_t events) {
    struct connection *c = &server->connections[fd];
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->readable = 1;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->peer_closing = 1;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) c->writable = 1;
    for (;;) {
        enum step step = c->owed > 0 ? write_owed(server, fd, c) : read_requests(server, fd, c);
        if (step == WAIT) return;
        if (step == CLOSE) {
            close(fd);
            return;
        }
    }
}

/* A greeting connection whose frame waited for room: an event says there may be room now. */
static void resume_greeting(struct server *server, int fd) {
    if (write_frame(server, fd, &server->connections[fd])) close(fd);
}

/* The loop: until the lifetime (-T) is over or a stop signal comes. Without a lifetime the wait has no deadline:
 * a server waits for clients as long as it runs, and SIGTERM ends the wait through the signalfd. */
static void run(struct server *server) {
    struct epoll_event events[EVENTS_PER_WAIT];
    int64_t end = server->options.lifetime_seconds > 0 ? ref_now_ms() + server->options.lifetime_seconds * 1000 : -1;
    for (;;) {
        int timeout = -1;
        if (end >= 0) {
            int64_t left = end - ref_now_ms();
            if (left <= 0) return;
            timeout = (int)left;
        }
        int count = epoll_wait(server->epoll, events, EVENTS_PER_WAIT, timeout);
        if (count < 0 && errno != EINTR) ref_fail(1, "epoll_wait: %s", strerror(errno));
        for (int index = 0; index < count; index++) {
            int fd = events[index].data.fd;
            if (fd == server->signals) return;
            if (fd == server->listener) {
                accept_some(server);
            } else if (server->options.mode == REF_ONESHOT) {
                resume_greeting(server, fd);
            } else {
                serve_requests(server, fd, events[index].events);
            }
        }
    }
}

static void announce(const struct server *server) {
    struct sockaddr_storage bound;
    socklen_t length = sizeof bound;
    if (getsockname(server->listener, (struct sockaddr *)&bound, &length) != 0) {
        ref_fail(1, "getsockname: %s", strerror(errno));
    }
    char where[INET6_ADDRSTRLEN + 16];
    ref_format_endpoint(&bound, where, sizeof where);
    printf("refserver pid=%d listening %s mode=%s backlog=%d\n", (int)getpid(), where,
           ref_mode_name(server->options.mode), server->options.backlog);
    fflush(stdout);
}

int main(int argc, char **argv) {
    static struct server server;  /* static: zeroed, and its 64 KiB input buffer off the stack */
    server.options = parse_options(argc, argv);
    server.random = seed();
    ref_raise_descriptor_limit();
    server.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    server.capacity = 1024;
    server.connections = malloc(server.capacity * sizeof *server.connections);
    if (server.connections == NULL) ref_fail(1, "no memory for the connection table");
    /* A greeting's 16 random bytes come from the generator itself: only answers need the pool. */
    if (server.options.mode == REF_KEEPALIVE) fill_pool(&server);
    server.epoll = epoll_create1(EPOLL_CLOEXEC);
    if (server.epoll < 0) ref_fail(1, "epoll_create1: %s", strerror(errno));
    catch_stop_signals(&server);
    listen_on(&server);
    announce(&server);
    run(&server);
    const struct counters *n = &server.counters;
    fprintf(stderr, "connections=%llu requests=%llu bytes=%llu protocol_errors=%llu accept_errors=%llu\n",
            n->connections, n->requests, n->bytes, n->protocol_errors, n->accept_errors);
    return 0;
}
