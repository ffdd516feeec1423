// S3 error codes with the HTTP status and message S3 itself uses. Rendered as
// <Error><Code/><Message/>…<Resource/><RequestId/><HostId/></Error>; HEAD answers carry no body.
import { el, escapeXml } from "./xml";

export class S3Error extends Error {
  constructor(
    public readonly code: string,
    public readonly status: number,
    message: string,
    /** Extra elements S3 adds to this error, e.g. BucketName, Key, ArgumentName. */
    public readonly details: Record<string, string> = {},
    /** Extra response headers, e.g. x-amz-bucket-region on a redirect. */
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const errors = {
  noSuchBucket: (bucket: string) =>
    new S3Error("NoSuchBucket", 404, "The specified bucket does not exist", { BucketName: bucket }),
  noSuchKey: (key: string) =>
    new S3Error("NoSuchKey", 404, "The specified key does not exist.", { Key: key }),
  accessDenied: () => new S3Error("AccessDenied", 403, "Access Denied"),
  bucketAlreadyExists: (bucket: string) =>
    new S3Error(
      "BucketAlreadyExists",
      409,
      "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
      { BucketName: bucket },
    ),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error(
      "BucketAlreadyOwnedByYou",
      409,
      "Your previous request to create the named bucket succeeded and you already own it.",
      { BucketName: bucket },
    ),
  bucketNotEmpty: (bucket: string) =>
    new S3Error("BucketNotEmpty", 409, "The bucket you tried to delete is not empty", { BucketName: bucket }),
  invalidBucketName: (bucket: string) =>
    new S3Error("InvalidBucketName", 400, "The specified bucket is not valid.", { BucketName: bucket }),
  illegalLocationConstraint: (constraint: string) =>
    new S3Error(
      "IllegalLocationConstraintException",
      400,
      constraint
        ? `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`
        : "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
    ),
  invalidLocationConstraint: (constraint: string) =>
    new S3Error("InvalidLocationConstraint", 400, "The specified location-constraint is not valid", {
      LocationConstraint: constraint,
    }),
  permanentRedirect: (bucket: string, region: string) =>
    new S3Error(
      "PermanentRedirect",
      301,
      "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
      { Endpoint: `s3.${region}.amazonaws.com`, Bucket: bucket },
      { "x-amz-bucket-region": region },
    ),
  malformedXml: () =>
    new S3Error(
      "MalformedXML",
      400,
      "The XML you provided was not well-formed or did not validate against our published schema",
    ),
  invalidArgument: (message: string, name: string, value: string) =>
    new S3Error("InvalidArgument", 400, message, { ArgumentName: name, ArgumentValue: value }),
  invalidRequest: (message: string) => new S3Error("InvalidRequest", 400, message),
  invalidDigest: () => new S3Error("InvalidDigest", 400, "The Content-MD5 you specified was invalid."),
  badDigest: (what: string) =>
    new S3Error(
      "BadDigest",
      400,
      what === "Content-MD5"
        ? "The Content-MD5 you specified did not match what we received."
        : `The ${what} you specified did not match the calculated checksum.`,
    ),
  sha256Mismatch: (client: string, computed: string) =>
    new S3Error(
      "XAmzContentSHA256Mismatch",
      400,
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      { ClientComputedContentSHA256: client, S3ComputedContentSHA256: computed },
    ),
  incompleteBody: () =>
    new S3Error(
      "IncompleteBody",
      400,
      "You did not provide the number of bytes specified by the Content-Length HTTP header",
    ),
  keyTooLong: () => new S3Error("KeyTooLongError", 400, "Your key is too long"),
  invalidRange: (size: number, range: string) =>
    new S3Error("InvalidRange", 416, "The requested range is not satisfiable", {
      RangeRequested: range,
      ActualObjectSize: String(size),
    }),
  preconditionFailed: (condition: string) =>
    new S3Error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold", {
      Condition: condition,
    }),
  methodNotAllowed: (method: string, resourceType: string) =>
    new S3Error("MethodNotAllowed", 405, "The specified method is not allowed against this resource.", {
      Method: method,
      ResourceType: resourceType,
    }),
  notImplemented: () =>
    new S3Error("NotImplemented", 501, "A header you provided implies functionality that is not implemented"),
};

/** The S3 XML error document. */
export function errorXml(err: S3Error, resource: string, requestId: string, hostId: string): string {
  const details = Object.entries(err.details)
    .map(([k, v]) => el(k, v))
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(err.code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message>${details}` +
    `${el("Resource", resource)}<RequestId>${escapeXml(requestId)}</RequestId><HostId>${escapeXml(hostId)}</HostId></Error>`
  );
}
