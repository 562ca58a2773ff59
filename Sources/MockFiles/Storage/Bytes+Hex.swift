extension Sequence<UInt8> {
    /// Lower-case hex, as `sha256sum` and `md5sum` print digests and as SigV4 wants hashes and
    /// signatures.
    var hexDigits: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
