import Foundation

/// The three date formats S3 speaks, by hand: fixed-width, so a parser is a few lines, and no
/// formatter (locale, thread-safety, Sendable) is involved.
enum S3Date {
    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `20130524T000000Z`, the `x-amz-date` of SigV4 (whole seconds, UTC).
    static func amzTimestamp(_ date: Date) -> String {
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))T\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))Z"
    }

    /// ISO 8601 as in list answers: `2013-09-17T18:07:53.000Z` (fraction optional).
    static func parseISO8601(_ string: String) -> Date? {
        let s = Array(string.utf8)
        guard s.count >= 20, s[4] == UInt8(ascii: "-"), s[7] == UInt8(ascii: "-"), s[10] == UInt8(ascii: "T"), s.last == UInt8(ascii: "Z"),
            let year = number(s, 0, 4), let month = number(s, 5, 2), let day = number(s, 8, 2),
            let hour = number(s, 11, 2), let minute = number(s, 14, 2), let second = number(s, 17, 2)
        else { return nil }
        var fraction = 0.0
        if s.count > 20 {
            guard s[19] == UInt8(ascii: "."), let digits = number(s, 20, s.count - 21) else { return nil }
            fraction = Double(digits) / pow(10, Double(s.count - 21))
        }
        return date(year, month, day, hour, minute, second).map { $0 + fraction }
    }

    /// The HTTP date of `Last-Modified`: `Wed, 12 Oct 2009 17:50:00 GMT` (IMF-fixdate).
    static func parseHTTPDate(_ string: String) -> Date? {
        let s = Array(string.utf8)
        guard s.count == 29, string.hasSuffix(" GMT"), let month = months.firstIndex(of: String(decoding: s[8..<11], as: UTF8.self)),
            let day = number(s, 5, 2), let year = number(s, 12, 4),
            let hour = number(s, 17, 2), let minute = number(s, 20, 2), let second = number(s, 23, 2)
        else { return nil }
        return date(year, month + 1, day, hour, minute, second)
    }

    private static func number(_ s: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard count > 0, start + count <= s.count else { return nil }
        var value = 0
        for byte in s[start..<start + count] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func date(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Date? {
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard components.isValidDate(in: utc) else { return nil }
        return utc.date(from: components)
    }
}
