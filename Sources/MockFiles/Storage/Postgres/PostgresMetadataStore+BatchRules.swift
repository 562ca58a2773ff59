import PostgresNIO

/// The shared batch rules: one JSON list in the controls row, changed in a transaction that holds
/// the row (`FOR UPDATE`), so changes from several instances apply one after another; ids come
/// from a sequence, so no two instances hand out the same one.
extension PostgresMetadataStore {
    public func insertBatchRule(_ rule: BatchRule) async throws -> BatchRule {
        try await changeBatchRules { rules, connection in
            guard rules.count < BatchRule.maxRules else { throw BatchRule.tooMany }
            var rule = rule
            for try await number in try await connection.query("SELECT nextval('mockfiles_batch_rule_ids')", logger: logger).decode(Int64.self) {
                rule.id = "batchrule_\(number)"
            }
            rules.append(rule)
            return rule
        }
    }

    public func deleteBatchRule(id: String) async throws -> Bool {
        try await changeBatchRules { rules, _ in
            let before = rules.count
            rules.removeAll { $0.id.utf8.elementsEqual(id.utf8) }
            return rules.count != before
        }
    }

    public func deleteAllBatchRules() async throws -> Int {
        try await changeBatchRules { rules, _ in
            defer { rules.removeAll() }
            return rules.count
        }
    }

    public func replaceBatchRules(with replacement: [BatchRule]) async throws {
        try await changeBatchRules { rules, connection in
            rules = replacement
            // Rules added later get ids after the restored ones.
            let highest = Int64(replacement.compactMap(\.number).max() ?? 0)
            try await connection.query(
                "SELECT setval('mockfiles_batch_rule_ids', greatest(\(highest), (SELECT last_value FROM mockfiles_batch_rule_ids)))",
                logger: logger
            )
        }
    }

    /// Reads the list under the row's lock, lets `change` edit it, and writes it back with the
    /// generation bumped when it changed. A throw from `change` leaves everything as it was, and
    /// reaches the caller as it was thrown (not wrapped in the transaction's error).
    private func changeBatchRules<Answer: Sendable>(
        _ change: @escaping @Sendable (inout [BatchRule], PostgresConnection) async throws -> Answer
    ) async throws -> Answer {
        let outcome: Result<Answer, any Error> = try await client.withTransaction(logger: logger) { connection in
            var rules: [BatchRule] = []
            let rows = try await connection.query("SELECT batch_rules FROM mockfiles_controls WHERE id = 1 FOR UPDATE", logger: logger)
            for try await text in rows.decode(String.self) { rules = try BatchRule.rules(storedText: text) }
            let before = rules
            let answer: Answer
            do {
                answer = try await change(&rules, connection)
            } catch let error as APIError {
                return .failure(error)
            }
            if rules != before {
                let text = try BatchRule.storedText(of: rules)
                try await connection.query(
                    "UPDATE mockfiles_controls SET batch_rules = \(text), generation = generation + 1 WHERE id = 1",
                    logger: logger
                )
            }
            return .success(answer)
        }
        return try outcome.get()
    }
}
