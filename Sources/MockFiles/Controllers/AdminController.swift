import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/admin/`: the controls a test needs and the real service lacks — reset, faults, batch rules, clock,
/// request log and verification, sweep.
struct AdminController {
    let controls: TestControls
    let files: FileService
    let uploads: UploadService
    let sweeper: ExpirySweeper

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("reset", use: reset)
        group.get("faults", use: listFaults)
        group.post("faults", use: addFault)
        group.delete("faults", use: removeAllFaults)
        group.delete("faults/{id}", use: removeFault)
        group.get("batch-rules", use: listBatchRules)
        group.post("batch-rules", use: addBatchRule)
        group.delete("batch-rules", use: removeAllBatchRules)
        group.delete("batch-rules/{id}", use: removeBatchRule)
        group.get("clock", use: clock)
        group.post("clock", use: setClock)
        group.get("requests", use: requests)
        group.post("verify", use: verify)
        group.get("files", use: adminFiles)
        group.get("snapshot", use: snapshot)
        group.post("snapshot", use: restoreSnapshot)
        group.post("sweep", use: sweep)
    }

    func reset(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONResponse.make(try await controls.reset())
    }

    func listFaults(_ request: Request, context: AppRequestContext) async throws -> Response {
        try Self.list(try await controls.faultRules().map(\.json))
    }

    func addFault(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request)
        let rule = try await controls.addFault { id in try FaultRule(json: body, id: id) }
        return try Self.json(rule.json)
    }

    func removeAllFaults(_ request: Request, context: AppRequestContext) async throws -> Response {
        try Self.json(["removed": try await controls.removeAllFaults()])
    }

    func removeFault(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard try await controls.removeFault(id: id) else {
            throw APIError(status: .notFound, message: "No such fault rule: \(id)", param: "id")
        }
        return try Self.json(["id": id, "deleted": true])
    }

    func clock(_ request: Request, context: AppRequestContext) async throws -> Response {
        try clockAnswer()
    }

    /// `{"advance_seconds": N}`, `{"now": T}` and/or `{"frozen": true|false}`.
    func setClock(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await changeClock(try await JSONBody.read(request))
        return try clockAnswer()
    }

    /// The clock change `body` asks for; `TestControls.apply` checks and applies it.
    func changeClock(_ body: JSONBody) async throws {
        try body.requireOnly(["advance_seconds", "now", "frozen"])
        let frozen = body.fields["frozen"]
        if let frozen, !(frozen is Bool) { throw APIError.invalid("Invalid type for 'frozen': expected a boolean.", param: "frozen") }
        try await controls.apply(
            ClockChange(
                now: try Self.clockNumber(body.fields["now"], param: "now", expected: "Unix seconds"),
                advanceSeconds: try Self.clockNumber(body.fields["advance_seconds"], param: "advance_seconds", expected: "a number"),
                frozen: frozen as? Bool
            )
        )
    }

    static func clockNumber(_ raw: Any?, param: String, expected: String) throws -> Double? {
        guard let raw else { return nil }
        guard let number = raw as? NSNumber, !JSONBody.isBool(number), number.doubleValue.isFinite else {
            throw APIError.invalid("Invalid type for '\(param)': expected \(expected).", param: param)
        }
        return number.doubleValue
    }

    func clockAnswer() throws -> Response {
        let now = files.clock.now
        return try Self.json(["now": ServiceClock.wholeSeconds(now), "now_exact": now, "frozen": files.clock.isFrozen])
    }

    /// Runs the expiry sweep now (e.g. after moving the clock) instead of waiting for the interval.
    func sweep(_ request: Request, context: AppRequestContext) async throws -> Response {
        let removed = try await sweeper.sweepOnce()
        return try Self.json(["files_removed": removed])
    }

    /// `{"object": "list", "data": items}`, `object` first as in the API's own lists (a
    /// dictionary's keys would come out sorted, `data` first).
    static func list(_ items: [[String: Any?]]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: items.map { $0.mapValues { $0 ?? NSNull() } }, options: [.sortedKeys])
        var body = ByteBuffer(string: #"{"object":"list","data":"#)
        body.writeBytes(data)
        body.writeString("}")
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .contentLength: String(body.readableBytes)],
            body: .init(byteBuffer: body)
        )
    }

    /// For answers built from dictionaries (optional values become `null`).
    static func json(_ value: [String: Any?]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: value.mapValues { $0 ?? NSNull() }, options: [.sortedKeys])
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .contentLength: String(data.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
