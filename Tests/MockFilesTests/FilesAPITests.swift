import CompressNIO
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MockFiles

@Suite struct FilesAPITests {
    @Test func createReturnsTheFileObjectAndKeepsTheBytes() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let contents = Array((0...255).map { UInt8($0) })
        try await server.test { client in
            let file = try await client.createFile(.createFile(purpose: "user_data", filename: "all-bytes.bin", contents: contents))
            #expect((file["id"] as? String)?.hasPrefix("file-") == true)
            #expect(file["object"] as? String == "file")
            #expect(file["bytes"] as? Int == 256)
            #expect(file["created_at"] as? Int == 1_750_000_000)
            #expect(file["expires_at"] is NSNull)
            #expect(file["filename"] as? String == "all-bytes.bin")
            #expect(file["purpose"] as? String == "user_data")
            #expect(file["status"] as? String == "processed")
            let id = try #require(file["id"] as? String)
            try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: testKeyHeaders) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == contents)
                #expect(response.headers[.contentLength] == "256")
                #expect(response.headers[.contentDisposition] == #"attachment; filename="all-bytes.bin""#)
            }
        }
    }

    @Test func everyCreatablePurposeIsAccepted() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for purpose in Purpose.creatable {
                let filename = purpose == .batch || purpose == .fineTune ? "data.jsonl" : "data.bin"
                let file = try await client.createFile(
                    .createFile(purpose: purpose.rawValue, filename: filename, contents: Array("{\"a\":1}\n".utf8))
                )
                #expect(file["purpose"] as? String == purpose.rawValue)
                #expect(file["expires_at"] as? Int == (purpose == .batch ? 1_750_000_000 + 2_592_000 : nil))
            }
        }
    }

    @Test func expiresAfterSetsTheExpiry() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let form = MultipartBody.createFile(extraFields: [("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "3600")])
            let file = try await client.createFile(form)
            #expect(file["expires_at"] as? Int == 1_750_000_000 + 3600)
        }
    }

    @Test func validationErrorsNameTheirParameter() async throws {
        let server = try TestServer()
        defer { server.remove() }
        // The real service's words where captures exist (docs/fidelity.md, "Where mockfiles' answers come from").
        let purposes = "['fine-tune', 'assistants', 'batch', 'user_data', 'vision', 'evals']"
        let cases: [(MultipartBody, String?, String)] = [
            (.createFile(purpose: nil), nil, "'purpose' is a required property"),
            (.createFile(purpose: "fine-tune-results"), "purpose", "'fine-tune-results' is not one of \(purposes) - 'purpose'"),
            (.createFile(purpose: "batch", filename: "data.csv"), nil, "Invalid file format for Batch API. Must be .jsonl"),
            (
                .createFile(purpose: "fine-tune", filename: "t.jsonl", contents: Array("{}\n{}\nnot json\n".utf8)), nil,
                "Expected file to have JSONL format, where every line is a JSON dictionary. Line 3 is not a dictionary (HINT: line starts with: \"not ...\")."
            ),
            (.createFile(extraFields: [("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "60")]), "expires_after[seconds]", ""),
            (.createFile(extraFields: [("purpose", "batch")]), "purpose", "Duplicate"),
            (.createFile(extraFields: [("colour", "blue")]), nil, "Additional properties are not allowed ('colour' was unexpected)"),
        ]
        try await server.test { client in
            for (form, param, messagePart) in cases {
                try await client.execute(
                    uri: "/v1/files",
                    method: .post,
                    headers: headers([.contentType: form.contentType]),
                    body: ByteBuffer(bytes: form.finished())
                ) { response in
                    #expect(response.status == .badRequest)
                    let error = errorObject(response.body)
                    #expect(error["param"] as? String == param)
                    #expect(error["type"] as? String == "invalid_request_error")
                    #expect(messagePart.isEmpty || (error["message"] as? String)?.contains(messagePart) == true, "\(error)")
                    #expect(error["code"] is NSNull, "\(error)")
                }
            }
            var noFile = MultipartBody()
            noFile.field("purpose", "assistants")
            try await client.execute(
                uri: "/v1/files",
                method: .post,
                headers: headers([.contentType: noFile.contentType]),
                body: .init(bytes: noFile.finished())
            ) {
                #expect($0.status == .badRequest)
                #expect(errorObject($0.body)["message"] as? String == "'file' is a required property")
                #expect(errorObject($0.body)["param"] is NSNull)
            }
        }
        #expect(server.blobPaths().isEmpty)
        #expect(server.temporaryFiles().isEmpty)
    }

    @Test func refusesBadMultipartWithoutKeepingAnything() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let form = MultipartBody.createFile(contents: Array(repeating: 7, count: 100_000))
        let bodies: [(String?, [UInt8])] = [
            (form.contentType, Array(form.finished().dropLast(20))),  // truncated
            ("multipart/form-data", form.finished()),  // no boundary
            ("application/json", Array("{}".utf8)),
            (nil, form.finished()),
        ]
        try await server.test { client in
            for (contentType, body) in bodies {
                var fields = testKeyHeaders
                if let contentType { fields[.contentType] = contentType }
                try await client.execute(uri: "/v1/files", method: .post, headers: fields, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .badRequest)
                    #expect(errorObject(response.body)["message"] is String)
                }
            }
            let (_, list) = try await client.getJSON("/v1/files")
            #expect((list["data"] as? [Any])?.isEmpty == true)
        }
        #expect(server.blobPaths().isEmpty)
        #expect(server.temporaryFiles().isEmpty)
    }

    @Test func compressedRequestBodiesAreRefusedUnread() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            // A gzip bomb: 10 MB of zeros in a few KB. It is refused, never inflated.
            var zeros = ByteBuffer(repeating: 0, count: 10_000_000)
            let bomb = try zeros.compress(with: .gzip())
            let form = MultipartBody.createFile()
            try await client.execute(
                uri: "/v1/files",
                method: .post,
                headers: headers([.contentType: form.contentType, .contentEncoding: "gzip"]),
                body: bomb
            ) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(errorObject(response.body)["code"] as? String == "unsupported_content_encoding")
            }
        }
        #expect(server.blobPaths().isEmpty && server.temporaryFiles().isEmpty)
    }

    @Test func filesOverTheLimitGet400AndLeaveNothing() async throws {
        let server = try TestServer { $0.files.maxFileBytes = 1000 }
        defer { server.remove() }
        try await server.test { client in
            let form = MultipartBody.createFile(contents: Array(repeating: 1, count: 1001))
            try await client.execute(
                uri: "/v1/files",
                method: .post,
                headers: headers([.contentType: form.contentType]),
                body: .init(bytes: form.finished())
            ) { response in
                #expect(response.status == .badRequest)
                let error = errorObject(response.body)
                #expect(error["message"] as? String == "File is too large.")
                #expect(error["param"] is NSNull && error["code"] is NSNull)
            }
            _ = try await client.createFile(.createFile(contents: Array(repeating: 1, count: 1000)))
        }
        #expect(server.blobPaths().count == 1)
        #expect(server.temporaryFiles().isEmpty)
    }

    @Test func retrieveDeleteAndTheirErrors() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            let id = try #require(try await client.createFile(.createFile())["id"] as? String)
            let (status, retrieved) = try await client.getJSON("/v1/files/\(id)")
            #expect(status == .ok && retrieved["id"] as? String == id)
            try await client.execute(uri: "/v1/files/\(id)", method: .delete, headers: testKeyHeaders) { response in
                #expect(response.status == .ok)
                let body = jsonObject(response.body)
                #expect(body["id"] as? String == id && body["object"] as? String == "file" && body["deleted"] as? Bool == true)
            }
            for (method, uri) in [(HTTPRequest.Method.get, "/v1/files/\(id)"), (.delete, "/v1/files/\(id)"), (.get, "/v1/files/\(id)/content")] {
                try await client.execute(uri: uri, method: method, headers: testKeyHeaders) { response in
                    #expect(response.status == .notFound)
                    let error = errorObject(response.body)
                    #expect(error["message"] as? String == "No such File object: \(id)")
                    #expect(error["param"] as? String == "id")
                    #expect(error["type"] as? String == "invalid_request_error")
                }
            }
        }
        #expect(server.blobPaths().isEmpty)
    }

    @Test func hostileIDsAreJustUnknownFiles() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for id in ["..%2F..%2Fetc%2Fpasswd", "file-%00", "%2E%2E", "file-abc"] {
                try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: testKeyHeaders) { response in
                    #expect(response.status == .notFound)
                }
            }
        }
    }

    /// `assistants`, `user_data`, `fine-tune` and `evals` are refused by default, the rest served;
    /// `downloadablePurposes` changes the set. An unknown file is still 404 first.
    @Test(arguments: [nil, Set(Purpose.allCases), Set([Purpose.userData])])
    func contentIsServedForDownloadablePurposesOnly(downloadable: Set<Purpose>?) async throws {
        let server = try TestServer { $0.files.downloadablePurposes = downloadable ?? FileService.Settings().downloadablePurposes }
        defer { server.remove() }
        let expected = downloadable ?? [.batch, .vision, .assistantsOutput, .batchOutput, .fineTuneResults]
        try await server.test { client in
            for purpose in Purpose.creatable {
                let filename = purpose == .batch || purpose == .fineTune ? "a.jsonl" : "a.pdf"
                let form = MultipartBody.createFile(purpose: purpose.rawValue, filename: filename, contents: Array("{}\n".utf8))
                let id = try #require(try await client.createFile(form)["id"] as? String)
                try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: testKeyHeaders) { response in
                    if expected.contains(purpose) {
                        #expect(response.status == .ok, "\(purpose)")
                    } else {
                        #expect(response.status == .badRequest, "\(purpose)")
                        let error = errorObject(response.body)
                        #expect(error["message"] as? String == "Not allowed to download files of purpose: \(purpose.rawValue)")
                        #expect(error["param"] is NSNull && error["code"] is NSNull)
                    }
                }
            }
            try await client.execute(uri: "/v1/files/file-unknown/content", method: .get, headers: testKeyHeaders) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func downloadablePurposesAreReadFromSettings() async throws {
        func settings(_ values: [String: String]) async throws -> ServerSettings {
            try ServerSettings(config: try await ServerSettings.configReader(flags: [:], configFile: nil, environment: values))
        }
        #expect(try await settings([:]).files.downloadablePurposes == Set(Purpose.allCases).subtracting([.assistants, .userData, .fineTune, .evals]))
        #expect(try await settings(["MOCKFILES_DOWNLOADABLE_PURPOSES": "all"]).files.downloadablePurposes == Set(Purpose.allCases))
        #expect(try await settings(["MOCKFILES_DOWNLOADABLE_PURPOSES": "batch,user_data"]).files.downloadablePurposes == [.batch, .userData])
        let alias = try await settings(["MOCKFILES_ALLOW_ASSISTANTS_DOWNLOAD": "true"]).files.downloadablePurposes
        #expect(alias.contains(.assistants) && !alias.contains(.userData))
        await #expect(throws: SettingsError.self) { try await settings(["MOCKFILES_DOWNLOADABLE_PURPOSES": "batch,pictures"]) }
    }

    @Test func rangesAndHead() async throws {
        let server = try TestServer()
        defer { server.remove() }
        let contents = Array((0..<100).map { UInt8($0) })
        try await server.test { client in
            let id = try #require(try await client.createFile(.createFile(contents: contents))["id"] as? String)
            try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: headers([.range: "bytes=10-19"])) { response in
                #expect(response.status == .partialContent)
                #expect(response.headers[.contentRange] == "bytes 10-19/100")
                #expect(Array(response.body.readableBytesView) == Array(contents[10...19]))
            }
            try await client.execute(uri: "/v1/files/\(id)/content", method: .get, headers: headers([.range: "bytes=100-"])) { response in
                #expect(response.status == .rangeNotSatisfiable)
                #expect(response.headers[.contentRange] == "bytes */100")
            }
            try await client.execute(uri: "/v1/files/\(id)/content", method: .head, headers: testKeyHeaders) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == "100")
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func everyAnswerCarriesTheOpenAIHeaders() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for (uri, fields) in [
                ("/v1/files", testKeyHeaders), ("/v1/files", HTTPFields()), ("/v1/nothing", testKeyHeaders), ("/health", HTTPFields()),
            ] {
                try await client.execute(uri: uri, method: .get, headers: fields) { response in
                    #expect(response.headers[.xRequestID]?.hasPrefix("req_") == true)
                    #expect(response.headers[.openAIVersion] == "2020-10-01")
                    #expect(response.headers[.openAIProcessingMS].flatMap(Int.init) != nil)
                    #expect(response.headers[.openAIOrganization] != nil)
                    #expect(response.headers[.contentType] == "application/json")
                }
            }
        }
    }

    @Test func unknownRoutesAndMethodsAreInvalidURLs() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for (method, uri) in [(HTTPRequest.Method.get, "/v1/nothing"), (.put, "/v1/files"), (.patch, "/v1/files/file-x")] {
                try await client.execute(uri: uri, method: method, headers: testKeyHeaders) { response in
                    #expect(response.status == .notFound)
                    #expect(errorObject(response.body)["message"] as? String == "Invalid URL (\(method.rawValue) \(uri))")
                }
            }
        }
    }

    @Test func authIsRequiredAndUnknownKeysCanBeRejected() async throws {
        let server = try TestServer { settings in
            settings.apiKeys = [APIKeyEntry(key: "sk-known", organization: "org-a", project: "proj-a")]
            settings.rejectUnknownKeys = true
        }
        defer { server.remove() }
        try await server.test { client in
            for value in [nil, "Basic abc", "Bearer", "Bearer   "] {
                var fields = HTTPFields()
                if let value { fields[.authorization] = value }
                try await client.execute(uri: "/v1/files", method: .get, headers: fields) { response in
                    #expect(response.status == .unauthorized)
                    #expect((errorObject(response.body)["message"] as? String)?.hasPrefix("You didn't provide an API key") == true)
                }
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: "sk-unknown-key")) { response in
                #expect(response.status == .unauthorized)
                #expect(errorObject(response.body)["code"] as? String == "invalid_api_key")
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: "sk-known")) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.openAIOrganization] == "org-a")
            }
        }
    }

    @Test func largeListsAreGzippedForClientsThatAskForIt() async throws {
        let server = try TestServer()
        defer { server.remove() }
        try await server.test { client in
            for _ in 0..<20 { try await client.createFile(.createFile()) }
            try await client.execute(uri: "/v1/files", method: .get, headers: headers([.acceptEncoding: "gzip, deflate"])) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                var body = response.body
                let plain = try body.decompress(with: .gzip())
                #expect((jsonObject(plain)["data"] as? [Any])?.count == 20)
            }
            try await client.execute(uri: "/v1/files", method: .get, headers: testKeyHeaders) { response in
                #expect(response.headers[.contentEncoding] == nil)
                #expect((jsonObject(response.body)["data"] as? [Any])?.count == 20)
            }
        }
    }
}
