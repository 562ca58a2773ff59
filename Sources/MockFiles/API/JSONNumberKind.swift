import Foundation

/// What an NSNumber from JSONSerialization was in the JSON: it hands booleans, integers and
/// decimals over as NSNumber alike (a boolean as type `c` or as the boolean singleton's class).
enum JSONNumberKind: Equatable {
    case boolean, integer, decimal

    init(_ number: NSNumber) {
        if type(of: number) == type(of: NSNumber(value: true)) {
            self = .boolean
            return
        }
        switch String(cString: number.objCType) {
        case "c", "B": self = .boolean
        case "d", "f": self = .decimal
        default: self = .integer
        }
    }

    /// How the service names a JSON value's type in its `Invalid type for '…': expected …, but got
    /// … instead.` messages.
    static func typeName(of value: Any) -> String {
        switch value {
        case is String: "a string"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case let number as NSNumber:
            switch JSONNumberKind(number) {
            case .boolean: "a boolean"
            case .integer: "an integer"
            case .decimal: "a decimal"
            }
        default: "null"
        }
    }
}

/// Type tests on JSONSerialization's values that do not bridge. On Linux `value is NSNull` or
/// `value as? NSNumber` first bridges a Swift string, array or dictionary to its Foundation class
/// (an array or dictionary with everything in it: 2.4 µs for a one-message `messages`), and a
/// batch asks these of every line's fields: a quarter of a chat batch's CPU went there
/// (docs/benchmarks.md, row 10).
extension JSONNumberKind {
    /// Whether the value is JSON null.
    static func isNull(_ value: Any) -> Bool {
        type(of: value) == NSNull.self
    }

    /// The value as the NSNumber JSONSerialization gives for a number or boolean; Swift's own
    /// numbers (bodies built in code) still bridge, and strings and containers are refused unbridged.
    static func number(_ value: Any) -> NSNumber? {
        if type(of: value) is NSNumber.Type { return value as? NSNumber }
        switch value {
        case is String, is [Any], is [String: Any]: return nil
        default: return value as? NSNumber
        }
    }
}
