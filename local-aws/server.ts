import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { callerOf } from "./auth";
import type { SimClock } from "./clock";
import { EC2_ACTIONS } from "./ec2";
import type { Ec2Context, ManifestReader } from "./ec2/context";
import type { Ec2Store } from "./ec2/state";
import type { Faults, FaultSpec } from "./faults";
import { Ec2Error, defaultStatus, renderEc2Error, renderS3Error } from "./protocol/errors";
import { QueryParams } from "./protocol/query";
import { actionResponse } from "./protocol/xml";
import { handleS3, parseBundleManifest, s3ActionName, type S3Store } from "./s3";
import { handleOrganizations, type OrganizationStore } from "./organizations";
import { handleSts, renderStsError, type StsStore } from "./sts";
import type { Throttle } from "./throttle";

/** One served request, as tests see it in `aws.log`. */
export interface RequestLogEntry {
  service: "ec2" | "s3" | "sts" | "organizations" | "unknown";
  action: string;
  params: Record<string, string>;
  region: string;
  accountId: string;
  accessKeyId: string;
  status: number;
  code?: string;
  requestId: string;
  /** Simulated epoch milliseconds when the request arrived. */
  time: number;
}

export interface ServerDeps {
  clock: SimClock;
  ec2: Ec2Store;
  s3: S3Store;
  faults: Faults;
  throttle?: Throttle;
  log: RequestLogEntry[];
  accountIdFor(accessKeyId: string): string;
  supportsDeleteAssociatedSnapshots: boolean;
  /** STS sessions; undefined = an endpoint without STS (requests answer InvalidAction). */
  sts?: StsStore;
  /** Organizations (JSON 1.1); undefined = not served. */
  organizations?: OrganizationStore;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  code?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The request handler behind `startLocalAws`: routes by the SigV4 credential scope's service. */
export function createHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      serve(deps, req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "text/xml" });
          res.end(renderEc2Error("InternalError", `local-aws: ${String(err)}`, randomUUID()));
        }
      });
    });
  };
}

async function serve(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const requestId = randomUUID();
  const caller = callerOf(req.headers, url.searchParams);
  const entry: RequestLogEntry = {
    service: "unknown",
    action: "",
    params: {},
    region: caller?.region ?? "",
    accountId: "",
    accessKeyId: caller?.accessKeyId ?? "",
    status: 0,
    requestId,
    time: deps.clock.now(),
  };
  deps.log.push(entry);
  if (!caller) {
    return send(
      res,
      entry,
      ec2Error(
        new Ec2Error("AuthFailure", "AWS was not able to validate the provided access credentials", 401),
        requestId,
      ),
    );
  }
  const session = deps.sts?.session(caller.accessKeyId);
  entry.accountId = session ? session.accountId : deps.accountIdFor(caller.accessKeyId);
  if (session) {
    const token = req.headers["x-amz-security-token"] ?? url.searchParams.get("X-Amz-Security-Token");
    const expired = deps.sts?.expired(caller.accessKeyId) ?? false;
    if (expired || token !== session.sessionToken) {
      return send(res, entry, credentialError(caller.service, expired, requestId));
    }
  }
  if (caller.service === "sts" && deps.sts) {
    entry.service = "sts";
    const params = QueryParams.parse(body.toString("utf8"), url.searchParams).raw;
    entry.action = params.Action ?? "";
    entry.params = Object.fromEntries(
      Object.entries(params).filter(([k]) => k !== "Action" && k !== "Version"),
    );
    const fault = deps.faults.take("sts", entry.action, entry.region);
    if (fault && (await applyFault(req, res, entry, fault))) return;
    if (fault?.code) {
      const status = fault.status ?? defaultStatus(fault.code);
      const message = fault.message ?? `Injected ${fault.code}`;
      const body = renderStsError(fault.code, message, requestId);
      return send(res, entry, { status, headers: { "content-type": "text/xml" }, body, code: fault.code });
    }
    const out = handleSts(
      deps.sts,
      params,
      { accessKeyId: caller.accessKeyId, accountId: entry.accountId },
      requestId,
    );
    return send(res, entry, {
      status: out.status,
      headers: { "content-type": "text/xml" },
      body: out.body,
      code: out.code,
    });
  }
  if (caller.service === "organizations" && deps.organizations) {
    entry.service = "organizations";
    const target = String(req.headers["x-amz-target"] ?? "");
    const out = handleOrganizations(deps.organizations, target, body.toString("utf8"), entry.accountId);
    entry.action = out.action;
    try {
      entry.params = body.length ? (JSON.parse(body.toString("utf8")) as Record<string, string>) : {};
    } catch {
      entry.params = {};
    }
    return send(res, entry, {
      status: out.status,
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: out.body,
      code: out.code,
    });
  }
  if (caller.service === "ec2") return serveEc2(deps, req, res, body, url, entry);
  if (caller.service === "s3") return serveS3(deps, req, res, body, url, entry);
  entry.service = "unknown";
  if (caller.service === "sts") {
    // Like an EC2/S3-only endpoint: STS answers as an unknown action.
    return send(res, entry, {
      status: 400,
      headers: { "content-type": "text/xml" },
      body: renderStsError("InvalidAction", "local-aws was started without STS.", requestId),
      code: "InvalidAction",
    });
  }
  return send(
    res,
    entry,
    ec2Error(
      new Ec2Error("InvalidAction", `local-aws serves ec2 and s3, not '${caller.service}'.`),
      requestId,
    ),
  );
}

async function serveEc2(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  url: URL,
  entry: RequestLogEntry,
): Promise<void> {
  entry.service = "ec2";
  const params = QueryParams.parse(body.toString("utf8"), url.searchParams);
  const action = params.str("Action") ?? "";
  entry.action = action;
  entry.params = Object.fromEntries(
    Object.entries(params.raw).filter(([k]) => k !== "Action" && k !== "Version"),
  );
  const fault = deps.faults.take("ec2", action, entry.region);
  if (fault && (await applyFault(req, res, entry, fault))) return;
  if (fault?.code) {
    return send(
      res,
      entry,
      ec2Error(
        new Ec2Error(
          fault.code,
          fault.message ?? `Injected ${fault.code}`,
          fault.status ?? defaultStatus(fault.code),
        ),
        entry.requestId,
      ),
    );
  }
  if (deps.throttle && action && !deps.throttle.take(entry.accountId, entry.region, action)) {
    return send(
      res,
      entry,
      ec2Error(new Ec2Error("RequestLimitExceeded", "Request limit exceeded.", 503), entry.requestId),
    );
  }
  const handler = EC2_ACTIONS[action];
  if (!handler) {
    return send(
      res,
      entry,
      ec2Error(
        new Ec2Error("InvalidAction", `The action ${action || "(none)"} is not valid for this web service.`),
        entry.requestId,
      ),
    );
  }
  deps.ec2.tick();
  deps.ec2.ensureRegion(entry.region);
  const ctx: Ec2Context = {
    accountId: entry.accountId,
    region: entry.region,
    requestId: entry.requestId,
    store: deps.ec2,
    params,
    manifests: manifestReader(deps.s3, entry.accountId),
    supportsDeleteAssociatedSnapshots: deps.supportsDeleteAssociatedSnapshots,
  };
  try {
    const result = handler(ctx);
    if (fault?.loseAnswer) {
      entry.status = 0;
      entry.code = "AnswerLost";
      req.socket.destroy();
      res.destroy();
      return;
    }
    return send(res, entry, {
      status: 200,
      headers: { "content-type": "text/xml;charset=UTF-8" },
      body: actionResponse(action, entry.requestId, result),
    });
  } catch (err) {
    if (err instanceof Ec2Error) return send(res, entry, ec2Error(err, entry.requestId));
    return send(
      res,
      entry,
      ec2Error(
        new Ec2Error("InternalError", `local-aws: ${(err as Error).stack ?? String(err)}`, 500),
        entry.requestId,
      ),
    );
  }
}

async function serveS3(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  url: URL,
  entry: RequestLogEntry,
): Promise<void> {
  entry.service = "s3";
  const method = req.method ?? "GET";
  const path = (req.url ?? "/").split("?")[0];
  entry.params = { method, path, ...Object.fromEntries(url.searchParams) };
  entry.action = s3ActionName(method, path, url.searchParams);
  const fault = deps.faults.take("s3", entry.action, entry.region);
  if (fault && (await applyFault(req, res, entry, fault))) return;
  if (fault?.code) {
    const status = fault.status ?? (fault.code === "SlowDown" ? 503 : defaultStatus(fault.code));
    return send(res, entry, {
      status,
      headers: { "content-type": "application/xml" },
      body: renderS3Error(fault.code, fault.message ?? `Injected ${fault.code}`, entry.requestId),
      code: fault.code,
    });
  }
  const out = await handleS3(
    { method, path, query: url.searchParams, headers: req.headers, body },
    { accountId: entry.accountId, region: entry.region, requestId: entry.requestId },
    deps.s3,
  );
  const bodyOut = out.body ?? "";
  const code =
    out.status >= 300 && typeof bodyOut === "string" ? /<Code>([^<]+)<\/Code>/.exec(bodyOut)?.[1] : undefined;
  return send(res, entry, { status: out.status, headers: { ...(out.headers ?? {}) }, body: bodyOut, code });
}

/** Latency and connection resets; true when the request is finished (connection dropped). */
async function applyFault(
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  fault: FaultSpec,
): Promise<boolean> {
  if (fault.latencyMs) await sleep(fault.latencyMs);
  if (fault.resetConnection) {
    entry.status = 0;
    entry.code = "ConnectionReset";
    req.socket.destroy();
    res.destroy();
    return true;
  }
  return false;
}

function manifestReader(s3: S3Store, accountId: string): ManifestReader {
  return {
    read: (bucket, key) => {
      const b = s3.getBucket(bucket);
      const obj = b && b.ownerAccountId === accountId ? b.objects.get(key) : undefined;
      if (!obj) return "missing";
      try {
        return { architecture: parseBundleManifest(obj.body.toString("utf8")).architecture };
      } catch {
        return "unparsable";
      }
    },
  };
}

/** Expired or mismatched temporary credentials, in each service's own words. */
function credentialError(service: string, expired: boolean, requestId: string): Reply {
  if (service === "ec2") {
    return expired
      ? ec2Error(new Ec2Error("RequestExpired", "Request has expired.", 400), requestId)
      : ec2Error(
          new Ec2Error("AuthFailure", "AWS was not able to validate the provided access credentials", 401),
          requestId,
        );
  }
  const code = expired ? "ExpiredToken" : service === "s3" ? "InvalidToken" : "InvalidClientTokenId";
  const message = expired
    ? service === "s3"
      ? "The provided token has expired."
      : "The security token included in the request is expired"
    : "The security token included in the request is invalid.";
  const status = expired ? 400 : 403;
  const body =
    service === "s3" ? renderS3Error(code, message, requestId) : renderStsError(code, message, requestId);
  return { status, headers: { "content-type": "text/xml" }, body, code };
}

function ec2Error(err: Ec2Error, requestId: string): Reply {
  return {
    status: err.status,
    headers: { "content-type": "text/xml;charset=UTF-8" },
    body: renderEc2Error(err.code, err.message, requestId),
    code: err.code,
  };
}

function send(res: ServerResponse, entry: RequestLogEntry, reply: Reply): void {
  entry.status = reply.status;
  if (reply.code) entry.code = reply.code;
  const headers: Record<string, string> = { "x-amzn-requestid": entry.requestId, ...reply.headers };
  if (entry.service === "s3" && !Object.keys(headers).some((h) => h.toLowerCase() === "x-amz-request-id")) {
    headers["x-amz-request-id"] = entry.requestId;
  }
  const body = typeof reply.body === "string" ? Buffer.from(reply.body, "utf8") : reply.body;
  if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-length"))
    headers["content-length"] = String(body.length);
  res.writeHead(reply.status, headers);
  res.end(body);
}
