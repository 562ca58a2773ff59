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
    switch selector % 6 {
    case 0: fuzzMultipart(input)
    case 1: fuzzRange(input)
    case 2: fuzzContentDisposition(input)
    case 3: fuzzJSONUploadFields(input)
    case 4: fuzzListAndExpiryParameters(input)
    default: fuzzSnapshot(input)
    }
    return 0
}

/// The streaming reader, fed in chunks of 1–64 bytes chosen by the input itself, against two
/// references: itself fed the whole body at once (the outcome must not depend on the chunking),
/// and MultipartKit's parser (`referenceParts`). Both directions count: a body one side accepts
/// and the other refuses fails as surely as different parts. It must also never trap.
func fuzzMultipart(_ input: [UInt8]) {
    guard input.count >= 2 else { return }
    let boundaryLength = Int(input[0] % 70) + 1
    guard input.count > boundaryLength else { return }
    let boundary = String(decoding: input[1...boundaryLength], as: UTF8.self)
    guard MultipartFormReader.isUsableBoundary(boundary) else { return }
    let body = Array(input[(boundaryLength + 1)...])
    // Below the preamble (64 KiB) and header section (16 KiB) limits, which the references do
    // not model; scripts/fuzz passes -max_len=8192, and unit tests cover the limits.
    guard body.count <= 16 * 1024 else { return }
    var chunkSeed = UInt64(input.count) &* 0x9E37_79B9_7F4A_7C15
    let parts = readerParts(body, boundary: boundary) {
        chunkSeed = chunkSeed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(chunkSeed >> 58) + 1
    }
    let whole = readerParts(body, boundary: boundary) { Int.max }
    precondition(parts == whole, "the reader's outcome depends on the chunking: \(describe(parts)) vs \(describe(whole)) whole")
    let reference = referenceParts(body, boundary: boundary)
    let agree =
        switch (parts, reference) {
        case (nil, nil): true
        case (let parts?, let reference?): parts.elementsEqual(reference, by: FuzzPart.matches)
        default: false
        }
    precondition(agree, "the reader found \(describe(parts)), the reference \(describe(reference))")
}

func describe(_ parts: [FuzzPart]?) -> String {
    parts.map { "\($0.count) parts \($0.map { "\($0.headers.fields) \($0.body.count) bytes" })" } ?? "a refusal"
}

struct FuzzPart: Equatable {
    var headers: PartHeaders
    var body: [UInt8]

    /// Equal, but for two things MultipartKit does to header values by design: it keeps trailing
    /// spaces and tabs (the reader drops them, RFC 9110 §5.5), and it gives "" for a value that is
    /// not UTF-8 (the reader decodes it with U+FFFD, so a filename keeps what can be read).
    static func matches(_ reader: FuzzPart, _ reference: FuzzPart) -> Bool {
        reader.body == reference.body
            && reader.headers.fields.elementsEqual(reference.headers.fields) { ours, theirs in
                var expected = theirs.value.unicodeScalars
                while let last = expected.last, last == " " || last == "\t" { expected.removeLast() }
                return ours.name == theirs.name
                    && (ours.value == String(expected) || (theirs.value.isEmpty && ours.value.unicodeScalars.contains("\u{FFFD}")))
            }
    }
}

/// The parts the reader finds feeding `body` in chunks of the sizes `nextSize` gives, or nil
/// when it refuses the body. Events must come as `partHeaders, body*, partEnd`.
func readerParts(_ body: [UInt8], boundary: String, chunkSizes nextSize: () -> Int) -> [FuzzPart]? {
    var reader = MultipartFormReader(boundary: boundary)
    var parts: [FuzzPart] = []
    var inPart = false
    var rest = body[...]
    do {
        while !rest.isEmpty {
            let length = min(rest.count, nextSize())
            for event in try reader.feed(ByteBuffer(bytes: rest.prefix(length))) {
                switch event {
                case .partHeaders(let headers):
                    precondition(!inPart, "part headers inside a part")
                    parts.append(FuzzPart(headers: headers, body: []))
                    inPart = true
                case .body(let buffer):
                    precondition(inPart && buffer.readableBytes > 0, "body event outside a part, or empty")
                    parts[parts.count - 1].body += Array(buffer.readableBytesView)
                case .partEnd:
                    precondition(inPart, "part end outside a part")
                    inPart = false
                }
            }
            rest = rest.dropFirst(length)
        }
        try reader.finish()
    } catch {
        return nil
    }
    return parts
}

/// What a reader of RFC 2046 should make of `body`, MultipartKit's parser doing the reading, or
/// nil when the body must be refused. The two differ by design in a few shapes; each is
/// normalised here, for the reason given, and all else reaches MultipartKit as it is, so the
/// reference can still disagree with the reader:
/// - Preamble: MultipartKit takes `--boundary` anywhere, also mid-line or as `--boundaryX`, and
///   knows no transport padding. It gets the body from the opening line RFC 2046 defines
///   (`openingLine`, written independently of the reader), without padding.
/// - A form without parts (`--boundary--` as the first boundary line, as browsers send an empty
///   FormData): MultipartKit refuses it, RFC 2046 wants a part; the reader reads no parts.
/// - The rest in `multipartKitParts`.
func referenceParts(_ body: [UInt8], boundary: String) -> [FuzzPart]? {
    let dashBoundary = Array("--\(boundary)".utf8)
    guard let opening = openingLine(body, dashBoundary: dashBoundary) else { return nil }
    if opening.closes { return [] }
    return multipartKitParts(dashBoundary + body[opening.end...], boundary: boundary)
}

/// The first line that is `--boundary` at the start of `body` or after a CRLF, followed by `--`,
/// or by spaces and tabs and a CRLF, which starts at `end`.
func openingLine(_ body: [UInt8], dashBoundary: [UInt8]) -> (end: Int, closes: Bool)? {
    let crlf: [UInt8] = [13, 10]
    var lineStart = 0
    while lineStart < body.count {
        if body[lineStart...].starts(with: dashBoundary) {
            var index = lineStart + dashBoundary.count
            if body[index...].starts(with: Array("--".utf8)) { return (index, true) }
            while index < body.count, body[index] == 0x20 || body[index] == 0x09 { index += 1 }
            if body[index...].starts(with: crlf) { return (index, false) }
        }
        guard let cr = (lineStart..<max(lineStart, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else { return nil }
        lineStart = cr + 2
    }
    return nil
}

/// MultipartKit's parser reading `bytes`, which start with the opening `--boundary`, one byte at a
/// time, so its callbacks can be tied to the byte that caused them, and its header state followed
/// as its `parseHeaders` reads. Transport padding after a delimiter is not given to it, as it
/// refuses padding. Three shapes are decided here rather than by MultipartKit:
/// - A close delimiter with one hyphen (`--boundary-x`): MultipartKit takes the first `-` for the
///   close; RFC 2046's is `--boundary--`, and the reader refuses anything else.
/// - A bare LF in a header value: MultipartKit keeps it in the value; the reader refuses it, as
///   header lines end at CRLF (and an LF in a filename is no value byte anyone meant).
/// - A byte of 0x80 or more in a header name: MultipartKit 4.7.1 traps (its table has 128 entries);
///   such a byte is no token character, a syntax error by its own grammar, so a refusal.
func multipartKitParts(_ bytes: [UInt8], boundary: String) -> [FuzzPart]? {
    enum HeaderState {
        case opening, preHeaders
        case name(isEmpty: Bool)
        case value, afterValueCR, afterSectionCR, body
    }
    let parser = MultipartParser(boundary: boundary)
    var parts: [FuzzPart] = []
    var headers = PartHeaders()
    var inBody = false
    var partCompleted = false
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
        partCompleted = true
    }
    var state = HeaderState.opening
    let openingLength = "--\(boundary)".utf8.count
    let delimiter = Array("\r\n--\(boundary)".utf8)
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        defer { index += 1 }
        if case .body = state, byte == 13, bytes[index...].starts(with: delimiter) {
            // A delimiter, padded: MultipartKit gets it without the padding.
            var end = index + delimiter.count
            while end < bytes.count, bytes[end] == 0x20 || bytes[end] == 0x09 { end += 1 }
            if end > index + delimiter.count, bytes[end...].starts(with: [13, 10]) {
                do { try parser.execute(delimiter) } catch { return nil }
                index = end - 1
                continue
            }
        }
        switch state {
        case .opening: if index == openingLength { state = .preHeaders }
        default: break
        }
        switch state {
        case .opening, .body: break
        case .preHeaders: if byte == 10 { state = .name(isEmpty: true) }
        case .name(let isEmpty):
            if byte >= 0x80 { return nil }
            state = byte == 58 && !isEmpty ? .value : byte == 13 && isEmpty ? .afterSectionCR : .name(isEmpty: false)
        case .value:
            if byte == 10 { return nil }
            if byte == 13 { state = .afterValueCR }
        case .afterValueCR: state = .name(isEmpty: true)
        case .afterSectionCR: state = .body
        }
        do {
            try parser.execute([byte])
        } catch {
            return nil
        }
        if partCompleted {
            partCompleted = false
            guard byte == 13 else {
                // `-`: MultipartKit ignores all that follows; RFC 2046 wants a second `-`.
                return index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-") ? parts : nil
            }
            state = .preHeaders
        }
    }
    return nil
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
