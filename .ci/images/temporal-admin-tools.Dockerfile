# What deploy/temporal-schema.sh needs of the official temporalio/admin-tools
# image: a shell and temporal-sql-tool (built on the host at the version
# go.mod pins; the schemas are built into it).
ARG BASE
FROM ${BASE}
COPY temporal-sql-tool /usr/local/bin/temporal-sql-tool
USER nobody
