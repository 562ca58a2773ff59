import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The dashboard's templates and stylesheet, compiled into the binary (`PackageResources`), so the
/// pages need nothing from the network. Mustache escapes every `{{value}}`: file names and request
/// paths are shown as text, never markup.
struct DashboardViews: Sendable {
    let library: MustacheLibrary
    static let stylesheet = ByteBuffer(bytes: PackageResources.dashboard_css)
    static let script = ByteBuffer(bytes: PackageResources.dashboard_js)

    init() throws {
        var library = MustacheLibrary()
        let templates: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache),
            ("login", PackageResources.login_mustache),
            ("files", PackageResources.files_mustache),
            ("file", PackageResources.file_mustache),
            ("controls", PackageResources.controls_mustache),
            ("requests", PackageResources.requests_mustache),
            ("uploads", PackageResources.uploads_mustache),
            ("upload", PackageResources.upload_mustache),
            ("batches", PackageResources.batches_mustache),
            ("batch", PackageResources.batch_mustache),
        ]
        for (name, bytes) in templates { try library.register(String(decoding: bytes, as: UTF8.self), named: name) }
        self.library = library
    }

    /// A page as HTML; `values` fill the template, with the CSRF token every form carries.
    func page(_ name: String, _ values: [String: Any], csrf: String, signedIn: Bool, status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["csrf"] = csrf
        values["signedIn"] = signedIn
        let html = library.render(values, withTemplate: name) ?? ""
        return Response(
            status: status,
            headers: Self.headers(contentType: "text/html; charset=utf-8"),
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// No framing by other sites, no scripts or styles but the dashboard's own, no caching of
    /// pages that show stored data.
    static func headers(contentType: String) -> HTTPFields {
        [
            .contentType: contentType,
            .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            .xContentTypeOptions: "nosniff",
            // Not no-referrer: with it Chromium sends `Origin: null` on the page's own form posts,
            // which the loopback rule refuses as a foreign page's.
            .referrerPolicy: "same-origin",
            .cacheControl: "no-store",
        ]
    }

    /// UTC, to the second. `Date.ISO8601FormatStyle`, a value: a formatter object made per row
    /// cost the Files page more than its query.
    static func time(_ seconds: Int64?) -> String {
        guard let seconds else { return "never" }
        return Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }

    /// Bytes in binary units, one decimal above a KiB.
    static func size(_ bytes: Int64) -> String {
        guard bytes >= 1024 else { return "\(bytes) bytes" }
        var value = Double(bytes)
        for unit in ["KiB", "MiB", "GiB", "TiB"] {
            value /= 1024
            if value < 1024 || unit == "TiB" { return String(format: "%.1f", value) + " " + unit }
        }
        return "\(bytes) bytes"
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
}
