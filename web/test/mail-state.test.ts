// The mail state's handling of pushes: a change the page made itself (a message
// marked read on opening) asks the server nothing more, and folder refreshes of
// one account never overlap.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jmap } from '../src/lib/jmap';
import { MailState, OWN_CHANGE_MS } from '../src/pages/mail/mail-state';
import type { MailboxInfo } from '../src/components/mail/mail-model';

const folder = (id: string, role: string, unread: number): MailboxInfo => ({ id, name: id, parentId: null, role, sortOrder: 0, totalEmails: 10, unreadEmails: unread });
type Pushable = { pushed(c: { '@type': 'StateChange'; changed: Record<string, Record<string, string>> }): void };
const push = (m: MailState, account: string, state: string) => (m as unknown as Pushable).pushed({ '@type': 'StateChange', changed: { [account]: { Email: state, Mailbox: state } } });

function withAccount(state = 's1') {
  const m = new MailState();
  m.accounts.set('A1', { folders: [folder('inbox', 'inbox', 3), folder('sent', 'sent', 0)], mailboxState: state, identity: null });
  m.noteEmailState('A1', state);
  return m;
}

afterEach(() => vi.restoreAllMocks());

describe('pushes of the page’s own changes', () => {
  it('a message read on opening: counts move at once, its push asks nothing', async () => {
    const call = vi.spyOn(jmap, 'call').mockResolvedValue({ list: [], state: 'x' });
    const changes = vi.spyOn(jmap, 'changes').mockResolvedValue({ reset: true, newState: 'x' });
    const m = withAccount('s1');
    m.beginOwnChange('A1', 't1');
    m.endOwnChange('A1', 't1', { oldState: 's1', newState: 's2', unread: { inbox: -1 } });
    expect(m.unread('A1')).toBe(2);
    push(m, 'A1', 's2');
    await Promise.resolve();
    expect(call).not.toHaveBeenCalled();
    expect(changes).not.toHaveBeenCalled();
  });

  it('a push that arrives before the answer waits for it, then asks nothing when it was ours', async () => {
    const call = vi.spyOn(jmap, 'call').mockResolvedValue({ list: [], state: 'x' });
    const m = withAccount('s1');
    m.beginOwnChange('A1', 't1');
    push(m, 'A1', 's2');
    expect(call).not.toHaveBeenCalled();
    m.endOwnChange('A1', 't1', { oldState: 's1', newState: 's2', unread: { inbox: -1 } });
    await Promise.resolve();
    expect(call).not.toHaveBeenCalled();
    expect(m.unread('A1')).toBe(2);
  });

  it('someone else’s change in between: the state is not taken, the push resynchronises', async () => {
    const call = vi.spyOn(jmap, 'call').mockResolvedValue({ list: [folder('inbox', 'inbox', 7)], state: 's3' });
    const changes = vi.spyOn(jmap, 'changes').mockResolvedValue({ reset: false, created: ['e9'], updated: ['e1'], destroyed: [], newState: 's3' });
    const m = withAccount('s1');
    m.beginOwnChange('A1', 't1');
    m.endOwnChange('A1', 't1', { oldState: 's2', newState: 's3', unread: { inbox: -1 } });
    expect(m.unread('A1')).toBe(3);
    push(m, 'A1', 's3');
    await vi.waitFor(() => expect(m.unread('A1')).toBe(7));
    expect(call).toHaveBeenCalledWith('Mailbox/get', expect.objectContaining({ accountId: 'A1' }));
    expect(changes).toHaveBeenCalledWith('A1', 'Email', 's1');
  });

  it('a failed change releases the held push, which is then handled', async () => {
    const call = vi.spyOn(jmap, 'call').mockResolvedValue({ list: [folder('inbox', 'inbox', 1)], state: 's2' });
    vi.spyOn(jmap, 'changes').mockResolvedValue({ reset: true, newState: 's2' });
    const m = withAccount('s1');
    m.beginOwnChange('A1', 't1');
    push(m, 'A1', 's2');
    m.endOwnChange('A1', 't1', null);
    await vi.waitFor(() => expect(m.unread('A1')).toBe(1));
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('never goes below zero unread', () => {
    const m = withAccount('s1');
    m.beginOwnChange('A1', 't1');
    m.endOwnChange('A1', 't1', { oldState: 's1', newState: 's2', unread: { sent: -1 } });
    expect(m.accounts.get('A1')!.folders.find((f) => f.id === 'sent')!.unreadEmails).toBe(0);
  });
});

describe('own changes that never end', () => {
  it('release the account’s pushes after OWN_CHANGE_MS; a late end changes nothing more', async () => {
    vi.useFakeTimers();
    try {
      const call = vi.spyOn(jmap, 'call').mockResolvedValue({ list: [folder('inbox', 'inbox', 9)], state: 's2' });
      vi.spyOn(jmap, 'changes').mockResolvedValue({ reset: true, newState: 's2' });
      const m = withAccount('s1');
      m.beginOwnChange('A1', 'lost');
      m.beginOwnChange('A1', 'ok');
      push(m, 'A1', 's2');
      m.endOwnChange('A1', 'ok', null);
      expect(call).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(OWN_CHANGE_MS);
      expect(call).toHaveBeenCalledTimes(1);
      m.endOwnChange('A1', 'lost', null);
      await vi.advanceTimersByTimeAsync(10);
      expect(call).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('folder refreshes', () => {
  it('calls while one runs make one more afterwards, not one each', async () => {
    let release: () => void = () => undefined;
    const call = vi.spyOn(jmap, 'call').mockImplementation(
      () => new Promise((ok) => (release = () => ok({ list: [folder('inbox', 'inbox', 5)], state: 's9' }))) as never,
    );
    const m = withAccount('s1');
    const first = m.refreshFolders('A1');
    const others = [m.refreshFolders('A1'), m.refreshFolders('A1'), m.refreshFolders('A1')];
    expect(call).toHaveBeenCalledTimes(1);
    release();
    await vi.waitFor(() => expect(call).toHaveBeenCalledTimes(2));
    release();
    await Promise.all([first, ...others]);
    expect(call).toHaveBeenCalledTimes(2);
    expect(m.unread('A1')).toBe(5);
  });
});
