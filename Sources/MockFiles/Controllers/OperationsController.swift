import Hummingbird
import NIOCore

/// What operators and tools read without an API key: `/health` for readiness checks,
/// `/metrics` for Prometheus, `/openapi.yaml` for clients and schema-driven testers.
struct OperationsController {
    let metrics: ServerMetrics
    let store: any FileReads

    func addRoutes(to router: Router<AppRequestContext>) {
        // HEAD answers GET's headers (NIO's encoder drops the body): HEAD-based health checks work.
        router.get("health", use: health)
        router.head("health", use: health)
        router.get("metrics", use: scrape)
        router.head("metrics", use: scrape)
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: Self.openAPIDocument))
        }
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) -> Response {
        JSONResponse.make(body: Self.healthy, status: .ok)
    }

    @Sendable func scrape(_ request: Request, context: AppRequestContext) async throws -> Response {
        metrics.recordStored(try await store.storedTotals())
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
        )
    }

    static let healthy = ByteBuffer(string: #"{"status":"ok"}"#)

    /// Copied into a buffer once; every answer shares its storage.
    static let openAPIDocument = ByteBuffer(bytes: PackageResources.openapi_yaml)
}
