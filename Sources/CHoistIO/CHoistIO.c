#define _GNU_SOURCE
#include <fcntl.h>
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

int hoist_give_back_free_memory(void) {
#ifdef __GLIBC__
    return malloc_trim(0);
#else
    return 0;
#endif
}
