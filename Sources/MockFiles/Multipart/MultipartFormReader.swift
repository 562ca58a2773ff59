import Foundation
import MultipartKit
import NIOCore

/// Streams a `multipart/form-data` body chunk by chunk and turns it into events: a part's
/// headers, its body bytes as they arrive, its end. Memory is bounded by the chunk size:
/// nothing of a part's body is kept here.
///
/// MultipartKit's parser reads the framing: the opening line, each part's header section and
/// each delimiter. Part bodies do not go through it: it copies a body into a new buffer at
/// every CR (every 256 bytes of random data) and scans it with a closure per byte, which held
/// uploads to ~55 MB/s. The reader finds the next `CRLF--boundary` itself (memchr for CR, then a
/// compare), hands the bytes before it on as slices of the chunk it was given (no copy), and
/// gives the parser only the delimiter and the byte after it, so the parser's state stays the
/// one it would have reached reading everything.
public final class MultipartFormReader {
    public enum Event: Equatable {
        case partHeaders(PartHeaders)
        case body(ByteBuffer)
        case partEnd
    }

    public enum ReadError: Error, Equatable {
        /// The bytes are not valid multipart syntax.
        case malformed
        /// The body ended before the closing boundary.
        case truncated
        /// A part's header section is larger than allowed.
        case headersTooLarge
    }

    private let parser: MultipartParser
    /// `CRLF--boundary`: what ends a part's body (the parser's own delimiter).
    private let delimiter: [UInt8]
    private let closingDelimiter: [UInt8]
    private var headerGuard: MultipartHeaderGuard
    private var events: [Event] = []
    private var headers = PartHeaders()
    private var headerBytes = 0
    private var headersOverflowed = false
    /// Bytes fed while no part body has started: bounds what the parser buffers for headers.
    private var headerPhaseBytes = 0
    private var inPartBody = false
    /// The end of the previous chunk when it was the start of a delimiter (at most its length):
    /// body bytes or the delimiter, as the next chunk will tell.
    private var heldBack: [UInt8] = []
    /// The last bytes seen, to tell a complete body from a truncated one at the end.
    private var tail: [UInt8] = []
    private static let maxHeaderBytes = 16 * 1024
    private static let maxHeaderPhaseBytes = 64 * 1024
    private static let tailLength = 512

    /// Boundaries are 1–200 bytes without control characters. RFC 2046 allows fewer
    /// characters still, but clients stay within it anyway; what matters here is that a CR can
    /// only be the first byte of a delimiter, so a mismatch never hides one that began earlier.
    public static func isUsableBoundary(_ boundary: String) -> Bool {
        (1...200).contains(boundary.utf8.count) && boundary.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }
    }

    public init(boundary: String) {
        precondition(Self.isUsableBoundary(boundary), "callers check the boundary first")
        parser = MultipartParser(boundary: boundary)
        delimiter = Array("\r\n--\(boundary)".utf8)
        closingDelimiter = Array("--\(boundary)--".utf8)
        headerGuard = MultipartHeaderGuard(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in
            self.headerBytes += name.utf8.count + value.utf8.count
            self.headers.append(name: name, value: value)
        }
        // Body bytes never reach the parser (see `readBody`); if they did, they are still body.
        parser.onBody = { [unowned self] buffer in
            self.beginBodyIfNeeded()
            self.events.append(.body(buffer))
        }
        parser.onPartComplete = { [unowned self] in
            self.beginBodyIfNeeded()
            self.events.append(.partEnd)
            self.inPartBody = false
            self.headerGuard.partEnded()
        }
    }

    /// Feeds the next chunk of the body and returns what it completed.
    ///
    /// Header sections go to the parser byte by byte, each checked first by
    /// `MultipartHeaderGuard`, so a header-name byte MultipartKit would trap on is refused as
    /// malformed instead; part bodies are read by `readBody`.
    public func feed(_ chunk: ByteBuffer) throws(ReadError) -> [Event] {
        events.removeAll(keepingCapacity: true)
        rememberTail(of: chunk)
        var rest = chunk
        while rest.readableBytes > 0 {
            if headerGuard.isInBody {
                try readBody(&rest)
            } else {
                let byte = rest.readInteger(as: UInt8.self)!
                headerPhaseBytes += 1
                if headerPhaseBytes > Self.maxHeaderPhaseBytes { throw .headersTooLarge }
                try headerGuard.check(byte)
                try execute(ByteBuffer(integer: byte))
            }
        }
        if headersOverflowed || headerBytes > Self.maxHeaderBytes { throw .headersTooLarge }
        return events
    }

    /// Reads a part's body from `rest` up to the delimiter that ends it, or all of `rest`.
    /// Body bytes become events; the delimiter and the byte after it (CR of the next part's
    /// header section, or `-` of the closing `--`) go to the parser, which ends the part.
    private func readBody(_ rest: inout ByteBuffer) throws(ReadError) {
        beginBodyIfNeeded()
        if !heldBack.isEmpty {
            // The previous chunk ended inside a possible delimiter: decide with this one.
            let probe = heldBack + rest.readableBytesView.prefix(delimiter.count + 1 - heldBack.count)
            switch match(probe[...]) {
            case .delimiter:
                rest.moveReaderIndex(forwardBy: probe.count - heldBack.count)
                heldBack = []
                try execute(ByteBuffer(bytes: probe))
                return
            case .notDelimiter:
                events.append(.body(ByteBuffer(bytes: heldBack)))
                heldBack = []
            case .undecided:
                heldBack = probe
                rest.moveReaderIndex(forwardBy: rest.readableBytes)
                return
            }
        }
        var searchFrom = 0
        while let crOffset = Self.offsetOfCR(in: rest, from: searchFrom) {
            let candidate = rest.readableBytesView.dropFirst(crOffset).prefix(delimiter.count + 1)
            switch match(candidate) {
            case .notDelimiter:
                searchFrom = crOffset + 1
                continue
            case .delimiter:
                emitBody(rest.readSlice(length: crOffset)!)
                try execute(rest.readSlice(length: delimiter.count + 1)!)
            case .undecided:
                emitBody(rest.readSlice(length: crOffset)!)
                heldBack = Array(rest.readableBytesView)
                rest.moveReaderIndex(forwardBy: rest.readableBytes)
            }
            return
        }
        emitBody(rest.readSlice(length: rest.readableBytes)!)
    }

    private enum DelimiterMatch {
        /// The delimiter and one byte after it.
        case delimiter
        case notDelimiter
        /// A prefix of the delimiter (and its next byte) that the data ends in.
        case undecided
    }

    /// Whether `bytes`, which start at a CR, are the delimiter followed by one more byte.
    private func match(_ bytes: some Collection<UInt8>) -> DelimiterMatch {
        var expected = delimiter.makeIterator()
        for byte in bytes {
            guard let next = expected.next() else { return .delimiter }
            if byte != next { return .notDelimiter }
        }
        return .undecided
    }

    private func emitBody(_ bytes: ByteBuffer) {
        if bytes.readableBytes > 0 { events.append(.body(bytes)) }
    }

    /// The offset of the first CR at or after `start` among the readable bytes.
    private static func offsetOfCR(in buffer: ByteBuffer, from start: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in
            guard start < bytes.count, let base = bytes.baseAddress,
                let found = memchr(base + start, Int32(UInt8(ascii: "\r")), bytes.count - start)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }

    private func execute(_ bytes: ByteBuffer) throws(ReadError) {
        do {
            try parser.execute(bytes)
        } catch {
            throw .malformed
        }
    }

    /// Call when the body has ended: throws unless the closing boundary was seen.
    public func finish() throws(ReadError) {
        guard !inPartBody, tail.count >= closingDelimiter.count else { throw .truncated }
        let found = (0...(tail.count - closingDelimiter.count)).contains { start in
            tail[start..<(start + closingDelimiter.count)].elementsEqual(closingDelimiter)
        }
        if !found { throw .truncated }
    }

    private func beginBodyIfNeeded() {
        guard !inPartBody else { return }
        inPartBody = true
        events.append(.partHeaders(headers))
        headersOverflowed = headersOverflowed || headerBytes > Self.maxHeaderBytes
        headers = PartHeaders()
        headerBytes = 0
        headerPhaseBytes = 0
    }

    private func rememberTail(of chunk: ByteBuffer) {
        let view = chunk.readableBytesView
        if view.count >= Self.tailLength {
            tail = Array(view.suffix(Self.tailLength))
        } else {
            tail.append(contentsOf: view)
            if tail.count > Self.tailLength { tail.removeFirst(tail.count - Self.tailLength) }
        }
    }
}

/// The headers of one part, with the `Content-Disposition` parameters that name it.
public struct PartHeaders: Equatable, Sendable {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    mutating func append(name: String, value: String) {
        fields.append((name, value))
    }

    public func value(of name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The form field name (`name=` of `Content-Disposition: form-data`).
    public var fieldName: String? { disposition?.parameters["name"] }

    /// The client's filename, preferring the RFC 5987 `filename*` form when present.
    public var filename: String? {
        guard let disposition else { return nil }
        return disposition.extendedFilename ?? disposition.parameters["filename"]
    }

    public var contentType: String? { value(of: "Content-Type") }

    var disposition: ParameterizedHeader? {
        value(of: "Content-Disposition").map(ParameterizedHeader.init(parsing:))
    }

    public static func == (lhs: PartHeaders, rhs: PartHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
