import GRDB

extension SQLiteMetadataStore: UploadStore {
    public func insertUpload(_ upload: StoredUpload) async throws {
        try await database.write { db in try Self.insertUpload(db, upload) }
    }

    static func insertUpload(_ db: Database, _ upload: StoredUpload) throws {
        try db.execute(
            sql: """
                INSERT INTO uploads (id, tenant, filename, purpose, bytes, mime_type, created_at, expires_at, file_lifetime_seconds, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                upload.id, upload.tenant, upload.filename, upload.purpose, upload.bytes, upload.mimeType, upload.createdAt,
                upload.expiresAt, upload.fileLifetimeSeconds, upload.status.rawValue,
            ]
        )
    }

    public func upload(id: String, tenant: String) async throws -> StoredUpload? {
        try await database.read { db in try Self.upload(db, id: id, tenant: tenant) }
    }

    static func upload(_ db: Database, id: String, tenant: String) throws -> StoredUpload? {
        try Row.fetchOne(db, sql: "SELECT * FROM uploads WHERE id = ? AND tenant = ?", arguments: [id, tenant]).map(storedUpload)
    }

    public func pendingUploads() async throws -> [StoredUpload] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM uploads WHERE status = 'pending' ORDER BY seq").map(Self.storedUpload)
        }
    }

    public func uploads(tenant: String, limit: Int, before: (createdAt: Int64, id: String)?) async throws -> [StoredUpload] {
        try await database.read { db in
            let position = before.map { _ in "AND (created_at < ? OR (created_at = ? AND id < ?))" } ?? ""
            var arguments: StatementArguments = [tenant]
            if let before { arguments += [before.createdAt, before.createdAt, before.id] }
            arguments += [limit]
            let sql = "SELECT * FROM uploads WHERE tenant = ? \(position) ORDER BY created_at DESC, id DESC LIMIT ?"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.storedUpload)
        }
    }

    static func storedUpload(_ row: Row) -> StoredUpload {
        StoredUpload(
            id: row["id"],
            tenant: row["tenant"],
            filename: row["filename"],
            purpose: row["purpose"],
            bytes: row["bytes"],
            mimeType: row["mime_type"],
            createdAt: row["created_at"],
            expiresAt: row["expires_at"],
            fileLifetimeSeconds: row["file_lifetime_seconds"],
            status: StoredUpload.Status(rawValue: row["status"]) ?? .cancelled,
            fileID: row["file_id"]
        )
    }

    public func insertPart(_ part: StoredPart, tenant: String, now: Int64) async throws -> Bool {
        try await database.write { db in
            guard let upload = try Self.upload(db, id: part.uploadID, tenant: tenant), upload.isOpen(at: now) else { return false }
            let received =
                try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(bytes), 0) FROM upload_parts WHERE upload_id = ?", arguments: [upload.id]) ?? 0
            guard part.bytes <= upload.bytes - received else {
                throw PartExceedsUpload(declared: upload.bytes, received: received, partBytes: part.bytes)
            }
            try Self.insertPart(db, part)
            return true
        }
    }

    static func insertPart(_ db: Database, _ part: StoredPart) throws {
        try db.execute(
            sql: "INSERT INTO upload_parts (id, upload_id, bytes, created_at) VALUES (?, ?, ?, ?)",
            arguments: [part.id, part.uploadID, part.bytes, part.createdAt]
        )
    }

    public func parts(ofUpload uploadID: String) async throws -> [StoredPart] {
        try await database.read { db in try Self.parts(db, uploadID: uploadID) }
    }

    static func parts(_ db: Database, uploadID: String) throws -> [StoredPart] {
        try Row.fetchAll(db, sql: "SELECT id, upload_id, bytes, created_at FROM upload_parts WHERE upload_id = ? ORDER BY seq", arguments: [uploadID])
            .map { StoredPart(id: $0["id"], uploadID: $0["upload_id"], bytes: $0["bytes"], createdAt: $0["created_at"]) }
    }

    public func complete(uploadID: String, tenant: String, file: StoredFile, now: Int64) async throws -> (StoredFile, [StoredPart])? {
        try await database.write { db in
            guard let upload = try Self.upload(db, id: uploadID, tenant: tenant), upload.isOpen(at: now) else { return nil }
            let inserted = try Self.insertFile(db, file)
            let parts = try Self.parts(db, uploadID: upload.id)
            try db.execute(sql: "UPDATE uploads SET status = 'completed', file_id = ? WHERE id = ?", arguments: [file.id, upload.id])
            try db.execute(sql: "DELETE FROM upload_parts WHERE upload_id = ?", arguments: [upload.id])
            return (inserted, parts)
        }
    }

    public func cancel(uploadID: String, tenant: String, now: Int64) async throws -> [StoredPart]? {
        try await database.write { db in
            guard let upload = try Self.upload(db, id: uploadID, tenant: tenant), upload.isOpen(at: now) else { return nil }
            let parts = try Self.parts(db, uploadID: upload.id)
            try db.execute(sql: "UPDATE uploads SET status = 'cancelled' WHERE id = ?", arguments: [upload.id])
            try db.execute(sql: "DELETE FROM upload_parts WHERE upload_id = ?", arguments: [upload.id])
            return parts
        }
    }

    public func removeExpiredUploadParts(now: Int64, limit: Int) async throws -> [StoredPart] {
        try await database.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.seq, p.id, p.upload_id, p.bytes, p.created_at FROM upload_parts p JOIN uploads u ON u.id = p.upload_id
                    WHERE u.status = 'pending' AND u.expires_at <= ? ORDER BY p.seq LIMIT ?
                    """,
                arguments: [now, limit]
            )
            for row in rows {
                try db.execute(sql: "DELETE FROM upload_parts WHERE seq = ?", arguments: [row["seq"] as Int64])
            }
            return rows.map { StoredPart(id: $0["id"], uploadID: $0["upload_id"], bytes: $0["bytes"], createdAt: $0["created_at"]) }
        }
    }

    public func existingPartIDs(among ids: [String]) async throws -> Set<String> {
        try await existingIDs(among: ids, table: "upload_parts")
    }
}
