import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce, Latest } from '../src/lib/debounce';

describe('debounce', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls once with the last arguments, wait ms after the last call', () => {
    const fn = vi.fn();
    const d = debounce(fn, 200);
    d('j');
    vi.advanceTimersByTime(150);
    d('je');
    vi.advanceTimersByTime(150);
    d('jea');
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(199);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith('jea');
  });

  it('cancel drops the pending call; flush runs it now', () => {
    const fn = vi.fn();
    const d = debounce(fn, 100);
    d(1);
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).not.toHaveBeenCalled();
    d(2);
    d.flush();
    expect(fn).toHaveBeenCalledWith(2);
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe('Latest', () => {
  it('aborts the previous request so an old answer never wins', () => {
    const l = new Latest();
    const a = l.next();
    const b = l.next();
    expect(a.aborted).toBe(true);
    expect(b.aborted).toBe(false);
    l.cancel();
    expect(b.aborted).toBe(true);
  });
});
