import { ISignal } from '@lumino/signaling';
import * as React from 'react';

/** Re-render the component whenever one of the signals fires. */
export function useSignals(...signals: ISignal<any, any>[]): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const bump = () => setTick(t => t + 1);
    signals.forEach(s => s.connect(bump));
    return () => {
      signals.forEach(s => s.disconnect(bump));
    };
  }, []);
}

/** A metric with a sensible number of digits. */
export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '–';
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) {
    return value.toExponential(3);
  }
  return Number(value.toPrecision(4)).toString();
}

export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) {
    return '–';
  }
  return s < 60
    ? `${s.toFixed(1)} s`
    : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A callback ref for an element and its current width in pixels (follows panel resizes). */
export function useWidth<T extends HTMLElement>(
  initial: number
): [(element: T | null) => void, number] {
  const [element, setElement] = React.useState<T | null>(null);
  const [width, setWidth] = React.useState(initial);
  React.useEffect(() => {
    if (!element || typeof ResizeObserver === 'undefined') {
      return;
    }
    const measure = () => {
      const w = Math.floor(element.clientWidth);
      if (w > 0) {
        setWidth(w);
      }
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [setElement, width];
}
