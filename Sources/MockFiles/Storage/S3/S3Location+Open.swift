import Foundation
import Logging
import NIOCore

extension S3Location {
    /// A client for this bucket, checked with one listing so that a wrong endpoint, bucket or
    /// credentials end start-up with a line naming `blobUrl` instead of failing the first upload.
    func openStore(logger: Logger) async throws -> (S3BlobStore, S3ClientService) {
        let configuration = S3Configuration(
            bucket: bucket,
            keyPrefix: prefix,
            endpoint: endpoint?.absoluteString,
            region: region,
            credentials: S3Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
        )
        let client = try S3Client(configuration: configuration, timeout: .seconds(60))
        do {
            _ = try await client.listObjectsV2(prefix: "blobs/", maxKeys: 1)
        } catch {
            try? await client.shutdown()
            throw SettingsError("blobUrl: cannot use \(self): \(Self.describe(error))")
        }
        return (S3BlobStore(client: client), S3ClientService(client: client))
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? S3Error else { return PostgresLocation.describe(error) }
        return [error.code, error.message].compactMap { $0 }.joined(separator: ": ")
    }
}
