import Foundation

/// One batch line's `body` as JSONSerialization parsed it, read field by field so a wrong field
/// gets the endpoint's own 400, with the line's seed and clock.
struct BatchAnswerRequest {
    let body: [String: Any]
    let seed: String
    let created: Int64
    /// False when only the answer's status is wanted (`BatchAnswers.statusCode`).
    var writesBody = true

    init(body: [String: Any], seed: String, created: Int64) {
        self.body = body
        self.seed = seed
        self.created = created
    }

    /// The answer's body, written in the output line's layout. (Only a request that `writesBody`
    /// gets here: each endpoint returns `.accepted` after its checks when only the status is wanted.)
    func write(_ answer: (inout JSONWriter) -> Void) -> [UInt8] {
        BatchAnswers.write(answer)
    }

    /// The field, or nil when absent or JSON null (the service treats both as not given).
    func value(_ name: String) -> Any? {
        guard let value = body[name], !JSONNumberKind.isNull(value) else { return nil }
        return value
    }

    /// `model` for the endpoints that refuse a line without one.
    func model() throws(APIError) -> String {
        guard let value = value("model") else { throw .missingModel }
        guard let model = value as? String else { throw .invalidType("model", expected: "a string", got: value) }
        return model
    }

    func string(_ name: String) throws(APIError) -> String? {
        guard let value = value(name) else { return nil }
        guard let string = value as? String else { throw .invalidType(name, expected: "a string", got: value) }
        return string
    }

    func requiredString(_ name: String) throws(APIError) -> String {
        guard let string = try string(name) else { throw .missingParameter(name) }
        return string
    }

    func integer(_ name: String) throws(APIError) -> Int64? {
        guard let value = value(name) else { return nil }
        guard let number = JSONNumberKind.number(value), JSONNumberKind(number) == .integer else {
            throw .invalidType(name, expected: "an integer", got: value)
        }
        return number.int64Value
    }

    func number(_ name: String) throws(APIError) -> Double? {
        guard let value = value(name) else { return nil }
        guard let number = JSONNumberKind.number(value), JSONNumberKind(number) != .boolean else {
            throw .invalidType(name, expected: "a number", got: value)
        }
        return number.doubleValue
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard let number = JSONNumberKind.number(value), JSONNumberKind(number) == .boolean else {
            throw .invalidType(name, expected: "a boolean", got: value)
        }
        return number.boolValue
    }
}
