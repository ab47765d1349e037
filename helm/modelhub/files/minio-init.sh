#!/bin/sh
# Creates the bucket and a MinIO user that may use only that bucket, so the application never
# holds MinIO's root credentials, and expires what interrupted uploads leave under staging/.
# Safe to run again. Used by docker-compose.yml and, as a copy in helm/modelhub/files, by the
# chart's dev mode.
set -eu
MINIO_URL="${MINIO_URL:-http://minio:9000}"
BUCKET="${MODELHUB_BUCKET:-modelhub}"
# MinIO may still be starting: try for two minutes.
tries=0
until mc alias set local "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "MinIO at $MINIO_URL did not answer" >&2; exit 1; }
  sleep 2
done
mc mb --ignore-existing "local/$BUCKET"
# A node stopped in the middle of an upload may leave its staging object behind. (The MinIO
# image has no grep: match with the shell.)
case "$(mc ilm rule ls "local/$BUCKET" 2>/dev/null || true)" in
  *staging/*) ;;
  *) mc ilm rule add --prefix "staging/" --expire-days 1 "local/$BUCKET" ;;
esac
policy="${TMPDIR:-/tmp}/modelhub-policy.json"
cat > "$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
     "Resource": ["arn:aws:s3:::$BUCKET"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                                   "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
     "Resource": ["arn:aws:s3:::$BUCKET/*"]}
  ]
}
JSON
mc admin policy create local modelhub-bucket "$policy"
mc admin user add local "$MODELHUB_S3_ACCESS_KEY" "$MODELHUB_S3_SECRET_KEY"
# Attaching a policy that is already attached is the only error tolerated.
if ! out=$(mc admin policy attach local modelhub-bucket --user "$MODELHUB_S3_ACCESS_KEY" 2>&1); then
  case "$out" in
    *already*) ;;
    *) echo "$out" >&2; exit 1 ;;
  esac
fi
echo "bucket $BUCKET and user $MODELHUB_S3_ACCESS_KEY ready"
