/// Masks the credentials of anything in a text that looks like a URL, before the text is printed:
/// settings errors, startup failures and every log line go through it (docs/security.md).
///
/// A URL's password can reach a message malformed (`postgres:/user:PW@host/db`, one slash or
/// none), where no URL parser finds it, so this does not parse: in each run of text between
/// spaces and quotes, a `:` before the last `@` marks a URL (`SCHEME:`, or `user:` where the
/// scheme is missing), and everything after that first `:` and any slashes, up to the last `@`
/// of the run, is its userinfo. The user name stays when a `:` follows it, so
/// `postgres://me:***@db/x` still says who connected; otherwise all of it goes (`***@host`), as
/// a lone user name may be a token. Masking too much is the safe mistake.
public enum URLRedaction {
    public static let mask = "***"

    /// `text` with the userinfo of every URL-like run masked; unchanged (and cheap) without an `@`.
    public static func redacted(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "@")) else { return text }
        var result = ""
        var run = ""
        for character in text {
            if isBoundary(character) {
                result += redactedRun(run)
                result.append(character)
                run = ""
            } else {
                run.append(character)
            }
        }
        return result + redactedRun(run)
    }

    /// Runs end at white space and quotes: a password with those in it is no URL anyone can use
    /// unencoded, and splitting there keeps the rest of a message readable.
    static func isBoundary(_ character: Character) -> Bool {
        character.isWhitespace || character == "'" || character == "\"" || character == "`"
    }

    /// One run (or a whole setting's value) with its userinfo masked, when a `:` comes before its
    /// last `@`: from after that first `:` and any slashes to the last `@`.
    public static func redactedRun(_ run: String) -> String {
        guard let at = run.lastIndex(of: "@"), let colon = run[..<at].firstIndex(of: ":") else { return run }
        var start = run.index(after: colon)
        while start < at, run[start] == "/" { start = run.index(after: start) }
        let userInfo = run[start..<at]
        guard !userInfo.isEmpty else { return run }
        let user = userInfo.firstIndex(of: ":").map { String(userInfo[..<$0]) + ":" } ?? ""
        return String(run[..<start]) + user + mask + String(run[at...])
    }
}
