/// A path pattern of fault rules and request-log filters: `*` matches any run of bytes (`/`
/// included), every other byte itself. Matching takes time linear in the pattern and the text,
/// whatever either holds: an operator's pattern and a client's path are both untrusted lengths,
/// and the usual backtracking matcher is quadratic on `*a*a*…b` against `aaaa…`.
///
/// The pattern is split at its stars into literal pieces. The first piece must begin the text, the
/// last must end it, and the ones between are found in order, each at its leftmost place after the
/// previous one (leftmost is always safe: a later place leaves less room for the rest). Each search
/// is Knuth–Morris–Pratt, so every text byte is looked at a bounded number of times per piece edge.
struct WildcardPattern: Sendable, Equatable {
    /// Longest pattern accepted from an operator (fault rules, `/admin/requests?path=`).
    static let maxBytes = 2048

    private let bytes: [UInt8]
    private let head: [UInt8]
    private let tail: [UInt8]
    /// Pieces between the first star and the last, with their KMP failure tables.
    private let middle: [(piece: [UInt8], failure: [Int])]
    private let hasStar: Bool

    init(_ pattern: String) {
        bytes = Array(pattern.utf8)
        let pieces = bytes.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
        hasStar = pieces.count > 1
        head = pieces.first ?? []
        tail = hasStar ? pieces.last ?? [] : []
        middle = hasStar ? pieces.dropFirst().dropLast().filter { !$0.isEmpty }.map { ($0, Self.failureTable($0)) } : []
    }

    static func == (lhs: WildcardPattern, rhs: WildcardPattern) -> Bool { lhs.bytes == rhs.bytes }

    func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches(bytes: $0) }
    }

    func matches(bytes text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard hasStar else { return text.elementsEqual(head) }
        guard head.count + tail.count <= text.count,
            text.prefix(head.count).elementsEqual(head),
            text.suffix(tail.count).elementsEqual(tail)
        else { return false }
        var start = head.count
        let end = text.count - tail.count
        for (piece, failure) in middle {
            guard let found = Self.find(piece, failure: failure, in: text, from: start, to: end) else { return false }
            start = found + piece.count
        }
        return true
    }

    /// The first index `i` in `from..<to` where `piece` lies wholly inside `text[from..<to]`.
    private static func find(_ piece: [UInt8], failure: [Int], in text: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        var matched = 0
        var index = from
        while index < to {
            while matched > 0 && text[index] != piece[matched] { matched = failure[matched - 1] }
            if text[index] == piece[matched] { matched += 1 }
            index += 1
            if matched == piece.count { return index - matched }
        }
        return nil
    }

    /// `failure[i]`: the length of the longest proper prefix of `piece[0...i]` that is also its suffix.
    private static func failureTable(_ piece: [UInt8]) -> [Int] {
        var failure = [Int](repeating: 0, count: piece.count)
        var length = 0
        for index in piece.indices.dropFirst() {
            while length > 0 && piece[index] != piece[length] { length = failure[length - 1] }
            if piece[index] == piece[length] { length += 1 }
            failure[index] = length
        }
        return failure
    }
}
