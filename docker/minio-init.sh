#!/bin/sh
# Creates the modelhub bucket and a MinIO user limited to it, so the application never holds
# MinIO's root credentials. Safe to run again.
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
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
