#ifndef C_ZLIB_H
#define C_ZLIB_H

/// zlib's checksums, for the gzip trailer of a body deflated in slices (SlicedGzip.swift):
/// `crc32` and `crc32_combine`. Deflate itself goes through CompressNIO.
#include <zlib.h>

#endif
