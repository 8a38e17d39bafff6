# The Temporal server (go.temporal.io/server's cmd/server at the version
# go.mod pins), built on the host and configured by the same environment
# variables as the official temporalio/server image (temporal-config.yaml).
FROM scratch
COPY temporal-server /usr/local/bin/temporal-server
COPY temporal-config.yaml /etc/temporal/config/docker.yaml
# The server's telemetry set-up asks who runs it: $USER, as there is no
# /etc/passwd here.
ENV USER=temporal
USER 65532:65532
EXPOSE 7233
ENTRYPOINT ["/usr/local/bin/temporal-server", "--root", "/etc/temporal", "--config", "config", "--env", "docker", "start"]
