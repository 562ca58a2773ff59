import Foundation

/// What a line's result line records: an answer, or why there is none.
enum BatchLineResult: Sendable {
    case answered(BatchLineAnswer)
    case unanswered(BatchResultLine.Unrun)
}

extension BatchUpstreamClient.Outcome {
    /// The line's answer as its result line records it, or, when the upstream gave none, the
    /// `error` of a line with `response` null (the shape of the lines a batch never ran: the
    /// service's own for a request that got no answer is unknown, docs/fidelity.md#batches).
    func answer(timeoutSeconds: Double) -> BatchLineResult {
        switch self {
        case .answered(let status, let body):
            return .answered(BatchLineAnswer(upstreamStatus: status, body: body))
        case .timedOut:
            let seconds = timeoutSeconds.rounded() == timeoutSeconds ? "\(Int64(timeoutSeconds))" : "\(timeoutSeconds)"
            return .unanswered(
                BatchResultLine.Unrun(
                    code: "request_timeout",
                    message: "The request got no answer within \(seconds) s (batchUpstreamTimeoutSeconds)."
                )
            )
        case .failed(let reason):
            return .unanswered(BatchResultLine.Unrun(code: "upstream_error", message: reason))
        }
    }
}

extension BatchLineAnswer {
    /// An upstream's answer: a JSON body keeps its keys and numbers as sent, in the result
    /// lines' layout, and its `usage` counts in the batch's; anything else (an HTML error page
    /// from a proxy, an empty body) is kept as one JSON string, so the result line stays JSON.
    init(upstreamStatus status: Int, body: [UInt8]) {
        guard !body.isEmpty, (try? JSONSerialization.jsonObject(with: Data(body), options: .fragmentsAllowed)) != nil else {
            let text = String(decoding: body, as: UTF8.self)
            self.init(statusCode: status, body: BatchAnswers.write { $0.string(text) }, usage: BatchUsage())
            return
        }
        var usage = BatchUsage()
        if (200..<300).contains(status), let raw = RawJSON.member("usage", in: body),
            let parsed = try? JSONSerialization.jsonObject(with: Data(raw), options: .fragmentsAllowed),
            let value = JSONValue(parsed: parsed)
        {
            usage = BatchRule.usage(of: .object(["usage": value]))
        }
        self.init(statusCode: status, body: RawJSON.spaced(body), usage: usage)
    }
}
