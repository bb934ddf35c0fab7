import { InvalidArgumentError } from 'commander';
import { jsonLineLog, parseHttpUrl, parseInteger, parseOrigin, parsePort, parseShaList } from './cli';

const SHA = 'ab'.repeat(32);

describe('flag parsers', () => {
  it.each([
    [() => parsePort('65536'), 'It must be an integer from 0 to 65535.'],
    [() => parsePort('8.5'), 'It must be an integer from 0 to 65535.'],
    [() => parseInteger(10)('9'), 'It must be an integer of at least 10.'],
    [() => parseInteger(1)('1e3'), 'It must be an integer of at least 1.'],
    [() => parseHttpUrl('primary:8080'), 'It must be an http:// or https:// URL, such as http://primary:8080.'],
    [() => parseOrigin('ftp://primary'), 'It must be an http:// or https:// URL, such as http://primary:8080.'],
    [() => parseOrigin('http://primary:8080/v1'), 'It must be an origin without a path or query, such as http://primary:8080.'],
    [() => parseShaList(`${SHA},abc`), 'It must be sha256 values (64 hex digits) separated by commas; "abc" is not one.'],
  ])('refuse with one wording for commander to prefix with the flag and value (%#)', (parse, message) => {
    expect(parse).toThrow(new InvalidArgumentError(message));
  });

  it('return the value in the form the services use', () => {
    expect(parsePort('0')).toBe(0);
    expect(parseInteger(10)('10')).toBe(10);
    expect(parseHttpUrl('http://primary:8080/base')).toBe('http://primary:8080/base');
    expect(parseOrigin('https://primary:8443/')).toBe('https://primary:8443');
    expect(parseShaList(` ${SHA.toUpperCase()} ,${SHA}`)).toEqual([SHA, SHA]);
  });
});

describe('jsonLineLog', () => {
  it('writes one JSON object per line, at level info unless the fields say otherwise', () => {
    const lines: string[] = [];
    const log = jsonLineLog({ service: 'router' }, (line) => lines.push(line));
    log('listening', { port: 1 });
    log('breaker open', { level: 'warn' });
    expect(lines.every((l) => l.endsWith('}\n'))).toBe(true);
    expect(lines.map((l) => JSON.parse(l) as object)).toEqual([
      { time: expect.any(String), level: 'info', service: 'router', msg: 'listening', port: 1 },
      { time: expect.any(String), level: 'warn', service: 'router', msg: 'breaker open' },
    ]);
  });
});
