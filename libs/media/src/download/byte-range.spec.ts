import { answerRange } from './byte-range';

describe('answerRange', () => {
  it('serves the whole content without a Range header', () => {
    expect(answerRange(undefined, 100)).toEqual({ kind: 'whole' });
  });

  it('serves a closed range', () => {
    expect(answerRange('bytes=10-19', 100)).toEqual({ kind: 'partial', start: 10, end: 19 });
  });

  it('serves an open range to the end', () => {
    expect(answerRange('bytes=90-', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
  });

  it('clips a range past the end to the end', () => {
    expect(answerRange('bytes=90-500', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
  });

  it('serves a suffix range, the whole content when the suffix is longer', () => {
    expect(answerRange('bytes=-10', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(answerRange('bytes=-500', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
  });

  it('finds a range starting at or past the end unsatisfiable', () => {
    expect(answerRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(answerRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
  });

  it('ignores what it does not honour: several ranges, other units, nonsense', () => {
    for (const header of ['bytes=0-1,5-6', 'items=0-1', 'bytes=x-y', 'bytes=-', 'bytes=5-2'])
      expect(answerRange(header, 100)).toEqual({ kind: 'whole' });
  });
});
