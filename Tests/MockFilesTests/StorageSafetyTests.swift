import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// Blobs are written in scopes that cannot leak them, shard directories are durable before a row
/// can point into them, and a reset never runs between a blob's commit and its row's insert.
@Suite struct StorageSafetyTests {
    let tenant = Tenant(key: "shared", organization: "org")

    @Test func aBlobWhoseCommitFailsIsDiscardedByItsScope() async throws {
        let server = try TestServer()
        defer { server.remove() }
        // A regular file where the shard directory `zz` belongs makes `commit` fail after the write.
        _ = FileManager.default.createFile(atPath: server.directory + "/blobs/zz", contents: Data())
        await #expect(throws: (any Error).self) {
            try await server.service.blobs.withNewBlob { blob in
                try await blob.write(ByteBuffer(repeating: 7, count: 3 << 20))
                try await blob.commit(as: "file-commitfailszz")
            }
        }
        #expect(server.temporaryFiles().isEmpty)
        // A scope that returns without committing leaves nothing either.
        try await server.service.blobs.withNewBlob { blob in try await blob.write(ByteBuffer(string: "dropped")) }
        #expect(server.temporaryFiles().isEmpty && server.blobPaths().isEmpty)
    }

    @Test func aCancelledScopeStillRemovesItsTemporaryFile() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let blobs = server.service.blobs
        let task = Task {
            try await blobs.withNewBlob { blob in
                try await blob.write(ByteBuffer(repeating: 1, count: 2 << 20))
                try await Task.sleep(for: .seconds(60))
            }
        }
        while server.temporaryFiles().isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        _ = await task.result
        #expect(server.temporaryFiles().isEmpty)
    }

    @Test func aCommittedBlobIsKeptByItsScope() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.service.blobs.withNewBlob { blob in
            try await blob.write(ByteBuffer(string: "kept"))
            try await blob.commit(as: "file-keptblob01")
        }
        #expect(server.blobPaths().map { ($0 as NSString).lastPathComponent } == ["file-keptblob01"])
        #expect(server.temporaryFiles().isEmpty)
        // The new shard directory's entry was synced before the commit returned.
        let store = try #require(server.service.blobs as? DiskBlobStore)
        #expect(store.durableShardNames == ["01"])
    }

    /// Before the barrier, a create whose blob was committed after the reset listed the blobs to
    /// remove, but whose row was inserted after the reset removed the rows, survived as a row
    /// without a blob (or a blob was removed under a fresh row).
    @Test func resetsAndCreatesNeverLeaveARowWithoutItsBlob() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let service = server.service
        let controls = server.server.controls
        let tenant = self.tenant
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await service.blobs.withNewBlob { blob in
                        try await blob.write(ByteBuffer(string: "file \(index)"))
                        _ = try await service.create(.init(purpose: "user_data", filename: "f\(index).txt", blob: blob), tenant: tenant)
                    }
                }
                if index % 20 == 0 { group.addTask { _ = try await controls.reset() } }
            }
            try await group.waitForAll()
        }
        let rows = try await service.list(.init(), tenant: tenant).files
        let blobs = Set(server.blobPaths().map { ($0 as NSString).lastPathComponent })
        #expect(Set(rows.map(\.id)) == blobs)
        for row in rows {
            let reader = try #require(try await service.blobs.openBlob(id: row.id), "row \(row.id) has no blob")
            #expect(reader.size == Int64("file \(row.filename.dropFirst().dropLast(4))".utf8.count))
            await reader.close()
        }
    }
}

@Suite struct ResetBarrierTests {
    @Test func aResetWaitsForWritesInProgressAndHoldsBackNewOnes() async throws {
        let barrier = ResetBarrier()
        let events = EventLog()
        let writeStarted = AsyncStream<Void>.makeStream()
        let releaseWrite = AsyncStream<Void>.makeStream()
        let write = Task {
            await barrier.write {
                await events.append("write begins")
                writeStarted.continuation.yield()
                for await _ in releaseWrite.stream { break }
                await events.append("write ends")
            }
        }
        for await _ in writeStarted.stream { break }
        let reset = Task { await barrier.reset { await events.append("reset") } }
        // Give the reset time to queue behind the write, then start a second write behind it.
        try await Task.sleep(for: .milliseconds(50))
        let late = Task { await barrier.write { await events.append("late write") } }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await events.entries == ["write begins"])
        releaseWrite.continuation.yield()
        await write.value
        await reset.value
        await late.value
        #expect(await events.entries == ["write begins", "write ends", "reset", "late write"])
    }

    actor EventLog {
        var entries: [String] = []
        func append(_ entry: String) { entries.append(entry) }
    }
}

@Suite struct SweeperTests {
    /// A cancelled sweeper (the service group cancels its services when the server cannot bind)
    /// must end, not spin on `CancellationError` at full CPU.
    @Test func theSweeperEndsWhenCancelled() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let sweeper = ExpirySweeper(
            files: server.service,
            uploads: server.uploads,
            interval: .milliseconds(1),
            metrics: server.server.metrics,
            logger: server.server.logger
        )
        let ended = Flag()
        let run = Task {
            try? await sweeper.run()
            await ended.set()
        }
        try await Task.sleep(for: .milliseconds(20))
        run.cancel()
        for _ in 0..<500 where !(await ended.value) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await ended.value, "the sweeper kept running after cancellation")
    }

    actor Flag {
        var value = false
        func set() { value = true }
    }
}
