import Crypto
import Foundation

/// Files to preload, from `DIR/fixtures.json`:
///
/// ```json
/// { "files": [ { "path": "train.jsonl", "purpose": "fine-tune", "filename": "train.jsonl",
///                "id": "file-train", "created_at": 1700000000, "expires_at": null,
///                "api_key": "sk-team-a", "organization": "org-a", "project": "proj-a" } ] }
/// ```
/// Only `path` (relative to DIR) and `purpose` are required. Without an `id`, one is derived from
/// the entry's position and path, so loading is idempotent across restarts.
public struct FixtureManifest: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var contentPath: String
        public var purpose: Purpose
        public var filename: String
        public var id: String
        public var createdAt: Int64?
        public var expiresAt: Int64?
        public var apiKey: String?
        public var organization: String?
        public var project: String?
    }

    public var directory: String
    public var entries: [Entry]

    /// A manifest problem, naming the entry and what is wrong with it.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public init(directory: String) throws(Problem) {
        self.directory = directory
        let manifestPath = (directory as NSString).appendingPathComponent("fixtures.json")
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw Problem(description: "\(manifestPath): cannot read the file")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Problem(description: "\(manifestPath): not a JSON object")
        }
        guard let files = root["files"] as? [Any] else {
            throw Problem(description: "\(manifestPath): needs a \"files\" array")
        }
        var entries: [Entry] = []
        var seen = Set<String>()
        for (index, item) in files.enumerated() {
            let entry = try Self.entry(item, index: index, directory: directory, manifestPath: manifestPath)
            guard seen.insert(entry.id).inserted else {
                throw Problem(description: "\(manifestPath): files[\(index)]: id \(entry.id) is used twice")
            }
            entries.append(entry)
        }
        self.entries = entries
    }

    static func entry(_ item: Any, index: Int, directory: String, manifestPath: String) throws(Problem) -> Entry {
        func problem(_ text: String) -> Problem { Problem(description: "\(manifestPath): files[\(index)]: \(text)") }
        guard let fields = item as? [String: Any] else { throw problem("not a JSON object") }
        let known: Set<String> = ["path", "purpose", "filename", "id", "created_at", "expires_at", "api_key", "organization", "project"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) { throw problem("unknown field \"\(unknown)\"") }
        guard let path = fields["path"] as? String, !path.isEmpty else { throw problem("\"path\" (a string) is required") }
        let contentPath = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: contentPath, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw problem("content file \(contentPath) does not exist")
        }
        guard let rawPurpose = fields["purpose"] as? String else { throw problem("\"purpose\" (a string) is required") }
        guard let purpose = Purpose(rawValue: rawPurpose) else {
            throw problem("purpose '\(rawPurpose)' is not one of \(Purpose.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func optionalString(_ name: String) throws(Problem) -> String? {
            guard let value = fields[name], !(value is NSNull) else { return nil }
            guard let text = value as? String, !text.isEmpty else { throw problem("\"\(name)\" must be a non-empty string") }
            return text
        }
        func optionalInteger(_ name: String) throws(Problem) -> Int64? {
            guard let value = fields[name], !(value is NSNull) else { return nil }
            guard let number = value as? NSNumber, let integer = Int64(exactly: number.doubleValue), integer >= 0 else {
                throw problem("\"\(name)\" must be a Unix time in seconds")
            }
            return integer
        }
        let id = try optionalString("id") ?? derivedID(index: index, path: path)
        guard id.hasPrefix("file-"), ServerID.isWellFormed(id), id.count <= 64 else {
            throw problem("id '\(id)' must start with file- and use only letters, digits, - and _ (at most 64 characters)")
        }
        let createdAt = try optionalInteger("created_at")
        let expiresAt = try optionalInteger("expires_at")
        if let createdAt, let expiresAt, expiresAt <= createdAt { throw problem("expires_at must be after created_at") }
        return Entry(
            contentPath: contentPath,
            purpose: purpose,
            filename: try optionalString("filename") ?? (path as NSString).lastPathComponent,
            id: id,
            createdAt: createdAt,
            expiresAt: expiresAt,
            apiKey: try optionalString("api_key"),
            organization: try optionalString("organization"),
            project: try optionalString("project")
        )
    }

    /// `file-` + 22 base-62 characters from a digest of the entry's place and path.
    static func derivedID(index: Int, path: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let digest = Array(SHA256.hash(data: Array("fixture:\(index):\(path)".utf8)))
        return "file-" + String(digest.prefix(22).map { alphabet[Int($0) % alphabet.count] })
    }
}
