// MARK: Floats

extension JSONWriter {
    /// The most bytes `pythonText(of:into:)` writes: a sign, 17 digits, a point, `0.000` or `e-324`.
    static let maxPythonTextBytes = 32

    /// `repr(value)` as Python writes it, which `json.dumps` uses for a float: the shortest digits
    /// that read back to the same double, fixed notation for decimal exponents -4 ... 15
    /// (`0.0123`, `1.0`, `9999999999999998.0`), scientific outside it with at least two exponent
    /// digits (`1e-05`, `1.5e+16`); `NaN`, `Infinity` and `-Infinity` as `json` writes them.
    /// Swift's `description` has the same shortest digits but switches to scientific at 2^53, not
    /// 10^16, so only its digits and exponent are taken. Written into `out` (at least
    /// `maxPythonTextBytes`) without building strings on the way: an embedding writes 1,536 of
    /// these per vector. Answers the count written.
    static func pythonText(of value: Double, into out: UnsafeMutableRawBufferPointer) -> Int {
        guard value.isFinite else {
            return copy(value.isNaN ? "NaN" : (value < 0 ? "-Infinity" : "Infinity"), into: out, at: 0)
        }
        var text = value.magnitude.description
        return text.withUTF8 { source in
            // The digits without the point, and where the point sits, counted in digits from the first.
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
            return withUnsafeMutableBytes(of: &digits) { digits in
                var count = 0
                var point = 0
                var pointSeen = false
                var index = 0
                while index < source.count {
                    let byte = source[index]
                    index += 1
                    if byte == UInt8(ascii: ".") {
                        pointSeen = true
                    } else if byte == UInt8(ascii: "e") {
                        point += exponent(source, from: index)
                        break
                    } else {
                        digits[count] = byte
                        count += 1
                        if !pointSeen { point += 1 }
                    }
                }
                var first = 0
                while count - first > 1, digits[first] == UInt8(ascii: "0") {
                    first += 1
                    point -= 1
                }
                while count - first > 1, digits[count - 1] == UInt8(ascii: "0") { count -= 1 }
                let kept = UnsafeRawBufferPointer(rebasing: digits[first..<count])
                var at = 0
                if value.sign == .minus {
                    out[at] = UInt8(ascii: "-")
                    at += 1
                }
                if kept.count == 1 && kept[0] == UInt8(ascii: "0") { return copy("0.0", into: out, at: at) }
                let decimalExponent = point - 1
                if (-4..<16).contains(decimalExponent) {
                    if point <= 0 {
                        at = copy("0.", into: out, at: at)
                        at = zeros(-point, into: out, at: at)
                        at = copy(kept, into: out, at: at)
                    } else if point >= kept.count {
                        at = copy(kept, into: out, at: at)
                        at = zeros(point - kept.count, into: out, at: at)
                        at = copy(".0", into: out, at: at)
                    } else {
                        at = copy(UnsafeRawBufferPointer(rebasing: kept[..<point]), into: out, at: at)
                        out[at] = UInt8(ascii: ".")
                        at = copy(UnsafeRawBufferPointer(rebasing: kept[point...]), into: out, at: at + 1)
                    }
                } else {
                    out[at] = kept[0]
                    at += 1
                    if kept.count > 1 {
                        out[at] = UInt8(ascii: ".")
                        at = copy(UnsafeRawBufferPointer(rebasing: kept[1...]), into: out, at: at + 1)
                    }
                    at = copy(decimalExponent < 0 ? "e-" : "e+", into: out, at: at)
                    let magnitude = abs(decimalExponent)
                    if magnitude >= 100 {
                        out[at] = UInt8(ascii: "0") + UInt8(magnitude / 100)
                        at += 1
                    }
                    out[at] = UInt8(ascii: "0") + UInt8(magnitude / 10 % 10)
                    out[at + 1] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    at += 2
                }
                return at
            }
        }
    }

    /// The signed decimal exponent after `e` in `description`'s text.
    private static func exponent(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        var negative = false
        if index < text.count, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var magnitude = 0
        while index < text.count {
            magnitude = magnitude * 10 + Int(text[index] - UInt8(ascii: "0"))
            index += 1
        }
        return negative ? -magnitude : magnitude
    }

    /// `pythonText(of:into:)` as a string.
    static func pythonText(of value: Double) -> String {
        withUnsafeTemporaryAllocation(byteCount: maxPythonTextBytes, alignment: 1) { out in
            String(decoding: UnsafeRawBufferPointer(rebasing: out[..<pythonText(of: value, into: out)]), as: UTF8.self)
        }
    }

    private static func copy(_ text: StaticString, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        copy(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), into: out, at: at)
    }

    private static func copy(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        UnsafeMutableRawBufferPointer(rebasing: out[at..<at + bytes.count]).copyMemory(from: bytes)
        return at + bytes.count
    }

    private static func zeros(_ count: Int, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        guard count > 0 else { return at }
        UnsafeMutableRawBufferPointer(rebasing: out[at..<at + count]).initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "0"))
        return at + count
    }
}
