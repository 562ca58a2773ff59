import Foundation
import NIOConcurrencyHelpers

/// Wrong admin tokens per peer address: after `failures` wrong ones within `window`, the peer's
/// sign-ins are refused (429) until that window has passed, the right token included, or guessing
/// would go on at full speed and only its successes would count. Behind a proxy every browser is
/// one peer, the proxy. At most `peers` addresses are remembered, so a flood of addresses cannot
/// grow memory without bound.
final class SignInThrottle: Sendable {
    struct Limits: Sendable {
        var failures = 5
        var window: TimeInterval = 60
        var peers = 10_000
    }

    private struct Attempts {
        let windowStart: Date
        var failures: Int
    }

    let limits: Limits
    let now: @Sendable () -> Date
    private let peers = NIOLockedValueBox([String: Attempts]())

    init(limits: Limits, now: @escaping @Sendable () -> Date) {
        self.limits = limits
        self.now = now
    }

    /// Whole seconds until `peer` may try again; nil when it may now.
    func retryAfter(peer: String) -> Int? {
        let now = self.now()
        return peers.withLockedValue { peers in
            guard let attempts = peers[peer] else { return nil }
            let ends = attempts.windowStart + limits.window
            guard now < ends else {
                peers[peer] = nil
                return nil
            }
            return attempts.failures >= limits.failures ? max(1, Int(ends.timeIntervalSince(now).rounded(.up))) : nil
        }
    }

    func recordFailure(peer: String) {
        let now = self.now()
        peers.withLockedValue { peers in
            if var attempts = peers[peer], now < attempts.windowStart + limits.window {
                attempts.failures += 1
                peers[peer] = attempts
                return
            }
            if peers[peer] == nil && peers.count >= limits.peers {
                let cutoff = now - limits.window
                peers = peers.filter { $0.value.windowStart > cutoff }
                if peers.count >= limits.peers, let oldest = peers.min(by: { $0.value.windowStart < $1.value.windowStart }) {
                    peers[oldest.key] = nil
                }
            }
            peers[peer] = Attempts(windowStart: now, failures: 1)
        }
    }

    /// A right token outside a throttle: the peer starts afresh.
    func recordSuccess(peer: String) {
        _ = peers.withLockedValue { $0.removeValue(forKey: peer) }
    }
}
