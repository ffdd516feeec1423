import { escapeXml } from "./xml";

/** An EC2 API error: rendered as `<Response><Errors><Error>` with AWS's code and HTTP status. */
export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = defaultStatus(code),
  ) {
    super(message);
  }
}

/** AWS's HTTP status for an error code: throttling 503, server faults 500, dry run 412, else 400. */
export function defaultStatus(code: string): number {
  if (code === "RequestLimitExceeded" || code === "ServiceUnavailable" || code === "Unavailable") return 503;
  if (code === "InternalError" || code === "InternalFailure") return 500;
  if (code === "DryRunOperation") return 412;
  if (code === "UnauthorizedOperation") return 403;
  if (code === "AuthFailure") return 401;
  return 400;
}

export function renderEc2Error(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${escapeXml(requestId)}</RequestID></Response>`
  );
}

/** The S3 REST error document (used for injected faults on S3 calls). */
export function renderS3Error(code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></Error>`
  );
}

export const missing = (name: string): Ec2Error =>
  new Ec2Error("MissingParameter", `The request must contain the parameter ${name}`);

export const invalidValue = (message: string): Ec2Error => new Ec2Error("InvalidParameterValue", message);

export const dryRunOk = (): Ec2Error =>
  new Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
