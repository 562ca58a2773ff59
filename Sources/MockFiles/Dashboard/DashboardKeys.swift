import Crypto
import Foundation

/// The dashboard's two secrets, derived so that nothing is stored and instances sharing an admin
/// token agree: the session cookie a login sets (an HMAC of the token, never the token itself) and
/// the CSRF token every form carries. Without an admin token the CSRF key is random per process.
struct DashboardKeys: Sendable {
    static let cookieName = "mockfiles_session"

    /// The cookie value a login with the admin token sets; nil without a token.
    let session: String?
    let csrf: String

    init(adminToken: String?) {
        if let adminToken {
            let key = SymmetricKey(data: Array(adminToken.utf8))
            session = Self.mac("mockfiles dashboard session", key: key)
            csrf = Self.mac("mockfiles dashboard csrf", key: key)
        } else {
            session = nil
            csrf = Self.mac("mockfiles dashboard csrf", key: SymmetricKey(size: .bits256))
        }
    }

    private static func mac(_ purpose: String, key: SymmetricKey) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(purpose.utf8), using: key).hexDigits
    }

    /// The session cookie from a `Cookie` header, if any.
    static func sessionCookie(in header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// `Set-Cookie` for a session: sent back only to this site, over a secure context (browsers
    /// count http://localhost as one), and out of reach of scripts.
    var setCookie: String? {
        session.map { "\(Self.cookieName)=\($0); Path=/ui; HttpOnly; Secure; SameSite=Strict" }
    }

    static let clearCookie = "\(cookieName)=; Path=/ui; HttpOnly; Secure; SameSite=Strict; Max-Age=0"
}
