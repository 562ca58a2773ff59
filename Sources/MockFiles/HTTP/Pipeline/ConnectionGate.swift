import NIOConcurrencyHelpers

/// The connection caps, `maxConnections` in all and `maxConnectionsPerAddress` per peer address,
/// kept without ever refusing to accept (docs/security.md). Refusing to accept at a cap (what
/// Hummingbird's `availableConnectionsDelegate` does) hands the server to whoever fills the slots
/// first: 1,024 clients that send half a request head and stop leave `/health` in the listen
/// backlog. Instead every newcomer is accepted, and when it takes a count over a cap, the
/// connection of that address (or, for the total, any) that has waited longest for a request head
/// is closed to make room: an idle keep-alive connection, which any client must expect to lose,
/// or a slow client. Connections in the middle of a request are never chosen. When none is
/// waiting (every slot is busy with a request), the newcomer is admitted over the cap and served
/// `/health` only (`HeadDeadlineHandler`); the rest get 503.
final class ConnectionGate: Sendable {
    /// How a newcomer was admitted: `overCap` ones are answered for `/health` only.
    struct Admission: Equatable {
        let id: Int
        let overCap: Bool
    }

    private let roster: NIOLockedValueBox<ConnectionRoster<@Sendable () -> Void>>

    init(maxConnections: Int, maxPerAddress: Int) {
        roster = NIOLockedValueBox(ConnectionRoster(maxConnections: maxConnections, maxPerAddress: maxPerAddress))
    }

    /// Admits a connection from `address`; `close` is called (from any thread) if it is later
    /// closed to make room for another. The connections closed for this one are closed here.
    func admit(address: String, close: @escaping @Sendable () -> Void) -> Admission {
        let (admission, closing) = roster.withLockedValue { $0.admit(address: address, token: close) }
        for close in closing { close() }
        return admission
    }

    /// Whether the connection waits for a request head (between requests, or before its first).
    func setWaiting(_ id: Int, _ waiting: Bool) {
        roster.withLockedValue { $0.setWaiting(id, waiting) }
    }

    func leave(_ id: Int) {
        roster.withLockedValue { _ = $0.remove(id) }
    }
}

/// The state of `ConnectionGate`, without locks or I/O: who is connected, from where, and who
/// has been waiting for a request head since when. `Token` is what closes a connection.
struct ConnectionRoster<Token> {
    struct Member {
        let address: String
        /// When it began waiting for a head (an order, not a time); nil while a request is under way.
        var waitingSince: UInt64?
        let token: Token
    }

    let maxConnections: Int
    let maxPerAddress: Int
    private(set) var members: [Int: Member] = [:]
    private(set) var countByAddress: [String: Int] = [:]
    private var lastID = 0
    private var ticks: UInt64 = 0

    init(maxConnections: Int, maxPerAddress: Int) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
    }

    /// Adds a newcomer, which waits for its first head; returns the tokens of the members removed
    /// to make room (they are to be closed). A cap that removals cannot restore (every other member
    /// of the count is under way with a request) admits the newcomer over it.
    mutating func admit(address: String, token: Token) -> (ConnectionGate.Admission, [Token]) {
        lastID += 1
        ticks += 1
        let id = lastID
        members[id] = Member(address: address, waitingSince: ticks, token: token)
        countByAddress[address, default: 0] += 1
        var removed: [Token] = []
        var overCap = false
        while countByAddress[address, default: 0] > maxPerAddress {
            guard let longest = longestWaiting(besides: id, from: address), let closed = remove(longest) else {
                overCap = true
                break
            }
            removed.append(closed)
        }
        while members.count > maxConnections {
            guard let longest = longestWaiting(besides: id, from: nil), let closed = remove(longest) else {
                overCap = true
                break
            }
            removed.append(closed)
        }
        return (ConnectionGate.Admission(id: id, overCap: overCap), removed)
    }

    mutating func setWaiting(_ id: Int, _ waiting: Bool) {
        guard members[id] != nil else { return }  // removed to make room: its close is on its way
        if waiting { ticks += 1 }
        members[id]?.waitingSince = waiting ? ticks : nil
    }

    @discardableResult
    mutating func remove(_ id: Int) -> Token? {
        guard let member = members.removeValue(forKey: id) else { return nil }
        let left = countByAddress[member.address, default: 1] - 1
        countByAddress[member.address] = left > 0 ? left : nil
        return member.token
    }

    /// A linear scan, made only when a newcomer takes a count over a cap.
    private func longestWaiting(besides newcomer: Int, from address: String?) -> Int? {
        var found: (id: Int, since: UInt64)?
        for (id, member) in members where id != newcomer {
            guard let since = member.waitingSince, address == nil || member.address == address else { continue }
            if since < found?.since ?? .max { found = (id, since) }
        }
        return found?.id
    }
}

extension ConnectionRoster: Sendable where Token: Sendable {}
extension ConnectionRoster.Member: Sendable where Token: Sendable {}
