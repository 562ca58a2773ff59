import NIOCore

/// One ustar header block: the part of the tar format a snapshot needs (regular files with short
/// ASCII names), written and read by hand because no maintained Swift package does tar. Sizes
/// past the 11 octal digits ustar allows (8 GiB) use the GNU base-256 form, as GNU tar reads it.
struct TarHeader: Equatable {
    static let blockSize = 512
    /// ustar keeps 100 bytes for the name; snapshot names (`blobs/file-…`) are far shorter.
    static let maxNameBytes = 100

    var name: String
    var size: Int64
    /// Seconds since the epoch.
    var modificationTime: Int64 = 0

    enum Problem: Error, Equatable, CustomStringConvertible {
        case nameTooLong(String)
        case badChecksum
        case notUstar
        case badField(String)
        case unsupportedType(UInt8)

        var description: String {
            switch self {
            case .nameTooLong(let name): "entry name longer than 100 bytes: \(name)"
            case .badChecksum: "header checksum does not match"
            case .notUstar: "not a ustar header"
            case .badField(let field): "unreadable header field '\(field)'"
            case .unsupportedType(let type): "entry type '\(Character(Unicode.Scalar(type)))' is not a regular file"
            }
        }
    }

    /// The 512 bytes of this header.
    func encoded() throws -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard !nameBytes.isEmpty, nameBytes.count <= Self.maxNameBytes else { throw Problem.nameTooLong(name) }
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        block.replaceSubrange(0..<nameBytes.count, with: nameBytes)
        Self.octal(0o644, into: &block, at: 100, width: 8)
        Self.octal(0, into: &block, at: 108, width: 8)
        Self.octal(0, into: &block, at: 116, width: 8)
        if size < 0o77777777777 {
            Self.octal(size, into: &block, at: 124, width: 12)
        } else {
            // GNU base-256: the high bit of the first byte set, the value big-endian in the rest.
            block[124] = 0x80
            var value = size
            for index in stride(from: 135, to: 124, by: -1) {
                block[index] = UInt8(value & 0xff)
                value >>= 8
            }
        }
        Self.octal(modificationTime, into: &block, at: 136, width: 12)
        block[156] = UInt8(ascii: "0")
        block.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
        block.replaceSubrange(263..<265, with: Array("00".utf8))
        Self.writeChecksum(into: &block)
        return block
    }

    /// Writes the checksum of the header block at `offset` of `bytes`: the sum of its bytes with
    /// the checksum field counted as spaces, six octal digits, NUL, space (as GNU tar writes it).
    static func writeChecksum(into bytes: inout [UInt8], at offset: Int = 0) {
        bytes.replaceSubrange(offset + 148..<offset + 156, with: [UInt8](repeating: 0x20, count: 8))
        let sum = bytes[offset..<offset + blockSize].reduce(0) { $0 + Int64($1) }
        var field = [UInt8](repeating: 0, count: 8)
        octal(sum, into: &field, at: 0, width: 7)
        field[7] = 0x20
        bytes.replaceSubrange(offset + 148..<offset + 156, with: field)
    }

    /// Reads a header block; nil for an all-zero block (the end of the archive).
    static func decode(_ block: some Collection<UInt8>) throws -> TarHeader? {
        let bytes = Array(block)
        precondition(bytes.count == blockSize)
        if bytes.allSatisfy({ $0 == 0 }) { return nil }
        guard bytes[257..<262].elementsEqual("ustar".utf8) else { throw Problem.notUstar }
        var summed = bytes
        summed.replaceSubrange(148..<156, with: [UInt8](repeating: 0x20, count: 8))
        guard try octal(bytes[148..<156], field: "chksum") == summed.reduce(0, { $0 + Int64($1) }) else { throw Problem.badChecksum }
        let type = bytes[156]
        guard type == UInt8(ascii: "0") || type == 0 else { throw Problem.unsupportedType(type) }
        let nameBytes = bytes[0..<100].prefix { $0 != 0 }
        guard !nameBytes.isEmpty, let name = String(validating: nameBytes, as: UTF8.self) else { throw Problem.badField("name") }
        let size: Int64
        if bytes[124] & 0x80 != 0 {
            // Eleven bytes of base-256 could hold 88 bits; a size is an Int64 that is not negative,
            // so only the low 63 may be set (otherwise the shifts below would wrap to a negative size).
            guard bytes[124] == 0x80, bytes[125..<128].allSatisfy({ $0 == 0 }), bytes[128] & 0x80 == 0 else {
                throw Problem.badField("size")
            }
            size = bytes[128..<136].reduce(0) { $0 << 8 | Int64($1) }
        } else {
            size = try octal(bytes[124..<136], field: "size")
        }
        return TarHeader(name: name, size: size, modificationTime: try octal(bytes[136..<148], field: "mtime"))
    }

    /// Bytes of zeros after an entry's data to the next block boundary.
    static func padding(after size: Int64) -> Int {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    private static func octal(_ value: Int64, into block: inout [UInt8], at offset: Int, width: Int) {
        // `width - 1` digits and a NUL, zero-padded, as GNU tar writes them.
        let digits = Array(String(value, radix: 8).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)) + digits
        block.replaceSubrange(offset..<offset + width - 1, with: padded.suffix(width - 1))
        block[offset + width - 1] = 0
    }

    private static func octal(_ field: ArraySlice<UInt8>, field name: String) throws -> Int64 {
        let digits = field.drop { $0 == 0x20 }.prefix { $0 != 0 && $0 != 0x20 }
        guard !digits.isEmpty, digits.count <= 21, digits.allSatisfy({ (48...55).contains($0) }) else { throw Problem.badField(name) }
        return digits.reduce(0) { $0 * 8 + Int64($1 - 48) }
    }
}
