/** +8613812340000 → +86 138****0000; anything shorter keeps only its last two digits. */
export function maskPhone(phone: string): string {
  const match = /^\+(86)(\d{3})\d{4}(\d{4})$/.exec(phone);
  if (match) return `+${match[1]} ${match[2]}****${match[3]}`;
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '****';
  return `${phone.startsWith('+') ? '+' : ''}${'*'.repeat(digits.length - 2)}${digits.slice(-2)}`;
}

// Phone-like digit runs (mainland mobiles with or without +86, other E.164 numbers) inside free text.
const PHONE_IN_TEXT = /(?<![\d+])(?:\+?86)?1[3-9]\d{9}(?!\d)|\+[1-9]\d{7,14}(?!\d)/g;

/** Masks every phone number found in a log message; a last line of defence, not the first. */
export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (found) =>
    maskPhone(found.startsWith('+') ? found : `+86${found.replace(/^86/, '')}`),
  );
}
