import Crypto

/// The names tenants are stored under (the `tenant` column, snapshot records). Two different
/// (mode, API key, organization, project) tuples never share a name, so no choice of headers
/// reaches another tenant's rows: the kinds start differently (`shared`, `key:`, `project:`), and
/// inside a kind each part is escaped so that the separator between parts never comes from a part.
///
/// The escapes leave every part without the characters they replace byte for byte, so names made
/// before them are unchanged: only a per-project organization or project holding `/` or `%` now
/// has a new name (its old one was ambiguous). Names are compared as exact bytes (SQL `=`,
/// `RecentFiles`), never with `String`'s `==`, which equates canonically equivalent text.
enum TenantKey {
    /// Every key in one namespace.
    static let shared = "shared"

    /// `key:` and a digest of the key with the `OpenAI-Organization` and `OpenAI-Project` headers,
    /// so raw keys never reach the database. The digest reads the parts NUL-separated, a NUL or
    /// U+0001 inside a part escaped with U+0001 (`\u{1}0`, `\u{1}1`); a request's credentials are
    /// visible ASCII and never hold either, so their digests are the ones made before the escape.
    static func perKey(apiKey: String, organization: String?, project: String?) -> String {
        let codes: [UInt8: String] = [0x00: "\u{1}0", 0x01: "\u{1}1"]
        let material = [apiKey, organization ?? "", project ?? ""].map { escaped($0, codes) }.joined(separator: "\u{0}")
        return "key:" + digest(material)
    }

    /// `project:ORG/PROJECT` (`project:ORG/` without a project; an empty project is none), with
    /// `%` and `/` inside either part percent-encoded (`%25`, `%2F`): `org-a/team` + `p1` and
    /// `org-a` + `team/p1` are `project:org-a%2Fteam/p1` and `project:org-a/team%2Fp1`.
    static func perProject(organization: String, project: String?) -> String {
        let codes: [UInt8: String] = [UInt8(ascii: "%"): "%25", UInt8(ascii: "/"): "%2F"]
        return "project:" + escaped(organization, codes) + "/" + escaped(project ?? "", codes)
    }

    /// `part` with each byte of `codes` replaced by its code. The bytes are ASCII, which never
    /// occurs inside a longer UTF-8 sequence; every code starts with the escape byte, which is
    /// itself escaped, and holds no separator: decoding is unique, so escaping is injective and
    /// an escaped part never holds the separator.
    static func escaped(_ part: String, _ codes: [UInt8: String]) -> String {
        guard part.utf8.contains(where: { codes[$0] != nil }) else { return part }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.utf8.count + 8)
        for byte in part.utf8 {
            if let code = codes[byte] { bytes.append(contentsOf: code.utf8) } else { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first 16 bytes of SHA-256, in hex.
    static func digest(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).prefix(16).hexDigits
    }
}
