import Foundation
import Logging
import NIOConcurrencyHelpers

/// Everything tests can steer: faults, the request log, fixtures, and reset. The clock and the
/// id generator live in the services (every timestamp already reads that clock).
///
/// With several instances on one database (`shared`), the clock, the rules and the log live
/// there: each request first brings this instance's copy of the clock and rules up to date
/// (`synchronize`, one small read), changes are written through, and a limited rule's firings are
/// counted atomically in the database, so `times: 1` fires once across all instances.
public struct TestControls: Sendable {
    public let faults = FaultInjector()
    public let batchRules = BatchRuleBook()
    public let requestLog: RequestLog
    public let fixtures: FixtureManifest?
    let files: FileService
    let uploads: UploadService
    let resolver: TenantResolver
    let shared: (any SharedControlStore)?
    /// Alone, where the clock and rules are kept across restarts (nil: in memory only).
    let saved: (any SavedControlStore)?
    /// The generation of the shared controls this instance's copy reflects.
    let syncedGeneration = NIOLockedValueBox<Int64>(-1)
    /// With shared controls, how this instance's entries reach the shared request log.
    let sharedLog: SharedRequestLogWriter?

    public init(
        files: FileService,
        uploads: UploadService,
        resolver: TenantResolver,
        fixtures: FixtureManifest?,
        requestLogCapacity: Int,
        shared: (any SharedControlStore)? = nil,
        saved: (any SavedControlStore)? = nil
    ) {
        self.files = files
        self.uploads = uploads
        self.resolver = resolver
        self.fixtures = fixtures
        self.requestLog = RequestLog(capacity: requestLogCapacity)
        self.shared = shared
        self.sharedLog = shared.map { SharedRequestLogWriter(store: $0, capacity: requestLogCapacity) }
        self.saved = shared == nil ? saved : nil
    }

    /// Loads every fixture whose id is not stored yet; returns how many were loaded.
    @discardableResult
    public func loadFixtures() async throws -> Int {
        guard let fixtures else { return 0 }
        var loaded = 0
        for entry in fixtures.entries {
            let resolution = resolver.resolve(
                apiKey: entry.apiKey ?? "sk-fixtures",
                organizationHeader: entry.organization,
                projectHeader: entry.project
            )
            guard case .tenant(let tenant) = resolution else {
                throw FixtureManifest.Problem(description: "fixture \(entry.id): its api_key, organization and project are refused (\(resolution))")
            }
            if try await files.store.reads.file(id: entry.id, tenant: tenant.key) != nil { continue }
            // Instances starting together may load the same fixture (`FileStore.createFixture`).
            try await files.store.withNewBlob(copyingFileAt: entry.contentPath) { blob in
                var file = files.newFile(
                    tenant: tenant,
                    purpose: entry.purpose.rawValue,
                    filename: entry.filename,
                    bytes: await blob.bytesWritten,
                    lifetime: nil,
                    now: entry.createdAt ?? files.clock.seconds
                )
                file.id = entry.id
                file.expiresAt = entry.expiresAt
                file.processedAtMilliseconds = nil
                try await files.store.createFixture(file, from: blob)
            }
            loaded += 1
        }
        return loaded
    }

    public struct ResetReport: Sendable, Encodable {
        public var filesRemoved: Int
        public var uploadsRemoved: Int
        public var partsRemoved: Int
        public var blobsRemoved: Int
        public var faultsRemoved: Int
        public var batchRulesRemoved: Int
        public var requestsCleared: Int
        public var fixturesLoaded: Int

        enum CodingKeys: String, CodingKey {
            case filesRemoved = "files_removed"
            case uploadsRemoved = "uploads_removed"
            case partsRemoved = "parts_removed"
            case blobsRemoved = "blobs_removed"
            case faultsRemoved = "faults_removed"
            case batchRulesRemoved = "batch_rules_removed"
            case requestsCleared = "requests_cleared"
            case fixturesLoaded = "fixtures_loaded"
        }
    }

    /// Forgets every file, upload, part and batch of every tenant (rows first, then blobs), clears
    /// faults, batch rules and the request log, and loads the fixtures again.
    /// Runs alone (`FileStore.removeEverything`): a create finishing in between would leave a row
    /// without its blob.
    public func reset() async throws -> ResetReport {
        let removed = try await files.store.removeEverything {
            (
                faults: try await removeAllFaults(), batchRules: try await removeAllBatchRules(), requests: try await clearRequests(),
                fixtures: try await loadFixtures()
            )
        }
        return ResetReport(
            filesRemoved: removed.files,
            uploadsRemoved: removed.uploads,
            partsRemoved: removed.parts,
            blobsRemoved: removed.blobs,
            faultsRemoved: removed.then.faults,
            batchRulesRemoved: removed.then.batchRules,
            requestsCleared: removed.then.requests,
            fixturesLoaded: removed.then.fixtures
        )
    }
}

extension FixtureManifest.Problem: LocalizedError {
    public var errorDescription: String? { description }
}
