/// What `POST /v1/files` checks in the bytes of line-by-line purposes.
extension FileService {
    /// Every line of a `fine-tune` file must be a JSON object (the service's captured message).
    func validateJSONLines(_ blob: any BlobWriter) async throws {
        var validator = JSONLValidator()
        do {
            try await blob.readBack(chunkSize: 1 << 20) { chunk in try validator.feed(chunk) }
            try validator.finish()
        } catch let failure as JSONLValidator.Failure {
            switch failure {
            case .notAnObject(let line, let start):
                throw APIError.invalid(
                    "Expected file to have JSONL format, where every line is a JSON dictionary. "
                        + "Line \(line) is not a dictionary (HINT: line starts with: \"\(start)...\").",
                    param: nil
                )
            case .lineTooLong(let line, let limit):
                throw APIError.invalid("Invalid file format for Fine-Tuning API: line \(line) is longer than \(limit) bytes.", param: nil)
            }
        }
    }

    /// A `batch` file is refused at upload only when it is empty or its first line is not a JSON
    /// object; later bad lines pass and fail the batch (second-hand: a re-implementation's error
    /// tests written against the service; litellm#37527 shows a file of bad lines accepted).
    /// Reads no further than the first line. A first line longer than the validator holds is
    /// given the benefit of the doubt.
    func validateFirstBatchLine(_ blob: any BlobWriter) async throws {
        struct FirstLineRead: Error {}
        var validator = JSONLValidator()
        do {
            try await blob.readBack(chunkSize: 64 << 10) { chunk in
                try validator.feed(chunk)
                if validator.linesChecked > 0 { throw FirstLineRead() }
            }
            try validator.finish()
        } catch is FirstLineRead {
            return
        } catch JSONLValidator.Failure.notAnObject {
            // A later line of the same chunk may be the bad one: only the first one counts.
            if validator.linesChecked == 0 { throw Purpose.batch.invalidFormat }
            return
        } catch JSONLValidator.Failure.lineTooLong {
            return
        }
        if validator.linesChecked == 0 { throw Purpose.batch.invalidFormat }
    }
}
