// Just enough XML for S3: escaping for responses and a small parser for request bodies
// (CreateBucketConfiguration, Delete). Anything not well-formed raises MalformedXmlError.

export const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\r/g, "&#13;")
    .replace(/\n/g, "&#10;")
    .replace(/\t/g, "&#9;");
}

/** `<Name>value</Name>`, or "" when value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function xmlDocument(root: string, inner: string, namespaced = true): string {
  const ns = namespaced ? ` xmlns="${S3_NS}"` : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${inner}</${root}>`;
}

export interface XmlElement {
  name: string; // local name, namespace prefix removed
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export class MalformedXmlError extends Error {}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, ent: string) => {
    if (ent[0] === "#") {
      const code = ent[1] === "x" ? parseInt(ent.slice(2), 16) : parseInt(ent.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[ent] as string;
  });
}

function localName(name: string): string {
  const i = name.indexOf(":");
  return i >= 0 ? name.slice(i + 1) : name;
}

/** Parses a small XML document into a tree. Throws MalformedXmlError on anything not well-formed. */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const skipMisc = (): void => {
    for (;;) {
      while (pos < source.length && /\s/.test(source[pos])) pos++;
      if (source.startsWith("<?", pos)) {
        const end = source.indexOf("?>", pos);
        if (end < 0) throw new MalformedXmlError("unterminated processing instruction");
        pos = end + 2;
      } else if (source.startsWith("<!--", pos)) {
        const end = source.indexOf("-->", pos);
        if (end < 0) throw new MalformedXmlError("unterminated comment");
        pos = end + 3;
      } else return;
    }
  };
  const parseElement = (): XmlElement => {
    const open = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(
      source.slice(pos),
    );
    if (!open) throw new MalformedXmlError(`expected an element at offset ${pos}`);
    pos += open[0].length;
    const attrs: Record<string, string> = {};
    for (const a of open[2].matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attrs[localName(a[1])] = decodeEntities(a[2] ?? a[3] ?? "");
    }
    const node: XmlElement = { name: localName(open[1]), attrs, children: [], text: "" };
    if (open[3] === "/") return node;
    for (;;) {
      if (pos >= source.length) throw new MalformedXmlError(`unterminated element <${open[1]}>`);
      if (source.startsWith("</", pos)) {
        const close = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(source.slice(pos));
        if (!close || close[1] !== open[1])
          throw new MalformedXmlError(`mismatched closing tag at offset ${pos}`);
        pos += close[0].length;
        return node;
      }
      if (source.startsWith("<![CDATA[", pos)) {
        const end = source.indexOf("]]>", pos);
        if (end < 0) throw new MalformedXmlError("unterminated CDATA");
        node.text += source.slice(pos + 9, end);
        pos = end + 3;
      } else if (source.startsWith("<!--", pos)) {
        const end = source.indexOf("-->", pos);
        if (end < 0) throw new MalformedXmlError("unterminated comment");
        pos = end + 3;
      } else if (source[pos] === "<") {
        node.children.push(parseElement());
      } else {
        const next = source.indexOf("<", pos);
        const raw = source.slice(pos, next < 0 ? source.length : next);
        if (/&(?!(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);)/.test(raw)) {
          throw new MalformedXmlError("bad entity reference");
        }
        node.text += decodeEntities(raw);
        pos = next < 0 ? source.length : next;
      }
    }
  };
  skipMisc();
  const root = parseElement();
  skipMisc();
  if (pos !== source.length) throw new MalformedXmlError("content after the root element");
  return root;
}

export function child(node: XmlElement, name: string): XmlElement | undefined {
  return node.children.find((c) => c.name === name);
}
