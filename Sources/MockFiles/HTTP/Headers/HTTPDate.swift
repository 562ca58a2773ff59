import Foundation
import NIOConcurrencyHelpers

/// The `Date` header (RFC 9110 IMF-fixdate, `Wed, 02 Dec 2026 18:00:20 GMT`) that Hummingbird puts
/// on the answers it sends, for the answers sent without it (`DirectReadHandler`). Formatted once a
/// second, as Hummingbird's own cache does.
enum HTTPDate {
    private static let cache = NIOLockedValueBox((second: Int.min, text: ""))

    static var now: String {
        let second = Int(time(nil))
        return cache.withLockedValue { cached in
            if cached.second != second { cached = (second, format(secondsSince1970: second)) }
            return cached.text
        }
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(secondsSince1970 seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[Int(parts.tm_wday)]), \(twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec)) GMT"
    }
}
