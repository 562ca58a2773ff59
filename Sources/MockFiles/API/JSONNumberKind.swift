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
