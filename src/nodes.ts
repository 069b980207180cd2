/**
 * Facts about one node of a search tree: how a newer report merges into the one held, whether it
 * counts for the best, its icon state, and which of two metrics is better.
 */
import { INodeSummary, NodeDisplayState, NodeStatus } from './tokens';

const STATUS_RANK: Record<NodeStatus, number> = {
  queued: 0,
  running: 1,
  done: 2,
  failed: 2
};
const FINISHED = 2;

/**
 * Merge a newer report of a node into the one held: a node never goes back from finished to
 * running or queued (an event that was sent before a GET's answer may arrive after it). Running
 * back to queued is real: a node whose coding was interrupted (the LLM endpoint went away, a
 * pause) waits in the queue again.
 */
export function mergeNode(
  held: INodeSummary | undefined,
  incoming: INodeSummary
): INodeSummary {
  if (!held) {
    return incoming;
  }
  const heldRank = STATUS_RANK[held.status] ?? 0;
  const newRank = STATUS_RANK[incoming.status] ?? 0;
  if (newRank < heldRank && heldRank === FINISHED) {
    return held;
  }
  return { ...held, ...incoming };
}

/** A node counts for the best when it ran, is not buggy and has a finite metric. */
export function isGood(node: INodeSummary): boolean {
  return (
    node.status === 'done' &&
    node.is_buggy === false &&
    typeof node.metric === 'number' &&
    Number.isFinite(node.metric)
  );
}

/** The icon state of a node: queued, running, good, buggy, timed out, or an LLM/server error. */
export function displayState(node: INodeSummary): NodeDisplayState {
  if (node.status === 'queued') {
    return 'queued';
  }
  if (node.status === 'running') {
    return 'running';
  }
  if (node.exit_cause === 'timeout') {
    return 'timeout';
  }
  if (node.error && !node.exc_type && node.metric === null) {
    return 'error';
  }
  return isGood(node) ? 'good' : 'buggy';
}

/** Strictly better; ties keep the earlier node. */
export function better(a: number, b: number, lowerIsBetter: boolean): boolean {
  return lowerIsBetter ? a < b : a > b;
}

/** Same fields, same values. */
export function sameNode(a: INodeSummary, b: INodeSummary): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if ((a as any)[key] !== (b as any)[key]) {
      return false;
    }
  }
  return true;
}
