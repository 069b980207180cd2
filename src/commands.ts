/** Command ids of the extension, for the palette, menus and keyboard shortcuts. */
export namespace CommandIDs {
  export const openPanel = 'aide-jupyter:open-panel';
  export const refresh = 'aide-jupyter:refresh';
}
