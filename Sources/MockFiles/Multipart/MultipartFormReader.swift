import NIOCore

/// Reads a `multipart/form-data` body (RFC 7578, framed as RFC 2046 §5.1.1) fed chunk by chunk and
/// turns it into events: a part's headers, its body bytes as they arrive, its end.
///
/// A pure state machine in the style of postgres-nio's connection state machines: no I/O, one
/// `State` that every byte moves on, events returned to the caller. Memory stays bounded whatever
/// the body: part bodies are never buffered (they come out as slices of the chunk given), a
/// header section is at most 16 KiB, and the preamble is skipped without being kept.
///
/// The preamble before the first `--boundary` line and the epilogue after the closing
/// `--boundary--` are ignored, as RFC 2046 says; so is transport padding after a boundary.
public struct MultipartFormReader: Sendable {
    public enum Event: Equatable, Sendable {
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

    enum State {
        /// Before the opening `--boundary` line; what comes first is preamble.
        case preamble(MultipartPreamble)
        case headers(MultipartHeaderSection)
        /// In a part's body; the previous chunk ended in the first `matched` bytes of the
        /// delimiter, held back until this one tells whether they are body or delimiter.
        case body(matched: Int)
        /// After a delimiter that ended a part, reading the rest of its line.
        case boundaryLine(MultipartBoundaryLineEnd)
        /// After the closing delimiter: whatever follows is epilogue.
        case epilogue
        /// Every later call throws this.
        case failed(ReadError)
        /// Only while a sub-state is mutated in place, so its storage is not copied.
        case modifying
    }

    private var state = State.preamble(MultipartPreamble())
    /// `--boundary`: opens the body, at a line start.
    let dashBoundary: [UInt8]
    /// `CRLF--boundary`: ends a part's body.
    let delimiter: [UInt8]

    /// Boundaries are 1–200 bytes without control characters. RFC 2046 allows fewer characters
    /// still, but clients stay within it anyway; what matters here is that a delimiter holds no CR
    /// but its first byte, so a failed match never hides one that began inside it.
    public static func isUsableBoundary(_ boundary: String) -> Bool {
        (1...200).contains(boundary.utf8.count) && boundary.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }
    }

    public init(boundary: String) {
        precondition(Self.isUsableBoundary(boundary), "callers check the boundary first")
        dashBoundary = Array("--\(boundary)".utf8)
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// Feeds the next chunk of the body and returns what it completed.
    public mutating func feed(_ chunk: ByteBuffer) throws(ReadError) -> [Event] {
        var rest = chunk
        var events: [Event] = []
        do {
            while rest.readableBytes > 0 {
                try advance(&rest, &events)
            }
        } catch {
            state = .failed(error)
            throw error
        }
        return events
    }

    /// Call when the body has ended: throws unless the closing boundary was read.
    public func finish() throws(ReadError) {
        switch state {
        case .epilogue:
            return
        case .failed(let error):
            throw error
        case .preamble(let preamble):
            // Ended inside what may be the opening line: cut short. Anywhere else: no multipart body at all.
            throw preamble.isInCandidateLine ? .truncated : .malformed
        case .headers, .body, .boundaryLine:
            throw .truncated
        case .modifying:
            preconditionFailure("state left in .modifying")
        }
    }

    /// Moves the state on by what `rest` starts with, consuming at least one byte.
    private mutating func advance(_ rest: inout ByteBuffer, _ events: inout [Event]) throws(ReadError) {
        switch state {
        case .preamble(var preamble):
            state = .modifying
            while let byte = rest.readInteger(as: UInt8.self) {
                switch try preamble.read(byte, dashBoundary: dashBoundary) {
                case .needMore, .invalid: continue
                case .partFollows: state = .headers(MultipartHeaderSection())
                case .closed: state = .epilogue
                }
                return
            }
            state = .preamble(preamble)

        case .headers(var section):
            state = .modifying
            while let byte = rest.readInteger(as: UInt8.self) {
                if let headers = try section.read(byte) {
                    events.append(.partHeaders(headers))
                    state = .body(matched: 0)
                    return
                }
            }
            state = .headers(section)

        case .body(let matched):
            switch readBody(matched: matched, from: &rest, into: &events) {
            case .needMore(let matched):
                state = .body(matched: matched)
            case .delimiter:
                events.append(.partEnd)
                state = .boundaryLine(.afterBoundary)
            }

        case .boundaryLine(var end):
            while let byte = rest.readInteger(as: UInt8.self) {
                switch end.read(byte) {
                case .needMore: continue
                case .partFollows: state = .headers(MultipartHeaderSection())
                case .closed: state = .epilogue
                // The boundary must not occur in a part (RFC 2046), so this is no body byte either.
                case .invalid: throw .malformed
                }
                return
            }
            state = .boundaryLine(end)

        case .epilogue:
            rest.moveReaderIndex(to: rest.writerIndex)

        case .failed(let error):
            throw error

        case .modifying:
            preconditionFailure("state left in .modifying")
        }
    }
}
