# mockfiles in a container: docker build -t mockfiles:latest .
# The build stage runs scripts/container-build, which CI also runs outside Docker (same commands, same
# flags), so this recipe is tested even on machines without a Docker engine.

# ---- build: the Swift toolchain image; an optimised binary with the Swift runtime linked in
FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/container-build /rootfs

# ---- run: a slim image with only the runtime libraries (the script checks the binary needs no others);
# libxml2 (with ICU and lzma) is for FoundationXML, which reads the S3 store's XML answers.
FROM debian:bookworm-slim
# Unpinned on purpose: bookworm's packages only change for security fixes, which an image should take;
# an exact version pin breaks the build the day Debian replaces it.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 zlib1g libxml2 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data mockfiles \
    && mkdir -p /data && chown mockfiles /data
COPY --from=build /rootfs/usr/local/bin/mockfiles /usr/local/bin/mockfiles
# Numeric, so the runtime needs no /etc/passwd lookup to know it is not root.
USER 10001
# Configured by environment: any setting as MOCKFILES_<SETTING> (README "Configuration").
ENV MOCKFILES_HOST=0.0.0.0 MOCKFILES_PORT=8080 MOCKFILES_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s --retries=5 CMD ["sh", "-c", "curl -fsS http://127.0.0.1:8080/health || exit 1"]
ENTRYPOINT ["mockfiles"]
CMD ["serve"]
