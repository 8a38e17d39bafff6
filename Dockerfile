# Concierge's production image: the concierge binary built with -tags nodev
# (without the embedded Temporal server and Web UI of `concierge dev`) and
# timetzdata (CONCIERGE_TZ needs no zoneinfo files), static, on scratch.
#
#   docker build -t concierge:latest .        # or: docker compose build
#
# Two ways to the same image: the last stage (the default) compiles in the
# golang image; the first, "prebuilt", takes a binary built on the host,
# which CI uses (no image registry there; its Go build cache makes the
# build fast): docker build --target prebuilt <dir with concierge and
# ca-certificates.crt>. It comes first so that Docker's classic builder,
# which builds every stage before the target, builds nothing else.

FROM scratch AS prebuilt
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY concierge /concierge
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["/concierge"]
CMD ["api"]

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -tags nodev,timetzdata -o /out/concierge ./cmd/concierge

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/concierge /concierge
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["/concierge"]
CMD ["api"]
