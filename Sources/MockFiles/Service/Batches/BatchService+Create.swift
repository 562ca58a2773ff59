import NIOCore

/// `POST /v1/batches`: the request's values, then the input file, read once to validate every
/// line. Line errors do not refuse the create: as at the service, the batch is accepted and
/// fails when its validation ends (`BatchPlan.fail`).
extension BatchService {
    public func create(_ request: CreateRequest, tenant: Tenant) async throws -> BatchObject {
        try Self.checkValues(of: request)
        guard let input = try await store.reads.file(id: request.inputFileID, tenant: tenant.key), input.isVisible(at: clock.seconds)
        else { throw cannotFindInput(request.inputFileID, tenant: tenant) }
        guard input.purpose == Purpose.batch.rawValue else {
            throw APIError.invalid(
                "Invalid file purpose: the input file of a batch must have purpose 'batch', but \(input.id) has purpose '\(input.purpose)'.",
                param: "input_file_id",
                code: "invalid_value"
            )
        }
        guard let plan = try await plan(reading: input.id, endpoint: request.endpoint) else {
            throw cannotFindInput(request.inputFileID, tenant: tenant)
        }
        let now = clock.milliseconds
        let draft = StoredBatch(
            id: "",
            tenant: tenant.key,
            endpoint: request.endpoint,
            inputFileID: input.id,
            completionWindow: request.completionWindow,
            metadata: request.metadata,
            outputLifetimeSeconds: request.outputLifetimeSeconds,
            createdAtMilliseconds: now,
            schedule: settings.schedule,
            plan: plan
        )
        // Nil when the input file was deleted since it was read.
        guard let batch = try await store.createBatch(draft) else { throw cannotFindInput(request.inputFileID, tenant: tenant) }
        return BatchObject(batch, state: BatchLifecycle.state(of: batch, at: now))
    }

    /// The values the service checks before it looks at the input file.
    static func checkValues(of request: CreateRequest) throws {
        guard endpoints.contains(request.endpoint) else {
            throw APIError.notOneOf(request.endpoint, endpoints, param: "endpoint")
        }
        guard request.completionWindow == "24h" else {
            throw APIError.notOneOf(request.completionWindow, ["24h"], param: "completion_window")
        }
        if let seconds = request.outputLifetimeSeconds {
            // The bounds of `output_expires_after.seconds` (the API reference: one hour to 30 days).
            _ = try ExpiryPolicy.checked(seconds: seconds, param: "output_expires_after.seconds")
        }
    }

    /// The captured text (bespokelabsai/curator#116): a file that is not the tenant's reads as
    /// one that does not exist.
    func cannotFindInput(_ id: String, tenant: Tenant) -> APIError {
        APIError.invalid(
            "Cannot find file \(id), or project \(tenant.project ?? settings.defaultProject) does not have access to it.",
            param: "input_file_id"
        )
    }

    /// Reads the input once: the lines that will run, the model they name, and which of them
    /// the endpoint would refuse (their answers go to the error file, and `request_counts.failed`
    /// counts them as they run); or the errors that fail the batch. Nil when the blob is gone.
    func plan(reading inputFileID: String, endpoint: String) async throws -> BatchPlan? {
        var reader = BatchInputReader(endpoint: endpoint)
        var failing: [Int64] = []
        let read: Void? = try await store.withBlobReader(id: inputFileID) { blob in
            try await blob.read(range: 0..<blob.size, chunkSize: 1 << 16) { chunk in
                Self.feed(&reader, chunk) { line in if Self.refuses(line, endpoint: endpoint) { failing.append(line.index) } }
            }
        }
        guard read != nil else { return nil }
        reader.finish { line in if Self.refuses(line, endpoint: endpoint) { failing.append(line.index) } }
        let summary = reader.summary
        if !summary.errors.isEmpty { return .fail(summary.errors) }
        return .run(lines: summary.lines, model: summary.model.map(BatchAnswers.datedModel), failingLines: failing)
    }
}

extension BatchService {
    /// `reader.feed` kept out of the async closures that call it: inlined there, the Swift 6
    /// compiler crashed (signal 6 in SIL ownership verification).
    @inline(never)
    static func feed(_ reader: inout BatchInputReader, _ chunk: ByteBuffer, _ each: (BatchInputLine) -> Void) {
        reader.feed(chunk, each)
    }

    /// Whether the endpoint answers this line with an error (answers are pure functions of the line,
    /// so the status found now is the one the results will have).
    static func refuses(_ line: BatchInputLine, endpoint: String) -> Bool {
        BatchAnswers.statusCode(endpoint: endpoint, body: line.body) != 200
    }
}
