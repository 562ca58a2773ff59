import Foundation

/// What the File page shows of a file's first bytes: an image, text lines (JSONL pretty-printed
/// line by line, the first line that is not JSON pointed out), or a hex dump. Pure, so each case
/// is tested on bytes alone.
enum FilePreview: Equatable {
    struct Line: Equatable {
        var text: String
        /// Why the line is not JSON, on the first such line of a JSONL file.
        var invalid: String?
    }

    case image
    case lines([Line])
    case hex(String)

    /// Bytes read for a preview.
    static let textLimit = 64 * 1024
    /// Bytes shown as hex.
    static let hexLimit = 512

    static func of(filename: String, head: [UInt8]) -> FilePreview {
        let name = filename.lowercased()
        if Self.imageExtensions.contains(where: name.hasSuffix), Self.looksLikeImage(head) { return .image }
        guard !head.contains(0), let text = Self.utf8Prefix(head) else { return .hex(hexDump(head.prefix(hexLimit))) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        if lines.last == "" { lines.removeLast() }
        guard name.hasSuffix(".jsonl") || name.hasSuffix(".json") && lines.count > 1 else {
            return .lines(lines.map { Line(text: $0) })
        }
        // The last line of a cut preview may be cut too: it is shown, not judged.
        let judged = head.count >= textLimit ? lines.count - 1 : lines.count
        var flagged = false
        return .lines(
            lines.enumerated().map { index, line in
                guard index < judged, !line.trimmingCharacters(in: .whitespaces).isEmpty else { return Line(text: line) }
                do {
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
                    let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
                    return Line(text: String(decoding: pretty, as: UTF8.self))
                } catch {
                    defer { flagged = true }
                    return Line(text: line, invalid: flagged ? nil : "line \(index + 1) is not valid JSON")
                }
            }
        )
    }

    static let imageExtensions = [".png", ".jpg", ".jpeg", ".gif", ".webp"]

    /// PNG, JPEG, GIF or WEBP by their first bytes, whatever the name says.
    static func looksLikeImage(_ head: [UInt8]) -> Bool {
        head.starts(with: [0x89, 0x50, 0x4E, 0x47]) || head.starts(with: [0xFF, 0xD8, 0xFF]) || head.starts(with: Array("GIF8".utf8))
            || (head.count >= 12 && head.starts(with: Array("RIFF".utf8)) && Array(head[8..<12]) == Array("WEBP".utf8))
    }

    /// The bytes as UTF-8, allowing a character cut at the end of the preview; nil when not text.
    static func utf8Prefix(_ head: [UInt8]) -> String? {
        for cut in 0...min(3, head.count) {
            if let text = String(validating: head.dropLast(cut), as: UTF8.self) { return text }
        }
        return nil
    }

    /// `00000000  89 50 4e 47 …  |.PNG…|`, 16 bytes a row.
    static func hexDump(_ bytes: ArraySlice<UInt8>) -> String {
        stride(from: bytes.startIndex, to: bytes.endIndex, by: 16).map { start in
            let row = bytes[start..<min(start + 16, bytes.endIndex)]
            let offset = String(start - bytes.startIndex, radix: 16)
            let hex = row.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            let ascii = String(row.map { (0x20..<0x7F).contains($0) ? Character(Unicode.Scalar($0)) : "." })
            return String(repeating: "0", count: max(0, 8 - offset.count)) + offset + "  " + hex.padding(toLength: 47, withPad: " ", startingAt: 0)
                + "  |" + ascii + "|"
        }.joined(separator: "\n")
    }
}
