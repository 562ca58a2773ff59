import HTTPTypes

/// The line rules a batch was created under (`StoredBatch.rules`), ready to match its lines: the
/// first rule whose `match` holds for a line decides it. Used twice, like the input reader: at
/// create, for each line's status and delay; when results are made, for its answer.
struct BatchLineRules: Sendable {
    private struct Compiled: Sendable {
        var rule: BatchRule
        var customID: WildcardPattern?
        var model: WildcardPattern?
    }

    private let rules: [Compiled]

    init(_ rules: [BatchRule]) {
        self.rules = rules.map { rule in
            Compiled(rule: rule, customID: rule.match.customID.map(WildcardPattern.init), model: rule.match.model.map(WildcardPattern.init))
        }
    }

    /// The rules a batch's row holds (nil: none).
    init(stored text: String?) throws {
        self.init(try text.map(BatchRule.rules(storedText:)) ?? [])
    }

    var isEmpty: Bool { rules.isEmpty }

    /// The rule that decides `line`, if one does.
    func deciding(_ line: BatchInputLine) -> BatchRule? {
        guard !rules.isEmpty else { return nil }
        return rules.first { compiled in
            if let pattern = compiled.customID, !pattern.matches(line.customID) { return false }
            if let pattern = compiled.model {
                guard let model = line.body["model"] as? String, pattern.matches(model) else { return false }
            }
            if let wanted = compiled.rule.match.body, !JSONValue.object(wanted).isHeld(by: line.body) { return false }
            return true
        }?.rule
    }
}

extension BatchRule {
    /// The status of `fixedAnswer`, without writing its body (validation asks it of every line).
    var fixedStatusCode: Int? {
        if line?.answer != nil { return 200 }
        return line?.error?.statusCode
    }

    /// The answer a line rule gives in place of the endpoint's; nil when it keeps that answer
    /// (a rule that only delays).
    var fixedAnswer: BatchLineAnswer? {
        if let body = line?.answer {
            return BatchLineAnswer(statusCode: 200, body: BatchAnswers.write { body.write(into: &$0) }, usage: Self.usage(of: body))
        }
        guard let error = line?.error else { return nil }
        if let body = error.body {
            return BatchLineAnswer(statusCode: error.statusCode, body: BatchAnswers.write { body.write(into: &$0) }, usage: BatchUsage())
        }
        let envelope = APIError(
            status: HTTPResponse.Status(code: error.statusCode),
            message: error.message ?? "Error injected by mockfiles batch rule \(id).",
            type: error.type ?? (error.statusCode >= 500 ? "server_error" : "invalid_request_error"),
            param: error.param,
            code: error.code
        )
        return BatchLineAnswer(statusCode: error.statusCode, body: envelope.lineBody(), usage: BatchUsage())
    }

    /// A fixed answer's tokens (an upstream's answer's too): its own `usage`, in the Chat
    /// Completions or the Responses names.
    static func usage(of body: JSONValue) -> BatchUsage {
        guard let usage = body.objectMembers?["usage"]?.objectMembers else { return BatchUsage() }
        func count(_ names: String...) -> Int64 {
            for name in names {
                if case .integer(let value) = usage[name] { return value }
            }
            return 0
        }
        func detail(_ object: String, _ name: String) -> Int64 {
            if case .integer(let value) = usage[object]?.objectMembers?[name] { return value }
            return 0
        }
        return BatchUsage(
            inputTokens: count("prompt_tokens", "input_tokens"),
            outputTokens: count("completion_tokens", "output_tokens"),
            cachedTokens: max(detail("prompt_tokens_details", "cached_tokens"), detail("input_tokens_details", "cached_tokens")),
            reasoningTokens: max(detail("completion_tokens_details", "reasoning_tokens"), detail("output_tokens_details", "reasoning_tokens"))
        )
    }
}
