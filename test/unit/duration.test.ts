import { parseDurationSeconds } from '../../src/shared/duration';

describe('parseDurationSeconds', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['12h', 43_200],
    ['7d', 604_800],
    ['1s', 1],
    ['007m', 420],
    [' 15m ', 900],
    ['999999999d', 999_999_999 * 86_400],
  ])('parses %j as %d seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each([
    ['0s', 'zero'],
    ['0d', 'zero'],
    ['10', 'no unit'],
    ['s', 'no number'],
    ['', 'empty'],
    ['1w', 'unknown unit'],
    ['15M', 'upper-case unit'],
    ['1.5h', 'a fraction'],
    ['-5m', 'a negative number'],
    ['+5m', 'a sign'],
    ['1h30m', 'compound'],
    ['15 m', 'a space inside'],
    ['1e3s', 'an exponent'],
    ['1234567890s', 'more than nine digits'],
    ['15ms', 'milliseconds'],
  ])('rejects %j (%s) with null', (text) => {
    expect(parseDurationSeconds(text)).toBeNull();
  });
});
