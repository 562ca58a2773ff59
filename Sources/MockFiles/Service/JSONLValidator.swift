import Foundation
import NIOCore

/// Checks, chunk by chunk, that every non-empty line of a `.jsonl` file is a JSON object.
/// Memory is bounded by the longest line allowed, not by the file.
public struct JSONLValidator {
    public enum Failure: Error, Equatable {
        case notAnObject(line: Int)
        case lineTooLong(line: Int, limit: Int)
    }

    public let maxLineBytes: Int
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
        let object = try? JSONSerialization.jsonObject(with: Data(currentLine), options: [])
        guard object is [String: Any] else { throw .notAnObject(line: lineNumber) }
    }
}
