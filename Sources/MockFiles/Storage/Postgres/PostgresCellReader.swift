import PostgresNIO

/// Reads a row's cells in order, each with a type known where it is called. `PostgresRow.decode`
/// with a tuple type goes through variadic generics and looked up generic metadata for every
/// column: 10 % of a shared list page's CPU in the server (perf, bench/README.md "Rows 8–9: where a shared read's time goes").
struct PostgresCellReader {
    struct MissingColumn: Error {}

    private var cells: PostgresRow.Iterator
    private let binary: Bool

    /// `binary`: read every cell as binary, whatever the row says. postgres-nio's `PreparedQuery`
    /// (the future-based statements of `PostgresLoopConnection`) asks for binary results but labels
    /// its rows' columns text, as the statement's description gave them before any result format
    /// was chosen.
    init(_ row: PostgresRow, binary: Bool = false) {
        cells = row.makeIterator()
        self.binary = binary
    }

    mutating func next<Value: PostgresDecodable>(_: Value.Type = Value.self) throws -> Value {
        guard var cell = cells.next() else { throw MissingColumn() }
        if binary { cell.format = .binary }
        return try cell.decode(Value.self)
    }
}

extension PostgresMetadataStore {
    /// `columns` from the reader, the first (`seq`) already read.
    static func file(_ cells: inout PostgresCellReader, sequence: Int64) throws -> StoredFile {
        let id: String = try cells.next()
        let tenant: String = try cells.next()
        let purpose: String = try cells.next()
        let filename: String = try cells.next()
        let bytes: Int64 = try cells.next()
        let createdAt: Int64 = try cells.next()
        let expiresAt: Int64? = try cells.next()
        let processedAt: Int64? = try cells.next()
        let sha256: String? = try cells.next()
        let contentType: String? = try cells.next()
        return StoredFile(
            id: id,
            tenant: tenant,
            purpose: purpose,
            filename: filename,
            bytes: bytes,
            createdAt: createdAt,
            expiresAt: expiresAt,
            processedAtMilliseconds: processedAt,
            sequence: sequence,
            sha256: sha256,
            contentType: contentType
        )
    }

    /// `columns` from the reader, all NULL when a statement's outer join found no file: then nil.
    static func fileIfAny(_ cells: inout PostgresCellReader) throws -> StoredFile? {
        guard let sequence = try cells.next(Int64?.self) else { return nil }
        return try file(&cells, sequence: sequence)
    }
}
