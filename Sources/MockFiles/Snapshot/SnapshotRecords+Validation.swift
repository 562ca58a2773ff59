/// An archive is untrusted input (it travels in bug reports): each record is checked with the rules
/// the API applies to the same values, and every stored value is kept inside the ranges the server's
/// arithmetic relies on (timestamps within the clock's range, sizes within the limits).
extension SnapshotFileRecord {
    func validate(limits: SnapshotStager.Limits) throws(APIError) {
        guard Purpose(rawValue: purpose) != nil else { throw .invalid("unknown purpose '\(purpose.prefix(64))'", param: "purpose") }
        try SnapshotStager.checkText(tenant, "tenant", allowEmpty: false)
        try SnapshotStager.checkText(filename, "filename", allowEmpty: true)
        if let contentType { try SnapshotStager.checkText(contentType, "content_type", allowEmpty: true) }
        guard (0...limits.maxBlobBytes).contains(bytes) else { throw .invalid("'bytes' is \(bytes)", param: "bytes") }
        try SnapshotStager.checkTimestamp(createdAt, "created_at")
        if let expiresAt { try SnapshotStager.checkTimestamp(expiresAt, "expires_at") }
        if let processedAtMilliseconds { try SnapshotStager.checkTimestamp(processedAtMilliseconds / 1000, "processed_at_ms") }
    }
}

extension SnapshotUploadRecord {
    /// The fields of `POST /v1/uploads` through `UploadService`'s own check, then what the server
    /// adds to an open Upload (times, parts).
    func validate(uploads: UploadService) throws(APIError) {
        guard let purpose = Purpose(rawValue: purpose) else { throw Purpose.notCreatable(self.purpose) }
        try SnapshotStager.checkText(tenant, "tenant", allowEmpty: false)
        try SnapshotStager.checkText(filename, "filename", allowEmpty: true)
        _ = try uploads.checkFields(
            filename: filename,
            purpose: purpose,
            bytes: bytes,
            mimeType: mimeType,
            fileLifetimeSeconds: fileLifetimeSeconds
        )
        try SnapshotStager.checkTimestamp(createdAt, "created_at")
        try SnapshotStager.checkTimestamp(expiresAt, "expires_at")
        var received: Int64 = 0
        for part in parts {
            guard (0...uploads.settings.maxPartBytes).contains(part.bytes) else {
                throw .invalid("part \(part.id) has \(part.bytes) bytes; a Part holds at most \(uploads.settings.maxPartBytes)", param: "parts")
            }
            try SnapshotStager.checkTimestamp(part.createdAt, "parts.created_at")
            received += part.bytes
        }
        guard received <= bytes else {
            throw .invalid("its parts hold \(received) bytes, more than the \(bytes) the Upload declares", param: "parts")
        }
    }
}

extension SnapshotStager {
    /// Longest text field a record may carry: the largest a multipart part's headers may be.
    static let maxTextBytes = 16 * 1024

    static func checkText(_ text: String, _ name: String, allowEmpty: Bool) throws(APIError) {
        guard allowEmpty || !text.isEmpty else { throw .invalid("'\(name)' is empty", param: name) }
        guard text.utf8.count <= maxTextBytes else { throw .invalid("'\(name)' is longer than \(maxTextBytes) bytes", param: name) }
    }

    static func checkTimestamp(_ value: Int64, _ name: String) throws(APIError) {
        guard ServiceClock.validRange.contains(Double(value)) else {
            throw .invalid(
                "'\(name)' must be Unix seconds between 0 and \(Int64(ServiceClock.validRange.upperBound)) (got \(value))",
                param: name
            )
        }
    }
}
