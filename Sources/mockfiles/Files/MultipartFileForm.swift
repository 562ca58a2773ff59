import Foundation
import NIOCore
import NIOFileSystem

/// The `multipart/form-data` body of `POST /files`: text fields, then the file streamed from
/// disk in 1 MiB chunks. Its length is known up front, so the request carries Content-Length.
struct MultipartFileForm {
    let fields: [(name: String, value: String)]
    let filename: String
    let boundary = "mockfiles-" + UUID().uuidString

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    private var preamble: [UInt8] {
        var text = ""
        for (name, value) in fields {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n\(value)\r\n"
        }
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(Self.quoted(filename))\"\r\n"
        text += "Content-Type: application/octet-stream\r\n\r\n"
        return Array(text.utf8)
    }

    private var epilogue: [UInt8] { Array("\r\n--\(boundary)--\r\n".utf8) }

    func length(fileSize: Int64) -> Int64 {
        Int64(preamble.count) + fileSize + Int64(epilogue.count)
    }

    /// The body as an async sequence; reads the file only as fast as the connection takes it.
    func body(handle: ReadFileHandle, fileSize: Int64, progress: ProgressBar?) -> Body {
        Body(preamble: preamble, chunks: handle.readChunks(in: 0..<fileSize, chunkLength: .mebibytes(1)), epilogue: epilogue, progress: progress)
    }

    /// Quotes and line breaks would end the header value early (percent-encoded, as the SDKs do);
    /// a backslash is escaped, since servers read it as the quoted-string escape.
    static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    struct Body: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let preamble: [UInt8]
        let chunks: FileChunks
        let epilogue: [UInt8]
        let progress: ProgressBar?

        func makeAsyncIterator() -> Iterator {
            Iterator(body: self, chunks: chunks.makeAsyncIterator())
        }

        struct Iterator: AsyncIteratorProtocol {
            enum Stage { case preamble, file, epilogue, done }
            let body: Body
            var chunks: FileChunks.AsyncIterator
            var stage = Stage.preamble
            var sent: Int64 = 0

            mutating func next() async throws -> ByteBuffer? {
                switch stage {
                case .preamble:
                    stage = .file
                    return ByteBuffer(bytes: body.preamble)
                case .file:
                    if let chunk = try await chunks.next() {
                        sent += Int64(chunk.readableBytes)
                        body.progress?.advance(to: sent)
                        return chunk
                    }
                    stage = .epilogue
                    return try await next()
                case .epilogue:
                    stage = .done
                    return ByteBuffer(bytes: body.epilogue)
                case .done:
                    return nil
                }
            }
        }
    }
}
