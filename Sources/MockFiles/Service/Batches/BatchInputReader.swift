import Foundation
import NIOCore

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
    private var pending = Data()
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

    init(endpoint: String, limits: Limits = .service) {
        self.endpoint = endpoint
        self.limits = limits
    }

    /// Calls `each` for every request line that passes the checks, in order; collects errors for the others.
    mutating func feed(_ chunk: ByteBuffer, _ each: (BatchInputLine) throws -> Void) rethrows {
        try chunk.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var start = 0
            while start < bytes.count, let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) {
                let newline = base.distance(to: UnsafeRawPointer(found))
                try endLine(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), each)
                start = newline + 1
            }
            append(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        }
    }

    /// Ends a last line without `\n` and runs the checks of the whole file.
    mutating func finish(_ each: (BatchInputLine) throws -> Void) rethrows {
        if !pending.isEmpty || overlong { try endLine(UnsafeRawBufferPointer(start: nil, count: 0), each) }
        if lines == 0 { fileErrors.append(Self.emptyFile()) }
        if lines > limits.maxLines { fileErrors.insert(Self.tooManyTasks(lines, limit: limits.maxLines), at: 0) }
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, !overlong else { return }
        if pending.count + bytes.count > limits.maxLineBytes {
            overlong = true
            pending = Data()
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    /// `tail` is the line's part in the current chunk. A line inside one chunk is parsed where
    /// it lies; one that spans chunks is copied once, into `pending`.
    private mutating func endLine(_ tail: UnsafeRawBufferPointer, _ each: (BatchInputLine) throws -> Void) rethrows {
        defer { lineNumber += 1 }
        if pending.isEmpty && !overlong {
            guard tail.count <= limits.maxLineBytes else { return noteLineTooLong() }
            return try check(tail, each)
        }
        append(tail)
        guard !overlong else {
            overlong = false
            return noteLineTooLong()
        }
        // Moved out, not copied, so the check may use `self`; the buffer comes back for the next
        // long line unless this one was unusually long.
        var line = Data()
        swap(&line, &pending)
        try line.withUnsafeBytes { try check($0, each) }
        if line.count <= 1 << 16 {
            line.removeAll(keepingCapacity: true)
            pending = line
        }
    }

    private mutating func noteLineTooLong() {
        lines += 1
        if lines <= limits.maxLines { report(Self.lineTooLong(line: lineNumber, limit: limits.maxLineBytes)) }
    }

    private mutating func check(_ bytes: UnsafeRawBufferPointer, _ each: (BatchInputLine) throws -> Void) rethrows {
        guard !Self.isBlank(bytes) else { return }
        let index = lines
        lines += 1
        // Past the limit the batch fails anyway (`too_many_tasks`): the rest is only counted.
        guard lines <= limits.maxLines else { return }
        if let line = checkedLine(bytes, index: index, line: lineNumber) { try each(line) }
    }

    /// Adds a line error; past `maxErrors` only the first ones are kept.
    mutating func report(_ error: BatchLineError) {
        if lineErrors.count < limits.maxErrors { lineErrors.append(error) }
    }

    private static func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }
}
