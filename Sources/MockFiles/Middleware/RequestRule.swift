import HTTPTypes
import Hummingbird

/// A per-request rule: a middleware of the router that also says what the direct reads
/// (`DirectFileReads`) do in its place. Nothing has a default, so a new rule cannot reach either
/// path without saying how the other treats it (docs/design.md, "Direct reads").
protocol RequestRule: RouterMiddleware where Context == AppRequestContext {
    /// Whether the rule would act on a request with this head in a way the direct reads do not
    /// copy, so that the router must answer it. Asked of every head, before anything is recorded.
    func declinesDirectRead(_ head: HTTPRequest) -> Bool
    /// On the way in, outermost rule first, before the read; false leaves the request to the router.
    func beginDirectRead(_ answer: inout DirectAnswer) -> Bool
    /// On the way out, innermost rule first: the answer's headers and body, as the middleware
    /// would change them; false leaves the request to the router.
    func stampDirectAnswer(_ answer: inout DirectAnswer) -> Bool
    /// Once every rule has stamped the answer, so that only answers given are recorded.
    func recordDirectAnswer(_ answer: DirectAnswer)
}

/// A rule that acts only on requests the direct reads leave to the router (it says which in
/// `declinesDirectRead`), so it changes nothing in the answers they give.
protocol RouterOnlyRule: RequestRule {}

extension RouterOnlyRule {
    func beginDirectRead(_ answer: inout DirectAnswer) -> Bool { true }
    func stampDirectAnswer(_ answer: inout DirectAnswer) -> Bool { true }
    func recordDirectAnswer(_ answer: DirectAnswer) {}
}

extension RouterMethods where Context == AppRequestContext {
    /// Adds a rule as middleware. Through a generic: Swift 6.3 fails to convert an
    /// `any RequestRule` to the `any MiddlewareProtocol` that `add(middleware:)` takes.
    @discardableResult func add(rule: some RequestRule) -> Self {
        add(middleware: rule)
    }
}
