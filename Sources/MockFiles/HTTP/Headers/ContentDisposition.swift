import Foundation

/// Writes a download's `Content-Disposition` for a client-chosen filename that may hold
/// quotes, CR/LF or any Unicode.
public enum ContentDisposition {
    /// `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`.
    /// The fallback replaces whatever could break the header (quotes, backslashes, control
    /// characters such as CR/LF, non-ASCII) with `_`; the `filename*` form keeps every character.
    public static func attachment(filename: String) -> String {
        let fallback = String(
            String.UnicodeScalarView(
                filename.unicodeScalars.map { scalar in
                    (scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\") ? scalar : "_"
                }
            )
        )
        let isPlain = fallback == filename
        var header = "attachment; filename=\"\(fallback)\""
        if !isPlain {
            header += "; filename*=UTF-8''" + percentEncodeRFC5987(filename)
        }
        return header
    }

    /// attr-char of RFC 5987: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else percent-encoded.
    static func percentEncodeRFC5987(_ text: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8)
        var result = ""
        for byte in text.utf8 {
            if allowed.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }
}
