import Foundation
import Hummingbird

/// The Controls page: the clock, fault rules, batch rules (`+BatchRules`), sweep and reset, each
/// form going through the same checks as the admin API (`TestControls.apply`, `FaultRule`'s
/// initialiser), so the same values are refused.
extension DashboardController {
    func controlsPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await controls.synchronize()
        let now = files.clock.now
        // Up to `FaultRule.maxRules` rules: shown a page at a time, `?rules_from=` the first one's index.
        let rules = try await controls.faultRules()
        let from = min(max(request.uri.queryParameters["rules_from"].flatMap { Int(String($0)) } ?? 0, 0), rules.count)
        let shown = rules[from..<min(from + Self.faultRulesShown, rules.count)]
        var values: [String: Any] = [
            "now": DashboardViews.time(ServiceClock.wholeSeconds(now)), "nowSeconds": ServiceClock.wholeSeconds(now), "frozen": files.clock.isFrozen,
            "faults": shown.map { rule -> [String: Any] in
                [
                    "id": rule.id, "method": rule.method ?? "any", "path": rule.pathPattern, "status": rule.status.map(String.init) ?? "—",
                    "fired": rule.fired, "remaining": rule.remaining.map(String.init) ?? "∞",
                ]
            },
            "idSeed": settings.idSeed.map(String.init) ?? "none (random ids)",
            "processingDelay": Int(settings.files.processingDelaySeconds * 1000),
            "batchRules": try await batchRuleRows(),
        ]
        if rules.count > Self.faultRulesShown {
            values["rulesRange"] = "Rules \(from + 1)–\(from + shown.count) of \(rules.count)."
        }
        if from > 0 { values["rulesPrevious"] = "/ui/controls?rules_from=\(max(from - Self.faultRulesShown, 0))" }
        if from + shown.count < rules.count { values["rulesNext"] = "/ui/controls?rules_from=\(from + shown.count)" }
        if let notice = request.uri.queryParameters["notice"] { values["notice"] = String(notice) }
        return page("controls", values, for: request)
    }

    static let faultRulesShown = 50

    func changeClock(_ request: Request, context: AppRequestContext) async throws -> Response {
        let frozen = context.form["frozen"].flatMap { $0.isEmpty ? nil : $0 == "true" }
        try await controls.apply(
            ClockChange(
                now: try Self.number(context.form, "now"),
                advanceSeconds: try Self.number(context.form, "advance_seconds"),
                frozen: frozen
            )
        )
        return Self.back(to: "/ui/controls", notice: "The clock reads \(files.clock.seconds).")
    }

    func addFault(_ request: Request, context: AppRequestContext) async throws -> Response {
        let method = context.form["method"].flatMap { $0.isEmpty ? nil : $0 }
        let status = try Self.integer(context.form, "status")
        let times = try Self.integer(context.form, "times")
        if let times, times < 1 { throw APIError.invalid("Invalid value for 'times': it must be at least 1.", param: "times") }
        let path = context.form["path"] ?? ""
        let rule = try await controls.addFault { id in
            try FaultRule(id: id, method: method, pathPattern: path, status: status, remaining: times)
        }
        return Self.back(to: "/ui/controls", notice: "Armed \(rule.id).")
    }

    func removeFault(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let removed = try await controls.removeFault(id: id)
        return Self.back(to: "/ui/controls", notice: removed ? "Removed \(id)." : "\(id) was already gone.")
    }

    func sweep(_ request: Request, context: AppRequestContext) async throws -> Response {
        let removed = try await sweeper.sweepOnce()
        return Self.back(to: "/ui/controls", notice: "The sweep removed \(removed) expired files.")
    }

    func reset(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard context.form["confirm"] == "yes" else { return Self.back(to: "/ui/controls", notice: "Tick the box to reset.") }
        let report = try await controls.reset()
        return Self.back(to: "/ui/controls", notice: "Reset: \(report.filesRemoved) files, \(report.uploadsRemoved) uploads removed.")
    }
}
