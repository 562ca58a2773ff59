import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFileSystem
import NIOHTTP1

/// A small Files API client over AsyncHTTPClient. Uploads stream the file from disk and downloads
/// stream to disk, so memory stays flat whatever the size.
struct FilesClient {
    let baseURL: String
    let apiKey: String
    let organization: String?
    let project: String?
    let http: HTTPClient

    init(baseURL: String, apiKey: String, organization: String?, project: String?) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.organization = organization
        self.project = project
        var configuration = HTTPClient.Configuration()
        // One command, one attempt: a refused connection fails at once (exit 7) instead of being
        // retried with backoff until the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    func list(purpose: String?, limit: Int?, order: String?, after: String?) async throws -> FileList {
        let query = Self.query([("purpose", purpose), ("limit", limit.map(String.init)), ("order", order), ("after", after)])
        return try FileList(json: try await send(request(.GET, "/files" + query)))
    }

    func retrieve(id: String) async throws -> FileInfo {
        try FileInfo(json: try await send(request(.GET, "/files/\(try pathComponent(id))")))
    }

    func delete(id: String) async throws -> Data {
        try await send(request(.DELETE, "/files/\(try pathComponent(id))"))
    }

    /// Uploads `path` as multipart/form-data (`purpose`, optional `expires_after`, `file`).
    func create(path: String, purpose: String, expiresAfterSeconds: Int?, progress: (Int64?) -> ProgressBar?) async throws -> FileInfo {
        let size: Int64
        do {
            guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)), info.type == .regular else {
                throw FilesClientError.localFile("\(path) is not a regular file")
            }
            size = info.size
        } catch let error as FilesClientError {
            throw error
        } catch {
            throw FilesClientError.localFile("cannot read \(path): \(error)")
        }
        var fields = [("purpose", purpose)]
        if let expiresAfterSeconds {
            fields += [("expires_after[anchor]", "created_at"), ("expires_after[seconds]", String(expiresAfterSeconds))]
        }
        let form = MultipartFileForm(fields: fields, filename: (path as NSString).lastPathComponent)
        let bar = progress(size)
        defer { bar?.finish() }
        let body = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            var request = request(.POST, "/files")
            request.headers.add(name: "Content-Type", value: form.contentType)
            request.body = .stream(form.body(handle: handle, fileSize: size, progress: bar), length: .known(form.length(fileSize: size)))
            return try await send(request)
        }
        return try FileInfo(json: body)
    }

    /// Streams the file's bytes to `outputPath`, or to stdout when it is nil. A file output is
    /// written under a temporary name and appears only once the download is complete.
    func content(id: String, to outputPath: String?, progress: (Int64?) -> ProgressBar?) async throws {
        let response = try await execute(request(.GET, "/files/\(try pathComponent(id))/content"))
        guard response.status == .ok else { throw try await FilesClientError(response: response) }
        let bar = progress(response.headers.first(name: "Content-Length").flatMap(Int64.init))
        defer { bar?.finish() }
        do {
            if let outputPath {
                try await FileSystem.shared.withFileHandle(
                    forWritingAt: FilePath(outputPath),
                    options: .newFile(replaceExisting: true)
                ) { handle in
                    var offset: Int64 = 0
                    for try await chunk in response.body {
                        try await handle.write(contentsOf: chunk, toAbsoluteOffset: offset)
                        offset += Int64(chunk.readableBytes)
                        bar?.advance(to: offset)
                    }
                }
            } else {
                var written: Int64 = 0
                for try await chunk in response.body {
                    try FileHandle.standardOutput.write(contentsOf: Data(chunk.readableBytesView))
                    written += Int64(chunk.readableBytes)
                    bar?.advance(to: written)
                }
            }
        } catch let error as FileSystemError {
            throw FilesClientError.localFile("cannot write \(outputPath ?? "stdout"): \(error.message)")
        } catch let error as FilesClientError {
            throw error
        } catch {
            // The connection ended or failed mid-body (HTTPClientError, NIO's parser errors, …).
            throw FilesClientError.transport("the download broke off: \(error)")
        }
    }

    // MARK: - Requests

    /// `?name=value&…` of the values given (nil ones left out), percent-encoded; empty for none.
    static func query(_ items: [(name: String, value: String?)]) -> String {
        var components = URLComponents()
        components.queryItems = items.compactMap { item in item.value.map { URLQueryItem(name: item.name, value: $0) } }
        return components.queryItems?.isEmpty == false ? "?" + (components.percentEncodedQuery ?? "") : ""
    }

    func request(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "User-Agent", value: "mockfiles-cli")
        if let organization { request.headers.add(name: "OpenAI-Organization", value: organization) }
        if let project { request.headers.add(name: "OpenAI-Project", value: project) }
        return request
    }

    /// Sends a request whose answer is JSON; a non-2xx answer becomes a `FilesClientError`.
    func send(_ request: HTTPClientRequest) async throws -> Data {
        let response = try await execute(request)
        guard (200..<300).contains(response.status.code) else { throw try await FilesClientError(response: response) }
        do {
            return Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
        } catch {
            throw FilesClientError.transport("reading the answer failed: \(error)")
        }
    }

    private func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: .hours(24))
        } catch let error as FilesClientError {
            throw error
        } catch {
            throw FilesClientError.transport("\(request.method.rawValue) \(request.url): \(error)")
        }
    }

    /// Ids go into the path; one with a `/` or `?` would address another resource.
    func pathComponent(_ id: String) throws -> String {
        guard let encoded = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))),
            !id.isEmpty
        else { throw FilesClientError.usage("'\(id)' is not an id") }
        return encoded
    }
}
