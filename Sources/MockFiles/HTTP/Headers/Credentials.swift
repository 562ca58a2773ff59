import Foundation
import HTTPTypes

/// The API key and scope headers of a request, read so that a tenant is always the exact bytes
/// the client sent. Header bytes reach us decoded as UTF-8 with invalid bytes replaced (U+FFFD),
/// so `sk-a\xe9` and `sk-a\xff` would read alike: anything outside visible ASCII is refused
/// instead of compared, and a header given twice (joined as `a, b` when read as one) is refused.
public struct Credentials: Sendable, Equatable {
    public var apiKey: String
    public var organization: String?
    public var project: String?

    public enum Problem: Error, Equatable {
        /// No `Authorization` header, or one without a key in it.
        case missing
        /// More than one `Authorization`, `OpenAI-Organization` or `OpenAI-Project` header (named).
        case repeated(String)
        /// The key, or a scope header, holds bytes other than visible ASCII.
        case notVisibleASCII(String)
    }

    /// The headers read, by the names people write them with.
    static let headers: [(HTTPField.Name, String)] = [
        (.authorization, "Authorization"), (.openAIOrganization, "OpenAI-Organization"), (.openAIProject, "OpenAI-Project"),
    ]

    /// Reads `Authorization: Bearer KEY`, or `Basic` with a blank user and the key as password (what
    /// a browser's login prompt sends), and the optional scope headers.
    public static func read(_ fields: HTTPFields) -> Result<Credentials, Problem> {
        for (name, display) in headers where fields[values: name].count > 1 {
            return .failure(.repeated(display))
        }
        guard let key = fields[.authorization].flatMap(apiKey(fromAuthorization:)) else { return .failure(.missing) }
        guard isVisibleASCII(key) else { return .failure(.notVisibleASCII("Authorization")) }
        let organization = fields[.openAIOrganization].flatMap(nonEmpty)
        let project = fields[.openAIProject].flatMap(nonEmpty)
        if let organization, !isVisibleASCII(organization) { return .failure(.notVisibleASCII("OpenAI-Organization")) }
        if let project, !isVisibleASCII(project) { return .failure(.notVisibleASCII("OpenAI-Project")) }
        return .success(Credentials(apiKey: key, organization: organization, project: project))
    }

    /// The key of `Bearer KEY` or of `Basic base64(":KEY")` (schemes case-insensitive), or nil.
    /// Every API request reads it (twice: fault rules match on the key too), so a plain-ASCII
    /// `Bearer` header is read over its bytes; anything else takes the general reading below.
    public static func apiKey(fromAuthorization header: String) -> String? {
        if let key = bearerKeyOfASCIIHeader(header) { return key.isEmpty ? nil : key }
        return apiKeyOfAnyHeader(header)
    }

    /// For an ASCII header of the `Bearer` scheme: its key with spaces and tabs trimmed (possibly
    /// empty), as `apiKeyOfAnyHeader` reads it. nil when the header is not one, and the general
    /// reading decides.
    static func bearerKeyOfASCIIHeader(_ header: String) -> String? {
        let bytes = header.utf8
        guard bytes.count > 7, bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        var index = bytes.startIndex
        for letter in "bearer".utf8 {
            guard bytes[index] | 0x20 == letter else { return nil }
            index = bytes.index(after: index)
        }
        guard bytes[index] == UInt8(ascii: " ") else { return nil }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = bytes.index(after: index)
        var end = bytes.endIndex
        while start < end, isBlank(bytes[start]) { start = bytes.index(after: start) }
        while end > start, isBlank(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return String(header[start..<end])
    }

    /// The general reading: any scheme's case, `Basic`, non-ASCII text.
    static func apiKeyOfAnyHeader(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        let credentials = parts[1].trimmingCharacters(in: .whitespaces)
        switch parts[0].lowercased() {
        case "bearer":
            return nonEmpty(credentials)
        case "basic":
            guard let decoded = Data(base64Encoded: credentials), let text = String(bytes: decoded, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            return nonEmpty(String(text[text.index(after: colon)...]))
        default:
            return nil
        }
    }

    /// `!` to `~`: what API keys, organization and project ids are made of.
    static func isVisibleASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    private static func nonEmpty(_ text: String) -> String? {
        text.isEmpty ? nil : text
    }
}
