import Logging

/// Passes every log line through `URLRedaction` before the wrapped handler writes it: a message,
/// a metadata value or an error's description may quote a setting (a database URL), and no
/// line may print a password. Lines without an `@` cost one scan of their text.
public struct RedactingLogHandler: LogHandler {
    private var wrapped: any LogHandler

    public init(_ wrapped: any LogHandler) {
        self.wrapped = wrapped
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue.mapValues(Self.redacted) }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map(Self.redacted) }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: URLRedaction.redacted(event.message.description))
        event.metadata = event.metadata?.mapValues(Self.redacted)
        if let error = event.error { event.error = RedactedError(description: URLRedaction.redacted("\(error)")) }
        wrapped.log(event: event)
    }

    static func redacted(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(URLRedaction.redacted(text))
        case .stringConvertible(let convertible):
            // Numbers and flags keep their type (the JSON handler writes them as such).
            if convertible is Int || convertible is Int64 || convertible is Double || convertible is Bool {
                value
            } else {
                .string(URLRedaction.redacted(convertible.description))
            }
        case .array(let values): .array(values.map(redacted))
        case .dictionary(let values): .dictionary(values.mapValues(redacted))
        }
    }
}

/// An error as its redacted description.
struct RedactedError: Error, CustomStringConvertible {
    let description: String
}
