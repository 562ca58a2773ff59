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
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        response.headers[.xRequestID] = context.requestID
        response.headers[.openAIVersion] = "2020-10-01"
        response.headers[.openAIProcessingMS] = String(milliseconds)
        if response.headers[.openAIOrganization] == nil {
            response.headers[.openAIOrganization] = defaultOrganization
        }
        return response
    }

    static func makeRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<2).map { _ in
            let value = generator.next() as UInt64
            let text = String(value, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }
        return "req_" + hex.joined()
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("x-request-id")!
    static let openAIVersion = Self("openai-version")!
    static let openAIProcessingMS = Self("openai-processing-ms")!
    static let openAIOrganization = Self("openai-organization")!
    static let openAIProject = Self("openai-project")!
}
