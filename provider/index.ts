// Public API of pulumi-managed-ami.
export * from "./types";
