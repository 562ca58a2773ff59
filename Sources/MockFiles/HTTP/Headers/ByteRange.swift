import Foundation

/// A single `Range: bytes=…` request resolved against a size (RFC 9110 §14).
public enum ByteRange: Equatable, Sendable {
    /// Serve these bytes with 206.
    case satisfiable(Range<Int64>)
    /// No byte of the range exists: answer 416 with `Content-Range: bytes */size`.
    case unsatisfiable
    /// Not a single byte range we understand (multiple ranges, other units, bad syntax):
    /// ignore the header and serve the whole file, as RFC 9110 allows.
    case ignored

    public init(header: String, size: Int64) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else {
            self = .ignored
            return
        }
        let spec = trimmed.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .ignored
            return
        }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), first.count <= 18, last.count <= 18 else {
            self = .ignored
            return
        }
        switch (Int64(first), Int64(last)) {
        case (let start?, let end?):
            guard start <= end else {
                self = .ignored
                return
            }
            self = start < size ? .satisfiable(start..<min(end + 1, size)) : .unsatisfiable
        case (let start?, nil):
            self = start < size ? .satisfiable(start..<size) : .unsatisfiable
        case (nil, let suffix?):
            guard suffix > 0, size > 0 else {
                self = .unsatisfiable
                return
            }
            self = .satisfiable(max(0, size - suffix)..<size)
        case (nil, nil):
            self = .ignored
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
