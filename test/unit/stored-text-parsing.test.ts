// The export reads the stored text without building snapshots: the best level out of the JSON
// text (whatever the text, the answer must be JSON.parse's) and times a second at a time.
import { describe, expect, it } from 'vitest';
import { bestLevel } from '../../src/archive/best-level.js';
import { EpochMicrosReader, toEpochMicros } from '../../src/timestamp.js';

const parsed = (json: string) => {
  const level = (JSON.parse(json) as unknown[][])[0];
  return level === undefined ? undefined : [String(level[0]), String(level[1])];
};

describe('bestLevel', () => {
  it.each([
    '[]',
    '[["97250.01","0.50000000",3]]',
    '[["97250.01","0.50000000",3],["97250.00","1.00000000",2]]',
    '[["0.00001234","1e-8"]]',
    '[["5","2","extra"]]',
    '[ ["1", "2"] ]',
    '[["1\\"x","2"]]',
    '[["1","2\\u0041"]]',
    '[[1,2]]',
  ])('reads %s as JSON.parse does', (json) => {
    expect(bestLevel(json)).toEqual(parsed(json));
  });

  it('throws on text that is not JSON, as JSON.parse does', () => {
    expect(() => bestLevel('[["1","2"')).toThrow(SyntaxError);
  });
});

describe('EpochMicrosReader', () => {
  it('gives what toEpochMicros gives, across seconds, days and odd input', () => {
    const reader = new EpochMicrosReader();
    const times = [
      '2026-11-24T10:00:00.000000Z',
      '2026-11-24T10:00:00.999999Z',
      '2026-11-24T10:00:01.000001Z',
      '2026-11-24T10:00:01.5Z',
      '2026-11-24T10:00:01.000002Z',
      '2026-11-25T10:00:01.000002Z',
      '2026-11-25T10:00:01.00000xZ',
      'not a time at all, 27 chars',
      '1969-12-31T23:59:59.999999Z',
      '',
    ];
    for (const t of times) expect(reader.read(t)).toEqual(toEpochMicros(t));
  });
});
