// Plain HTTP to a fake provider, for the fake's own specs: the raw answer, and its JSON when it is JSON.

export interface Raw {
  status: number;
  contentType: string | null;
  location: string | null;
  text: string;
  json: Record<string, unknown>;
}

async function raw(res: Response): Promise<Raw> {
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // left empty: pages and some faults answer with a body that is not JSON
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    location: res.headers.get('location'),
    text,
    json,
  };
}

export function fakeHttp(base: () => string) {
  const url = (path: string, params: Record<string, string | undefined> = {}): string => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
    const qs = query.toString();
    return `${base()}${path}${qs ? `?${qs}` : ''}`;
  };
  return {
    get: async (path: string, params: Record<string, string | undefined> = {}): Promise<Raw> =>
      raw(await fetch(url(path, params), { redirect: 'manual' })),
    post: async (
      path: string,
      body: unknown,
      params: Record<string, string | undefined> = {},
      method = 'POST',
    ): Promise<Raw> =>
      raw(
        await fetch(url(path, params), {
          method,
          headers: { 'content-type': 'application/json' },
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
  };
}
