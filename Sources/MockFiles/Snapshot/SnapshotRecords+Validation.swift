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

extension SnapshotBatchRecord {
    /// What `POST /v1/batches` accepts, then what the server adds (times within the clock's
    /// range, stage lengths within a day as `batchTimings` allows, a plan its input could have
    /// made), so that `BatchLifecycle`'s arithmetic on the row stays in range. The ids it names
    /// are checked against the whole archive at its end (`SnapshotStager.checkBatchReferences`).
    /// `rules` is kept as the text stored (the record's size bounds it); it is read when results are made.
    func validate() throws(APIError) {
        guard Self.isBatchID(id) else { throw .invalid("'\(id.prefix(64))' is not a batch id (batch_ and 32 hex digits)", param: "id") }
        try SnapshotStager.checkText(tenant, "tenant", allowEmpty: false)
        guard BatchService.endpoints.contains(endpoint) else { throw .notOneOf(endpoint, BatchService.endpoints, param: "endpoint") }
        guard completionWindow == "24h" else { throw .notOneOf(completionWindow, ["24h"], param: "completion_window") }
        for id in [inputFileID, outputFileID, errorFileID].compactMap({ $0 }) {
            guard id.hasPrefix("file-"), ServerID.isWellFormed(id) else {
                throw .invalid("'\(id.prefix(64))' is not a file id", param: "input_file_id")
            }
        }
        guard resultsMade || (outputFileID == nil && errorFileID == nil) else {
            throw .invalid("it names result files but its results are not made", param: "results_made")
        }
        if let metadata {
            guard metadata.count <= 16 else { throw .invalid("'metadata' has \(metadata.count) pairs; at most 16", param: "metadata") }
            guard Set(metadata.map(\.key)).count == metadata.count else { throw .invalid("'metadata' repeats a key", param: "metadata") }
            for pair in metadata where pair.key.count > 64 || pair.value.count > 512 {
                throw .invalid("'metadata.\(pair.key.prefix(64))': keys hold at most 64 characters, values 512", param: "metadata")
            }
        }
        if let outputLifetimeSeconds { _ = try ExpiryPolicy.checked(seconds: outputLifetimeSeconds, param: "output_lifetime_seconds") }
        try SnapshotStager.checkTimestamp(createdAtMilliseconds.floorDivided(by: 1000), "created_at_ms")
        if let cancelRequestedAtMilliseconds {
            try SnapshotStager.checkTimestamp(cancelRequestedAtMilliseconds.floorDivided(by: 1000), "cancel_requested_at_ms")
        }
        let stages = [
            schedule.validatingMilliseconds, schedule.millisecondsPerLine, schedule.finalizingMilliseconds, schedule.cancellingMilliseconds,
        ]
        guard stages.allSatisfy({ (0...86_400_000).contains($0) }) else {
            throw .invalid("each stage of 'schedule' lasts 0 to 86400000 milliseconds", param: "schedule")
        }
        try validateRuleSchedule()
        try validatePlan()
        let tokens = [usage.inputTokens, usage.outputTokens, usage.cachedTokens, usage.reasoningTokens]
        guard tokens.allSatisfy({ $0 >= 0 }) else { throw .invalid("'usage' counts are never negative", param: "usage") }
        guard !resultsMade || BatchLifecycle.settlement(of: storedBatch) != nil else {
            throw .invalid("its results are made, but a batch in its state makes none", param: "results_made")
        }
        // Its size and digest are checked against the `inputs/` entry's when it claims them.
        guard inputBlob == nil || readsInputAgain else {
            throw .invalid("it carries its input's bytes but never reads them again", param: "input_blob")
        }
    }

    /// What batch rules add to a schedule: line delays (ascending lines, running totals that
    /// grow by at most a day a line), and a count to expire or cancel after (one of them).
    private func validateRuleSchedule() throws(APIError) {
        var previous = (line: Int64(-1), total: Int64(0))
        for delay in schedule.lineDelays ?? [] {
            guard delay.line > previous.line, delay.line < Int64(BatchInputReader.Limits.service.maxLines),
                delay.totalMilliseconds > previous.total, delay.totalMilliseconds - previous.total <= BatchRule.maxMilliseconds
            else { throw .invalid("'schedule.lineDelays' must ascend, each a line's delay of up to a day added", param: "schedule") }
            previous = (delay.line, delay.totalMilliseconds)
        }
        for count in [schedule.expireAfterLines, schedule.cancelAfterLines].compactMap({ $0 }) where !(0...(1 << 40)).contains(count) {
            throw .invalid("'schedule' stops after 0 lines or more", param: "schedule")
        }
        guard schedule.expireAfterLines == nil || schedule.cancelAfterLines == nil else {
            throw .invalid("'schedule' expires or cancels after N lines, not both", param: "schedule")
        }
    }

    private func validatePlan() throws(APIError) {
        let limits = BatchInputReader.Limits.service
        switch plan {
        case .run(let lines, let model, let failingLines):
            guard (0...limits.maxLines).contains(lines) else {
                throw .invalid("a batch runs 0 to \(limits.maxLines) lines (got \(lines))", param: "plan")
            }
            if let model { try SnapshotStager.checkText(model, "plan.model", allowEmpty: false) }
            var previous: Int64 = -1
            for line in failingLines {
                guard line > previous, line < lines else { throw .invalid("'plan.failingLines' must ascend within the lines run", param: "plan") }
                previous = line
            }
        case .fail(let errors):
            guard !errors.isEmpty, errors.count <= limits.maxErrors else {
                throw .invalid("a failed batch has 1 to \(limits.maxErrors) errors (got \(errors.count))", param: "plan")
            }
            for error in errors {
                try SnapshotStager.checkText(error.code, "plan.code", allowEmpty: false)
                try SnapshotStager.checkText(error.message, "plan.message", allowEmpty: true)
                if let param = error.param { try SnapshotStager.checkText(param, "plan.param", allowEmpty: true) }
                if let line = error.line, !(1...Int64(Int32.max)).contains(line) { throw .invalid("'plan.line' is \(line)", param: "plan") }
            }
        }
    }

    /// `batch_` and 32 lowercase hex digits, as `IDGenerator.batchID` makes them.
    static func isBatchID(_ id: String) -> Bool {
        let digits = id.utf8.dropFirst(6)
        return id.hasPrefix("batch_") && digits.count == 32
            && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}
