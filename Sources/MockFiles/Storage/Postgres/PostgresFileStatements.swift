import PostgresNIO

// The statements of the request path in shared mode, prepared once per connection: a query sent
// as text is parsed, analysed and planned again each time, which was 45 % of PostgreSQL's CPU
// for a file GET (perf, bench/README.md "Rows 8-9: where a shared read's time goes"). Each reads
// the controls' generation in its own snapshot too (`ControlsGenerationProbe`).

/// A file row by id and tenant, with the generation; one row always, the file's columns NULL
/// when there is no such file.
struct FileByIDStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT \(PostgresMetadataStore.generationColumn), found.* FROM (SELECT 1) AS one
        LEFT JOIN (SELECT \(PostgresMetadataStore.columns) FROM files WHERE id = $1 AND tenant = $2) AS found ON true
        """
    typealias Row = PostgresMetadataStore.ProbedFileRow

    var id: String
    var tenant: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(tenant)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The shape of a page's statement: its order, whether it keeps one purpose, whether it starts
/// after a file (found by id in the same statement, deleted files too, as `cursor(ofFileID:)`).
/// One type per shape, since a prepared statement's text is fixed.
protocol FilePageShape {
    static var order: FileListQuery.Order { get }
    static var byPurpose: Bool { get }
    static var afterFile: Bool { get }
}

enum NewestFirst: FilePageShape { static let (order, byPurpose, afterFile) = (FileListQuery.Order.desc, false, false) }
enum NewestFirstAfter: FilePageShape { static let (order, byPurpose, afterFile) = (FileListQuery.Order.desc, false, true) }
enum NewestOfPurpose: FilePageShape { static let (order, byPurpose, afterFile) = (FileListQuery.Order.desc, true, false) }
enum NewestOfPurposeAfter: FilePageShape { static let (order, byPurpose, afterFile) = (FileListQuery.Order.desc, true, true) }
enum OldestFirst: FilePageShape { static let (order, byPurpose, afterFile) = (FileListQuery.Order.asc, false, false) }
enum OldestFirstAfter: FilePageShape { static let (order, byPurpose, afterFile) = (FileListQuery.Order.asc, false, true) }
enum OldestOfPurpose: FilePageShape { static let (order, byPurpose, afterFile) = (FileListQuery.Order.asc, true, false) }
enum OldestOfPurposeAfter: FilePageShape { static let (order, byPurpose, afterFile) = (FileListQuery.Order.asc, true, true) }

/// A page of one tenant's files in list order (keyset on (created_at, seq), never OFFSET), with
/// the generation and, after a file, whether that file was found: rows of (generation, found,
/// file columns), one row of NULL columns when the page is empty.
struct FilePageStatement<Shape: FilePageShape>: PostgresPreparedStatement {
    static var sql: String {
        let direction = Shape.order == .asc ? "ASC" : "DESC"
        var conditions = ["f.tenant = $1", "(f.expires_at IS NULL OR f.expires_at > $2)"]
        if Shape.byPurpose { conditions.append("f.purpose = $4") }
        if Shape.afterFile { conditions.append("(f.created_at, f.seq) \(Shape.order == .asc ? ">" : "<") (p.created_at, p.seq)") }
        // The position of the `after` file, also when it was deleted a short while ago.
        let position = """
            SELECT created_at, seq FROM files WHERE id = $5 AND tenant = $1
            UNION ALL SELECT created_at, seq FROM file_tombstones WHERE id = $5 AND tenant = $1
            LIMIT 1
            """
        let columns = PostgresMetadataStore.columns.split(separator: ", ").map { "f.\($0)" }.joined(separator: ", ")
        return """
            WITH position AS (\(Shape.afterFile ? position : "SELECT NULL::BIGINT AS created_at, NULL::BIGINT AS seq WHERE false"))
            SELECT \(PostgresMetadataStore.generationColumn), EXISTS (SELECT 1 FROM position), page.* FROM (SELECT 1) AS one
            LEFT JOIN (
                SELECT \(columns) FROM files f\(Shape.afterFile ? ", position p" : "")
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY f.created_at \(direction), f.seq \(direction) LIMIT $3
            ) AS page ON true
            ORDER BY page.created_at \(direction), page.seq \(direction)
            """
    }
    typealias Row = (found: Bool, file: PostgresMetadataStore.ProbedFileRow)
    /// Every shape binds all five parameters, so their numbers are the same in each; typed here,
    /// since PostgreSQL cannot tell the type of one a shape leaves out.
    static var bindingDataTypes: [PostgresDataType] { [.text, .int8, .int8, .text, .text] }

    var query: FileListQuery
    var afterFileID: String?

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(query.tenant)
        bindings.append(query.now)
        bindings.append(Int64(query.limit))
        bindings.append(query.purpose)
        bindings.append(afterFileID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (generation, found, sequence, id, tenant, purpose, filename, bytes, createdAt, expiresAt, processedAt, sha256, contentType) =
            try row.decode((Int64?, Bool, Int64?, String?, String?, String?, String?, Int64?, Int64?, Int64?, Int64?, String?, String?).self)
        return (found, (generation, sequence, id, tenant, purpose, filename, bytes, createdAt, expiresAt, processedAt, sha256, contentType))
    }
}
