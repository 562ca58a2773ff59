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
