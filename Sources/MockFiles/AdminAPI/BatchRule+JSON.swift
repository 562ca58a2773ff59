import Foundation

/// A batch rule's JSON: parsed from `POST /admin/batch-rules` (every wrong field a 400 naming it),
/// shown by `GET`, and stored as the same JSON, read back through the same checks.
extension BatchRule {
    static let lineActions = ["answer", "error", "delay_ms"]
    static let batchActions = ["fail", "expire_after_lines", "cancel_after_lines", "schedule"]

    init(json body: JSONBody, id: String) throws {
        try body.requireOnly(Set(["match"] + Self.lineActions + Self.batchActions))
        self.id = id
        match = try Self.match(body.optionalObject("match"))
        let given = Set(body.fields.keys)
        let isLineRule = !given.isDisjoint(with: Self.lineActions)
        let isBatchRule = !given.isDisjoint(with: Self.batchActions)
        if isLineRule && isBatchRule {
            throw APIError.invalid(
                "A batch rule decides lines ('answer', 'error', 'delay_ms') or the batch ('fail', 'expire_after_lines', "
                    + "'cancel_after_lines', 'schedule'), not both.",
                param: nil
            )
        }
        if isLineRule {
            line = try Self.lineAction(body)
        } else if isBatchRule {
            if let field = match.namesLineField {
                throw APIError.invalid(
                    "'match.\(field)' applies to lines: a rule that decides the batch matches on 'endpoint', 'input_file_id' and 'metadata' only.",
                    param: "match.\(field)"
                )
            }
            batch = try Self.batchAction(body)
        } else {
            throw APIError.invalid(
                "A batch rule needs an action: 'answer', 'error' or 'delay_ms' for lines; 'fail', 'expire_after_lines', "
                    + "'cancel_after_lines' or 'schedule' for the batch.",
                param: nil
            )
        }
    }

    private static func match(_ object: JSONBody?) throws -> Match {
        guard let object else { return Match() }
        try object.requireOnly(["endpoint", "input_file_id", "metadata", "custom_id", "model", "body"])
        var match = Match(
            endpoint: try object.optionalString("endpoint"),
            inputFileID: try object.optionalString("input_file_id"),
            customID: try object.optionalString("custom_id"),
            model: try object.optionalString("model")
        )
        for (name, text) in [("custom_id", match.customID), ("model", match.model)] where (text?.utf8.count ?? 0) > WildcardPattern.maxBytes {
            throw APIError.invalid(
                "Invalid value for 'match.\(name)': a pattern of at most \(WildcardPattern.maxBytes) bytes.",
                param: "match.\(name)"
            )
        }
        if let metadata = try object.optionalObject("metadata") {
            var pairs: [String: String] = [:]
            for (key, value) in metadata.fields {
                guard let text = value as? String else {
                    throw APIError.invalid("Invalid type for 'match.metadata.\(key)': expected a string.", param: "match.metadata")
                }
                pairs[key] = text
            }
            match.metadata = pairs
        }
        if let body = try object.optionalObject("body") {
            guard case .object(let members) = JSONValue(parsed: body.fields) else {
                throw APIError.invalid("Invalid value for 'match.body': a JSON object.", param: "match.body")
            }
            match.body = members
        }
        return match
    }

    private static func lineAction(_ body: JSONBody) throws -> LineAction {
        var action = LineAction()
        if let answer = try body.optionalObject("answer") {
            try answer.requireOnly(["body"])
            guard let value = answer.fields["body"].flatMap(JSONValue.init(parsed:)), value.objectMembers != nil else {
                throw APIError.invalid("Invalid value for 'answer.body': the JSON object the line answers with.", param: "answer.body")
            }
            action.answer = value
        }
        if let error = try body.optionalObject("error") {
            if action.answer != nil { throw APIError.invalid("A line rule answers with 'answer' or 'error', not both.", param: "error") }
            action.error = try lineError(error)
        }
        if body.fields["delay_ms"] != nil { action.delayMilliseconds = try milliseconds(body, "delay_ms") }
        return action
    }

    private static func lineError(_ error: JSONBody) throws -> LineError {
        try error.requireOnly(["status_code", "body", "message", "type", "code", "param"])
        let status = try error.requiredInteger("status_code")
        guard (400...599).contains(status) else {
            throw APIError.invalid("Invalid value for 'error.status_code': \(status). An error answers with 400…599.", param: "error.status_code")
        }
        var result = LineError(
            statusCode: Int(status),
            message: try error.optionalString("message"),
            type: try error.optionalString("type"),
            code: try error.optionalString("code"),
            param: try error.optionalString("param")
        )
        if let body = error.fields["body"] {
            guard let value = JSONValue(parsed: body), value.objectMembers != nil else {
                throw APIError.invalid("Invalid value for 'error.body': the JSON object the line answers with.", param: "error.body")
            }
            guard result.message == nil, result.type == nil, result.code == nil, result.param == nil else {
                throw APIError.invalid("Give 'error.body', or 'error.message', 'type', 'code' and 'param', not both.", param: "error.body")
            }
            result.body = value
        }
        return result
    }

    private static func batchAction(_ body: JSONBody) throws -> BatchAction {
        let outcomes = ["fail", "expire_after_lines", "cancel_after_lines"].filter { body.fields[$0] != nil }
        if outcomes.count > 1 {
            throw APIError.invalid(
                "A batch rule takes one of 'fail', 'expire_after_lines' and 'cancel_after_lines', not several.",
                param: outcomes[1]
            )
        }
        var action = BatchAction()
        if let fail = body.fields["fail"] { action.fail = try Self.fail(fail) }
        if body.fields["expire_after_lines"] != nil { action.expireAfterLines = try count(body, "expire_after_lines") }
        if body.fields["cancel_after_lines"] != nil { action.cancelAfterLines = try count(body, "cancel_after_lines") }
        if let schedule = try body.optionalObject("schedule") {
            let stages = ["validating_ms", "line_ms", "finalizing_ms", "cancelling_ms"]
            try schedule.requireOnly(Set(stages))
            guard !schedule.fields.isEmpty else {
                throw APIError.invalid("Invalid value for 'schedule': name at least one of \(stages.joined(separator: ", ")).", param: "schedule")
            }
            func stage(_ name: String) throws -> Int64? { schedule.fields[name] == nil ? nil : try milliseconds(schedule, name) }
            action.schedule = ScheduleChange(
                validatingMilliseconds: try stage("validating_ms"),
                millisecondsPerLine: try stage("line_ms"),
                finalizingMilliseconds: try stage("finalizing_ms"),
                cancellingMilliseconds: try stage("cancelling_ms")
            )
        }
        return action
    }

    private static func fail(_ raw: Any) throws -> Fail {
        if let flag = raw as? NSNumber, JSONBody.isBool(flag), flag.boolValue { return Fail() }
        guard let object = raw as? [String: Any] else {
            throw APIError.invalid("Invalid value for 'fail': true, or an object with 'errors'.", param: "fail")
        }
        let fail = JSONBody(fields: object, path: "fail.")
        try fail.requireOnly(["errors"])
        guard fail.fields["errors"] != nil else { return Fail() }
        guard let items = fail.fields["errors"] as? [Any], (1...100).contains(items.count) else {
            throw APIError.invalid("Invalid value for 'fail.errors': an array of 1 to 100 errors.", param: "fail.errors")
        }
        var errors: [BatchLineError] = []
        for (index, item) in items.enumerated() {
            guard let fields = item as? [String: Any] else {
                throw APIError.invalid("Invalid type for 'fail.errors[\(index)]': expected an object.", param: "fail.errors")
            }
            let error = JSONBody(fields: fields, path: "fail.errors[\(index)].")
            try error.requireOnly(["code", "message", "param", "line"])
            errors.append(
                BatchLineError(
                    code: try error.requiredString("code"),
                    message: try error.requiredString("message"),
                    param: try error.optionalString("param"),
                    line: error.fields["line"] == nil || error.fields["line"] is NSNull ? nil : try count(error, "line")
                )
            )
        }
        return Fail(errors: errors)
    }

    private static func milliseconds(_ body: JSONBody, _ name: String) throws -> Int64 {
        let value = try body.requiredInteger(name)
        guard (0...maxMilliseconds).contains(value) else {
            throw APIError.invalid("Invalid value for '\(body.param(name))': it must be between 0 and \(maxMilliseconds).", param: body.param(name))
        }
        return value
    }

    private static func count(_ body: JSONBody, _ name: String) throws -> Int64 {
        let value = try body.requiredInteger(name)
        guard (0...(1 << 40)).contains(value) else {
            throw APIError.invalid("Invalid value for '\(body.param(name))': it must be 0 or more.", param: body.param(name))
        }
        return value
    }

    /// The rule as `GET /admin/batch-rules` shows it, and as it is stored.
    var json: [String: Any] {
        var object: [String: Any] = ["id": id, "match": matchJSON]
        if let line {
            if let answer = line.answer { object["answer"] = ["body": answer.foundationValue] }
            if let error = line.error {
                var fields: [String: Any] = ["status_code": error.statusCode]
                for (name, value) in [("message", error.message), ("type", error.type), ("code", error.code), ("param", error.param)] {
                    if let value { fields[name] = value }
                }
                if let body = error.body { fields["body"] = body.foundationValue }
                object["error"] = fields
            }
            object["delay_ms"] = line.delayMilliseconds
        }
        if let batch {
            if let fail = batch.fail {
                object["fail"] = fail.errors.map { errors in ["errors": errors.map(Self.errorJSON)] } ?? true
            }
            if let count = batch.expireAfterLines { object["expire_after_lines"] = count }
            if let count = batch.cancelAfterLines { object["cancel_after_lines"] = count }
            if let change = batch.schedule {
                var stages: [String: Any] = [:]
                for (name, value) in [
                    ("validating_ms", change.validatingMilliseconds), ("line_ms", change.millisecondsPerLine),
                    ("finalizing_ms", change.finalizingMilliseconds), ("cancelling_ms", change.cancellingMilliseconds),
                ] {
                    if let value { stages[name] = value }
                }
                object["schedule"] = stages
            }
        }
        return object
    }

    private static func errorJSON(_ error: BatchLineError) -> [String: Any] {
        ["code": error.code, "message": error.message, "param": error.param as Any? ?? NSNull(), "line": error.line as Any? ?? NSNull()]
    }

    private var matchJSON: [String: Any] {
        var object: [String: Any] = [:]
        for (name, value) in [
            ("endpoint", match.endpoint), ("input_file_id", match.inputFileID), ("custom_id", match.customID), ("model", match.model),
        ] {
            if let value { object[name] = value }
        }
        if let metadata = match.metadata { object["metadata"] = metadata }
        if let body = match.body { object["body"] = body.mapValues(\.foundationValue) }
        return object
    }

    /// A list of rules as stored (the shared controls' column, a saved server's, a snapshot).
    static func storedText(of rules: [BatchRule]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: rules.map(\.json), options: [.sortedKeys]), as: UTF8.self)
    }

    /// Reads a stored list back, each rule checked as the API checks it.
    static func rules(storedText text: String) throws -> [BatchRule] {
        guard let items = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw APIError.invalid("stored batch rules: not a list of objects", param: nil)
        }
        return try items.map { item in
            var fields = item
            guard let id = fields.removeValue(forKey: "id") as? String else { throw APIError.invalid("stored batch rule without an id", param: nil) }
            return try BatchRule(json: JSONBody(fields: fields), id: id)
        }
    }
}

/// In a snapshot's header: the rule's JSON, read back through the API's checks.
extension BatchRule: Codable {
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        guard var fields = value.foundationValue as? [String: Any], let id = fields.removeValue(forKey: "id") as? String else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "batch rule: an object with an id"))
        }
        do {
            try self.init(json: JSONBody(fields: fields), id: id)
        } catch let error as APIError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "batch rule: \(error.message)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        // Through JSONSerialization's own numbers, so a Swift Bool is not read back as 1.
        let parsed = try JSONSerialization.jsonObject(with: try JSONSerialization.data(withJSONObject: json))
        guard let value = JSONValue(parsed: parsed) else {
            throw EncodingError.invalidValue(json, .init(codingPath: encoder.codingPath, debugDescription: "batch rule: not JSON"))
        }
        try value.encode(to: encoder)
    }
}
