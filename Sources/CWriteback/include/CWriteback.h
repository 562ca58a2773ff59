#ifndef C_WRITEBACK_H
#define C_WRITEBACK_H

#include <stdint.h>

/// Asks the kernel to start writing a file's dirty pages in [offset, offset + length) back to
/// disk, without waiting for it (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`; a no-op
/// elsewhere). Durability still comes from fsync: this only leaves it less to do.
/// Returns 0, or -1 with errno set.
int mockfiles_start_writeback(int fd, int64_t offset, int64_t length);

#endif
