import PostgresNIO

// The statements of the request path in shared mode, prepared once per connection: a query sent
// as text is parsed, analysed and planned again each time, which was 45 % of PostgreSQL's CPU
// for a file GET (perf, bench/README.md "Rows 8–9: where a shared read's time goes"). Each reads
// the controls' generation in its own snapshot too (`ControlsGenerationProbe`).

/// A file row by id and tenant, with the generation; one row always, the file's columns NULL
/// when there is no such file.
struct FileByIDStatement: PostgresPreparedStatement {
    static let name = "file_by_id"
    static let sql = """
        SELECT \(PostgresMetadataStore.generationColumn), found.* FROM (SELECT 1) AS one
        LEFT JOIN (SELECT \(PostgresMetadataStore.columns) FROM files WHERE id = $1 AND tenant = $2) AS found ON true
        """
    /// The generation, and the file if there is one.
    typealias Row = (Int64?, StoredFile?)

    var id: String
    var tenant: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(id)
        bindings.append(tenant)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        var cells = PostgresCellReader(row)
        return (try cells.next(), try PostgresMetadataStore.fileIfAny(&cells))
    }
}

/// The shape of a page's statement: its order, whether it keeps one purpose, whether it starts
/// after a file (found by id in the same statement, deleted files too, as `cursor(ofFileID:)`).
/// One type per shape, since a prepared statement's name and text are fixed; each made once
/// (postgres-nio reads them at every execution).
protocol FilePageShape {
    static var statement: (name: String, sql: String) { get }
}

enum NewestFirst: FilePageShape { static let statement = FilePageStatements.make(.desc, byPurpose: false, afterFile: false) }
enum NewestFirstAfter: FilePageShape { static let statement = FilePageStatements.make(.desc, byPurpose: false, afterFile: true) }
enum NewestOfPurpose: FilePageShape { static let statement = FilePageStatements.make(.desc, byPurpose: true, afterFile: false) }
enum NewestOfPurposeAfter: FilePageShape { static let statement = FilePageStatements.make(.desc, byPurpose: true, afterFile: true) }
enum OldestFirst: FilePageShape { static let statement = FilePageStatements.make(.asc, byPurpose: false, afterFile: false) }
enum OldestFirstAfter: FilePageShape { static let statement = FilePageStatements.make(.asc, byPurpose: false, afterFile: true) }
enum OldestOfPurpose: FilePageShape { static let statement = FilePageStatements.make(.asc, byPurpose: true, afterFile: false) }
enum OldestOfPurposeAfter: FilePageShape { static let statement = FilePageStatements.make(.asc, byPurpose: true, afterFile: true) }

/// The name and text of each shape's statement.
enum FilePageStatements {
    static func make(_ order: FileListQuery.Order, byPurpose: Bool, afterFile: Bool) -> (name: String, sql: String) {
        let name = "files_page_\(order.rawValue)\(byPurpose ? "_of_purpose" : "")\(afterFile ? "_after_file" : "")"
        let direction = order == .asc ? "ASC" : "DESC"
        var conditions = ["f.tenant = $1", "(f.expires_at IS NULL OR f.expires_at > $2)"]
        if byPurpose { conditions.append("f.purpose = $4") }
        if afterFile { conditions.append("(f.created_at, f.seq) \(order == .asc ? ">" : "<") (p.created_at, p.seq)") }
        // The position of the `after` file, also when it was deleted a short while ago.
        let position = """
            SELECT created_at, seq FROM files WHERE id = $5 AND tenant = $1
            UNION ALL SELECT created_at, seq FROM file_tombstones WHERE id = $5 AND tenant = $1
            LIMIT 1
            """
        let columns = PostgresMetadataStore.columns.split(separator: ", ").map { "f.\($0)" }.joined(separator: ", ")
        // `typed` names every parameter with its type, also those this shape leaves out, so the
        // statement prepares from its text alone (`PostgresLoopConnection` has no way to give
        // types); PostgreSQL never evaluates a CTE nothing reads.
        let sql = """
            WITH typed AS (SELECT $1::TEXT, $2::BIGINT, $3::BIGINT, $4::TEXT, $5::TEXT),
            position AS (\(afterFile ? position : "SELECT NULL::BIGINT AS created_at, NULL::BIGINT AS seq WHERE false"))
            SELECT \(PostgresMetadataStore.generationColumn), EXISTS (SELECT 1 FROM position), page.* FROM (SELECT 1) AS one
            LEFT JOIN (
                SELECT \(columns) FROM files f\(afterFile ? ", position p" : "")
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY f.created_at \(direction), f.seq \(direction) LIMIT $3
            ) AS page ON true
            ORDER BY page.created_at \(direction), page.seq \(direction)
            """
        return (name, sql)
    }
}

/// A page of one tenant's files in list order (keyset on (created_at, seq), never OFFSET), with
/// the generation and, after a file, whether that file was found: rows of (generation, found,
/// file columns), one row of NULL columns when the page is empty.
struct FilePageStatement<Shape: FilePageShape>: PostgresPreparedStatement {
    static var name: String { Shape.statement.name }
    static var sql: String { Shape.statement.sql }
    /// The generation, whether the `after` file was found, and a file of the page if any.
    typealias Row = (Int64?, Bool, StoredFile?)
    // Every shape binds all five parameters, so their numbers are the same in each (typed in
    // the statement's text, `FilePageStatements.make`).

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
        var cells = PostgresCellReader(row)
        return (try cells.next(), try cells.next(), try PostgresMetadataStore.fileIfAny(&cells))
    }
}
