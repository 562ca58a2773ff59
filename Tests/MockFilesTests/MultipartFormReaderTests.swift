import MultipartKit
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
        try readParts(bytes, boundary: boundary, chunkSizes: chunkSizes).map {
            Part(name: $0.headers.fieldName, filename: $0.headers.filename, body: $0.body)
        }
    }

    /// Contents that look like boundaries and line breaks, to stress the matcher; starting with
    /// bytes of 0x80 and more, which may not appear in header names but must pass in bodies.
    static let trickyContents: [UInt8] =
        Array((0...255).reversed().map { UInt8($0) }) + Array("\r\n--test-bound\r\n--\r\r\n-".utf8)
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

    /// Cut anywhere before the end of `--boundary--`: in the opening line, a header section, a
    /// body, a delimiter or its line. Only the CRLF after the closing line may be missing.
    @Test func refusesABodyCutBeforeTheClosingBoundary() throws {
        let form = sampleForm()
        let whole = form.finished()
        for cut in 1..<(whole.count - 2) {
            #expect(throws: MultipartFormReader.ReadError.truncated, "cut at \(cut)") {
                _ = try read(Array(whole.prefix(cut)), boundary: form.boundary) { 5 }
            }
        }
        #expect(try read(Array(whole.dropLast(2)), boundary: form.boundary) { 5 } == expectedParts(form))
    }

    @Test func refusesABodyWithoutTheBoundary() throws {
        #expect(throws: MultipartFormReader.ReadError.malformed) {
            _ = try read(Array("just some bytes".utf8), boundary: "nope") { 4 }
        }
    }

    /// Found by the fuzzer (when a preamble was refused): a preamble whose lines look like part
    /// headers made the reader pass the next real header unchecked, and MultipartKit trapped on its
    /// 0xBA byte. The preamble is now skipped, as RFC 2046 says; the real header with 0xBA in its
    /// name is still refused.
    static func preambleLikeHeaders(nameByte: UInt8) -> [UInt8] {
        Array("--X\0\0yZ123\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nuser_data\r\n--XyZ123\r\nContent-".utf8)
            + [nameByte] + Array("isposition: form-data; name=\"file\"\r\n\r\nx\r\n--XyZ123--\r\n".utf8)
    }

    @Test(arguments: [1, 5, 1000])
    func skipsAPreambleThatLooksLikeAPart(chunk: Int) throws {
        #expect(throws: MultipartFormReader.ReadError.malformed) {
            _ = try read(Self.preambleLikeHeaders(nameByte: 0xBA), boundary: "XyZ123") { chunk }
        }
        let parts = try read(Self.preambleLikeHeaders(nameByte: UInt8(ascii: "D")), boundary: "XyZ123") { chunk }
        #expect(parts == [Part(name: "file", filename: nil, body: Array("x".utf8))])
    }

    /// Found by the fuzzer: a header line ended by a bare LF. Header lines end at CRLF only (see
    /// `MultipartHeaderSection`), so this is refused, not read as a line end or a value byte.
    @Test(arguments: [1, 4, 1000])
    func followsThePartHeaderGrammarExactly(chunk: Int) throws {
        let body: [UInt8] =
            Array("--b\r\nContent-Disposition: x".utf8) + [0x90, 0x0A, 0x0D, 0x0A, 0xD3, 0xC3]
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

    /// A header name is a token: bytes of 0x80 and more are refused (MultipartKit 4.7.1 traps on them).
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

    /// MultipartKit's parser fed the whole body at once, as a reference: the reader, which has its
    /// own grammar and reads part bodies with memchr, must find the same parts.
    func referenceParts(_ bytes: [UInt8], boundary: String) throws -> [Part] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var headers = PartHeaders()
        var inBody = false
        func beginBody() {
            guard !inBody else { return }
            inBody = true
            parts.append(Part(name: headers.fieldName, filename: headers.filename, body: []))
            headers = PartHeaders()
        }
        parser.onHeader = { name, value in headers.append(name: name, value: value) }
        parser.onBody = { buffer in
            beginBody()
            parts[parts.count - 1].body += Array(buffer.readableBytesView)
        }
        parser.onPartComplete = {
            beginBody()
            inBody = false
        }
        try parser.execute(bytes)
        return parts
    }

    /// File contents made mostly of delimiter pieces: CR, LF, dashes, the boundary and its
    /// prefixes, so that near-misses of `CRLF--boundary` land everywhere, also across chunks.
    /// Pieces can join into the whole delimiter (a body no client would send, and the boundary
    /// is random per run): its last byte is then replaced by 0, which no delimiter contains.
    static func nearMissContents(boundary: String, count: Int, generator: inout SplitMix64) -> [UInt8] {
        let delimiter = Array("\r\n--\(boundary)".utf8)
        var contents: [UInt8] = []
        while contents.count < count {
            switch generator.next() % 6 {
            case 0: contents += delimiter.prefix(Int(generator.next() % UInt64(delimiter.count)))
            case 1: contents += [13]
            case 2: contents += [13, 10]
            case 3: contents += Array("--".utf8)
            case 4: contents += Array(boundary.utf8.prefix(Int(generator.next() % 4)))
            default: contents += (0..<Int(generator.next() % 40)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
        }
        for start in 0...(contents.count - delimiter.count) where contents[start..<(start + delimiter.count)].elementsEqual(delimiter) {
            contents[start + delimiter.count - 1] = 0
        }
        return contents
    }

    @Test(arguments: [11, 12, 13, 14, 15, 16, 17, 18])
    func findsThePartsMultipartKitFinds(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        var form = MultipartBody()
        form.field("purpose", "user_data")
        form.file(filename: "a.bin", contents: Self.nearMissContents(boundary: form.boundary, count: 20_000, generator: &generator))
        form.file("second", filename: "b.bin", contents: Self.nearMissContents(boundary: form.boundary, count: 3_000, generator: &generator))
        let bytes = form.finished()
        let expected = try referenceParts(bytes, boundary: form.boundary)
        #expect(expected.count == 3)
        #expect(try read(bytes, boundary: form.boundary) { Int.max } == expected)
        #expect(try read(bytes, boundary: form.boundary) { Int(generator.next() % 300) + 1 } == expected)
        #expect(try read(bytes, boundary: form.boundary) { Int(generator.next() % 8) + 1 } == expected)
    }

    /// A chunk may end anywhere in a delimiter, or in a near-miss of one.
    @Test func readsTheSameWhereverTheBodyIsSplit() throws {
        var form = MultipartBody()
        form.file(filename: "x", contents: Array("a\r\n-\r\n--\(form.boundary.dropLast())\r\r\n".utf8))
        form.field("purpose", "assistants")
        let bytes = form.finished()
        let expected = try referenceParts(bytes, boundary: form.boundary)
        for split in 1..<bytes.count {
            var sizes = [split, bytes.count].makeIterator()
            #expect(try read(bytes, boundary: form.boundary) { sizes.next()! } == expected, "split at \(split)")
        }
    }

    /// The point of reading bodies with memchr: a chunk inside a part body comes out as one event
    /// that shares the chunk's storage, whatever CRs it holds.
    @Test func handsOnAChunkOfBodyAsOneSliceOfIt() throws {
        var reader = MultipartFormReader(boundary: "b")
        let opening = try reader.feed(ByteBuffer(string: "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n"))
        #expect(opening.count == 1)
        var generator = SplitMix64(seed: 99)
        // Many CRs, never a CRLF: no delimiter.
        let chunk = ByteBuffer(bytes: (0..<65_536).map { _ in UInt8(truncatingIfNeeded: generator.next()) }.map { $0 == 10 ? 13 : $0 })
        let events = try reader.feed(chunk)
        #expect(events == [.body(chunk)])
        guard case .body(let body) = events.last else {
            Issue.record("expected a body event, got \(events)")
            return
        }
        let sharesStorage = body.withUnsafeReadableBytes { a in chunk.withUnsafeReadableBytes { b in a.baseAddress == b.baseAddress } }
        #expect(sharesStorage)
    }

    @Test func refusesBoundariesWithControlCharacters() {
        #expect(MultipartFormReader.isUsableBoundary("----WebKitFormBoundary7MA4YWxkTrZu0gW"))
        #expect(MultipartFormReader.isUsableBoundary(String(repeating: "a", count: 200)))
        #expect(!MultipartFormReader.isUsableBoundary(String(repeating: "a", count: 201)))
        #expect(!MultipartFormReader.isUsableBoundary(""))
        #expect(!MultipartFormReader.isUsableBoundary("a\rb"))
        #expect(!MultipartFormReader.isUsableBoundary("a\tb"))
    }
}
