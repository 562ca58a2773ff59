/// Text for `LIKE … ESCAPE '\'`, the stores' one way to write it.
enum LikePattern {
    /// `text` with its `%`, `_` and `\` matching themselves; each `wildcard`, if given, matching
    /// any run of characters (the admin API's `*`).
    static func of(_ text: String, wildcard: Character? = nil) -> String {
        var like = ""
        for character in text {
            switch character {
            case wildcard: like += "%"
            case "%", "_", "\\": like += "\\" + String(character)
            default: like.append(character)
            }
        }
        return like
    }
}
