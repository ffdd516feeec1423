/** A tiny XML writer for EC2 query-protocol answers (elements only, no attributes). */

export const EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

/** A value that renders as an element body: arrays become `<item>` lists, objects nest. */
export type XmlValue =
  string | number | boolean | Date | undefined | null | XmlValue[] | { [key: string]: XmlValue };

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) =>
    c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "&" ? "&amp;" : c === "'" ? "&apos;" : "&quot;",
  );
}

/** Render `{ key: value }` as a sequence of `<key>…</key>` elements, skipping undefined/null. */
export function fields(obj: { [key: string]: XmlValue }): string {
  let out = "";
  for (const [k, v] of Object.entries(obj)) out += element(k, v);
  return out;
}

export function element(name: string, v: XmlValue): string {
  if (v === undefined || v === null) return "";
  return `<${name}>${body(v)}</${name}>`;
}

function body(v: XmlValue): string {
  if (v === undefined || v === null) return "";
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((item) => element("item", item)).join("");
  if (typeof v === "object") return fields(v);
  return escapeXml(String(v));
}

/** The whole success document: `<ActionResponse xmlns=…><requestId/>…</ActionResponse>`. */
export function actionResponse(
  action: string,
  requestId: string,
  result: { [key: string]: XmlValue },
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NAMESPACE}">` +
    `<requestId>${escapeXml(requestId)}</requestId>${fields(result)}</${action}Response>`
  );
}
