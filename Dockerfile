# Modelhub's image: one image for every role (MODELHUB_ROLES=api|serving|worker picks what a
# container runs). Build the jar first, then the image:
#   ./mvnw -DskipTests package && docker build -t modelhub:latest .
# (./mvnw spring-boot:build-image builds an equivalent image with buildpacks, without this file.)

# The jar's layers (dependencies change rarely, the application often), so a rebuild after a
# code change pushes only the last layer.
FROM eclipse-temurin:17-jre AS layers
WORKDIR /build
COPY target/modelhub-*.jar app.jar
RUN java -Djarmode=tools -jar app.jar extract --layers --launcher --destination extracted

FROM eclipse-temurin:17-jre
# A fixed non-root user (the Helm chart runs pods as 10001 with a read-only root file system).
# The writable paths are these three folders and /tmp; Kubernetes mounts emptyDir volumes there.
RUN groupadd --system --gid 10001 modelhub \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/modelhub --no-create-home \
      --shell /usr/sbin/nologin modelhub \
 && mkdir -p /var/lib/modelhub/spool /var/lib/modelhub/cache /var/lib/modelhub/engines \
 && chown -R 10001:10001 /var/lib/modelhub
WORKDIR /app
COPY --from=layers /build/extracted/dependencies/ ./
COPY --from=layers /build/extracted/spring-boot-loader/ ./
COPY --from=layers /build/extracted/snapshot-dependencies/ ./
COPY --from=layers /build/extracted/application/ ./
ENV MODELHUB_STORAGE_SPOOL_DIR=/var/lib/modelhub/spool \
    MODELHUB_SERVING_CACHE_DIR=/var/lib/modelhub/cache \
    MODELHUB_SERVING_ENGINE_CACHE_DIR=/var/lib/modelhub/engines \
    HOME=/var/lib/modelhub
USER 10001:10001
# 8080: HTTP (API, dashboard, /v2, /v1); 8081: OIP gRPC on serving nodes
EXPOSE 8080 8081
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
