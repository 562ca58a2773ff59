import NIOCore
import Testing

@testable import MockFiles

/// The tar subset snapshots use: headers round-trip, GNU tar's own bytes read back, a stream is
/// read the same whatever its chunking, and damage is refused with a reason.
@Suite struct TarFormatTests {
    static func archive(_ entries: [(String, [UInt8])]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, data) in entries {
            bytes += try TarHeader(name: name, size: Int64(data.count), modificationTime: 1_700_000_000).encoded()
            bytes += data + [UInt8](repeating: 0, count: TarHeader.padding(after: Int64(data.count)))
        }
        return bytes + [UInt8](repeating: 0, count: 2 * TarHeader.blockSize)
    }

    /// Feeds `bytes` in pieces of `size` and gathers the entries.
    static func read(_ bytes: [UInt8], chunk size: Int) throws -> [(String, [UInt8])] {
        var reader = TarReader()
        var entries: [(String, [UInt8])] = []
        var ended = false
        for start in stride(from: 0, to: bytes.count, by: size) {
            for event in try reader.feed(ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)])) {
                switch event {
                case .entry(let header): entries.append((header.name, []))
                case .data(let data): entries[entries.count - 1].1 += Array(data.readableBytesView)
                case .entryEnd: break
                case .end: ended = true
                }
            }
        }
        try reader.finish()
        #expect(ended)
        return entries
    }

    @Test(arguments: [1, 7, 512, 513, 4096, 1 << 20])
    func anArchiveReadsTheSameWhateverItsChunking(chunk: Int) throws {
        let entries: [(String, [UInt8])] = [
            ("mockfiles-snapshot.json", Array("{}".utf8)), ("blobs/file-a", (0..<1500).map { UInt8($0 % 251) }),
            ("blobs/file-empty", []), ("blobs/file-b", [UInt8](repeating: 9, count: 512)),
        ]
        let read = try Self.read(try Self.archive(entries), chunk: chunk)
        #expect(read.map(\.0) == entries.map(\.0) && read.map(\.1) == entries.map(\.1))
    }

    @Test func headersRoundTripIncludingSizesPastEightGiB() throws {
        for size: Int64 in [0, 1, 511, 0o77777777776, 9 << 30] {
            let header = TarHeader(name: "blobs/file-x", size: size, modificationTime: 1_750_000_000)
            #expect(try TarHeader.decode(try header.encoded()) == header)
        }
    }

    /// GNU tar 1.34's header for a 5-byte file `hello.txt` (mode 0644, uid/gid 0, mtime 1700000000).
    @Test func aHeaderGNUTarWroteIsRead() throws {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) { block.replaceSubrange(offset..<offset + text.utf8.count, with: Array(text.utf8)) }
        put("hello.txt", at: 0)
        put("0000644", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        put("00000000005", at: 124)
        put("14524770400", at: 136)
        block[156] = UInt8(ascii: "0")
        put("ustar  ", at: 257)
        put("root", at: 265)
        put("root", at: 297)
        let sum = block.enumerated().reduce(0) { $0 + (148..<156 ~= $1.offset ? 0x20 : Int($1.element)) }
        put(Self.sixOctalDigits(sum) + "\0 ", at: 148)
        #expect(try TarHeader.decode(block) == TarHeader(name: "hello.txt", size: 5, modificationTime: 1_700_000_000))
    }

    /// A header whose checksum is made right after `edit` changed its bytes.
    static func resealed(_ header: TarHeader, _ edit: (inout [UInt8]) -> Void) throws -> [UInt8] {
        var block = try header.encoded()
        edit(&block)
        TarHeader.writeChecksum(into: &block)
        return block
    }

    /// Base-256 sizes that do not fit a non-negative Int64 (the low 64 bits all set read as -1
    /// once, and trapped the reader) are refused as a bad size, in the header and in the stream.
    @Test(arguments: [
        [0x80, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8),
        [0x80, 0, 0, 1] + [UInt8](repeating: 0, count: 8),
        [0x80, 0, 0, 0, 0x80] + [UInt8](repeating: 0, count: 7),
        [0x80, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0xFF, count: 8),
    ])
    func baseTwoFiftySixSizesPastInt64AreRefused(sizeField: [UInt8]) throws {
        let block = try Self.resealed(TarHeader(name: "blobs/file-a", size: 1)) { $0.replaceSubrange(124..<136, with: sizeField) }
        #expect(throws: TarHeader.Problem.badField("size")) { try TarHeader.decode(block) }
        #expect(throws: TarHeader.Problem.badField("size")) { try Self.read(block + [UInt8](repeating: 0, count: 2048), chunk: 700) }
    }

    /// The largest size base-256 can carry in an Int64 still reads (and then waits for its bytes).
    @Test func theLargestBaseTwoFiftySixSizeReads() throws {
        let block = try Self.resealed(TarHeader(name: "blobs/file-a", size: 1)) {
            $0.replaceSubrange(124..<136, with: [0x80, 0, 0, 0, 0x7F] + [UInt8](repeating: 0xFF, count: 7))
        }
        #expect(try TarHeader.decode(block)?.size == Int64.max)
        var reader = TarReader()
        _ = try reader.feed(ByteBuffer(bytes: block + [1, 2, 3]))
        #expect(throws: TarReader.ReadError.truncated) { try reader.finish() }
    }

    static func sixOctalDigits(_ value: Int) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    @Test func damageIsRefusedWithAReason() throws {
        let good = try Self.archive([("blobs/file-a", Array("hello".utf8))])
        var flipped = good
        flipped[10] ^= 0x01
        #expect(throws: TarHeader.Problem.badChecksum) { try Self.read(flipped, chunk: 4096) }
        #expect(throws: TarReader.ReadError.truncated) { try Self.read(Array(good.prefix(600)), chunk: 4096) }
        #expect(throws: TarReader.ReadError.truncated) { try Self.read(Array(good.prefix(512)), chunk: 4096) }
        #expect(throws: TarReader.ReadError.trailingData) { try Self.read(good + Array("junk".utf8), chunk: 4096) }
        let link = try Self.resealed(TarHeader(name: "evil", size: 0)) { $0[156] = UInt8(ascii: "2") }
        #expect(throws: TarHeader.Problem.unsupportedType(UInt8(ascii: "2"))) { try Self.read(link + [UInt8](repeating: 0, count: 1024), chunk: 512) }
        #expect(throws: TarHeader.Problem.nameTooLong(String(repeating: "a", count: 101))) {
            try TarHeader(name: String(repeating: "a", count: 101), size: 0).encoded()
        }
    }
}
