import Foundation
import HTTPTypes

/// A fault to inject: which requests it matches and what happens to them.
/// Codable so that instances sharing a database can store it.
public struct FaultRule: Sendable, Equatable, Codable {
    public var id: String
    /// `nil` matches every method.
    public var method: String?
    /// A path with `*` wildcards, e.g. `/v1/files*`.
    public var pathPattern: String
    /// When set, only requests with this API key match.
    public var apiKey: String?
    /// Answer with this status and an OpenAI error envelope instead of running the request.
    public var status: Int?
    public var errorMessage: String
    public var errorType: String
    public var errorCode: String?
    public var headers: [String: String]
    /// Wait this long before answering (or before running the request when no status is set).
    public var delayMilliseconds: Int
    /// Close the connection without an answer.
    public var dropConnection: Bool
    /// Fire for the next N matching requests (nil: no count limit).
    public var remaining: Int?
    /// Fire with this probability (0…1) on each matching request.
    public var probability: Double
    public var fired = 0

    public func matches(method: String, path: String, apiKey: String?) -> Bool {
        if let ruleMethod = self.method, ruleMethod.uppercased() != method.uppercased() { return false }
        if let ruleKey = self.apiKey, ruleKey != apiKey { return false }
        if let remaining, remaining <= 0 { return false }
        return Self.glob(pathPattern, matches: path)
    }

    /// `*` matches any run of characters (including `/`); everything else is literal.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let text = Array(text.utf8)
        var p = 0
        var t = 0
        var star = -1
        var mark = 0
        while t < text.count {
            if p < pattern.count && pattern[p] != UInt8(ascii: "*") && pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p
                mark = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

extension FaultRule {
    /// Parses `POST /admin/faults`; every wrong field is a 400 naming it.
    init(json body: JSONBody, id: String) throws {
        try body.requireOnly([
            "method", "path", "api_key", "status", "error", "headers", "delay_ms", "drop_connection", "times", "probability",
        ])
        self.id = id
        method = try body.optionalString("method")
        pathPattern = try body.optionalString("path") ?? "*"
        apiKey = try body.optionalString("api_key")
        status = try body.fields["status"] == nil ? nil : Int(body.requiredInteger("status"))
        if let status, !(400...599).contains(status) {
            throw APIError.invalid("Invalid value for 'status': \(status). Faults answer with 400…599.", param: "status")
        }
        let error = try body.optionalObject("error")
        try error?.requireOnly(["message", "type", "code"])
        errorMessage = try error?.optionalString("message") ?? "Injected fault (mockfiles)."
        errorType = try error?.optionalString("type") ?? ((status ?? 500) >= 500 ? "server_error" : "invalid_request_error")
        errorCode = try error?.optionalString("code")
        var headers: [String: String] = [:]
        if let object = try body.optionalObject("headers") {
            for (name, value) in object.fields {
                guard HTTPField.Name(name) != nil else { throw APIError.invalid("Invalid header name '\(name)'.", param: "headers") }
                if let text = value as? String {
                    headers[name] = text
                } else if let number = value as? NSNumber {
                    headers[name] = number.stringValue
                } else {
                    throw APIError.invalid("Header '\(name)' must be a string or a number.", param: "headers")
                }
            }
        }
        self.headers = headers
        delayMilliseconds = try body.fields["delay_ms"] == nil ? 0 : Int(body.requiredInteger("delay_ms"))
        guard (0...600_000).contains(delayMilliseconds) else {
            throw APIError.invalid("Invalid value for 'delay_ms': it must be between 0 and 600000.", param: "delay_ms")
        }
        dropConnection = (body.fields["drop_connection"] as? Bool) ?? false
        remaining = try body.fields["times"] == nil ? nil : Int(body.requiredInteger("times"))
        if let remaining, remaining < 1 { throw APIError.invalid("Invalid value for 'times': it must be at least 1.", param: "times") }
        if let raw = body.fields["probability"] {
            guard let number = raw as? NSNumber, (0...1).contains(number.doubleValue) else {
                throw APIError.invalid("Invalid value for 'probability': a number between 0 and 1.", param: "probability")
            }
            probability = number.doubleValue
        } else {
            probability = 1
        }
        guard status != nil || delayMilliseconds > 0 || dropConnection else {
            throw APIError.invalid("A fault needs at least one of 'status', 'delay_ms' or 'drop_connection'.", param: nil)
        }
    }

    /// The rule as `GET /admin/faults` shows it.
    var json: [String: Any?] {
        [
            "id": id, "method": method, "path": pathPattern, "api_key": apiKey, "status": status,
            "error": ["message": errorMessage, "type": errorType, "code": errorCode], "headers": headers,
            "delay_ms": delayMilliseconds, "drop_connection": dropConnection, "times_remaining": remaining,
            "probability": probability, "fired": fired,
        ]
    }
}
