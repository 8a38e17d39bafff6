# PostgreSQL from Debian's packages, for CI, which can pull no image: the
# base is a debootstrapped Debian with postgresql-15 (.ci/compose-test).
# It takes the official postgres image's POSTGRES_USER and
# POSTGRES_PASSWORD, its data directory and its health check.
ARG BASE
FROM ${BASE}
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PGDATA=/var/lib/postgresql/data
RUN mkdir -p /var/run/postgresql "$PGDATA" \
 && chown -R postgres:postgres /var/run/postgresql /var/lib/postgresql \
 && chmod 700 "$PGDATA"
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["sh", "/usr/local/bin/postgres-entrypoint.sh"]
