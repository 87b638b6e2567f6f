# The latefuse app image: the runtime jar (no broker test kit, no demo or bench) on a JRE.
# Build it first: mvn -q -DskipTests package
FROM eclipse-temurin:17-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/latefuse
COPY target/latefuse.jar /opt/latefuse/latefuse.jar
COPY config /config
RUN useradd --system --uid 10001 latefuse && mkdir -p /var/lib/latefuse && chown latefuse /var/lib/latefuse
USER latefuse
ENV LATEFUSE_KAFKA_STATE_DIR=/var/lib/latefuse
EXPOSE 9404
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/latefuse/latefuse.jar"]
CMD ["--help"]
