import Foundation
import NIOCore

/// Checks, chunk by chunk, that every non-empty line of a `.jsonl` file is a JSON object.
/// Memory is bounded by the longest line allowed, not by the file.
public struct JSONLValidator {
    public enum Failure: Error, Equatable {
        /// `start` is the line's first characters, for the hint the real service's message gives.
        case notAnObject(line: Int, start: String)
        case lineTooLong(line: Int, limit: Int)
    }

    /// How many characters of a bad line the error quotes.
    static let hintCharacters = 4

    public let maxLineBytes: Int
    /// Lines checked so far that were not blank.
    public private(set) var linesChecked = 0
    private var currentLine: [UInt8] = []
    private var lineNumber = 1
    private var overlong = false

    public init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func feed(_ chunk: ByteBuffer) throws(Failure) {
        let view = chunk.readableBytesView
        var start = view.startIndex
        while let newline = view[start...].firstIndex(of: UInt8(ascii: "\n")) {
            try append(view[start..<newline])
            try endLine()
            start = view.index(after: newline)
        }
        try append(view[start...])
    }

    public mutating func finish() throws(Failure) {
        try endLine()
    }

    private mutating func append(_ bytes: ByteBufferView.SubSequence) throws(Failure) {
        guard !bytes.isEmpty else { return }
        if currentLine.count + bytes.count > maxLineBytes {
            throw .lineTooLong(line: lineNumber, limit: maxLineBytes)
        }
        currentLine.append(contentsOf: bytes)
    }

    private mutating func endLine() throws(Failure) {
        defer {
            currentLine.removeAll(keepingCapacity: currentLine.count <= 1 << 16)
            lineNumber += 1
        }
        let isBlank = currentLine.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        guard !isBlank else { return }
        // The real service reads lines as Python's json does, which refuses a byte-order mark
        // (Foundation would skip it).
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let object = currentLine.starts(with: byteOrderMark) ? nil : try? JSONSerialization.jsonObject(with: Data(currentLine), options: [])
        guard object is [String: Any] else { throw .notAnObject(line: lineNumber, start: Self.hint(currentLine)) }
        linesChecked += 1
    }

    /// The start of a bad line as the real service quotes it: its first four characters, or, when
    /// the line is not UTF-8, Python's `repr` of its first four bytes (`b'\xb0\xb2\xd7\xb0'`).
    /// Captured answers show both: `"{"p..."` (a line behind a byte-order mark) and the bytes form.
    static func hint(_ line: [UInt8]) -> String {
        if let text = String(validating: line, as: UTF8.self) {
            return String(String.UnicodeScalarView(text.unicodeScalars.prefix(hintCharacters)))
        }
        var repr = "b'"
        for byte in line.prefix(hintCharacters) {
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: "'"): repr += "\\" + String(UnicodeScalar(byte))
            case UInt8(ascii: "\t"): repr += "\\t"
            case UInt8(ascii: "\n"): repr += "\\n"
            case UInt8(ascii: "\r"): repr += "\\r"
            case 0x20..<0x7F: repr += String(UnicodeScalar(byte))
            default: repr += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return repr + "'"
    }
}
