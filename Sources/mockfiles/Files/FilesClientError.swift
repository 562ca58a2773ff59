import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Why a `files` command failed, with an exit code per kind so scripts can tell them apart.
struct FilesClientError: Error {
    let message: String
    let exitCode: Int32

    init(message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    static func transport(_ detail: String) -> Self { Self(message: "cannot reach the API: \(detail)", exitCode: 7) }
    static func localFile(_ detail: String) -> Self { Self(message: detail, exitCode: 8) }
    static func usage(_ detail: String) -> Self { Self(message: detail, exitCode: 64) }
    static func unexpectedAnswer(_ detail: String) -> Self { Self(message: "unexpected answer: \(detail)", exitCode: 1) }

    /// An API error answer: the OpenAI envelope's message, and an exit code by status.
    init(response: HTTPClientResponse) async throws {
        let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
        let status = Int(response.status.code)
        var text = "HTTP \(status)"
        if body.isEmpty {
            // Answered before the upload was sent: the connection can close before the error's body
            // arrives (seen for early 429/503 answers to uploads).
            text += " (the server closed the connection before sending its error message)"
        }
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let error = object["error"] as? [String: Any], let message = error["message"] as? String
        {
            text += ": \(message)"
            let details = [("type", error["type"]), ("param", error["param"]), ("code", error["code"])]
                .compactMap { name, value in (value as? String).map { "\(name) \($0)" } }
            if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        }
        self.message = text
        self.exitCode = Self.exitCode(status: status)
    }

    static func exitCode(status: Int) -> Int32 {
        switch status {
        case 404: 3
        case 401, 403: 4
        case 429: 5
        case 500...: 6
        case 400..<500: 2
        default: 1
        }
    }
}
