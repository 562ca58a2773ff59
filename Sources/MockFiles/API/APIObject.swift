import NIOCore

/// An object the API answers with, written by `JSONWriter` in the real service's key order.
protocol APIObject: Sendable {
    func write(to json: inout JSONWriter)
    /// Bytes to reserve up front (a list page is large).
    var capacityHint: Int { get }
}

extension APIObject {
    var capacityHint: Int { 512 }

    /// The answer's bytes, in the service's layout for Files and Uploads.
    func jsonBody(layout: JSONWriter.Layout = .indented) -> ByteBuffer {
        var json = JSONWriter(layout: layout, capacity: capacityHint)
        write(to: &json)
        return json.finish()
    }
}
