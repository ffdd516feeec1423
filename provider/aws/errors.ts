/**
 * The one place AWS error codes are recognised, by `err.name` (EC2 errors are not modelled
 * classes; the SDK sets `name` to the wire `Code`). Every helper takes `unknown` and never throws.
 */

/** The error's AWS code (`err.name`), or "" for anything that is not an Error-like object. */
export function errorCode(err: unknown): string {
  if (typeof err !== "object" || err === null) return "";
  const name = (err as { name?: unknown; Code?: unknown }).name ?? (err as { Code?: unknown }).Code;
  return typeof name === "string" ? name : "";
}

/** The error's message, or its string form. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string") {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** HTTP status of an SDK service error, if any. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

const is =
  (...codes: string[]) =>
  (err: unknown): boolean =>
    codes.includes(errorCode(err));

/** The AMI does not exist (any more): `InvalidAMIID.NotFound` or `InvalidAMIID.Unavailable`. */
export const isNotFoundImage = is("InvalidAMIID.NotFound", "InvalidAMIID.Unavailable");

/** An id AWS rejects as syntactically invalid (`InvalidAMIID.Malformed`, `InvalidSnapshotID.Malformed`, …). */
export function isMalformed(err: unknown): boolean {
  const code = errorCode(err);
  return code.endsWith(".Malformed") || code === "InvalidID";
}

/** The snapshot does not exist (any more). */
export const isSnapshotNotFound = is("InvalidSnapshot.NotFound");

/** The snapshot is still referenced by a registered image (or that image's deregistration is still settling). */
export const isSnapshotInUse = is("InvalidSnapshot.InUse");

/**
 * The snapshot is protected by EBS snapshot lock (governance, or compliance / cooling-off).
 * AWS answers DeleteSnapshot on a locked snapshot with `SnapshotLocked`; older or compatible
 * endpoints have used `InvalidSnapshot.Locked`, or `OperationNotPermitted` with a lock message.
 */
export function isSnapshotLocked(err: unknown): boolean {
  const code = errorCode(err);
  if (code === "SnapshotLocked" || code === "InvalidSnapshot.Locked") return true;
  return (
    (code === "OperationNotPermitted" || code === "IncorrectState") &&
    /\block(ed)?\b/i.test(errorMessage(err))
  );
}

/** The caller lacks permission (IAM or SCP), or its credentials are not accepted. */
export const isAccessDenied = is(
  "UnauthorizedOperation",
  "AccessDenied",
  "AccessDeniedException",
  "AuthFailure",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "RequestExpired",
);

/** Throttled by the service (the clients retry these; this is for reporting an exhausted budget). */
export function isThrottling(err: unknown): boolean {
  return (
    [
      "RequestLimitExceeded",
      "Throttling",
      "ThrottlingException",
      "SlowDown",
      "RequestThrottled",
      "TooManyRequestsException",
    ].includes(errorCode(err)) || httpStatus(err) === 429
  );
}

/** A transient failure: 5xx, timeout, or a dropped connection (also retried by the clients). */
export function isTransient(err: unknown): boolean {
  const status = httpStatus(err);
  if (status !== undefined && status >= 500) return true;
  const code = errorCode(err);
  const sysCode = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return (
    [
      "TimeoutError",
      "RequestTimeout",
      "RequestTimeoutException",
      "InternalError",
      "InternalFailure",
      "ServiceUnavailable",
      "Unavailable",
    ].includes(code) ||
    (typeof sysCode === "string" &&
      [
        "ECONNRESET",
        "ECONNREFUSED",
        "EPIPE",
        "ETIMEDOUT",
        "EHOSTUNREACH",
        "ENETUNREACH",
        "EAI_AGAIN",
      ].includes(sysCode))
  );
}

/** A `DryRun: true` call that would have succeeded. */
export const isDryRunOk = is("DryRunOperation");

/**
 * DeregisterImage refused because deregistration protection is on. Teardown reads the image's
 * `DeregistrationProtection` field first; this covers the race where it was turned on afterwards.
 */
export function isDeregistrationProtected(err: unknown): boolean {
  const code = errorCode(err);
  if (code === "DeregistrationProtectionEnabled" || code === "InvalidImage.DeregistrationProtected")
    return true;
  return (
    [
      "OperationNotPermitted",
      "InvalidParameterValue",
      "InvalidParameter",
      "IncorrectState",
      "UnsupportedOperation",
    ].includes(code) && /deregistration protection/i.test(errorMessage(err))
  );
}

/**
 * DescribeImageReferences cannot be answered: the endpoint does not know the action, or the identity
 * lacks `ec2:DescribeImageReferences` (the in-use guard then warns and proceeds).
 */
export function isImageReferencesUnavailable(err: unknown): boolean {
  return (
    [
      "InvalidAction",
      "UnknownOperation",
      "UnknownOperationException",
      "UnsupportedOperation",
      "NotImplemented",
    ].includes(errorCode(err)) ||
    ["UnauthorizedOperation", "AccessDenied", "AccessDeniedException"].includes(errorCode(err))
  );
}

/** The launch template does not exist (any more). */
export const isLaunchTemplateNotFound = is(
  "InvalidLaunchTemplateId.NotFound",
  "InvalidLaunchTemplateName.NotFoundException",
);

/** S3: the object (or the bucket) does not exist. HeadObject has no body, so a bare 404 counts too. */
export function isNoSuchKey(err: unknown): boolean {
  const code = errorCode(err);
  return (
    code === "NoSuchKey" ||
    code === "NotFound" ||
    (code !== "NoSuchBucket" && httpStatus(err) === 404 && code !== "AccessDenied")
  );
}

/** S3: the bucket does not exist. */
export const isNoSuchBucket = is("NoSuchBucket");

/** RegisterImage/CreateImage/CopyImage: an image with this name already exists in the region and account. */
export const isDuplicateImageName = is("InvalidAMIName.Duplicate");

/**
 * Why the endpoint cannot be reached at all — connection refused, DNS failure, no route, or no
 * connection within the connect timeout — or undefined for any other error (the endpoint answered).
 */
export function unreachableReason(err: unknown): string | undefined {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === "ECONNREFUSED") return "connection refused (nothing listens at that address and port)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the host name does not resolve (DNS: ${code})`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `no network route to the host (${code})`;
  if (errorCode(err) === "TimeoutError" && /establish a connection/i.test(errorMessage(err)))
    return "no connection within the connect timeout";
  return undefined;
}

/**
 * The endpoint does not serve STS: it answers STS as an unknown action, or nothing listens where STS
 * would be. Only the account check treats these as "skip"; every other call reports them.
 */
export function isStsUnavailable(err: unknown): boolean {
  const code = errorCode(err);
  if (
    ["InvalidAction", "UnknownOperation", "UnknownOperationException", "InvalidQueryParameter"].includes(code)
  )
    return true;
  if (httpStatus(err) === 404 || httpStatus(err) === 501) return true;
  const sysCode = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof sysCode === "string" && ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"].includes(sysCode);
}

/**
 * The endpoint does not implement the action (`InvalidAction`, `UnknownOperation`,
 * `NotImplemented`): a state read (locks, fast launch, Recycle Bin) that cannot be answered.
 */
export function isUnsupportedAction(err: unknown): boolean {
  const code = errorCode(err);
  return (
    ["InvalidAction", "UnknownOperation", "UnknownOperationException", "NotImplemented"].includes(code) ||
    httpStatus(err) === 501
  );
}

/** DisableFastLaunch on an image that has no fast launch (any more): nothing to disable. */
export function isFastLaunchNotEnabled(err: unknown): boolean {
  const code = errorCode(err);
  return (
    (code === "InvalidParameterValue" || code === "InvalidParameter") &&
    /fast launch|not enabled/i.test(errorMessage(err))
  );
}

/**
 * STS refused the credentials that EC2 may still accept (an STS endpoint other than the EC2 one, e.g. a
 * profile's ec2-only `endpoint_url`). Expired credentials are not included: every call would fail.
 */
export const isStsCredentialRefusal = is(
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "AccessDenied",
  "UnrecognizedClientException",
);
