"use client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiError } from "@/lib/api";

type ToastKind = "info" | "error" | "success";
interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

interface ToastApi {
  show: (text: string, kind?: ToastKind) => void;
  error: (e: unknown, prefix?: string) => void;
  success: (text: string) => void;
}

const ToastContext = createContext<ToastApi>({ show: () => {}, error: () => {}, success: () => {} });
export const useToast = () => useContext(ToastContext);

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const first = e.issues[0];
    return first && !e.detail.toLowerCase().includes(first.message.toLowerCase()) ? `${e.detail}: ${first.message}` : e.detail;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

export function Providers({ children }: { children: ReactNode }) {
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
            refetchOnWindowFocus: false,
            staleTime: 5_000,
          },
        },
      }),
  );
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const show = useCallback(
    (text: string, kind: ToastKind = "info") => {
      const id = next.current++;
      setToasts((t) => [...t.slice(-4), { id, kind, text }]);
      setTimeout(() => dismiss(id), kind === "error" ? 8000 : 4000);
    },
    [dismiss],
  );
  const api = useMemo<ToastApi>(
    () => ({
      show,
      error: (e, prefix) => {
        if (e instanceof ApiError && e.status === 401) return;
        show(prefix ? `${prefix}: ${errorText(e)}` : errorText(e), "error");
      },
      success: (text) => show(text, "success"),
    }),
    [show],
  );
  return (
    <QueryClientProvider client={client}>
      <ToastContext.Provider value={api}>
        {children}
        <div className="toasts" role="region" aria-label="Notifications" aria-live="polite">
          {toasts.map((t) => (
            <div key={t.id} className={`toast ${t.kind}`} role={t.kind === "error" ? "alert" : "status"} data-testid={`toast-${t.kind}`}>
              <span style={{ flex: 1 }}>{t.text}</span>
              <button aria-label="Dismiss notification" onClick={() => dismiss(t.id)}>
                ×
              </button>
            </div>
          ))}
        </div>
      </ToastContext.Provider>
    </QueryClientProvider>
  );
}
