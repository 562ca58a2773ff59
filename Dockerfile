# mockfiles in a container. Build: docker build -t mockfiles:latest .
# Not yet exercised by CI (no Docker engine on the build machines); see the issue on shipping.

# ---- build: the Swift toolchain image, an optimised build with the Swift runtime linked in
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --product mockfiles --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/mockfiles" /usr/local/bin/mockfiles

# ---- run: a slim image with only the runtime libraries
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 zlib1g curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data mockfiles \
    && mkdir -p /data && chown mockfiles /data
COPY --from=build /usr/local/bin/mockfiles /usr/local/bin/mockfiles
USER mockfiles
ENV MOCKFILES_HOST=0.0.0.0 MOCKFILES_PORT=8080 MOCKFILES_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s --retries=5 CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["mockfiles"]
CMD ["serve"]
