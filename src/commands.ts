/** Command ids of the extension, for the palette, menus and keyboard shortcuts. */
export namespace CommandIDs {
  export const openPanel = 'aide-jupyter:open-panel';
  export const refresh = 'aide-jupyter:refresh';
  export const newSearch = 'aide-jupyter:new-search';
  export const improveCell = 'aide-jupyter:improve-cell';
  export const stop = 'aide-jupyter:stop';
  export const pause = 'aide-jupyter:pause';
  export const resume = 'aide-jupyter:resume';
  export const deleteSearch = 'aide-jupyter:delete-search';
  export const promote = 'aide-jupyter:promote';
  export const cherryPick = 'aide-jupyter:cherry-pick';
  export const fork = 'aide-jupyter:fork';
  export const openJournal = 'aide-jupyter:open-journal';
  export const copyCode = 'aide-jupyter:copy-code';
  export const selectBest = 'aide-jupyter:select-best';
  export const collapseAll = 'aide-jupyter:collapse-all';
  export const expandAll = 'aide-jupyter:expand-all';
}
