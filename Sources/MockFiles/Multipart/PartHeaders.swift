/// The headers of one part, with the `Content-Disposition` parameters that name it.
public struct PartHeaders: Equatable, Sendable {
    /// In the order the client sent them; names as sent, values trimmed of surrounding spaces and tabs.
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    mutating func append(name: String, value: String) {
        fields.append((name, value))
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

    var disposition: ParameterizedHeader? {
        value(of: "Content-Disposition").map(ParameterizedHeader.init(parsing:))
    }

    public static func == (lhs: PartHeaders, rhs: PartHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
