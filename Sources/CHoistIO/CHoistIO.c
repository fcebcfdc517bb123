#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "CHoistIO.h"

int hoist_start_writeback(int fd, int64_t offset, int64_t length) {
#ifdef __linux__
    // glibc declares the offsets as off64_t, so no 32-bit off_t truncates them.
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

int hoist_direct_alignment(int fd, uint32_t *memory, uint32_t *offset) {
#if defined(__linux__) && defined(STATX_DIOALIGN)
    struct statx info;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &info) != 0) return -1;
    if (!(info.stx_mask & STATX_DIOALIGN)) {
        *memory = 0;
        *offset = 0;
        return 0;
    }
    *memory = info.stx_dio_mem_align;
    *offset = info.stx_dio_offset_align;
    return 0;
#else
    (void)fd;
    *memory = 0;
    *offset = 0;
    return 0;
#endif
}

int hoist_set_direct(int fd, int on) {
#ifdef O_DIRECT
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, on ? (flags | O_DIRECT) : (flags & ~O_DIRECT));
#else
    (void)fd; (void)on;
    errno = EINVAL;
    return -1;
#endif
}

int hoist_give_back_free_memory(void) {
#ifdef __GLIBC__
    return malloc_trim(0);
#else
    return 0;
#endif
}
