"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useEffect, useRef, useState } from "react";
import { api, apiUrl } from "@/lib/api";
import type { User } from "@/lib/types";
import { useAuthConfig, useMe } from "@/components/hooks";
import { errorText } from "@/components/Providers";
import { Skeleton } from "@/components/ui";

declare global {
  interface Window {
    google?: {
      accounts: {
        id: {
          initialize: (o: { client_id: string; callback: (r: { credential: string }) => void }) => void;
          renderButton: (el: HTMLElement, o: Record<string, unknown>) => void;
        };
      };
    };
  }
}

function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/signin") ? next : "/workflows/";
}

function GoogleButton({ clientId, onCredential }: { clientId: string; onCredential: (c: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const cb = useRef(onCredential);
  cb.current = onCredential;
  useEffect(() => {
    const render = () => {
      if (!window.google || !ref.current) return;
      window.google.accounts.id.initialize({ client_id: clientId, callback: (r) => cb.current(r.credential) });
      window.google.accounts.id.renderButton(ref.current, { theme: "outline", size: "large", width: 336, text: "signin_with" });
    };
    if (window.google) return render();
    const s = document.createElement("script");
    s.src = "https://accounts.google.com/gsi/client";
    s.async = true;
    s.onload = render;
    document.head.appendChild(s);
  }, [clientId]);
  return <div ref={ref} data-testid="google-button" style={{ minHeight: 44 }} />;
}

function SignIn() {
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  const router = useRouter();
  const qc = useQueryClient();
  const config = useAuthConfig();
  const me = useMe();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (me.data) router.replace(next);
  }, [me.data, next, router]);

  async function done(user: User) {
    qc.setQueryData(["me"], user);
    router.replace(next);
  }

  async function local(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await done(await api<User>("/auth/local", { body: { email: email.trim(), name: name.trim() || undefined }, allow401: true }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function google(credential: string) {
    setError(null);
    try {
      await done(await api<User>("/auth/google", { body: { credential }, allow401: true }));
    } catch (err) {
      setError(errorText(err));
    }
  }

  const clientId = config.data?.google_client_id || process.env.NEXT_PUBLIC_GOOGLE_CLIENT_ID || "";
  const googleOn = !!config.data?.google || !!process.env.NEXT_PUBLIC_GOOGLE_CLIENT_ID;
  return (
    <div className="signin-wrap">
      <main className="signin-card" aria-labelledby="signin-title">
        <div className="brand" style={{ color: "var(--text)", fontSize: 18 }}>
          <span className="brand-mark" aria-hidden="true" /> AutoML
        </div>
        <div>
          <h1 id="signin-title">Sign in</h1>
          <p className="muted" style={{ margin: "6px 0 0" }}>
            Upload tables, build workflows and train models.
          </p>
        </div>
        {config.isLoading ? (
          <Skeleton height={120} />
        ) : (
          <>
            {googleOn &&
              (clientId ? (
                <GoogleButton clientId={clientId} onCredential={google} />
              ) : (
                <a className="btn" href={apiUrl("/auth/google/login")}>
                  Sign in with Google
                </a>
              ))}
            {googleOn && config.data?.local && <div className="divider">or locally</div>}
            {config.data?.local && (
              <form className="stack" style={{ gap: 12 }} onSubmit={local} data-testid="local-signin">
                <label className="field">
                  Email
                  <input className="input" type="email" required autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="you@example.com" />
                </label>
                <label className="field">
                  Name <span className="help">optional</span>
                  <input className="input" value={name} autoComplete="name" onChange={(e) => setName(e.target.value)} placeholder="Ada Lovelace" />
                </label>
                <button className="btn primary" type="submit" disabled={busy || !email}>
                  {busy ? "Signing in…" : "Sign in locally"}
                </button>
              </form>
            )}
            {!googleOn && !config.data?.local && <p className="muted">No sign-in method is configured on the API.</p>}
          </>
        )}
        {error && (
          <div className="field-error" role="alert">
            {error}
          </div>
        )}
      </main>
    </div>
  );
}

export default function SignInPage() {
  return (
    <Suspense>
      <SignIn />
    </Suspense>
  );
}
