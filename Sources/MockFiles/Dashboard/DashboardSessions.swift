import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// The dashboard's sign-ins, kept in this process's memory: a sign-in with the admin token opens a
/// session whose id (256 random bits) is the cookie and whose own random CSRF token the pages'
/// forms carry; signing out closes it and it ends by itself after `lifetime`. Nothing derives from
/// the admin token, so nothing a page can fetch lets another page forge a write, and a restart
/// (or a new token) ends every session. Without an admin token there is nothing to sign in to:
/// the forms carry a random token made once per process.
final class DashboardSessions: Sendable {
    static let cookieName = "mockfiles_session"

    struct Session: Sendable {
        let csrf: String
        let created: Date
    }

    /// Whether pages want a sign-in (an admin token is configured).
    let signInRequired: Bool
    let lifetime: TimeInterval
    /// Sign-ins beyond this many live sessions drop the oldest, so memory stays bounded.
    let capacity: Int
    /// The wall clock, never the service clock: tests move that one, and a session must not
    /// outlive its 12 hours because the mock's clock was set back.
    let now: @Sendable () -> Date
    /// The CSRF token of pages served without an admin token.
    let loopbackCSRF = DashboardSessions.randomToken()
    let signIns: SignInThrottle
    /// By the SHA-256 of the cookie, so the lookup's timing says nothing of a guessed cookie.
    private let sessions = NIOLockedValueBox([SHA256Digest: Session]())

    init(
        signInRequired: Bool,
        lifetime: TimeInterval = 12 * 3600,
        capacity: Int = 1000,
        throttle: SignInThrottle.Limits = .init(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.signInRequired = signInRequired
        self.lifetime = lifetime
        self.capacity = capacity
        self.now = now
        signIns = SignInThrottle(limits: throttle, now: now)
    }

    /// A new session; returns its cookie value.
    func open() -> String {
        let id = Self.randomToken()
        let session = Session(csrf: Self.randomToken(), created: now())
        sessions.withLockedValue { sessions in
            if sessions.count >= capacity {
                let cutoff = session.created - lifetime
                sessions = sessions.filter { $0.value.created > cutoff }
            }
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.created < $1.value.created }) {
                sessions[oldest.key] = nil
            }
            sessions[SHA256.hash(data: Array(id.utf8))] = session
        }
        return id
    }

    /// The live session a cookie names; nil for an unknown, closed or expired one.
    func session(cookie: String) -> Session? {
        let key = SHA256.hash(data: Array(cookie.utf8))
        let now = self.now()
        return sessions.withLockedValue { sessions in
            guard let session = sessions[key] else { return nil }
            guard now.timeIntervalSince(session.created) < lifetime else {
                sessions[key] = nil
                return nil
            }
            return session
        }
    }

    /// Ends a session: its cookie opens nothing from now on.
    func close(cookie: String) {
        _ = sessions.withLockedValue { $0.removeValue(forKey: SHA256.hash(data: Array(cookie.utf8))) }
    }

    /// The session of the request's cookie, if any.
    func session(of request: Request) -> Session? {
        Self.cookie(in: request.headers[.cookie]).flatMap(session(cookie:))
    }

    /// 32 bytes from the system's CSPRNG (`SystemRandomNumberGenerator`: getrandom(2) on Linux), as hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } }.hexDigits
    }

    /// The session cookie from a `Cookie` header, if any.
    static func cookie(in header: String?) -> String? {
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
    static func setCookie(_ id: String) -> String {
        "\(cookieName)=\(id); Path=/ui; HttpOnly; Secure; SameSite=Strict"
    }

    static let clearCookie = "\(cookieName)=; Path=/ui; HttpOnly; Secure; SameSite=Strict; Max-Age=0"
}
