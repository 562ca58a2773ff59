/// One part's header section (RFC 2046 §5.1.1: RFC 822 style fields), read a byte at a time up to
/// the empty line that ends it. Lines are `Name: value` ended by CRLF; a header name is an RFC 9110
/// token. A bare CR or LF is refused rather than taken for a line end: every client writes CRLF,
/// MultipartKit, busboy and Rack require it, and a lenient reader would have to guess whether an LF
/// inside a filename ends the line. Folded lines (obsolete since RFC 7230) are refused too.
/// Values keep every other byte, decoded as UTF-8 (browsers send filenames as raw UTF-8; bytes
/// that are not UTF-8 become U+FFFD rather than failing the upload).
struct MultipartHeaderSection {
    /// The most bytes a section may take, CRLFs included.
    static let maxBytes = 16 * 1024

    private var headers = PartHeaders()
    private var line: [UInt8] = []
    /// The length of the current line's name once its colon has been read.
    private var nameLength: Int?
    private var afterCR = false
    private var byteCount = 0

    init() {}

    /// Reads the next byte: the part's headers once it was the LF of the empty line, nil before.
    mutating func read(_ byte: UInt8) throws(MultipartFormReader.ReadError) -> PartHeaders? {
        byteCount += 1
        if byteCount > Self.maxBytes { throw .headersTooLarge }
        if afterCR {
            guard byte == .lf else { throw .malformed }
            afterCR = false
            return try endLine()
        }
        switch byte {
        case .cr:
            afterCR = true
        case .lf:
            throw .malformed
        case .colon where nameLength == nil:
            // An empty name is no token.
            if line.isEmpty { throw .malformed }
            nameLength = line.count
            line.append(byte)
        default:
            // Refused at once rather than at the line's end: nothing good can follow.
            if nameLength == nil, !byte.isTokenCharacter { throw .malformed }
            line.append(byte)
        }
        return nil
    }

    private mutating func endLine() throws(MultipartFormReader.ReadError) -> PartHeaders? {
        if line.isEmpty { return headers }
        guard let nameLength else { throw .malformed }
        let name = String(decoding: line[..<nameLength], as: UTF8.self)
        var value = line[(nameLength + 1)...]
        // RFC 9110 §5.5: whitespace around a field value is not part of it.
        while let first = value.first, first == .space || first == .tab { value.removeFirst() }
        while let last = value.last, last == .space || last == .tab { value.removeLast() }
        headers.append(name: name, value: String(decoding: value, as: UTF8.self))
        line.removeAll(keepingCapacity: true)
        self.nameLength = nil
        return nil
    }
}

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let hyphen = UInt8(ascii: "-")

    /// RFC 9110 `tchar`: letters, digits and ``!#$%&'*+-.^_`|~``.
    var isTokenCharacter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
