#ifndef CHOIST_IO_H
#define CHOIST_IO_H

#include <stdint.h>

/// Starts the writeback of `length` bytes of `fd` from `offset` without waiting for it
/// (Linux's sync_file_range with SYNC_FILE_RANGE_WRITE, which Swift's Glibc module leaves
/// out: it needs _GNU_SOURCE). Returns 0, or -1 with errno set; 0 and nothing done where
/// the call does not exist.
int hoist_start_writeback(int fd, int64_t offset, int64_t length);

/// What direct I/O on the open file `fd` needs (Linux 6.1's statx STATX_DIOALIGN): the
/// alignment of the memory and of file offsets and lengths, in bytes. Both 0 when the
/// file system does not support it or does not say. Returns 0, or -1 with errno set.
int hoist_direct_alignment(int fd, uint32_t *memory, uint32_t *offset);

/// Turns `O_DIRECT` on (`on` non-zero) or off for the open file `fd`, leaving its other
/// status flags as they are (Swift's Glibc module has no O_DIRECT: it needs _GNU_SOURCE).
/// Returns 0, or -1 with errno set: EINVAL where the file system cannot write directly.
int hoist_set_direct(int fd, int on);

/// Hands the heap's free pages back to the system (glibc's malloc_trim(0), which also
/// releases whole free pages inside the heap, not only at its top; <malloc.h> is not in
/// Swift's Glibc module). Returns 1 if memory was released; 0, and nothing done, elsewhere.
int hoist_give_back_free_memory(void);

#endif
