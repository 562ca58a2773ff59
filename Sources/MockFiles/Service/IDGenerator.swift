import NIOConcurrencyHelpers

/// Makes every server-side id (`file-…`, `upload_…`, `part_…`). Random by default; with a seed the
/// sequence of ids is the same run to run, so fixtures and snapshots can name them.
public final class IDGenerator: Sendable {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    private let generator: NIOLockedValueBox<any RandomNumberGenerator & Sendable>

    public init(seed: UInt64? = nil) {
        if let seed {
            generator = NIOLockedValueBox(SplitMix64(seed: seed))
        } else {
            generator = NIOLockedValueBox(SystemRandomNumberGenerator())
        }
    }

    /// `file-` followed by 22 base-62 characters, the shape of the real service's ids.
    public func fileID() -> String { "file-" + randomString(length: 22) }
    public func uploadID() -> String { "upload_" + randomString(length: 24) }
    public func partID() -> String { "part_" + randomString(length: 24) }

    func randomString(length: Int) -> String {
        generator.withLockedValue { rng in
            var bytes = [UInt8]()
            bytes.reserveCapacity(length)
            for _ in 0..<length {
                bytes.append(Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// A small, well-known seedable generator (Steele, Lea & Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
