// Instance-store bundle fixtures: the AMI manifest `ec2-bundle-image` writes (version 2007-10-10) and
// seedBundle(), which stores a manifest and its parts (<name>.part.NN, named relative to the manifest's folder).
import { createHash } from "node:crypto";
import { S3Store } from "./store";
import { XmlElement, child, escapeXml, parseXml } from "./xml";

export interface ManifestOptions {
  /** Image name; the bundle is <name>.manifest.xml + <name>.part.00…; default "image". */
  name?: string;
  /** Part file names (relative to the manifest's folder) and their SHA1 hex digests. */
  parts: Array<{ filename: string; sha1: string }>;
  /** Default "x86_64". */
  architecture?: string;
  /** The bundling account (<image><user>); default "123456789012". */
  accountId?: string;
  /** Unbundled image size in bytes; default the parts' total. */
  size?: number;
  /** Bundled size in bytes (sum of the parts); default the parts' total. */
  bundledSize?: number;
  /** SHA1 hex of the image; default derived from the parts. */
  imageSha1?: string;
  kernelId?: string;
  ramdiskId?: string;
  /** virtual → device; default { ami: "sda1", root: "/dev/sda1" } as ec2-bundle-image writes. */
  blockDeviceMapping?: Record<string, string>;
}

/** Deterministic hex of `length` chars derived from a seed (stands in for keys, IVs, signatures). */
function fakeHex(seed: string, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += createHash("sha256").update(`${seed}:${i}`).digest("hex");
  return out.slice(0, length);
}

function tag(name: string, value: string | number, attrs = ""): string {
  return `<${name}${attrs}>${escapeXml(String(value))}</${name}>`;
}

/** The manifest XML as ec2-ami-tools writes it: compact, REXML's `<?xml version='1.0'?>` declaration. */
export function bundleManifestXml(opts: ManifestOptions): string {
  const name = opts.name ?? "image";
  const total = opts.bundledSize ?? opts.parts.length * 10 * 1024 * 1024;
  const seed = `${name}:${opts.parts.map((p) => p.sha1).join(",")}`;
  const bdm = opts.blockDeviceMapping ?? { ami: "sda1", root: "/dev/sda1" };
  const mappings = Object.keys(bdm)
    .sort()
    .map((v) => `<mapping>${tag("virtual", v)}${tag("device", bdm[v])}</mapping>`)
    .join("");
  const machine =
    `<machine_configuration>${tag("architecture", opts.architecture ?? "x86_64")}` +
    (mappings ? `<block_device_mapping>${mappings}</block_device_mapping>` : "") +
    (opts.kernelId ? tag("kernel_id", opts.kernelId) : "") +
    (opts.ramdiskId ? tag("ramdisk_id", opts.ramdiskId) : "") +
    `</machine_configuration>`;
  const parts = opts.parts
    .map(
      (p, i) =>
        `<part index="${i}">${tag("filename", p.filename)}${tag("digest", p.sha1, ' algorithm="SHA1"')}</part>`,
    )
    .join("");
  const image =
    `<image>${tag("name", name)}${tag("user", opts.accountId ?? "123456789012")}${tag("type", "machine")}` +
    tag("digest", opts.imageSha1 ?? fakeHex(`${seed}:digest`, 40), ' algorithm="SHA1"') +
    tag("size", opts.size ?? total) +
    tag("bundled_size", total) +
    tag("ec2_encrypted_key", fakeHex(`${seed}:ec2key`, 512), ' algorithm="AES-128-CBC"') +
    tag("user_encrypted_key", fakeHex(`${seed}:userkey`, 512), ' algorithm="AES-128-CBC"') +
    tag("ec2_encrypted_iv", fakeHex(`${seed}:ec2iv`, 512)) +
    tag("user_encrypted_iv", fakeHex(`${seed}:useriv`, 512)) +
    `<parts count="${opts.parts.length}">${parts}</parts></image>`;
  return (
    `<?xml version='1.0'?><manifest>${tag("version", "2007-10-10")}` +
    `<bundler>${tag("name", "ec2-ami-tools")}${tag("version", "1.5.7")}${tag("release", "5")}</bundler>` +
    `${machine}${image}${tag("signature", fakeHex(`${seed}:signature`, 512))}</manifest>`
  );
}

export interface ParsedManifest {
  name: string;
  architecture?: string;
  parts: Array<{ index: number; filename: string; digest: string }>;
}

/** Reads name, architecture and parts (ordered by index) from a bundle manifest. */
export function parseBundleManifest(xml: string): ParsedManifest {
  const root = parseXml(xml);
  if (root.name !== "manifest")
    throw new Error("not an AMI bundle manifest: the root element is not <manifest>");
  const image = child(root, "image");
  const partsEl = image && child(image, "parts");
  if (!image || !partsEl) throw new Error("not an AMI bundle manifest: <image><parts> is missing");
  const text = (e: XmlElement | undefined): string => e?.text.trim() ?? "";
  const parts = partsEl.children
    .filter((p) => p.name === "part")
    .map((p) => ({
      index: Number(p.attrs.index),
      filename: text(child(p, "filename")),
      digest: text(child(p, "digest")),
    }))
    .sort((a, b) => a.index - b.index);
  const machine = child(root, "machine_configuration");
  return {
    name: text(child(image, "name")),
    architecture: machine ? text(child(machine, "architecture")) || undefined : undefined,
    parts,
  };
}

export interface BundleSpec {
  bucket: string;
  /** Folder of the bundle inside the bucket, e.g. "bundles/web/" ("" = bucket root). */
  prefix?: string;
  /** Image name; default "image". */
  name?: string;
  /** How many parts (default 3, each `partSize` deterministic bytes), or the parts' contents. */
  parts?: number | Array<string | Buffer>;
  /** Bytes per generated part; default 1024 (real bundles use 10 MiB parts). */
  partSize?: number;
  architecture?: string;
  accountId?: string;
  /** Creates the bucket when missing, owned by this account in `region` (default us-east-1). */
  ownerAccountId?: string;
  region?: string;
}

export interface SeededBundle {
  bucket: string;
  manifestKey: string;
  partKeys: string[];
  /** `bucket/prefix/name.manifest.xml`, the RegisterImage ImageLocation. */
  imageLocation: string;
  manifestXml: string;
}

/** Writes a bundle's part objects and its manifest into the store and returns their keys. */
export function seedBundle(store: S3Store, spec: BundleSpec): SeededBundle {
  const name = spec.name ?? "image";
  let prefix = spec.prefix ?? "";
  if (prefix.startsWith("/")) prefix = prefix.slice(1);
  if (prefix && !prefix.endsWith("/")) prefix += "/";
  if (!store.hasBucket(spec.bucket)) {
    if (!spec.ownerAccountId) {
      throw new Error(
        `seedBundle: bucket ${spec.bucket} does not exist; create it with store.createBucket or pass ownerAccountId (and region)`,
      );
    }
    store.createBucket(spec.bucket, spec.ownerAccountId, spec.region ?? "us-east-1");
  }
  const contents: Buffer[] =
    typeof spec.parts === "object"
      ? spec.parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p))
      : Array.from({ length: spec.parts ?? 3 }, (_, i) =>
          Buffer.from(
            fakeHex(`${spec.bucket}/${prefix}${name}:part:${i}`, (spec.partSize ?? 1024) * 2),
            "hex",
          ),
        );
  if (contents.length === 0) throw new Error("seedBundle: a bundle needs at least one part");
  const width = Math.max(2, String(contents.length - 1).length);
  const parts = contents.map((body, i) => ({
    filename: `${name}.part.${String(i).padStart(width, "0")}`,
    sha1: createHash("sha1").update(body).digest("hex"),
    body,
  }));
  const total = contents.reduce((n, b) => n + b.length, 0);
  const manifestXml = bundleManifestXml({
    name,
    parts,
    architecture: spec.architecture,
    accountId: spec.accountId ?? store.getBucket(spec.bucket)?.ownerAccountId,
    bundledSize: total,
    imageSha1: createHash("sha1").update(Buffer.concat(contents)).digest("hex"),
  });
  const partKeys = parts.map((p) => `${prefix}${p.filename}`);
  parts.forEach((p, i) => store.putObject(spec.bucket, partKeys[i], p.body));
  const manifestKey = `${prefix}${name}.manifest.xml`;
  store.putObject(spec.bucket, manifestKey, manifestXml, { contentType: "text/xml" });
  return {
    bucket: spec.bucket,
    manifestKey,
    partKeys,
    imageLocation: `${spec.bucket}/${manifestKey}`,
    manifestXml,
  };
}
