/// The organization and project an answer names when the tenant has none of its own: the real
/// service names both on every answer (`openai-organization`, `openai-project`), also when the
/// client sent neither header.
public struct DefaultScope: Sendable, Equatable {
    public var organization: String
    public var project: String

    public init(organization: String, project: String) {
        self.organization = organization
        self.project = project
    }
}
