/**
 * The New search form's choices (tables first, the ticked tables' columns for the target) and the
 * search header's line of where the nodes run.
 */
import * as React from 'react';
import type { TranslationBundle } from '@jupyterlab/translation';

import { ISearchSummary, IVariable } from '../tokens';
import { offeredVariables, targetColumns } from '../variables';
import { SearchWhere } from '../widgets/SearchHeader';

// react-dom ships without types here; its server renderer is all this test needs.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { renderToStaticMarkup } = require('react-dom/server') as {
  renderToStaticMarkup: (element: React.ReactElement) => string;
};

const VARS: IVariable[] = [
  { name: 'SEED', type: 'builtins.int', shape: null },
  { name: 'X', type: 'numpy.ndarray', shape: [569, 30] },
  { name: 'cols', type: 'builtins.list', shape: [3] },
  {
    name: 'train',
    type: 'pandas.DataFrame',
    shape: [400, 3],
    columns: ['a', 'b', 'y']
  },
  {
    name: 'test',
    type: 'pandas.DataFrame',
    shape: [100, 3],
    columns: ['a', 'b', 'id']
  }
];

describe('the form offers', () => {
  it('tables first, then arrays, then the rest, in the kernel order within each', () => {
    expect(offeredVariables(VARS).map(v => v.name)).toEqual([
      'train',
      'test',
      'X',
      'SEED',
      'cols'
    ]);
  });

  it('the ticked tables columns as targets, each once', () => {
    expect(targetColumns(VARS, ['train'])).toEqual(['a', 'b', 'y']);
    expect(targetColumns(VARS, ['train', 'test'])).toEqual([
      'a',
      'b',
      'y',
      'id'
    ]);
    expect(targetColumns(VARS, ['X'])).toEqual([]);
  });
});

describe('SearchWhere', () => {
  // The translation bundle's `__`: %1, %2... replaced by the arguments, as JupyterLab's does.
  const trans = {
    __: (text: string, ...args: unknown[]) =>
      text.replace(/%(\d+)/g, (_, i) => String(args[Number(i) - 1]))
  } as unknown as TranslationBundle;
  const base = {
    id: 's',
    status: 'running',
    goal: 'g',
    kernel_id: 'k',
    steps_done: 0,
    steps: 3,
    best: null
  } as unknown as ISearchSummary;

  it('says nothing for a plain local kernel', () => {
    expect(
      renderToStaticMarkup(<SearchWhere search={base} trans={trans} />)
    ).toBe('');
  });

  it('names the gateway host and the workers still running', () => {
    const html = renderToStaticMarkup(
      <SearchWhere
        search={{
          ...base,
          host: 'gateway.example:8888',
          workers: [
            { kernel_id: 'aaaaaaaa-1', running: true, nodes: 2 },
            {
              kernel_id: 'bbbbbbbb-2',
              running: false,
              nodes: 1,
              host: 'gw2:8888'
            }
          ]
        }}
        trans={trans}
      />
    );
    expect(html).toContain(
      'kernel on gateway.example:8888 · 2 workers (1 running)'
    );
    expect(html).toContain('worker bbbbbbbb on gw2:8888: 1 nodes (shut down)');
  });
});
