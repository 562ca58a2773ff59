/// Who owns a file. Files of one tenant are invisible to every other.
public struct Tenant: Sendable, Equatable, Hashable {
    /// Stable key stored beside every file; never contains a raw API key.
    public var key: String
    /// Sent back in the `openai-organization` header.
    public var organization: String
    public var project: String?

    public init(key: String, organization: String, project: String? = nil) {
        self.key = key
        self.organization = organization
        self.project = project
    }
}

/// How API keys map to tenants.
public enum TenancyMode: String, Sendable, CaseIterable {
    /// Every key shares one namespace (the default: like one project on the real service).
    case shared
    /// Each API key, together with its `OpenAI-Organization`/`OpenAI-Project` headers, has its own namespace.
    case perKey = "per-key"
    /// Keys are mapped to organizations and projects by configuration; keys of the same project share files.
    case perProject = "per-project"
}

/// One configured API key and where it belongs.
public struct APIKeyEntry: Sendable, Equatable {
    public var key: String
    public var organization: String?
    public var project: String?

    public init(key: String, organization: String? = nil, project: String? = nil) {
        self.key = key
        self.organization = organization
        self.project = project
    }

    /// Parses `KEY`, `KEY=ORG` or `KEY=ORG/PROJECT` (the form used in config files and environment variables).
    public init?(parsing text: String) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard let key = parts.first, !key.isEmpty else { return nil }
        self.key = key
        guard parts.count == 2 else { return }
        let scope = parts[1].split(separator: "/", maxSplits: 1).map(String.init)
        self.organization = scope.first.flatMap { $0.isEmpty ? nil : $0 }
        self.project = scope.count == 2 && !scope[1].isEmpty ? scope[1] : nil
    }
}

/// Turns a request's credentials into a tenant, or refuses them.
public struct TenantResolver: Sendable {
    public var mode: TenancyMode
    public var keys: [String: APIKeyEntry]
    public var rejectUnknownKeys: Bool
    public var defaultOrganization: String
    /// Organizations named by the key mapping (per-project mode keeps unmapped keys out of them).
    private var mappedOrganizations: Set<String>

    public init(mode: TenancyMode, keys: [APIKeyEntry], rejectUnknownKeys: Bool, defaultOrganization: String) {
        self.mode = mode
        self.keys = Dictionary(keys.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
        self.rejectUnknownKeys = rejectUnknownKeys
        self.defaultOrganization = defaultOrganization
        self.mappedOrganizations = Set(keys.compactMap(\.organization))
    }

    public enum Resolution: Sendable, Equatable {
        case tenant(Tenant)
        case unknownKey
        /// A header names an organization the key does not belong to.
        case mismatchedOrganization
        /// A header names a project the key does not belong to.
        case mismatchedProject
    }

    public func resolve(apiKey: String, organizationHeader: String?, projectHeader: String?) -> Resolution {
        let entry = keys[apiKey]
        if entry == nil && rejectUnknownKeys { return .unknownKey }
        if let mismatch = mismatch(entry, organizationHeader: nonEmpty(organizationHeader), projectHeader: nonEmpty(projectHeader)) {
            return mismatch
        }
        let organization = entry?.organization ?? nonEmpty(organizationHeader) ?? defaultOrganization
        let project = entry?.project ?? nonEmpty(projectHeader)
        switch mode {
        case .shared:
            return .tenant(Tenant(key: TenantKey.shared, organization: organization, project: project))
        case .perKey:
            let key = TenantKey.perKey(apiKey: apiKey, organization: nonEmpty(organizationHeader), project: nonEmpty(projectHeader))
            return .tenant(Tenant(key: key, organization: organization, project: project))
        case .perProject:
            let key = TenantKey.perProject(organization: organization, project: project)
            return .tenant(Tenant(key: key, organization: organization, project: project))
        }
    }

    /// A configured key may only name its own organization and project in headers. In per-project
    /// mode an organization named by the key mapping belongs to its keys: an unmapped key cannot
    /// claim it (by header or by default) and read their files.
    private func mismatch(_ entry: APIKeyEntry?, organizationHeader: String?, projectHeader: String?) -> Resolution? {
        if let entry {
            if let organizationHeader, let own = entry.organization, organizationHeader != own { return .mismatchedOrganization }
            if let projectHeader, let own = entry.project, projectHeader != own { return .mismatchedProject }
            return nil
        }
        guard mode == .perProject else { return nil }
        return mappedOrganizations.contains(organizationHeader ?? defaultOrganization) ? .mismatchedOrganization : nil
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

}
