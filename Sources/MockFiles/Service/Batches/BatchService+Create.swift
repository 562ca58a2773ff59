import NIOCore

/// `POST /v1/batches`: the request's values, then the input file, read once to validate every
/// line. Line errors do not refuse the create: as at the service, the batch is accepted and
/// fails when its validation ends (`BatchPlan.fail`). The admin batch rules in force are read
/// here too, and what they decide is fixed in the batch's row (`BatchRule`).
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
        let rules = try await rulesInForce().filter {
            $0.applies(toEndpoint: request.endpoint, inputFileID: input.id, metadata: request.metadata)
        }
        let batchRule = rules.first { $0.batch != nil }
        let lineRules = rules.filter { $0.line != nil }
        var schedule = settings.schedule
        batchRule?.adjust(&schedule)
        let plan: BatchPlan
        if let failure = batchRule?.failure {
            plan = .fail(failure)
        } else {
            guard let read = try await self.plan(reading: input.id, endpoint: request.endpoint, rules: BatchLineRules(lineRules)) else {
                throw cannotFindInput(request.inputFileID, tenant: tenant)
            }
            plan = read.plan
            schedule.lineDelays = read.delays.isEmpty ? nil : read.delays
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
            schedule: schedule,
            plan: plan,
            rules: lineRules.isEmpty ? nil : try BatchRule.storedText(of: lineRules)
        )
        // Nil when the input file was deleted since it was read.
        guard let batch = try await store.createBatch(draft, announcingEnd: settings.announcesEnds) else {
            throw cannotFindInput(request.inputFileID, tenant: tenant)
        }
        metrics.recordBatchCreated(batch)
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
    /// answer with an error (their answers go to the error file, and `request_counts.failed`
    /// counts them as they run), or the errors that fail the batch; and the lines a rule delays.
    /// Nil when the blob is gone.
    func plan(reading inputFileID: String, endpoint: String, rules: BatchLineRules) async throws -> (plan: BatchPlan, delays: [BatchLineDelay])? {
        var reader = BatchInputReader(endpoint: endpoint)
        var tally = PlanTally()
        let read: Void? = try await store.withBlobReader(id: inputFileID) { blob in
            try await blob.read(range: 0..<blob.size, chunkSize: Self.inputChunkBytes) { chunk in
                let lines = Self.cut(&reader, chunk)
                let readLines = await BatchLinesInParallel.map(lines) { run in run.map { PlanTally.read($0, endpoint: endpoint, rules: rules) } }
                Self.accept(zip(lines, readLines.joined()), into: &reader, &tally)
            }
        }
        guard read != nil else { return nil }
        if let last = reader.lastLine() { Self.accept([(last, PlanTally.read(last, endpoint: endpoint, rules: rules))], into: &reader, &tally) }
        let summary = reader.summary
        if !summary.errors.isEmpty { return (.fail(summary.errors), []) }
        return (.run(lines: summary.lines, model: summary.model.map(BatchAnswers.datedModel), failingLines: tally.failing), tally.delays)
    }
}

/// What validation notes of each line: whether it answers with an error, and its delay.
struct PlanTally {
    /// A line read on its own (`BatchInputReader.read`) and, if it is a request, what it will be
    /// answered with: found in parallel, taken in line order.
    struct ReadLine: Sendable {
        var reading: BatchLineReading
        var status = 200
        var delayMilliseconds: Int64?
    }

    var failing: [Int64] = []
    var delays: [BatchLineDelay] = []
    private var totalDelay: Int64 = 0

    /// Answers are pure functions of the line and the batch's rules, so the status found now is
    /// the one the results will have.
    static func read(_ raw: BatchRawLine, endpoint: String, rules: BatchLineRules) -> ReadLine {
        var read = ReadLine(reading: BatchInputReader.read(raw, endpoint: endpoint))
        guard case .success(let request) = read.reading.outcome else { return read }
        let rule = rules.deciding(
            request.line(at: raw)
        )
        read.status = rule?.fixedStatusCode ?? BatchAnswers.statusCode(endpoint: endpoint, body: request.body)
        read.delayMilliseconds = rule?.line?.delayMilliseconds
        return read
    }

    /// Counts a line the reader accepted.
    mutating func count(_ line: BatchInputLine, _ read: ReadLine) {
        if read.status != 200 { failing.append(line.index) }
        if let delay = read.delayMilliseconds, delay > 0 {
            totalDelay = totalDelay.saturatingAdd(delay)
            delays.append(BatchLineDelay(line: line.index, totalMilliseconds: totalDelay))
        }
    }
}

extension BatchService {
    /// How much of an input is read at a time: a few thousand short lines, enough to share out
    /// among the cores (`BatchLinesInParallel`), little beside a 64 MiB memory budget.
    static let inputChunkBytes = 1 << 20

    // `reader` and `tally` are changed only in these functions, kept out of the async closures
    // that call them: inlined there, the Swift 6 compiler crashed (signal 6 in SIL ownership
    // verification).

    @inline(never)
    static func cut(_ reader: inout BatchInputReader, _ chunk: ByteBuffer) -> [BatchRawLine] {
        reader.lines(in: chunk)
    }

    @inline(never)
    static func accept(
        _ lines: some Sequence<(BatchRawLine, PlanTally.ReadLine)>,
        into reader: inout BatchInputReader,
        _ tally: inout PlanTally
    ) {
        for (raw, read) in lines {
            if let line = reader.accept(read.reading, of: raw) { tally.count(line, read) }
        }
    }
}
