import CoreMetrics
import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// The server's Prometheus metrics, written through swift-metrics. Each server has its own
/// registry (tests run several servers in one process), so metrics are made with an explicit
/// factory rather than through the process-wide `MetricsSystem`.
public struct ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// The per-route series, made once each: making a metric validates its name and labels and
    /// looks it up in the registry, too much to repeat on every request.
    private let routes = NIOLockedValueBox<[RouteKey: RouteMetrics]>([:])

    /// Requests answered on the event loop (`DirectFileReads`), also counted by route as all are.
    private let directAnswers: CoreMetrics.Counter

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
        directAnswers = Counter(label: "mockfiles_http_direct_answers_total", factory: factory)
    }

    private struct RouteKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private struct RouteMetrics {
        let requests: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
        let bytesIn: CoreMetrics.Counter
        let bytesOut: CoreMetrics.Counter
    }

    /// One finished HTTP request. `route` is the matched pattern (`/v1/files/{id}`), never the raw
    /// path, so ids do not make a series each.
    func recordRequest(route: String, method: String, status: Int, duration: Duration, bytesIn: Int64?, bytesOut: Int64?) {
        let metrics = routeMetrics(RouteKey(route: route, method: method, status: status))
        metrics.requests.increment()
        metrics.duration.record(duration: duration)
        if let bytesIn, bytesIn > 0 { metrics.bytesIn.increment(by: bytesIn) }
        if let bytesOut, bytesOut > 0 { metrics.bytesOut.increment(by: bytesOut) }
    }

    private func routeMetrics(_ key: RouteKey) -> RouteMetrics {
        routes.withLockedValue { cache in
            if let metrics = cache[key] { return metrics }
            let labels = [("route", key.route), ("method", key.method)]
            let metrics = RouteMetrics(
                requests: CoreMetrics.Counter(
                    label: "mockfiles_http_requests_total",
                    dimensions: labels + [("status", String(key.status))],
                    factory: factory
                ),
                duration: CoreMetrics.Timer(label: "mockfiles_http_request_duration_seconds", dimensions: labels, factory: factory),
                bytesIn: CoreMetrics.Counter(label: "mockfiles_http_request_bytes_total", dimensions: labels, factory: factory),
                bytesOut: CoreMetrics.Counter(label: "mockfiles_http_response_bytes_total", dimensions: labels, factory: factory)
            )
            cache[key] = metrics
            return metrics
        }
    }

    func recordSweep(filesRemoved: Int) {
        Counter(label: "mockfiles_sweeper_runs_total", factory: factory).increment()
        Counter(label: "mockfiles_sweeper_files_removed_total", factory: factory).increment(by: filesRemoved)
    }

    /// `kind` is `error`, `delay` or `drop_connection`.
    func recordDirectAnswer() {
        directAnswers.increment()
    }

    func recordFault(kind: String) {
        Counter(label: "mockfiles_faults_fired_total", dimensions: [("kind", kind)], factory: factory).increment()
    }

    /// Files and bytes on disk per purpose, read from the store at scrape time (a purpose with no
    /// files left reads 0 rather than keeping its last value).
    func recordStored(_ totals: [StoredTotals]) {
        var byPurpose = Dictionary(
            uniqueKeysWithValues: Purpose.allCases.map { ($0.rawValue, StoredTotals(purpose: $0.rawValue, files: 0, bytes: 0)) }
        )
        for total in totals { byPurpose[total.purpose] = total }
        for total in byPurpose.values {
            Gauge(label: "mockfiles_files_stored", dimensions: [("purpose", total.purpose)], factory: factory).record(total.files)
            Gauge(label: "mockfiles_bytes_stored", dimensions: [("purpose", total.purpose)], factory: factory).record(total.bytes)
        }
    }

    /// The Prometheus text exposition of every metric.
    func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
