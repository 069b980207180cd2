import { CodeEditor, IEditorServices } from '@jupyterlab/codeeditor';
import * as React from 'react';

/**
 * Python code in JupyterLab's CodeMirror: read-only for a node's cells, editable for a fork.
 * Without editor services (tests), falls back to a <pre>.
 */
export function CodeView(props: {
  source: string;
  editorServices: IEditorServices | null;
  editable?: boolean;
  onChange?: (source: string) => void;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const { source, editorServices, editable, onChange } = props;
  const onChangeRef = React.useRef(onChange);
  onChangeRef.current = onChange;

  React.useEffect(() => {
    if (!editorServices || !host.current) {
      return;
    }
    const model = new CodeEditor.Model({ mimeType: 'text/x-ipython' });
    model.sharedModel.setSource(source);
    const editor = editorServices.factoryService.newInlineEditor({
      host: host.current,
      model,
      config: { readOnly: !editable, lineNumbers: true, lineWrap: false }
    });
    const changed = () => onChangeRef.current?.(model.sharedModel.getSource());
    model.sharedModel.changed.connect(changed);
    return () => {
      model.sharedModel.changed.disconnect(changed);
      editor.dispose();
      model.dispose();
    };
  }, [source, editorServices, editable]);

  if (!editorServices) {
    return <pre className="jp-aide-code jp-aide-code-plain">{source}</pre>;
  }
  return (
    <div
      ref={host}
      className={`jp-aide-code${editable ? ' jp-aide-code-editable' : ''}`}
    />
  );
}
