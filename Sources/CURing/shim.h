// The system's liburing (liburing-dev, 2.3 on Debian 12): the io_uring model's rings. Its helpers are static inline
// functions, which Swift imports as they are; the wrappers below stand in for what 2.3 lacks
// (io_uring_setup_buf_ring and io_uring_free_buf_ring came with 2.4).
// liburing.h defines _XOPEN_SOURCE and _GNU_SOURCE before it includes the C library's headers, which would then
// declare fd_set and others unlike Swift's Glibc module does: they are included first, as Glibc sees them.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <sched.h>
#include <liburing.h>

// A provided buffer ring of `entries` (a power of two) registered as group `group`: the ring's memory is mapped
// here, page-aligned as the kernel requires, and handed over with IORING_REGISTER_PBUF_RING. NULL with *error set
// (a negative errno) when the kernel refuses it: before Linux 5.19 it has no buffer rings.
static inline struct io_uring_buf_ring *shim_io_uring_setup_buf_ring(
    struct io_uring *ring, unsigned entries, int group, int *error) {
    size_t size = entries * sizeof(struct io_uring_buf);
    void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (memory == MAP_FAILED) {
        *error = -errno;
        return NULL;
    }
    struct io_uring_buf_ring *buffers = (struct io_uring_buf_ring *)memory;
    io_uring_buf_ring_init(buffers);
    struct io_uring_buf_reg registration = {0};
    registration.ring_addr = (unsigned long)(uintptr_t)memory;
    registration.ring_entries = entries;
    registration.bgid = (__u16)group;
    int registered = io_uring_register_buf_ring(ring, &registration, 0);
    if (registered != 0) {
        munmap(memory, size);
        *error = registered;
        return NULL;
    }
    return buffers;
}

static inline void shim_io_uring_free_buf_ring(
    struct io_uring *ring, struct io_uring_buf_ring *buffers, unsigned entries, int group) {
    io_uring_unregister_buf_ring(ring, group);
    munmap(buffers, entries * sizeof(struct io_uring_buf));
}

// Lets the kernel pick the buffer of a receive from group `group`: IOSQE_BUFFER_SELECT is made from an enum
// constant, and buf_group sits in an anonymous union.
static inline void shim_io_uring_sqe_select_buffer(struct io_uring_sqe *sqe, __u16 group) {
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = group;
}
