import assert from "node:assert/strict";
import { parseTarget, s3ActionName } from "../../local-aws/s3";

describe("local-aws S3: s3ActionName", () => {
  const cases: Array<[string, string, string, string]> = [
    ["GET", "/", "", "ListBuckets"],
    ["PUT", "/b", "", "CreateBucket"],
    ["PUT", "/b/", "", "CreateBucket"],
    ["HEAD", "/b", "", "HeadBucket"],
    ["DELETE", "/b", "", "DeleteBucket"],
    ["GET", "/b", "list-type=2&prefix=x", "ListObjectsV2"],
    ["GET", "/b", "prefix=x", "ListObjects"],
    ["GET", "/b", "location", "GetBucketLocation"],
    ["GET", "/b", "versioning", "GetBucketVersioning"],
    ["POST", "/b", "delete", "DeleteObjects"],
    ["POST", "/b/", "delete=", "DeleteObjects"],
    ["PUT", "/b/k", "", "PutObject"],
    ["PUT", "/b/k", "x-id=PutObject", "PutObject"],
    ["PUT", "/b/k", "x-id=CopyObject", "CopyObject"],
    ["GET", "/b/a/b/c", "x-id=GetObject", "GetObject"],
    ["GET", "/b/a/b/c", "", "GetObject"],
    ["HEAD", "/b/k", "", "HeadObject"],
    ["DELETE", "/b/k", "x-id=DeleteObject", "DeleteObject"],
    ["POST", "/b/k", "uploads", "CreateMultipartUpload"],
    ["PUT", "/b/k", "partNumber=1&uploadId=u", "UploadPart"],
    ["PUT", "/b/k", "tagging", "PutObjectTagging"],
    ["GET", "/b", "acl", "GetBucketAcl"],
  ];
  for (const [method, path, query, name] of cases) {
    it(`${method} ${path}${query ? "?" + query : ""} → ${name}`, () => {
      assert.equal(s3ActionName(method, path, new URLSearchParams(query)), name);
    });
  }

  it("parseTarget decodes the bucket and the whole key, slashes included", () => {
    assert.deepEqual(parseTarget("/"), {});
    assert.deepEqual(parseTarget("/bkt"), { bucket: "bkt" });
    assert.deepEqual(parseTarget("/bkt/"), { bucket: "bkt" });
    assert.deepEqual(parseTarget("/bkt/a%20b/c%2Bd/%C3%BC"), { bucket: "bkt", key: "a b/c+d/ü" });
    assert.deepEqual(parseTarget("/bkt/a%2Fb"), { bucket: "bkt", key: "a/b" });
  });
});
