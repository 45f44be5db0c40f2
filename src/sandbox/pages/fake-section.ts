// One fake as the sandbox's pages show it: where it lives and a table of its endpoints.
import { escapeHtml } from './html';
import type { EndpointDoc, FakeDoc } from './sandbox-catalog';

/** Rows of endpoints under `base`; a plain GET of the sandbox's own is a link. */
export function endpointTable(base: string, endpoints: readonly EndpointDoc[], linkGets: boolean): string {
  const rows = endpoints.map((e) => {
    const url = `${base}${e.path}`;
    const shown =
      linkGets && e.method === 'GET' && !e.path.includes('…')
        ? `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`
        : escapeHtml(url);
    return `<tr><td><code>${e.method}</code></td><td><code>${shown}</code></td><td>${escapeHtml(e.what)}</td></tr>`;
  });
  return `<table>${rows.join('')}</table>`;
}

/** `base`: the fake's URL prefix as the reader reaches it (its mount path in the service). */
export function fakeSection(doc: FakeDoc, base: string, extra = ''): string {
  return `<h2 id="${escapeHtml(doc.name.toLowerCase().replace(/\W+/g, '-'))}">${escapeHtml(doc.name)} · <code>${escapeHtml(base || '/')}</code></h2>
<p>${escapeHtml(doc.summary)}</p>${extra}
<h3>For you (the person's side, the sandbox's controls)</h3>${endpointTable(base, doc.sandbox, true)}
<h3>What the service calls</h3>${endpointTable(base, doc.provider, false)}`;
}
