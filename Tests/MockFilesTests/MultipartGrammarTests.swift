import NIOCore
import Testing

@testable import MockFiles

/// The edges of the grammar `MultipartFormReader` reads: what RFC 2046 allows around boundaries,
/// what it refuses in header sections, the limits, and that the answer never depends on how the
/// body was split.
@Suite struct MultipartGrammarTests {
    typealias ReadError = MultipartFormReader.ReadError

    /// The outcome for every way of splitting `text`, which must all agree.
    func outcome(_ text: String, boundary: String = "b") -> Result<[ReadPart], ReadError> {
        outcome(Array(text.utf8), boundary: boundary)
    }

    func outcome(_ bytes: [UInt8], boundary: String = "b") -> Result<[ReadPart], ReadError> {
        let outcomes = Chunking.all(count: bytes.count).map { chunking in
            Result { () throws(ReadError) -> [ReadPart] in
                do { return try readParts(bytes, boundary: boundary, chunkSizes: chunking.sizes()) } catch { throw error as! ReadError }
            }
        }
        #expect(outcomes.allSatisfy { $0 == outcomes[0] }, "the outcome depends on the chunking")
        return outcomes[0]
    }

    static let part = "Content-Disposition: form-data; name=\"a\"\r\n\r\n1"

    @Test(arguments: [
        // The boundary must not occur in a part, even with more after it on the line.
        "--b\r\n\(part)\r\n--bX\r\n",
        "--b\r\n\(part)\r\n--b-\r\n",
        "--b\r\n\(part)\r\n--b -- \r\n",
        "--b\r\n\(part)\r\n--b \r\r\n",
        // A bare CR or LF in a header section; a folded line; names that are no tokens.
        "--b\r\nContent-Disposition: form-data;\r name=\"a\"\r\n\r\n1\r\n--b--",
        "--b\r\nContent-Disposition: form-data;\n name=\"a\"\r\n\r\n1\r\n--b--",
        "--b\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\n1\r\n--b--",
        "--b\r\nContent-Disposition : form-data\r\n\r\n1\r\n--b--",
        "--b\r\n: form-data\r\n\r\n1\r\n--b--",
        "--b\r\nContent(Disposition): form-data\r\n\r\n1\r\n--b--",
        "--b\r\nContent-Disposition\r\n\r\n1\r\n--b--",
        // The opening line ended by a bare LF is no opening line: all preamble.
        "--b\n\(part)\r\n",
        // No boundary line at all, and an empty body.
        "just some bytes\r\n",
        "",
    ])
    func refusesAsMalformed(text: String) {
        #expect(outcome(text) == .failure(.malformed))
    }

    @Test(arguments: [
        "--b", "--b ", "--b\r", "--b\r\n", "--b\r\nContent-Dis", "--b\r\n\(part)", "--b\r\n\(part)\r\n--",
        "--b\r\n\(part)\r\n--b", "--b\r\n\(part)\r\n--b  ", "--b\r\n\(part)\r\n--b\r\n", "--b\r\n\(part)\r\n--b-",
        "preamble\r\n--b",
    ])
    func refusesAsTruncated(text: String) {
        #expect(outcome(text) == .failure(.truncated))
    }

    @Test func skipsTheEpilogueWhateverItHolds() {
        let body = Array("--b\r\n\(Self.part)\r\n--b--\r\n--b\r\n\(Self.part)\r\n".utf8) + [0xFF, 0x80, 0x0A, 0x0D]
        #expect(outcome(body).map { $0.map(\.body) } == .success([Array("1".utf8)]))
    }

    /// `--boundary--` as the first boundary line: a form without parts, as browsers send an empty FormData.
    @Test func readsAFormWithoutParts() {
        #expect(outcome("preamble\r\n--b--") == .success([]))
        #expect(outcome("--b-- \r\nepilogue") == .success([]))
    }

    /// Header values keep what is not ASCII; bytes that are not UTF-8 become U+FFFD.
    @Test func decodesHeaderValuesAsUTF8() throws {
        let body =
            Array("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"".utf8) + [0x61, 0xE9, 0x62]
            + Array("\"\r\nX-Note: ünï ✓\r\n\r\n\r\n--b--".utf8)
        let parts = try outcome(body).get()
        #expect(parts.first?.headers.filename == "a\u{FFFD}b")
        #expect(parts.first?.headers.value(of: "x-note") == "ünï ✓")
    }

    @Test func acceptsNonTokenBytesOnlyInValues() throws {
        let parts = try outcome("--b\r\nX-A!#$%&'*+-.^_`|~9: (\"@\\,;=?{} \t\u{1}\r\n\r\n\r\n--b--").get()
        #expect(parts.first?.headers.fields.first?.name == "X-A!#$%&'*+-.^_`|~9")
        #expect(parts.first?.headers.fields.first?.value == "(\"@\\,;=?{} \t\u{1}")
    }

    @Test func limitsAHeaderSectionTo16KiB() throws {
        // Section bytes: "X: " + value + CRLF, then the empty line's CRLF.
        func body(valueLength: Int) -> String { "--b\r\nX: \(String(repeating: "v", count: valueLength))\r\n\r\n\r\n--b--" }
        let fits = MultipartHeaderSection.maxBytes - 7
        var reader = MultipartFormReader(boundary: "b")
        #expect(throws: Never.self) { _ = try reader.feed(ByteBuffer(string: body(valueLength: fits))) }
        reader = MultipartFormReader(boundary: "b")
        #expect(throws: ReadError.headersTooLarge) { _ = try reader.feed(ByteBuffer(string: body(valueLength: fits + 1))) }
        // Per part: many parts with large headers are fine.
        let many = String(repeating: "--b\r\nX: \(String(repeating: "v", count: fits))\r\n\r\n\r\n", count: 3) + "--b--"
        reader = MultipartFormReader(boundary: "b")
        #expect(throws: Never.self) { _ = try reader.feed(ByteBuffer(string: many)) }
    }

    @Test func limitsThePreamble() {
        let preamble = String(repeating: "p", count: MultipartPreamble.maxBytes - 7) + "\r\n"
        var reader = MultipartFormReader(boundary: "b")
        #expect(throws: Never.self) { _ = try reader.feed(ByteBuffer(string: preamble + "--b--")) }
        reader = MultipartFormReader(boundary: "b")
        #expect(throws: ReadError.malformed) { _ = try reader.feed(ByteBuffer(string: "p" + preamble + "--b--")) }
    }

    /// After an error the reader stays failed: a caller that goes on feeding gets the error again.
    @Test func staysFailedAfterAnError() {
        var reader = MultipartFormReader(boundary: "b")
        #expect(throws: ReadError.malformed) { _ = try reader.feed(ByteBuffer(string: "--b\r\nbad header\r\n")) }
        #expect(throws: ReadError.malformed) { _ = try reader.feed(ByteBuffer(string: "\r\n--b--")) }
        #expect(throws: ReadError.malformed) { try reader.finish() }
    }

    /// A delimiter split across chunks: the bytes held back come out as body when it is not one.
    @Test func releasesHeldBackBytesThatWereBody() throws {
        var reader = MultipartFormReader(boundary: "bound")
        _ = try reader.feed(ByteBuffer(string: "--bound\r\n\r\nab\r\n--bo"))
        #expect(
            try reader.feed(ByteBuffer(string: "x\r\n--bound--")) == [
                .body(ByteBuffer(string: "\r\n--bo")), .body(ByteBuffer(string: "x")), .partEnd,
            ]
        )
        try reader.finish()
    }
}
