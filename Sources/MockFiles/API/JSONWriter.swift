import NIOCore

/// Writes the API's JSON answers, in the order the keys are given and in the real service's
/// layout: its answers are Python's `json.dumps(value, indent=2, ensure_ascii=False)` (the .NET
/// SDK's recordings match that byte for byte, `Content-Length` included), plus a final newline
/// on Files and Uploads answers and none on Batches answers. One writer for every object, so key order and layout never
/// depend on a dictionary's hashing.
struct JSONWriter {
    enum Layout {
        /// Two spaces per level, `": "` after keys, one final newline (Files, Uploads, errors).
        case indented
        /// The same without the final newline (the service's Batch answers but cancel's:
        /// docs/batches-evidence.md, 886 bytes where the Files layout makes 887).
        case indentedWithoutNewline
        /// No whitespace at all (the service's Batches cancel answer).
        case compact
        /// One line, `", "` between items and `": "` after keys, no final newline: Python's default
        /// `json.dumps`, the layout of the lines of a batch's output and error files
        /// (docs/batches-evidence.md, section 6).
        case spaced
    }

    private(set) var buffer: ByteBuffer
    private let layout: Layout
    private var depth = 0
    /// Bit `n`: the container at depth `n + 1` has an item already (so the next needs a comma).
    private var containersWithItems: UInt64 = 0
    /// A key was written and its value is next (no separator before it).
    private var valueFollowsKey = false

    init(layout: Layout = .indented, capacity: Int = 256) {
        self.buffer = ByteBufferAllocator().buffer(capacity: capacity)
        self.layout = layout
    }

    /// The finished text: with the final newline in the `indented` layout.
    consuming func finish() -> ByteBuffer {
        if layout == .indented { buffer.writeInteger(UInt8(ascii: "\n")) }
        return buffer
    }

    mutating func beginObject() {
        beginValue()
        buffer.writeInteger(UInt8(ascii: "{"))
        open()
    }

    mutating func endObject() {
        close()
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        beginValue()
        buffer.writeInteger(UInt8(ascii: "["))
        open()
    }

    mutating func endArray() {
        close()
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    /// A key of the object being written; its value is the next thing written. The separator,
    /// indent and key go out in one write: a list page writes nine keys per file.
    mutating func key(_ name: StaticString) {
        precondition(depth > 0, "a key outside an object")
        let bit: UInt64 = 1 << (depth - 1)
        let comma = containersWithItems & bit != 0
        containersWithItems |= bit
        let indented = breaksLines
        let indent = indented ? 2 * depth : 0
        let spaceAfterComma = comma && layout == .spaced
        let spaceAfterColon = layout != .compact
        let length =
            (comma ? 1 : 0) + (spaceAfterComma ? 1 : 0) + (indented ? 1 + indent : 0) + name.utf8CodeUnitCount
            + (spaceAfterColon ? 4 : 3)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
            var at = 0
            if comma {
                target[at] = UInt8(ascii: ",")
                at += 1
            }
            if spaceAfterComma {
                target[at] = UInt8(ascii: " ")
                at += 1
            }
            if indented {
                target[at] = UInt8(ascii: "\n")
                at += 1
                for _ in 0..<indent {
                    target[at] = UInt8(ascii: " ")
                    at += 1
                }
            }
            target[at] = UInt8(ascii: "\"")
            at += 1
            UnsafeMutableRawBufferPointer(rebasing: target[at...]).copyMemory(
                from: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            )
            at += name.utf8CodeUnitCount
            target[at] = UInt8(ascii: "\"")
            target[at + 1] = UInt8(ascii: ":")
            at += 2
            if spaceAfterColon {
                target[at] = UInt8(ascii: " ")
                at += 1
            }
            return at
        }
        valueFollowsKey = true
    }

    /// A key that comes from data (a batch's `metadata`), escaped as a string is. Not on any hot
    /// path, so written piece by piece.
    mutating func dynamicKey(_ name: String) {
        precondition(depth > 0, "a key outside an object")
        beginItem()
        JSONText.writeString(name, to: &buffer)
        buffer.writeStaticString(layout == .compact ? ":" : ": ")
        valueFollowsKey = true
    }

    mutating func string(_ value: String?) {
        beginValue()
        JSONText.writeString(value, to: &buffer)
    }

    mutating func number(_ value: Int64?) {
        beginValue()
        JSONText.writeNumber(value, to: &buffer)
    }

    mutating func bool(_ value: Bool) {
        beginValue()
        buffer.writeStaticString(value ? "true" : "false")
    }

    mutating func null() {
        beginValue()
        buffer.writeStaticString("null")
    }

    /// A float as Python's `json` writes one (`JSONWriter.pythonText(of:into:)`).
    mutating func double(_ value: Double) {
        beginValue()
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.maxPythonTextBytes) { Self.pythonText(of: value, into: $0) }
    }

    /// One JSON value that is already encoded (another writer's output), written as it is: the
    /// caller answers for it being one value in this writer's layout.
    mutating func raw(_ bytes: some Sequence<UInt8>) {
        beginValue()
        buffer.writeBytes(bytes)
    }

    mutating func raw(_ bytes: ByteBuffer) {
        beginValue()
        buffer.writeImmutableBuffer(bytes)
    }

    /// `key` and a string value.
    mutating func field(_ name: StaticString, _ value: String?) {
        key(name)
        string(value)
    }

    mutating func field(_ name: StaticString, _ value: Int64?) {
        key(name)
        number(value)
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    // MARK: Separators

    private mutating func beginValue() {
        if valueFollowsKey {
            valueFollowsKey = false
        } else {
            beginItem()
        }
    }

    /// The comma before every item but a container's first, then the line and indent (or, in
    /// the `spaced` layout, the space after the comma).
    private mutating func beginItem() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << (depth - 1)
        let comma = containersWithItems & bit != 0
        if comma { buffer.writeInteger(UInt8(ascii: ",")) }
        containersWithItems |= bit
        if comma && layout == .spaced { buffer.writeInteger(UInt8(ascii: " ")) }
        newLine(indent: depth)
    }

    private mutating func open() {
        depth += 1
        precondition(depth <= 64, "JSON nested deeper than the writer tracks")
        containersWithItems &= ~(1 << (depth - 1))
    }

    /// An empty container stays `{}`/`[]`, as Python writes it.
    private mutating func close() {
        let hadItems = containersWithItems & (1 << (depth - 1)) != 0
        depth -= 1
        if hadItems { newLine(indent: depth) }
    }

    /// Whether items go on lines of their own (the indented layouts).
    private var breaksLines: Bool { layout == .indented || layout == .indentedWithoutNewline }

    private mutating func newLine(indent: Int) {
        guard breaksLines else { return }
        buffer.writeInteger(UInt8(ascii: "\n"))
        buffer.writeRepeatingByte(UInt8(ascii: " "), count: 2 * indent)
    }
}
