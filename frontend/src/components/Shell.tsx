"use client";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, type ReactNode } from "react";
import { api, ApiError } from "@/lib/api";
import { useMe } from "./hooks";
import { Skeleton } from "./ui";
import { useToast } from "./Providers";

const NAV = [
  { href: "/workflows/", label: "Workflows" },
  { href: "/datasets/", label: "Datasets" },
  { href: "/models/", label: "Models" },
];

/** Pages that fill the window below the top bar themselves (the canvas). */
const FULL_BLEED = ["/workflows/edit"];

export function Shell({ children }: { children: ReactNode }) {
  const me = useMe();
  const router = useRouter();
  const pathname = usePathname();
  const bare = FULL_BLEED.some((p) => pathname?.startsWith(p));
  const qc = useQueryClient();
  const toast = useToast();

  const unauthorized = me.error instanceof ApiError && me.error.status === 401;
  useEffect(() => {
    if (unauthorized) {
      const here = window.location.pathname + window.location.search;
      router.replace(`/signin/?next=${encodeURIComponent(here)}`);
    }
  }, [unauthorized, router]);

  async function logout() {
    try {
      await api("/auth/logout", { method: "POST" });
    } catch (e) {
      toast.error(e);
    }
    qc.clear();
    router.replace("/signin/");
  }

  const user = me.data;
  return (
    <>
      <header className="topbar">
        <Link href="/workflows/" className="brand" aria-label="AutoML home">
          <span className="brand-mark" aria-hidden="true" />
          AutoML
        </Link>
        <nav className="nav" aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.href} href={n.href} className={pathname?.startsWith(n.href.slice(0, -1)) ? "active" : ""} data-testid={`nav-${n.label.toLowerCase()}`}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="user">
          {user ? (
            <>
              <span data-testid="user-name">{user.name || user.email}</span>
              <span className="avatar" aria-hidden="true">
                
                {user.picture ? <img src={user.picture} alt="" /> : (user.name || user.email).slice(0, 1).toUpperCase()}
              </span>
              <button className="btn sm ghost" style={{ color: "#cbd5e1" }} onClick={logout}>
                Sign out
              </button>
            </>
          ) : (
            <Skeleton width={120} height={14} style={{ opacity: 0.2 }} />
          )}
        </div>
      </header>
      {me.isError && !unauthorized ? (
        <div className="page">
          <div className="card" role="alert">
            <h2>Cannot reach the API</h2>
            <p className="muted">{(me.error as Error).message}</p>
            <button className="btn" onClick={() => me.refetch()}>
              Retry
            </button>
          </div>
        </div>
      ) : user ? (
        bare ? (
          children
        ) : (
          <main className="page">{children}</main>
        )
      ) : (
        <main className="page">
          <Skeleton height={28} width={260} />
          <Skeleton height={200} style={{ marginTop: 20 }} />
        </main>
      )}
    </>
  );
}
