# The operator image: the Go binary, and Debian's Ansible to run the roles,
# from the same package list CI installs (hack/apt-packages/ansible.txt).
# `make docker-build IMG=...` builds it where a container engine runs; none
# runs in CI, so test/image checks this file instead.

# Build: the Go version go.mod names.
FROM docker.io/library/golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
COPY pkg/ pkg/
ARG TARGETOS TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/foreman-operator ./cmd/foreman-operator

# Runtime: Debian bookworm, whose ansible-core 2.14 and kubernetes.core 2.4.0
# the roles are tested with; tini reaps the Ansible processes.
FROM docker.io/library/debian:bookworm-slim
COPY hack/apt-packages/ansible.txt /tmp/apt-packages.txt
RUN apt-get update \
    && sed -e 's/#.*//' /tmp/apt-packages.txt | xargs apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* /tmp/apt-packages.txt
# A non-root user in group 0, as OpenShift's arbitrary UIDs are.
RUN useradd --uid 1001 --gid 0 --home-dir /opt/foreman-operator --no-create-home --shell /usr/sbin/nologin foreman-operator
ENV HOME=/opt/foreman-operator
# The operator reads ./watches.yaml and finds roles in ./roles.
WORKDIR /opt/foreman-operator
COPY watches.yaml ./
COPY roles/ roles/
COPY playbooks/ playbooks/
COPY --from=build /out/foreman-operator /usr/local/bin/foreman-operator
USER 1001
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/foreman-operator"]
