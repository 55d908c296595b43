/*
 * refclient: the reference load client, the yardstick bench drive is measured against. One thread, one epoll
 * instance, non-blocking sockets: it keeps -c connections going for -d seconds, a finished one replaced at once,
 * and checks every answer.
 *
 *   refclient [-a ADDRESS] [-p PORT] [-c CONNECTIONS] [-d SECONDS] [-m oneshot|ka] [-k REQUESTS] [-n BYTES]
 *             [-S SOURCES] [-t TIMEOUT_MS]
 *
 * -m oneshot (the greeting protocol, the default): a connection reads one frame, checked for its length, prefix
 *    and suffix, then the server's close.
 * -m ka (the request protocol): a connection asks for -n bytes (16) at a time and checks that exactly that many
 *    come, -k times (1, as bench drive's --requests; 0: for as long as the run lasts), then half-closes and
 *    expects the server's close and no byte more.
 * -a and -p name the server (127.0.0.1, 5050; numeric IPv4 or IPv6); -c is 100 and -d 10 (fractions allowed);
 * -S N binds the connections to source addresses 127.0.0.2 .. 127.0.0.(N+1) in turn (IPv4 loopback only), so that
 * many short connections do not run out of the source ports of one address; -t is the time in ms a connection may
 * go without progress (connect, or a byte either way) before it counts as a timeout (5000).
 *
 * At the end it prints one line of key=value pairs on stdout: what completed inside the run, its rates, the
 * failures (errors: a failed connect or a reset; timeouts; bad: an answer of the wrong length or bytes), and this
 * process's own CPU seconds:
 *   mode=ka connections=0 requests=1904711 bytes=30475376 seconds=10.000 conns_per_s=0 reqs_per_s=190471
 *   errors=0 timeouts=0 bad=0 user_s=1.234 sys_s=7.012
 * Exit status: 0 when every answer was right and at least one came; 1 otherwise; 2 for a usage error.
 */
#define _GNU_SOURCE
#include "refcommon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 1024
/* How often connections are checked against their deadlines, and dropped ones started again. */
#define SCAN_INTERVAL_MS 100
/* Bytes read at once: answers are counted, not kept. */
#define SCRATCH_SIZE 65536

struct options {
    const char *address;
    unsigned port;
    int connections;
    double seconds;
    enum ref_mode mode;
    long long requests_per_connection;  /* ka: 0 for no limit */
    uint32_t request_size;
    int sources;
    int timeout_ms;
};

/* Where a connection is in its conversation. */
enum state {
    GREETING,   /* oneshot: reading the frame, then the server's close */
    SENDING,    /* ka: writing a request's header */
    RECEIVING,  /* ka: reading its answer */
    ENDING,     /* ka: half-closed after the last request, waiting for the server's close */
};

/* One of the -c connections in flight; a slot holds a connection after another. */
struct slot {
    int fd;                 /* -1 between a failed start and the next scan */
    enum state state;
    int64_t deadline;       /* ms: the next progress must come by then */
    uint32_t got;           /* bytes of the current answer or frame so far */
    uint32_t header_sent;   /* ka: bytes of the current request's header written */
    long long answered;     /* ka: requests answered on this connection */
    uint8_t readable;       /* input may be waiting: set by an event, cleared when a read finds the socket empty */
    uint8_t writable;       /* the socket may take a write: cleared when one is refused */
    uint8_t peer_closing;   /* the server's FIN or reset has come: read on until the read says so */
    uint8_t frame[REF_GREETING_LEN + 1];  /* one byte more than a frame, so that a longer one shows */
};

struct counters {
    unsigned long long connections, requests, bytes, errors, timeouts, bad;
};

struct client {
    struct options options;
    struct ref_endpoint target;
    int epoll;
    struct slot *slots;
    unsigned next_source;
    uint8_t header[REF_REQUEST_HEADER_LEN];
    struct counters counters;
    uint8_t scratch[SCRATCH_SIZE];
};

/* What a step leaves: more to do now, nothing until the next event, or the connection's end, good or not. */
enum step { GO_ON, WAIT, DONE, ERROR, BAD };

static void usage(void) {
    fprintf(stderr, "usage: refclient [-a ADDRESS] [-p PORT] [-c CONNECTIONS] [-d SECONDS] [-m oneshot|ka] "
                    "[-k REQUESTS] [-n BYTES] [-S SOURCES] [-t TIMEOUT_MS]\n");
    exit(2);
}

static double parse_seconds(const char *text) {
    char *end = NULL;
    double seconds = strtod(text, &end);
    if (end == text || *end != '\0' || !(seconds > 0 && seconds <= 86400)) {
        ref_fail(2, "-d wants seconds in (0, 86400], got '%s'", text);
    }
    return seconds;
}

static struct options parse_options(int argc, char **argv) {
    struct options options = {"127.0.0.1", REF_PORT_DEFAULT, 100, 10, REF_ONESHOT, 1, 16, 0, 5000};
    int option;
    while ((option = getopt(argc, argv, "a:p:c:d:m:k:n:S:t:h")) != -1) {
        switch (option) {
        case 'a': options.address = optarg; break;
        case 'p': options.port = (unsigned)ref_number(optarg, 1, 65535, 'p'); break;
        case 'c': options.connections = (int)ref_number(optarg, 1, 1000000, 'c'); break;
        case 'd': options.seconds = parse_seconds(optarg); break;
        case 'm': options.mode = ref_mode(optarg); break;
        case 'k': options.requests_per_connection = ref_number(optarg, 0, 1LL << 40, 'k'); break;
        case 'n': options.request_size = (uint32_t)ref_number(optarg, 1, UINT32_MAX, 'n'); break;
        /* 127.0.0.2 .. 127.0.0.254: the addresses of the loopback network that are not its own or a broadcast. */
        case 'S': options.sources = (int)ref_number(optarg, 0, 253, 'S'); break;
        case 't': options.timeout_ms = (int)ref_number(optarg, 1, 3600000, 't'); break;
        default: usage();
        }
    }
    if (optind != argc) usage();
    return options;
}

/* -S binds each connection to the next source address in turn. IP_BIND_ADDRESS_NO_PORT defers the choice of the
 * port to connect, which can then reuse a port that another destination holds: without it bind would reserve one
 * port per connection out of the address's ephemeral range. */
static int bind_source(struct client *client, int fd) {
    struct sockaddr_in source = {.sin_family = AF_INET};
    source.sin_addr.s_addr = htonl(0x7f000002u + client->next_source++ % (unsigned)client->options.sources);
    int on = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    return bind(fd, (struct sockaddr *)&source, sizeof source);
}

/* Starts a new connection in slot `index`: connect, and one epoll registration for its whole life (edge-triggered,
 * both directions). Its first event, EPOLLOUT once the handshake is over (or an error), sets it going. A start that
 * fails at once leaves the slot empty until the next scan, as a failed connection does (replace). */
static void start(struct client *client, int index) {
    struct slot *slot = &client->slots[index];
    memset(slot, 0, sizeof *slot);
    slot->deadline = ref_now_ms() + client->options.timeout_ms;
    slot->fd = socket(client->target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (slot->fd < 0) {
        client->counters.errors++;
        return;
    }
    if (client->options.mode == REF_KEEPALIVE) {
        /* A 4-byte request must leave at once, not wait for the ACK of the previous one (Nagle). */
        int on = 1;
        setsockopt(slot->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    struct epoll_event event = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)index};
    if ((client->options.sources > 0 && bind_source(client, slot->fd) != 0)
        || (connect(slot->fd, (struct sockaddr *)&client->target.address, client->target.length) != 0
            && errno != EINPROGRESS)
        || epoll_ctl(client->epoll, EPOLL_CTL_ADD, slot->fd, &event) != 0) {
        client->counters.errors++;
        close(slot->fd);
        slot->fd = -1;
        return;
    }
    slot->state = client->options.mode == REF_KEEPALIVE ? SENDING : GREETING;
}

/* Reads once into `into` (at most `size` bytes). Returns the byte count, or 0 for the server's close, or -1 when
 * the socket had nothing (the slot then waits for an edge) or failed (`*failed` set). */
static ssize_t read_some(struct slot *slot, uint8_t *into, size_t size, int *failed) {
    ssize_t count = recv(slot->fd, into, size, 0);
    if (count < 0) {
        *failed = errno != EAGAIN;
        slot->readable = 0;
        return -1;
    }
    /* A read that did not fill the buffer emptied the socket: the next input brings an edge. Not so once the
     * server's FIN is in: it shows only as a read of 0, which no further edge would announce. */
    if (count > 0 && (size_t)count < size && !slot->peer_closing) slot->readable = 0;
    return count;
}

/* oneshot: the frame, exactly, then the server's close. */
static enum step read_greeting(struct client *client, struct slot *slot) {
    if (!slot->readable) return WAIT;
    int failed = 0;
    ssize_t count = read_some(slot, slot->frame + slot->got, sizeof slot->frame - slot->got, &failed);
    if (count < 0) return failed ? ERROR : WAIT;
    if (count > 0) {
        slot->got += (uint32_t)count;
        client->counters.bytes += (unsigned long long)count;
        return slot->got > REF_GREETING_LEN ? BAD : GO_ON;
    }
    int whole = slot->got == REF_GREETING_LEN
        && memcmp(slot->frame, REF_GREETING_PREFIX, REF_GREETING_PREFIX_LEN) == 0
        && memcmp(slot->frame + REF_GREETING_LEN - REF_GREETING_SUFFIX_LEN, REF_GREETING_SUFFIX,
                  REF_GREETING_SUFFIX_LEN) == 0;
    if (!whole) return BAD;
    client->counters.requests++;
    return DONE;
}

/* ka: writes the request's header (4 bytes, so almost always in one go). The answer comes later, with an edge. */
static enum step send_request(struct client *client, struct slot *slot) {
    if (!slot->writable) return WAIT;
    ssize_t sent = send(slot->fd, client->header + slot->header_sent, REF_REQUEST_HEADER_LEN - slot->header_sent,
                        MSG_NOSIGNAL);
    if (sent < 0) {
        if (errno != EAGAIN) return ERROR;
        slot->writable = 0;
        return WAIT;
    }
    slot->header_sent += (uint32_t)sent;
    if (slot->header_sent < REF_REQUEST_HEADER_LEN) {
        slot->writable = 0;
        return WAIT;
    }
    slot->header_sent = 0;
    slot->got = 0;
    slot->state = RECEIVING;
    return WAIT;
}

/* ka: reads the answer; more bytes than asked for, or the server's close before them, is a bad answer. After the
 * last request of the connection (-k) it half-closes. */
static enum step read_answer(struct client *client, struct slot *slot) {
    if (!slot->readable) return WAIT;
    int failed = 0;
    ssize_t count = read_some(slot, client->scratch, sizeof client->scratch, &failed);
    if (count < 0) return failed ? ERROR : WAIT;
    if (count == 0) return BAD;
    client->counters.bytes += (unsigned long long)count;
    if ((uint64_t)slot->got + (uint64_t)count > client->options.request_size) return BAD;
    slot->got += (uint32_t)count;
    if (slot->got < client->options.request_size) return GO_ON;
    client->counters.requests++;
    slot->answered++;
    if (slot->answered == client->options.requests_per_connection) {
        if (shutdown(slot->fd, SHUT_WR) != 0) return ERROR;
        slot->state = ENDING;
    } else {
        slot->state = SENDING;
    }
    return GO_ON;
}

/* ka: after the half-close, the server's close and not a byte more. */
static enum step read_end(struct client *client, struct slot *slot) {
    if (!slot->readable) return WAIT;
    int failed = 0;
    ssize_t count = read_some(slot, client->scratch, sizeof client->scratch, &failed);
    if (count < 0) return failed ? ERROR : WAIT;
    return count == 0 ? DONE : BAD;
}

/* Ends the connection in slot `index`, counts how, and starts the next one in its place: at once, unless it failed
 * (refused, reset), when the slot waits for the next scan, so that a server that is down is not hammered. */
static void replace(struct client *client, int index, enum step how) {
    struct slot *slot = &client->slots[index];
    if (how == DONE) client->counters.connections++;
    if (how == ERROR) client->counters.errors++;
    if (how == BAD) client->counters.bad++;
    close(slot->fd);
    slot->fd = -1;
    if (how != ERROR) start(client, index);
}

/* Moves a connection on after an event, until its socket can take or give no more or the connection ends. */
static void advance(struct client *client, int index, uint32_t events) {
    struct slot *slot = &client->slots[index];
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) slot->readable = 1;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) slot->peer_closing = 1;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) slot->writable = 1;
    slot->deadline = ref_now_ms() + client->options.timeout_ms;
    for (;;) {
        enum step step;
        switch (slot->state) {
        case GREETING: step = read_greeting(client, slot); break;
        case SENDING: step = send_request(client, slot); break;
        case RECEIVING: step = read_answer(client, slot); break;
        default: step = read_end(client, slot); break;
        }
        if (step == WAIT) return;
        if (step != GO_ON) {
            replace(client, index, step);
            return;
        }
    }
}

/* Every SCAN_INTERVAL_MS: a connection past its deadline counts as a timeout and is replaced; an empty slot (its
 * connection failed) gets another start. */
static void scan(struct client *client, int64_t now) {
    for (int index = 0; index < client->options.connections; index++) {
        struct slot *slot = &client->slots[index];
        if (slot->fd < 0) {
            start(client, index);
        } else if (now > slot->deadline) {
            client->counters.timeouts++;
            close(slot->fd);
            start(client, index);
        }
    }
}

/* The run: -d seconds of events, every wait bounded by the next scan and the end. Returns the seconds it took. */
static double run(struct client *client) {
    struct epoll_event events[EVENTS_PER_WAIT];
    int64_t begin = ref_now_ms();
    int64_t end = begin + (int64_t)(client->options.seconds * 1000);
    int64_t next_scan = begin + SCAN_INTERVAL_MS;
    for (int index = 0; index < client->options.connections; index++) start(client, index);
    for (int64_t now = begin; now < end; now = ref_now_ms()) {
        int64_t until = next_scan < end ? next_scan : end;
        int count = epoll_wait(client->epoll, events, EVENTS_PER_WAIT, until > now ? (int)(until - now) : 0);
        if (count < 0 && errno != EINTR) ref_fail(1, "epoll_wait: %s", strerror(errno));
        for (int index = 0; index < count; index++) {
            advance(client, (int)events[index].data.u32, events[index].events);
        }
        now = ref_now_ms();
        if (now >= next_scan) {
            scan(client, now);
            next_scan = now + SCAN_INTERVAL_MS;
        }
    }
    return (double)(ref_now_ms() - begin) / 1000;
}

static double cpu_seconds(struct timeval time) {
    return (double)time.tv_sec + (double)time.tv_usec / 1e6;
}

static void report(const struct client *client, double seconds) {
    const struct counters *n = &client->counters;
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("mode=%s connections=%llu requests=%llu bytes=%llu seconds=%.3f conns_per_s=%.0f reqs_per_s=%.0f "
           "errors=%llu timeouts=%llu bad=%llu user_s=%.3f sys_s=%.3f\n",
           ref_mode_name(client->options.mode), n->connections, n->requests, n->bytes, seconds,
           (double)n->connections / seconds, (double)n->requests / seconds, n->errors, n->timeouts, n->bad,
           cpu_seconds(usage.ru_utime), cpu_seconds(usage.ru_stime));
    fflush(stdout);
}

int main(int argc, char **argv) {
    static struct client client;  /* static: zeroed, and its 64 KiB scratch buffer off the stack */
    client.options = parse_options(argc, argv);
    client.target = ref_endpoint(client.options.address, client.options.port);
    if (client.options.sources > 0) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&client.target.address;
        if (v4->sin_family != AF_INET || (ntohl(v4->sin_addr.s_addr) >> 24) != 127) {
            ref_fail(2, "-S spreads IPv4 loopback source addresses: the server must be on 127.0.0.0/8");
        }
    }
    uint32_t size = htonl(client.options.request_size);
    memcpy(client.header, &size, sizeof size);
    ref_raise_descriptor_limit();
    client.slots = calloc((size_t)client.options.connections, sizeof *client.slots);
    if (client.slots == NULL) ref_fail(1, "no memory for %d connections", client.options.connections);
    client.epoll = epoll_create1(EPOLL_CLOEXEC);
    if (client.epoll < 0) ref_fail(1, "epoll_create1: %s", strerror(errno));
    double seconds = run(&client);
    report(&client, seconds);
    return client.counters.bad == 0 && client.counters.requests > 0 ? 0 : 1;
}
