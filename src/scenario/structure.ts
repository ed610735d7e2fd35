// The shape of a parsed YAML file, checked before it becomes a value: an
// alias that contains itself makes a value with a cycle, and nesting (written
// out or built with aliases) past any real scenario's deepest would take the
// recursive checks, renderers and reporters down with a stack overflow. Found
// on the YAML nodes by loops, never recursion, so no file can overflow this.
import { isAlias, isCollection, isMap, isPair, isScalar } from 'yaml';
import type { Alias, Document, Node } from 'yaml';

/** Levels of lists and maps, the file's top level being 1. JSON bodies of real APIs nest a handful. */
export const MAX_DEPTH = 64;
/** Nodes that aliases may add by repetition, over the file's own (the "billion laughs" bound). */
export const MAX_ALIAS_NODES = 100_000;

export interface StructureProblem {
  /** Source offsets of the node at fault. */
  from: number;
  to: number;
  message: string;
}

interface Measure {
  /** Levels of collections in the value, counting what aliases bring. */
  height: number;
  /** Nodes of the value, counting what aliases bring. */
  size: number;
}

/**
 * The first problem found, in document order, or undefined: an alias with no
 * anchor before it, an alias inside the node it names, nesting deeper than
 * MAX_DEPTH, or aliases that repeat more than MAX_ALIAS_NODES nodes.
 */
export function structureProblem(doc: Document): StructureProblem | undefined {
  const root = doc.contents as Node | null;
  if (!root) return undefined;
  const at = (node: Node, message: string): StructureProblem => ({ from: node.range?.[0] ?? 0, to: node.range?.[1] ?? 0, message });

  // Pre-order, as yaml resolves aliases: an alias names the last node with its
  // anchor seen before it. A node on the path from the root to the alias is
  // its ancestor: the alias would make the value contain itself.
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  const onPath = new Set<Node>();
  const measures = new Map<Node, Measure>();
  const stack: { node: Node; depth: number; children: Node[] | undefined }[] = [{ node: root, depth: 1, children: undefined }];
  let repeated = 0;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const { node, depth } = frame;
    if (frame.children === undefined) {
      // First visit.
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) return at(node, `alias '*${node.source}' names no anchor before it (write '&${node.source}' on an earlier value)`);
        if (onPath.has(target)) return at(node, `alias '*${node.source}' is inside the value it names, which would then contain itself`);
        targets.set(node, target);
        const m = measures.get(target)!; // The target is complete: it ends before the alias starts.
        if (depth - 1 + m.height > MAX_DEPTH) {
          return at(node, `alias '*${node.source}' nests this value ${depth - 1 + m.height} levels deep; scenarios allow ${MAX_DEPTH}`);
        }
        repeated += m.size;
        if (repeated > MAX_ALIAS_NODES) {
          return at(node, `aliases repeat more than ${MAX_ALIAS_NODES} values by here (an alias bomb?); write the values out or use fewer aliases`);
        }
        measures.set(node, m);
        stack.pop();
        continue;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      if (!isCollection(node)) {
        measures.set(node, { height: 0, size: 1 });
        stack.pop();
        continue;
      }
      if (depth > MAX_DEPTH) return at(node, `lists and maps nest more than ${MAX_DEPTH} levels deep here`);
      onPath.add(node);
      frame.children = childrenOf(node.items);
      // Children are visited in order: push them reversed.
      for (let i = frame.children.length - 1; i >= 0; i--) stack.push({ node: frame.children[i]!, depth: depth + 1, children: undefined });
      continue;
    }
    // Last visit: every child is measured.
    let height = 0;
    let size = 1;
    for (const child of frame.children) {
      const m = measures.get(child)!;
      if (m.height > height) height = m.height;
      size += m.size;
    }
    measures.set(node, { height: height + 1, size });
    onPath.delete(node);
    stack.pop();
  }
  return undefined;
}

/** The nodes of a collection's items: a pair gives its key and its value. */
function childrenOf(items: unknown[]): Node[] {
  const out: Node[] = [];
  for (const item of items) {
    if (isPair(item)) {
      if (isNode(item.key)) out.push(item.key);
      if (isNode(item.value)) out.push(item.value);
    } else if (isNode(item)) {
      out.push(item);
    }
  }
  return out;
}

function isNode(value: unknown): value is Node {
  return isAlias(value) || isScalar(value) || isCollection(value);
}

/**
 * Keys written twice in one map, each repeat as yaml would report it with
 * `uniqueKeys` on (scalars equal by value), found with one set per map:
 * yaml's own check compares every key with every earlier one, so a map of
 * 20,000 keys took minutes.
 */
export function duplicateKeys(doc: Document): StructureProblem[] {
  const out: StructureProblem[] = [];
  const root = doc.contents as Node | null;
  const stack: Node[] = root ? [root] : [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!isCollection(node)) continue;
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key)) continue;
        if (seen.has(key.value)) out.push({ from: key.range?.[0] ?? 0, to: (key.range?.[0] ?? 0) + 1, message: 'Map keys must be unique' });
        else seen.add(key.value);
      }
    }
    for (const child of childrenOf(node.items)) stack.push(child);
  }
  return out;
}
