import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import MockFiles

/// Tenant keys: one per (mode, key, organization, project), never shared by two, compared as bytes.
extension TenancyTests {
    /// Tuples that the old `project:ORG/PROJECT` and a naive NUL join made into one key.
    @Test func differentTuplesNeverShareAKey() {
        let projects: [(String, String?)] = [
            ("org-a", "team/p1"), ("org-a/team", "p1"), ("org-a/team/p1", nil), ("org-a%2Fteam", "p1"), ("org-a", "team%2Fp1"),
            ("org-a", nil), ("org-a/", nil), ("org-a", "/"), ("org-a%", "2F"), ("org-a", "%2F"),
        ]
        let projectKeys = projects.map { TenantKey.perProject(organization: $0.0, project: $0.1) }
        let perKey: [(String, String?, String?)] = [
            ("sk-a", "o\u{0}p", nil), ("sk-a", "o", "p"), ("sk-a\u{0}o", "p", nil), ("sk-a", "o\u{1}0p", nil), ("sk-a", "o\u{1}", "0p"),
        ]
        let keyKeys = perKey.map { TenantKey.perKey(apiKey: $0.0, organization: $0.1, project: $0.2) }
        let all = [TenantKey.shared] + projectKeys + keyKeys
        #expect(Set(all.map { Array($0.utf8) }).count == all.count, "\(all)")
    }

    /// Keys without the escaped characters are the ones stored before the escaping: existing data
    /// directories and snapshots keep their tenants.
    @Test func keysWithoutSeparatorsAreUnchanged() {
        #expect(TenantKey.perProject(organization: "org-a", project: "proj-a") == "project:org-a/proj-a")
        #expect(TenantKey.perProject(organization: "org-o", project: nil) == "project:org-o/")
        #expect(TenantKey.perKey(apiKey: "sk-a", organization: nil, project: nil) == "key:837bb662d2ee59c21ad836fa99356713")
        #expect(TenantKey.perKey(apiKey: "sk-a", organization: "org-1", project: "proj-1") == "key:3ac1281cc917f1a70c7fdfc5014ce09d")
        #expect(TenantKey.perProject(organization: "org-a", project: "team/p1") == "project:org-a/team%2Fp1")
        #expect(TenantKey.perProject(organization: "org-a/team", project: "p1") == "project:org-a%2Fteam/p1")
    }

    /// The case: `sk-v=org-a/team/p1` is organization `org-a`, project `team/p1`; an
    /// unknown key naming organization `org-a/team` and project `p1` must not land in its tenant.
    @Test(arguments: BackendUnderTest.available)
    func scopesWithSeparatorsNeverMergeOnAnyBackend(_ backend: BackendUnderTest) async throws {
        try await backend.withStores { stores in
            var settings = ServerSettings()
            settings.logLevel = .warning
            settings.files.downloadablePurposes = Set(Purpose.allCases)
            settings.tenancy = .perProject
            settings.apiKeys = [try #require(APIKeyEntry(parsing: "sk-v=org-a/team/p1"))]
            let server = try MockFilesServer(settings: settings, storage: stores)
            let app = Application(router: buildRouter(server), configuration: .init())
            try await app.test(.router) { client in
                let victim = try #require(try await client.createFile(.createFile(contents: Array("victim's".utf8)), key: "sk-v")["id"] as? String)
                let intruder = headers(key: "sk-x", [.openAIOrganization: "org-a/team", .openAIProject: "p1"])
                try await client.execute(uri: "/v1/files", method: .get, headers: intruder) {
                    #expect($0.status == .ok)
                    #expect((jsonObject($0.body)["data"] as? [Any])?.isEmpty == true, "\(String(buffer: $0.body))")
                }
                for uri in ["/v1/files/\(victim)", "/v1/files/\(victim)/content"] {
                    try await client.execute(uri: uri, method: .get, headers: intruder) { #expect($0.status == .notFound) }
                }
                // The intruder's own file stays its own.
                let form = MultipartBody.createFile()
                let own = try await client.execute(
                    uri: "/v1/files",
                    method: .post,
                    headers: intruder + [.contentType: form.contentType],
                    body: ByteBuffer(bytes: form.finished())
                ) { try #require(jsonObject($0.body)["id"] as? String) }
                let (status, _) = try await client.getJSON("/v1/files/\(own)", key: "sk-v")
                #expect(status == .notFound)
                try await client.execute(uri: "/v1/files/\(victim)/content", method: .get, headers: headers(key: "sk-v")) {
                    #expect(String(buffer: $0.body) == "victim's")
                }
            }
        }
    }

    /// `String`'s `==` takes `K` and the Kelvin sign (U+212A) as equal; two tenants so named do not
    /// share the recently read rows.
    @Test func recentRowsBelongToTheExactTenantBytes() {
        let recent = RecentFiles()
        var file = StoreContractTests.file("file-1", tenant: "project:\u{212A}/")
        file.filename = "kelvin's"
        recent.remember(file, readAt: recent.generation)
        #expect(recent.file(id: "file-1", tenant: "project:\u{212A}/")?.filename == "kelvin's")
        #expect(recent.file(id: "file-1", tenant: "project:K/") == nil)
    }
}
