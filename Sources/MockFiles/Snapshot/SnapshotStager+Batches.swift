/// Batch records (`SnapshotBatchRecord`): each is checked alone as it comes, and the files they
/// name against the whole archive at its end, since a record may come before those files.
extension SnapshotStager {
    mutating func accept(batch record: SnapshotBatchRecord, named name: String) throws {
        guard name == "batches/\(record.id).json" else { throw SnapshotImportError.entry(name, "its id is \(record.id)") }
        guard !seenIDs.contains(record.id) else { throw SnapshotImportError.entry(name, "\(record.id) appears twice") }
        try Self.checked(name) { () throws(APIError) in try record.validate() }
        seenIDs.insert(record.id)
        if let blob = record.inputBlob {
            let input = record.inputFileID
            if let carried = carriedInputs[input] {
                // Two batches read one deleted input: its bytes came once.
                guard carried == blob else { throw SnapshotImportError.entry(name, "it records \(input) other than the batch before it") }
            } else {
                try claim("inputs/\(input)", bytes: blob.bytes, sha256: blob.sha256, id: input, for: name)
                carriedInputs[input] = blob
            }
        }
        batchRecords.append(record)
        contents.batches.append(record.storedBatch)
    }

    /// A batch's input must be in the archive (a file, or bytes of its own) when the batch will
    /// read it again: otherwise its results could never be made. A file it names that is in the
    /// archive must be its tenant's. A result file may be absent: deleted, or expired and swept,
    /// while the batch still names it, as the service's does.
    func checkBatchReferences() throws {
        guard !batchRecords.isEmpty else { return }
        let files = Dictionary(contents.files.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for record in batchRecords {
            let name = "batches/\(record.id).json"
            if let input = files[record.inputFileID] {
                guard input.tenant == record.tenant else { throw SnapshotImportError.entry(name, "its input \(input.id) is another tenant's file") }
            } else if record.readsInputAgain, carriedInputs[record.inputFileID] == nil {
                throw SnapshotImportError.entry(
                    name,
                    "it reads its input \(record.inputFileID) again when it settles, but the archive holds neither its file nor inputs/\(record.inputFileID)"
                )
            }
            for id in [record.outputFileID, record.errorFileID].compactMap({ $0 }) {
                guard let file = files[id] else { continue }
                guard file.tenant == record.tenant, file.purpose == Purpose.batchOutput.rawValue else {
                    throw SnapshotImportError.entry(name, "its result file \(id) is not a batch_output file of its tenant")
                }
            }
        }
    }
}
