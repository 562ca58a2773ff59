import NIOCore

/// JSON values written straight into a `ByteBuffer`, as Python's `json` writes them with
/// `ensure_ascii=False` (the service's answers): in strings, `"` and `\` are escaped, control
/// characters too (`\b \f \n \r \t` by name, the rest as `\u00xx`), `/` and non-ASCII bytes are
/// written as they are. `JSONWriterTests` holds texts made by Python's `json`.
enum JSONText {
    static func writeString(_ string: String, to buffer: inout ByteBuffer) {
        var string = string
        string.withUTF8 { bytes in
            guard let firstEscape = bytes.firstIndex(where: needsEscape) else {
                // Nearly every string: the quotes and the bytes in one write, not three (a list
                // page writes five strings per file, and each write checks the buffer's room).
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count + 2) { target in
                    target[0] = UInt8(ascii: "\"")
                    UnsafeMutableRawBufferPointer(rebasing: target[1...]).copyMemory(from: UnsafeRawBufferPointer(bytes))
                    target[bytes.count + 1] = UInt8(ascii: "\"")
                    return bytes.count + 2
                }
                return
            }
            buffer.writeInteger(UInt8(ascii: "\""))
            var runStart = 0
            for index in firstEscape..<bytes.endIndex where needsEscape(bytes[index]) {
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[runStart..<index]))
                writeEscape(bytes[index], to: &buffer)
                runStart = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[runStart...]))
            buffer.writeInteger(UInt8(ascii: "\""))
        }
    }

    static func writeString(_ string: String?, to buffer: inout ByteBuffer) {
        if let string {
            writeString(string, to: &buffer)
        } else {
            buffer.writeStaticString("null")
        }
    }

    static func writeNumber(_ number: Int64?, to buffer: inout ByteBuffer) {
        if let number {
            buffer.writeString(String(number))
        } else {
            buffer.writeStaticString("null")
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func writeEscape(_ byte: UInt8, to buffer: inout ByteBuffer) {
        switch byte {
        case UInt8(ascii: "\""): buffer.writeStaticString(#"\""#)
        case UInt8(ascii: "\\"): buffer.writeStaticString(#"\\"#)
        case 0x08: buffer.writeStaticString(#"\b"#)
        case 0x0C: buffer.writeStaticString(#"\f"#)
        case 0x0A: buffer.writeStaticString(#"\n"#)
        case 0x0D: buffer.writeStaticString(#"\r"#)
        case 0x09: buffer.writeStaticString(#"\t"#)
        default:
            let hex: StaticString = "0123456789abcdef"
            buffer.writeStaticString(#"\u00"#)
            buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
            buffer.writeInteger(hex.utf8Start[Int(byte & 0x0F)])
        }
    }
}
