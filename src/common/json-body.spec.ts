import express from 'express';
import request from 'supertest';
import { jsonBody, parseByteSize } from './json-body';

describe('jsonBody', () => {
  const app = express();
  app.use(jsonBody(64));
  app.post('/echo', (req, res) => res.json({ body: (req as { body?: unknown }).body ?? null }));

  it('parses a JSON body and leaves other types alone', async () => {
    expect((await request(app).post('/echo').send({ a: 1 })).body).toEqual({ body: { a: 1 } });
    expect((await request(app).post('/echo').set('content-type', 'text/plain').send('x')).body).toEqual({ body: null });
    expect((await request(app).post('/echo').set('content-type', 'application/json').send('')).body).toEqual({
      body: {},
    });
  });

  it('refuses a body over the limit with 413 and malformed JSON with 400', async () => {
    const big = await request(app)
      .post('/echo')
      .send({ text: 'x'.repeat(100) });
    expect(big.status).toBe(413);
    const bad = await request(app).post('/echo').set('content-type', 'application/json').send('{"a":');
    expect(bad.status).toBe(400);
  });

  it('reads sizes as HTTP_BODY_LIMIT writes them', () => {
    expect(parseByteSize('64kb')).toBe(65536);
    expect(parseByteSize('1mb')).toBe(1048576);
    expect(parseByteSize('10b')).toBe(10);
    expect(() => parseByteSize('lots')).toThrow();
  });
});
