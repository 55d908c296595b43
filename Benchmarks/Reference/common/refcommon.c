/* The reference programs' shared helpers (include/refcommon.h says what each is for). */
#define _GNU_SOURCE
#include "refcommon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

_Static_assert(sizeof(REF_GREETING_PREFIX) - 1 == REF_GREETING_PREFIX_LEN, "the greeting's prefix is 34 bytes");
_Static_assert(sizeof(REF_GREETING_SUFFIX) - 1 == REF_GREETING_SUFFIX_LEN, "the greeting's suffix is 31 bytes");
_Static_assert(REF_GREETING_LEN == 81, "a greeting frame is 81 bytes");

void ref_fail(int status, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "%s: ", program_invocation_short_name);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(status);
}

struct ref_endpoint ref_endpoint(const char *address, unsigned port) {
    struct ref_endpoint endpoint;
    memset(&endpoint, 0, sizeof endpoint);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&endpoint.address;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&endpoint.address;
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        endpoint.length = sizeof *v4;
    } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        endpoint.length = sizeof *v6;
    } else {
        ref_fail(2, "-a wants a numeric IPv4 or IPv6 address, got '%s'", address);
    }
    return endpoint;
}

void ref_format_endpoint(const struct sockaddr_storage *address, char *text, size_t size) {
    char host[INET6_ADDRSTRLEN] = "?";
    if (address->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        snprintf(text, size, "[%s]:%u", host, ntohs(v6->sin6_port));
    } else {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        snprintf(text, size, "%s:%u", host, ntohs(v4->sin_port));
    }
}

enum ref_mode ref_mode(const char *text) {
    if (strcmp(text, "oneshot") == 0) return REF_ONESHOT;
    if (strcmp(text, "ka") == 0) return REF_KEEPALIVE;
    ref_fail(2, "-m wants oneshot (greeting) or ka (request), got '%s'", text);
}

const char *ref_mode_name(enum ref_mode mode) {
    return mode == REF_ONESHOT ? "oneshot" : "ka";
}

long long ref_number(const char *text, long long min, long long max, char option) {
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
        ref_fail(2, "-%c wants a whole number in %lld..%lld, got '%s'", option, min, max, text);
    }
    return value;
}

int64_t ref_now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void ref_raise_descriptor_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}
