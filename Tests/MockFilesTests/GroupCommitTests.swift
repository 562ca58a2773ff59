import Foundation
import GRDB
import Testing

@testable import MockFiles

/// Concurrent inserts share transactions, yet each is answered with its own row, only after
/// its commit, and a failing insert fails alone.
@Suite struct GroupCommitTests {
    func makeStore() throws -> (SQLiteMetadataStore, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-groupcommit-\(UUID().uuidString)").path
        return (try SQLiteMetadataStore(dataDirectory: directory), directory)
    }

    func file(_ id: String) -> StoredFile {
        StoredFile(id: id, tenant: "shared", purpose: "user_data", filename: "\(id).txt", bytes: 1, createdAt: 1_700_000_000, expiresAt: nil)
    }

    @Test func concurrentInsertsShareCommitsAndEachGetsItsRow() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ids = (0..<64).map { "file-g\($0)" }
        let stored = try await withThrowingTaskGroup(of: StoredFile.self) { group in
            for id in ids { group.addTask { try await store.insert(file(id)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(stored.map(\.id)) == Set(ids))
        #expect(Set(stored.map(\.sequence)).count == ids.count, "every row has its own sequence number")
        for row in stored {
            #expect(try await store.file(id: row.id, tenant: "shared") == row, "answered rows are committed")
        }
        #expect(store.groupCommit.commits < ids.count, "64 concurrent inserts took \(store.groupCommit.commits) commits")
    }

    /// GRDB sets its writer to `synchronous = NORMAL` when it turns WAL on, which syncs no commit;
    /// the store's own level must be the one in force on the connection that commits.
    @Test(arguments: [true, false]) func theWriterSyncsAsTheStoreAsked(durable: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-synchronous-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteMetadataStore(dataDirectory: directory, durable: durable)
        #expect(try await store.writerSynchronousLevel() == (durable ? 2 : 0), "2 is FULL, 0 is OFF")
    }

    @Test func aFailingInsertFailsAloneInItsBatch() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try await store.insert(file("file-taken"))
        let ids = (0..<20).map { "file-n\($0)" } + ["file-taken"]
        let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
            for id in ids {
                group.addTask { (id, (try? await store.insert(file(id))) != nil) }
            }
            return await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes["file-taken"] == false, "the duplicate id is refused")
        #expect(outcomes.filter(\.value).count == 20, "the others are stored: \(outcomes)")
        for id in ids.dropLast() {
            #expect(try await store.file(id: id, tenant: "shared")?.id == id)
        }
    }
}
