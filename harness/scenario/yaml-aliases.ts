// YAML aliases let a few lines stand for an exponential number of values ("billion laughs"): nine lines of
// nine aliases each expand to 9^9 values and exhaust the heap while the document is converted. The loader checks
// every alias before converting, so such a file is refused with the alias that crosses the line.
import { isAlias, isCollection, isPair, visit, type Alias, type Document, type Node } from 'yaml';

/**
 * Values aliases may stand for in one scenario file. Built-in drills use none; a file that repeats a fault block
 * by alias a hundred times stays far below it, and converting this many values takes milliseconds.
 */
export const MAX_ALIASED_VALUES = 10_000;

export interface AliasProblem {
  alias: Alias;
  message: string;
}

class AliasCycle extends Error {}

/** The first alias in document order that has no anchor, refers to a collection containing it, or crosses the limit. */
export function aliasProblem(doc: Document): AliasProblem | undefined {
  const targets = new Map<Alias, Node>();
  const aliases: Alias[] = [];
  const anchors = new Map<string, Node>();
  let unresolved: Alias | undefined;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) {
          unresolved = node;
          return visit.BREAK;
        }
        targets.set(node, target);
        aliases.push(node);
      } else if (node.anchor) {
        // A later anchor of the same name replaces the earlier one for the aliases after it.
        anchors.set(node.anchor, node);
      }
      return undefined;
    },
  });
  if (unresolved) return { alias: unresolved, message: `alias *${unresolved.source} has no anchor &${unresolved.source} before it` };
  const size = valueCounter(targets);
  let aliased = 0;
  for (const alias of aliases) {
    try {
      aliased += size(alias);
    } catch (e) {
      if (e instanceof AliasCycle) return { alias, message: `alias *${alias.source} stands for a collection that contains it` };
      throw e;
    }
    if (aliased > MAX_ALIASED_VALUES) {
      return { alias, message: `alias *${alias.source} takes the values aliases stand for in this file past ${MAX_ALIASED_VALUES} (a YAML alias bomb); write the values out` };
    }
  }
  return undefined;
}

/** Counts the values a node stands for once its aliases are expanded; memoized, so shared anchors count once each. */
function valueCounter(targets: ReadonlyMap<Alias, Node>): (node: unknown) => number {
  const sizes = new Map<unknown, number>();
  const inProgress = new Set<unknown>();
  const size = (node: unknown): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) throw new AliasCycle();
    inProgress.add(node);
    let n = 1;
    if (isAlias(node)) n = size(targets.get(node));
    else if (isPair(node)) n = size(node.key) + size(node.value);
    else if (isCollection(node)) for (const item of node.items) n += size(item);
    inProgress.delete(node);
    sizes.set(node, n);
    return n;
  };
  return size;
}
