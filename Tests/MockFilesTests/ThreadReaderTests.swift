import Foundation
import GRDB
import NIOCore
import NIOPosix
import Testing

@testable import MockFiles

/// The reader an event loop keeps (`SQLiteFileReads` over a connection of its own) reads what the store reads, sees every
/// later commit, and never serves a deleted file from the recent rows they share.
@Suite struct ThreadReaderTests {
    func file(_ id: String, createdAt: Int64, tenant: String = "shared") -> StoredFile {
        StoredFile(id: id, tenant: tenant, purpose: "user_data", filename: "\(id).txt", bytes: 1, createdAt: createdAt, expiresAt: nil)
    }

    func withStore(_ body: (SQLiteMetadataStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-reader-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(try SQLiteMetadataStore(dataDirectory: directory))
    }

    @Test func itReadsWhatTheStoreReadsAndEveryLaterCommit() async throws {
        try await withStore { store in
            let reader = try store.readerForOneThread()
            #expect(reader is SQLiteFileReads<DatabaseQueue>)
            for index in 0..<5 { _ = try await store.insert(file("file-\(index)", createdAt: 1_700_000_000 + Int64(index))) }
            var query = FileListQuery(tenant: "shared", order: .desc, limit: 3, now: 1_700_000_100)
            #expect(try reader.listNow(query) == (try store.listNow(query)))
            #expect(try reader.listNow(query).map(\.id) == ["file-4", "file-3", "file-2"])
            query.after = try reader.cursorNow(ofFileID: "file-2", tenant: "shared")
            #expect(query.after == (try store.cursorNow(ofFileID: "file-2", tenant: "shared")))
            #expect(try reader.listNow(query).map(\.id) == ["file-1", "file-0"])
            // Written after the reader opened, never read before: found in the database.
            let late = try await store.insert(file("file-late", createdAt: 1_700_000_050))
            store.recentFiles.forgetAll()
            #expect(try reader.fileNow(id: "file-late", tenant: "shared") == late)
            #expect(try reader.fileNow(id: "file-late", tenant: "other") == nil)
        }
    }

    @Test func aDeleteIsSeenAtOnce() async throws {
        try await withStore { store in
            let reader = try store.readerForOneThread()
            let stored = try await store.insert(file("file-a", createdAt: 1_700_000_000))
            #expect(try reader.fileNow(id: "file-a", tenant: "shared") == stored)
            _ = try await store.delete(id: "file-a", tenant: "shared", at: 1_700_000_100)
            #expect(try reader.fileNow(id: "file-a", tenant: "shared") == nil)
            // The tombstone still places a deleted cursor, as through the store.
            #expect(try reader.cursorNow(ofFileID: "file-a", tenant: "shared")?.sequence == stored.sequence)
        }
    }

    @Test func eachEventLoopKeepsItsOwnReader() async throws {
        try await withStore { store in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            let loops = Array(group.makeIterator())
            let readers = EventLoopReaders(store: store)
            let first = try #require(readers.reader(for: loops[0]) as? SQLiteFileReads<DatabaseQueue>)
            let again = try #require(readers.reader(for: loops[0]) as? SQLiteFileReads<DatabaseQueue>)
            let second = try #require(readers.reader(for: loops[1]) as? SQLiteFileReads<DatabaseQueue>)
            #expect(first.reader === again.reader)
            #expect(first.reader !== second.reader)
            try await group.shutdownGracefully()
        }
    }
}
