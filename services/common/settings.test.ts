import { Command } from 'commander';
import { parseInteger } from './cli';
import { addSettings, markdownTable, setting, settingsFrom, withDefaults } from './settings';

const SETTINGS = {
  modelDir: setting.required('--model <dir>', 'where the model is', String),
  port: setting.withDefault('--port <n>', 'port to listen on', parseInteger(0, 65535), 8080),
  role: setting.oneOf('--role <role>', 'replica role', ['primary', 'standby'], 'primary'),
  delayMs: setting.optional('--delay-ms <n>', 'a | fixed delay', parseInteger(0), 'adaptive'),
  verify: setting.switchOff('--no-verify', 'skip checks'),
};

function parse(args: string[]) {
  const command = addSettings(new Command('x').exitOverride().configureOutput({ writeErr: () => {} }), SETTINGS);
  command.parse(args, { from: 'user' });
  return settingsFrom(SETTINGS, command.opts());
}

describe('settings', () => {
  it('gives the flags the declared defaults, keyed as the table is', () => {
    expect(parse(['--model', 'm'])).toEqual(withDefaults(SETTINGS, { modelDir: 'm' }));
    expect(withDefaults(SETTINGS, { modelDir: 'm', delayMs: undefined })).toEqual({ modelDir: 'm', port: 8080, role: 'primary', delayMs: undefined, verify: true });
  });

  it('reads every kind of flag', () => {
    expect(parse(['--model', 'm', '--port', '0', '--role', 'standby', '--delay-ms', '7', '--no-verify'])).toEqual({
      modelDir: 'm',
      port: 0,
      role: 'standby',
      delayMs: 7,
      verify: false,
    });
  });

  it('refuses a missing required flag, an unknown choice and a bad number', () => {
    expect(() => parse([])).toThrow("required option '--model <dir>' not specified");
    expect(() => parse(['--model', 'm', '--role', 'backup'])).toThrow('Allowed choices are primary, standby.');
    expect(() => parse(['--model', 'm', '--port', '65536'])).toThrow("option '--port <n>' argument '65536' is invalid. It must be an integer from 0 to 65535.");
  });

  it('renders the README table with what each setting defaults to', () => {
    expect(markdownTable(SETTINGS)).toBe(
      [
        '| flag | default | what it does |',
        '|---|---|---|',
        '| `--model` | required | where the model is |',
        '| `--port` | 8080 | port to listen on |',
        '| `--role` | primary | replica role (`primary` or `standby`) |',
        '| `--delay-ms` | adaptive | a \\| fixed delay |',
        '| `--no-verify` | on | skip checks |',
      ].join('\n'),
    );
  });
});
