/// What may follow `--boundary` on its line (RFC 2046 §5.1.1): transport padding (spaces and tabs,
/// which some gateways add), then CRLF before a part's header section, or `--` ending the body.
/// Padding before `--` is not allowed: the close delimiter is `--boundary--` exactly.
enum MultipartBoundaryLineEnd {
    case afterBoundary
    case padding
    case afterCR
    case afterHyphen

    enum Step: Equatable {
        case needMore
        /// CRLF read: a part's header section follows.
        case partFollows
        /// `--` read: the body is complete, the rest is epilogue.
        case closed
        /// Not a boundary line.
        case invalid
    }

    mutating func read(_ byte: UInt8) -> Step {
        switch (self, byte) {
        case (.afterBoundary, .hyphen):
            self = .afterHyphen
            return .needMore
        case (.afterHyphen, .hyphen):
            return .closed
        case (.afterBoundary, .space), (.afterBoundary, .tab), (.padding, .space), (.padding, .tab):
            self = .padding
            return .needMore
        case (.afterBoundary, .cr), (.padding, .cr):
            self = .afterCR
            return .needMore
        case (.afterCR, .lf):
            return .partFollows
        default:
            return .invalid
        }
    }
}

/// Skips the preamble (RFC 2046 §5.1.1): everything before the first line that is `--boundary`,
/// at the start of the body or after a CRLF, ended as `MultipartBoundaryLineEnd` reads it. Lines
/// that only start like it (`--boundaryX`, or `--boundary` in mid-line) are preamble too.
struct MultipartPreamble {
    /// Most clients send none; the limit stops a body that never opens from being read to its end.
    static let maxBytes = 64 * 1024

    private enum Position {
        case lineStart
        case boundary(matched: Int)
        case lineEnd(MultipartBoundaryLineEnd)
        case midLine
        case afterCR
    }

    private var position = Position.lineStart
    private var byteCount = 0

    init() {}

    /// Whether the bytes so far end inside what may be the opening line: a body ending here was
    /// cut short, where one ending elsewhere in the preamble never was multipart at all.
    var isInCandidateLine: Bool {
        switch position {
        case .boundary, .lineEnd: true
        case .lineStart, .midLine, .afterCR: false
        }
    }

    /// Reads the next byte: `.partFollows` or `.closed` once the opening line is complete.
    mutating func read(_ byte: UInt8, dashBoundary: [UInt8]) throws(MultipartFormReader.ReadError) -> MultipartBoundaryLineEnd.Step {
        byteCount += 1
        if byteCount > Self.maxBytes { throw .malformed }
        switch position {
        case .lineStart:
            position = byte == dashBoundary[0] ? .boundary(matched: 1) : Self.position(after: byte)
        case .boundary(let matched):
            if byte != dashBoundary[matched] {
                position = Self.position(after: byte)
            } else {
                position = matched + 1 == dashBoundary.count ? .lineEnd(.afterBoundary) : .boundary(matched: matched + 1)
            }
        case .lineEnd(var end):
            let step = end.read(byte)
            switch step {
            case .needMore: position = .lineEnd(end)
            case .partFollows, .closed: return step
            case .invalid: position = Self.position(after: byte)
            }
        case .midLine:
            position = Self.position(after: byte)
        case .afterCR:
            position = byte == .lf ? .lineStart : Self.position(after: byte)
        }
        return .needMore
    }

    /// Where a byte that is not part of a boundary line leaves the scan. No CR or LF occurs in a
    /// boundary line before its end, so a CR that breaks one off may still begin the CRLF before the next.
    private static func position(after byte: UInt8) -> Position {
        byte == .cr ? .afterCR : .midLine
    }
}
