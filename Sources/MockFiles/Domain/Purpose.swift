/// What a file is for. Clients may create only `creatable` purposes; the others are
/// produced by the platform itself (batch results, fine-tune results, assistant outputs).
public enum Purpose: String, Sendable, CaseIterable, Codable {
    case assistants
    case assistantsOutput = "assistants_output"
    case batch
    case batchOutput = "batch_output"
    case fineTune = "fine-tune"
    case fineTuneResults = "fine-tune-results"
    case vision
    case userData = "user_data"
    case evals

    /// Purposes accepted by `POST /v1/files`.
    public static let creatable: [Purpose] = [.assistants, .batch, .fineTune, .vision, .userData, .evals]

    public var isCreatable: Bool { Self.creatable.contains(self) }
}
