// Small helpers for the sandbox's own HTML pages: escaping and one shared look. No scripts, no
// outside assets (the pages must work offline and under a strict CSP).

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:880px;padding:16px 20px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:1px 4px;border-radius:3px}.note{color:#666}
.sandbox{background:#fff3cd;border:1px solid #e0c36b;padding:6px 10px;border-radius:4px}
button{font-size:15px;padding:8px 16px;margin:4px 4px 4px 0;border:0;border-radius:4px;background:#07c160;color:#fff;cursor:pointer}
input,select{font-size:15px;padding:6px}`;

/** A whole page: title, the sandbox warning, the body (already HTML). */
export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><p class="sandbox">SANDBOX: nothing here is WeChat, Apple, Huawei or a carrier. Not for production.</p>${body}</body></html>`;
}

/** Whether the request comes from a browser showing pages (Accept names text/html). */
export function wantsHtml(accept: string | string[] | undefined): boolean {
  const value = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  return /\btext\/html\b/i.test(value);
}
