import NIOCore

/// Reads a tar stream as it arrives, in whatever chunks, into events: an entry's header, its data
/// in pieces, its end, the archive's end. Memory stays one header block, whatever the sizes.
struct TarReader {
    enum Event: Equatable {
        case entry(TarHeader)
        case data(ByteBuffer)
        case entryEnd
        case end
    }

    enum ReadError: Error, Equatable {
        /// The stream stopped inside a header, an entry or its padding.
        case truncated
        /// Bytes after the end-of-archive blocks that are not zeros.
        case trailingData
    }

    private enum State {
        case header
        case data(remaining: Int64, padding: Int)
        case padding(remaining: Int)
        case ended
    }

    private var state = State.header
    private var pending = ByteBuffer()

    mutating func feed(_ chunk: ByteBuffer) throws -> [Event] {
        var chunk = chunk
        var events: [Event] = []
        while chunk.readableBytes > 0 {
            switch state {
            case .header:
                let wanted = TarHeader.blockSize - pending.readableBytes
                var piece = chunk.readSlice(length: min(wanted, chunk.readableBytes))!
                pending.writeBuffer(&piece)
                guard pending.readableBytes == TarHeader.blockSize else { continue }
                let block = pending.readBytes(length: TarHeader.blockSize)!
                pending.clear()
                guard let header = try TarHeader.decode(block) else {
                    // One zero block ends the archive (writers add a second; anything after must be zeros).
                    state = .ended
                    events.append(.end)
                    continue
                }
                // `TarHeader.decode` never reads a negative size; kept as a check because a
                // negative count would trap in `readSlice` below.
                guard header.size >= 0 else { throw TarHeader.Problem.badField("size") }
                events.append(.entry(header))
                if header.size == 0 {
                    events.append(.entryEnd)
                } else {
                    state = .data(remaining: header.size, padding: TarHeader.padding(after: header.size))
                }
            case .data(let remaining, let padding):
                let count = Int(min(remaining, Int64(chunk.readableBytes)))
                events.append(.data(chunk.readSlice(length: count)!))
                if remaining - Int64(count) > 0 {
                    state = .data(remaining: remaining - Int64(count), padding: padding)
                } else {
                    events.append(.entryEnd)
                    state = padding > 0 ? .padding(remaining: padding) : .header
                }
            case .padding(let remaining):
                let count = min(remaining, chunk.readableBytes)
                chunk.moveReaderIndex(forwardBy: count)
                state = remaining - count > 0 ? .padding(remaining: remaining - count) : .header
            case .ended:
                guard chunk.readableBytesView.allSatisfy({ $0 == 0 }) else { throw ReadError.trailingData }
                chunk.moveReaderIndex(forwardBy: chunk.readableBytes)
            }
        }
        return events
    }

    /// Called at the end of the stream: anything but a finished archive is truncated.
    func finish() throws {
        guard case .ended = state else { throw ReadError.truncated }
    }
}
