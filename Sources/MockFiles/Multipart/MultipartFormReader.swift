import MultipartKit
import NIOCore

/// Streams a `multipart/form-data` body through MultipartKit's parser, chunk by chunk, and turns
/// its callbacks into events: a part's headers, its body bytes as they arrive, its end.
/// Memory is bounded by the chunk size: nothing of a part's body is kept here.
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
    private let closingDelimiter: [UInt8]
    private var headerGuard: MultipartHeaderGuard
    private var events: [Event] = []
    private var headers = PartHeaders()
    private var headerBytes = 0
    private var headersOverflowed = false
    /// Bytes fed while no part body has started: bounds what the parser buffers for headers.
    private var headerPhaseBytes = 0
    private var inPartBody = false
    /// The last bytes seen, to tell a complete body from a truncated one at the end.
    private var tail: [UInt8] = []
    private static let maxHeaderBytes = 16 * 1024
    private static let maxHeaderPhaseBytes = 64 * 1024
    private static let tailLength = 512

    public init(boundary: String) {
        parser = MultipartParser(boundary: boundary)
        closingDelimiter = Array("--\(boundary)--".utf8)
        headerGuard = MultipartHeaderGuard(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in
            self.headerBytes += name.utf8.count + value.utf8.count
            self.headers.append(name: name, value: value)
        }
        parser.onBody = { [unowned self] buffer in
            self.beginBodyIfNeeded()
            // The parser cuts the body at every CR; join the pieces of one chunk into one event.
            if case .body(var previous) = self.events.last {
                var buffer = buffer
                previous.writeBuffer(&buffer)
                self.events[self.events.count - 1] = .body(previous)
            } else {
                self.events.append(.body(buffer))
            }
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
    /// Part bodies go to the parser in runs that end at a CR, so a part's end is always seen at
    /// a run's end; headers go byte by byte, each checked first by `MultipartHeaderGuard`, so a
    /// header-name byte MultipartKit would trap on is refused as malformed instead.
    public func feed(_ chunk: ByteBuffer) throws(ReadError) -> [Event] {
        events.removeAll(keepingCapacity: true)
        rememberTail(of: chunk)
        var rest = chunk
        while rest.readableBytes > 0 {
            if inPartBody || headerGuard.isInBody {
                let view = rest.readableBytesView
                let end = view.firstIndex(of: UInt8(ascii: "\r")).map { view.index(after: $0) } ?? view.endIndex
                try execute(rest.readSlice(length: end - view.startIndex)!)
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
