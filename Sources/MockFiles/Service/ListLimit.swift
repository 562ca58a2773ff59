/// The `limit` of a list endpoint, worded with the service's template for integer bounds
/// (docs/fidelity.md, "Where mockfiles' answers come from"): `GET /v1/files` (1…10,000) and
/// `GET /v1/batches` (1…100).
enum ListLimit {
    static func parse(_ raw: String, maximum: Int) throws(APIError) -> Int {
        guard let limit = Int(raw) else {
            throw .invalid("Invalid 'limit': expected an integer, but got '\(raw)' instead.", param: "limit", code: "invalid_type")
        }
        guard limit >= 1 else {
            throw .invalid(
                "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got \(limit) instead.",
                param: "limit",
                code: "integer_below_min_value"
            )
        }
        guard limit <= maximum else {
            throw .invalid(
                "Invalid 'limit': integer above maximum value. Expected a value <= \(maximum), but got \(limit) instead.",
                param: "limit",
                code: "integer_above_max_value"
            )
        }
        return limit
    }
}
