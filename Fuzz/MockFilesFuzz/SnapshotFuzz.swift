import Foundation
import NIOCore

@testable import MockFiles

/// Snapshot archives are untrusted input (they travel in bug reports). Each input is restored into
/// one server on the embedded stores, whose state is a known baseline (a file, an open Upload with a
/// part, a moved clock, a fault rule). Whatever the bytes, the import either succeeds (200) or is
/// refused as `SnapshotImportError` (400), never traps or fails otherwise (a 500), and a refusal
/// leaves the state exactly as it was: the export after it is byte for byte the baseline's.
/// A success changed the state; the baseline is restored before the next input.
///
/// Half the inputs have their tar header checksums made right first (the low bit of the first
/// byte), so mutations reach the records and the importer instead of stopping at the checksum.
func fuzzSnapshot(_ input: [UInt8]) {
    guard let first = input.first else { return }
    var bytes = Array(input.dropFirst())
    if first & 1 == 1 { resealTarChecksums(&bytes) }
    let archive = bytes
    let chunkSize = Int(first >> 1) * 37 + 1
    let fixture = SnapshotFuzzFixture.shared
    let outcome = blockingWait { await fixture.restore(archive, chunkSize: chunkSize) }
    switch outcome {
    case .restored:
        precondition(blockingWait { await fixture.restore(fixture.baseline, chunkSize: 4096) } == .restored, "the baseline no longer restores")
    case .refused:
        let after = blockingWait { await fixture.export() }
        precondition(after == fixture.baseline, "a refused archive changed the state")
    case .failed(let error):
        preconditionFailure("an archive was answered with neither 200 nor 400: \(error)")
    }
}

enum SnapshotFuzzOutcome: Equatable {
    case restored
    case refused
    case failed(String)
}

/// One server in a temporary directory, made once for the whole run.
final class SnapshotFuzzFixture: Sendable {
    static let shared = SnapshotFuzzFixture()

    let server: MockFilesServer
    /// The export of the baseline state.
    let baseline: [UInt8]

    init() {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockfiles-fuzz-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        var settings = ServerSettings()
        settings.dataDirectory = directory
        settings.idSeed = 7
        let server = try! MockFilesServer(settings: settings, storage: .embedded(dataDirectory: directory))
        self.server = server
        baseline = blockingWait {
            let tenant = Tenant(key: "key:fuzz", organization: "org-fuzz", project: nil)
            try! await server.fileService.store.withNewBlob { blob in
                try await blob.write(ByteBuffer(string: "{\"custom_id\": \"1\"}\n"))
                _ = try await server.fileService.create(
                    FileService.CreateRequest(purpose: "batch", filename: "in.jsonl", blob: blob),
                    tenant: tenant
                )
            }
            let upload = try! await server.uploadService.create(
                .init(filename: "big.bin", purpose: .userData, bytes: 10, mimeType: "application/octet-stream"),
                tenant: tenant
            )
            try! await server.fileService.store.withNewBlob { blob in
                try await blob.write(ByteBuffer(string: "12345"))
                _ = try await server.uploadService.addPart(uploadID: upload.id, blob: blob, tenant: tenant)
            }
            try! await server.controls.changeClock { $0.advance(by: 3600) }
            _ = try! await server.controls.addFault { id in try FaultRule(json: JSONBody(fields: ["path": "/v1/files*", "status": 503]), id: id) }
            return await Self.export(server)
        }
    }

    func restore(_ archive: [UInt8], chunkSize: Int) async -> SnapshotFuzzOutcome {
        let importer = SnapshotImporter(files: server.fileService, uploads: server.uploadService, controls: server.controls)
        let chunks = stride(from: 0, to: archive.count, by: chunkSize).map { ByteBuffer(bytes: archive[$0..<min($0 + chunkSize, archive.count)]) }
        do {
            _ = try await importer.importSnapshot(from: AsyncChunks(chunks: chunks))
            return .restored
        } catch let error as SnapshotImportError where error != .interruptedByReset {
            return .refused
        } catch {
            return .failed("\(error)")
        }
    }

    func export() async -> [UInt8] { await Self.export(server) }

    static func export(_ server: MockFilesServer) async -> [UInt8] {
        var bytes: [UInt8] = []
        _ = try! await SnapshotExporter(files: server.fileService, controls: server.controls).export {
            bytes += Array($0.readableBytesView)
        }
        return bytes
    }
}

struct AsyncChunks: AsyncSequence, Sendable {
    let chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<ByteBuffer>
        mutating func next() async -> ByteBuffer? { rest.popFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks[...]) }
}

/// Walks the archive header by header, as a reader would, and writes each header's checksum.
func resealTarChecksums(_ archive: inout [UInt8]) {
    var offset = 0
    while offset + TarHeader.blockSize <= archive.count {
        let block = offset..<offset + TarHeader.blockSize
        guard archive[block].contains(where: { $0 != 0 }) else { return }
        TarHeader.writeChecksum(into: &archive, at: offset)
        // The size, if it reads as octal; otherwise the next block.
        let sizeField = archive[offset + 124..<offset + 136].prefix { $0 != 0 && $0 != 0x20 }
        let size = sizeField.allSatisfy({ (48...55).contains($0) }) && sizeField.count <= 11 ? sizeField.reduce(0) { $0 * 8 + Int($1 - 48) } : 0
        offset += TarHeader.blockSize + (size + TarHeader.blockSize - 1) / TarHeader.blockSize * TarHeader.blockSize
    }
}

/// Runs async work to its end from libFuzzer's synchronous callback.
func blockingWait<Result: Sendable>(_ work: @escaping @Sendable () async -> Result) -> Result {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<Result>()
    Task {
        box.value = await work()
        done.signal()
    }
    done.wait()
    return box.value!
}

final class ResultBox<Value>: @unchecked Sendable {
    // Written once by the task before the semaphore is signalled, read once after the wait.
    var value: Value?
}
