// perf_event_open(2) has no glibc wrapper, and Swift does not import the variadic syscall(2): this one call, typed.
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline int bench_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
                                        unsigned long flags) {
    return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}
