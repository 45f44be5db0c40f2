// The sandbox's cast: the people the docs, the /sandbox page and the fake WeChat's authorize pages
// offer. Any other label works too (a label is a person: the same label is the same human on every
// WeChat app); these are only the ones worth knowing by name.
export interface SandboxPerson {
  label: string;
  /** A mainland mobile number this person uses (SMS codes land in /sandbox/sms/outbox). */
  phone: string;
  /** What the person is handy for. */
  role: string;
}

export const SANDBOX_PEOPLE: readonly SandboxPerson[] = [
  { label: 'zhang', phone: '13800138001', role: 'WeChat on every channel; the mini program phone button' },
  { label: 'li', phone: '13800138002', role: 'a second WeChat person (two users, account conflicts)' },
  { label: 'ann', phone: '13900139001', role: 'Sign in with Apple (POST /sandbox/apple/authorize)' },
  { label: 'han', phone: '13600136001', role: 'Huawei ID, its phone coming with the login' },
  { label: 'chen', phone: '13700137001', role: 'carrier one-tap: the number the operator reports' },
];

/** The cast first, then whoever else the fake has met (anonymous people are left out), at most `max`. */
export function peopleToOffer(met: Iterable<string>, max = 12): string[] {
  const labels = SANDBOX_PEOPLE.map((p) => p.label);
  for (const label of met) {
    if (!label.startsWith('anonymous-') && !labels.includes(label)) labels.push(label);
  }
  return labels.slice(0, max);
}
