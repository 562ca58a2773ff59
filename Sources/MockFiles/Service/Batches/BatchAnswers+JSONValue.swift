import Foundation

/// Request values echoed into an answer (a response's `tools`, `metadata`): any JSON value as
/// JSONSerialization parsed it, written back with the writer.
extension BatchAnswers {
    /// JSONSerialization keeps no key order, so an echoed object's keys come out sorted: the same
    /// line gives the same bytes, though not always in the order it was sent.
    static func writeValue(_ value: Any?, into json: inout JSONWriter) {
        guard let value, !JSONNumberKind.isNull(value) else { return json.null() }
        switch value {
        case let string as String:
            json.string(string)
        case let array as [Any]:
            json.beginArray()
            for item in array { writeValue(item, into: &json) }
            json.endArray()
        case let object as [String: Any]:
            json.beginObject()
            for key in object.keys.sorted() {
                json.dynamicKey(key)
                writeValue(object[key], into: &json)
            }
            json.endObject()
        case let number as NSNumber:
            switch JSONNumberKind(number) {
            case .boolean: json.bool(number.boolValue)
            case .integer: json.number(number.int64Value)
            case .decimal: json.double(number.doubleValue)
            }
        default:
            json.null()
        }
    }
}
