import Foundation

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

    /// Purposes accepted by `POST /v1/files` and `POST /v1/uploads`, in the order the real
    /// service lists them in its "is not one of" message.
    public static let creatable: [Purpose] = [.fineTune, .assistants, .batch, .userData, .vision, .evals]

    public var isCreatable: Bool { Self.creatable.contains(self) }

    /// Purposes whose content the real service refuses to hand out (400 `Not allowed to download
    /// files of purpose: …`): captured for `assistants` and `user_data`; `fine-tune` and `evals`
    /// from a table of which purposes download (docs/fidelity.md, "Where mockfiles' answers come from").
    public static let notDownloadableByDefault: Set<Purpose> = [.assistants, .userData, .fineTune, .evals]

    /// The 400 the real service answers for a purpose that is not one of `creatable`.
    /// The purpose `raw` names when a client may create files of it, or the service's 400.
    static func creatable(_ raw: String) throws(APIError) -> Purpose {
        guard let purpose = Purpose(rawValue: raw), purpose.isCreatable else { throw notCreatable(raw) }
        return purpose
    }

    static func notCreatable(_ raw: String) -> APIError {
        let allowed = creatable.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return APIError.invalid("'\(raw)' is not one of [\(allowed)] - 'purpose'", param: "purpose")
    }

    /// Parses `downloadablePurposes`: `all`, or purposes separated by commas.
    public static func parseSet(_ items: [String]) -> Set<Purpose>? {
        let names = items.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if names == ["all"] { return Set(allCases) }
        var set = Set<Purpose>()
        for name in names {
            guard let purpose = Purpose(rawValue: name) else { return nil }
            set.insert(purpose)
        }
        return set
    }
}
