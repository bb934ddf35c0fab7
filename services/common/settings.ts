// A service's settings, declared once: each entry gives the flag, its help, how its value is read and its default.
// The options type, the defaults, the commander options and the README table are all derived from that table.
import { type Command, Option } from 'commander';

type Presence = 'required' | 'defaulted' | 'optional';

export interface Setting<T, P extends Presence = Presence> {
  /** Commander syntax: `--name <value>`, or `--no-name` for a switch that is on unless given. */
  readonly flag: string;
  readonly help: string;
  readonly presence: P;
  /** Reads the flag's text; absent for a switch. */
  readonly parse?: (value: string) => T;
  readonly choices?: readonly string[];
  readonly default?: T;
  /** What the README's default column says of a setting without a fixed default. */
  readonly absent?: string;
}

// `any`: a table holds settings of different value types; each keeps its own through the factories below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Settings = Readonly<Record<string, Setting<any>>>;

type ValueOf<S> = S extends Setting<infer T> ? T : never;
type KeysWith<S extends Settings, P extends Presence> = { [K in keyof S]: S[K]['presence'] extends P ? K : never }[keyof S];

/** What a caller passes: required settings, the rest optional. */
export type OptionsOf<S extends Settings> = { [K in KeysWith<S, 'required'>]: ValueOf<S[K]> } & {
  [K in KeysWith<S, 'defaulted' | 'optional'>]?: ValueOf<S[K]>;
};

/** After defaults are applied: only settings without a default may be missing. */
export type ResolvedOf<S extends Settings> = { [K in KeysWith<S, 'required' | 'defaulted'>]: ValueOf<S[K]> } & {
  [K in KeysWith<S, 'optional'>]?: ValueOf<S[K]>;
};

export const setting = {
  required: <T>(flag: string, help: string, parse: (value: string) => T): Setting<T, 'required'> => ({ flag, help, presence: 'required', parse }),
  withDefault: <T>(flag: string, help: string, parse: (value: string) => T, value: T): Setting<T, 'defaulted'> => ({
    flag,
    help,
    presence: 'defaulted',
    parse,
    default: value,
  }),
  optional: <T>(flag: string, help: string, parse: (value: string) => T, absent: string): Setting<T, 'optional'> => ({
    flag,
    help,
    presence: 'optional',
    parse,
    absent,
  }),
  oneOf: <const C extends string>(flag: string, help: string, choices: readonly C[], value: NoInfer<C>): Setting<C, 'defaulted'> => ({
    flag,
    help,
    presence: 'defaulted',
    choices,
    default: value,
  }),
  /** A behaviour that is on unless `--no-…` is given. */
  switchOff: (flag: `--no-${string}`, help: string): Setting<boolean, 'defaulted'> => ({ flag, help, presence: 'defaulted', default: true }),
};

/** `given` with every default filled in where `given` leaves the setting undefined. */
export function withDefaults<S extends Settings>(settings: S, given: OptionsOf<S>): ResolvedOf<S> {
  const resolved: Record<string, unknown> = { ...given };
  for (const [key, s] of Object.entries(settings)) {
    if (resolved[key] === undefined && s.presence === 'defaulted') resolved[key] = s.default;
  }
  return resolved as ResolvedOf<S>;
}

function optionOf(s: Setting<unknown>): Option {
  const option = new Option(s.flag, s.presence === 'optional' ? `${s.help} (default: ${s.absent})` : s.help);
  if (s.presence === 'required') option.makeOptionMandatory();
  if (s.choices) option.choices(s.choices);
  if (s.parse) option.argParser(s.parse);
  // A --no- switch defaults to true by itself, and commander's help then says nothing of it.
  if (s.presence === 'defaulted' && !s.flag.startsWith('--no-')) option.default(s.default);
  return option;
}

/** Adds one commander option per setting. */
export function addSettings(command: Command, settings: Settings): Command {
  for (const s of Object.values(settings)) command.addOption(optionOf(s));
  return command;
}

/**
 * The parsed flags keyed as the table is: a table key may differ from the name commander derives from the flag
 * (`modelDir` for `--model <dir>`).
 */
export function settingsFrom<S extends Settings>(settings: S, parsed: Record<string, unknown>): ResolvedOf<S> {
  const values: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(settings)) values[key] = parsed[new Option(s.flag).attributeName()];
  return values as ResolvedOf<S>;
}

/** The README table of the settings, one row each, in table order. */
export function markdownTable(settings: Settings): string {
  const rows = Object.values(settings).map((s) => `| \`${s.flag.split(' ')[0]}\` | ${shownDefault(s)} | ${cell(helpWithChoices(s))} |`);
  return ['| flag | default | what it does |', '|---|---|---|', ...rows].join('\n');
}

function shownDefault(s: Setting<unknown>): string {
  if (s.presence === 'required') return 'required';
  if (s.presence === 'optional') return s.absent!;
  if (s.flag.startsWith('--no-')) return 'on';
  return String(s.default);
}

function helpWithChoices(s: Setting<unknown>): string {
  return s.choices ? `${s.help} (${s.choices.map((c) => `\`${c}\``).join(' or ')})` : s.help;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}
