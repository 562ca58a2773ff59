import NIOCore

/// An XML element as a tree. S3's answers are small (a list page is at most 1000 entries), so one
/// tree read by path is simpler than an event parser per answer.
struct XMLTree: Sendable, Equatable {
    var name: String
    var text: String = ""
    var children: [XMLTree] = []

    func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    func children(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }
    /// The text of the first child called `name`.
    func value(_ name: String) -> String? { child(name)?.text }

    /// The document's root element, or nil when the bytes are not well-formed XML. Read by
    /// `XMLReader`, not Foundation's XMLParser, whose libxml2 and ICU would be most of the binary.
    static func parse(_ buffer: ByteBuffer) -> XMLTree? {
        guard buffer.readableBytes > 0 else { return nil }
        var reader = XMLReader(bytes: Array(buffer.readableBytesView))
        return reader.document()
    }

    /// Escapes text for an element's content (ETags carry quotes).
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
