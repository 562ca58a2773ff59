import Foundation
import NIOCore
import Testing

@testable import MockFiles

/// A batch's life is a function of its row and the clock (issue 33): each boundary of each path,
/// asked at the moment before and at the moment itself.
@Suite struct BatchLifecycleTests {
    static let created: Int64 = 1_761_928_944_250
    static let schedule = BatchSchedule(
        validatingMilliseconds: 1000,
        millisecondsPerLine: 100,
        finalizingMilliseconds: 1000,
        cancellingMilliseconds: 2000
    )

    static func batch(
        _ plan: BatchPlan = .run(lines: 10, model: "gpt-4o-mini-2024-07-18", failingLines: [2, 7]),
        schedule: BatchSchedule = schedule,
        cancelAt: Int64? = nil
    ) -> StoredBatch {
        StoredBatch(
            id: "batch_6904e6f0a8b481909b2c3d4e5f607182",
            tenant: "shared",
            endpoint: "/v1/chat/completions",
            inputFileID: "file-Ab3dEf5hJk7mNp9qRs2tUv",
            completionWindow: "24h",
            metadata: [MetadataPair(key: "testMetadataKey", value: "test metadata value")],
            createdAtMilliseconds: created,
            schedule: schedule,
            plan: plan,
            cancelRequestedAtMilliseconds: cancelAt
        )
    }

    static func state(_ batch: StoredBatch, after milliseconds: Int64) -> BatchLifecycle.State {
        BatchLifecycle.state(of: batch, at: created + milliseconds)
    }

    @Test func aBatchRunsThroughEveryStageAtItsMoment() {
        let batch = Self.batch()
        #expect(Self.state(batch, after: 0).status == .validating)
        #expect(Self.state(batch, after: 999) == BatchLifecycle.State(status: .validating))
        let started = Self.state(batch, after: 1000)
        #expect(started.status == .inProgress && started.total == 10 && started.linesRun == 0)
        #expect(started.inProgressAt == 1_761_928_945 && started.model == "gpt-4o-mini-2024-07-18")
        // Line k is answered 100 ms × (k + 1) after validation; lines 2 and 7 fail.
        #expect(Self.state(batch, after: 1099).linesRun == 0)
        let oneLine = Self.state(batch, after: 1100)
        #expect(oneLine.linesRun == 1 && oneLine.completed == 1 && oneLine.failed == 0)
        let threeLines = Self.state(batch, after: 1300)
        #expect(threeLines.completed == 2 && threeLines.failed == 1)
        #expect(Self.state(batch, after: 1999).status == .inProgress)
        let finalizing = Self.state(batch, after: 2000)
        #expect(finalizing.status == .finalizing && finalizing.finalizingAt == 1_761_928_946)
        #expect(finalizing.completed == 8 && finalizing.failed == 2)
        #expect(Self.state(batch, after: 2999).status == .finalizing)
        let completed = Self.state(batch, after: 3000)
        #expect(completed.status == .completed && completed.completedAt == 1_761_928_947)
        #expect(completed.expiredAt == nil && completed.cancellingAt == nil && completed.failedAt == nil)
        // Nothing moves once it is over.
        #expect(Self.state(batch, after: 86_400_000 * 30) == completed)
    }

    @Test func aBatchWhoseValidationFoundErrorsFailsWhenValidationEnds() {
        let errors = [BatchLineError(code: "invalid_json_line", message: "This line is not parseable as valid JSON.", line: 1)]
        let batch = Self.batch(.fail(errors))
        #expect(Self.state(batch, after: 999).status == .validating)
        let failed = Self.state(batch, after: 1000)
        #expect(failed.status == .failed && failed.failedAt == 1_761_928_945 && failed.errors == errors)
        #expect(failed.inProgressAt == nil && failed.total == 0 && failed.model == nil)
    }

    @Test func aCancelWhileValidatingRunsNoLine() {
        let batch = Self.batch(cancelAt: Self.created + 500)
        #expect(Self.state(batch, after: 499).status == .validating)
        let cancelling = Self.state(batch, after: 500)
        #expect(cancelling.status == .cancelling && cancelling.cancellingAt == 1_761_928_944)
        // Validation's end passes unnoticed: no model, no count, no in_progress_at (as recorded).
        let stillCancelling = Self.state(batch, after: 2499)
        #expect(stillCancelling == cancelling)
        let cancelled = Self.state(batch, after: 2500)
        #expect(cancelled.status == .cancelled && cancelled.cancelledAt == 1_761_928_946)
        #expect(cancelled.total == 0 && cancelled.linesRun == 0 && cancelled.model == nil && cancelled.inProgressAt == nil)
    }

    @Test func aCancelWhileInProgressKeepsTheLinesAnsweredBeforeIt() {
        let batch = Self.batch(cancelAt: Self.created + 1450)
        let cancelling = Self.state(batch, after: 3000)
        #expect(cancelling.status == .cancelling && cancelling.linesRun == 4)
        #expect(cancelling.completed == 3 && cancelling.failed == 1 && cancelling.total == 10)
        #expect(cancelling.finalizingAt == nil && cancelling.inProgressAt == 1_761_928_945)
        #expect(Self.state(batch, after: 3449).status == .cancelling)
        #expect(Self.state(batch, after: 3450).status == .cancelled)
    }

    @Test func aCancelAfterTheEndIsIgnored() {
        let batch = Self.batch(cancelAt: Self.created + 3000)
        #expect(Self.state(batch, after: 4000) == Self.state(Self.batch(), after: 4000))
    }

    @Test func linesThatWouldPassTheWindowStopThereAndTheBatchExpires() {
        // 1,000 lines of 100 s each cannot finish within 24 hours: 863 run before the window ends.
        let slow = BatchSchedule(
            validatingMilliseconds: 1000,
            millisecondsPerLine: 100_000,
            finalizingMilliseconds: 1000,
            cancellingMilliseconds: 1000
        )
        let batch = Self.batch(.run(lines: 1000, model: nil, failingLines: []), schedule: slow)
        let window = (batch.expiresAt * 1000) - Self.created
        #expect(Self.state(batch, after: window - 1).status == .inProgress)
        let finalizing = Self.state(batch, after: window)
        #expect(finalizing.status == .finalizing && finalizing.finalizingAt == batch.expiresAt)
        #expect(finalizing.linesRun == 863 && finalizing.completed == 863 && finalizing.failed == 0)
        let expired = Self.state(batch, after: window + 1000)
        #expect(expired.status == .expired && expired.expiredAt == batch.expiresAt + 1 && expired.linesRun == 863)
        #expect(expired.completedAt == nil)
    }

    /// The result files are made for the moment a batch settles: the first moment its state is
    /// completed, expired or cancelled after a start, with the lines run by then; none for a batch
    /// that failed or was cancelled while validating.
    @Test func aBatchSettlesAtTheFirstMomentItsStateIsFinal() {
        let slow = BatchSchedule(
            validatingMilliseconds: 1000,
            millisecondsPerLine: 100_000,
            finalizingMilliseconds: 1000,
            cancellingMilliseconds: 1000
        )
        let expiring = Self.batch(.run(lines: 1000, model: nil, failingLines: []), schedule: slow)
        let window = expiring.expiresAt * 1000
        let cases: [(StoredBatch, BatchLifecycle.Settlement?)] = [
            (Self.batch(), BatchLifecycle.Settlement(at: Self.created + 3000, status: .completed, linesRun: 10, total: 10)),
            (
                Self.batch(cancelAt: Self.created + 1450),
                BatchLifecycle.Settlement(at: Self.created + 3450, status: .cancelled, linesRun: 4, total: 10)
            ),
            (expiring, BatchLifecycle.Settlement(at: window + 1000, status: .expired, linesRun: 863, total: 1000)),
            (Self.batch(.fail([BatchLineError(code: "empty_file", message: "No requests.")])), nil),
            (Self.batch(cancelAt: Self.created + 500), nil),
        ]
        for (batch, expected) in cases {
            let settlement = BatchLifecycle.settlement(of: batch)
            #expect(settlement == expected)
            guard let settlement else { continue }
            #expect(BatchLifecycle.state(of: batch, at: settlement.at - 1).status != settlement.status)
            #expect(BatchLifecycle.state(of: batch, at: settlement.at).status == settlement.status)
            #expect(batch.resultsDueAtMilliseconds == settlement.at)
        }
    }

    @Test func aZeroPaceAnswersEveryLineAsValidationEnds() {
        let instant = BatchSchedule(validatingMilliseconds: 0, millisecondsPerLine: 0, finalizingMilliseconds: 0, cancellingMilliseconds: 0)
        let state = Self.state(Self.batch(schedule: instant), after: 0)
        #expect(state.status == .completed && state.linesRun == 10 && state.completed == 8 && state.failed == 2)
    }

    @Test func extremeRowsNeitherTrapNorRunBackwards() {
        let huge = BatchSchedule(validatingMilliseconds: .max, millisecondsPerLine: .max, finalizingMilliseconds: .max, cancellingMilliseconds: .max)
        let batch = Self.batch(.run(lines: .max, model: nil, failingLines: []), schedule: huge)
        #expect(BatchLifecycle.state(of: batch, at: .min).status == .validating)
        #expect(BatchLifecycle.state(of: batch, at: 0).status == .validating)
        let end = BatchLifecycle.state(of: batch, at: .max)
        #expect(end.linesRun >= 0 && end.linesRun <= end.total && end.completed + end.failed == end.linesRun)
    }

    // MARK: The Batch object's bytes

    /// The service's answer to a create, as recorded (CreateGetAndCancelBatchProtocol, 2025-10-31:
    /// 886 bytes, indent 2 without a final newline), here with our ids.
    @Test func aNewBatchIsWrittenAsTheServiceWritesIt() {
        let batch = Self.batch()
        let body = BatchObject(batch, state: Self.state(batch, after: 0)).jsonBody(layout: .indentedWithoutNewline)
        #expect(String(buffer: body) == Self.validating)
        #expect(body.readableBytes == 886)
    }

    /// The cancel answer is compact (714 bytes recorded).
    @Test func theCancelAnswerIsCompact() {
        let batch = Self.batch(cancelAt: Self.created + 750)
        let body = BatchObject(batch, state: Self.state(batch, after: 750)).jsonBody(layout: .compact)
        #expect(String(buffer: body) == Self.cancelling)
        #expect(body.readableBytes == 714)
    }

    /// A failed batch's errors and a batch without metadata (null: our choice, no capture).
    @Test func aFailedBatchListsItsErrors() {
        var batch = Self.batch(.fail([BatchLineError(code: "invalid_json_line", message: "This line is not parseable as valid JSON.", line: 1)]))
        batch.metadata = nil
        let body = BatchObject(batch, state: Self.state(batch, after: 1000)).jsonBody(layout: .indentedWithoutNewline)
        #expect(String(buffer: body) == Self.failed)
    }

    @Test func metadataKeysAreEscapedAndKeepTheirOrder() {
        var batch = Self.batch()
        batch.metadata = [MetadataPair(key: "z\"quote", value: "1"), MetadataPair(key: "a", value: "é")]
        let body = BatchObject(batch, state: Self.state(batch, after: 0)).jsonBody(layout: .compact)
        #expect(String(buffer: body).hasSuffix(#""metadata":{"z\"quote":"1","a":"é"}}"#))
    }

    // Made by Python's json.dumps from the same values (indent=2, or separators=(",", ":")).
    static let validating = #"""
        {
          "id": "batch_6904e6f0a8b481909b2c3d4e5f607182",
          "object": "batch",
          "endpoint": "/v1/chat/completions",
          "model": null,
          "errors": null,
          "input_file_id": "file-Ab3dEf5hJk7mNp9qRs2tUv",
          "completion_window": "24h",
          "status": "validating",
          "output_file_id": null,
          "error_file_id": null,
          "created_at": 1761928944,
          "in_progress_at": null,
          "expires_at": 1762015344,
          "finalizing_at": null,
          "completed_at": null,
          "failed_at": null,
          "expired_at": null,
          "cancelling_at": null,
          "cancelled_at": null,
          "request_counts": {
            "total": 0,
            "completed": 0,
            "failed": 0
          },
          "usage": {
            "input_tokens": 0,
            "output_tokens": 0,
            "total_tokens": 0,
            "input_tokens_details": {
              "cached_tokens": 0
            },
            "output_tokens_details": {
              "reasoning_tokens": 0
            }
          },
          "metadata": {
            "testMetadataKey": "test metadata value"
          }
        }
        """#

    static let cancelling = #"""
        {"id":"batch_6904e6f0a8b481909b2c3d4e5f607182","object":"batch","endpoint":"/v1/chat/completions","model":null,"errors":null,"input_file_id":"file-Ab3dEf5hJk7mNp9qRs2tUv","completion_window":"24h","status":"cancelling","output_file_id":null,"error_file_id":null,"created_at":1761928944,"in_progress_at":null,"expires_at":1762015344,"finalizing_at":null,"completed_at":null,"failed_at":null,"expired_at":null,"cancelling_at":1761928945,"cancelled_at":null,"request_counts":{"total":0,"completed":0,"failed":0},"usage":{"input_tokens":0,"output_tokens":0,"total_tokens":0,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":0}},"metadata":{"testMetadataKey":"test metadata value"}}
        """#

    static let failed = #"""
        {
          "id": "batch_6904e6f0a8b481909b2c3d4e5f607182",
          "object": "batch",
          "endpoint": "/v1/chat/completions",
          "model": null,
          "errors": {
            "object": "list",
            "data": [
              {
                "code": "invalid_json_line",
                "message": "This line is not parseable as valid JSON.",
                "param": null,
                "line": 1
              }
            ]
          },
          "input_file_id": "file-Ab3dEf5hJk7mNp9qRs2tUv",
          "completion_window": "24h",
          "status": "failed",
          "output_file_id": null,
          "error_file_id": null,
          "created_at": 1761928944,
          "in_progress_at": null,
          "expires_at": 1762015344,
          "finalizing_at": null,
          "completed_at": null,
          "failed_at": 1761928945,
          "expired_at": null,
          "cancelling_at": null,
          "cancelled_at": null,
          "request_counts": {
            "total": 0,
            "completed": 0,
            "failed": 0
          },
          "usage": {
            "input_tokens": 0,
            "output_tokens": 0,
            "total_tokens": 0,
            "input_tokens_details": {
              "cached_tokens": 0
            },
            "output_tokens_details": {
              "reasoning_tokens": 0
            }
          },
          "metadata": null
        }
        """#
}
