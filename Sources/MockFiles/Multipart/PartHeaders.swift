/// The headers of one part, with the `Content-Disposition` parameters that name it.
public struct PartHeaders: Equatable, Sendable {
    /// In the order the client sent them; names as sent, values trimmed of surrounding spaces and tabs.
    public private(set) var fields: [(name: String, value: String)] = []
    /// The first `Content-Disposition`, parsed once as it arrives: the field name and the
    /// filename both come from it.
    private(set) var disposition: ParameterizedHeader?

    public init() {}

    mutating func append(name: String, value: String) {
        fields.append((name, value))
        if disposition == nil, Self.equalIgnoringASCIICase(name, "content-disposition") {
            disposition = ParameterizedHeader(parsing: value)
        }
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func value(of name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The form field name (`name=` of `Content-Disposition: form-data`).
    public var fieldName: String? { disposition?.parameters["name"] }

    /// The client's filename, preferring the RFC 5987 `filename*` form when present.
    public var filename: String? {
        guard let disposition else { return nil }
        return disposition.extendedFilename ?? disposition.parameters["filename"]
    }

    public var contentType: String? { value(of: "Content-Type") }

    /// `lhs.lowercased() == rhs` for a lowercase ASCII `rhs`, without making a string.
    static func equalIgnoringASCIICase(_ lhs: String, _ rhs: StaticString) -> Bool {
        guard lhs.utf8.count == rhs.utf8CodeUnitCount else { return false }
        return zip(lhs.utf8, UnsafeBufferPointer(start: rhs.utf8Start, count: rhs.utf8CodeUnitCount)).allSatisfy { byte, lower in
            byte == lower || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") && byte + 32 == lower)
        }
    }

    public static func == (lhs: PartHeaders, rhs: PartHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
