import Foundation
import NIOCore

#if canImport(FoundationXML)
import FoundationXML
#endif

/// An XML element as a tree. S3's answers are small (a list page is at most 1000 entries), so one
/// tree read by path is simpler than an XMLParser delegate per answer.
struct XMLTree: Sendable, Equatable {
    var name: String
    var text: String = ""
    var children: [XMLTree] = []

    func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    func children(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }
    /// The text of the first child called `name`.
    func value(_ name: String) -> String? { child(name)?.text }

    /// The document's root element, or nil when the bytes are not well-formed XML.
    static func parse(_ buffer: ByteBuffer) -> XMLTree? {
        guard buffer.readableBytes > 0 else { return nil }
        let builder = Builder()
        let parser = XMLParser(data: Data(buffer.readableBytesView))
        parser.delegate = builder
        guard parser.parse() else { return nil }
        return builder.root
    }

    /// Escapes text for an element's content (ETags carry quotes).
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(
            _ parser: XMLParser,
            didStartElement elementName: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            stack.append(XMLTree(name: elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let element = stack.popLast() else { return }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }
    }
}
