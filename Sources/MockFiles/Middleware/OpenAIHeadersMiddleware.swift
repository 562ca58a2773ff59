import Foundation
import HTTPTypes
import Hummingbird

/// Stamps every answer with the headers the real service sends: `x-request-id`,
/// `openai-version`, `openai-processing-ms` and `openai-organization`.
struct OpenAIHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let defaultOrganization: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        context.requestID = Self.makeRequestID()
        var response = try await next(request, context)
        Self.stamp(&response.headers, requestID: context.requestID, since: started, defaultOrganization: defaultOrganization)
        return response
    }

    /// The headers on an answer begun at `started` (also the rule of `DirectFileReads`).
    static func stamp(_ headers: inout HTTPFields, requestID: String, since started: ContinuousClock.Instant, defaultOrganization: String) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        headers[.xRequestID] = requestID
        headers[.openAIVersion] = "2020-10-01"
        headers[.openAIProcessingMS] = String(milliseconds)
        if headers[.openAIOrganization] == nil {
            headers[.openAIOrganization] = defaultOrganization
        }
    }

    /// `req_` and 32 random hex digits, as the real service's. Written into the string's own
    /// storage: made for every request, the formatted version showed in profiles. The 16 bytes
    /// come from one `arc4random_buf` (one `getrandom` call on Linux); `SystemRandomNumberGenerator`
    /// makes one call per 8 bytes, and each was 1.2 % of a cached `GET /v1/files/{id}`.
    static func makeRequestID() -> String {
        var random: (high: UInt64, low: UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &random) { arc4random_buf($0.baseAddress!, $0.count) }
        let (high, low) = random
        return String(unsafeUninitializedCapacity: 36) { buffer in
            for (offset, byte) in "req_".utf8.enumerated() { buffer[offset] = byte }
            for digit in 0..<32 {
                let nibble = (digit < 16 ? high : low) >> (60 - 4 * UInt64(digit % 16)) & 0xF
                buffer[4 + digit] = nibble < 10 ? UInt8(ascii: "0") + UInt8(nibble) : UInt8(ascii: "a") + UInt8(nibble - 10)
            }
            return 36
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("x-request-id")!
    static let openAIVersion = Self("openai-version")!
    static let openAIProcessingMS = Self("openai-processing-ms")!
    static let openAIOrganization = Self("openai-organization")!
    static let openAIProject = Self("openai-project")!
}
