import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AideModel } from '../model';
import { IVariable } from '../tokens';
import { offeredVariables, targetColumns } from '../variables';

/** What the form remembers between openings (defaults from the settings). */
export interface IFormDefaults {
  steps: number;
  model: string;
}

/**
 * Start a search on the current notebook's kernel: goal, data variables offered by the kernel,
 * target column, steps and model. The request itself is the model's business.
 */
export function NewSearchForm(props: {
  model: AideModel;
  trans: TranslationBundle;
  coders: string[];
  defaults: IFormDefaults;
  onDone: () => void;
}): JSX.Element {
  const { model, trans } = props;
  const kernelId = model.kernelId;
  const [goal, setGoal] = React.useState('');
  const [variables, setVariables] = React.useState<IVariable[] | null>(null);
  const [varError, setVarError] = React.useState<string | null>(null);
  const [data, setData] = React.useState<string[]>([]);
  const [target, setTarget] = React.useState('');
  const [steps, setSteps] = React.useState(props.defaults.steps);
  const [llm, setLlm] = React.useState(props.defaults.model);
  const [holdout, setHoldout] = React.useState('');
  const [workers, setWorkers] = React.useState(0);
  const [seedDrafts, setSeedDrafts] = React.useState(2);
  const [busy, setBusy] = React.useState(false);
  const seed = model.form.seed;
  const [error, setError] = React.useState<string | null>(null);

  React.useEffect(() => {
    setVariables(null);
    setVarError(null);
    if (!kernelId) {
      return;
    }
    let live = true;
    model.variables(kernelId).then(
      vars => {
        if (live) {
          const offered = offeredVariables(vars);
          setVariables(offered);
          // One table (or one variable at all): it is surely the data.
          const tables = offered.filter(v => v.columns);
          if (tables.length === 1 || offered.length === 1) {
            setData([(tables[0] ?? offered[0]).name]);
          }
        }
      },
      (e: Error) => live && setVarError(e.message)
    );
    return () => {
      live = false;
    };
  }, [kernelId]);

  if (!kernelId) {
    return (
      <div className="jp-aide-form jp-aide-empty" data-state="no-kernel">
        {trans.__(
          'Open a notebook with a running kernel: the search runs in that kernel and sees its variables.'
        )}
      </div>
    );
  }

  // With tables ticked the target is one of their columns (or none); else what was typed.
  const columns = targetColumns(variables ?? [], data);
  const chosenTarget =
    columns.length > 0
      ? columns.includes(target)
        ? target
        : ''
      : target.trim();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await model.createSearch({
        kernel_id: kernelId,
        notebook_path: model.notebookPath ?? undefined,
        goal: goal.trim(),
        data: data.length ? data : undefined,
        target: chosenTarget || undefined,
        steps,
        workers: workers || undefined,
        model: llm || undefined,
        holdout: holdout ? parseFloat(holdout) : undefined,
        ...(seed
          ? {
              seed: seed.cellId
                ? { code: seed.code, cell_id: seed.cellId }
                : { code: seed.code },
              seed_drafts: seedDrafts
            }
          : {})
      });
      props.onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const toggle = (name: string) =>
    setData(d => (d.includes(name) ? d.filter(n => n !== name) : [...d, name]));
  const firstOther = (variables ?? []).findIndex(v => !v.columns);

  return (
    <form className="jp-aide-form" onSubmit={submit}>
      {seed ? (
        <SeedBox
          seed={seed}
          drafts={seedDrafts}
          setDrafts={setSeedDrafts}
          trans={trans}
        />
      ) : null}
      <label>
        {trans.__('Goal and evaluation')}
        <textarea
          className="jp-mod-styled"
          name="goal"
          rows={3}
          required
          value={goal}
          placeholder={trans.__('predict the diagnosis; metric accuracy')}
          onChange={e => setGoal(e.target.value)}
        />
      </label>
      <fieldset className="jp-aide-vars">
        <legend>{trans.__('Data (kernel variables)')}</legend>
        {varError ? <div className="jp-aide-error">{varError}</div> : null}
        {variables === null && !varError ? (
          <div className="jp-aide-muted">{trans.__('Asking the kernel…')}</div>
        ) : null}
        {variables?.length === 0 ? (
          <div className="jp-aide-muted">
            {trans.__(
              'No data frames or arrays in the kernel yet: run the cell that loads your data.'
            )}
          </div>
        ) : null}
        {variables?.map((v, i) => (
          <label
            key={v.name}
            className={`jp-aide-var${i === firstOther && i > 0 ? ' jp-aide-var-other' : ''}`}
          >
            <input
              type="checkbox"
              name="data"
              value={v.name}
              checked={data.includes(v.name)}
              onChange={() => toggle(v.name)}
            />
            <code>{v.name}</code>
            <span className="jp-aide-muted">
              {v.type}
              {v.shape
                ? ` ${Array.isArray(v.shape) ? v.shape.join('×') : v.shape}`
                : ''}
            </span>
          </label>
        ))}
      </fieldset>
      <label>
        {trans.__('Target column')}
        {columns.length > 0 ? (
          <select
            className="jp-mod-styled"
            title={trans.__(
              'The column the solutions predict (from the ticked tables); (none) leaves it to the goal'
            )}
            name="target"
            value={chosenTarget}
            onChange={e => setTarget(e.target.value)}
          >
            <option value="">{trans.__('(none)')}</option>
            {columns.map(c => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        ) : (
          <input
            className="jp-mod-styled"
            name="target"
            value={target}
            placeholder={trans.__('the column to predict, if any')}
            onChange={e => setTarget(e.target.value)}
          />
        )}
      </label>
      <div className="jp-aide-row">
        <NumberField
          label={trans.__('Steps')}
          name="steps"
          min={1}
          max={1000}
          value={steps}
          onChange={setSteps}
        />
        <NumberField
          label={trans.__('Workers')}
          title={trans.__('Extra kernels like this one that share the nodes')}
          name="workers"
          min={0}
          max={64}
          value={workers}
          onChange={setWorkers}
        />
        <label>
          {trans.__('Model')}
          <input
            className="jp-mod-styled"
            name="model"
            value={llm}
            placeholder={
              props.coders.includes('openai')
                ? trans.__('builtin or an LLM name')
                : 'builtin'
            }
            onChange={e => setLlm(e.target.value)}
          />
        </label>
      </div>
      <label title={trans.__('Trusted scores')}>
        {trans.__('Holdout')}
        <input
          className="jp-mod-styled"
          name="holdout"
          type="number"
          min={0.05}
          max={0.5}
          step={0.05}
          value={holdout}
          placeholder={trans.__('off, or e.g. 0.2')}
          onChange={e => setHoldout(e.target.value)}
        />
        <span className="jp-aide-muted">
          {trans.__(
            'Share of the rows no solution sees; every node is scored on them by the kernel (needs a target).'
          )}
        </span>
      </label>
      {error ? (
        <div className="jp-aide-error" role="alert">
          {error}
        </div>
      ) : null}
      <div className="jp-aide-row">
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          onClick={props.onDone}
        >
          {trans.__('Cancel')}
        </button>
        <button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          disabled={busy || !goal.trim()}
        >
          {busy
            ? trans.__('Starting…')
            : seed
              ? trans.__('Improve this cell')
              : trans.__('Start search')}
        </button>
      </div>
    </form>
  );
}

/** The user's cell the search starts from: a preview, and how many fresh drafts go beside it. */
function SeedBox(props: {
  seed: { code: string; cellId: string | null };
  drafts: number;
  setDrafts: (n: number) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { seed, trans } = props;
  const lines = seed.code.split('\n');
  const preview =
    lines.slice(0, 8).join('\n') + (lines.length > 8 ? '\n…' : '');
  return (
    <div className="jp-aide-seed" data-seed-cell={seed.cellId ?? ''}>
      <div className="jp-aide-seed-title">
        {trans.__(
          'Starting point: your cell (%1 lines). It becomes the root of the tree; the search debugs or improves it.',
          lines.length
        )}
      </div>
      <pre className="jp-aide-seed-code">{preview}</pre>
      <NumberField
        label={trans.__('Fresh drafts beside your code')}
        name="seed_drafts"
        min={0}
        max={20}
        value={props.drafts}
        onChange={props.setDrafts}
      />
    </div>
  );
}

/** A whole-number field kept within [min, max] (an empty box means the minimum). */
function NumberField(props: {
  label: string;
  name: string;
  min: number;
  max: number;
  value: number;
  onChange: (value: number) => void;
  title?: string;
}): JSX.Element {
  return (
    <label title={props.title}>
      {props.label}
      <input
        className="jp-mod-styled"
        name={props.name}
        type="number"
        min={props.min}
        max={props.max}
        value={props.value}
        onChange={e => {
          const n = parseInt(e.target.value || String(props.min), 10);
          props.onChange(
            Math.min(
              props.max,
              Math.max(props.min, Number.isNaN(n) ? props.min : n)
            )
          );
        }}
      />
    </label>
  );
}
