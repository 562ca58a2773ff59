import NIOConcurrencyHelpers

/// The batch rules in force on this instance, in the order they were added (the first that
/// matches decides). With shared controls this is the copy `TestControls.synchronize` keeps.
public final class BatchRuleBook: Sendable {
    private struct State {
        var rules: [BatchRule] = []
        var nextID = 1
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public var rules: [BatchRule] { state.withLockedValue { $0.rules } }

    func add(_ make: (String) throws -> BatchRule) throws -> BatchRule {
        try state.withLockedValue { state in
            guard state.rules.count < BatchRule.maxRules else { throw BatchRule.tooMany }
            let rule = try make("batchrule_\(state.nextID)")
            state.nextID += 1
            state.rules.append(rule)
            return rule
        }
    }

    /// Puts back rules saved earlier (a snapshot, a restart, another instance's), ids as they
    /// were; rules added later get ids after theirs.
    func replaceAll(with rules: [BatchRule]) {
        state.withLockedValue { state in
            state.rules = rules
            state.nextID = max(state.nextID, (rules.compactMap(\.number).max() ?? 0) + 1)
        }
    }

    func remove(id: String) -> Bool {
        state.withLockedValue { state in
            let before = state.rules.count
            state.rules.removeAll { $0.id.utf8.elementsEqual(id.utf8) }
            return state.rules.count != before
        }
    }

    func removeAll() -> Int {
        state.withLockedValue { state in
            defer { state.rules.removeAll() }
            return state.rules.count
        }
    }
}

extension BatchRule {
    /// `N` of `batchrule_N`.
    var number: Int? { id.hasPrefix("batchrule_") ? Int(id.dropFirst("batchrule_".count)) : nil }

    static let tooMany = APIError.invalid(
        "There are already \(maxRules) batch rules; remove some (DELETE /admin/batch-rules) before adding more.",
        param: nil,
        code: "too_many_batch_rules"
    )
}
