import HTTPTypes
import NIOCore

/// A direct read's answer as the request rules build it (`RequestRule`), standing in for the
/// router's request, context and response. A value on the stack: nothing is allocated for it.
struct DirectAnswer {
    let head: HTTPRequest
    /// Every rule times from here, as the router's from the request's arrival.
    let started = ContinuousClock.now
    let annotations = RequestAnnotations()
    /// The direct reads give only 200s; any other answer is the router's.
    let status = HTTPResponse.Status.ok
    /// Made on the way in (`OpenAIHeadersMiddleware`).
    var requestID = ""
    /// Resolved on the way in (`AuthMiddleware`); the read is for it.
    var tenant: Tenant?
    /// The matched route (the metrics' label) and the path (the request log's), set by the read.
    var route = ""
    var path = ""
    var headers = HTTPFields()
    var body = ByteBuffer()

    init(head: HTTPRequest) {
        self.head = head
    }
}
