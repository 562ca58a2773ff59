# mockfiles in a container: docker build -t mockfiles:latest .
# The build stage runs scripts/container-build, which CI also runs outside Docker (same commands, same
# flags), so this recipe is tested even on machines without a Docker engine.

# ---- build: the Swift toolchain image; one self-contained optimised binary (the Swift runtime, SQLite
# and zlib linked in), which needs only what the runtime base has: glibc, libstdc++ and libgcc_s
FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY . .
# The build context leaves .git out: pass the commit for `mockfiles --version`
# (docker build --build-arg MOCKFILES_COMMIT="$(git rev-parse HEAD)" .); without it, "unknown".
ARG MOCKFILES_COMMIT=""
RUN scripts/container-build /rootfs

# ---- run: distroless (glibc, libstdc++, CA certificates; no shell, no package manager), the same
# Debian release as the build stage, so its glibc is the one the binary was linked against
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /rootfs/usr /usr
# The volume's mount point, owned by the server's user so a new volume starts writable.
COPY --from=build --chown=10001:10001 /rootfs/data /data
# Numeric, so the runtime needs no /etc/passwd entry; 10001 (not the base's 65532) as in earlier images,
# so their volumes stay writable.
USER 10001:10001
# Configured by environment: any setting as MOCKFILES_<SETTING> (README "Configuration").
ENV MOCKFILES_HOST=0.0.0.0 MOCKFILES_PORT=8080 MOCKFILES_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
# The binary asks GET /health itself (on MOCKFILES_PORT): the image has no curl and no shell.
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=5 CMD ["mockfiles", "health", "--timeout", "2"]
ENTRYPOINT ["mockfiles"]
CMD ["serve"]
