import Foundation
import Testing

@testable import MockFiles

/// Rows read recently are served from memory, and never once they are deleted.
@Suite struct RecentFilesTests {
    func file(_ id: String, tenant: String = "shared") -> StoredFile {
        StoredFile(id: id, tenant: tenant, purpose: "user_data", filename: "\(id).txt", bytes: 1, createdAt: 1_700_000_000, expiresAt: nil)
    }

    @Test func aDeletedOrResetFileIsNeverServedFromMemory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-recent-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteMetadataStore(dataDirectory: directory)
        let stored = try await store.insert(file("file-a"))
        _ = try await store.insert(file("file-b"))
        #expect(try await store.file(id: "file-a", tenant: "shared") == stored)
        #expect(store.recentFiles.file(id: "file-a", tenant: "shared") == stored, "a read is remembered")
        #expect(try await store.file(id: "file-a", tenant: "other") == nil, "the tenant is part of the key")
        _ = try await store.delete(id: "file-a", tenant: "shared", at: 1_700_000_100)
        #expect(try await store.file(id: "file-a", tenant: "shared") == nil)
        #expect(try await store.file(id: "file-b", tenant: "shared") != nil)
        _ = try await store.removeEverything()
        #expect(try await store.file(id: "file-b", tenant: "shared") == nil)
    }

    @Test func aRowReadBeforeADeleteIsNotKeptAfterIt() {
        let recent = RecentFiles()
        let generation = recent.generation
        recent.forgetAll()  // a delete commits while the read is under way
        recent.remember(file("file-x"), readAt: generation)
        #expect(recent.file(id: "file-x", tenant: "shared") == nil)
        recent.remember(file("file-x"), readAt: recent.generation)
        #expect(recent.file(id: "file-x", tenant: "shared") != nil)
    }

    @Test func itStaysBounded() {
        let recent = RecentFiles()
        for index in 0..<(RecentFiles.capacity * 2 + 10) {
            recent.remember(file("file-\(index)"), readAt: recent.generation)
        }
        #expect(recent.count <= RecentFiles.capacity)
    }
}
