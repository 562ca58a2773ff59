/// Follows the grammar MultipartKit's parser reads a part's header section with, one byte ahead
/// of it. It knows where header names are, so a byte the parser would trap on (MultipartKit 4.7.1
/// indexes a 128-entry table with header-name bytes) is refused before the parser sees it, and
/// where the section ends, so the reader can hand the body over in runs instead of single bytes.
/// Mirrors `MultipartParser.parsePreamble/parseHeaders`; a fuzzer checks that the two agree.
struct MultipartHeaderGuard {
    enum Position: Equatable {
        /// Before `--boundary`: only empty lines may come first (no preamble).
        case openingLine
        /// After a part's closing boundary the parser expects the LF of its CRLF.
        case afterBoundary
        case name(length: Int)
        case value
        /// CR of a header line seen; the parser expects its LF.
        case afterValue
        /// CR of the empty line seen; after its LF the part's body begins.
        case afterHeaders
        case body
    }

    private(set) var position = Position.openingLine
    private var firstLine: [UInt8] = []
    private let openingDelimiter: [UInt8]

    init(boundary: String) {
        openingDelimiter = Array("--\(boundary)".utf8)
    }

    var isInBody: Bool { position == .body }

    /// The parser reported the end of a part: the next part's header section follows.
    mutating func partEnded() {
        position = .afterBoundary
    }

    /// Checks the next byte of the header section; throws where the body cannot be valid.
    mutating func check(_ byte: UInt8) throws(MultipartFormReader.ReadError) {
        switch position {
        case .openingLine:
            try checkOpeningLine(byte)
        case .afterBoundary, .afterValue:
            position = .name(length: 0)
        case .name(let length):
            switch byte {
            case UInt8(ascii: ":") where length > 0: position = .value
            case UInt8(ascii: "\r") where length == 0: position = .afterHeaders
            case 0x80...: throw .malformed
            default: position = .name(length: length + 1)
            }
        case .value:
            if byte == UInt8(ascii: "\r") { position = .afterValue }
        case .afterHeaders:
            position = .body
        case .body:
            break
        }
    }

    /// RFC 2046 allows a preamble before the first boundary, but no HTTP client sends one, and
    /// lines in it that look like headers would put this guard out of step with the parser.
    private mutating func checkOpeningLine(_ byte: UInt8) throws(MultipartFormReader.ReadError) {
        guard byte == UInt8(ascii: "\n") else {
            firstLine.append(byte)
            if firstLine.count > openingDelimiter.count + 1 { throw .malformed }
            return
        }
        if firstLine.last == UInt8(ascii: "\r") { firstLine.removeLast() }
        if firstLine.isEmpty { return }
        guard firstLine == openingDelimiter else { throw .malformed }
        firstLine = []
        position = .name(length: 0)
    }
}
