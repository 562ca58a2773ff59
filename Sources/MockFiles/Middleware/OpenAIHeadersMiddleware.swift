import Foundation
import HTTPTypes
import Hummingbird

/// Stamps every answer with the headers the real service sends on all of its answers (the .NET
/// SDK's recordings, 2025-09 to 2026-05): `x-request-id`, `openai-version`,
/// `openai-processing-ms`, `openai-organization`, `openai-project` and
/// `x-content-type-options: nosniff`.
struct OpenAIHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let defaultScope: DefaultScope

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        context.requestID = Self.makeRequestID()
        var response = try await next(request, context)
        Self.stamp(&response.headers, requestID: context.requestID, since: started, scope: defaultScope)
        return response
    }

    /// The headers on an answer begun at `started` (also the rule of `DirectFileReads`).
    static func stamp(_ headers: inout HTTPFields, requestID: String, since started: ContinuousClock.Instant, scope: DefaultScope) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        headers[.xRequestID] = requestID
        headers[.openAIVersion] = "2020-10-01"
        headers[.openAIProcessingMS] = String(milliseconds)
        if headers[.openAIOrganization] == nil {
            headers[.openAIOrganization] = scope.organization
        }
        if headers[.openAIProject] == nil {
            headers[.openAIProject] = scope.project
        }
        headers[.xContentTypeOptions] = "nosniff"
    }

    /// `req_` and 32 random hex digits, as the real service's. Written into the string's own
    /// storage rather than formatted, since one is made for every request. The 16 bytes
    /// come from one `getrandom` system call; `SystemRandomNumberGenerator` makes one per 8 bytes
    /// (bench/README.md, "Figures behind code comments"). On Linux through `getentropy` (glibc 2.25),
    /// not `arc4random_buf`, which is glibc 2.36's: the release binary runs on 2.35 (its manylinux
    /// tag; scripts/container-build prints the floor).
    static func makeRequestID() -> String {
        var random: (high: UInt64, low: UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &random) { buffer in
            #if canImport(Glibc)
            // Up to 256 bytes in one call; it fails only on kernels before 3.17.
            precondition(getentropy(buffer.baseAddress!, buffer.count) == 0, "getentropy failed")
            #else
            arc4random_buf(buffer.baseAddress!, buffer.count)
            #endif
        }
        return IDGenerator.prefixedHex("req_", random.high, random.low)
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("x-request-id")!
    static let openAIVersion = Self("openai-version")!
    static let openAIProcessingMS = Self("openai-processing-ms")!
    static let openAIOrganization = Self("openai-organization")!
    static let openAIProject = Self("openai-project")!
}

extension OpenAIHeadersMiddleware: RequestRule {
    func declinesDirectRead(_ head: HTTPRequest) -> Bool { false }

    func beginDirectRead(_ answer: inout DirectAnswer) -> Bool {
        answer.requestID = Self.makeRequestID()
        return true
    }

    func stampDirectAnswer(_ answer: inout DirectAnswer) -> Bool {
        Self.stamp(&answer.headers, requestID: answer.requestID, since: answer.started, scope: defaultScope)
        return true
    }

    func recordDirectAnswer(_ answer: DirectAnswer) {}
}
