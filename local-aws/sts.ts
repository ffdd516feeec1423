/**
 * STS over the query protocol: `GetCallerIdentity` and `AssumeRole`. Temporary credentials act as
 * the role's account for every service until they expire on the simulated clock; then requests
 * signed with them answer `ExpiredToken` (STS, S3) or `RequestExpired` (EC2).
 */
import { createHash, randomBytes } from "node:crypto";
import type { SimClock } from "./clock";
import { escapeXml } from "./protocol/xml";

export const STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

/** One set of temporary credentials handed out by AssumeRole. */
export interface StsSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** The role's account: EC2/S3 calls signed with this key act as it. */
  accountId: string;
  roleArn: string;
  roleName: string;
  sessionName: string;
  /** Simulated epoch ms. */
  expiresAt: number;
}

/** An STS error: rendered as `<ErrorResponse><Error>` with AWS's code and HTTP status. */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** Sessions issued by AssumeRole, and the roles that refuse to be assumed. */
export class StsStore {
  readonly sessions = new Map<string, StsSession>();
  readonly deniedRoles: Set<string>;

  constructor(
    private readonly clock: SimClock,
    deniedRoleArns: readonly string[] = [],
  ) {
    this.deniedRoles = new Set(deniedRoleArns);
  }

  session(accessKeyId: string): StsSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** True when `accessKeyId` is a temporary key whose expiration has passed on the simulated clock. */
  expired(accessKeyId: string): boolean {
    const s = this.sessions.get(accessKeyId);
    return s !== undefined && this.clock.now() >= s.expiresAt;
  }

  reset(): void {
    this.sessions.clear();
  }

  getCallerIdentity(accessKeyId: string, accountId: string): string {
    const s = this.sessions.get(accessKeyId);
    const arn = s
      ? `arn:aws:sts::${s.accountId}:assumed-role/${s.roleName}/${s.sessionName}`
      : `arn:aws:iam::${accountId}:user/local-aws`;
    const userId = s ? `${uniqueId("AROA", s.roleArn)}:${s.sessionName}` : uniqueId("AIDA", accessKeyId);
    return result("GetCallerIdentity", { Arn: arn, UserId: userId, Account: s ? s.accountId : accountId });
  }

  assumeRole(params: Record<string, string>, callerAccountId: string): string {
    const roleArn = params.RoleArn ?? "";
    const sessionName = params.RoleSessionName ?? "";
    if (!roleArn)
      throw new StsError(
        "ValidationError",
        "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
      );
    if (!sessionName)
      throw new StsError(
        "ValidationError",
        "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
      );
    const m = ROLE_ARN.exec(roleArn);
    if (!m) throw new StsError("ValidationError", `${roleArn} is invalid`);
    if (!SESSION_NAME.test(sessionName))
      throw new StsError(
        "ValidationError",
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    const duration = params.DurationSeconds === undefined ? 3600 : Number(params.DurationSeconds);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200)
      throw new StsError(
        "ValidationError",
        `1 validation error detected: Value '${params.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      );
    if (this.deniedRoles.has(roleArn))
      throw new StsError(
        "AccessDenied",
        `User: arn:aws:iam::${callerAccountId}:user/local-aws is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        403,
      );
    const session: StsSession = {
      accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: randomBytes(48).toString("base64"),
      accountId: m[1],
      roleArn,
      roleName: m[2],
      sessionName,
      expiresAt: Math.floor((this.clock.now() + duration * 1000) / 1000) * 1000,
    };
    this.sessions.set(session.accessKeyId, session);
    return result("AssumeRole", {
      AssumedRoleUser: {
        Arn: `arn:aws:sts::${session.accountId}:assumed-role/${session.roleName}/${sessionName}`,
        AssumedRoleId: `${uniqueId("AROA", roleArn)}:${sessionName}`,
      },
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: new Date(session.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
      PackedPolicySize: "0",
    });
  }
}

/** Serve one STS query request; returns status and XML body. */
export function handleSts(
  store: StsStore,
  params: Record<string, string>,
  caller: { accessKeyId: string; accountId: string },
  requestId: string,
): { status: number; body: string; code?: string } {
  const action = params.Action ?? "";
  try {
    let body: string;
    if (action === "GetCallerIdentity") body = store.getCallerIdentity(caller.accessKeyId, caller.accountId);
    else if (action === "AssumeRole") body = store.assumeRole(params, caller.accountId);
    else
      throw new StsError(
        "InvalidAction",
        `Could not find operation ${action || "(none)"} for version 2011-06-15`,
      );
    return { status: 200, body: body.replace("{REQUEST_ID}", escapeXml(requestId)) };
  } catch (err) {
    if (!(err instanceof StsError)) throw err;
    return { status: err.status, body: renderStsError(err.code, err.message, requestId), code: err.code };
  }
}

export function renderStsError(code: string, message: string, requestId: string): string {
  const type = code === "InternalFailure" ? "Receiver" : "Sender";
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}

type Tree = { [key: string]: string | Tree };

function render(tree: Tree): string {
  return Object.entries(tree)
    .map(([k, v]) => `<${k}>${typeof v === "string" ? escapeXml(v) : render(v)}</${k}>`)
    .join("");
}

function result(action: string, tree: Tree): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${STS_NAMESPACE}">` +
    `<${action}Result>${render(tree)}</${action}Result>` +
    `<ResponseMetadata><RequestId>{REQUEST_ID}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** A stable IAM-style unique id (`AIDA…`, `AROA…`) for a key or role. */
function uniqueId(prefix: string, seed: string): string {
  return prefix + createHash("sha256").update(seed).digest("hex").slice(0, 17).toUpperCase();
}
