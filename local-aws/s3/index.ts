// The S3-compatible half of the local AWS endpoint: path-style buckets and objects in memory.
// The local-aws server routes requests whose SigV4 scope service is `s3` to handleS3.
export { S3Store, canonicalUserId, compareKeys } from "./store";
export type { S3Bucket, S3Object, PutOptions } from "./store";
export { s3ActionName, parseTarget } from "./actions";
export { handleS3 } from "./handler";
export type { S3Request, S3Context, S3Response } from "./types";
export { S3Error } from "./errors";
export { seedBundle, bundleManifestXml, parseBundleManifest } from "./manifest";
export type { BundleSpec, SeededBundle, ManifestOptions, ParsedManifest } from "./manifest";
