import Foundation

/// Which journal entries a query or a verification is about. Every criterion left out matches
/// everything; identities (tenant, key hint, object id) are compared as exact bytes.
public struct RequestFilter: Sendable, Equatable {
    /// An exact status, or a class such as `4xx`.
    public enum StatusCriterion: Sendable, Equatable {
        case exact(Int)
        case hundreds(Int)

        func matches(_ status: Int) -> Bool {
            switch self {
            case .exact(let code): status == code
            case .hundreds(let digit): status / 100 == digit
            }
        }
    }

    public var method: String?
    /// `*` wildcards, as in fault rules.
    public var path: String?
    public var status: StatusCriterion?
    public var tenant: String?
    public var apiKeyHint: String?
    public var objectID: String?
    /// Service-clock seconds: `since` ≤ timestamp < `until`.
    public var since: Double?
    public var until: Double?
    /// Requests answered (`incoming`) or webhook deliveries sent (`outgoing`).
    public var direction: RequestLogEntry.Direction?

    public init() {}

    /// The parameter names, as queries and verifications spell them.
    static let parameterNames: [String] = ["method", "path", "status", "tenant", "api_key_hint", "object_id", "since", "until", "direction"]

    /// The criteria `entry` fails, by parameter name; empty when it matches.
    public func failures(_ entry: RequestLogEntry) -> [String] {
        var failed: [String] = []
        if let method, method.uppercased() != entry.method { failed.append("method") }
        if let path, !WildcardPattern(path).matches(entry.path) { failed.append("path") }
        if let status, !status.matches(entry.status) { failed.append("status") }
        if let tenant, !Self.sameBytes(tenant, entry.tenant) { failed.append("tenant") }
        if let apiKeyHint, !Self.sameBytes(apiKeyHint, entry.apiKeyHint) { failed.append("api_key_hint") }
        if let objectID, !Self.sameBytes(objectID, entry.objectID) { failed.append("object_id") }
        if let since, entry.timestamp < since { failed.append("since") }
        if let until, entry.timestamp >= until { failed.append("until") }
        if let direction, entry.direction != direction { failed.append("direction") }
        return failed
    }

    public func matches(_ entry: RequestLogEntry) -> Bool { failures(entry).isEmpty }

    /// Swift's `==` on strings compares canonical equivalents equal; an identity must not.
    static func sameBytes(_ wanted: String, _ actual: String?) -> Bool {
        guard let actual else { return false }
        return wanted.utf8.elementsEqual(actual.utf8)
    }
}

extension RequestFilter {
    /// Reads the criteria from `parameters` (query items, or a JSON body's values as text);
    /// a malformed one is a 400 naming it.
    init(parameters: [String: String]) throws {
        self.init()
        method = parameters["method"]
        path = parameters["path"]
        if let path, path.utf8.count > WildcardPattern.maxBytes {
            throw APIError.invalid("Invalid value for 'path': a pattern of at most \(WildcardPattern.maxBytes) bytes.", param: "path")
        }
        if let raw = parameters["status"] { status = try Self.statusCriterion(raw) }
        tenant = parameters["tenant"]
        apiKeyHint = parameters["api_key_hint"]
        if let apiKeyHint, apiKeyHint.count != 4 {
            throw APIError.invalid("Invalid value for 'api_key_hint': the last 4 characters of an API key.", param: "api_key_hint")
        }
        objectID = parameters["object_id"]
        since = try parameters["since"].map { try Self.time($0, name: "since") }
        until = try parameters["until"].map { try Self.time($0, name: "until") }
        if let raw = parameters["direction"] {
            guard let value = RequestLogEntry.Direction(rawValue: raw) else {
                throw APIError.invalid("Invalid value for 'direction': incoming or outgoing.", param: "direction")
            }
            direction = value
        }
    }

    static func statusCriterion(_ raw: String) throws -> StatusCriterion {
        let bytes = Array(raw.lowercased().utf8)
        if bytes.count == 3, (1...5).contains(Int(bytes[0]) - 48), bytes[1] == UInt8(ascii: "x"), bytes[2] == UInt8(ascii: "x") {
            return .hundreds(Int(bytes[0]) - 48)
        }
        guard let code = Int(raw), (100...599).contains(code) else {
            throw APIError.invalid("Invalid value for 'status': a status such as 404 or a class such as 4xx.", param: "status")
        }
        return .exact(code)
    }

    static func time(_ raw: String, name: String) throws -> Double {
        guard let value = Double(raw), value.isFinite else {
            throw APIError.invalid("Invalid value for '\(name)': seconds since the epoch, on the service clock.", param: name)
        }
        return value
    }
}

extension RequestFilter {
    /// `{method=POST, path=/v1/files, status=4xx}`, as a failed verification names it.
    var summary: String {
        var parts: [String] = []
        if let method { parts.append("method=\(method.uppercased())") }
        if let path { parts.append("path=\(path)") }
        if let status {
            switch status {
            case .exact(let code): parts.append("status=\(code)")
            case .hundreds(let digit): parts.append("status=\(digit)xx")
            }
        }
        if let tenant { parts.append("tenant=\(tenant)") }
        if let apiKeyHint { parts.append("api_key_hint=\(apiKeyHint)") }
        if let objectID { parts.append("object_id=\(objectID)") }
        if let since { parts.append("since=\(since)") }
        if let until { parts.append("until=\(until)") }
        if let direction { parts.append("direction=\(direction.rawValue)") }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
