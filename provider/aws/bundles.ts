/**
 * The S3 bundle of an instance-store AMI: `bucket/path/x.manifest.xml` plus the part files its
 * `<parts>` list names (keys relative to the manifest's folder). Read at create/adopt time; on
 * destroy exactly the recorded keys are deleted, never a listing or a prefix.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { SaxesParser } from "saxes";
import type { OwnedBundle } from "../types";
import { forPaginator } from "./clients";
import { errorCode, errorMessage, isNoSuchKey } from "./errors";

export type S3 = Pick<S3Client, "send">;

/** Split `bucket/path/x.manifest.xml` into bucket and key; throws a clear error for anything else. */
export function parseImageLocation(imageLocation: string): { bucket: string; manifestKey: string } {
  const slash = imageLocation.indexOf("/");
  const bucket = slash > 0 ? imageLocation.slice(0, slash) : "";
  const manifestKey = slash > 0 ? imageLocation.slice(slash + 1) : "";
  if (!bucket || !manifestKey || !manifestKey.endsWith(".manifest.xml")) {
    throw new Error(
      `imageLocation "${imageLocation}" is not an S3 bundle manifest: expected "bucket/path/name.manifest.xml".`,
    );
  }
  return { bucket, manifestKey };
}

/** The `bucket/key` image location of a recorded bundle. */
export function bundleLocation(bundle: OwnedBundle): string {
  return `${bundle.bucket}/${bundle.manifestKey}`;
}

/** A manifest (or recorded bundle) refused because of its content; the message names the cause. */
export class ManifestRefusedError extends Error {
  override name = "ManifestRefusedError";
}

function refuse(cause: string): never {
  throw new ManifestRefusedError(cause);
}

/**
 * A part file name is a plain relative name inside the manifest's folder: not empty, not absolute,
 * no `.`/`..` segment, no backslash or control character. Anything else could make destroy delete
 * a key outside the bundle, so it is refused, never deleted.
 */
export function checkPartName(name: string): string {
  if (name === "") refuse("a <part> has an empty <filename>");
  if (name.startsWith("/")) refuse(`the part name "${name}" is an absolute key`);
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f]/.test(name)) refuse(`the part name ${JSON.stringify(name)} contains a backslash or a control character`);
  if (name.split("/").some((segment) => segment === ".." || segment === "." || segment === "")) {
    refuse(`the part name "${name}" escapes the manifest's folder (empty, "." or ".." path segment)`);
  }
  return name;
}

/**
 * The part file names listed in a manifest's `<parts><part><filename>` entries, in order, read with
 * a real XML parser (saxes): comments are ignored, CDATA and entities decoded, namespace prefixes
 * matched by local name. Refuses malformed XML and part names that would leave the manifest's folder.
 */
export function parseManifestParts(xml: string): string[] {
  const parser = new SaxesParser({ xmlns: true });
  const stack: string[] = [];
  const names: string[] = [];
  let sawParts = false;
  let text: string | undefined;
  let partHasName = false;
  const inFilename = () => stack.length >= 3 && stack.at(-1) === "filename" && stack.at(-2) === "part" && stack.at(-3) === "parts";
  parser.on("opentag", (tag) => {
    stack.push(tag.local);
    if (tag.local === "parts") sawParts = true;
    if (tag.local === "part" && stack.at(-2) === "parts") partHasName = false;
    if (inFilename()) text = "";
  });
  const onText = (chunk: string) => {
    if (text !== undefined && inFilename()) text += chunk;
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("closetag", (tag) => {
    if (inFilename() && text !== undefined) {
      if (partHasName) refuse("a <part> of the manifest has more than one <filename>");
      names.push(checkPartName(text.trim()));
      partHasName = true;
      text = undefined;
    } else if (tag.local === "part" && stack.at(-2) === "parts" && !partHasName) {
      refuse("a <part> of the manifest has no <filename>");
    }
    stack.pop();
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof ManifestRefusedError) throw err;
    throw new ManifestRefusedError(`the manifest is not well-formed XML (${errorMessage(err)})`, { cause: err });
  }
  if (!sawParts) refuse("the manifest has no <parts> section");
  if (names.length === 0) refuse("the manifest lists no parts");
  return names;
}

/**
 * The recorded part keys of a bundle must all sit inside its manifest's folder (checked again at
 * destroy for records written before the parser refused escaping names). Throws naming the key.
 */
export function checkBundleKeys(bundle: OwnedBundle): void {
  const folder = bundle.manifestKey.includes("/") ? bundle.manifestKey.slice(0, bundle.manifestKey.lastIndexOf("/") + 1) : "";
  for (const key of bundle.partKeys) {
    if (!key.startsWith(folder)) refuse(`the recorded part key "${key}" is outside the manifest's folder "${folder}"`);
    checkPartName(key.slice(folder.length));
  }
}

/** Fetch the manifest at `imageLocation` and return the bundle it describes (manifest key + part keys). */
export async function readBundle(s3: S3, imageLocation: string): Promise<OwnedBundle> {
  const { bucket, manifestKey } = parseImageLocation(imageLocation);
  let xml: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKey }));
    xml = (await out.Body?.transformToString("utf-8")) ?? "";
  } catch (err) {
    throw new Error(`Cannot read the bundle manifest s3://${bucket}/${manifestKey}: ${errorCode(err) || "error"}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  let names: string[];
  try {
    names = parseManifestParts(xml);
  } catch (err) {
    throw new Error(`The bundle manifest s3://${bucket}/${manifestKey} is not usable: ${errorMessage(err)}.`, { cause: err });
  }
  const folder = manifestKey.includes("/") ? manifestKey.slice(0, manifestKey.lastIndexOf("/") + 1) : "";
  return { bucket, manifestKey, partKeys: [...new Set(names.map((name) => folder + name))] };
}

/** Every key of a bundle, manifest first. */
export function bundleKeys(bundle: OwnedBundle): string[] {
  return [...new Set([bundle.manifestKey, ...bundle.partKeys])];
}

/** Which of `keys` still exist in `bucket`: a listing under their common prefix, or HeadObject for a few keys. */
export async function existingKeys(s3: S3, bucket: string, keys: readonly string[]): Promise<string[]> {
  const wanted = new Set(keys);
  if (wanted.size === 0) return [];
  if (wanted.size <= 3) {
    const found: string[] = [];
    for (const key of wanted) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        found.push(key);
      } catch (err) {
        if (!isNoSuchKey(err) && errorCode(err) !== "NoSuchBucket") throw err;
      }
    }
    return found;
  }
  const prefix = commonPrefix([...wanted]);
  const found = new Set<string>();
  try {
    for await (const page of paginateListObjectsV2({ client: forPaginator(S3Client, s3) }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) if (object.Key && wanted.has(object.Key)) found.add(object.Key);
    }
  } catch (err) {
    if (errorCode(err) === "NoSuchBucket") return [];
    throw err;
  }
  return keys.filter((key) => found.has(key));
}

function commonPrefix(keys: string[]): string {
  let prefix = keys[0];
  for (const key of keys) while (!key.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

export interface KeyFailure {
  key: string;
  code: string;
  message: string;
}

/**
 * Delete exactly `keys` (DeleteObjects in batches of at most 1000) and report per-key failures.
 * A key that is already gone counts as deleted; so does a missing bucket.
 */
export async function deleteKeys(s3: S3, bucket: string, keys: readonly string[]): Promise<{ deleted: string[]; failed: KeyFailure[] }> {
  const unique = [...new Set(keys)];
  const deleted: string[] = [];
  const failed: KeyFailure[] = [];
  for (let i = 0; i < unique.length; i += 1000) {
    const batch = unique.slice(i, i + 1000);
    try {
      const out = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const errors = new Map((out.Errors ?? []).map((e) => [e.Key ?? "", e]));
      for (const key of batch) {
        const error = errors.get(key);
        if (!error || error.Code === "NoSuchKey") deleted.push(key);
        else failed.push({ key, code: error.Code ?? "Error", message: error.Message ?? "" });
      }
    } catch (err) {
      if (errorCode(err) === "NoSuchBucket") {
        deleted.push(...batch);
        continue;
      }
      for (const key of batch) failed.push({ key, code: errorCode(err) || "Error", message: errorMessage(err) });
    }
  }
  return { deleted, failed };
}
