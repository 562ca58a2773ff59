import Foundation
import Hummingbird
import Logging

/// `ceiling-hummingbird PORT FILE`: Hummingbird alone (the version mockfiles uses), one route answering
/// every GET with FILE's bytes as application/json: no middleware, no database, no JSON encoding.
let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[1]), let body = FileManager.default.contents(atPath: arguments[2]) else {
    FileHandle.standardError.write(Data("usage: ceiling-hummingbird PORT FILE\n".utf8))
    exit(64)
}
let bytes = ByteBuffer(bytes: body)
let router = Router()
router.get("**") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: bytes))
}
var logger = Logger(label: "ceiling")
logger.logLevel = .warning
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
try await app.runService()
