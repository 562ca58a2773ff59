/// The one rule for the ids the server makes (`file-…`, `upload_…`, `part_…`): ASCII letters,
/// digits, `-` and `_`, at most 128 bytes. Only such an id ever names a blob or an S3 key
/// (docs/design.md, "Blobs are named by server ids"); the fast path leaves any other to the router.
enum ServerID {
    static let maxBytes = 128

    static func isWellFormed(_ id: String) -> Bool {
        isWellFormed(id.utf8)
    }

    static func isWellFormed(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.count <= maxBytes && bytes.allSatisfy(isIDByte)
    }

    static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
