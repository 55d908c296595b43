/*
 * What the reference server and client share: the greeting frame, the request protocol's limit, addresses,
 * option numbers and the clock. One copy, so the two programs cannot drift apart on what the protocols are.
 */
#ifndef REFCOMMON_H
#define REFCOMMON_H

#include <stdint.h>
#include <sys/socket.h>

/* The greeting frame: a 34-byte prefix, 16 random bytes, a 31-byte suffix (README.md, "The protocols"). */
#define REF_GREETING_PREFIX "You requested some random bytes:\n\n"
#define REF_GREETING_SUFFIX "  \n\nYou want fries with that?\n\n"
#define REF_GREETING_PREFIX_LEN 34
#define REF_GREETING_RANDOM_LEN 16
#define REF_GREETING_SUFFIX_LEN 31
#define REF_GREETING_LEN (REF_GREETING_PREFIX_LEN + REF_GREETING_RANDOM_LEN + REF_GREETING_SUFFIX_LEN)

/* The request protocol: a 4-byte big-endian n, answered by n random bytes, 1 <= n <= max. */
#define REF_REQUEST_HEADER_LEN 4
#define REF_REQUEST_MAX_DEFAULT 1048576

/* The port both programs use when given none: bench serve's, so that each can face a Swift model as it is. */
#define REF_PORT_DEFAULT 5050

/* oneshot: the greeting protocol; ka: the request protocol on kept-alive connections. */
enum ref_mode { REF_ONESHOT, REF_KEEPALIVE };

/* A numeric IPv4 or IPv6 socket address and its length, as bind and connect take them. */
struct ref_endpoint {
    struct sockaddr_storage address;
    socklen_t length;
};

/* The endpoint of a numeric IPv4 or IPv6 `address` and `port`; exits with status 2 and a message if the address
 * is neither (names are refused: resolving one is a wait without a deadline). */
struct ref_endpoint ref_endpoint(const char *address, unsigned port);

/* "ADDRESS:PORT" of an endpoint into `text`, IPv6 in brackets as URLs write it ("[::1]:5050"). */
void ref_format_endpoint(const struct sockaddr_storage *address, char *text, size_t size);

/* The mode named by an -m option ("oneshot" or "ka"); exits with status 2 on anything else. */
enum ref_mode ref_mode(const char *text);

/* The mode's name, as -m takes it. */
const char *ref_mode_name(enum ref_mode mode);

/* A whole number in [min, max] from the text of option -`option`; exits with status 2 and a message otherwise. */
long long ref_number(const char *text, long long min, long long max, char option);

/* Milliseconds on the monotonic clock: deadlines and durations, immune to changes of the wall clock. */
int64_t ref_now_ms(void);

/* Raises the soft limit on open descriptors to the hard one: thousands of connections need thousands of them. */
void ref_raise_descriptor_limit(void);

/* Prints "PROGRAM: message" on stderr and exits with `status`. */
void ref_fail(int status, const char *format, ...) __attribute__((format(printf, 2, 3), noreturn));

#endif
