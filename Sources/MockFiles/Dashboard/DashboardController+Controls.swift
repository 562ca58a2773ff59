import Foundation
import Hummingbird

/// The Controls page: the clock, fault rules, sweep and reset, each form going through the
/// admin API's own code (`AdminController`, `TestControls`), so the same values are refused.
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
        var fields: [String: Any] = [:]
        if let advance = try Self.number(context.form, "advance_seconds") { fields["advance_seconds"] = advance }
        if let now = try Self.number(context.form, "now") { fields["now"] = now }
        if let frozen = context.form["frozen"], !frozen.isEmpty { fields["frozen"] = frozen == "true" }
        try await admin.changeClock(JSONBody(fields: fields))
        return Self.back(to: "/ui/controls", notice: "The clock reads \(files.clock.seconds).")
    }

    func addFault(_ request: Request, context: AppRequestContext) async throws -> Response {
        var fields: [String: Any] = ["path": context.form["path"] ?? ""]
        if let method = context.form["method"], !method.isEmpty { fields["method"] = method }
        if let status = try Self.number(context.form, "status") { fields["status"] = status }
        if let times = try Self.number(context.form, "times") { fields["times"] = times }
        let body = JSONBody(fields: fields)
        let rule = try await controls.addFault { id in try FaultRule(json: body, id: id) }
        return Self.back(to: "/ui/controls", notice: "Armed \(rule.id).")
    }

    func removeFault(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let removed = try await controls.removeFault(id: id)
        return Self.back(to: "/ui/controls", notice: removed ? "Removed \(id)." : "\(id) was already gone.")
    }

    func sweep(_ request: Request, context: AppRequestContext) async throws -> Response {
        let removed = try await admin.sweeper.sweepOnce()
        return Self.back(to: "/ui/controls", notice: "The sweep removed \(removed) expired files.")
    }

    func reset(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard context.form["confirm"] == "yes" else { return Self.back(to: "/ui/controls", notice: "Tick the box to reset.") }
        let report = try await controls.reset()
        return Self.back(to: "/ui/controls", notice: "Reset: \(report.filesRemoved) files, \(report.uploadsRemoved) uploads removed.")
    }
}
