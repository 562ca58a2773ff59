/// The batches whose end is still to be announced by a webhook event: a row per batch created
/// while webhooks were on, due at the moment the batch reaches its final status (moved by a
/// cancel), removed once the event is delivered or given up. Kept in the database rather than
/// in memory, so an event due while the receiver was down, or the instance was restarted or
/// killed, is still sent: at least once, never silently dropped.
public protocol BatchEventStore: Sendable {
    /// Batches of every tenant whose end event is due by `now` (milliseconds), soonest first,
    /// at most `limit`.
    func batchesToAnnounce(dueBy now: Int64, limit: Int) async throws -> [StoredBatch]
    /// The batch's end event is delivered (or given up): it is never sent again.
    func removeAnnouncement(batchID: String) async throws
}
