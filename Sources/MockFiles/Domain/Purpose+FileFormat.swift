/// The format rules of the purposes whose files are read line by line (`batch`, `fine-tune`):
/// one place for `POST /v1/files` and `POST /v1/uploads`.
extension Purpose {
    /// Files of this purpose must be JSON Lines.
    var wantsJSONLines: Bool { self == .batch || self == .fineTune }

    /// The service's refusal of a file that is not JSON Lines (captured for `batch` in 2026
    /// through a relay, litellm#37527, for a file named `notes.txt`).
    var invalidFormat: APIError {
        APIError.invalid("Invalid file format for \(self == .batch ? "Batch API" : "Fine-Tuning API"). Must be .jsonl", param: nil)
    }

    /// A name with another extension than `.jsonl` is refused; a name without any extension is
    /// not: the service accepted `test-batch-file` as a batch file (BatchTests, 2025-09 to 2025-10).
    func checkFilename(_ filename: String) throws(APIError) {
        guard wantsJSONLines, let fileExtension = Self.fileExtension(of: filename) else { return }
        if fileExtension.lowercased() != "jsonl" { throw invalidFormat }
    }

    /// What follows the last `.` of the name's last path component, as Python's `splitext` reads
    /// it: a leading dot (`.jsonl`, a hidden file's name) starts no extension.
    static func fileExtension(of filename: String) -> Substring? {
        let name = filename.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? ""
        let stem = name.drop { $0 == "." }
        guard let dot = stem.lastIndex(of: ".") else { return nil }
        return stem[stem.index(after: dot)...]
    }
}
