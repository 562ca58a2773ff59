import Foundation
import GRDB

/// The clock, fault rules and batch rules of a server alone, one row (`SavedControlStore`).
extension SQLiteMetadataStore: SavedControlStore {
    public func saveControls(_ controls: SavedControls) async throws {
        let rules = String(decoding: try JSONEncoder().encode(controls.faultRules), as: UTF8.self)
        let batchRules = try BatchRule.storedText(of: controls.batchRules)
        try await database.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO controls (id, clock_offset, clock_frozen_at, fault_rules, batch_rules) VALUES (1, ?, ?, ?, ?)",
                arguments: [controls.clockOffset, controls.clockFrozenAt, rules, batchRules]
            )
        }
    }

    public func savedControls() async throws -> SavedControls? {
        // Read once, at start-up: the calling thread may wait for it.
        let row = try database.read { db in
            try Row.fetchOne(db, sql: "SELECT clock_offset, clock_frozen_at, fault_rules, batch_rules FROM controls WHERE id = 1")
        }
        guard let row else { return nil }
        let rules: String = row["fault_rules"]
        return SavedControls(
            clockOffset: row["clock_offset"],
            clockFrozenAt: row["clock_frozen_at"],
            faultRules: try JSONDecoder().decode([FaultRule].self, from: Data(rules.utf8)),
            batchRules: try BatchRule.rules(storedText: row["batch_rules"])
        )
    }
}
