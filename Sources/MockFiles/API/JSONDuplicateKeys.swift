import Foundation

/// Finds the first key that appears twice in one JSON object (`{"a":1,"a":2}`), which
/// `JSONSerialization` would silently read as its last value. Scans the bytes once, tracking the
/// keys of each open object; only called on bodies that already parsed as JSON.
enum JSONDuplicateKeys {
    static func first(in bytes: [UInt8]) -> String? {
        var keysOfOpenObjects: [Set<String>?] = []  // nil for an array
        var index = 0
        var expectingKey = false
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"):
                keysOfOpenObjects.append([])
                expectingKey = true
            case UInt8(ascii: "["):
                keysOfOpenObjects.append(nil)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = keysOfOpenObjects.popLast()
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = keysOfOpenObjects.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                let end = endOfString(bytes, openingQuote: index)
                if expectingKey, let key = decode(bytes[index...end]) {
                    if keysOfOpenObjects[keysOfOpenObjects.count - 1]!.insert(key).inserted == false { return key }
                    expectingKey = false
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The keys of the object that is the top-level object's member `member`, in the order sent
    /// (`JSONSerialization` keeps no order; a batch's `metadata` is echoed in its own order).
    /// Empty when there is no such object member. Only called on bodies that parsed as JSON.
    static func keys(ofObjectMember member: String, in bytes: [UInt8]) -> [String] {
        var depth = 0
        var expectingKey = false
        var inside = false
        var memberIsNext = false
        var keys: [String] = []
        var containers: [Bool] = []  // true for an object
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"):
                containers.append(true)
                depth += 1
                inside = inside || (memberIsNext && depth == 2)
                memberIsNext = false
                expectingKey = true
            case UInt8(ascii: "["):
                containers.append(false)
                depth += 1
                memberIsNext = false
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = containers.popLast()
                if inside && depth == 2 { return keys }
                depth -= 1
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = containers.last ?? false
                memberIsNext = false
            case UInt8(ascii: "\""):
                let end = endOfString(bytes, openingQuote: index)
                if expectingKey, let key = decode(bytes[index...end]) {
                    if inside && depth == 2 { keys.append(key) }
                    if depth == 1 { memberIsNext = key == member }
                    expectingKey = false
                } else {
                    memberIsNext = false
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return keys
    }

    /// The index of the quote that closes the string opening at `openingQuote`.
    private static func endOfString(_ bytes: [UInt8], openingQuote: Int) -> Int {
        var index = openingQuote + 1
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        return min(index, bytes.count - 1)
    }

    /// The string a quoted JSON token stands for, escapes resolved.
    private static func decode(_ token: ArraySlice<UInt8>) -> String? {
        try? JSONSerialization.jsonObject(with: Data(token), options: [.fragmentsAllowed]) as? String
    }
}
