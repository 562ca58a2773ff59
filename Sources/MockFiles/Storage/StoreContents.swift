/// Every row a snapshot restores: files, the open Uploads and their parts, batches.
public struct StoreContents: Sendable, Equatable {
    public var files: [StoredFile] = []
    public var uploads: [StoredUpload] = []
    public var parts: [StoredPart] = []
    public var batches: [StoredBatch] = []

    public init(files: [StoredFile] = [], uploads: [StoredUpload] = [], parts: [StoredPart] = [], batches: [StoredBatch] = []) {
        self.files = files
        self.uploads = uploads
        self.parts = parts
        self.batches = batches
    }
}

/// How much one purpose holds.
public struct StoredTotals: Sendable, Equatable {
    public var purpose: String
    public var files: Int64
    public var bytes: Int64
}
