/// The result files of a batch are made by one task at a time in this process. A batch read the
/// moment it falls due is asked for from two sides at once: the `BatchSettler` sweep and the
/// `GET /v1/batches/{id}` a polling test sends. Without this both read the input and write the
/// whole output, one of them for nothing (the store keeps only one); with it the later caller waits
/// for the first and answers the row that one stored. It also keeps `--id-seed` runs repeatable:
/// the result files' ids are drawn once per batch, not once per racer.
///
/// Across instances (shared mode) two makers may still race; the store's transaction lets one in.
actor SettlementsInFlight {
    private var running: [String: Task<StoredBatch, any Error>] = [:]

    /// Runs `make` for `batchID` unless a run for it is already under way; either way answers
    /// that run's result. The run is not tied to the caller: a client that hangs up does not
    /// stop files that others wait for.
    func settle(_ batchID: String, _ make: @escaping @Sendable () async throws -> StoredBatch) async throws -> StoredBatch {
        if let task = running[batchID] { return try await task.value }
        let task = Task { try await make() }
        running[batchID] = task
        defer { running[batchID] = nil }
        return try await task.value
    }
}
