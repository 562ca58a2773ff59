import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// The API's answers are written as the real service writes them: Python's
/// `json.dumps(value, indent=2, ensure_ascii=False)` and a newline. The expected texts below were
/// made with Python 3.11's `json` from the same values.
@Suite struct JSONWriterTests {
    static func file(filename: String = "a.txt", expiresAt: Int64? = nil) -> FileObject {
        FileObject(
            StoredFile(
                id: "file-2mRkT7Yq9cVbXw4NpL8sDe",
                tenant: "t",
                purpose: "assistants",
                filename: filename,
                bytes: 50,
                createdAt: 1_780_006_003,
                expiresAt: expiresAt
            ),
            status: "processed"
        )
    }

    static func text(_ object: some APIObject, layout: JSONWriter.Layout = .indented) -> String {
        String(buffer: object.jsonBody(layout: layout))
    }

    @Test func aFileInTheServiceKeyOrderWithEscapesAndRawUTF8() {
        let expected = """
            {
              "object": "file",
              "id": "file-2mRkT7Yq9cVbXw4NpL8sDe",
              "purpose": "assistants",
              "filename": "naïve \\"quote\\"\\\\\\n.txt",
              "bytes": 50,
              "created_at": 1780006003,
              "expires_at": null,
              "status": "processed",
              "status_details": null
            }

            """
        #expect(Self.text(Self.file(filename: "naïve \"quote\"\\\n.txt")) == expected)
    }

    @Test func anEmptyListPageKeepsEmptyBracketsAndNullIds() {
        let expected = """
            {
              "object": "list",
              "data": [],
              "has_more": false,
              "first_id": null,
              "last_id": null
            }

            """
        #expect(Self.text(FileListObject(data: [], hasMore: false)) == expected)
    }

    @Test func listItemsAreIndentedOneLevelDeeper() throws {
        let page = FileListObject(data: [Self.file(), Self.file(expiresAt: 7)], hasMore: true)
        let text = Self.text(page)
        #expect(text.hasPrefix("{\n  \"object\": \"list\",\n  \"data\": [\n    {\n      \"object\": \"file\",\n"))
        #expect(text.contains("      \"status_details\": null\n    },\n    {\n      \"object\": \"file\","))
        let id = "file-2mRkT7Yq9cVbXw4NpL8sDe"
        #expect(text.hasSuffix("    }\n  ],\n  \"has_more\": true,\n  \"first_id\": \"\(id)\",\n  \"last_id\": \"\(id)\"\n}\n"))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect((object?["data"] as? [[String: Any]])?.last?["expires_at"] as? Int == 7)
    }

    /// 224 bytes, the `Content-Length` of the service's 404 in FilesTests (2026-05-28).
    @Test func anErrorHasItsDetailAndTheServiceKeyOrder() {
        let body = String(buffer: APIError.fileNotFound("fake_id").envelopeBody())
        let expected = """
            {
              "error": {
                "message": "No such File object: fake_id",
                "type": "invalid_request_error",
                "param": "id",
                "code": null
              },
              "detail": {
                "message": "No such File object: fake_id",
                "code": null
              }
            }

            """
        #expect(body == expected)
        #expect(body.utf8.count == 224)
    }

    @Test func aCompletedUploadEndsWithItsFileAndAPendingOneHasNoFileKey() throws {
        let stored = StoredUpload(
            id: "upload_68cb2a7db1008191a9fc811a39b4a95b",
            tenant: "t",
            filename: "u.jsonl",
            purpose: "fine-tune",
            bytes: 8,
            mimeType: "text/jsonl",
            createdAt: 1_758_145_149,
            expiresAt: 1_758_148_749,
            fileLifetimeSeconds: nil,
            status: .pending
        )
        let pending = Self.text(UploadObject(stored, status: "pending"))
        #expect(!pending.contains("\"file\""))
        #expect(pending.hasSuffix("  \"status\": \"pending\",\n  \"expires_at\": 1758148749\n}\n"))
        var file = Self.file(filename: "u.jsonl")
        (file.id, file.purpose, file.bytes, file.createdAt) = ("file-A", "fine-tune", 8, 1_758_145_149)
        let expected = """
            {
              "id": "upload_68cb2a7db1008191a9fc811a39b4a95b",
              "object": "upload",
              "bytes": 8,
              "created_at": 1758145149,
              "filename": "u.jsonl",
              "purpose": "fine-tune",
              "status": "completed",
              "expires_at": 1758148749,
              "file": {
                "object": "file",
                "id": "file-A",
                "purpose": "fine-tune",
                "filename": "u.jsonl",
                "bytes": 8,
                "created_at": 1758145149,
                "expires_at": null,
                "status": "processed",
                "status_details": null
              }
            }

            """
        #expect(Self.text(UploadObject(stored, status: "completed", file: file)) == expected)
    }

    @Test func theCompactLayoutHasNoWhitespaceAndNoFinalNewline() {
        var json = JSONWriter(layout: .compact)
        json.beginObject()
        json.key("a")
        json.beginArray()
        json.number(1)
        json.beginObject()
        json.key("b")
        json.beginArray()
        json.endArray()
        json.endObject()
        json.beginObject()
        json.endObject()
        json.endArray()
        json.endObject()
        #expect(String(buffer: json.finish()) == #"{"a":[1,{"b":[]},{}]}"#)
    }

    /// Every ASCII byte (control characters, quotes, backslash, slash), and multi-byte UTF-8.
    static let alphabet: [Character] = (0..<128).map { Character(Unicode.Scalar(UInt8($0))) } + ["é", "ü", "😀", "\u{2028}", "中", "\u{7F}"]

    @Test(arguments: [1, 2, 3])
    func anyFilenameReadsBack(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let length = Int(generator.next() % 40)
            let filename = String((0..<length).map { _ in Self.alphabet[Int(generator.next() % UInt64(Self.alphabet.count))] })
            let body = Self.text(Self.file(filename: filename))
            let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect(object?["filename"] as? String == filename)
            #expect(object?["expires_at"] is NSNull)
        }
    }
}

/// The layout of a batch's result lines (Python's default `json.dumps`), Python's float text and
/// raw values. The expected texts were made with Python 3.11's `json` from the same values.
@Suite struct JSONWriterSpacedLayoutTests {
    @Test func theSpacedLayoutIsPythonsDefaultDumpsOnOneLine() {
        var json = JSONWriter(layout: .spaced)
        json.beginObject()
        json.field("a", 1 as Int64)
        json.key("b")
        json.beginArray()
        json.number(1 as Int64)
        json.number(2 as Int64)
        json.string("x")
        json.endArray()
        json.key("c")
        json.beginObject()
        json.endObject()
        json.key("d")
        json.beginArray()
        json.endArray()
        json.key("e")
        json.beginObject()
        json.dynamicKey("x")
        json.null()
        json.field("y", true)
        json.endObject()
        json.field("f", "é\n")
        json.endObject()
        #expect(String(buffer: json.finish()) == #"{"a": 1, "b": [1, 2, "x"], "c": {}, "d": [], "e": {"x": null, "y": true}, "f": "é\n"}"#)
    }

    @Test func floatsAreWrittenAsPythonsReprWritesThem() {
        let values: [Double] = [
            0.0123, -1e-05, 1e16, 9_999_999_999_999_998.0, 1_234_567_890_123_456.0, 0.0001, 0.00012, 1.5e-05, .leastNonzeroMagnitude,
            1.7976931348623157e+308, -0.0, 0.0, 100.0, 123456.789, 0.1, 0.30000000000000004, 1e22, -2.5e-07,
            Double(Float(0.1)), 1e100, 1.0,
        ]
        var json = JSONWriter(layout: .spaced)
        json.beginArray()
        for value in values { json.double(value) }
        json.endArray()
        let python = """
            [0.0123, -1e-05, 1e+16, 9999999999999998.0, 1234567890123456.0, 0.0001, 0.00012, 1.5e-05, 5e-324, \
            1.7976931348623157e+308, -0.0, 0.0, 100.0, 123456.789, 0.1, 0.30000000000000004, 1e+22, -2.5e-07, \
            0.10000000149011612, 1e+100, 1.0]
            """
        #expect(String(buffer: json.finish()) == python)
        #expect(JSONWriter.pythonText(of: .nan) == "NaN")
        #expect(JSONWriter.pythonText(of: -.infinity) == "-Infinity")
    }

    /// The writer works on `description`'s bytes in place; this oracle is its first version, which
    /// split and joined strings, checked against Python by the test above.
    @Test func floatsMatchTheStringBuiltReprOnManyValues() {
        func oracle(_ value: Double) -> String {
            guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-Infinity" : "Infinity") }
            let parts = value.magnitude.description.split(separator: "e")
            let mantissa = parts[0].split(separator: ".", omittingEmptySubsequences: false)
            var digits = Array(mantissa[0]) + (mantissa.count > 1 ? Array(mantissa[1]) : [])
            var point = mantissa[0].count + (parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
            while digits.count > 1, digits.first == "0" {
                digits.removeFirst()
                point -= 1
            }
            while digits.count > 1, digits.last == "0" { digits.removeLast() }
            let sign = value.sign == .minus ? "-" : ""
            if digits == ["0"] { return sign + "0.0" }
            let exponent = point - 1
            let text = String(digits)
            guard (-4..<16).contains(exponent) else {
                let magnitude = String(abs(exponent))
                return sign + String(digits[0]) + (digits.count > 1 ? "." + text.dropFirst() : "") + (exponent < 0 ? "e-" : "e+")
                    + (magnitude.count < 2 ? "0" : "") + magnitude
            }
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + text }
            if point >= digits.count { return sign + text + String(repeating: "0", count: point - digits.count) + ".0" }
            return sign + String(digits[..<point]) + "." + String(digits[point...])
        }
        var random = SplitMix64(seed: 33)
        var values: [Double] = [1e15, 1e-4, 9.999e-5, 1e-300, -5e-324, 1e308, .infinity, .nan, 0x1p53, 0x1p-1074]
        for _ in 0..<20_000 {
            let bits = random.next()
            values.append(Double(bitPattern: bits))
            values.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
            values.append(Double(Float(Double(bits >> 11) * 0x1p-53 - 0.5) / 16))
            values.append(Double(Int64(bits % 2_000_001) - 1_000_000) * [1e-12, 1e-6, 1, 1e6, 1e12][Int(bits >> 60) % 5])
        }
        for value in values {
            #expect(JSONWriter.pythonText(of: value) == oracle(value), "\(value.bitPattern)")
        }
    }

    @Test func rawValuesAreEmbeddedAsTheyAreWithTheLayoutsSeparators() {
        var inner = JSONWriter(layout: .spaced)
        inner.beginObject()
        inner.field("k", "v")
        inner.endObject()
        let innerBytes = Array(inner.finish().readableBytesView)
        var json = JSONWriter(layout: .spaced)
        json.beginObject()
        json.field("id", "x")
        json.key("body")
        json.raw(innerBytes)
        json.key("list")
        json.beginArray()
        json.raw(innerBytes)
        json.raw(ByteBuffer(bytes: innerBytes))
        json.endArray()
        json.endObject()
        #expect(String(buffer: json.finish()) == #"{"id": "x", "body": {"k": "v"}, "list": [{"k": "v"}, {"k": "v"}]}"#)
    }

    @Test func theExistingLayoutsAreUnchanged() {
        for (layout, expected) in [
            (JSONWriter.Layout.compact, #"{"a":[1,2],"b":{}}"#), (.indentedWithoutNewline, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}"),
        ] {
            var json = JSONWriter(layout: layout)
            json.beginObject()
            json.key("a")
            json.beginArray()
            json.number(1 as Int64)
            json.number(2 as Int64)
            json.endArray()
            json.key("b")
            json.beginObject()
            json.endObject()
            json.endObject()
            #expect(String(buffer: json.finish()) == expected)
        }
    }
}
