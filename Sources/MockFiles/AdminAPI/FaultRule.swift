import Foundation
import HTTPTypes

/// A fault to inject: which requests it matches and what happens to them.
/// Codable so that instances sharing a database can store it, and snapshots carry it; every way in
/// (`POST /admin/faults`, the dashboard, a stored or archived rule) goes through the one checking
/// initialiser, so no rule in force can hold a value the API would refuse.
public struct FaultRule: Sendable, Equatable, Codable {
    /// Most rules in force at once (the API, the dashboard and a snapshot all stop there).
    public static let maxRules = 1000
    /// Bounds on a rule's texts, so a rule stays small in memory, in the database and on a page.
    static let maxTextBytes = 4096
    static let maxHeaders = 32

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
    /// `pathPattern`, ready to match (not stored: made again from the pattern).
    private var pattern: WildcardPattern

    enum CodingKeys: String, CodingKey {
        case id, method, pathPattern, apiKey, status, errorMessage, errorType, errorCode, headers
        case delayMilliseconds, dropConnection, remaining, probability, fired
    }

    /// The one place a rule's values are checked, and its defaults set (the admin API's JSON, the
    /// dashboard's form, stored rows and archives all come through here); a wrong value is a 400
    /// naming the API's field.
    init(
        id: String,
        method: String? = nil,
        pathPattern: String = "*",
        apiKey: String? = nil,
        status: Int? = nil,
        errorMessage: String? = nil,
        errorType: String? = nil,
        errorCode: String? = nil,
        headers: [String: String] = [:],
        delayMilliseconds: Int = 0,
        dropConnection: Bool = false,
        remaining: Int? = nil,
        probability: Double = 1,
        fired: Int = 0
    ) throws(APIError) {
        let errorMessage = errorMessage ?? "Injected fault (mockfiles)."
        let errorType = errorType ?? ((status ?? 500) >= 500 ? "server_error" : "invalid_request_error")
        guard !id.isEmpty, id.utf8.count <= 64 else { throw .invalid("Invalid fault rule id '\(id.prefix(64))'.", param: "id") }
        if let method {
            guard !method.isEmpty, method.utf8.count <= 32, method.utf8.allSatisfy(Self.isTokenByte) else {
                throw .invalid("Invalid value for 'method': an HTTP method such as GET or POST.", param: "method")
            }
        }
        guard pathPattern.utf8.count <= WildcardPattern.maxBytes else {
            throw .invalid("Invalid value for 'path': a pattern of at most \(WildcardPattern.maxBytes) bytes.", param: "path")
        }
        if let apiKey, apiKey.utf8.count > Self.maxTextBytes {
            throw .invalid("Invalid value for 'api_key': at most \(Self.maxTextBytes) bytes.", param: "api_key")
        }
        if let status, !(400...599).contains(status) {
            throw .invalid("Invalid value for 'status': \(status). Faults answer with 400…599.", param: "status")
        }
        for (name, text) in [("error.message", errorMessage), ("error.type", errorType), ("error.code", errorCode ?? "")]
        where text.utf8.count > Self.maxTextBytes {
            throw .invalid("Invalid value for '\(name)': at most \(Self.maxTextBytes) bytes.", param: name)
        }
        guard headers.count <= Self.maxHeaders else {
            throw .invalid("Invalid value for 'headers': at most \(Self.maxHeaders) headers.", param: "headers")
        }
        for (name, value) in headers {
            guard HTTPField.Name(name) != nil else { throw .invalid("Invalid header name '\(name.prefix(64))'.", param: "headers") }
            guard HTTPField.isValidValue(value), value.utf8.count <= Self.maxTextBytes else {
                throw .invalid("Invalid value for header '\(name)': printable text of at most \(Self.maxTextBytes) bytes.", param: "headers")
            }
        }
        guard (0...600_000).contains(delayMilliseconds) else {
            throw .invalid("Invalid value for 'delay_ms': it must be between 0 and 600000.", param: "delay_ms")
        }
        // The API takes `times` ≥ 1; a stored rule counts down to 0 as it fires.
        if let remaining, remaining < 0 { throw .invalid("Invalid value for 'times': it must be at least 1.", param: "times") }
        guard probability.isFinite, (0...1).contains(probability) else {
            throw .invalid("Invalid value for 'probability': a number between 0 and 1.", param: "probability")
        }
        guard fired >= 0 else { throw .invalid("Invalid value for 'fired': \(fired).", param: "fired") }
        guard status != nil || delayMilliseconds > 0 || dropConnection else {
            throw .invalid("A fault needs at least one of 'status', 'delay_ms' or 'drop_connection'.", param: nil)
        }
        self.id = id
        self.method = method
        self.pathPattern = pathPattern
        self.apiKey = apiKey
        self.status = status
        self.errorMessage = errorMessage
        self.errorType = errorType
        self.errorCode = errorCode
        self.headers = headers
        self.delayMilliseconds = delayMilliseconds
        self.dropConnection = dropConnection
        self.remaining = remaining
        self.probability = probability
        self.fired = fired
        pattern = WildcardPattern(pathPattern)
    }

    /// A stored or archived rule: decoded, then checked like one sent to the API.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                id: try container.decode(String.self, forKey: .id),
                method: try container.decodeIfPresent(String.self, forKey: .method),
                pathPattern: try container.decode(String.self, forKey: .pathPattern),
                apiKey: try container.decodeIfPresent(String.self, forKey: .apiKey),
                status: try container.decodeIfPresent(Int.self, forKey: .status),
                errorMessage: try container.decode(String.self, forKey: .errorMessage),
                errorType: try container.decode(String.self, forKey: .errorType),
                errorCode: try container.decodeIfPresent(String.self, forKey: .errorCode),
                headers: try container.decode([String: String].self, forKey: .headers),
                delayMilliseconds: try container.decode(Int.self, forKey: .delayMilliseconds),
                dropConnection: try container.decode(Bool.self, forKey: .dropConnection),
                remaining: try container.decodeIfPresent(Int.self, forKey: .remaining),
                probability: try container.decode(Double.self, forKey: .probability),
                fired: try container.decodeIfPresent(Int.self, forKey: .fired) ?? 0
            )
        } catch let error as APIError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "fault rule: \(error.message)"))
        }
    }

    public func matches(method: String, path: String, apiKey: String?) -> Bool {
        if let ruleMethod = self.method, ruleMethod.uppercased() != method.uppercased() { return false }
        if let ruleKey = self.apiKey, ruleKey != apiKey { return false }
        if let remaining, remaining <= 0 { return false }
        return pattern.matches(path)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

extension FaultRule {
    /// Parses `POST /admin/faults`; every wrong field is a 400 naming it.
    init(json body: JSONBody, id: String) throws {
        try body.requireOnly([
            "method", "path", "api_key", "status", "error", "headers", "delay_ms", "drop_connection", "times", "probability",
        ])
        let status = try body.fields["status"] == nil ? nil : Self.integer(body.requiredInteger("status"), param: "status")
        let error = try body.optionalObject("error")
        try error?.requireOnly(["message", "type", "code"])
        var headers: [String: String] = [:]
        if let object = try body.optionalObject("headers") {
            for (name, value) in object.fields {
                if let text = value as? String {
                    headers[name] = text
                } else if let number = value as? NSNumber {
                    headers[name] = number.stringValue
                } else {
                    throw APIError.invalid("Header '\(name.prefix(64))' must be a string or a number.", param: "headers")
                }
            }
        }
        let remaining = try body.fields["times"] == nil ? nil : Self.integer(body.requiredInteger("times"), param: "times")
        if let remaining, remaining < 1 { throw APIError.invalid("Invalid value for 'times': it must be at least 1.", param: "times") }
        var probability = 1.0
        if let raw = body.fields["probability"] {
            guard let number = raw as? NSNumber, !JSONBody.isBool(number) else {
                throw APIError.invalid("Invalid value for 'probability': a number between 0 and 1.", param: "probability")
            }
            probability = number.doubleValue
        }
        try self.init(
            id: id,
            method: try body.optionalString("method"),
            pathPattern: try body.optionalString("path") ?? "*",
            apiKey: try body.optionalString("api_key"),
            status: status,
            errorMessage: try error?.optionalString("message"),
            errorType: try error?.optionalString("type"),
            errorCode: try error?.optionalString("code"),
            headers: headers,
            delayMilliseconds: try body.fields["delay_ms"] == nil ? 0 : Self.integer(body.requiredInteger("delay_ms"), param: "delay_ms"),
            dropConnection: (body.fields["drop_connection"] as? Bool) ?? false,
            remaining: remaining,
            probability: probability
        )
    }

    /// An integer field as `Int`; the API's ranges are all far inside it, so one outside is simply out of range.
    private static func integer(_ value: Int64, param: String) throws -> Int {
        guard let int = Int(exactly: value), value.magnitude <= 1 << 40 else {
            throw APIError.invalid("Invalid value for '\(param)': \(value) is out of range.", param: param)
        }
        return int
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
