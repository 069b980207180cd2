/** Node summaries for tests and benchmarks (not a spec: jest runs only *.spec.ts). */
import { INodeSummary } from '../tokens';

/** A finished node: a draft without a parent, else an improve; good unless `extra` says else. */
export function nodeSummary(
  id: string,
  step: number,
  parent: string | null,
  extra: Partial<INodeSummary> = {}
): INodeSummary {
  return {
    id,
    step,
    stage: parent ? 'improve' : 'draft',
    parent_id: parent,
    status: 'done',
    metric: null,
    is_buggy: false,
    ...extra
  };
}
