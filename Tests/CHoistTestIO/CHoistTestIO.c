#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#ifdef __linux__
#include <sys/vfs.h>
#include <linux/magic.h>
#endif
#include "CHoistTestIO.h"

// The kernel's uapi structs (linux/mman.h), spelled out: older headers lack them.
struct hoist_cachestat_range { uint64_t off; uint64_t len; };
struct hoist_cachestat {
    uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

#ifndef SYS_cachestat
#define SYS_cachestat 451 // the same number on every architecture
#endif

int hoist_test_cache_state(int fd, uint64_t offset, uint64_t length, uint64_t *cached, uint64_t *dirty, uint64_t *writeback) {
#ifdef __linux__
    struct hoist_cachestat_range range = { offset, length };
    struct hoist_cachestat state = { 0 };
    if (syscall(SYS_cachestat, (unsigned int)fd, &range, &state, 0u) != 0) return -1;
    *cached = state.nr_cache;
    *dirty = state.nr_dirty;
    *writeback = state.nr_writeback;
    return 0;
#else
    (void)fd; (void)offset; (void)length; (void)cached; (void)dirty; (void)writeback;
    errno = ENOSYS;
    return -1;
#endif
}

int hoist_test_in_memory_fs(const char *path) {
#ifdef __linux__
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return info.f_type == TMPFS_MAGIC || info.f_type == RAMFS_MAGIC;
#else
    (void)path;
    return 0;
#endif
}
