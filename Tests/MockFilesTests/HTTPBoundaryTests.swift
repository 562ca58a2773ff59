import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Testing

@testable import MockFiles

/// Credentials are exact bytes or refused; one key per request.
@Suite struct CredentialsTests {
    func read(_ fields: [(HTTPField.Name, String)]) -> Result<Credentials, Credentials.Problem> {
        var headers = HTTPFields()
        for (name, value) in fields { headers.append(HTTPField(name: name, value: value)) }
        return Credentials.read(headers)
    }

    @Test func bearerAndBasicWithTheKeyAsPasswordGiveTheSameKey() throws {
        let basic = "Basic " + Data(":sk-abc".utf8).base64EncodedString()
        #expect(try read([(.authorization, "Bearer sk-abc")]).get().apiKey == "sk-abc")
        #expect(try read([(.authorization, basic)]).get().apiKey == "sk-abc")
        #expect(try read([(.authorization, "bearer   sk-abc ")]).get().apiKey == "sk-abc")
        #expect(read([(.authorization, "Basic " + Data(":".utf8).base64EncodedString())]) == .failure(.missing))
        #expect(read([(.authorization, "Digest x")]) == .failure(.missing))
        #expect(read([]) == .failure(.missing))
    }

    /// The byte-level reading of plain `Bearer` headers answers as the general one does, for
    /// every header built from the characters that matter (cases, spaces, tabs, other schemes,
    /// non-ASCII); 20,000 of them from a fixed seed, and the awkward ones by hand.
    @Test func theASCIIBearerReadingAgreesWithTheGeneralOne() {
        var handPicked = ["Bearer sk", "bearer  sk ", "BEARER \tsk\t", "Bearer \t", "Bearer ", "Bearer", "Bearer\tsk", " Bearer sk"]
        handPicked += ["Bearerx sk", "Bearer sk with spaces", "Bearer é", "Bearer\u{00A0}sk", "Bearer sk\u{00A0}", "Basic x"]
        var generator = SplitMix64(seed: 18)
        let alphabet = Array("Bb eEaArR\tsk-:x\u{00A0}é".unicodeScalars)
        let generated = (0..<20_000).map { _ in
            let prefix = ["Bearer ", "bEaReR ", "Bearer", "Basic ", ""][Int(generator.next() % 5)]
            let length = Int(generator.next() % 8)
            return prefix + String(String.UnicodeScalarView((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }))
        }
        for header in handPicked + generated {
            #expect(Credentials.apiKey(fromAuthorization: header) == Credentials.apiKeyOfAnyHeader(header), "\(header.debugDescription)")
        }
        // The byte-level reading answers the plain headers itself, and only those.
        #expect(Credentials.bearerKeyOfASCIIHeader("bEaReR \tsk-1 ") == "sk-1")
        #expect(Credentials.bearerKeyOfASCIIHeader("Bearer \t") == "")
        #expect(
            ["Bearer", "Bearer\tsk", " Bearer sk", "Bearer é", "Basic x", "Bearerx sk"].allSatisfy { Credentials.bearerKeyOfASCIIHeader($0) == nil }
        )
    }

    /// NIO hands header bytes over decoded lossily: `\xe9` and `\xff` both read as U+FFFD.
    @Test func keysAndScopesOutsideVisibleASCIIAreRefused() {
        #expect(read([(.authorization, "Bearer sk-victim-\u{FFFD}")]) == .failure(.notVisibleASCII("Authorization")))
        #expect(read([(.authorization, "Bearer sk-victim-é")]) == .failure(.notVisibleASCII("Authorization")))
        #expect(read([(.authorization, "Bearer sk-a"), (.openAIOrganization, "org-\u{FFFD}")]) == .failure(.notVisibleASCII("OpenAI-Organization")))
        #expect(read([(.authorization, "Bearer sk-a"), (.openAIProject, "proj x")]) == .failure(.notVisibleASCII("OpenAI-Project")))
    }

    @Test func aRepeatedCredentialHeaderIsRefused() {
        #expect(read([(.authorization, "Bearer sk-A"), (.authorization, "Bearer sk-B")]) == .failure(.repeated("Authorization")))
        #expect(read([(.authorization, "Bearer sk-A"), (.openAIProject, "p1"), (.openAIProject, "p2")]) == .failure(.repeated("OpenAI-Project")))
    }

    @Test func perKeyTenantsNeverMergeThroughTheHTTPLayer() async throws {
        let server = try TestServer { $0.tenancy = .perKey }
        defer { server.remove() }
        try await server.test { client in
            let owner = headers(key: "sk-victim-a")
            try await client.execute(uri: "/v1/files", method: .get, headers: owner) { #expect($0.status == .ok) }
            for key in ["sk-victim-\u{FFFD}", "sk-victim-é"] {
                try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: key)) { response in
                    #expect(response.status == .unauthorized)
                    #expect(errorObject(response.body)["code"] as? String == "invalid_api_key")
                }
            }
            var twice = HTTPFields()
            twice.append(HTTPField(name: .authorization, value: "Bearer sk-A"))
            twice.append(HTTPField(name: .authorization, value: "Bearer sk-B"))
            try await client.execute(uri: "/v1/files", method: .get, headers: twice) { #expect($0.status == .unauthorized) }
        }
    }
}

/// `/admin/` without a token: loopback names only, no foreign origin, JSON writes.
@Suite struct OperatorAccessTests {
    func call(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ fields: HTTPFields) async throws -> HTTPResponse.Status
    {
        try await client.execute(uri: uri, method: method, headers: fields, body: ByteBuffer(string: "{}")) { $0.status }
    }

    @Test func refusesWhatOnlyAWebPageWouldSend() async throws {
        let server = try TestServer { $0.publicHosts = ["mockfiles"] }
        defer { server.remove() }
        try await server.test { client async throws in
            let json: HTTPFields = [.contentType: "application/json"]
            #expect(try await call(client, .post, "/admin/sweep", json) == .ok)
            #expect(try await call(client, .post, "/admin/reset", [.contentType: "text/plain"]) == .unsupportedMediaType)
            #expect(try await call(client, .post, "/admin/reset", [:]) == .unsupportedMediaType)
            #expect(try await call(client, .post, "/admin/sweep", [.contentType: "application/json", .origin: "https://evil.example"]) == .forbidden)
            #expect(try await call(client, .post, "/admin/sweep", [.contentType: "application/json", .origin: "null"]) == .forbidden)
            #expect(try await call(client, .post, "/admin/sweep", [.contentType: "application/json", .origin: "http://localhost:8080"]) == .ok)
            #expect(try await call(client, .get, "/admin/requests", [.origin: "http://127.0.0.1:5173"]) == .ok)
            #expect(try await call(client, .delete, "/admin/faults", [.origin: "https://evil.example"]) == .forbidden)
        }
    }

    @Test func hostNamesAreLoopbackOrConfigured() {
        let guardAll = OperatorAccessMiddleware(token: nil, publicHosts: ["mockfiles"])
        for host in ["localhost", "app.localhost", "127.0.0.1", "127.1.2.3", "::1", "mockfiles"] {
            #expect(guardAll.isAllowed(host: host), "\(host)")
        }
        for host in ["attacker.example", "127.0.0.1.evil.example", "localhost.evil.example", "0.0.0.0", "10.0.0.1", ""] {
            #expect(!guardAll.isAllowed(host: host), "\(host)")
        }
        #expect(OperatorAccessMiddleware.hostName("LocalHost:8080") == "localhost")
        #expect(OperatorAccessMiddleware.hostName("[::1]:8080") == "::1")
        #expect(OperatorAccessMiddleware.hostOfOrigin("http://[::1]:3000") == "::1")
        #expect(OperatorAccessMiddleware.hostOfOrigin("null") == nil)
        #expect(OperatorAccessMiddleware.hostOfOrigin("http://a/b") == nil)
    }
}

/// CORS on `/v1` as the real service: preflights before auth, `*` by default, never on `/admin`.
@Suite struct CORSTests {
    @Test func preflightsAreAnsweredWithoutAKey() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let preflight: HTTPFields = [
                .origin: "https://app.example", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "authorization, content-type, x-stainless-os, x-evil",
            ]
            try await client.execute(uri: "/v1/files", method: .options, headers: preflight) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(response.headers[.accessControlAllowHeaders] == "authorization, content-type, x-stainless-os")
                #expect(response.headers[.accessControlAllowMethods]?.contains("POST") == true)
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: headers([.origin: "https://app.example"])) { response in
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(response.headers[.accessControlExposeHeaders]?.contains("x-request-id") == true)
            }
            // Errors too, so a page can read them.
            try await client.execute(uri: "/v1/files", method: .get, headers: [.origin: "https://app.example"]) { response in
                #expect(response.status == .unauthorized && response.headers[.accessControlAllowOrigin] == "*")
            }
            try await client.execute(uri: "/admin/requests", method: .options, headers: preflight) { response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test func configuredOriginsOnly() async throws {
        let server = try TestServer { $0.corsAllowedOrigins = ["https://good.example"] }
        defer { server.remove() }
        try await server.test { client in
            try await client.execute(uri: "/v1/files", method: .get, headers: headers([.origin: "https://good.example"])) { response in
                #expect(response.headers[.accessControlAllowOrigin] == "https://good.example")
                #expect(response.headers[.vary] == "Origin")
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: headers([.origin: "https://other.example"])) { response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }
}

@Suite struct RequestNormalizationTests {
    @Test func unreservedEscapesInThePathAreDecodedAndOthersKept() {
        #expect(PercentDecoding.decodingUnreserved(inPathOf: "/v1/files/file%2Dabc") == "/v1/files/file-abc")
        #expect(PercentDecoding.decodingUnreserved(inPathOf: "/v1/files/%66ile-x%7e?after=%2D") == "/v1/files/file-x~?after=%2D")
        #expect(PercentDecoding.decodingUnreserved(inPathOf: "/v1/files/a%2Fb%25%2") == "/v1/files/a%2Fb%25%2")
    }

    @Test func severalHostsAreCountedAsNIOsCanonicalFormCountsThem() {
        func several(_ values: [String]) -> Bool {
            HTTP1ConformanceHandler.hasSeveralHosts(HTTPHeaders(values.map { ("Host", $0) } + [("Accept", "a, b")]))
        }
        #expect(!several(["localhost:8080"]))
        #expect(!several(["localhost:8080,"]))
        #expect(several(["a.example", "b.example"]))
        #expect(several(["a.example, b.example"]))
        #expect(several(["a.example,b.example"]))
        #expect(HTTP1ConformanceHandler.splitAbsoluteForm("/v1/files?limit=2") == nil)
        #expect(HTTP1ConformanceHandler.splitAbsoluteForm("HTTP://h:1/v1/files")! == ("h:1", "/v1/files"))
    }

    @Test func duplicateJSONKeysAreFound() {
        func first(_ text: String) -> String? { JSONDuplicateKeys.first(in: Array(text.utf8)) }
        #expect(first(#"{"filename":"a","filename":"b"}"#) == "filename")
        #expect(first(#"{"a":{"x":1},"b":{"x":2}}"#) == nil)
        #expect(first(#"{"a":[{"x":1,"y":"x"}],"a\u0020":1,"b":"\"a\""}"#) == nil)
        #expect(first(#"{"a":1,"\u0061":2}"#) == "a")
        #expect(first(#"{"o":{"k":1,"k":2}}"#) == "k")
    }
}

/// What every request gets before anything else: its id, and the object its path names.
@Suite struct RequestIdentityTests {
    @Test func requestIDsAreReqAnd32LowercaseHexDigitsAndDoNotRepeat() {
        let ids = (0..<2000).map { _ in OpenAIHeadersMiddleware.makeRequestID() }
        for id in ids {
            #expect(id.utf8.count == 36 && id.hasPrefix("req_"), "\(id)")
            #expect(id.dropFirst(4).utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, "\(id)")
        }
        #expect(Set(ids).count == ids.count)
        let digits = Set(ids.joined().dropFirst(4).filter(\.isHexDigit))
        #expect(digits.count == 16, "every hex digit shows up: \(digits.sorted())")
        // All 16 random bytes are used: a digit that never changes would still leave the ids unique.
        for position in 4..<36 {
            let seen = Set(ids.map { Array($0.utf8)[position] })
            #expect(seen.count > 1, "digit \(position - 4) is always \(seen)")
        }
    }

    @Test(arguments: [
        ("/v1/files/file-abc/content", "file-abc"), ("/v1/uploads/upload_x/parts", "upload_x"), ("/v1/files", nil),
        ("/v1/files/xfile-a", nil), ("//file-a", "file-a"), ("/v1/files/file-a/", "file-a"), ("file-top", "file-top"), ("", nil),
        ("/v1/uploads/upload_1/file-2", "upload_1"), ("/", nil),
    ])
    func theObjectIDIsTheFirstSegmentNamingAFileOrAnUpload(_ path: String, _ expected: String?) {
        #expect(RequestLogMiddleware.objectID(inPath: path) == expected)
    }
}
