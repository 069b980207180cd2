/**
 * The search tree as plain data: built from `parent_id`, updated node by node from live events,
 * with the best node, the path to it and the rows a collapsible tree view shows. No DOM here.
 */
import { better, isGood, mergeNode, sameNode } from './nodes';
import { INodeSummary } from './tokens';

// Kept importable from here, where they were first.
export { better, displayState, isGood, mergeNode } from './nodes';

/** One visible row of the tree view. */
export interface ITreeRow {
  id: string;
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
}

/**
 * The tree of one search. `upsert` is O(depth) for a new or changed node, so live events stay
 * cheap at thousands of nodes; `rows` is O(visible nodes) and cached until the tree changes.
 */
export class SearchTree {
  constructor(
    nodes: INodeSummary[] = [],
    lowerIsBetter: boolean | null = null
  ) {
    this._lowerIsBetter = lowerIsBetter;
    for (const node of nodes) {
      this._insert(node);
    }
    this._recomputeBest();
  }

  /** Bumped on every change: views compare it to know when to re-render. */
  get version(): number {
    return this._version;
  }

  get size(): number {
    return this._byId.size;
  }

  get lowerIsBetter(): boolean | null {
    return this._lowerIsBetter;
  }

  get bestId(): string | null {
    return this._bestId;
  }

  /** The ids from a root to the best node (empty when there is no good node). */
  get bestPath(): ReadonlySet<string> {
    return this._bestPath;
  }

  get(id: string): INodeSummary | undefined {
    return this._byId.get(id);
  }

  /** The nodes in creation order. */
  nodes(): INodeSummary[] {
    return Array.from(this._byId.values());
  }

  children(id: string | null): readonly string[] {
    return (id === null ? this._roots : this._children.get(id)) ?? [];
  }

  roots(): readonly string[] {
    return this._roots;
  }

  /** The ids from the root down to `id` (inclusive). */
  pathTo(id: string): string[] {
    const path: string[] = [];
    const seen = new Set<string>();
    let current: INodeSummary | undefined = this._byId.get(id);
    while (current && !seen.has(current.id)) {
      seen.add(current.id);
      path.push(current.id);
      current =
        current.parent_id !== null && current.parent_id !== undefined
          ? this._byId.get(current.parent_id)
          : undefined;
    }
    return path.reverse();
  }

  /** Fix the metric direction (the search's, once known); recomputes the best. */
  setLowerIsBetter(value: boolean | null | undefined): boolean {
    const v = value ?? null;
    if (v === this._lowerIsBetter) {
      return false;
    }
    this._lowerIsBetter = v;
    this._recomputeBest();
    this._touch();
    return true;
  }

  /** Add a node or merge a newer report of it. Returns false when nothing changed. */
  upsert(node: INodeSummary): boolean {
    const held = this._byId.get(node.id);
    const merged = mergeNode(held, node);
    if (held && merged === held) {
      return false;
    }
    if (held && sameNode(held, merged)) {
      return false;
    }
    if (held) {
      this._byId.set(node.id, merged);
      if (held.parent_id !== merged.parent_id) {
        // Not expected from the server; keep the structure right anyway.
        this._rebuild();
        return true;
      }
    } else {
      this._insert(merged);
    }
    this._updateBest(merged, held);
    this._touch();
    return true;
  }

  /**
   * The rows a tree view shows: depth-first, children by step, skipping collapsed subtrees.
   * Iterative, so a 1,000-deep debug chain does not overflow the stack.
   */
  rows(collapsed: ReadonlySet<string>): ITreeRow[] {
    if (this._rowsCache && this._rowsCache.collapsed === collapsed) {
      if (this._rowsCache.version === this._version) {
        return this._rowsCache.rows;
      }
    }
    const rows: ITreeRow[] = [];
    const stack: Array<[string, number]> = [];
    for (let i = this._roots.length - 1; i >= 0; i--) {
      stack.push([this._roots[i], 0]);
    }
    while (stack.length > 0) {
      const [id, depth] = stack.pop()!;
      const kids = this._children.get(id) ?? [];
      const expanded = !collapsed.has(id);
      rows.push({ id, depth, hasChildren: kids.length > 0, expanded });
      if (expanded) {
        for (let i = kids.length - 1; i >= 0; i--) {
          stack.push([kids[i], depth + 1]);
        }
      }
    }
    this._rowsCache = { version: this._version, collapsed, rows };
    return rows;
  }

  private _insert(node: INodeSummary): void {
    this._byId.set(node.id, node);
    const parent = node.parent_id ?? null;
    // A child whose parent is unknown (yet) is shown as a root until its parent arrives.
    if (parent !== null && this._byId.has(parent)) {
      insertByStep(this._children, parent, node, this._byId);
    } else {
      insertSorted(this._roots, node, this._byId);
      if (parent !== null) {
        const orphans = this._orphans.get(parent) ?? [];
        orphans.push(node.id);
        this._orphans.set(parent, orphans);
      }
    }
    const waiting = this._orphans.get(node.id);
    if (waiting) {
      this._orphans.delete(node.id);
      for (const childId of waiting) {
        const idx = this._roots.indexOf(childId);
        if (idx >= 0) {
          this._roots.splice(idx, 1);
        }
        insertByStep(
          this._children,
          node.id,
          this._byId.get(childId)!,
          this._byId
        );
      }
      if (this._bestId) {
        this._setBest(this._bestId);
      }
    }
  }

  private _rebuild(): void {
    const nodes = this.nodes();
    this._byId.clear();
    this._children.clear();
    this._orphans.clear();
    this._roots = [];
    for (const node of nodes) {
      this._insert(node);
    }
    this._recomputeBest();
    this._touch();
  }

  /** The metric's direction: the search's, else the first node's that knows, else higher. */
  get direction(): boolean {
    return this._direction();
  }

  private _direction(): boolean {
    if (this._lowerIsBetter !== null) {
      return this._lowerIsBetter;
    }
    for (const node of this._byId.values()) {
      if (typeof node.lower_is_better === 'boolean') {
        return node.lower_is_better;
      }
    }
    return false;
  }

  private _updateBest(
    node: INodeSummary,
    held: INodeSummary | undefined
  ): void {
    if (held && held.id === this._bestId) {
      this._recomputeBest();
      return;
    }
    if (!isGood(node)) {
      return;
    }
    if (
      this._lowerIsBetter === null &&
      typeof node.lower_is_better === 'boolean'
    ) {
      // The first node that knows the direction may change which node is best.
      this._recomputeBest();
      return;
    }
    const best = this._bestId ? this._byId.get(this._bestId) : undefined;
    if (!best || better(node.metric!, best.metric!, this._direction())) {
      this._setBest(node.id);
    }
  }

  private _recomputeBest(): void {
    const lower = this._direction();
    let best: INodeSummary | undefined;
    for (const node of this._byId.values()) {
      if (
        isGood(node) &&
        (!best || better(node.metric!, best.metric!, lower))
      ) {
        best = node;
      }
    }
    this._setBest(best?.id ?? null);
  }

  private _setBest(id: string | null): void {
    this._bestId = id;
    this._bestPath = new Set(id ? this.pathTo(id) : []);
  }

  private _touch(): void {
    this._version++;
  }

  private _version = 0;
  private _lowerIsBetter: boolean | null;
  private _bestId: string | null = null;
  private _bestPath: ReadonlySet<string> = new Set();
  private _roots: string[] = [];
  private readonly _byId = new Map<string, INodeSummary>();
  private readonly _children = new Map<string, string[]>();
  private readonly _orphans = new Map<string, string[]>();
  private _rowsCache: {
    version: number;
    collapsed: ReadonlySet<string>;
    rows: ITreeRow[];
  } | null = null;
}

/** Insert keeping step order; appending is the common case (new nodes have the largest step). */
function insertSorted(
  list: string[],
  node: INodeSummary,
  byId: Map<string, INodeSummary>
): void {
  let i = list.length;
  while (i > 0 && (byId.get(list[i - 1])?.step ?? 0) > node.step) {
    i--;
  }
  list.splice(i, 0, node.id);
}

function insertByStep(
  children: Map<string, string[]>,
  parent: string,
  node: INodeSummary,
  byId: Map<string, INodeSummary>
): void {
  let list = children.get(parent);
  if (!list) {
    list = [];
    children.set(parent, list);
  }
  insertSorted(list, node, byId);
}
