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
        (.perKey, headers(key: "sk-unmapped", [.openAIProject: "p1"]), headers(key: "sk-unmapped", [.openAIProject: "p2"])),
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
            let id = try await client.execute(
                uri: "/v1/files",
                method: .post,
                headers: owner + [.contentType: form.contentType],
                body: .init(bytes: form.finished())
            ) {
                try #require(jsonObject($0.body)["id"] as? String)
            }
            for (method, uri) in [(HTTPRequest.Method.get, "/v1/files/\(id)"), (.get, "/v1/files/\(id)/content"), (.delete, "/v1/files/\(id)")] {
                try await client.execute(uri: uri, method: method, headers: other) { #expect($0.status == .notFound) }
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: other) {
                #expect((jsonObject($0.body)["data"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/v1/files?after=\(id)", method: .get, headers: other) {
                #expect($0.status == .notFound)
                #expect(errorObject($0.body)["param"] as? String == "after")
            }
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

    /// A configured key cannot borrow another scope through headers, and in per-project mode an
    /// unmapped key cannot claim an organization the mapping names (it would read its files).
    @Test func headersCannotLeaveTheKeysOwnScope() {
        let keys = [APIKeyEntry(key: "sk-a", organization: "org-a", project: "proj-a"), APIKeyEntry(key: "sk-o", organization: "org-o")]
        let perProject = TenantResolver(mode: .perProject, keys: keys, rejectUnknownKeys: false, defaultOrganization: "org-default")
        #expect(perProject.resolve(apiKey: "sk-a", organizationHeader: nil, projectHeader: "proj-b") == .mismatchedProject)
        #expect(perProject.resolve(apiKey: "sk-a", organizationHeader: "org-b", projectHeader: nil) == .mismatchedOrganization)
        // Headers naming the key's own scope, or a project under an organization-only mapping, resolve.
        #expect(
            perProject.resolve(apiKey: "sk-a", organizationHeader: "org-a", projectHeader: "proj-a")
                == .tenant(Tenant(key: "project:org-a/proj-a", organization: "org-a", project: "proj-a"))
        )
        #expect(
            perProject.resolve(apiKey: "sk-o", organizationHeader: nil, projectHeader: "any-project")
                == .tenant(Tenant(key: "project:org-o/any-project", organization: "org-o", project: "any-project"))
        )
        #expect(perProject.resolve(apiKey: "sk-stranger", organizationHeader: "org-a", projectHeader: "proj-a") == .mismatchedOrganization)
        #expect(perProject.resolve(apiKey: "sk-stranger", organizationHeader: "org-o", projectHeader: nil) == .mismatchedOrganization)
        guard case .tenant(let own) = perProject.resolve(apiKey: "sk-stranger", organizationHeader: "org-free", projectHeader: "p") else {
            Issue.record("an unmapped key in an unmapped organization is a tenant")
            return
        }
        #expect(own.key == "project:org-free/p")
        let perKey = TenantResolver(mode: .perKey, keys: keys, rejectUnknownKeys: false, defaultOrganization: "org-default")
        #expect(perKey.resolve(apiKey: "sk-a", organizationHeader: nil, projectHeader: "proj-b") == .mismatchedProject)
        // Per-key mode keeps unmapped keys apart by digest, so claiming a mapped organization is harmless.
        guard case .tenant(let stranger) = perKey.resolve(apiKey: "sk-stranger", organizationHeader: "org-a", projectHeader: nil) else {
            Issue.record("per-key mode resolves an unmapped key in any organization")
            return
        }
        #expect(stranger.key.hasPrefix("key:") && stranger.organization == "org-a")
    }

    @Test func mismatchedProjectIsAnOpenAIError() async throws {
        let server = try TestServer { settings in
            settings.tenancy = .perProject
            settings.apiKeys = [APIKeyEntry(key: "sk-a", organization: "org-a", project: "proj-a")]
        }
        defer { server.remove() }
        try await server.test { client in
            try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: "sk-a", [.openAIProject: "proj-b"])) {
                #expect($0.status == .unauthorized)
                let error = try #require(jsonObject($0.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "mismatched_project")
                #expect(error["message"] as? String == "OpenAI-Project header should match project for API key")
            }
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
