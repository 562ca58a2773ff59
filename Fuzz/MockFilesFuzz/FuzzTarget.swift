import Foundation
import MultipartKit
import NIOCore

@testable import MockFiles

/// libFuzzer entry: the first byte picks a parser, the rest is its input. Besides "no crash",
/// each case checks an invariant that a wrong answer would break.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let input = Array(bytes.dropFirst())
    switch selector % 5 {
    case 0: fuzzMultipart(input)
    case 1: fuzzRange(input)
    case 2: fuzzContentDisposition(input)
    case 3: fuzzJSONUploadFields(input)
    default: fuzzListAndExpiryParameters(input)
    }
    return 0
}

/// The streaming reader, fed in chunks of 1–64 bytes chosen by the input itself: it must never
/// trap (MultipartKit traps on some header bytes), and when it accepts a body it must find the
/// parts MultipartKit's parser finds reading the same bytes at once (the reader reads part
/// bodies itself, so this checks its delimiter search against the library's).
func fuzzMultipart(_ input: [UInt8]) {
    guard input.count >= 2 else { return }
    let boundaryLength = Int(input[0] % 70) + 1
    guard input.count > boundaryLength else { return }
    let boundary = String(decoding: input[1...boundaryLength], as: UTF8.self)
    guard MultipartFormReader.isUsableBoundary(boundary) else { return }
    var body = input[(boundaryLength + 1)...]
    let whole = Array(body)
    let reader = MultipartFormReader(boundary: boundary)
    var parts: [FuzzPart] = []
    var chunkSeed = UInt64(input.count) &* 0x9E37_79B9_7F4A_7C15
    do {
        while !body.isEmpty {
            chunkSeed = chunkSeed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = min(body.count, Int(chunkSeed >> 58) + 1)
            for event in try reader.feed(ByteBuffer(bytes: body.prefix(length))) {
                switch event {
                case .partHeaders(let headers): parts.append(FuzzPart(headers: headers, body: []))
                case .body(let buffer): parts[parts.count - 1].body += Array(buffer.readableBytesView)
                case .partEnd: break
                }
            }
            body = body.dropFirst(length)
        }
        try reader.finish()
    } catch {
        return
    }
    // Accepted, so every header byte passed the guard: MultipartKit can read it without trapping.
    let reference = referenceParts(whole, boundary: boundary)
    precondition(reference == parts, "the reader found \(parts.count) parts, MultipartKit \(reference?.count ?? -1), or their bytes differ")
}

struct FuzzPart: Equatable {
    var headers: PartHeaders
    var body: [UInt8]
}

/// The parts MultipartKit's parser reports for the whole body, or nil when it refuses it.
func referenceParts(_ bytes: [UInt8], boundary: String) -> [FuzzPart]? {
    let parser = MultipartParser(boundary: boundary)
    var parts: [FuzzPart] = []
    var headers = PartHeaders()
    var inBody = false
    func beginBody() {
        guard !inBody else { return }
        inBody = true
        parts.append(FuzzPart(headers: headers, body: []))
        headers = PartHeaders()
    }
    parser.onHeader = { name, value in headers.append(name: name, value: value) }
    parser.onBody = { buffer in
        beginBody()
        parts[parts.count - 1].body += Array(buffer.readableBytesView)
    }
    parser.onPartComplete = {
        beginBody()
        inBody = false
    }
    do {
        try parser.execute(bytes)
    } catch {
        return nil
    }
    return parts
}

/// Range headers: a satisfiable range always lies inside the file.
func fuzzRange(_ input: [UInt8]) {
    guard input.count >= 4 else { return }
    let size = Int64(input[0]) << 16 | Int64(input[1]) << 8 | Int64(input[2])
    if case .satisfiable(let range) = ByteRange(header: String(decoding: input[3...], as: UTF8.self), size: size) {
        precondition(range.lowerBound >= 0 && range.upperBound <= size && !range.isEmpty, "range \(range) outside 0..<\(size)")
    }
}

/// Part headers parse without trapping, and any filename we send back in a download header is
/// plain printable ASCII (no CR/LF to split headers, no quote to end the value early).
func fuzzContentDisposition(_ input: [UInt8]) {
    let text = String(decoding: input, as: UTF8.self)
    let parsed = ParameterizedHeader(parsing: text)
    let header = ContentDisposition.attachment(filename: parsed.parameters["filename"] ?? text)
    precondition(header.utf8.allSatisfy { (0x20..<0x7F).contains($0) }, "download header not printable ASCII: \(header)")
}

/// JSON bodies of POST /v1/uploads: the field-by-field reader throws APIErrors, never traps.
func fuzzJSONUploadFields(_ input: [UInt8]) {
    guard let fields = (try? JSONSerialization.jsonObject(with: Data(input), options: [.fragmentsAllowed])) as? [String: Any] else { return }
    let body = JSONBody(fields: fields)
    _ = try? body.requireOnly(["filename", "purpose", "bytes", "mime_type", "expires_after"])
    _ = try? body.requiredString("filename")
    _ = try? body.requiredInteger("bytes")
    _ = try? body.requiredStringArray("part_ids")
    if let expiry = try? body.optionalObject("expires_after") {
        _ = try? ExpiryPolicy.lifetime(anchor: try? expiry.optionalString("anchor"), seconds: try? expiry.optionalString("seconds"), purpose: .batch)
    }
}

/// Query strings of GET /v1/files and multipart expiry fields: a 400 or a valid value.
func fuzzListAndExpiryParameters(_ input: [UInt8]) {
    let text = String(decoding: input, as: UTF8.self)
    var query: [String: String] = [:]
    for pair in text.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        query[parts[0]] = parts.count > 1 ? parts[1] : ""
    }
    if let parameters = try? FileListParameters(query: query) {
        precondition((1...FileListParameters.maximumLimit).contains(parameters.limit), "limit \(parameters.limit) accepted")
    }
    if let seconds = try? ExpiryPolicy.lifetime(anchor: query["anchor"], seconds: query["seconds"], purpose: .userData) {
        precondition((ExpiryPolicy.minimumSeconds...ExpiryPolicy.maximumSeconds).contains(seconds), "lifetime \(seconds) accepted")
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main`; it hands over to libFuzzer's driver.
@_cdecl("MockFilesFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) }
}
