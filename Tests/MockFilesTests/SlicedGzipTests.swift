import CompressNIO
import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// gzip bodies deflated in slices: one valid member whatever the slicing, and in one slice the
/// very bytes zlib's own gzip writes.
@Suite struct SlicedGzipTests {
    /// List-page-like JSON: repetitive, as the bodies that get compressed are.
    static func page(bytes: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        var row = 0
        while buffer.readableBytes < bytes {
            buffer.writeString(#"{"id":"file-\#(row * 7919 % 100_003)","object":"file","bytes":\#(row % 977),"filename":"f\#(row).jsonl"},"#)
            row += 1
        }
        return buffer.getSlice(at: 0, length: bytes)!
    }

    static func gunzip(_ member: ByteBuffer) throws -> ByteBuffer {
        var member = member
        return try member.decompress(with: .gzip())
    }

    @Test(arguments: [0, 1, 1000, 300_000, 2_100_000])
    func everySlicingDecompressesToTheBody(bytes: Int) async throws {
        let plain = Self.page(bytes: bytes)
        for count in 1...5 {
            let slices = SlicedGzip.slices(of: plain, count: count)
            #expect(slices.reduce(0) { $0 + $1.readableBytes } == bytes)
            let deflated = try slices.enumerated().map { index, slice in try SlicedGzip.deflate(slice, last: index == slices.count - 1) }
            let member = SlicedGzip.member(deflated, plainLength: bytes)
            #expect(try Self.gunzip(member) == plain, "\(bytes) bytes in \(count) slices")
        }
        #expect(try Self.gunzip(try await SlicedGzip.compress(plain)) == plain)
    }

    @Test func oneSliceIsZlibsOwnGzip() throws {
        for bytes in [0, 10, 70_000] {
            var plain = Self.page(bytes: bytes)
            let sliced = try SlicedGzip.compressOnThisThread(plain)
            #expect(sliced == (try plain.compress(with: .gzip(configuration: SlicedGzip.configuration))), "\(bytes) bytes")
        }
    }

    @Test func largeBodiesAreSliced() async throws {
        let plain = Self.page(bytes: 2_100_000)
        let whole = try SlicedGzip.compressOnThisThread(plain)
        let sliced = try await SlicedGzip.compress(plain)
        // A sync flush between slices, and each slice starting without its predecessor's window:
        // slightly larger, but still a fraction of the body.
        #expect(sliced != whole || ProcessInfo.processInfo.activeProcessorCount == 1)
        #expect(sliced.readableBytes < whole.readableBytes + whole.readableBytes / 10)
    }
}
