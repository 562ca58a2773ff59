import Crypto

/// Pseudo-random values that are a function of a string: SHA-256 of the string and a label gives
/// a generator's state, so a line's seed (`batch_…/17`) gives the same ids every run, and the
/// label keeps an answer's values independent of one another.
struct BatchAnswerRandom {
    private var generator: SplitMix64

    init(_ seed: String, _ label: String) {
        let digest = SHA256.hash(data: Array((label + "\u{0}" + seed).utf8))
        generator = SplitMix64(seed: digest.withUnsafeBytes { bytes in bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } })
    }

    /// SplitMix64 (the seeded ids' generator): fast, and only integer arithmetic, so the same on every machine.
    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1), 53 bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    mutating func base62(_ count: Int) -> String {
        String(decoding: (0..<count).map { _ in Self.base62[Int(next() % 62)] }, as: UTF8.self)
    }

    mutating func hex(_ count: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: (0..<count).map { _ in digits[Int(next() & 0xF)] }, as: UTF8.self)
    }

    /// 8 lowercase hex digits of a Unix time, as the service's time-ordered ids begin.
    static func hexTime(_ seconds: Int64) -> String {
        let value = UInt32(clamping: max(0, seconds))
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }
}
