import Logging
import PostgresNIO

/// Uploads and parts. Where SQLite serialises every write, here concurrent transactions on
/// several instances meet at the upload's row, taken `FOR UPDATE` by adding a part, completing
/// and cancelling: a part is either in before the completion reads the parts, or sees the upload
/// no longer pending and is refused, and two parts of one upload add up what the parts hold one
/// after the other, so together they never pass the upload's `bytes`.
extension PostgresMetadataStore: UploadStore {
    static let uploadColumns = "id, tenant, filename, purpose, bytes, mime_type, created_at, expires_at, file_lifetime_seconds, status, file_id"
    typealias UploadRow = (String, String, String, String, Int64, String, Int64, Int64, Int64?, String, String?)

    static func storedUpload(_ row: UploadRow) -> StoredUpload {
        StoredUpload(
            id: row.0,
            tenant: row.1,
            filename: row.2,
            purpose: row.3,
            bytes: row.4,
            mimeType: row.5,
            createdAt: row.6,
            expiresAt: row.7,
            fileLifetimeSeconds: row.8,
            status: StoredUpload.Status(rawValue: row.9) ?? .cancelled,
            fileID: row.10
        )
    }

    public func insertUpload(_ upload: StoredUpload) async throws {
        try await client.withConnection { connection in try await Self.insertUpload(upload, on: connection, logger: logger) }
    }

    static func insertUpload(_ upload: StoredUpload, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO uploads (id, tenant, filename, purpose, bytes, mime_type, created_at, expires_at, file_lifetime_seconds, status)
            VALUES (\(upload.id), \(upload.tenant), \(upload.filename), \(upload.purpose), \(upload.bytes), \(upload.mimeType),
                    \(upload.createdAt), \(upload.expiresAt), \(upload.fileLifetimeSeconds), \(upload.status.rawValue))
            """,
            logger: logger
        )
    }

    public func upload(id: String, tenant: String) async throws -> StoredUpload? {
        try await client.withConnection { connection in try await Self.upload(id: id, tenant: tenant, lock: "", on: connection, logger: logger) }
    }

    /// The upload's row, locked as `lock` says (`FOR SHARE`, `FOR UPDATE`) inside a transaction.
    static func upload(id: String, tenant: String, lock: String, on connection: PostgresConnection, logger: Logger) async throws -> StoredUpload? {
        let rows = try await connection.query(
            "SELECT \(unescaped: uploadColumns) FROM uploads WHERE id = \(id) AND tenant = \(tenant) \(unescaped: lock)",
            logger: logger
        )
        for try await row in rows.decode(UploadRow.self) { return storedUpload(row) }
        return nil
    }

    public func pendingUploads() async throws -> [StoredUpload] {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.uploadColumns) FROM uploads WHERE status = 'pending' ORDER BY seq",
            logger: logger
        )
        var uploads: [StoredUpload] = []
        for try await row in rows.decode(UploadRow.self) { uploads.append(Self.storedUpload(row)) }
        return uploads
    }

    public func uploads(tenant: String, limit: Int, before: (createdAt: Int64, id: String)?) async throws -> [StoredUpload] {
        let createdAt = before?.createdAt ?? Int64.max
        let id = before?.id ?? ""
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.uploadColumns) FROM uploads
            WHERE tenant = \(tenant) AND (\(before == nil) OR created_at < \(createdAt) OR (created_at = \(createdAt) AND id < \(id)))
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """,
            logger: logger
        )
        var uploads: [StoredUpload] = []
        for try await row in rows.decode(UploadRow.self) { uploads.append(Self.storedUpload(row)) }
        return uploads
    }

    public func insertPart(_ part: StoredPart, tenant: String, now: Int64) async throws -> Bool {
        // The refusal is returned, not thrown, from the transaction: postgres-nio wraps an error
        // thrown there in `PostgresTransactionError`, which the service would not recognise.
        enum Outcome {
            case added
            case notOpen
            case exceeds(PartExceedsUpload)
        }
        let outcome: Outcome = try await client.withTransaction(logger: logger) { connection in
            guard let upload = try await Self.upload(id: part.uploadID, tenant: tenant, lock: "FOR UPDATE", on: connection, logger: logger),
                upload.isOpen(at: now)
            else { return .notOpen }
            let rows = try await connection.query(
                "SELECT COALESCE(SUM(bytes), 0)::BIGINT FROM upload_parts WHERE upload_id = \(upload.id)",
                logger: logger
            )
            var received: Int64 = 0
            for try await sum in rows.decode(Int64.self) { received = sum }
            guard part.bytes <= upload.bytes - received else {
                return .exceeds(PartExceedsUpload(declared: upload.bytes, received: received, partBytes: part.bytes))
            }
            try await Self.insertPart(part, on: connection, logger: logger)
            return .added
        }
        switch outcome {
        case .added: return true
        case .notOpen: return false
        case .exceeds(let exceeded): throw exceeded
        }
    }

    static func insertPart(_ part: StoredPart, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "INSERT INTO upload_parts (id, upload_id, bytes, created_at) VALUES (\(part.id), \(part.uploadID), \(part.bytes), \(part.createdAt))",
            logger: logger
        )
    }

    public func parts(ofUpload uploadID: String) async throws -> [StoredPart] {
        try await client.withConnection { connection in try await Self.parts(ofUpload: uploadID, on: connection, logger: logger) }
    }

    static func parts(ofUpload uploadID: String, on connection: PostgresConnection, logger: Logger) async throws -> [StoredPart] {
        try await Self.parts(
            connection.query(
                "SELECT id, upload_id, bytes, created_at FROM upload_parts WHERE upload_id = \(uploadID) ORDER BY seq",
                logger: logger
            )
        )
    }

    static func parts(_ rows: PostgresRowSequence) async throws -> [StoredPart] {
        var parts: [StoredPart] = []
        for try await (id, uploadID, bytes, createdAt) in rows.decode((String, String, Int64, Int64).self) {
            parts.append(StoredPart(id: id, uploadID: uploadID, bytes: bytes, createdAt: createdAt))
        }
        return parts
    }

    public func complete(uploadID: String, tenant: String, file: StoredFile, now: Int64) async throws -> (StoredFile, [StoredPart])? {
        try await client.withTransaction(logger: logger) { connection in
            guard let upload = try await Self.upload(id: uploadID, tenant: tenant, lock: "FOR UPDATE", on: connection, logger: logger),
                upload.isOpen(at: now)
            else { return nil }
            let inserted = try await Self.insert(file, on: connection, logger: logger)
            try await connection.query("UPDATE uploads SET status = 'completed', file_id = \(file.id) WHERE id = \(uploadID)", logger: logger)
            let parts = try await Self.removeParts(ofUpload: uploadID, on: connection, logger: logger)
            return (inserted, parts)
        }
    }

    public func cancel(uploadID: String, tenant: String, now: Int64) async throws -> [StoredPart]? {
        try await client.withTransaction(logger: logger) { connection in
            guard let upload = try await Self.upload(id: uploadID, tenant: tenant, lock: "FOR UPDATE", on: connection, logger: logger),
                upload.isOpen(at: now)
            else { return nil }
            try await connection.query("UPDATE uploads SET status = 'cancelled' WHERE id = \(uploadID)", logger: logger)
            return try await Self.removeParts(ofUpload: uploadID, on: connection, logger: logger)
        }
    }

    static func removeParts(ofUpload uploadID: String, on connection: PostgresConnection, logger: Logger) async throws -> [StoredPart] {
        try await parts(
            connection.query(
                "DELETE FROM upload_parts WHERE upload_id = \(uploadID) RETURNING id, upload_id, bytes, created_at",
                logger: logger
            )
        )
    }

    /// The parts of pending uploads past their expiry. `insertPart` refuses an expired upload under
    /// the row lock, so no part can arrive behind this sweep.
    public func removeExpiredUploadParts(now: Int64, limit: Int) async throws -> [StoredPart] {
        try await Self.parts(
            client.query(
                """
                DELETE FROM upload_parts WHERE seq IN (
                    SELECT p.seq FROM upload_parts p JOIN uploads u ON u.id = p.upload_id
                    WHERE u.status = 'pending' AND u.expires_at <= \(now) ORDER BY p.seq LIMIT \(Int64(limit))
                ) RETURNING id, upload_id, bytes, created_at
                """,
                logger: logger
            )
        )
    }

    public func existingPartIDs(among ids: [String]) async throws -> Set<String> {
        try await existingIDs(among: ids, table: "upload_parts")
    }
}
