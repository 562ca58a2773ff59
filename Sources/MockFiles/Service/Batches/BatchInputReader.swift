import Foundation
import NIOCore

/// A request line as cut from the input, not read yet: its place and its bytes.
struct BatchRawLine: Sendable {
    /// 0-based among request lines (`BatchInputLine.index`).
    var index: Int64
    /// 1-based among all lines of the file.
    var line: Int64
    var bytes: ByteBuffer
}

/// One request line of a batch input.
struct BatchInputLine {
    /// 0-based among request lines (the lines that are not blank): the line's place in the
    /// output and in `request_counts`.
    var index: Int64
    /// 1-based among all lines of the file, as errors count them.
    var line: Int64
    var customID: String
    /// JSONSerialization's object.
    var body: [String: Any]
    var model: String?
}

/// Reads a batch's input file line by line for the batch `endpoint`, chunk by chunk, checking
/// each request line as the service does before a batch may run (the checks and their texts:
/// `BatchInputReader+Checks.swift`).
///
/// Used twice per batch: at create, to validate (the lines are not kept: errors and a few
/// whole-file counts are); when results are made, to hand the already valid lines one at a
/// time to the answering code. Memory is bounded by the longest line (`Limits.maxLineBytes`)
/// and the `custom_id`s seen (at most `Limits.maxLines` of them), not by the file.
///
/// How lines are counted (the service's own rules here are unknown; these are our choice):
/// - Lines end at `\n`. A final line without one is a line like any other; the `\n` that ends
///   the file does not start an empty last line.
/// - A blank line (only spaces, tabs or `\r`) is skipped: it is no request and no error, but it
///   keeps its number, so `line` in an error is the line an editor shows (the upload check,
///   `JSONLValidator`, skips blank lines the same way).
/// - CRLF: the `\r` before `\n` is JSON whitespace, so such lines parse as they are.
/// - A UTF-8 byte-order mark at the start of a line makes it `invalid_json_line`: the service
///   parses as Python's `json` does, which refuses one (the upload check refuses it too, with a
///   captured message), while Foundation would skip it.
struct BatchInputReader: Sendable {
    /// The service's limits (GO: 50,000 requests, 50,000 embedding inputs per batch); the line
    /// length and the number of errors reported are ours.
    struct Limits: Sendable, Equatable {
        var maxLines: Int64 = 50_000
        /// The longest line held in memory; a longer one is reported and skipped.
        var maxLineBytes = 16 << 20
        var maxEmbeddingInputs: Int64 = 50_000
        /// `errors.data` of a failed batch holds at most this many items.
        var maxErrors = 100

        static let service = Limits()
    }

    /// What reading the whole file found.
    struct Summary: Sendable, Equatable {
        /// Request lines seen (the lines that are not blank, valid or not).
        var lines: Int64 = 0
        /// The `body.model` of the first valid request line that names one.
        var model: String?
        /// Errors of the whole file first (`line` null, or the line where a total passed its
        /// limit), then line errors in line order; at most `Limits.maxErrors`.
        var errors: [BatchLineError] = []
        /// Inputs of an `/v1/embeddings` batch, across the file.
        var embeddingInputs: Int64 = 0
    }

    let endpoint: String
    let limits: Limits
    var summary: Summary {
        var summary = Summary(lines: lines, model: model, embeddingInputs: embeddingInputs)
        summary.errors = fileErrors + lineErrors.prefix(max(0, limits.maxErrors - fileErrors.count))
        return summary
    }

    /// The part of the current line that arrived in earlier chunks.
    private var pending = ByteBuffer()
    private var overlong = false
    private var lineNumber: Int64 = 1
    private(set) var lines: Int64 = 0
    var model: String?
    var embeddingInputs: Int64 = 0
    /// Each `custom_id` and the line it was first seen on.
    /// Keyed by the bytes: Swift's `String` equality would take `é` and `e` + U+0301 for one id,
    /// where the service (Python) compares code points.
    var customIDs: [[UInt8]: Int64] = [:]
    var lineErrors: [BatchLineError] = []
    var fileErrors: [BatchLineError] = []

    /// False when the file was validated before (results are being made): its `custom_id`s are
    /// known to be unique, and remembering 50,000 of them again costs time for nothing.
    let checksDuplicates: Bool

    init(endpoint: String, limits: Limits = .service, checksDuplicates: Bool = true) {
        self.endpoint = endpoint
        self.limits = limits
        self.checksDuplicates = checksDuplicates
    }

    /// Calls `each` for every request line that passes the checks, in order; collects errors for the others.
    mutating func feed(_ chunk: ByteBuffer, _ each: (BatchInputLine) throws -> Void) rethrows {
        for raw in lines(in: chunk) {
            if let line = accept(Self.read(raw, endpoint: endpoint), of: raw) { try each(line) }
        }
    }

    /// Ends a last line without `\n` and runs the checks of the whole file.
    mutating func finish(_ each: (BatchInputLine) throws -> Void) rethrows {
        if let raw = lastLine(), let line = accept(Self.read(raw, endpoint: endpoint), of: raw) { try each(line) }
    }

    /// The request lines that end in `chunk`, cut out in order: blank lines skipped, over-long
    /// ones reported, past the limit only counted. Each is then read on its own (`read`, which
    /// may run in parallel) and accepted in order (`accept`).
    mutating func lines(in chunk: ByteBuffer) -> [BatchRawLine] {
        var found: [BatchRawLine] = []
        chunk.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var start = 0
            while start < bytes.count, let newline = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) {
                let end = base.distance(to: UnsafeRawPointer(newline))
                if let raw = endLine(chunk, start..<end) { found.append(raw) }
                start = end + 1
            }
            append(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        }
        return found
    }

    /// The line left without `\n` at the end of the file, if it is a request; then the checks
    /// of the whole file.
    mutating func lastLine() -> BatchRawLine? {
        let raw = pending.readableBytes > 0 || overlong ? endLine(ByteBuffer(), 0..<0) : nil
        if lines == 0 { fileErrors.append(Self.emptyFile()) }
        if lines > limits.maxLines { fileErrors.insert(Self.tooManyTasks(lines, limit: limits.maxLines), at: 0) }
        return raw
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, !overlong else { return }
        if pending.readableBytes + bytes.count > limits.maxLineBytes {
            overlong = true
            pending = ByteBuffer()
        } else {
            pending.writeBytes(bytes)
        }
    }

    /// `tail` is the line's part in `chunk`. A line inside one chunk stays where it lies (a
    /// slice shares the chunk's storage); one that spans chunks was copied into `pending`.
    private mutating func endLine(_ chunk: ByteBuffer, _ tail: Range<Int>) -> BatchRawLine? {
        defer { lineNumber += 1 }
        let bytes: ByteBuffer
        if pending.readableBytes == 0 && !overlong {
            guard tail.count <= limits.maxLineBytes else {
                noteLineTooLong()
                return nil
            }
            bytes = chunk.getSlice(at: chunk.readerIndex + tail.lowerBound, length: tail.count) ?? ByteBuffer()
        } else {
            chunk.withUnsafeReadableBytes { append(UnsafeRawBufferPointer(rebasing: $0[tail])) }
            guard !overlong else {
                overlong = false
                noteLineTooLong()
                return nil
            }
            bytes = pending
            pending = ByteBuffer()
        }
        guard !bytes.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) else { return nil }
        let index = lines
        lines += 1
        // Past the limit the batch fails anyway (`too_many_tasks`): the rest is only counted.
        guard lines <= limits.maxLines else { return nil }
        return BatchRawLine(index: index, line: lineNumber, bytes: bytes)
    }

    private mutating func noteLineTooLong() {
        lines += 1
        if lines <= limits.maxLines { report(Self.lineTooLong(line: lineNumber, limit: limits.maxLineBytes)) }
    }

    /// Adds a line error; past `maxErrors` only the first ones are kept.
    mutating func report(_ error: BatchLineError) {
        if lineErrors.count < limits.maxErrors { lineErrors.append(error) }
    }
}
