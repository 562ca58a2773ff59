import Foundation

/// When a new file expires: `expires_after` from the client, else the purpose's default.
public struct ExpiryPolicy: Sendable {
    public static let minimumSeconds: Int64 = 3600
    public static let maximumSeconds: Int64 = 2_592_000
    /// `purpose=batch` files expire after 30 days unless told otherwise; others never do.
    public static let batchDefaultSeconds: Int64 = 2_592_000

    /// Validates the raw multipart/JSON fields and returns the lifetime in seconds (nil: never expires).
    /// `paramPrefix` names fields in errors (`expires_after[seconds]`, or `expires_after.seconds` for JSON bodies).
    public static func lifetime(
        anchor: String?,
        seconds: String?,
        purpose: Purpose,
        paramStyle: ParamStyle = .multipart
    ) throws(APIError) -> Int64? {
        let anchorParam = paramStyle.name("anchor")
        let secondsParam = paramStyle.name("seconds")
        switch (anchor, seconds) {
        case (nil, nil):
            return purpose == .batch ? batchDefaultSeconds : nil
        case (nil, _):
            throw .invalid("Missing required parameter: '\(anchorParam)'.", param: anchorParam)
        case (_, nil):
            throw .invalid("Missing required parameter: '\(secondsParam)'.", param: secondsParam)
        case (let anchor?, let seconds?):
            guard anchor == "created_at" else {
                throw .invalid("Invalid value for '\(anchorParam)': '\(anchor)'. Supported anchors: 'created_at'.", param: anchorParam)
            }
            guard let value = Int64(seconds.trimmingCharacters(in: .whitespaces)) else {
                throw .invalid("Invalid value for '\(secondsParam)': expected an integer, got '\(seconds)'.", param: secondsParam)
            }
            return try checked(seconds: value, param: secondsParam)
        }
    }

    /// A lifetime in seconds must lie in 3600…2592000: the check of the API's field, and of a
    /// lifetime a snapshot carries.
    public static func checked(seconds value: Int64, param: String) throws(APIError) -> Int64 {
        guard (minimumSeconds...maximumSeconds).contains(value) else {
            throw .invalid(
                "Invalid value for '\(param)': \(value). It must be between \(minimumSeconds) (1 hour) and \(maximumSeconds) (30 days).",
                param: param
            )
        }
        return value
    }

    public enum ParamStyle: Sendable {
        case multipart
        case json

        func name(_ field: String) -> String {
            switch self {
            case .multipart: "expires_after[\(field)]"
            case .json: "expires_after.\(field)"
            }
        }
    }
}
