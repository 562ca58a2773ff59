import NIOCore
import Testing

@testable import MockFiles

@Suite struct MultipartFormReaderTests {
    /// What the reader produced, with body bytes joined per part.
    struct Part: Equatable {
        var name: String?
        var filename: String?
        var body: [UInt8]
    }

    func read(_ bytes: [UInt8], boundary: String, chunkSizes: () -> Int) throws -> [Part] {
        let reader = MultipartFormReader(boundary: boundary)
        var parts: [Part] = []
        var offset = 0
        while offset < bytes.count {
            let size = min(max(1, chunkSizes()), bytes.count - offset)
            for event in try reader.feed(ByteBuffer(bytes: bytes[offset..<(offset + size)])) {
                switch event {
                case .partHeaders(let headers): parts.append(Part(name: headers.fieldName, filename: headers.filename, body: []))
                case .body(let buffer): parts[parts.count - 1].body += Array(buffer.readableBytesView)
                case .partEnd: break
                }
            }
            offset += size
        }
        try reader.finish()
        return parts
    }

    /// Contents that look like boundaries and line breaks, to stress the matcher; starting with
    /// bytes of 0x80 and more, which may not appear in header names but must pass in bodies.
    static let trickyContents: [UInt8] = Array((0...255).reversed().map { UInt8($0) }) + Array("\r\n--test-bound\r\n--\r\r\n-".utf8)
        + [13, 10, 45, 45] + [0xFF, 0x80, 13, 10, 0xBC]

    func sampleForm() -> MultipartBody {
        var form = MultipartBody()
        form.field("purpose", "batch")
        form.field("expires_after[seconds]", "3600")
        form.file(filename: "data.jsonl", contents: Self.trickyContents)
        form.field("empty", "")
        return form
    }

    func expectedParts(_ form: MultipartBody) -> [Part] {
        [
            Part(name: "purpose", filename: nil, body: Array("batch".utf8)),
            Part(name: "expires_after[seconds]", filename: nil, body: Array("3600".utf8)),
            Part(name: "file", filename: "data.jsonl", body: Self.trickyContents),
            Part(name: "empty", filename: nil, body: []),
        ]
    }

    @Test func readsAWholeBodyInOneChunk() throws {
        let form = sampleForm()
        let parts = try read(form.finished(), boundary: form.boundary) { Int.max }
        #expect(parts == expectedParts(form))
    }

    @Test func readsTheSameWhenFedOneByteAtATime() throws {
        let form = sampleForm()
        let parts = try read(form.finished(), boundary: form.boundary) { 1 }
        #expect(parts == expectedParts(form))
    }

    @Test(arguments: [1, 2, 3, 7, 1234])
    func readsTheSameWithRandomChunkSizes(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let form = sampleForm()
        let parts = try read(form.finished(), boundary: form.boundary) { Int(generator.next() % 40) + 1 }
        #expect(parts == expectedParts(form))
    }

    @Test func refusesABodyCutBeforeTheClosingBoundary() throws {
        let form = sampleForm()
        let whole = form.finished()
        for cut in [whole.count - 4, whole.count - 5, whole.count / 2, 10] {
            #expect(throws: MultipartFormReader.ReadError.truncated) {
                _ = try read(Array(whole.prefix(cut)), boundary: form.boundary) { 5 }
            }
        }
    }

    @Test func refusesABodyWithoutTheBoundary() throws {
        #expect(throws: MultipartFormReader.ReadError.malformed) {
            _ = try read(Array("just some bytes".utf8), boundary: "nope") { 4 }
        }
    }

    /// Found by the fuzzer: a preamble whose lines look like part headers made the reader pass
    /// the next real header unchecked, and MultipartKit trapped on its 0xBA byte.
    @Test(arguments: [1, 5, 1000])
    func refusesAPreambleBeforeTheFirstBoundary(chunk: Int) throws {
        let body: [UInt8] = Array("--X\0\0yZ123\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nuser_data\r\n--XyZ123\r\nContent-".utf8)
            + [0xBA] + Array("isposition: form-data; name=\"file\"\r\n\r\nx\r\n--XyZ123--\r\n".utf8)
        #expect(throws: MultipartFormReader.ReadError.malformed) {
            _ = try read(body, boundary: "XyZ123") { chunk }
        }
    }

    /// Found by the fuzzer: a header line ended by a bare LF. The parser only ends lines at CRLF,
    /// so the reader must not take the next CRLF for the end of the header section.
    @Test(arguments: [1, 4, 1000])
    func followsThePartHeaderGrammarExactly(chunk: Int) throws {
        let body: [UInt8] = Array("--b\r\nContent-Disposition: x".utf8) + [0x90, 0x0A, 0x0D, 0x0A, 0xD3, 0xC3]
            + Array(": v\r\n\r\nbody\r\n--b--\r\n".utf8)
        #expect(throws: MultipartFormReader.ReadError.malformed) {
            _ = try read(body, boundary: "b") { chunk }
        }
    }

    @Test func acceptsLeadingEmptyLines() throws {
        let parts = try read(Array("\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n".utf8), boundary: "b") { 2 }
        #expect(parts == [Part(name: "a", filename: nil, body: Array("1".utf8))])
    }

    @Test func refusesBrokenPartHeaders() throws {
        let body = Array("--b\r\nContent Disposition: form-data\r\n\r\nx\r\n--b--\r\n".utf8)
        #expect(throws: MultipartFormReader.ReadError.malformed) {
            _ = try read(body, boundary: "b") { Int.max }
        }
    }

    /// MultipartKit 4.7.1 traps on such a byte in a header name; the reader must refuse it first.
    @Test(arguments: [1, 3, 1000])
    func refusesNonASCIIHeaderNamesWithoutCrashing(chunk: Int) throws {
        let body: [UInt8] = Array("--b\r\n".utf8) + [0xBC] + Array("name: x\r\n\r\nabc\r\n--b--\r\n".utf8)
        #expect(throws: MultipartFormReader.ReadError.malformed) {
            _ = try read(body, boundary: "b") { chunk }
        }
    }

    @Test func acceptsNonASCIIHeaderValues() throws {
        let body = Array("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"résumé 😀.txt\"\r\n\r\nabc\r\n--b--\r\n".utf8)
        let parts = try read(body, boundary: "b") { 2 }
        #expect(parts == [Part(name: "file", filename: "résumé 😀.txt", body: Array("abc".utf8))])
    }

    @Test func refusesHugePartHeaders() throws {
        let header = "X-Pad: " + String(repeating: "a", count: 20_000)
        let body = Array("--b\r\n\(header)\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nx\r\n--b--\r\n".utf8)
        #expect(throws: MultipartFormReader.ReadError.headersTooLarge) {
            _ = try read(body, boundary: "b") { 1024 }
        }
    }
}
