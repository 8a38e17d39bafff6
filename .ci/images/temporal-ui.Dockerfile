# The Temporal Web UI server (github.com/temporalio/ui-server/v2 at the
# version go.mod pins, with its assets), built on the host; its
# config/docker.yaml is the module's, so it reads the same environment
# variables as the official temporalio/ui image.
FROM scratch
WORKDIR /home/ui-server
COPY ui-server ./ui-server
COPY docker.yaml ./config/docker.yaml
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["./ui-server", "--env", "docker", "start"]
