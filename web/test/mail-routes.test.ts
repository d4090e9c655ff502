import { describe, expect, it } from 'vitest';
import { parseRoute } from '../src/lib/router';

describe('mail routes', () => {
  it('names the account, the folder and the message', () => {
    expect(parseRoute('#/mail/A40/F3/M1200')).toMatchObject({ name: 'mail', accountId: 'A40', mailboxId: 'F3', emailId: 'M1200' });
    expect(parseRoute('#/mail')).toMatchObject({ name: 'mail', accountId: '', mailboxId: '', emailId: '' });
    const r = parseRoute('#/mail/A40/F3?q=radio&pj=1');
    expect(r.name === 'mail' && r.query.get('q')).toBe('radio');
    expect(parseRoute('#/preferences').name).toBe('preferences');
  });
  it('refuses ids that are not JMAP ids', () => {
    for (const h of ['#/mail/A40/F3/M1/extra', '#/mail/A%2F40', '#/mail/<script>', '#/mail/A40/..', `#/mail/${'a'.repeat(256)}`])
      expect(parseRoute(h).name).toBe('not-found');
  });
});
