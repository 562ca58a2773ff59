// Swift's Glibc module does not export sync_file_range: it needs _GNU_SOURCE.
#define _GNU_SOURCE
#include <fcntl.h>
#include "CWriteback.h"

int mockfiles_start_writeback(int fd, int64_t offset, int64_t length) {
#if defined(__linux__)
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}
