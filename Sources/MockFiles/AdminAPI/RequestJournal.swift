/// What the request log holds at one moment: its entries, newest first, and how many were
/// dropped since the last reset because the log was full. Queries and verifications read one
/// of these, whether the log is in memory or shared in the database, so they behave the same.
public struct RequestJournal: Sendable {
    public var entries: [RequestLogEntry]
    public var dropped: Int

    public init(entries: [RequestLogEntry], dropped: Int) {
        self.entries = entries
        self.dropped = dropped
    }

    /// One page of the entries `filter` matches, in `order`, after the entry numbered `after`.
    func page(_ filter: RequestFilter, limit: Int, after: Int64?, ascending: Bool) -> (entries: [RequestLogEntry], hasMore: Bool) {
        var matching = entries.filter(filter.matches)
        if ascending { matching.reverse() }
        if let after {
            matching.removeAll { ascending ? $0.sequence <= after : $0.sequence >= after }
        }
        return (Array(matching.prefix(limit)), matching.count > limit)
    }

    /// The entries that failed the fewest criteria of `filter` (but at least one), newest first
    /// among equals, each with the criteria it failed: what a failed verification shows.
    func nearMisses(_ filter: RequestFilter, limit: Int) -> [(entry: RequestLogEntry, failed: [String])] {
        let misses = entries.lazy.map { (entry: $0, failed: filter.failures($0)) }.filter { !$0.failed.isEmpty }
        // A stable sort keeps newest-first order among entries failing as many criteria.
        return Array(
            misses.enumerated().sorted { ($0.element.failed.count, $0.offset) < ($1.element.failed.count, $1.offset) }.prefix(limit).map(\.element)
        )
    }
}
