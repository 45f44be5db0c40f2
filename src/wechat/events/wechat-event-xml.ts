import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { createHash } from 'node:crypto';

// WeChat's pushed XML, read with fast-xml-parser: every value kept as text (a CreateTime or an openid
// must not become a number), CDATA unwrapped, no DOCTYPE at all (nothing to expand).

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

/** The children of the root `<xml>` element, or null when the body is not such XML. */
export function parseWechatXml(text: string): Record<string, unknown> | null {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return null;
  if (XMLValidator.validate(text) !== true) return null;
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch {
    return null;
  }
  const root = (parsed as { xml?: unknown } | null)?.xml;
  return root && typeof root === 'object' && !Array.isArray(root) ? (root as Record<string, unknown>) : null;
}

export function field(xml: Record<string, unknown>, name: string): string | null {
  const value = xml[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** An event's type: `Event` for MsgType event (subscribe, SCAN, user_authorization_revoke, ...), else MsgType. */
export function eventTypeOf(xml: Record<string, unknown>): string | null {
  const msgType = field(xml, 'MsgType');
  const type = msgType === 'event' ? field(xml, 'Event') : msgType;
  return type && type.length <= 64 ? type : null;
}

/**
 * What makes a delivery the same one again: a message's MsgId; for an event (which has none), as WeChat
 * documents, FromUserName + CreateTime, plus Event and EventKey (two events of one person in the same
 * second differ there). Hashed: the key has a fixed size, and an openid is not spread into an index.
 */
export function dedupeKeyOf(xml: Record<string, unknown>): string {
  const msgId = field(xml, 'MsgId');
  const parts = msgId
    ? ['msg', msgId]
    : ['event', field(xml, 'FromUserName'), field(xml, 'CreateTime'), field(xml, 'Event'), field(xml, 'EventKey')];
  return createHash('sha256')
    .update(parts.map((p) => p ?? '').join('\n'))
    .digest('hex');
}
