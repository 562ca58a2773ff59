import Foundation
import GRDB
import NIOCore
import Testing

@testable import MockFiles

/// A walk with any page size, in either order, returns every file exactly once, also when many
/// share one `created_at` and when files go away mid-walk (docs/design.md, "Paging has a total order").
@Suite struct PaginationTests {
    let tenant = Tenant(key: "shared", organization: "org")

    /// Makes `count` files through the service, `perSecond` of them in each clock second.
    func makeFiles(_ server: TestServer, count: Int, perSecond: Int, purposes: [String] = ["user_data"]) async throws -> [StoredFile] {
        var files: [StoredFile] = []
        for index in 0..<count {
            if index > 0 && index % perSecond == 0 { server.clock.advance(by: 1) }
            let blob = try await server.blobs.makeWriter()
            try await blob.write(ByteBuffer(string: "file \(index)"))
            let purpose = purposes[index % purposes.count]
            files.append(try await server.service.create(.init(purpose: purpose, filename: "f\(index).txt", blob: blob), tenant: tenant))
        }
        return files
    }

    func walk(
        _ server: TestServer,
        limit: Int,
        order: FileListQuery.Order,
        purpose: String? = nil,
        betweenPages: (Int) async throws -> Void = { _ in }
    )
        async throws -> [String]
    {
        var seen: [String] = []
        var after: String?
        var page = 0
        while true {
            let result = try await server.service.list(.init(purpose: purpose, limit: limit, order: order, after: after), tenant: tenant)
            seen += result.files.map(\.id)
            guard result.hasMore, let last = result.files.last else { break }
            after = last.id
            try await betweenPages(page)
            page += 1
        }
        return seen
    }

    @Test func walksReturnEveryFileOnceInOrder() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let files = try await makeFiles(server, count: 230, perSecond: 100)
        let ascending = files.map(\.id)
        for limit in [1, 7, 100, 229, 230, 10_000] {
            #expect(try await walk(server, limit: limit, order: .asc) == ascending, "limit \(limit) asc")
            #expect(try await walk(server, limit: limit, order: .desc) == ascending.reversed(), "limit \(limit) desc")
        }
    }

    @Test func purposeFilterWalksOnlyThatPurpose() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let files = try await makeFiles(server, count: 60, perSecond: 60, purposes: ["user_data", "vision", "evals"])
        let vision = files.filter { $0.purpose == "vision" }.map(\.id)
        #expect(try await walk(server, limit: 3, order: .asc, purpose: "vision") == vision)
        #expect(try await walk(server, limit: 4, order: .desc, purpose: "vision") == vision.reversed())
    }

    @Test(arguments: [FileListQuery.Order.asc, .desc])
    func deletesBetweenPagesNeitherSkipNorRepeat(order: FileListQuery.Order) async throws {
        let server = try TestServer()
        defer { server.remove() }
        let files = try await makeFiles(server, count: 120, perSecond: 50)
        let ordered = order == .asc ? files.map(\.id) : files.map(\.id).reversed()
        var deleted = Set<String>()
        let seen = try await walk(server, limit: 10, order: order) { page in
            // Delete the page's last file (the `after` cursor itself) and one not yet reached.
            let cursorFile = ordered[page * 10 + 9]
            let ahead = ordered[min(ordered.count - 1, page * 10 + 15)]
            for id in [cursorFile, ahead] where !deleted.contains(id) {
                _ = try await server.service.delete(id: id, tenant: tenant)
                deleted.insert(id)
            }
        }
        #expect(Set(seen).count == seen.count, "no file twice")
        let expected = ordered.filter { id in seen.contains(id) || !deleted.contains(id) }
        #expect(seen == expected, "every file not deleted before it was reached is seen, in order")
    }

    @Test func concurrentDeletesDuringAWalk() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let files = try await makeFiles(server, count: 200, perSecond: 200)
        let service = server.service
        let tenant = self.tenant
        let victims = files.shuffled().prefix(80).map(\.id)
        let deleter = Task {
            for id in victims { _ = try await service.delete(id: id, tenant: tenant) }
        }
        let seen = try await walk(server, limit: 9, order: .desc)
        try await deleter.value
        #expect(Set(seen).count == seen.count)
        let survivors = Set(files.map(\.id)).subtracting(victims)
        #expect(survivors.isSubset(of: Set(seen)), "every file that was never deleted is seen")
        let order = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1.id, $0) })
        #expect(seen.map { order[$0]! } == seen.map { order[$0]! }.sorted(by: >))
    }

    @Test func unknownAfterIsA400() async throws {
        let server = try TestServer()
        defer { server.remove() }
        await #expect(
            performing: {
                _ = try await server.service.list(.init(after: "file-doesnotexist"), tenant: tenant)
            },
            throws: { ($0 as? APIError)?.param == "after" }
        )
    }

    @Test func listQueriesUseTheOrderIndexes() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let store = try #require(server.metadata as? SQLiteMetadataStore)
        for purpose in [nil, "batch"] as [String?] {
            for after in [nil, ListCursor(createdAt: 5, sequence: 5)] {
                for order in [FileListQuery.Order.asc, .desc] {
                    let (sql, arguments) = SQLiteMetadataStore.listSQL(
                        .init(tenant: "t", purpose: purpose, order: order, limit: 10, after: after, now: 0)
                    )
                    let plan = try await store.database.read { db in
                        try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
                    }
                    let text = plan.joined(separator: " | ")
                    #expect(text.contains("USING INDEX files_by_tenant"), "\(text)")
                    #expect(!text.contains("TEMP B-TREE"), "no sort step: \(text)")
                }
            }
        }
    }
}
