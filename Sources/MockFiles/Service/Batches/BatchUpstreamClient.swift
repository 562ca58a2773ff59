import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Sends batch lines to the `BatchUpstream` and tells what came back: an answer (any status), a
/// timeout, or no answer at all (refused, dropped connection, an answer too large to keep).
struct BatchUpstreamClient: Sendable {
    enum Outcome: Sendable {
        case answered(status: Int, body: [UInt8])
        case timedOut
        case failed(String)
    }

    /// An answer larger than this is not kept (a line of a result file holds all of it).
    static let maxAnswerBytes = 64 * 1024 * 1024

    let upstream: BatchUpstream
    var http: HTTPClient { Self.client(connections: upstream.concurrency) }

    /// One client per concurrency for the process's life (as `HTTPClient.shared`, never shut
    /// down): its pool opens as many connections as lines may be in flight (the shared client's
    /// 8 would hold a larger setting to 8), and it has no read timeout of its own (the shared
    /// client's 90 s would cut a longer `batchUpstreamTimeoutSeconds` short). A redirect is
    /// recorded as the answer it is, not followed; no `Accept-Encoding` is sent, so answers come
    /// uncompressed.
    private static let clients = NIOLockedValueBox<[Int: HTTPClient]>([:])

    static func client(connections: Int) -> HTTPClient {
        clients.withLockedValue { clients in
            if let client = clients[connections] { return client }
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPClient.Configuration(
                    redirectConfiguration: .disallow,
                    connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
                )
            )
            clients[connections] = client
            return client
        }
    }

    /// POSTs each of `bodies` to `path`, `width` at a time at most; the outcomes in their order.
    func send(_ bodies: [ByteBuffer], path: String, width: Int) async -> [Outcome] {
        await withTaskGroup(of: (Int, Outcome).self) { group in
            var outcomes = [Outcome?](repeating: nil, count: bodies.count)
            var next = 0
            func start() {
                let position = next
                next += 1
                group.addTask { (position, await send(path: path, body: bodies[position])) }
            }
            while next < min(width, bodies.count) { start() }
            for await (position, outcome) in group {
                outcomes[position] = outcome
                if next < bodies.count { start() }
            }
            return outcomes.map { $0 ?? .timedOut }
        }
    }

    /// POSTs `body` to the upstream's `path`; the timeout covers the whole exchange, the answer's
    /// body included, so a server that trickles its answer cannot hold a line for ever.
    func send(path: String, body: ByteBuffer) async -> Outcome {
        let timeout = upstream.timeoutSeconds
        return await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { await exchange(path: path, body: body, timeout: timeout) }
            group.addTask {
                // nil when cancelled: the exchange, cancelled too, tells what happened.
                guard (try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))) != nil else { return nil }
                return .timedOut
            }
            var outcome: Outcome?
            while outcome == nil, let next = await group.next() { outcome = next }
            group.cancelAll()
            return outcome ?? .timedOut
        }
    }

    private func exchange(path: String, body: ByteBuffer, timeout: Double) async -> Outcome {
        var request = HTTPClientRequest(url: upstream.url + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = upstream.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(body)
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            let body = try await response.body.collect(upTo: Self.maxAnswerBytes)
            return .answered(status: Int(response.status.code), body: Array(buffer: body))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .timedOut
        } catch is NIOTooManyBytesError {
            return .failed("The upstream's answer is larger than \(Self.maxAnswerBytes) bytes.")
        } catch {
            return .failed("The upstream gave no answer: \(error).")
        }
    }
}
