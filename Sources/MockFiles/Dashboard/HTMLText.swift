/// Text placed in HTML the way Mustache's `{{value}}` places it (the same five characters
/// escaped), but over UTF-8 bytes with a fast path for text that needs nothing. The Files page
/// writes its rows with it: Mustache's escape, a dictionary lookup per Character, and its dynamic
/// row values were most of the page's cost.
enum HTMLText {
    static func append(_ text: String, to html: inout String) {
        guard text.utf8.contains(where: needsEscaping) else {
            html += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "<": html += "&lt;"
            case ">": html += "&gt;"
            case "&": html += "&amp;"
            case "\"": html += "&quot;"
            case "'": html += "&#39;"
            default: html.unicodeScalars.append(scalar)
            }
        }
    }

    static func escaped(_ text: String) -> String {
        var html = ""
        append(text, to: &html)
        return html
    }

    private static func needsEscaping(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "\"")
            || byte == UInt8(ascii: "'")
    }
}
