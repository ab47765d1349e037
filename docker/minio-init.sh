#!/bin/sh
# Creates the modelhub bucket and a MinIO user limited to it, so the application never holds
# MinIO's root credentials. Safe to run again.
# Used by docker-compose.yml and, as a copy in helm/modelhub/files, by the chart's dev mode.
set -eu
MINIO_URL="${MINIO_URL:-http://minio:9000}"
# MinIO may still be starting: try for two minutes.
tries=0
until mc alias set local "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "MinIO at $MINIO_URL did not answer" >&2; exit 1; }
  sleep 2
done
mc mb --ignore-existing local/modelhub
cat > /tmp/modelhub-policy.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
     "Resource": ["arn:aws:s3:::modelhub"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                   "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
     "Resource": ["arn:aws:s3:::modelhub/*"]}
  ]
}
JSON
mc admin policy create local modelhub-bucket /tmp/modelhub-policy.json 2>/dev/null || true
mc admin user add local "$MODELHUB_S3_ACCESS_KEY" "$MODELHUB_S3_SECRET_KEY"
mc admin policy attach local modelhub-bucket --user "$MODELHUB_S3_ACCESS_KEY" 2>/dev/null || true
