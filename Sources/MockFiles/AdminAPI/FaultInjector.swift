import NIOConcurrencyHelpers

/// The fault rules in force. The first matching rule that fires decides the request's fate.
public final class FaultInjector: Sendable {
    private struct State {
        var rules: [FaultRule] = []
        var nextID = 1
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    public func add(_ make: (String) throws -> FaultRule) rethrows -> FaultRule {
        try state.withLockedValue { state in
            let rule = try make("fault_\(state.nextID)")
            state.nextID += 1
            state.rules.append(rule)
            return rule
        }
    }

    public var rules: [FaultRule] { state.withLockedValue { $0.rules } }

    public var count: Int { state.withLockedValue { $0.rules.count } }

    /// No rule in force: a request needs no check.
    public var isEmpty: Bool { state.withLockedValue { $0.rules.isEmpty } }

    /// Takes over the rules another instance made (shared controls).
    public func replaceAll(with rules: [FaultRule]) {
        state.withLockedValue { $0.rules = rules }
    }

    /// Puts back rules saved earlier (a snapshot), ids and counts as they were; rules added
    /// later get ids after theirs.
    public func restore(_ rules: [FaultRule]) {
        state.withLockedValue { state in
            state.rules = rules
            let highest = rules.compactMap { Int($0.id.dropFirst("fault_".count)) }.max() ?? 0
            state.nextID = max(state.nextID, highest + 1)
        }
    }

    @discardableResult
    public func remove(id: String) -> Bool {
        state.withLockedValue { state in
            let before = state.rules.count
            state.rules.removeAll { $0.id == id }
            return state.rules.count != before
        }
    }

    @discardableResult
    public func removeAll() -> Int {
        state.withLockedValue { state in
            defer { state.rules.removeAll() }
            return state.rules.count
        }
    }

    /// The rule that fires for this request, counted as fired; nil when none does.
    public func fire(method: String, path: String, apiKey: String?) -> FaultRule? {
        state.withLockedValue { state in
            for index in state.rules.indices where state.rules[index].matches(method: method, path: path, apiKey: apiKey) {
                let rule = state.rules[index]
                guard rule.probability >= 1 || Double.random(in: 0..<1) < rule.probability else { continue }
                state.rules[index].fired += 1
                if let remaining = rule.remaining { state.rules[index].remaining = remaining - 1 }
                return state.rules[index]
            }
            return nil
        }
    }
}
