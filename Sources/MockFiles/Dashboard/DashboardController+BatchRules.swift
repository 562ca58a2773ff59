import Foundation
import Hummingbird

/// The Controls page's batch rules: a rule is the JSON `POST /admin/batch-rules` takes, read by the
/// same parser and `BatchRule(json:id:)`, so the page refuses what the admin API refuses, in its
/// words. A form of fields could not hold a rule's nested answers and matches.
extension DashboardController {
    /// The rules in force for the Controls page: each one's match and action as compact JSON.
    func batchRuleRows() async throws -> [[String: Any]] {
        try await controls.listBatchRules().map { rule in
            var action = rule.json
            action["id"] = nil
            let match = action.removeValue(forKey: "match") ?? [:]
            return ["id": rule.id, "match": Self.compactJSON(match), "action": Self.compactJSON(action)]
        }
    }

    static func compactJSON(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    func addBatchRule(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try JSONBody.parse(Array((context.form["rule"] ?? "").utf8))
        let rule = try await controls.addBatchRule { id in try BatchRule(json: body, id: id) }
        return Self.back(to: "/ui/controls", notice: "Added \(rule.id).")
    }

    func removeBatchRule(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let removed = try await controls.removeBatchRule(id: id)
        return Self.back(to: "/ui/controls", notice: removed ? "Removed \(id)." : "\(id) was already gone.")
    }

    func removeAllBatchRules(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard context.form["confirm"] == "yes" else { return Self.back(to: "/ui/controls", notice: "Tick the box to remove every batch rule.") }
        let removed = try await controls.removeAllBatchRules()
        return Self.back(to: "/ui/controls", notice: "Removed \(removed) batch rule\(removed == 1 ? "" : "s").")
    }
}
