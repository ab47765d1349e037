{{/* Names, labels and the settings every role shares. */}}

{{- define "modelhub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "modelhub.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "modelhub.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "modelhub.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "modelhub.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "modelhub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "api") */}}
{{- define "modelhub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "modelhub.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "modelhub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "modelhub.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "modelhub.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret generated for dev mode (in-release PostgreSQL and MinIO). */}}
{{- define "modelhub.devSecret" -}}
{{- printf "%s-dev" (include "modelhub.fullname" .) -}}
{{- end -}}

{{- define "modelhub.databaseUrl" -}}
{{- if .Values.dev.enabled -}}
{{- printf "jdbc:postgresql://%s-postgresql:5432/modelhub?currentSchema=modelhub" (include "modelhub.fullname" .) -}}
{{- else -}}
{{- required "database.url is required (or use values-dev.yaml to run PostgreSQL in the release)" .Values.database.url -}}
{{- end -}}
{{- end -}}

{{- define "modelhub.databaseSecret" -}}
{{- if .Values.dev.enabled -}}{{ include "modelhub.devSecret" . }}{{- else -}}
{{- required "database.existingSecret is required: a Secret with the database user and password" .Values.database.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "modelhub.storageEndpoint" -}}
{{- if .Values.dev.enabled -}}
{{- printf "http://%s-minio:9000" (include "modelhub.fullname" .) -}}
{{- else -}}
{{- required "storage.endpoint is required (or use values-dev.yaml to run MinIO in the release)" .Values.storage.endpoint -}}
{{- end -}}
{{- end -}}

{{- define "modelhub.storageSecret" -}}
{{- if .Values.dev.enabled -}}{{ include "modelhub.devSecret" . }}{{- else -}}
{{- required "storage.existingSecret is required: a Secret with the S3 access key and secret key" .Values.storage.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "modelhub.adminSecret" -}}
{{- if .Values.dev.enabled -}}{{ include "modelhub.devSecret" . }}{{- else -}}
{{- required "adminKey.existingSecret is required: a Secret with the first admin API key" .Values.adminKey.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* Environment of one role's container: (dict "root" $ "role" "api" "spec" .Values.api) */}}
{{- define "modelhub.env" -}}
{{- $root := .root -}}
- name: MODELHUB_ROLES
  value: {{ .role | quote }}
{{- if eq .role "serving" }}
- name: MODELHUB_SERVING_GRPC_PORT
  value: {{ $root.Values.serving.grpcPort | quote }}
{{- end }}
- name: SPRING_DATASOURCE_URL
  value: {{ include "modelhub.databaseUrl" $root | quote }}
- name: SPRING_DATASOURCE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "modelhub.databaseSecret" $root }}
      key: {{ if $root.Values.dev.enabled }}postgres-user{{ else }}{{ $root.Values.database.usernameKey }}{{ end }}
- name: SPRING_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "modelhub.databaseSecret" $root }}
      key: {{ if $root.Values.dev.enabled }}postgres-password{{ else }}{{ $root.Values.database.passwordKey }}{{ end }}
- name: MODELHUB_STORAGE_ENDPOINT
  value: {{ include "modelhub.storageEndpoint" $root | quote }}
- name: MODELHUB_STORAGE_BUCKET
  value: {{ $root.Values.storage.bucket | quote }}
- name: MODELHUB_STORAGE_REGION
  value: {{ $root.Values.storage.region | quote }}
- name: MODELHUB_STORAGE_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "modelhub.storageSecret" $root }}
      key: {{ if $root.Values.dev.enabled }}s3-access-key{{ else }}{{ $root.Values.storage.accessKeyKey }}{{ end }}
- name: MODELHUB_STORAGE_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "modelhub.storageSecret" $root }}
      key: {{ if $root.Values.dev.enabled }}s3-secret-key{{ else }}{{ $root.Values.storage.secretKeyKey }}{{ end }}
{{- if eq .role "api" }}
{{- /* Only API nodes make sure the admin key exists; the other roles never see it. */}}
- name: MODELHUB_ADMIN_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "modelhub.adminSecret" $root }}
      key: {{ if $root.Values.dev.enabled }}admin-key{{ else }}{{ $root.Values.adminKey.key }}{{ end }}
      optional: true
{{- end }}
- name: MODELHUB_STORAGE_SPOOL_DIR
  value: /var/lib/modelhub/spool
- name: MODELHUB_SERVING_CACHE_DIR
  value: /var/lib/modelhub/cache
- name: MODELHUB_SERVING_ENGINE_CACHE_DIR
  value: /var/lib/modelhub/engines
{{- /* The app's own bounds inside its volumes: the cache evicts down to 80 % of its volume, and
       one upload fits three times in the spool and, unpacked for validation, twice in the cache. */}}
{{- $cache := trimSuffix "Gi" (toString .spec.volumes.cache) | int }}
{{- $spool := trimSuffix "Gi" (toString .spec.volumes.spool) | int }}
- name: MODELHUB_SERVING_CACHE_MAX_SIZE
  value: {{ printf "%dGB" (max 1 (div (mul 4 $cache) 5)) | quote }}
{{- if eq .role "api" }}
- name: MODELHUB_UPLOAD_MAX_SIZE
  value: {{ printf "%dGB" (max 1 (min (div $spool 3) (div (mul 4 $cache) 10))) | quote }}
{{- end }}
{{- if hasKey .spec "validateVersions" }}
- name: MODELHUB_SERVING_VALIDATE_VERSIONS
  value: {{ .spec.validateVersions | quote }}
{{- end }}
{{- if or $root.Values.ingress.enabled $root.Values.forwardedHeaders.enabled }}
{{- /* Behind a proxy: the client's address (failure budget, audit) and scheme (Secure cookie)
       come from its X-Forwarded-* headers, trusted only from the proxies' addresses. */}}
- name: SERVER_FORWARD_HEADERS_STRATEGY
  value: native
{{- with $root.Values.forwardedHeaders.trustedProxies }}
- name: SERVER_TOMCAT_REMOTEIP_INTERNAL_PROXIES
  value: {{ . | quote }}
{{- end }}
{{- end }}
- name: MANAGEMENT_SERVER_PORT
  value: {{ $root.Values.managementPort | quote }}
- name: SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE
  value: {{ printf "%ds" (int .spec.shutdownSeconds) | quote }}
- name: HOME
  value: /tmp
- name: JAVA_TOOL_OPTIONS
  value: {{ printf "%s -Djava.io.tmpdir=/tmp" .spec.javaOpts | quote }}
{{- with $root.Values.jwt }}
{{- if .issuerUri }}
- name: SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI
  value: {{ .issuerUri | quote }}
- name: SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_AUDIENCES
  value: {{ required "jwt.audiences is required with jwt.issuerUri" .audiences | quote }}
{{- if .nameClaim }}
- name: MODELHUB_SECURITY_JWT_NAME_CLAIM
  value: {{ .nameClaim | quote }}
{{- end }}
{{- if .roleClaim }}
- name: MODELHUB_SECURITY_JWT_ROLE_CLAIM
  value: {{ .roleClaim | quote }}
{{- end }}
{{- if .modelsClaim }}
- name: MODELHUB_SECURITY_JWT_MODELS_CLAIM
  value: {{ .modelsClaim | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
