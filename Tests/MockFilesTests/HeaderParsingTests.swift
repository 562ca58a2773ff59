import NIOCore
import Testing

@testable import MockFiles

@Suite struct ByteRangeTests {
    @Test func resolvesTheCommonForms() {
        #expect(ByteRange(header: "bytes=10-19", size: 100) == .satisfiable(10..<20))
        #expect(ByteRange(header: "bytes=90-", size: 100) == .satisfiable(90..<100))
        #expect(ByteRange(header: "bytes=-5", size: 100) == .satisfiable(95..<100))
        #expect(ByteRange(header: "bytes=-500", size: 100) == .satisfiable(0..<100))
        #expect(ByteRange(header: "bytes=50-5000", size: 100) == .satisfiable(50..<100))
    }

    @Test func startsPastTheEndAreUnsatisfiable() {
        #expect(ByteRange(header: "bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=100-200", size: 100) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-1", size: 0) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-0", size: 10) == .unsatisfiable)
    }

    @Test func oddFormsAreIgnored() {
        for header in ["bytes=5-1", "items=0-1", "bytes=0-1,5-6", "bytes=a-b", "bytes=-", "bytes=99999999999999999999-", ""] {
            #expect(ByteRange(header: header, size: 100) == .ignored, "\(header)")
        }
    }
}

@Suite struct ContentDispositionTests {
    @Test func parsesMultipartDispositions() {
        let header = ParameterizedHeader(parsing: #"form-data; name="file"; filename="a \"quoted\"; name.txt""#)
        #expect(header.type == "form-data")
        #expect(header.parameters["name"] == "file")
        #expect(header.parameters["filename"] == #"a "quoted"; name.txt"#)
    }

    @Test func prefersTheExtendedFilename() {
        var headers = PartHeaders()
        headers.append(name: "Content-Disposition", value: #"form-data; name="file"; filename="fallback.txt"; filename*=UTF-8''%E2%9C%93%20ok.txt"#)
        #expect(headers.filename == "✓ ok.txt")
        #expect(headers.fieldName == "file")
    }

    /// The byte-wise parse of ASCII headers answers what the `Character` walk answers.
    @Test func theASCIIParseMatchesTheCharacterParse() throws {
        var headers = [
            "", ";", "=", "form-data", " Form-Data ; NAME = \"file\" ;\tfilename=\"a;b.txt\"\t", "form-data; name=file; name=second",
            #"form-data; name="a \"q\"; x"; filename="c:\\dir\\f.txt""#, #"x; a="unterminated; b=2"#, "x; =v; a=; b", "x; a=\"\"",
            "x; a=\"\\\"", "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", "x;a=1;;b=2", "x; a=\"l\r\n\";b=\r\n",
            "x; filename*=UTF-8''%E2%9C%93.txt",
        ]
        var generator = SplitMix64(seed: 31)
        let alphabet = Array(" \t;;==\"\"\\\\aAbZ\r\n".utf8)
        for _ in 0..<2_000 {
            let length = Int(generator.next() % 24)
            headers.append(String(decoding: (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }, as: UTF8.self))
        }
        for header in headers {
            let ascii = try #require(ParameterizedHeader.parsingASCII(header), "\(header.debugDescription) is ASCII")
            #expect(ascii == ParameterizedHeader.parsingCharacters(header), "\(header.debugDescription)")
        }
        #expect(ParameterizedHeader.parsingASCII("form-data; filename=\"✓.txt\"") == nil, "not ASCII: the Character walk parses it")
        #expect(ParameterizedHeader(parsing: "form-data; filename=\"✓.txt\"").parameters["filename"] == "✓.txt")
    }

    @Test func plainNamesStayPlain() {
        #expect(ContentDisposition.attachment(filename: "data.jsonl") == #"attachment; filename="data.jsonl""#)
    }

    @Test func unsafeCharactersNeverReachTheHeaderRaw() {
        let header = ContentDisposition.attachment(filename: "a\"b\r\nSet-Cookie: x\\😀.txt")
        #expect(!header.contains("\r") && !header.contains("\n"))
        #expect(header.hasPrefix(#"attachment; filename="a_b__Set-Cookie: x__.txt"; filename*=UTF-8''"#))
        #expect(header.hasSuffix("a%22b%0D%0ASet-Cookie%3A%20x%5C%F0%9F%98%80.txt"))
        #expect(header.unicodeScalars.allSatisfy { $0.isASCII })
    }
}

@Suite struct ListParametersTests {
    @Test func defaultsMatchTheRealService() throws {
        let parameters = try FileListParameters(query: [:])
        #expect(parameters == FileListParameters(purpose: nil, limit: 10_000, order: .desc, after: nil))
    }

    @Test func badValuesNameTheirParameter() {
        let cases: [([String: String], String)] = [
            (["limit": "0"], "limit"), (["limit": "10001"], "limit"), (["limit": "ten"], "limit"),
            (["order": "sideways"], "order"),
        ]
        for (query, param) in cases {
            #expect(performing: { try FileListParameters(query: query) }, throws: { error in (error as? APIError)?.param == param })
        }
    }
}

@Suite struct ExpiryPolicyTests {
    @Test func batchDefaultsToThirtyDaysOthersNever() throws {
        #expect(try ExpiryPolicy.lifetime(anchor: nil, seconds: nil, purpose: .batch) == 2_592_000)
        #expect(try ExpiryPolicy.lifetime(anchor: nil, seconds: nil, purpose: .userData) == nil)
    }

    @Test func acceptsTheDocumentedRange() throws {
        #expect(try ExpiryPolicy.lifetime(anchor: "created_at", seconds: "3600", purpose: .assistants) == 3600)
        #expect(try ExpiryPolicy.lifetime(anchor: "created_at", seconds: "2592000", purpose: .batch) == 2_592_000)
    }

    @Test func refusesOutOfRangeAndPartialPolicies() {
        let cases: [(String?, String?, String)] = [
            ("created_at", "3599", "expires_after[seconds]"), ("created_at", "2592001", "expires_after[seconds]"),
            ("created_at", "soon", "expires_after[seconds]"), ("updated_at", "3600", "expires_after[anchor]"),
            (nil, "3600", "expires_after[anchor]"), ("created_at", nil, "expires_after[seconds]"),
        ]
        for (anchor, seconds, param) in cases {
            #expect(
                performing: { try ExpiryPolicy.lifetime(anchor: anchor, seconds: seconds, purpose: .batch) },
                throws: { error in (error as? APIError)?.param == param }
            )
        }
    }
}

@Suite struct JSONLValidatorTests {
    func validate(_ text: String, chunk: Int) throws {
        var validator = JSONLValidator(maxLineBytes: 64)
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            try validator.feed(.init(bytes: bytes[start..<min(start + chunk, bytes.count)]))
        }
        try validator.finish()
    }

    @Test(arguments: [1, 3, 1000])
    func acceptsObjectLinesAndBlankLines(chunk: Int) throws {
        try validate("{\"a\":1}\n\n{\"b\":[1,2]}\r\n  \n{}", chunk: chunk)
    }

    @Test(arguments: [1, 4, 1000])
    func namesTheFirstBadLine(chunk: Int) {
        #expect(throws: JSONLValidator.Failure.notAnObject(line: 3, start: "[1]")) { try validate("{}\n{}\n[1]\n{}", chunk: chunk) }
        #expect(throws: JSONLValidator.Failure.notAnObject(line: 2, start: "{\"a\"")) { try validate("{}\n{\"a\":", chunk: chunk) }
    }

    /// The real service quotes a bad line's first four characters: a line behind a byte-order
    /// mark shows as `{"p` (the mark is invisible), bytes that are not UTF-8 as Python's bytes repr.
    @Test func quotesTheStartOfABadLineAsTheRealService() {
        #expect(throws: JSONLValidator.Failure.notAnObject(line: 1, start: "\u{FEFF}{\"p")) {
            try validate("\u{FEFF}{\"prompt\": \"a\"}", chunk: 1000)
        }
        let notUTF8: [UInt8] = [0xB0, 0xB2, 0xD7, 0xB0, 0x27, 0x5C]
        #expect(JSONLValidator.hint(notUTF8) == #"b'\xb0\xb2\xd7\xb0'"#)
        #expect(JSONLValidator.hint([0x27, 0x5C, 0x0A, 0xFF]) == #"b'\'\\\n\xff'"#)
        #expect(JSONLValidator.hint(Array("ab".utf8)) == "ab")
    }

    @Test func boundsTheLineLength() {
        #expect(throws: JSONLValidator.Failure.lineTooLong(line: 2, limit: 64)) {
            try validate("{}\n{\"a\":\"\(String(repeating: "x", count: 100))\"}", chunk: 7)
        }
    }
}
