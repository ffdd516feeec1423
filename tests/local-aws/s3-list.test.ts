import assert from "node:assert/strict";
import { ListObjectsCommand, ListObjectsV2Command, paginateListObjectsV2 } from "@aws-sdk/client-s3";
import { ALICE, S3Env, rejectsWith, startS3Env } from "./s3-harness";

describe("local-aws S3: ListObjectsV2", () => {
  let env: S3Env;
  const bucket = "list-alice";
  // 25 keys: 3 folders of 7 plus 4 at the top level.
  const keys = [
    ...["a", "b", "c"].flatMap((d) =>
      Array.from({ length: 7 }, (_, i) => `${d}/obj-${String(i).padStart(2, "0")}`),
    ),
    "top-1",
    "top-2",
    "top-3",
    "z.manifest.xml",
  ];
  before(async () => {
    env = await startS3Env();
    env.store.createBucket(bucket, ALICE.account, "us-west-2");
    for (const k of keys) env.store.putObject(bucket, k, k);
  });
  after(async () => {
    await env.aws.stop();
  });
  const list = (input: Omit<ConstructorParameters<typeof ListObjectsV2Command>[0], "Bucket">) =>
    env.client().send(new ListObjectsV2Command({ Bucket: bucket, ...input }));

  it("lists every key in order with size, ETag, LastModified, StorageClass; KeyCount and IsTruncated false", async () => {
    const out = await list({});
    assert.deepEqual(
      out.Contents?.map((c) => c.Key),
      [...keys].sort(),
    );
    assert.equal(out.KeyCount, 25);
    assert.equal(out.IsTruncated, false);
    assert.equal(out.NextContinuationToken, undefined);
    assert.equal(out.MaxKeys, 1000);
    assert.equal(out.Name, bucket);
    const first = out.Contents![0];
    assert.equal(first.Size, Buffer.byteLength(first.Key!));
    assert.equal(first.ETag, env.store.getObject(bucket, first.Key!)?.etag);
    assert.equal(first.StorageClass, "STANDARD");
    assert.ok(first.LastModified instanceof Date);
    assert.equal(first.Owner, undefined, "Owner only with FetchOwner");
    const owned = await list({ MaxKeys: 1, FetchOwner: true });
    assert.ok(owned.Contents?.[0].Owner?.ID);
  });

  it("Prefix filters keys", async () => {
    const out = await list({ Prefix: "b/" });
    assert.deepEqual(
      out.Contents?.map((c) => c.Key),
      keys.filter((k) => k.startsWith("b/")),
    );
    assert.equal(out.Prefix, "b/");
    assert.equal(out.KeyCount, 7);
  });

  it("Delimiter rolls keys up into CommonPrefixes, which count toward KeyCount", async () => {
    const out = await list({ Delimiter: "/" });
    assert.deepEqual(
      out.CommonPrefixes?.map((p) => p.Prefix),
      ["a/", "b/", "c/"],
    );
    assert.deepEqual(
      out.Contents?.map((c) => c.Key),
      ["top-1", "top-2", "top-3", "z.manifest.xml"],
    );
    assert.equal(out.KeyCount, 7);
    assert.equal(out.Delimiter, "/");
    const nested = await list({ Prefix: "a/obj-0", Delimiter: "-" });
    assert.equal(nested.CommonPrefixes, undefined);
    assert.equal(nested.KeyCount, 7);
  });

  it("paginateListObjectsV2 walks all keys in pages of PageSize with continuation tokens", async () => {
    const seen: string[] = [];
    const pages: Array<{ count: number; truncated: boolean; next?: string }> = [];
    for await (const page of paginateListObjectsV2(
      { client: env.client(), pageSize: 7 },
      { Bucket: bucket },
    )) {
      seen.push(...(page.Contents ?? []).map((c) => c.Key as string));
      pages.push({
        count: page.KeyCount ?? -1,
        truncated: Boolean(page.IsTruncated),
        next: page.NextContinuationToken,
      });
    }
    assert.deepEqual(seen, [...keys].sort());
    assert.deepEqual(
      pages.map((p) => p.count),
      [7, 7, 7, 4],
    );
    assert.deepEqual(
      pages.map((p) => p.truncated),
      [true, true, true, false],
    );
    assert.ok(pages.slice(0, 3).every((p) => typeof p.next === "string" && p.next.length > 0));
    assert.equal(pages[3].next, undefined);
  });

  it("pagination with a delimiter never repeats a common prefix across pages", async () => {
    const prefixes: string[] = [];
    const contents: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: env.client(), pageSize: 2 },
      { Bucket: bucket, Delimiter: "/" },
    )) {
      prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix as string));
      contents.push(...(page.Contents ?? []).map((c) => c.Key as string));
    }
    assert.deepEqual(prefixes, ["a/", "b/", "c/"]);
    assert.deepEqual(contents, ["top-1", "top-2", "top-3", "z.manifest.xml"]);
  });

  it("StartAfter starts after the given key and is echoed", async () => {
    const out = await list({ StartAfter: "c/obj-05" });
    assert.deepEqual(
      out.Contents?.map((c) => c.Key),
      ["c/obj-06", "top-1", "top-2", "top-3", "z.manifest.xml"],
    );
    assert.equal(out.StartAfter, "c/obj-05");
  });

  it("MaxKeys 0 returns nothing and is not truncated; MaxKeys above 1000 is capped at 1000", async () => {
    const none = await list({ MaxKeys: 0 });
    assert.equal(none.KeyCount, 0);
    assert.equal(none.Contents, undefined);
    assert.equal(none.IsTruncated, false);
    const big = "big-list";
    env.store.createBucket(big, ALICE.account, "us-west-2");
    for (let i = 0; i < 1005; i++) env.store.putObject(big, `k/${String(i).padStart(4, "0")}`, "");
    const first = await env.client().send(new ListObjectsV2Command({ Bucket: big, MaxKeys: 5000 }));
    assert.equal(first.KeyCount, 1000);
    assert.equal(first.IsTruncated, true);
    const rest = await env
      .client()
      .send(new ListObjectsV2Command({ Bucket: big, ContinuationToken: first.NextContinuationToken }));
    assert.deepEqual(
      rest.Contents?.map((c) => c.Key),
      ["k/1000", "k/1001", "k/1002", "k/1003", "k/1004"],
    );
    assert.equal(rest.ContinuationToken, first.NextContinuationToken);
  });

  it("a bad max-keys or continuation token is InvalidArgument (400)", async () => {
    const res = await env.raw({ method: "GET", path: `/${bucket}?list-type=2&max-keys=-1` });
    assert.equal(res.status, 400);
    assert.match(res.body, /<Code>InvalidArgument<\/Code>/);
    assert.match(res.body, /<ArgumentName>max-keys<\/ArgumentName>/);
    await rejectsWith(list({ ContinuationToken: "bm90LWEtdG9rZW4=" }), "InvalidArgument", 400);
  });

  it("orders keys by UTF-8 bytes, as S3 does (not by UTF-16 code units)", async () => {
    const b = "utf8-order";
    env.store.createBucket(b, ALICE.account, "us-west-2");
    const ks = ["\u{1F600}", "\uFF61", "a", "Z"]; // UTF-16 would put the emoji (surrogates) before U+FF61
    for (const k of ks) env.store.putObject(b, k, "");
    const out = await env.client().send(new ListObjectsV2Command({ Bucket: b }));
    assert.deepEqual(
      out.Contents?.map((c) => c.Key),
      ["Z", "a", "\uFF61", "\u{1F600}"],
    );
  });

  it("listing a missing bucket is NoSuchBucket (404)", async () => {
    await rejectsWith(
      env.client().send(new ListObjectsV2Command({ Bucket: "no-such-bucket-l" })),
      "NoSuchBucket",
      404,
    );
  });

  it("ListObjects (v1) pages with Marker, and NextMarker when a delimiter is given", async () => {
    const out = await env
      .client()
      .send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 2, Delimiter: "/" }));
    assert.deepEqual(
      out.CommonPrefixes?.map((p) => p.Prefix),
      ["a/", "b/"],
    );
    assert.equal(out.IsTruncated, true);
    assert.equal(out.NextMarker, "b/");
    const next = await env.client().send(new ListObjectsCommand({ Bucket: bucket, Marker: "c/obj-06" }));
    assert.deepEqual(
      next.Contents?.map((c) => c.Key),
      ["top-1", "top-2", "top-3", "z.manifest.xml"],
    );
  });
});
