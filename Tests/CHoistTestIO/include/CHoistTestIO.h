#ifndef CHOIST_TEST_IO_H
#define CHOIST_TEST_IO_H

#include <stdint.h>

/// The page cache's state of `length` bytes of `fd` from `offset` (Linux 6.5's cachestat,
/// which no libc wraps yet): pages held, pages dirty, and pages being written back.
/// Returns 0, or -1 with errno set (ENOSYS before Linux 6.5).
int hoist_test_cache_state(int fd, uint64_t offset, uint64_t length, uint64_t *cached, uint64_t *dirty, uint64_t *writeback);

/// Whether `path` is on a file system kept only in memory (tmpfs, ramfs), which has no
/// writeback to watch: 1 if so, 0 if not, -1 with errno set when statfs fails.
int hoist_test_in_memory_fs(const char *path);

#endif
