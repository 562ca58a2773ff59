/// JSON handled as the bytes it came in, never parsed into dictionaries: a batch line's `body`
/// goes to an upstream as the client wrote it (key order, number spellings), and an upstream's
/// answer goes into a result line with its keys and numbers as it sent them. Both take text that
/// JSONSerialization has already accepted, so they only need to find where strings begin and end.
enum RawJSON {
    /// The bytes of the member `name` of the top-level object in `text`, as written; nil when
    /// the object has no member spelled so (a key written with escapes is not recognized).
    static func member(_ name: String, in text: [UInt8]) -> ArraySlice<UInt8>? {
        let key = Array(name.utf8)
        var depth = 0
        var index = 0
        while index < text.count {
            let byte = text[index]
            switch byte {
            case UInt8(ascii: "\""):
                let end = stringEnd(text, from: index)
                if depth == 1, text[(index + 1)..<(end - 1)].elementsEqual(key), let colon = nextSignificant(text, from: end),
                    text[colon] == UInt8(ascii: ":"), let start = nextSignificant(text, from: colon + 1)
                {
                    return text[start..<valueEnd(text, from: start)]
                }
                index = end
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                index += 1
            default:
                index += 1
            }
        }
        return nil
    }

    /// `text` in the result lines' layout (Python's default `json.dumps`: one line, `", "`
    /// between items, `": "` after keys): whitespace outside strings is dropped and those two
    /// separators written, so a pretty-printed answer cannot break a JSONL line.
    static func spaced(_ text: some Collection<UInt8>) -> [UInt8] {
        let bytes = Array(text)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let end = stringEnd(bytes, from: index)
                out.append(contentsOf: bytes[index..<end])
                index = end
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                break
            case UInt8(ascii: ","), UInt8(ascii: ":"):
                out.append(byte)
                out.append(UInt8(ascii: " "))
            default:
                out.append(byte)
            }
            index += 1
        }
        return out
    }

    /// The index just past the string that starts (with its quote) at `start`.
    private static func stringEnd(_ text: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < text.count {
            switch text[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return text.count
    }

    private static func nextSignificant(_ text: [UInt8], from start: Int) -> Int? {
        text[start...].firstIndex { !isWhitespace($0) }
    }

    /// The index just past the value that starts at `start`.
    private static func valueEnd(_ text: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < text.count {
            switch text[index] {
            case UInt8(ascii: "\""):
                index = stringEnd(text, from: index)
                if depth == 0 { return index }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return index }
                depth -= 1
                if depth == 0 { return index + 1 }
            case UInt8(ascii: ","):
                if depth == 0 { return index }
            default:
                if depth == 0, isWhitespace(text[index]) { return index }
            }
            index += 1
        }
        return text.count
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }
}
