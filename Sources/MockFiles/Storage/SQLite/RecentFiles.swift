import NIOConcurrencyHelpers

/// File rows read recently, so that asking for the same file again (the SDKs' wait-for-processing
/// poll, a test re-reading what it uploaded) does not go through GRDB: a lookup there spends most
/// of its CPU on pool and statement bookkeeping, here next to nothing (bench/README.md, "Figures
/// behind code comments").
///
/// Rows never change once written; they only disappear. Every commit that deletes rows calls
/// `forgetAll()` before anyone is answered, and a row read before a delete is kept only if no
/// delete came in between (`generation`), so a deleted file is never served from here.
final class RecentFiles: Sendable {
    /// Compared and hashed as exact bytes: `String`'s `==` takes canonically equivalent text
    /// (`K` and the Kelvin sign) as equal, and two such tenants must never share a row.
    private struct Key: Hashable {
        let id: String
        let tenant: String

        static func == (left: Key, right: Key) -> Bool {
            left.id.utf8.elementsEqual(right.id.utf8) && left.tenant.utf8.elementsEqual(right.tenant.utf8)
        }

        func hash(into hasher: inout Hasher) {
            Self.combine(id, into: &hasher)
            Self.combine(tenant, into: &hasher)
        }

        private static func combine(_ text: String, into hasher: inout Hasher) {
            hasher.combine(text.utf8.count)
            let done: Void? = text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            if done == nil { for byte in text.utf8 { hasher.combine(byte) } }
        }
    }

    private struct State {
        var rows: [Key: StoredFile] = [:]
        var generation = 0
    }

    /// ~200 bytes a row: under 1 MiB. When full, it starts over (no bookkeeping per hit).
    static let capacity = 4096
    private let state = NIOLockedValueBox(State())

    /// Take it before reading the database, and hand it to `remember`.
    var generation: Int { state.withLockedValue { $0.generation } }

    var count: Int { state.withLockedValue { $0.rows.count } }

    func file(id: String, tenant: String) -> StoredFile? {
        state.withLockedValue { $0.rows[Key(id: id, tenant: tenant)] }
    }

    /// The row from here, or else from `read` (remembered, unless a delete came in between).
    func file(id: String, tenant: String, orRead read: () throws -> StoredFile?) rethrows -> StoredFile? {
        if let recent = file(id: id, tenant: tenant) { return recent }
        let generation = self.generation
        let file = try read()
        if let file { remember(file, readAt: generation) }
        return file
    }

    func remember(_ file: StoredFile, readAt generation: Int) {
        state.withLockedValue { state in
            guard state.generation == generation else { return }
            if state.rows.count >= Self.capacity { state.rows.removeAll(keepingCapacity: true) }
            state.rows[Key(id: file.id, tenant: file.tenant)] = file
        }
    }

    func forgetAll() {
        state.withLockedValue { state in
            state.rows.removeAll(keepingCapacity: true)
            state.generation += 1
        }
    }
}
