import Foundation
import NIOCore

extension IOError {
    /// The system's words for the error, as the end of a sentence: "connection refused",
    /// "address already in use" (start-up failures print one line of this shape).
    public var reason: String {
        let text = String(cString: strerror(errnoCode))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
