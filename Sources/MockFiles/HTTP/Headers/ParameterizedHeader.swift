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
        self = Self.parsingASCII(header) ?? Self.parsingCharacters(header)
    }

    /// `init(parsing:)` for any header, by `Character`.
    static func parsingCharacters(_ header: String) -> ParameterizedHeader {
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
        let type = segments.first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var parameters: [String: String] = [:]
        for segment in segments.dropFirst() {
            guard let equals = segment.firstIndex(of: "=") else { continue }
            let name = segment[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let rawValue = segment[segment.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, parameters[name] == nil else { continue }
            parameters[name] = Self.unquote(rawValue)
        }
        return ParameterizedHeader(type: type, parameters: parameters)
    }

    /// `init(parsing:)` for an all-ASCII header, which every client sends (a non-ASCII filename
    /// comes as `filename*`), on its UTF-8 bytes: the same result without Foundation's
    /// `trimmingCharacters`, which with the `Character` walk was an eighth of a small upload's CPU
    /// (bench/README.md, "Figures behind code comments"). Nil for any other header.
    static func parsingASCII(_ header: String) -> ParameterizedHeader? {
        var header = header
        return header.withUTF8 { bytes -> ParameterizedHeader? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            // Segments split at `;` outside quotes; a backslash in quotes keeps the next byte.
            // (In ASCII a `Character` is one byte, or CR LF, which neither splits nor quotes.)
            var segments: [Range<Int>] = []
            var start = 0
            var inQuotes = false
            var escaped = false
            for (offset, byte) in bytes.enumerated() {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = inQuotes
                } else if byte == UInt8(ascii: "\"") {
                    inQuotes.toggle()
                } else if byte == UInt8(ascii: ";"), !inQuotes {
                    segments.append(start..<offset)
                    start = offset + 1
                }
            }
            segments.append(start..<bytes.count)
            func text(_ range: Range<Int>) -> String {
                var range = range
                // Foundation's `.whitespaces` in ASCII: space and tab.
                while let first = range.first, bytes[first] == 0x20 || bytes[first] == 0x09 { range = range.dropFirst() }
                while let last = range.last, bytes[last] == 0x20 || bytes[last] == 0x09 { range = range.dropLast() }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            }
            var parsed = ParameterizedHeader(type: text(segments[0]).lowercased())
            for segment in segments.dropFirst() {
                guard let equals = bytes[segment].firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = text(segment.lowerBound..<equals).lowercased()
                guard !name.isEmpty, parsed.parameters[name] == nil else { continue }
                parsed.parameters[name] = unquote(text(equals + 1..<segment.upperBound))
            }
            return parsed
        }
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
