import Foundation
import NIOCore
import Testing

@testable import MockFiles

#if canImport(FoundationXML)
import FoundationXML
#endif

/// XMLReader, the server's own reader of S3's answers, against Foundation's XMLParser (libxml2) as the
/// oracle: the same tree for every well-formed document, and nil where the reader is stricter.
@Suite struct XMLReaderTests {
    static let wellFormed = [
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated>
          <Contents><Key>a&amp;b</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>5</Size></Contents>
          <Contents><Key>c/d é</Key><Size>0</Size></Contents><NextContinuationToken>tok/en=</NextContinuationToken>
        </ListBucketResult>
        """,
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
        <Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE-_.~</UploadId></InitiateMultipartUploadResult>
        """,
        "<CompleteMultipartUploadResult><Location>http://h/b/k</Location><ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag></CompleteMultipartUploadResult>",
        "<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/b/k</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>",
        "<a x='1' y=\"a>b\"><b/><b /><c>t&#65;&#x42;&lt;&gt;&apos;</c><!-- note --><d><![CDATA[<raw>&amp;]]></d></a>\n",
        "\u{FEFF}<a>\r\n  <s3:Key>k</s3:Key>\n</a> <!-- after --> ",
    ]

    @Test(arguments: wellFormed) func sameTreeAsXMLParser(_ document: String) throws {
        let tree = try #require(XMLTree.parse(ByteBuffer(string: document)))
        #expect(tree == Self.oracle(document))
    }

    @Test(arguments: [
        "", "   ", "<Error><Code>x</Error>", "<a><b></a></b>", "<a>", "<a", "<a b></a>", "<a b=c></a>", "<a b='1'c='2'/>",
        "<a>&foo;</a>", "<a>&amp</a>", "<a>&#0;</a>", "<a>&#xZ;</a>", "<1a/>", "text<a/>", "<a>x</a><!-- c",
        "<a><![CDATA[x</a>",
    ])
    func malformedIsNilForBoth(_ document: String) {
        #expect(XMLTree.parse(ByteBuffer(string: document)) == nil)
        #expect(Self.oracle(document) == nil)
    }

    /// Where XMLParser keeps the root and stops, the reader refuses: trailing elements or text, and any
    /// DTD (entity definitions are how XML readers are attacked; S3 sends none).
    @Test(arguments: ["<a></a><b/>", "<a/>trailing", "<!DOCTYPE a><a/>", "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>"])
    func stricterThanXMLParser(_ document: String) {
        #expect(XMLTree.parse(ByteBuffer(string: document)) == nil)
    }

    @Test func bytesThatAreNotUTF8AreNil() {
        #expect(XMLTree.parse(ByteBuffer(bytes: Array("<a>".utf8) + [0xFF, 0xFE] + Array("</a>".utf8))) == nil)
    }

    /// A thousand-entry list page, S3's largest answer, parses to a thousand entries.
    @Test func fullListPage() throws {
        let entries = (0..<1000).map { "<Contents><Key>file-\($0)</Key><Size>\($0)</Size><ETag>&quot;e\($0)&quot;</ETag></Contents>" }
        let tree = try #require(XMLTree.parse(ByteBuffer(string: "<ListBucketResult>\(entries.joined())</ListBucketResult>")))
        #expect(tree.children("Contents").count == 1000)
        #expect(tree.children("Contents").last?.value("ETag") == "\"e999\"")
    }

    /// XMLParser's events as a tree, the way XMLTree was built before XMLReader.
    static func oracle(_ document: String) -> XMLTree? {
        let builder = Builder()
        let parser = XMLParser(data: Data(document.utf8))
        parser.delegate = builder
        return parser.parse() ? builder.root : nil
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

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            if !stack.isEmpty { stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let element = stack.popLast() else { return }
            if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
        }
    }
}
