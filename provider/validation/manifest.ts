/**
 * `fromManifest.imageLocation`: `bucket/path/name.manifest.xml`, as RegisterImage takes it — an S3
 * bucket name under today's naming rules and an object key ending in `.manifest.xml`; no `s3://` or
 * `https://` scheme.
 */
import { show, typeName } from "./failures";

const FORM = "bucket/path/name.manifest.xml";

/** Why `name` is not a valid S3 bucket name (general purpose buckets), or `undefined`. */
export function bucketProblem(name: string): string | undefined {
  const rules =
    "3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit";
  if (name.length < 3 || name.length > 63) return `bucket name ${show(name)} must be ${rules}`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return `bucket name ${show(name)} must be ${rules}`;
  if (name.includes("..")) return `bucket name ${show(name)} has two adjacent dots`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return `bucket name ${show(name)} is formatted as an IP address`;
  for (const p of ["xn--", "sthree-", "amzn-s3-demo-"]) {
    if (name.startsWith(p)) return `bucket name ${show(name)} starts with the reserved prefix "${p}"`;
  }
  for (const s of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) {
    if (name.endsWith(s)) return `bucket name ${show(name)} ends with the reserved suffix "${s}"`;
  }
  return undefined;
}

/** `bucket/key` from an `s3://` or S3 `https://` URL, when it can be read off; else `undefined`. */
export function locationFromUrl(url: string): string | undefined {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/i.exec(url);
  if (s3) return `${s3[1]}/${s3[2]}`;
  const hosted = /^https?:\/\/([^/]+)\.s3[.-]([a-z0-9-]+\.)*amazonaws\.com(\.cn)?\/(.+)$/i.exec(url);
  if (hosted) return `${hosted[1]}/${hosted[4]}`;
  const pathStyle = /^https?:\/\/s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?\/([^/]+)\/(.+)$/i.exec(url);
  if (pathStyle) return `${pathStyle[3]}/${pathStyle[4]}`;
  return undefined;
}

/** Why `v` is not a valid image location (problem, then fix), or `undefined` when it is. */
export function imageLocationProblem(v: unknown): string | undefined {
  if (typeof v !== "string") return `must be a string "${FORM}", got ${typeName(v)} ${show(v)}.`;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (scheme) {
    const fixed = locationFromUrl(v);
    const use = fixed ? `use ${show(fixed)}` : `use the form ${FORM}`;
    return `${show(v)} starts with the scheme ${scheme[1]}://, but RegisterImage takes a plain S3 path; drop the scheme: ${use}.`;
  }
  const slash = v.indexOf("/");
  if (slash <= 0 || slash === v.length - 1) {
    return `${show(v)} is not an S3 path: expected ${FORM} (the bucket, a slash, then the manifest's key).`;
  }
  const bucket = v.slice(0, slash);
  const key = v.slice(slash + 1);
  const bad = bucketProblem(bucket);
  if (bad) return `${show(v)}: ${bad}; use the name of the bucket that holds the bundle, as in ${FORM}.`;
  const file = key.slice(key.lastIndexOf("/") + 1);
  if (!file.endsWith(".manifest.xml") || file.length === ".manifest.xml".length) {
    return `${show(v)} does not name a bundle manifest: the key must end in ".manifest.xml" (the file ec2-bundle-image writes), as in ${FORM}.`;
  }
  if (Buffer.byteLength(key, "utf8") > 1024)
    return `${show(v)}: the S3 key is longer than 1024 bytes; use a shorter path.`;
  return undefined;
}
