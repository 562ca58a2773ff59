import Foundation

/// Any JSON value, as a value type: what an operator's batch rule holds of JSON (a fixed answer
/// body, a body to match), kept in memory, stored and compared. Objects keep no key order
/// (JSONSerialization, which reads the admin API's bodies, keeps none); they are written sorted.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A value as JSONSerialization parsed it; nil for anything that is not JSON. Strings and
    /// containers are told apart before null and numbers: on Linux `is NSNull` and `as? NSNumber`
    /// would first bridge them to Foundation, copying everything inside (`JSONNumberKind.number`).
    init?(parsed value: Any?) {
        guard let value else {
            self = .null
            return
        }
        switch value {
        case let string as String: self = .string(string)
        case let array as [Any]:
            var items: [JSONValue] = []
            for item in array {
                guard let value = JSONValue(parsed: item) else { return nil }
                items.append(value)
            }
            self = .array(items)
        case let object as [String: Any]:
            var members: [String: JSONValue] = [:]
            for (key, item) in object {
                guard let value = JSONValue(parsed: item) else { return nil }
                members[key] = value
            }
            self = .object(members)
        default:
            if JSONNumberKind.isNull(value) {
                self = .null
            } else if let number = JSONNumberKind.number(value) {
                switch JSONNumberKind(number) {
                case .boolean: self = .bool(number.boolValue)
                case .integer: self = .integer(number.int64Value)
                case .decimal: self = .double(number.doubleValue)
                }
            } else {
                return nil
            }
        }
    }

    var objectMembers: [String: JSONValue]? {
        if case .object(let members) = self { members } else { nil }
    }

    /// Whether `parsed` (a JSONSerialization value) holds this value: an object's members must
    /// each be held by the member of that name (more members may be there); anything else must
    /// be equal as a whole. Numbers compare by value (`1` holds `1.0`), never a boolean.
    func isHeld(by parsed: Any?) -> Bool {
        if case .object(let members) = self {
            guard let object = parsed as? [String: Any] else { return false }
            return members.allSatisfy { key, value in object[key].map { value.isHeld(by: $0) } ?? false }
        }
        guard let other = JSONValue(parsed: parsed) else { return false }
        return equals(other)
    }

    /// Equality as JSON means it: numbers by value, objects member by member.
    func equals(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.integer(let left), .integer(let right)): left == right
        case (.integer(let left), .double(let right)), (.double(let right), .integer(let left)): Double(exactly: left) == right
        case (.double(let left), .double(let right)): left == right
        case (.array(let left), .array(let right)): left.count == right.count && zip(left, right).allSatisfy { $0.equals($1) }
        case (.object(let left), .object(let right)):
            left.count == right.count && left.allSatisfy { key, value in right[key].map(value.equals) ?? false }
        default: self == other
        }
    }

    func write(into json: inout JSONWriter) {
        switch self {
        case .null: json.null()
        case .bool(let value): json.bool(value)
        case .integer(let value): json.number(value)
        case .double(let value): json.double(value)
        case .string(let value): json.string(value)
        case .array(let items):
            json.beginArray()
            for item in items { item.write(into: &json) }
            json.endArray()
        case .object(let members):
            json.beginObject()
            for key in members.keys.sorted() {
                json.dynamicKey(key)
                members[key]!.write(into: &json)
            }
            json.endObject()
        }
    }

    /// For answers built with JSONSerialization (the admin API's): a Foundation value.
    var foundationValue: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .integer(let value): value
        case .double(let value): value
        case .string(let value): value
        case .array(let items): items.map(\.foundationValue)
        case .object(let members): members.mapValues(\.foundationValue)
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let items): try container.encode(items)
        case .object(let members): try container.encode(members)
        }
    }
}
