// S3 bundles: manifest parsing (table tests) and reading/checking/deleting exact keys against local-aws.
import assert from "node:assert/strict";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  checkBundleKeys,
  deleteKeys,
  existingKeys,
  ManifestRefusedError,
  parseImageLocation,
  parseManifestParts,
  readBundle,
} from "../../../provider/aws/bundles";
import { listKeys, manifestXml, putBundle, startEnv, type Env } from "../teardownFixtures";

describe("aws/bundles", () => {
  describe("parseImageLocation", () => {
    it("splits bucket and key", () => {
      assert.deepEqual(parseImageLocation("b/p/q/x.manifest.xml"), { bucket: "b", manifestKey: "p/q/x.manifest.xml" });
      assert.deepEqual(parseImageLocation("b/x.manifest.xml"), { bucket: "b", manifestKey: "x.manifest.xml" });
    });
    for (const bad of ["", "x.manifest.xml", "/x.manifest.xml", "b/", "b/x.xml", "b/x.manifest.xml.bak"]) {
      it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseImageLocation(bad), /bucket\/path\/name\.manifest\.xml/));
    }
  });

  describe("parseManifestParts", () => {
    it("reads filenames in order and decodes entities", () => {
      assert.deepEqual(parseManifestParts(manifestXml(["a.part.0", "a&amp;b.part.1"])), ["a.part.0", "a&b.part.1"]);
    });
    it("fails on a manifest without parts", () => {
      assert.throws(() => parseManifestParts("<manifest><image/></manifest>"), /no <parts>/);
      assert.throws(() => parseManifestParts("<manifest><parts count='0'></parts></manifest>"), /no parts/);
      assert.throws(() => parseManifestParts("<manifest><parts><part index='0'></part></parts></manifest>"), /no <filename>/);
    });
    const wrap = (inner: string) => `<?xml version="1.0"?><manifest><parts count="1">${inner}</parts></manifest>`;
    it("ignores a commented-out <part> (a regex returned it as a part)", () => {
      const xml = wrap(`<!-- <part index="9"><filename>../../other/evil</filename></part> --><part index="0"><filename>a.part.0</filename></part>`);
      assert.deepEqual(parseManifestParts(xml), ["a.part.0"]);
    });
    it("decodes CDATA instead of returning it verbatim", () => {
      assert.deepEqual(parseManifestParts(wrap(`<part><filename><![CDATA[a&b.part.0]]></filename></part>`)), ["a&b.part.0"]);
    });
    it("matches namespaced elements by local name", () => {
      const xml = `<m:manifest xmlns:m="urn:ec2"><m:parts><m:part><m:filename>x.part.0</m:filename></m:part></m:parts></m:manifest>`;
      assert.deepEqual(parseManifestParts(xml), ["x.part.0"]);
      const dflt = `<manifest xmlns="urn:ec2"><parts><part><filename>y.part.0</filename></part></parts></manifest>`;
      assert.deepEqual(parseManifestParts(dflt), ["y.part.0"]);
    });
    it("reads only <filename> directly under <parts><part>, not lookalikes elsewhere", () => {
      const xml = `<manifest><image><part><filename>not-a-part</filename></part></image><parts><part><filename>p.0</filename></part></parts></manifest>`;
      assert.deepEqual(parseManifestParts(xml), ["p.0"]);
    });
    for (const [what, name] of [
      ["a parent-folder escape", "../other-image/x.part.0"],
      ["a nested escape", "sub/../../x.part.0"],
      ["an absolute key", "/etc/x.part.0"],
      ["a \".\" segment", "./x.part.0"],
      ["an empty segment", "a//b"],
      ["a backslash", "..\\x"],
    ] as const) {
      it(`refuses ${what} (${JSON.stringify(name)}) naming the part`, () => {
        assert.throws(
          () => parseManifestParts(wrap(`<part><filename>${name}</filename></part>`)),
          (err: unknown) =>
            err instanceof ManifestRefusedError && (err.message.includes(name) || err.message.includes(JSON.stringify(name))),
        );
      });
    }
    it("refuses an empty filename and malformed XML", () => {
      assert.throws(() => parseManifestParts(wrap(`<part><filename>  </filename></part>`)), /empty <filename>/);
      assert.throws(() => parseManifestParts(`<manifest><parts><part><filename>a</filename></part></parts>`), /not well-formed XML/);
    });
    it("checkBundleKeys refuses a recorded key outside the manifest's folder", () => {
      assert.doesNotThrow(() => checkBundleKeys({ bucket: "b", manifestKey: "f/m.manifest.xml", partKeys: ["f/m.part.0"] }));
      assert.throws(() => checkBundleKeys({ bucket: "b", manifestKey: "f/m.manifest.xml", partKeys: ["g/m.part.0"] }), /outside the manifest's folder "f\/"/);
      assert.throws(() => checkBundleKeys({ bucket: "b", manifestKey: "f/m.manifest.xml", partKeys: ["f/../g/m.part.0"] }), /escapes/);
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
      await assert.rejects(readBundle(env.s3, "bundle-bkt/nope.manifest.xml"), /Cannot read the bundle manifest s3:\/\/bundle-bkt\/nope\.manifest\.xml: NoSuchKey/);
    });

    it("existingKeys reports only the given keys that exist (HeadObject and listing paths)", async () => {
      const b = await putBundle(env.s3, "bundle-bkt", "p/", "a", 5);
      await env.s3.send(new PutObjectCommand({ Bucket: "bundle-bkt", Key: "p/a.part.99", Body: "foreign" }));
      const keys = [b.manifestKey, ...b.partKeys, "p/missing"];
      assert.deepEqual(await existingKeys(env.s3, "bundle-bkt", keys), [b.manifestKey, ...b.partKeys]);
      assert.deepEqual(await existingKeys(env.s3, "bundle-bkt", [b.manifestKey, "p/missing"]), [b.manifestKey]);
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
      assert.deepEqual(env.aws.log.slice(from).map((e) => e.action), ["DeleteObjects", "DeleteObjects"]);
      assert.ok((await listKeys(env.s3, "bundle-bkt")).includes("many/keep"));
      assert.ok(!(await listKeys(env.s3, "bundle-bkt")).includes("many/k1"));
    });

    it("deleteKeys reports every key of a failed batch", async () => {
      const b = await putBundle(env.s3, "bundle-bkt", "f/", "f", 1);
      env.aws.faults.inject({ action: "DeleteObjects", code: "AccessDenied", status: 403, times: 1 });
      const r = await deleteKeys(env.s3, "bundle-bkt", [b.manifestKey, ...b.partKeys]);
      assert.deepEqual(r.failed.map((f) => [f.key, f.code]), [[b.manifestKey, "AccessDenied"], [b.partKeys[0], "AccessDenied"]]);
    });
  });
});
