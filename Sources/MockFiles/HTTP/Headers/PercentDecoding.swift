/// RFC 3986 §6.2.2.2: a percent-encoded unreserved character (`A-Z a-z 0-9 - . _ ~`) is the same
/// as the character itself, and proxies in front of the mock may encode either way. Decoding only
/// those keeps every other escape (`%2F` above all) as it was, so a path's segments never change.
enum PercentDecoding {
    /// `uri` with the unreserved escapes of its path decoded; the query is left as it is.
    static func decodingUnreserved(inPathOf uri: String) -> String {
        // Most paths have no escape at all: found out without copying the bytes.
        guard uri.utf8.prefix(while: { $0 != UInt8(ascii: "?") }).contains(UInt8(ascii: "%")) else { return uri }
        let bytes = Array(uri.utf8)
        let queryStart = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < queryStart {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < queryStart,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]),
                isUnreserved(high << 4 | low)
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        decoded.append(contentsOf: bytes[queryStart...])
        return String(decoding: decoded, as: UTF8.self)
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
