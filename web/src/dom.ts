type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
type Child = Node | string | null | undefined | false;

/** A small element builder: `on*` functions become listeners, `false`/`undefined` attributes are left out. */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]) => {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== undefined) el.setAttribute(name, String(value));
  }
  for (const child of children) if (child) el.append(child);
  return el;
};

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements (drawn charts and icons): attributes only, no listeners. */
export const svg = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: Child[]) => {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) if (child) el.append(child);
  return el;
};

/** The element with this id, which the page's HTML is expected to have. */
export const byId = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};

/**
 * Contract times (`2026-11-24T12:00:00`, local time without offset) shortened for a list:
 * today's (the browser's local today, as RuoYi's pages read such times) show the time, older ones the date.
 */
export const shortTime = (iso: string | null) => {
  if (!iso) return '';
  const [date, time = ''] = iso.split('T');
  return date === localDay(new Date()) ? time.slice(0, 5) : date;
};

/** `2026-11-24`: the browser's local day of `date`, as RuoYi's date pickers send days. */
export const localDay = (date: Date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
