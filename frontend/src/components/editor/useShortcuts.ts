"use client";
import { useEffect, useRef } from "react";

export interface ShortcutActions {
  undo: () => void;
  redo: () => void;
  duplicate: () => void;
  remove: () => void;
  save: () => void;
  run: () => void;
  fit: () => void;
}

/** What each key does, for the inspector's list (kept beside the bindings so they cannot drift). */
export const SHORTCUTS: [string, string][] = [
  ["Click / drag", "add a step from the palette"],
  ["Del", "delete selection"],
  ["Ctrl+Z / Ctrl+Y", "undo / redo"],
  ["Ctrl+D", "duplicate"],
  ["F", "fit view"],
  ["Ctrl+S", "save now"],
  ["Ctrl+Enter", "run"],
];

function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
}

/** The editor's keyboard shortcuts (ignored while typing in a field). */
export function useShortcuts(actions: ShortcutActions) {
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target)) return;
      const a = ref.current;
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      let action: (() => void) | undefined;
      if (mod && k === "z" && !e.shiftKey) action = a.undo;
      else if (mod && (k === "y" || (k === "z" && e.shiftKey))) action = a.redo;
      else if (mod && k === "d") action = a.duplicate;
      else if (mod && k === "s") action = a.save;
      else if (mod && k === "enter") action = a.run;
      else if (!mod && (e.key === "Delete" || e.key === "Backspace")) action = a.remove;
      else if (!mod && k === "f") {
        a.fit();
        return;
      }
      if (!action) return;
      e.preventDefault();
      action();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
