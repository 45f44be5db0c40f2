import { maskPhone, maskPhonesInText } from './mask';

describe('phone masking', () => {
  it('masks a mainland number as +86 138****0000', () => {
    expect(maskPhone('+8613812340000')).toBe('+86 138****0000');
  });

  it('keeps only the last two digits of other numbers', () => {
    expect(maskPhone('+85261234567')).toBe('+*********67');
    expect(maskPhone('123')).toBe('****');
  });

  it('masks phone numbers inside free text, with or without +86', () => {
    const text = 'sent to +8613812340000, retry 13912345678 and 8613700001111; id 1732400000000';
    const masked = maskPhonesInText(text);
    expect(masked).toBe('sent to +86 138****0000, retry +86 139****5678 and +86 137****1111; id 1732400000000');
  });
});
