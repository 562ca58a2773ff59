/// The texts of chat messages and Responses input items, for the token rule and the answer's quote.
extension BatchAnswers {
    /// What one message holds: its text parts joined, and how many images it carries.
    struct MessageContent {
        var role: String?
        var text = ""
        var images = 0

        /// The token rule's cost of the message: 4, its text, 85 per image.
        var tokens: Int64 { 4 + BatchAnswers.tokens(text) + 85 * Int64(images) }
    }

    /// A chat message or Responses input item (`{role, content}`, content a string or a list of
    /// parts: `text`/`input_text`/`output_text` with `text`, `image_url`/`input_image`), whatever
    /// else it holds ignored: the mock answers the text it can read.
    static func content(of message: Any) -> MessageContent {
        guard let fields = message as? [String: Any] else { return MessageContent() }
        var content = MessageContent(role: fields["role"] as? String)
        if let text = fields["content"] as? String {
            content.text = text
        } else if let parts = fields["content"] as? [Any] {
            var texts: [String] = []
            for case let part as [String: Any] in parts {
                switch part["type"] as? String {
                case "image_url", "input_image": content.images += 1
                default: if let text = part["text"] as? String { texts.append(text) }
                }
            }
            content.text = texts.joined(separator: " ")
        }
        return content
    }

    /// The prompt side of a conversation by the token rule: 3, plus each message's cost.
    static func promptTokens(_ messages: [MessageContent]) -> Int64 {
        messages.reduce(3) { $0 + $1.tokens }
    }

    /// The text the answer quotes: the last user message's, else the last message's.
    static func lastUserText(_ messages: [MessageContent]) -> String? {
        (messages.last(where: { $0.role == "user" }) ?? messages.last)?.text
    }
}
