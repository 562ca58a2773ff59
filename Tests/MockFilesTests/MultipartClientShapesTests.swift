import NIOCore
import Testing

@testable import MockFiles

/// Bodies as the common HTTP stacks write them (boundary style, header order, escaping, what
/// comes before the first boundary and after the last), each read whole, a byte at a time, at
/// random split points and split in two at every offset.
@Suite struct MultipartClientShapesTests {
    struct Expected: Equatable, CustomStringConvertible {
        var name: String?
        var filename: String?
        var contentType: String?
        var body: [UInt8]

        init(_ name: String?, filename: String? = nil, contentType: String? = nil, _ body: String) {
            self.init(name, filename: filename, contentType: contentType, bytes: Array(body.utf8))
        }

        init(_ name: String?, filename: String? = nil, contentType: String? = nil, bytes: [UInt8]) {
            self.name = name
            self.filename = filename
            self.contentType = contentType
            self.body = bytes
        }

        var description: String { "\(name ?? "-") \(filename ?? "-") \(contentType ?? "-") \(body.count) bytes" }
    }

    struct Shape: CustomTestStringConvertible, Sendable {
        var client: String
        /// The request's Content-Type header, whose boundary parameter the server reads.
        var contentType: String
        var body: [UInt8]
        var expected: [Expected]

        var testDescription: String { client }
    }

    @Test(arguments: Self.shapes)
    func readsWhatTheClientSent(shape: Shape) throws {
        let boundary = try #require(ParameterizedHeader(parsing: shape.contentType).parameters["boundary"])
        #expect(MultipartFormReader.isUsableBoundary(boundary))
        for chunking in Chunking.all(count: shape.body.count) {
            let parts = try readParts(shape.body, boundary: boundary, chunkSizes: chunking.sizes())
            let found = parts.map {
                Expected($0.headers.fieldName, filename: $0.headers.filename, contentType: $0.headers.contentType, bytes: $0.body)
            }
            #expect(found == shape.expected, "\(chunking)")
            if found != shape.expected { break }
        }
    }

    /// JSONL with a CR, an LF and bytes that are not UTF-8, so file bodies are not just text.
    static let jsonl: [UInt8] = Array("{\"custom_id\":\"a\",\"n\":1}\r\n{\"custom_id\":\"b\"}\n".utf8) + [0xFF, 0x00, 0x0D, 0x2D, 0x2D]

    /// Text or raw bytes, to write a body as a list of lines.
    struct Piece: ExpressibleByStringInterpolation {
        var bytes: [UInt8]
        init(stringLiteral text: String) { bytes = Array(text.utf8) }
        init(bytes: [UInt8]) { self.bytes = bytes }
        static func raw(_ bytes: [UInt8]) -> Piece { Piece(bytes: bytes) }
    }

    static func body(_ pieces: [Piece]) -> [UInt8] {
        pieces.flatMap(\.bytes)
    }

    static let shapes: [Shape] = browserShapes + cliAndScriptShapes + runtimeShapes + rfc2046Shapes
}
