// S3 bundles: manifest parsing (table tests) and reading/checking/deleting exact keys against local-aws.
import assert from "node:assert/strict";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  deleteKeys,
  existingKeys,
  parseImageLocation,
  parseManifestParts,
  readBundle,
} from "../../../provider/aws/bundles";
import { listKeys, manifestXml, putBundle, startEnv, type Env } from "../teardownFixtures";

describe("aws/bundles", () => {
  describe("parseImageLocation", () => {
    it("splits bucket and key", () => {
      assert.deepEqual(parseImageLocation("b/p/q/x.manifest.xml"), {
        bucket: "b",
        manifestKey: "p/q/x.manifest.xml",
      });
      assert.deepEqual(parseImageLocation("b/x.manifest.xml"), {
        bucket: "b",
        manifestKey: "x.manifest.xml",
      });
    });
    for (const bad of ["", "x.manifest.xml", "/x.manifest.xml", "b/", "b/x.xml", "b/x.manifest.xml.bak"]) {
      it(`rejects ${JSON.stringify(bad)}`, () =>
        assert.throws(() => parseImageLocation(bad), /bucket\/path\/name\.manifest\.xml/));
    }
  });

  describe("parseManifestParts (a real XML parser: these names decide which keys are deleted)", () => {
    const wrap = (parts: string, ns = "") =>
      `<?xml version="1.0"?><manifest${ns}><image><name>x</name><parts count="9">${parts}</parts></image></manifest>`;
    const part = (inner: string, i = 0) =>
      `<part index="${i}">${inner}<digest algorithm="SHA1">00</digest></part>`;
    it("reads filenames in order and decodes entities", () => {
      assert.deepEqual(parseManifestParts(manifestXml(["a.part.0", "a&amp;b.part.1"])), [
        "a.part.0",
        "a&b.part.1",
      ]);
    });
    const table: [string, string, string[]][] = [
      [
        "a commented-out part is not a part",
        wrap(
          part("<filename>a.part.0</filename>") +
            "<!-- " +
            part("<filename>old.part.9</filename>", 1) +
            " -->",
        ),
        ["a.part.0"],
      ],
      [
        "a comment inside a filename is not text",
        wrap(part("<filename>a.<!-- x -->part.0</filename>")),
        ["a.part.0"],
      ],
      [
        "CDATA is decoded, not returned verbatim",
        wrap(part("<filename><![CDATA[a&b.part.0]]></filename>")),
        ["a&b.part.0"],
      ],
      [
        "a default namespace is ignored",
        wrap(part("<filename>n.part.0</filename>"), ' xmlns="http://example.com/ami"'),
        ["n.part.0"],
      ],
      [
        "prefixed elements count by local name",
        `<m:manifest xmlns:m="urn:x"><m:image><m:parts><m:part index="0"><m:filename>p.part.0</m:filename></m:part></m:parts></m:image></m:manifest>`,
        ["p.part.0"],
      ],
      [
        "a <filename> outside image/parts/part is not a part",
        wrap(part("<filename>a.part.0</filename>")).replace("<name>x</name>", "<filename>evil</filename>"),
        ["a.part.0"],
      ],
    ];
    for (const [what, xml, expected] of table) {
      it(what, () => assert.deepEqual(parseManifestParts(xml), expected));
    }
    const refused: [string, string, RegExp][] = [
      ["../ escapes the manifest's folder", "../other/secret.part.0", /path separator/],
      ["an absolute key", "/etc/key.part.0", /path separator/],
      ["a nested path", "sub/a.part.0", /path separator/],
      ["a backslash path", "..\\a.part.0", /path separator/],
      ["..", "..", /names a folder/],
      ["an empty name", "   ", /is empty/],
    ];
    for (const [what, name, reason] of refused) {
      it(`refuses a part named ${what}`, () =>
        assert.throws(() => parseManifestParts(wrap(part(`<filename>${name}</filename>`))), reason));
    }
    it("fails on a manifest without parts, a part without a filename, or broken XML", () => {
      assert.throws(() => parseManifestParts("<manifest><image/></manifest>"), /no <image><parts>/);
      assert.throws(
        () => parseManifestParts("<manifest><image><parts count='0'></parts></image></manifest>"),
        /no parts/,
      );
      assert.throws(
        () =>
          parseManifestParts("<manifest><image><parts><part index='0'></part></parts></image></manifest>"),
        /no <filename>/,
      );
      assert.throws(
        () =>
          parseManifestParts("<manifest><image><parts><part><filename>a</part></parts></image></manifest>"),
        /not well-formed/,
      );
    });
  });

  describe("against local-aws", () => {
    let env: Env;
    beforeEach(async () => (env = await startEnv()));
    afterEach(async () => env.stop());

    it("readBundle: part keys are relative to the manifest's folder", async () => {
      const put = await putBundle(env.s3, "bundle-bkt", "deep/dir/", "img", 3);
      assert.deepEqual(await readBundle(env.s3, "bundle-bkt/deep/dir/img.manifest.xml"), put);
      const root = await putBundle(env.s3, "bundle-bkt", "", "top", 1);
      assert.deepEqual(await readBundle(env.s3, "bundle-bkt/top.manifest.xml"), root);
    });

    it("readBundle: a missing manifest is a clear error", async () => {
      await putBundle(env.s3, "bundle-bkt", "", "x", 1);
      await assert.rejects(
        readBundle(env.s3, "bundle-bkt/nope.manifest.xml"),
        /Cannot read the bundle manifest s3:\/\/bundle-bkt\/nope\.manifest\.xml: NoSuchKey/,
      );
    });

    it("existingKeys reports only the given keys that exist (HeadObject and listing paths)", async () => {
      const b = await putBundle(env.s3, "bundle-bkt", "p/", "a", 5);
      await env.s3.send(new PutObjectCommand({ Bucket: "bundle-bkt", Key: "p/a.part.99", Body: "foreign" }));
      const keys = [b.manifestKey, ...b.partKeys, "p/missing"];
      assert.deepEqual(await existingKeys(env.s3, "bundle-bkt", keys), [b.manifestKey, ...b.partKeys]);
      assert.deepEqual(await existingKeys(env.s3, "bundle-bkt", [b.manifestKey, "p/missing"]), [
        b.manifestKey,
      ]);
      assert.deepEqual(await existingKeys(env.s3, "no-such-bucket-here", [b.manifestKey]), []);
    });

    it("deleteKeys deletes exactly the given keys, in batches of at most 1000", async () => {
      await putBundle(env.s3, "bundle-bkt", "", "seed", 1);
      const keys = Array.from({ length: 1001 }, (_, i) => `many/k${i}`);
      await env.s3.send(new PutObjectCommand({ Bucket: "bundle-bkt", Key: "many/keep", Body: "x" }));
      await env.s3.send(new PutObjectCommand({ Bucket: "bundle-bkt", Key: "many/k1", Body: "x" }));
      const from = env.aws.log.length;
      const r = await deleteKeys(env.s3, "bundle-bkt", keys);
      assert.equal(r.deleted.length, 1001);
      assert.deepEqual(r.failed, []);
      assert.deepEqual(
        env.aws.log.slice(from).map((e) => e.action),
        ["DeleteObjects", "DeleteObjects"],
      );
      assert.ok((await listKeys(env.s3, "bundle-bkt")).includes("many/keep"));
      assert.ok(!(await listKeys(env.s3, "bundle-bkt")).includes("many/k1"));
    });

    it("deleteKeys reports every key of a failed batch", async () => {
      const b = await putBundle(env.s3, "bundle-bkt", "f/", "f", 1);
      env.aws.faults.inject({ action: "DeleteObjects", code: "AccessDenied", status: 403, times: 1 });
      const r = await deleteKeys(env.s3, "bundle-bkt", [b.manifestKey, ...b.partKeys]);
      assert.deepEqual(
        r.failed.map((f) => [f.key, f.code]),
        [
          [b.manifestKey, "AccessDenied"],
          [b.partKeys[0], "AccessDenied"],
        ],
      );
    });
  });
});
