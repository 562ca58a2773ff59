import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension MultipartFormReader {
    enum BodyStep: Equatable {
        /// The chunk is used up; it ended in the first `matched` bytes of the delimiter.
        case needMore(matched: Int)
        /// The delimiter that ends the part was read.
        case delimiter
    }

    /// Reads a part's body from `rest` up to the delimiter that ends it, or all of `rest`. Body
    /// bytes come out as slices of the chunk (no copy), a whole chunk at a time whatever CRs it
    /// holds: memchr finds each CR and only there is the delimiter compared. This is the path
    /// uploads take, so no byte-by-byte loop here.
    func readBody(matched: Int, from rest: inout ByteBuffer, into events: inout [Event]) -> BodyStep {
        if matched > 0 {
            let wanted = delimiter.count - matched
            let probe = rest.readableBytesView.prefix(wanted)
            if probe.elementsEqual(delimiter[matched..<(matched + probe.count)]) {
                rest.moveReaderIndex(forwardBy: probe.count)
                return probe.count == wanted ? .delimiter : .needMore(matched: matched + probe.count)
            }
            // Held back for nothing: those bytes were body. Only their first byte is a CR, so no
            // delimiter begins among them, and the search goes on from this chunk's start.
            events.append(.body(ByteBuffer(bytes: delimiter[..<matched])))
        }
        let search = rest.withUnsafeReadableBytes { Self.findDelimiter(delimiter, in: $0) }
        switch search {
        case .absent:
            emitBody(rest.readSlice(length: rest.readableBytes)!, into: &events)
            return .needMore(matched: 0)
        case .found(let offset):
            emitBody(rest.readSlice(length: offset)!, into: &events)
            rest.moveReaderIndex(forwardBy: delimiter.count)
            return .delimiter
        case .prefix(let offset):
            emitBody(rest.readSlice(length: offset)!, into: &events)
            let matched = rest.readableBytes
            rest.moveReaderIndex(forwardBy: matched)
            return .needMore(matched: matched)
        }
    }

    private func emitBody(_ bytes: ByteBuffer, into events: inout [Event]) {
        if bytes.readableBytes > 0 { events.append(.body(bytes)) }
    }

    enum DelimiterSearch: Equatable {
        case absent
        /// The whole delimiter starts at this offset.
        case found(Int)
        /// The bytes from this offset to the end are the start of the delimiter.
        case prefix(Int)
    }

    /// The first place in `bytes` where `delimiter`, or a prefix of it cut by the end, starts.
    static func findDelimiter(_ delimiter: [UInt8], in bytes: UnsafeRawBufferPointer) -> DelimiterSearch {
        guard let base = bytes.baseAddress else { return .absent }
        return delimiter.withUnsafeBytes { delimiterBytes -> DelimiterSearch in
            var start = 0
            while start < bytes.count, let found = memchr(base + start, Int32(UInt8.cr), bytes.count - start) {
                let offset = base.distance(to: UnsafeRawPointer(found))
                let length = min(delimiter.count, bytes.count - offset)
                // Its first byte, the CR, is known to match.
                if memcmp(base + offset + 1, delimiterBytes.baseAddress! + 1, length - 1) == 0 {
                    return length == delimiter.count ? .found(offset) : .prefix(offset)
                }
                start = offset + 1
            }
            return .absent
        }
    }
}
