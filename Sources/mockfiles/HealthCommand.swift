import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `mockfiles health`: asks a running server's `GET /health`, for a container's HEALTHCHECK (the
/// image has no shell and no curl). Exit codes follow Docker's: 0 healthy, 1 not.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check that a server answers GET /health with 200 (exit 0), else print why (exit 1).",
        discussion: """
            The default URL is http://127.0.0.1:$MOCKFILES_PORT (8080 when unset), so in the image, which \
            sets MOCKFILES_PORT, the check follows the port the server was given.
            """
    )

    @Option(help: "The server's URL; /health is appended unless the path ends in it (default http://127.0.0.1:$MOCKFILES_PORT).")
    var url: String?

    @Option(help: "Seconds to wait for the answer, connecting included.")
    var timeout: Double = 2

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
        _ = try healthURL()
    }

    func run() async throws {
        let target = try healthURL()
        let deadline = TimeAmount.nanoseconds(Int64(timeout * 1_000_000_000))
        var configuration = HTTPClient.Configuration()
        // One attempt within the deadline: a refused connection is an answer, not a reason to retry.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = deadline
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let failure: String?
        do {
            var request = HTTPClientRequest(url: target)
            request.headers.add(name: "User-Agent", value: "mockfiles-health")
            let response = try await client.execute(request, timeout: deadline)
            failure = response.status == .ok ? nil : "answered \(response.status.code) \(response.status.reasonPhrase)"
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .connectTimeout {
            failure = "no answer within \(Self.seconds(timeout)) s"
        } catch {
            failure = "cannot connect: \(Self.describe(error))"
        }
        try? await client.shutdown()
        if let failure {
            FileHandle.standardError.write(Data("mockfiles: health: \(target) \(failure)\n".utf8))
            throw ExitCode.failure
        }
        print("ok: \(target) answered 200")
    }

    /// `--url`, else the local server on $MOCKFILES_PORT, with `/health` as its path.
    func healthURL() throws -> String {
        let port = ProcessInfo.processInfo.environment["MOCKFILES_PORT"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? 8080
        let base = url ?? "http://127.0.0.1:\(port)"
        guard var components = URLComponents(string: base), components.scheme == "http" || components.scheme == "https",
            components.host?.isEmpty == false
        else { throw ValidationError("--url '\(base)' is not an http(s) URL") }
        if !components.path.hasSuffix("/health") {
            components.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path) + "/health"
        }
        guard let text = components.string else { throw ValidationError("--url '\(base)' is not an http(s) URL") }
        return text
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// The reason, without NIO's wrapping: `Connection refused`, not `connection reset (error set): …`.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }
}
