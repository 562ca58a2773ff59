import Foundation

/// A header value with parameters (`Content-Disposition`, `Content-Type`):
/// `type; name="value"; other=token; filename*=UTF-8''percent%20encoded`.
public struct ParameterizedHeader: Equatable, Sendable {
    public var type: String
    /// Parameter names lowercased; values unquoted.
    public var parameters: [String: String]

    public init(type: String, parameters: [String: String] = [:]) {
        self.type = type
        self.parameters = parameters
    }

    /// Lenient parse; a parameter given twice keeps its first value.
    public init(parsing header: String) {
        var segments: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        for character in header {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            switch character {
            case "\\" where inQuotes:
                current.append(character)
                escaped = true
            case "\"":
                inQuotes.toggle()
                current.append(character)
            case ";" where !inQuotes:
                segments.append(current)
                current = ""
            default:
                current.append(character)
            }
        }
        segments.append(current)
        type = segments.first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var parameters: [String: String] = [:]
        for segment in segments.dropFirst() {
            guard let equals = segment.firstIndex(of: "=") else { continue }
            let name = segment[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let rawValue = segment[segment.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, parameters[name] == nil else { continue }
            parameters[name] = Self.unquote(rawValue)
        }
        self.parameters = parameters
    }

    /// The RFC 5987 `filename*` value, decoded; `nil` when absent or not UTF-8.
    public var extendedFilename: String? {
        guard let value = parameters["filename*"] else { return nil }
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return String(pieces[2]).removingPercentEncoding
    }

    static func unquote(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        var result = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }

}
