/**
 * AWS Organizations over the JSON 1.1 protocol (`X-Amz-Target: AWSOrganizationsV20161128.<Action>`):
 * `ListAccounts` (paginated, at most 20 a page, `NextToken`) and `DescribeOrganization`. Only the
 * management account may call them; others get `AccessDeniedException`, and an endpoint with no
 * organization answers `AWSOrganizationsNotInUseException`, as AWS does.
 */

/** One member account. `status` is AWS's `Status`; `State` is reported alongside it. */
export interface OrgAccount {
  id: string;
  name: string;
  email?: string;
  status: "ACTIVE" | "SUSPENDED" | "PENDING_CLOSURE";
  /** Epoch ms; default the organization's creation. */
  joinedAt?: number;
}

/** The organization: its management account and its members (the management account included or not). */
export interface OrganizationSpec {
  managementAccountId: string;
  accounts: OrgAccount[];
  /** Default `o-exampleorgid`. */
  id?: string;
}

export const ORGANIZATIONS_TARGET_PREFIX = "AWSOrganizationsV20161128.";
const MAX_PAGE = 20;

/** An Organizations error: `{ "__type": code, "Message": … }` with HTTP 400. */
export class OrganizationsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The simulated organization (none by default); `set` replaces it, `reset` restores the option's. */
export class OrganizationStore {
  private org: OrganizationSpec | undefined;

  constructor(private readonly initial?: OrganizationSpec) {
    this.org = initial ? check(initial) : undefined;
  }

  get current(): OrganizationSpec | undefined {
    return this.org;
  }

  set(org: OrganizationSpec | undefined): void {
    this.org = org ? check(org) : undefined;
  }

  reset(): void {
    this.org = this.initial;
  }

  /** Every account of the organization, the management account first (as AWS lists it, by join order). */
  private members(org: OrganizationSpec): OrgAccount[] {
    const listed = org.accounts.some((a) => a.id === org.managementAccountId);
    return listed
      ? org.accounts
      : [{ id: org.managementAccountId, name: "management", status: "ACTIVE" }, ...org.accounts];
  }

  handle(action: string, input: Record<string, unknown>, callerAccountId: string): unknown {
    const org = this.org;
    if (action !== "ListAccounts" && action !== "DescribeOrganization") {
      throw new OrganizationsError(
        "UnknownOperationException",
        `local-aws: Organizations ${action || "(none)"} is not served.`,
      );
    }
    if (!org) {
      throw new OrganizationsError(
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization.",
      );
    }
    const orgId = org.id ?? "o-exampleorgid";
    const members = this.members(org);
    if (action === "DescribeOrganization") {
      if (!members.some((a) => a.id === callerAccountId)) {
        throw new OrganizationsError(
          "AWSOrganizationsNotInUseException",
          "Your account is not a member of an organization.",
        );
      }
      return {
        Organization: {
          Id: orgId,
          Arn: `arn:aws:organizations::${org.managementAccountId}:organization/${orgId}`,
          FeatureSet: "ALL",
          MasterAccountId: org.managementAccountId,
          MasterAccountArn: `arn:aws:organizations::${org.managementAccountId}:account/${orgId}/${org.managementAccountId}`,
        },
      };
    }
    if (callerAccountId !== org.managementAccountId) {
      throw new OrganizationsError(
        "AccessDeniedException",
        "You don't have permissions to access this resource. ListAccounts can be called only from the organization's management account or by a member account that is a delegated administrator.",
      );
    }
    const max = input.MaxResults === undefined ? MAX_PAGE : Number(input.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE) {
      throw new OrganizationsError("InvalidInputException", `MaxResults must be between 1 and ${MAX_PAGE}.`);
    }
    let start = 0;
    if (input.NextToken !== undefined) {
      const m = /^lst-(\d+)$/.exec(String(input.NextToken));
      if (!m || Number(m[1]) > members.length)
        throw new OrganizationsError("InvalidInputException", "The NextToken is not valid.");
      start = Number(m[1]);
    }
    const page = members.slice(start, start + max);
    const next = start + page.length;
    return {
      Accounts: page.map((a) => ({
        Id: a.id,
        Arn: `arn:aws:organizations::${org.managementAccountId}:account/${orgId}/${a.id}`,
        Email: a.email ?? `aws+${a.id}@example.com`,
        Name: a.name,
        Status: a.status,
        State: a.status === "PENDING_CLOSURE" ? "PENDING_CLOSURE" : a.status,
        JoinedMethod: a.id === org.managementAccountId ? "CREATED" : "INVITED",
        JoinedTimestamp: (a.joinedAt ?? Date.UTC(2024, 0, 1)) / 1000,
      })),
      ...(next < members.length ? { NextToken: `lst-${next}` } : {}),
    };
  }
}

function check(org: OrganizationSpec): OrganizationSpec {
  for (const id of [org.managementAccountId, ...org.accounts.map((a) => a.id)]) {
    if (!/^\d{12}$/.test(id))
      throw new Error(`local-aws: organization account id "${id}" must be 12 digits.`);
  }
  return org;
}

/** Serve one JSON 1.1 request: `target` is the X-Amz-Target header. */
export function handleOrganizations(
  store: OrganizationStore,
  target: string,
  body: string,
  callerAccountId: string,
): { status: number; body: string; action: string; code?: string } {
  const action = target.startsWith(ORGANIZATIONS_TARGET_PREFIX)
    ? target.slice(ORGANIZATIONS_TARGET_PREFIX.length)
    : "";
  try {
    let input: Record<string, unknown> = {};
    if (body.trim()) {
      try {
        input = JSON.parse(body) as Record<string, unknown>;
      } catch {
        throw new OrganizationsError("SerializationException", "The request body is not valid JSON.");
      }
    }
    return { status: 200, action, body: JSON.stringify(store.handle(action, input, callerAccountId)) };
  } catch (err) {
    if (!(err instanceof OrganizationsError)) throw err;
    return {
      status: err.status,
      action,
      code: err.code,
      body: JSON.stringify({ __type: err.code, Message: err.message }),
    };
  }
}
