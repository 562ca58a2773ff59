import Crypto
import NIOConcurrencyHelpers

/// Makes every server-side id (`file-…`, `upload_…`, `part_…`). Random by default; with a seed the
/// sequence of ids is the same run to run, so fixtures and snapshots can name them.
public final class IDGenerator: Sendable {
    /// Base58: the real service's file ids since late 2024 leave out `0`, `O`, `I` and `l`
    /// (`FilesTests/ListFiles`, 2026-05: 706 of them).
    private static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private let seeded: Bool
    private let generator: NIOLockedValueBox<any RandomNumberGenerator & Sendable>

    public init(seed: UInt64? = nil) {
        seeded = seed != nil
        if let seed {
            generator = NIOLockedValueBox(SplitMix64(seed: seed))
        } else {
            generator = NIOLockedValueBox(BufferedSystemRandom())
        }
    }

    /// `file-` followed by 22 base-58 characters, the shape of the real service's ids.
    public func fileID() -> String { "file-" + randomString(length: 22) }
    public func uploadID(createdAt: Int64) -> String { timeOrderedID("upload_", createdAt: createdAt) }
    public func partID(createdAt: Int64) -> String { timeOrderedID("part_", createdAt: createdAt) }
    /// Batch ids carry `8190` where Uploads carry `8191` (2,048 recorded batch ids: docs/batches-evidence.md).
    public func batchID(createdAt: Int64) -> String { timeOrderedID("batch_", createdAt: createdAt, marker: 0x8190) }

    /// 32 lowercase hex digits as in the real service's Upload, Part and Batch ids: the creation
    /// time in seconds (8 digits), 4 random, `8191` (on every recorded Upload and Part), 16 random
    /// (`upload_68cb2ab4…` was created at 1758145204). With a seed the time digits come from the
    /// seed too, so ids repeat run to run whatever the clock says.
    func timeOrderedID(_ prefix: StaticString, createdAt: Int64, marker: UInt64 = 0x8191) -> String {
        let (first, second) = generator.withLockedValue { rng in (rng.next(), rng.next()) }
        let time = seeded ? UInt32(truncatingIfNeeded: first >> 32) : UInt32(clamping: max(0, createdAt))
        return Self.prefixedHex(prefix, UInt64(time) << 32 | (first & 0xFFFF) << 16 | marker, second)
    }

    /// `prefix` and the 32 lowercase hex digits of `high` then `low`, written into the string's
    /// own storage (request ids are made with it for every request).
    static func prefixedHex(_ prefix: StaticString, _ high: UInt64, _ low: UInt64) -> String {
        let prefixLength = prefix.utf8CodeUnitCount
        return String(unsafeUninitializedCapacity: prefixLength + 32) { buffer in
            for offset in 0..<prefixLength { buffer[offset] = prefix.utf8Start[offset] }
            for digit in 0..<32 {
                let nibble = UInt8((digit < 16 ? high : low) >> (60 - 4 * UInt64(digit % 16)) & 0xF)
                buffer[prefixLength + digit] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return prefixLength + 32
        }
    }

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

/// Random numbers fetched 512 bytes at a time: `SystemRandomNumberGenerator` asks the kernel
/// once per number, which was 23 `getrandom` calls per upload (one per character of a file id) in
/// an strace of bench row 6e's load. Used under `IDGenerator`'s lock only.
struct BufferedSystemRandom: RandomNumberGenerator, Sendable {
    private var buffer = [UInt64](repeating: 0, count: 64)
    private var position = 64

    mutating func next() -> UInt64 {
        if position == buffer.count {
            // swift-crypto's key generation is BoringSSL's RAND_bytes: one call for the whole buffer.
            let bytes = SymmetricKey(size: SymmetricKeySize(bitCount: buffer.count * 64))
            bytes.withUnsafeBytes { source in
                buffer.withUnsafeMutableBytes { target in target.copyMemory(from: source) }
            }
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }
}
