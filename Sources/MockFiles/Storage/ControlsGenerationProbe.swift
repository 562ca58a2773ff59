import NIOConcurrencyHelpers

/// Lets the statement that reads a file row (or a page) in shared mode also read the controls'
/// generation, so a read needs no round trip of its own to learn whether this instance's clock and
/// fault rules are current (`TestControls.answerIfControlsCurrent`, docs/scale-out.md "One round
/// trip for a read"). Set for the length of one request's handler; a store whose statements can
/// carry the generation reports what they read here, other stores never look.
public final class ControlsGenerationProbe: Sendable {
    @TaskLocal public static var current: ControlsGenerationProbe?

    private struct Readings {
        var first: Int64?
        var allAgree = true
    }
    private let readings = NIOLockedValueBox(Readings())

    public init() {}

    /// Called by a statement that read the generation (a list after a cursor reads it twice).
    public func record(_ generation: Int64) {
        readings.withLockedValue { readings in
            if let first = readings.first {
                readings.allAgree = readings.allAgree && first == generation
            } else {
                readings.first = generation
            }
        }
    }

    /// Whether every statement of the request saw `generation`, and at least one did.
    public func saw(only generation: Int64) -> Bool {
        readings.withLockedValue { $0.first == generation && $0.allAgree }
    }
}
