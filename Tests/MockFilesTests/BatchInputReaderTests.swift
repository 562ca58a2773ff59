import Foundation
import NIOCore
import Testing

@testable import MockFiles

@Suite("Batch input reader")
struct BatchInputReaderTests {
    /// Reads `text` in chunks of `chunkSize` bytes (all at once when nil).
    static func read(
        _ text: String,
        endpoint: String = "/v1/chat/completions",
        chunkSize: Int? = nil,
        limits: BatchInputReader.Limits = .service
    ) -> (summary: BatchInputReader.Summary, lines: [BatchInputLine]) {
        var reader = BatchInputReader(endpoint: endpoint, limits: limits)
        var lines: [BatchInputLine] = []
        var buffer = ByteBuffer(string: text)
        while buffer.readableBytes > 0 {
            let chunk = buffer.readSlice(length: min(chunkSize ?? buffer.readableBytes, buffer.readableBytes))!
            reader.feed(chunk) { lines.append($0) }
        }
        reader.finish { lines.append($0) }
        return (reader.summary, lines)
    }

    static func chat(_ id: String, model: String = "gpt-4o-mini", extra: String = "") -> String {
        #"{"custom_id": "\#(id)", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "\#(model)", "messages": []\#(extra)}}"#
    }

    static func error(_ code: String, _ message: String, _ param: String? = nil, line: Int64?) -> BatchLineError {
        BatchLineError(code: code, message: message, param: param, line: line)
    }

    @Test func validLinesArriveInOrderWithTheirModel() {
        let (summary, lines) = Self.read([Self.chat("a"), Self.chat("b"), Self.chat("c")].joined(separator: "\n") + "\n")
        #expect(summary == BatchInputReader.Summary(lines: 3, model: "gpt-4o-mini"))
        #expect(lines.map(\.customID) == ["a", "b", "c"])
        #expect(lines.map(\.index) == [0, 1, 2])
        #expect(lines.map(\.line) == [1, 2, 3])
        #expect(lines[1].model == "gpt-4o-mini")
        #expect(lines[1].body["messages"] is [Any])
    }

    @Test func everyChunkSizeGivesTheSameResult() {
        let text = [Self.chat("a"), "not json", "", Self.chat("b", model: "gpt-4o"), Self.chat("a"), "\r", Self.chat("c")].joined(separator: "\r\n")
        let whole = Self.read(text)
        #expect(whole.summary.errors.map(\.line) == [2, 4, 5])
        #expect(whole.lines.map(\.customID) == ["a", "c"])
        for size in [1, 2, 3, 7, 64, 1000] {
            let chunked = Self.read(text, chunkSize: size)
            #expect(chunked.summary == whole.summary, "chunks of \(size)")
            #expect(chunked.lines.map(\.customID) == ["a", "c"], "chunks of \(size)")
            #expect(chunked.lines.map(\.line) == [1, 7], "chunks of \(size)")
        }
    }

    @Test func aLineThatIsNotAJSONObjectIsInvalidJSON() {
        let (summary, lines) = Self.read(["{\"custom_id\": ", "[1, 2]", "\"text\"", "null"].joined(separator: "\n"))
        let message = "This line is not parseable as valid JSON."
        #expect(summary.errors == (1...4).map { Self.error("invalid_json_line", message, line: $0) })
        #expect(summary.lines == 4)
        #expect(lines.isEmpty)
    }

    @Test func aByteOrderMarkMakesTheFirstLineInvalidJSON() {
        let (summary, _) = Self.read("\u{FEFF}" + Self.chat("a") + "\n" + Self.chat("b"))
        #expect(summary.errors == [Self.error("invalid_json_line", "This line is not parseable as valid JSON.", line: 1)])
    }

    @Test func aMissingOrNullFieldIsNamed() {
        let lines = [
            #"{"method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}}"#,
            #"{"custom_id": null, "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}}"#,
            #"{"custom_id": "b", "url": "/v1/chat/completions", "body": {"model": "m"}}"#,
            #"{"custom_id": "c", "method": "POST", "body": {"model": "m"}}"#,
            #"{"custom_id": "d", "method": "POST", "url": "/v1/chat/completions"}"#,
            #"{"custom_id": "e", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": []}}"#,
        ]
        let (summary, _) = Self.read(lines.joined(separator: "\n"))
        let params = ["custom_id", "custom_id", "method", "url", "body", "body.model"]
        #expect(
            summary.errors
                == params.enumerated().map {
                    Self.error("missing_required_parameter", "Missing required parameter: '\($1)'.", $1, line: Int64($0 + 1))
                }
        )
    }

    @Test func aFieldOfTheWrongTypeIsNamedWithWhatItIs() {
        let lines = [
            #"{"custom_id": 7, "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}}"#,
            #"{"custom_id": "b", "method": true, "url": "/v1/chat/completions", "body": {"model": "m"}}"#,
            #"{"custom_id": "c", "method": "POST", "url": "/v1/chat/completions", "body": "hello"}"#,
            #"{"custom_id": "d", "method": "POST", "url": "/v1/chat/completions", "body": {"model": 4.5}}"#,
            #"{"custom_id": "e", "method": "POST", "url": ["/v1/chat/completions"], "body": {}}"#,
        ]
        let (summary, _) = Self.read(lines.joined(separator: "\n"))
        #expect(
            summary.errors == [
                Self.error("invalid_type", "Invalid type for 'custom_id': expected a string, but got an integer instead.", "custom_id", line: 1),
                Self.error("invalid_type", "Invalid type for 'method': expected a string, but got a boolean instead.", "method", line: 2),
                Self.error("invalid_type", "Invalid type for 'body': expected an object, but got a string instead.", "body", line: 3),
                Self.error("invalid_type", "Invalid type for 'body.model': expected a string, but got a decimal instead.", "body.model", line: 4),
                Self.error("invalid_type", "Invalid type for 'url': expected a string, but got an array instead.", "url", line: 5),
            ]
        )
    }

    @Test func onlyPOSTToTheBatchEndpointIsAccepted() {
        let lines = [
            #"{"custom_id": "a", "method": "GET", "url": "/v1/chat/completions", "body": {"model": "m"}}"#,
            #"{"custom_id": "b", "method": "POST", "url": "/v1/embeddings", "body": {"model": "m"}}"#,
        ]
        let (summary, _) = Self.read(lines.joined(separator: "\n"))
        #expect(
            summary.errors == [
                Self.error("invalid_value", "Invalid value: 'GET'. Supported values are: 'POST'.", "method", line: 1),
                Self.error("url_mismatch", "The url '/v1/embeddings' does not match the batch's endpoint '/v1/chat/completions'.", "url", line: 2),
            ]
        )
    }

    @Test func moderationsMayLeaveTheModelOut() {
        let line = #"{"custom_id": "a", "method": "POST", "url": "/v1/moderations", "body": {"input": "hi"}}"#
        let (summary, lines) = Self.read(line, endpoint: "/v1/moderations")
        #expect(summary == BatchInputReader.Summary(lines: 1, model: nil))
        #expect(lines.first?.model == nil)
    }

    @Test func aSecondModelIsAMismatch() {
        let (summary, lines) = Self.read([Self.chat("a"), Self.chat("b", model: "gpt-4o"), Self.chat("c")].joined(separator: "\n"))
        let message = "The model 'gpt-4o' does not match the model 'gpt-4o-mini' of the batch's first request: a batch uses one model."
        #expect(summary.errors == [Self.error("model_mismatch", message, "body.model", line: 2)])
        #expect(summary.model == "gpt-4o-mini")
        #expect(lines.map(\.customID) == ["a", "c"])
    }

    @Test func streamingTrueIsRefusedAndFalseIsNot() {
        let lines = [
            Self.chat("a", extra: #", "stream": true"#), Self.chat("b", extra: #", "stream": false"#), Self.chat("c", extra: #", "stream": 1"#),
        ]
        let (summary, read) = Self.read(lines.joined(separator: "\n"))
        let message = "Streaming is not supported by the Batch API: remove 'stream' or set it to false."
        #expect(summary.errors == [Self.error("streaming_unsupported", message, "body.stream", line: 1)])
        #expect(read.map(\.customID) == ["b", "c"])
    }

    @Test func aRepeatedCustomIDNamesTheLineThatFirstUsedIt() {
        let bad = #"{"custom_id": "x", "method": "GET"}"#
        let (summary, _) = Self.read([Self.chat("a"), bad, Self.chat("a"), Self.chat("x")].joined(separator: "\n"))
        let message = { (id: String, line: Int) in
            "The custom_id '\(id)' is already used on line \(line): each request in a batch needs its own custom_id."
        }
        #expect(summary.errors.map(\.code) == ["missing_required_parameter", "duplicate_custom_id", "duplicate_custom_id"])
        #expect(summary.errors[1] == Self.error("duplicate_custom_id", message("a", 1), "custom_id", line: 3))
        #expect(summary.errors[2] == Self.error("duplicate_custom_id", message("x", 2), "custom_id", line: 4))
    }

    @Test func customIDsAreTheSameOnlyByteForByte() {
        // é as one code point and as e + U+0301: equal as Swift Strings, two ids to the service.
        let (summary, read) = Self.read([Self.chat("caf\u{e9}"), Self.chat("cafe\u{301}")].joined(separator: "\n"))
        #expect(summary.errors.isEmpty)
        #expect(read.count == 2)
    }

    @Test func moreLinesThanTheLimitFailTheFileAndAreOnlyCounted() {
        var limits = BatchInputReader.Limits.service
        limits.maxLines = 3
        let (summary, lines) = Self.read((1...5).map { Self.chat("r\($0)") }.joined(separator: "\n") + "\nnot json\n", limits: limits)
        let message = "The batch input file contains 6 requests, more than the limit of 3."
        #expect(summary.errors == [Self.error("too_many_tasks", message, line: nil)])
        #expect(summary.lines == 6)
        #expect(lines.count == 3)
    }

    @Test func aFileWithoutRequestsIsEmpty() {
        for text in ["", "\n", " \n\t\r\n\n"] {
            let (summary, _) = Self.read(text)
            #expect(summary.errors == [Self.error("empty_file", "The batch input file contains no requests.", line: nil)])
            #expect(summary.lines == 0)
        }
    }

    @Test func blankLinesKeepTheirNumbersAndALastLineNeedsNoNewline() {
        let (summary, lines) = Self.read("\n" + Self.chat("a") + "\r\n  \r\n\n" + Self.chat("b") + "\r\nnope")
        #expect(lines.map(\.line) == [2, 5])
        #expect(lines.map(\.index) == [0, 1])
        #expect(summary.lines == 3)
        #expect(summary.errors.map(\.line) == [6])
    }

    @Test func embeddingInputsAreCountedAcrossTheFile() {
        var limits = BatchInputReader.Limits.service
        limits.maxEmbeddingInputs = 5
        let line = { (id: String, input: String) in
            #"{"custom_id": "\#(id)", "method": "POST", "url": "/v1/embeddings", "body": {"model": "text-embedding-3-small", "input": \#(input)}}"#
        }
        let text = [line("a", #""one""#), line("b", #"["two", "three"]"#), line("c", "[1, 2, 3]"), line("d", "[[1], [2]]"), line("e", #""six""#)]
        let (summary, _) = Self.read(text.joined(separator: "\n"), endpoint: "/v1/embeddings", limits: limits)
        #expect(summary.embeddingInputs == 7)
        let message = "An embeddings batch can have at most 5 inputs across its requests; this line brings the total to 6."
        #expect(summary.errors == [Self.error("invalid_request", message, "body.input", line: 4)])
    }

    @Test func aLineLongerThanTheLimitIsReportedAndSkipped() {
        var limits = BatchInputReader.Limits.service
        limits.maxLineBytes = 150
        let long = Self.chat("long", extra: ", \"pad\": \"" + String(repeating: "x", count: 200) + "\"")
        let text = [Self.chat("a"), long, Self.chat("b"), long].joined(separator: "\n")
        let message = "This line is longer than 150 bytes, the most mockfiles reads in one batch line."
        for size in [nil, 1, 40] {
            let (summary, lines) = Self.read(text, chunkSize: size, limits: limits)
            #expect(summary.errors == [Self.error("invalid_request", message, line: 2), Self.error("invalid_request", message, line: 4)])
            #expect(lines.map(\.customID) == ["a", "b"])
            #expect(summary.lines == 4)
        }
    }

    @Test func errorsStopAtTheLimitWithWholeFileErrorsFirst() {
        var limits = BatchInputReader.Limits.service
        limits.maxErrors = 3
        limits.maxLines = 10
        let (summary, _) = Self.read(Array(repeating: "bad", count: 12).joined(separator: "\n"), limits: limits)
        #expect(summary.errors.map(\.code) == ["too_many_tasks", "invalid_json_line", "invalid_json_line"])
        #expect(summary.errors.map(\.line) == [nil, 1, 2])
    }

    @Test func anErrorThrownForALineStopsTheRead() {
        struct Stop: Error {}
        var reader = BatchInputReader(endpoint: "/v1/chat/completions")
        var seen = 0
        #expect(throws: Stop.self) {
            try reader.feed(ByteBuffer(string: [Self.chat("a"), Self.chat("b")].joined(separator: "\n") + "\n")) { _ in
                seen += 1
                throw Stop()
            }
        }
        #expect(seen == 1)
    }

    @Test func aFullSizeFileReadIn64KiBChunks() {
        let count = 50_000
        var file = ByteBuffer()
        for index in 0..<count {
            file.writeString(Self.chat("request-\(index)", extra: #", "max_tokens": 10"#))
            file.writeString("\n")
        }
        for _ in 0..<2 {
            var reader = BatchInputReader(endpoint: "/v1/chat/completions")
            var copy = file
            var seen = 0
            var last = ""
            while copy.readableBytes > 0 {
                let chunk = copy.readSlice(length: min(64 << 10, copy.readableBytes))!
                reader.feed(chunk) { line in
                    seen += 1
                    last = line.customID
                }
            }
            reader.finish { _ in seen += 1 }
            #expect(reader.summary == BatchInputReader.Summary(lines: Int64(count), model: "gpt-4o-mini"))
            #expect(seen == count)
            #expect(last == "request-49999")
        }
    }
}
