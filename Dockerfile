# attune in a container: a static binary (CGO_ENABLED=0; SQLite is the
# pure-Go modernc.org/sqlite) on a distroless base, run as a non-root user.
# docs/DEPLOY.md says how to run it. Build:
#   docker build -t attune:dev --build-arg VERSION=$(git describe --tags --always) .

# The toolchain go.mod asks for.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/attune ./cmd/attune

# No shell, no package manager; user and group 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/attune /usr/local/bin/attune
# /data holds the out directory (cycles, the sources' cache, LLM drafts)
# and the SQLite store; mount a volume there.
WORKDIR /data
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/attune"]
CMD ["serve", "--config", "/etc/attune", "--listen", ":8080", "--log-format", "json"]
