import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// File objects and list pages are written without JSONEncoder; they must come out byte for
/// byte as `JSONResponse.encoder` writes them, whatever a filename holds.
@Suite struct FileObjectJSONTests {
    /// Every ASCII byte (control characters, quotes, backslash, slash), and multi-byte UTF-8.
    static let alphabet: [Character] = (0..<128).map { Character(Unicode.Scalar(UInt8($0))) } + ["é", "ü", "😀", "\u{2028}", "中", "\u{7F}"]

    static func randomFile(_ generator: inout SplitMix64) -> FileObject {
        let length = Int(generator.next() % 40)
        let filename = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        let stored = StoredFile(
            id: "file-\(generator.next() % 1_000_000)",
            tenant: "shared",
            purpose: ["assistants", "batch", "user_data"][Int(generator.next() % 3)],
            filename: filename,
            bytes: Int64(bitPattern: generator.next()) >> Int64(generator.next() % 64),
            createdAt: Int64(generator.next() % 2_000_000_000),
            expiresAt: generator.next() % 2 == 0 ? nil : Int64(generator.next() % 2_000_000_000)
        )
        var file = FileObject(stored, status: generator.next() % 2 == 0 ? "processed" : "uploaded")
        if generator.next() % 3 == 0 { file.statusDetails = filename }
        return file
    }

    func written(_ write: (inout ByteBuffer) -> Void) -> [UInt8] {
        var buffer = ByteBuffer()
        write(&buffer)
        return Array(buffer.readableBytesView)
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func fileObjectsMatchJSONEncoder(seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let file = Self.randomFile(&generator)
            let expected = Array(try JSONResponse.encoder.encode(file))
            #expect(written(file.writeJSON) == expected, "\(String(decoding: expected, as: UTF8.self))")
        }
    }

    @Test(arguments: [0, 1, 2, 20])
    func listPagesMatchJSONEncoder(count: Int) throws {
        var generator = SplitMix64(seed: UInt64(count) + 100)
        for hasMore in [false, true] {
            let page = FileListObject(data: (0..<count).map { _ in Self.randomFile(&generator) }, hasMore: hasMore)
            #expect(written(page.writeJSON) == Array(try JSONResponse.encoder.encode(page)))
        }
    }

    @Test func theWrittenTextIsJSONThatReadsBackTheFilename() throws {
        var file = FileObject(
            StoredFile(id: "file-x", tenant: "t", purpose: "batch", filename: "", bytes: 1, createdAt: 2, expiresAt: nil),
            status: "processed"
        )
        file.filename = String(Self.alphabet)
        let object = try JSONSerialization.jsonObject(with: Data(written(file.writeJSON))) as? [String: Any]
        #expect(object?["filename"] as? String == file.filename)
        #expect(object?["expires_at"] is NSNull)
    }
}
