/// Token counts of a batch's answered lines (the Batch object's `usage`), or of one line.
public struct BatchUsage: Sendable, Equatable, Codable {
    public var inputTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    public var cachedTokens: Int64 = 0
    public var reasoningTokens: Int64 = 0

    public init(inputTokens: Int64 = 0, outputTokens: Int64 = 0, cachedTokens: Int64 = 0, reasoningTokens: Int64 = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedTokens = cachedTokens
        self.reasoningTokens = reasoningTokens
    }

    /// `total_tokens`: input plus output, saturating.
    public var totalTokens: Int64 { inputTokens.saturatingAdd(outputTokens) }

    /// The sum, saturating (a batch's usage is the sum of its lines').
    public static func + (left: BatchUsage, right: BatchUsage) -> BatchUsage {
        BatchUsage(
            inputTokens: left.inputTokens.saturatingAdd(right.inputTokens),
            outputTokens: left.outputTokens.saturatingAdd(right.outputTokens),
            cachedTokens: left.cachedTokens.saturatingAdd(right.cachedTokens),
            reasoningTokens: left.reasoningTokens.saturatingAdd(right.reasoningTokens)
        )
    }
}
