import Foundation

extension Purpose {
    /// The MIME types an Upload of this purpose may declare, where the real service documents a
    /// list (Uploads API: "must fall within the supported MIME types for your file purpose"):
    /// file search's types for `assistants`, image types for `vision`. `nil`: any type.
    public var allowedMIMETypes: Set<String>? {
        switch self {
        case .assistants: Self.fileSearchMIMETypes
        case .vision: Self.imageMIMETypes
        default: nil
        }
    }

    /// File search's supported files (platform docs, "Supported files"), by MIME type.
    static let fileSearchMIMETypes: Set<String> = [
        "text/x-c", "text/x-c++", "text/x-csharp", "text/css", "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/x-golang", "text/html",
        "text/x-java", "text/javascript", "application/json", "text/markdown", "application/pdf", "text/x-php",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", "text/x-python",
        "text/x-script.python", "text/x-ruby", "application/x-sh", "text/x-tex", "application/typescript", "text/plain",
    ]

    /// Image inputs the vision models accept: PNG, JPEG, WEBP and non-animated GIF.
    static let imageMIMETypes: Set<String> = ["image/png", "image/jpeg", "image/webp", "image/gif"]

    /// Whether an Upload of this purpose may declare `mimeType` (compared without parameters such
    /// as `; charset=utf-8`, case-insensitively, as MIME types are).
    public func accepts(mimeType: String) -> Bool {
        guard let allowed = allowedMIMETypes else { return true }
        let essence = mimeType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return allowed.contains(essence)
    }
}
