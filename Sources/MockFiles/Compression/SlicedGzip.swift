import CZlib
import CompressNIO
import Foundation
import NIOCore

/// gzip as pigz writes it: the body cut into slices that are deflated at the same time on several
/// cores, joined into one gzip member. Every slice but the last ends with a sync flush (an empty
/// stored block), which leaves the deflate stream byte-aligned so the next slice's blocks follow
/// it directly; the trailer's CRC-32 is the slices' CRCs combined. One member, not several
/// concatenated: httpx (the Python SDK's HTTP client) reads only the first member of a body.
///
/// On the default list page (10,000 files, ~2 MB of JSON) deflating on one core, even at zlib's
/// fastest level, was a large part of the answer's time (bench row 2 page; figures in
/// bench/README.md, "Figures behind code comments").
enum SlicedGzip {
    /// Smaller slices cost more in task hand-offs and lost matches than they save.
    static let sliceBytes = 256 * 1024

    /// zlib's fastest level: on the default list page it costs a fraction of level 6's CPU for
    /// a body only slightly larger (bench/README.md, "Figures behind code comments").
    static let configuration = ZlibConfiguration(compressionLevel: .fastestCompression)

    /// `plain` as one gzip member, deflated on up to one task per core.
    static func compress(_ plain: ByteBuffer) async throws -> ByteBuffer {
        let slices = slices(of: plain, count: min(ProcessInfo.processInfo.activeProcessorCount, plain.readableBytes / sliceBytes))
        guard slices.count > 1 else { return try compressOnThisThread(plain) }
        let deflated = try await withThrowingTaskGroup(of: (Int, DeflatedSlice).self) { group in
            for (index, slice) in slices.enumerated() {
                group.addTask { (index, try deflate(slice, last: index == slices.count - 1)) }
            }
            var deflated = [DeflatedSlice?](repeating: nil, count: slices.count)
            for try await (index, slice) in group { deflated[index] = slice }
            return deflated.compactMap { $0 }
        }
        return member(deflated, plainLength: plain.readableBytes)
    }

    /// `plain` as one gzip member, deflated here in one slice (small bodies, and callers that
    /// cannot wait: `DirectFileReads`).
    static func compressOnThisThread(_ plain: ByteBuffer) throws -> ByteBuffer {
        member([try deflate(plain, last: true)], plainLength: plain.readableBytes)
    }

    struct DeflatedSlice: Sendable {
        var bytes: ByteBuffer
        var crc: UInt
        var length: Int
    }

    /// `count` slices of about equal length (at least one).
    static func slices(of plain: ByteBuffer, count: Int) -> [ByteBuffer] {
        let count = max(1, count)
        let length = plain.readableBytes / count
        return (0..<count).map { index in
            let start = plain.readerIndex + index * length
            return plain.getSlice(at: start, length: index == count - 1 ? plain.readableBytes - index * length : length)!
        }
    }

    /// One slice as raw deflate blocks: the last one finished, the others ending byte-aligned.
    static func deflate(_ slice: ByteBuffer, last: Bool) throws -> DeflatedSlice {
        let compressor = try ZlibCompressor(algorithm: .deflate, configuration: configuration)
        var input = slice
        var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: slice))
        try compressor.deflate(from: &input, to: &output, flush: last ? .finish : .sync)
        let crc = slice.withUnsafeReadableBytes { bytes in
            bytes.isEmpty ? 0 : crc32(0, bytes.bindMemory(to: UInt8.self).baseAddress, uInt(bytes.count))
        }
        return DeflatedSlice(bytes: output, crc: crc, length: slice.readableBytes)
    }

    /// RFC 1952: the header zlib writes at its fastest level (no name, no time, XFL 4, OS Unix),
    /// the slices' blocks, then the CRC-32 and length of the whole body, little-endian.
    static func member(_ slices: [DeflatedSlice], plainLength: Int) -> ByteBuffer {
        var crc = slices.first?.crc ?? 0
        for slice in slices.dropFirst() { crc = crc32_combine(crc, slice.crc, off_t(slice.length)) }
        var member = ByteBufferAllocator().buffer(capacity: 18 + slices.reduce(0) { $0 + $1.bytes.readableBytes })
        member.writeBytes([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3])
        for var slice in slices { member.writeBuffer(&slice.bytes) }
        member.writeInteger(UInt32(truncatingIfNeeded: crc), endianness: .little)
        member.writeInteger(UInt32(truncatingIfNeeded: plainLength), endianness: .little)
        return member
    }
}
