import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

/// One tenant can never see, read or delete another's file, under every tenancy mode.
@Suite struct TenancyTests {
    /// (owner headers, other headers) pairs that must be isolated in each mode.
    static let isolatedPairs: [(TenancyMode, HTTPFields, HTTPFields)] = [
        (.perKey, headers(key: "sk-a"), headers(key: "sk-b")),
        (.perKey, headers(key: "sk-a", [.openAIProject: "p1"]), headers(key: "sk-a", [.openAIProject: "p2"])),
        (.perProject, headers(key: "sk-a"), headers(key: "sk-b")),
    ]

    @Test(arguments: 0..<3)
    func otherTenantsCannotSeeReadOrDelete(pair: Int) async throws {
        let (mode, owner, other) = Self.isolatedPairs[pair]
        let server = try TestServer { settings in
            settings.tenancy = mode
            settings.apiKeys = [APIKeyEntry(key: "sk-a", organization: "org-a", project: "proj-a"), APIKeyEntry(key: "sk-b", organization: "org-b")]
        }
        defer { server.remove() }
        try await server.test { client in
            let form = MultipartBody.createFile()
            let id = try await client.execute(uri: "/v1/files", method: .post, headers: owner + [.contentType: form.contentType], body: .init(bytes: form.finished())) {
                try #require(jsonObject($0.body)["id"] as? String)
            }
            for (method, uri) in [(HTTPRequest.Method.get, "/v1/files/\(id)"), (.get, "/v1/files/\(id)/content"), (.delete, "/v1/files/\(id)")] {
                try await client.execute(uri: uri, method: method, headers: other) { #expect($0.status == .notFound) }
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: other) {
                #expect((jsonObject($0.body)["data"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/files?after=\(id)", method: .get, headers: other) { #expect($0.status == .badRequest) }
            // Still there for its owner.
            try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: owner) { #expect($0.status == .ok) }
        }
    }

    @Test func sharedModeIsOneNamespace() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let id = try #require(try await client.createFile(.createFile(), key: "sk-a")["id"] as? String)
            let (status, _) = try await client.getJSON("/v1/files/\(id)", key: "sk-b")
            #expect(status == .ok)
        }
    }

    @Test func rawKeysNeverBecomeTenantKeys() {
        let resolver = TenantResolver(mode: .perKey, keys: [], rejectUnknownKeys: false, defaultOrganization: "org")
        guard case .tenant(let tenant) = resolver.resolve(apiKey: "sk-secret-value", organizationHeader: nil, projectHeader: nil) else {
            Issue.record("expected a tenant")
            return
        }
        #expect(!tenant.key.contains("sk-secret-value"))
    }
}

func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
    var result = lhs
    result.append(contentsOf: rhs)
    return result
}
