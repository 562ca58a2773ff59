import Foundation

/// `POST /admin/verify`: how many journal entries must match a filter.
struct RequestExpectation {
    var filter: RequestFilter
    /// Inclusive bounds on the number of matching entries; `count` sets both.
    var atLeast: Int
    var atMost: Int?

    static let countNames = ["count", "at_least", "at_most"]

    init(json body: JSONBody) throws {
        try body.requireOnly(Set(RequestFilter.parameterNames + Self.countNames))
        var parameters: [String: String] = [:]
        for name in RequestFilter.parameterNames {
            guard let raw = body.fields[name], !(raw is NSNull) else { continue }
            switch raw {
            case let text as String: parameters[name] = text
            case let number as NSNumber where !JSONBody.isBool(number): parameters[name] = number.stringValue
            default: throw APIError.invalid("Invalid type for '\(name)': expected a string or a number.", param: name)
            }
        }
        filter = try RequestFilter(parameters: parameters)
        let count = try Self.bound(body, "count")
        let atLeast = try Self.bound(body, "at_least")
        let atMost = try Self.bound(body, "at_most")
        if let count {
            guard atLeast == nil, atMost == nil else {
                throw APIError.invalid("'count' cannot be combined with 'at_least' or 'at_most'.", param: "count")
            }
            self.atLeast = count
            self.atMost = count
        } else {
            // Nothing said: the request happened at least once.
            self.atLeast = atLeast ?? (atMost == nil ? 1 : 0)
            self.atMost = atMost
        }
        if let atMost = self.atMost, atMost < self.atLeast {
            throw APIError.invalid("'at_most' (\(atMost)) is less than 'at_least' (\(self.atLeast)).", param: "at_most")
        }
    }

    private static func bound(_ body: JSONBody, _ name: String) throws -> Int? {
        guard body.fields[name] != nil, !(body.fields[name] is NSNull) else { return nil }
        let value = try body.requiredInteger(name)
        guard value >= 0, value <= Int64(Int32.max) else {
            throw APIError.invalid("Invalid value for '\(name)': it must be 0 or more.", param: name)
        }
        return Int(value)
    }

    func holds(forMatched matched: Int) -> Bool {
        matched >= atLeast && (atMost.map { matched <= $0 } ?? true)
    }

    /// "exactly 2", "at least 1", "between 1 and 3", "at most 0".
    var wording: String {
        switch atMost {
        case atLeast: "exactly \(atLeast)"
        case nil: "at least \(atLeast)"
        case let atMost? where atLeast == 0: "at most \(atMost)"
        case let atMost?: "between \(atLeast) and \(atMost)"
        }
    }
}
