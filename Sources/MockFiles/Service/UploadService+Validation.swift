/// The rules an Upload's fields obey, in one place: `POST /v1/uploads` checks a request with them,
/// and a snapshot's Upload record goes through the same function, so an archive can hold nothing
/// the API would refuse (an Upload over the size limit, a lifetime that overflows on completion).
extension UploadService {
    /// Returns the lifetime the File will have, checked.
    func checkFields(
        filename: String,
        purpose: Purpose,
        bytes: Int64,
        mimeType: String,
        fileLifetimeSeconds: Int64?
    ) throws(APIError) -> Int64? {
        guard purpose.isCreatable else { throw Purpose.notCreatable(purpose.rawValue) }
        guard bytes >= 0 else { throw .invalid("Invalid value for 'bytes': \(bytes). It must not be negative.", param: "bytes") }
        guard bytes <= settings.maxUploadBytes else { throw .fileTooLarge }
        guard purpose.accepts(mimeType: mimeType) else {
            throw .invalid(
                "Invalid value for 'mime_type': '\(mimeType)' is not a supported MIME type for purpose '\(purpose.rawValue)'.",
                param: "mime_type"
            )
        }
        try purpose.checkFilename(filename)
        return try fileLifetimeSeconds.map { seconds throws(APIError) in
            try ExpiryPolicy.checked(seconds: seconds, param: "expires_after.seconds")
        }
    }
}
