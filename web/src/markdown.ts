import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked, type Tokens } from 'marked';

// Only the languages a chat about code mostly shows, to keep the bundle small.
const LANGUAGES = { bash, css, java, javascript, json, python, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const highlight = (code: string, lang: string | undefined) => {
  const name = lang?.trim().split(/\s+/)[0]?.toLowerCase();
  if (name && hljs.getLanguage(name)) return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  return escapeHtml(code);
};

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    code({ text, lang }: Tokens.Code) {
      const label = lang ? `<span class="code-lang">${escapeHtml(lang)}</span>` : '';
      return `<pre class="code-block">${label}<code class="hljs">${highlight(text, lang)}</code></pre>`;
    },
  },
});

/**
 * An image a reply names becomes a link to it: loading it would send a request, with
 * whatever its URL carries, to any server a prompt injection chose. The link is made in
 * DOMPurify's inert document, where nothing loads, and is sanitised next like any link.
 */
const imageAsLink = (img: Element) => {
  const src = img.getAttribute('src');
  const label = img.getAttribute('alt') || src || '';
  if (!src) {
    img.replaceWith(img.ownerDocument.createTextNode(label));
    return;
  }
  const link = img.ownerDocument.createElement('a');
  link.setAttribute('href', src);
  link.setAttribute('class', 'image-link');
  link.textContent = `🖼 ${label}`;
  img.replaceWith(link);
};

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'IMG') imageAsLink(node);
  // Links in a reply open elsewhere and cannot reach back into this page.
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/**
 * A model reply as safe HTML: Markdown rendered, then sanitised, so HTML or script in the
 * reply is shown inert (no scripts, no event handlers, no javascript: URLs, no forms) and
 * loads nothing (images become links; media, srcset, posters, backgrounds and inline
 * styles, which could name a URL, are dropped).
 */
export const renderMarkdown = (text: string): string =>
  DOMPurify.sanitize(marked.parse(text, { async: false }), {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'picture', 'source', 'video', 'audio', 'track'],
    FORBID_ATTR: ['style', 'srcset', 'poster', 'background'],
  });
