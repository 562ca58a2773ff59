import NIOCore
import Testing

@testable import MockFiles

/// One part as the reader produced it, its body bytes joined.
struct ReadPart: Equatable {
    var headers: PartHeaders
    var body: [UInt8]
}

/// Feeds `bytes` to a new reader in chunks of the sizes `nextSize` gives (clamped to 1...rest),
/// then finishes it. Also checks what every consumer relies on: events come as
/// `partHeaders, body*, partEnd`, and no body event is empty.
func readParts(_ bytes: [UInt8], boundary: String, chunkSizes nextSize: () -> Int) throws -> [ReadPart] {
    var reader = MultipartFormReader(boundary: boundary)
    var parts: [ReadPart] = []
    var inPart = false
    var offset = 0
    while offset < bytes.count {
        let size = min(max(1, nextSize()), bytes.count - offset)
        for event in try reader.feed(ByteBuffer(bytes: bytes[offset..<(offset + size)])) {
            switch event {
            case .partHeaders(let headers):
                #expect(!inPart, "part headers inside a part")
                inPart = true
                parts.append(ReadPart(headers: headers, body: []))
            case .body(let buffer):
                #expect(inPart && buffer.readableBytes > 0, "body event outside a part, or empty")
                parts[parts.count - 1].body += Array(buffer.readableBytesView)
            case .partEnd:
                #expect(inPart, "part end outside a part")
                inPart = false
            }
        }
        offset += size
    }
    try reader.finish()
    return parts
}

/// The ways a test feeds a body: whole, a byte at a time, at random split points, and split in
/// two at `splitAt`.
enum Chunking: CustomStringConvertible {
    case whole
    case bytes
    case random(seed: UInt64, maxChunk: Int)
    case splitAt(Int)

    /// Whole, 1-byte, a few random ones, and every two-chunk split of a `count`-byte body.
    static func all(count: Int) -> [Chunking] {
        [.whole, .bytes] + (1...6).map { .random(seed: $0, maxChunk: $0 % 2 == 0 ? 7 : 64) } + (1..<max(count, 1)).map(Chunking.splitAt)
    }

    var description: String {
        switch self {
        case .whole: "whole"
        case .bytes: "1-byte chunks"
        case .random(let seed, let maxChunk): "random chunks ≤ \(maxChunk), seed \(seed)"
        case .splitAt(let offset): "split at \(offset)"
        }
    }

    /// A chunk-size source for `readParts`.
    func sizes() -> () -> Int {
        switch self {
        case .whole:
            return { Int.max }
        case .bytes:
            return { 1 }
        case .random(let seed, let maxChunk):
            var generator = SplitMix64(seed: seed)
            return { Int(generator.next() % UInt64(maxChunk)) + 1 }
        case .splitAt(let offset):
            var first = true
            return {
                defer { first = false }
                return first ? offset : Int.max
            }
        }
    }
}
