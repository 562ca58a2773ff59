import Hummingbird
import NIOPosix

/// `GET /admin/requests` and `POST /admin/verify`: what the request log says happened.
extension AdminController {
    func requests(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = try Self.queryParameters(request, allowed: Self.requestQueryNames)
        let filter = try RequestFilter(parameters: query)
        let capacity = Int64(controls.requestLog.capacity)
        let limit = try query["limit"].map { Int(try Self.integer($0, name: "limit", in: 1...capacity)) } ?? 100
        let after = try query["after"].map { try Self.integer($0, name: "after", in: 0...Int64.max) }
        let order = query["order"] ?? "desc"
        guard order == "asc" || order == "desc" else {
            throw APIError.invalid("Invalid value for 'order': 'asc' or 'desc'.", param: "order")
        }
        let journal = try await controls.requestJournal()
        let page = try await Self.offloaded { journal.page(filter, limit: limit, after: after, ascending: order == "asc") }
        struct Page: Encodable {
            var object = "list"
            var data: [RequestLogEntry]
            var hasMore: Bool
            /// Entries the full log let go since the last reset: when not 0, older requests are missing.
            var dropped: Int

            enum CodingKeys: String, CodingKey {
                case object, data, dropped
                case hasMore = "has_more"
            }
        }
        return try JSONResponse.make(Page(data: page.entries, hasMore: page.hasMore, dropped: journal.dropped))
    }

    static let requestQueryNames = Set(RequestFilter.parameterNames + ["limit", "after", "order"])

    /// 200 with the count when the expectation holds; 409 with what came closest when not.
    func verify(_ request: Request, context: AppRequestContext) async throws -> Response {
        let expectation = try RequestExpectation(json: try await JSONBody.read(request))
        let journal = try await controls.requestJournal()
        let matches = try await Self.offloaded { journal.entries.filter(expectation.filter.matches) }
        guard !expectation.holds(forMatched: matches.count) else {
            return try JSONResponse.make(VerificationPassed(matched: matches.count, dropped: journal.dropped))
        }
        let tooFew = matches.count < expectation.atLeast
        let nearMisses = tooFew ? try await Self.offloaded { journal.nearMisses(expectation.filter, limit: 5) } : []
        var message = "Expected \(expectation.wording) request(s) matching \(expectation.filter.summary), found \(matches.count)."
        if let closest = nearMisses.first {
            message +=
                " Closest: \(closest.entry.method) \(closest.entry.path) → \(closest.entry.status) (differs in \(closest.failed.joined(separator: ", ")))."
        }
        if journal.dropped > 0 { message += " \(journal.dropped) older request(s) were dropped from the full log." }
        let failure = VerificationFailed(
            error: .init(message: message),
            matched: matches.count,
            nearMisses: nearMisses.map { .init(request: $0.entry, failed: $0.failed) },
            matches: tooFew ? [] : Array(matches.prefix(5)),
            dropped: journal.dropped
        )
        return try JSONResponse.make(failure, status: .conflict)
    }

    /// The first value of each query parameter (a repeated one is read once, as everywhere); a
    /// name not in `allowed` is a 400, so a misspelt filter cannot pass silently.
    static func queryParameters(_ request: Request, allowed: Set<String>) throws -> [String: String] {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where values[String(name)] == nil { values[String(name)] = String(value) }
        if let unknown = values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.invalid("Unrecognized query parameter: '\(unknown)'.", param: unknown)
        }
        return values
    }

    /// An integer query parameter within `range`, or a 400 naming it.
    static func integer(_ raw: String, name: String, in range: ClosedRange<Int64>) throws -> Int64 {
        guard let value = Int64(raw), range.contains(value) else {
            throw APIError.invalid("Invalid value for '\(name)': an integer from \(range.lowerBound) to \(range.upperBound).", param: name)
        }
        return value
    }
}

struct VerificationPassed: Encodable {
    var matched: Int
    var dropped: Int
}

/// An OpenAI-shaped error, so SDK-style clients read `error.message`, with the evidence beside it.
struct VerificationFailed: Encodable {
    struct Body: Encodable {
        var message: String
        var type = "invalid_request_error"
        var param: String? = nil
        var code = "verification_failed"

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }

        enum CodingKeys: String, CodingKey { case message, type, param, code }
    }

    struct NearMiss: Encodable {
        var request: RequestLogEntry
        /// The criteria this request did not meet, by parameter name.
        var failed: [String]
    }

    var error: Body
    var matched: Int
    var nearMisses: [NearMiss]
    /// When more matched than allowed: the newest of them.
    var matches: [RequestLogEntry]
    var dropped: Int

    enum CodingKeys: String, CodingKey {
        case error, matched, matches, dropped
        case nearMisses = "near_misses"
    }
}

extension AdminController {
    /// Runs a scan of the whole request log on NIO's thread pool for blocking work: the log holds
    /// thousands of client-chosen paths, and a scan must not hold one of the few threads that
    /// answer requests (`/health` among them).
    static func offloaded<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async throws -> Result {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
