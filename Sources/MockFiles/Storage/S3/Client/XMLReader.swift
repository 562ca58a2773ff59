/// Reads the XML S3 answers in into an `XMLTree`: elements (attributes read past, names kept as
/// written, prefix and all), character data with the five named entities and character references,
/// CDATA, comments and the XML declaration. A DTD is refused: S3 sends none, and entity definitions are
/// how XML parsers are attacked. A pure value: bytes in, a tree or nil out.
struct XMLReader {
    private let bytes: [UInt8]
    private var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // a UTF-8 byte order mark
    }

    /// The root element, or nil unless the bytes are one well-formed element with only whitespace,
    /// comments and processing instructions around it.
    mutating func document() -> XMLTree? {
        var open: [XMLTree] = []
        var root: XMLTree?
        func close(_ element: XMLTree) -> Bool {
            if open.isEmpty {
                root = element
            } else {
                open[open.count - 1].children.append(element)
            }
            return true
        }
        while index < bytes.count {
            if bytes[index] != UInt8(ascii: "<") {
                let start = index
                while index < bytes.count && bytes[index] != UInt8(ascii: "<") { index += 1 }
                if open.isEmpty {
                    guard bytes[start..<index].allSatisfy(Self.isSpace) else { return nil }
                } else {
                    guard let text = Self.decode(bytes[start..<index]) else { return nil }
                    open[open.count - 1].text += text
                }
            } else if skip("<?") {
                guard skip(past: "?>") else { return nil }
            } else if skip("<!--") {
                guard skip(past: "-->") else { return nil }
            } else if skip("<![CDATA[") {
                let start = index
                guard !open.isEmpty, skip(past: "]]>"), let text = String(validating: bytes[start..<index - 3], as: UTF8.self) else {
                    return nil
                }
                open[open.count - 1].text += text
            } else if skip("</") {
                guard let name = name(), let element = open.popLast(), element.name == name else { return nil }
                skipSpace()
                guard skip(">"), close(element) else { return nil }
            } else {
                index += 1
                // A second root, or `<!DOCTYPE`, whose `!` is no name.
                guard root == nil, let name = name(), let selfClosing = skipAttributes() else { return nil }
                if selfClosing {
                    _ = close(XMLTree(name: name))
                } else {
                    open.append(XMLTree(name: name))
                }
            }
        }
        return open.isEmpty ? root : nil
    }

    /// Past a start tag's attributes: true after `/>`, false after `>`, nil when the tag is malformed.
    private mutating func skipAttributes() -> Bool? {
        while true {
            let spaced = skipSpace()
            if skip("/>") { return true }
            if skip(">") { return false }
            guard spaced, name() != nil else { return nil }
            skipSpace()
            guard skip("=") else { return nil }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else { return nil }
            let quote = bytes[index]
            index += 1
            guard let end = bytes[index...].firstIndex(of: quote), !bytes[index..<end].contains(UInt8(ascii: "<")) else { return nil }
            index = end + 1
        }
    }

    /// An element or attribute name: up to whitespace, `/`, `>` or `=`; it may not start with a digit,
    /// `-`, `.` or punctuation XML reserves.
    private mutating func name() -> String? {
        let start = index
        while index < bytes.count, !Self.isSpace(bytes[index]), !"/>=<\"'&".utf8.contains(bytes[index]) { index += 1 }
        guard index > start, !"0123456789-.!?".utf8.contains(bytes[start]) else { return nil }
        return String(validating: bytes[start..<index], as: UTF8.self)
    }

    /// Skips whitespace; true when there was some.
    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = index
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        return index > start
    }

    private mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Moves past the next `literal`; false (at the end) when there is none.
    private mutating func skip(past literal: StaticString) -> Bool {
        while index < bytes.count {
            if skip(literal) { return true }
            index += 1
        }
        return false
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Character data with its references replaced and its line ends as `\n`; nil for an unknown entity, a bad reference or
    /// bytes that are not UTF-8.
    private static func decode(_ raw: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == 0x0D {  // a line ends in \n, whatever it ended in on the wire (XML 1.0, 2.11)
                out.append(0x0A)
                index += raw[index...].starts(with: [0x0D, 0x0A]) ? 2 : 1
                continue
            }
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                index += 1
                continue
            }
            guard let end = raw[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")),
                let reference = String(validating: raw[(index + 1)..<end], as: UTF8.self),
                let scalar = scalar(named: reference)
            else { return nil }
            out.append(contentsOf: String(Character(scalar)).utf8)
            index = end + 1
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func scalar(named reference: String) -> Unicode.Scalar? {
        switch reference {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard reference.hasPrefix("#") else { return nil }
            let digits = reference.dropFirst()
            let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            // `UInt32("+5")` parses; a reference is digits only.
            guard digits.dropFirst(digits.hasPrefix("x") ? 1 : 0).allSatisfy(\.isHexDigit), let value, value != 0 else { return nil }
            return Unicode.Scalar(value)
        }
    }
}
