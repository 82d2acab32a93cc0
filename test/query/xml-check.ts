/**
 * A small XML well-formedness check for the SVG tests (no parser dependency): one root, tags
 * balanced and properly nested, attributes quoted and unique, '&' only in entities, no '<' in text.
 * Returns the elements found, each with its attributes, for further checks.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

export function checkWellFormedXml(xml: string): XmlElement[] {
  const elements: XmlElement[] = [];
  const stack: string[] = [];
  let roots = 0;
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at offset ${pos}: ${why}: …${xml.slice(pos, pos + 60)}…`);
  };
  const checkText = (text: string) => {
    if (text.includes('<')) fail('raw < in text');
    if (text.replace(ENTITY, '').includes('&')) fail('raw & in text');
  };
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos);
    const text = xml.slice(pos, lt === -1 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== '') fail('text outside the root element');
    checkText(text);
    if (lt === -1) break;
    pos = lt;
    const gt = xml.indexOf('>', lt);
    if (gt === -1) fail('unclosed tag');
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('?') || tag.startsWith('!--')) {
      pos = gt + 1;
      continue;
    }
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (stack.pop() !== name) fail(`unexpected </${name}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z_][\w:.-]*)(.*)$/s.exec(body);
      if (!m) fail('bad tag name');
      const [, name = '', rest = ''] = m ?? [];
      const attrs: Record<string, string> = {};
      const attrRe = /\s+([A-Za-z_][\w:.-]*)="([^"]*)"/gy;
      let consumed = 0;
      for (let a = attrRe.exec(rest); a; a = attrRe.exec(rest)) {
        const [whole, key = '', value = ''] = a;
        if (key in attrs) fail(`duplicate attribute ${key}`);
        if (value.includes('<')) fail('< in attribute');
        if (value.replace(ENTITY, '').includes('&')) fail('raw & in attribute');
        attrs[key] = value;
        consumed += whole.length;
      }
      if (rest.slice(consumed).trim() !== '') fail(`junk in <${name}>: '${rest.slice(consumed)}'`);
      if (stack.length === 0) roots += 1;
      if (roots > 1) fail('more than one root element');
      elements.push({ name, attrs });
      if (!selfClosing) stack.push(name);
    }
    pos = gt + 1;
  }
  if (stack.length > 0) fail(`unclosed <${stack.at(-1)}>`);
  if (roots !== 1) fail('no root element');
  return elements;
}

/** The vertices of an SVG path made of M and L commands. */
export function pathVertices(d: string): { x: number; y: number }[] {
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
}
