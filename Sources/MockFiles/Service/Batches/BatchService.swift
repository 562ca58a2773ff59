import HTTPTypes
import Logging

/// The rules of `/v1/batches`: what a batch may be created from, what its lines are answered
/// with, and when its result files are made. Knows nothing of HTTP. A batch's status is never
/// stored: it is `BatchLifecycle`'s function of the row and the mock clock, so every answer here
/// works it out at the clock's `now`, and first makes the result files when they are due.
public struct BatchService: Sendable {
    public struct Settings: Sendable, Equatable {
        /// How long each stage lasts (setting `batchTimings`): short, so a test that polls
        /// finishes in seconds; `POST /admin/clock` moves past them at once.
        public var schedule = BatchSchedule(
            validatingMilliseconds: 1000,
            millisecondsPerLine: 10,
            finalizingMilliseconds: 1000,
            cancellingMilliseconds: 1000
        )
        /// Named in the missing-input message when the tenant names no project.
        public var defaultProject = "proj_mockfiles"
        /// Whether a webhook event announces each new batch's end (`webhookUrl` is set).
        public var announcesEnds = false
        /// Answers the lines that no batch rule decides, in place of `BatchAnswers` (setting `batchUpstream`).
        public var upstream: BatchUpstream?

        public init() {}
    }

    /// The fields of `POST /v1/batches`, their types checked.
    public struct CreateRequest: Sendable {
        public var inputFileID: String
        public var endpoint: String
        public var completionWindow: String
        public var metadata: [MetadataPair]?
        public var outputLifetimeSeconds: Int64?
    }

    /// Every endpoint a batch may name, in the order the service lists them.
    public static let endpoints = [
        "/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations", "/v1/images/generations",
        "/v1/images/edits", "/v1/videos",
    ]

    public let files: FileService
    public let settings: Settings
    /// The admin batch rules in force (`TestControls.batchRulesInForce`), read at each create.
    let rulesInForce: @Sendable () async throws -> [BatchRule]
    let logger: Logger
    /// Counts batches created and settled (`ServerMetrics+Batches.swift`).
    let metrics: ServerMetrics
    /// One maker of a batch's result files at a time in this process.
    let settlements = SettlementsInFlight()
    var store: FileStore { files.store }
    var clock: ServiceClock { files.clock }

    public init(
        files: FileService,
        settings: Settings,
        rulesInForce: @escaping @Sendable () async throws -> [BatchRule] = { [] },
        logger: Logger,
        metrics: ServerMetrics = ServerMetrics()
    ) {
        self.files = files
        self.settings = settings
        self.rulesInForce = rulesInForce
        self.logger = logger
        self.metrics = metrics
    }

    /// The batch as its tenant sees it now (its result files made first when due).
    public func retrieve(id: String, tenant: Tenant) async throws -> BatchObject {
        guard let batch = try await store.reads.batch(id: id, tenant: tenant.key) else { throw APIError.batchNotFound(id) }
        return try await object(of: batch, at: clock.milliseconds)
    }

    /// A page of the tenant's batches, newest first.
    public func list(after: String?, limit: Int, tenant: Tenant) async throws -> BatchPage {
        // A cursor that is no id names no batch (as for `input_file_id`; PostgreSQL cannot even compare one with a NUL).
        if let after, !ServerID.isWellFormed(after) { throw APIError.batchNotFound(after) }
        guard let rows = try await store.reads.batches(tenant: tenant.key, after: after, limit: limit + 1) else {
            throw APIError.batchNotFound(after ?? "")
        }
        let now = clock.milliseconds
        var objects: [BatchObject] = []
        for batch in rows.prefix(limit) { objects.append(try await object(of: batch, at: now)) }
        return BatchPage(batches: objects, hasMore: rows.count > limit)
    }

    /// Asks for a cancel: a batch still validating, running or finalizing becomes `cancelling`
    /// now; one already cancelling or cancelled is answered as it is; a finished one is refused
    /// (409, the service's text).
    public func cancel(id: String, tenant: Tenant) async throws -> BatchObject {
        let now = clock.milliseconds
        let updated = try await store.recordCancel(id: id, tenant: tenant.key) { batch in
            let status = BatchLifecycle.state(of: batch, at: now).status
            if status == .cancelling || status == .cancelled { return nil }
            guard status.isCancellable else { throw APIError.cannotCancel(status) }
            return now
        }
        guard let updated else { throw APIError.batchNotFound(id) }
        return try await object(of: updated, at: now)
    }

    /// The Batch object at `now`, after making its result files if they are due. With an
    /// upstream, making them may take minutes: a read does not wait for it (the `BatchSettler`
    /// makes them), and the batch stays in the stage before its end until they are made.
    func object(of batch: StoredBatch, at now: Int64) async throws -> BatchObject {
        var batch = batch
        let due = !batch.resultsMade && batch.resultsDueAtMilliseconds.map { $0 <= now } == true
        if due, settings.upstream == nil { batch = try await settle(batch) }
        var state = BatchLifecycle.state(of: batch, at: now)
        if due, settings.upstream != nil { state = state.awaitingResults }
        return BatchObject(batch, state: state)
    }
}

/// A page of `GET /v1/batches`.
public struct BatchPage: Sendable {
    public var batches: [BatchObject]
    public var hasMore: Bool
}

extension APIError {
    /// Our choice (no capture): the wording of the service's other `No … found with id` answers.
    static func batchNotFound(_ id: String) -> APIError {
        APIError(status: .notFound, message: "No batch found with id '\(id)'.")
    }

    /// The service's answer (captured: 409, `invalid_request_error`, param and code null).
    static func cannotCancel(_ status: BatchLifecycle.Status) -> APIError {
        APIError(status: .conflict, message: "Cannot cancel a batch with status '\(status.rawValue)'.")
    }
}

extension BatchService {
    /// The event announcing `batch`'s end, once it has ended by the clock's `now` (its result
    /// files made first, so a receiver that fetches them at once finds them); nil before.
    func endEvent(of batch: StoredBatch) async throws -> BatchEndEvent? {
        let object = try await object(of: batch, at: clock.milliseconds)
        return BatchEndEvent(object.batch, state: object.state)
    }
}
