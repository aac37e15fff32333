"""S3: buckets, their settings and objects."""

from __future__ import annotations

from labctl.kinds import FREE, USAGE, Kind

KINDS = (
    Kind("aws:s3/bucket:Bucket", "bucket", USAGE, "storage and requests: a lab's few KB cost fractions of a cent", sweep="bucket"),
    Kind("aws:s3/bucketV2:BucketV2", "bucket", USAGE, "storage and requests", emulated="no lab creates one: the emulator has no handler for it yet", sweep="bucket"),
    Kind("aws:s3/bucketPolicy:BucketPolicy", "bucket policy", FREE, sweep_with="goes with its bucket"),
    Kind("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public access block", FREE, sweep_with="goes with its bucket"),
    Kind("aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration", "website configuration", FREE, sweep_with="goes with its bucket"),
    Kind("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "CORS configuration", FREE, sweep_with="goes with its bucket"),
    Kind("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "encryption configuration", FREE, sweep_with="goes with its bucket"),
    Kind("aws:s3/bucketObjectv2:BucketObjectv2", "object", USAGE, "storage of a few KB: fractions of a cent per month", sweep_with="goes with its bucket (emptied before it is deleted)", no_template="S3 objects are data uploaded with PutObject, not CloudFormation resources"),
)
